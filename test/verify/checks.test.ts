/** The built-in checks, one table each: what passes, what fails, and the edges of each tolerance. */
import { describe, expect, it } from 'vitest';
import { currencyDecimals, ibanValid, isCalendarDate, isCurrencyCode, reviewLine, vatFormValid, verifyFields, verifyFieldsSync, type Review } from '../../src/verify/index.js';
import { cleanInvoice, rawFields, type Invoice, type RawOptions } from '../helpers/raw-fields.js';

type Doc = Parameters<typeof rawFields>[0];

function review(doc: Doc, options: RawOptions = { confidence: 'High' }): Review {
  return verifyFieldsSync(rawFields(doc, options));
}

function failed(r: Review): string[] {
  return r.issues.map((i) => `${i.kind} ${i.path}`);
}

/** A clean invoice with some values changed. */
function invoice(change: (doc: Invoice) => void, currency = 'EUR', decimals = 2): Doc {
  const doc = cleanInvoice(currency, decimals);
  change(doc);
  return doc;
}

describe('a clean invoice', () => {
  it.each([
    ['EUR', 2],
    ['JPY', 0],
    ['KWD', 3],
  ] as const)('in %s is accepted, every check passing', (currency, decimals) => {
    const r = review(cleanInvoice(currency, decimals));
    expect(r.issues).toEqual([]);
    expect(r.verdict).toBe('accept');
    // 2 lines, the lines' sum, net + tax, the tax, the taxes' sum, 2 dates, due date, currency, IBAN, VAT.
    expect(r.checks).toBe(12);
    expect(r.passed).toBe(12);
    expect(reviewLine(r)).toBe('Checked: 12 checks passed, lowest confidence High');
  });
});

describe('currency decimals', () => {
  it.each([
    ['JPY', 0],
    ['EUR', 2],
    ['USD', 2],
    ['KWD', 3],
    ['BHD', 3],
    ['XYZ', 2],
    [null, 2],
  ] as const)('%s counts %i decimals', (code, decimals) => {
    expect(currencyDecimals(code)).toBe(decimals);
  });
  it.each([
    ['EUR', true],
    ['JPY', true],
    ['KWD', true],
    ['EURO', false],
    ['XYZ', false],
    ['eur', false],
  ])('%s is an ISO 4217 code: %s', (code, ok) => {
    expect(isCurrencyCode(code)).toBe(ok);
  });
});

describe('quantity × unit price = line total, within one unit of the last decimal', () => {
  it.each([
    // currency, decimals, quantity, unit price, line total, passes
    ['EUR', 2, 3, 1.333, 4.0, true],
    ['EUR', 2, 2, 12.5, 25.01, true],
    ['EUR', 2, 2, 12.5, 25.02, false],
    ['EUR', 2, 2, 12.5, 24.99, true],
    ['EUR', 2, 2, 12.5, 24.98, false],
    ['JPY', 0, 3, 333, 1000, true],
    ['JPY', 0, 3, 333, 1001, false],
    ['KWD', 3, 2, 1.25, 2.501, true],
    ['KWD', 3, 2, 1.25, 2.502, false],
  ] as const)('%s (%i decimals): %d × %d vs %d → %s', (currency, decimals, q, u, t, ok) => {
    const doc = invoice((d) => {
      d.line_items = [{ description: 'x', quantity: q, unit_price: u, total_price: t }];
      d.taxes = [];
      d.total_net = t;
      d.total_tax = 0;
      d.total_amount = t;
    }, currency, decimals);
    const r = review(doc);
    expect(failed(r)).toEqual(ok ? [] : ['failed_check line_items.0.total_price']);
    if (!ok) expect(r.issues[0]!.message).toMatch(/^line_items\.0\.total_price [\d.]+ ≠ quantity/);
  });
});

describe('lines sum to the net amount (or the total), one unit per line', () => {
  it.each([
    // net, total, passes: lines are 25.00 + 40.00 = 65.00 (two lines: two units of slack)
    [65.0, 78.0, true],
    [65.02, 78.02, true],
    [65.03, 78.0, false],
    [64.98, 77.98, true],
    [64.97, 78.0, false],
    // Lines that include tax sum to the total instead.
    [54.17, 65.0, true],
  ])('net %d, total %d → %s', (net, total, ok) => {
    const doc = invoice((d) => {
      d.total_net = net;
      d.total_amount = total;
      d.total_tax = Number((total - net).toFixed(2));
      d.taxes = [];
    });
    const r = review(doc);
    expect(failed(r).filter((f) => f.endsWith('total_net'))).toEqual(ok ? [] : ['failed_check total_net']);
  });

  it('names the values it compared', () => {
    const r = review(invoice((d) => Object.assign(d.line_items[1]!, { total_price: 41.0, unit_price: 41.0 })));
    expect(r.issues.map((i) => i.message)).toContain('line_items total_price sum 66.00 ≠ total_net 65.00 (or total_amount 78.00)');
  });
});

describe('net + tax = total', () => {
  it.each([
    ['EUR', 2, 229.0, 45.8, 274.8, true],
    ['EUR', 2, 229.0, 45.8, 274.81, true],
    ['EUR', 2, 229.0, 45.8, 274.82, false],
    ['EUR', 2, 229.0, 45.8, 284.8, false],
    ['JPY', 0, 1000, 100, 1101, true],
    ['JPY', 0, 1000, 100, 1102, false],
    ['KWD', 3, 10.0, 0.5, 10.501, true],
    ['KWD', 3, 10.0, 0.5, 10.502, false],
  ] as const)('%s: %d + %d vs %d → %s', (currency, decimals, net, tax, total, ok) => {
    const doc = invoice((d) => {
      d.line_items = [];
      d.taxes = [];
      d.total_net = net;
      d.total_tax = tax;
      d.total_amount = total;
    }, currency, decimals);
    expect(failed(review(doc))).toEqual(ok ? [] : ['failed_check total_amount']);
  });

  it('says the values, as the issue shows them', () => {
    const doc = invoice((d) => {
      d.line_items = [];
      d.taxes = [];
      d.total_net = 229;
      d.total_tax = 45.8;
      d.total_amount = 284.8;
    });
    expect(reviewLine(review(doc))).toBe('Needs review (1): total_amount 284.80 ≠ total_net 229.00 + total_tax 45.80');
  });

  it('counts tips on a receipt', () => {
    const doc = invoice((d) => {
      d.line_items = [];
      d.taxes = [];
      d.total_net = 20;
      d.total_tax = 2;
      d.tips_gratuity = 3;
      d.total_amount = 25;
    });
    expect(failed(review(doc))).toEqual([]);
  });
});

describe('taxes', () => {
  it.each([
    // base, rate, amount, passes
    [100, 20, 20, true],
    [100, 20, 20.01, true],
    [100, 20, 20.02, false],
    [100, 0.2, 20, true],
    [100, 5.5, 5.5, true],
    [100, 5.5, 55, false],
  ])('base %d × rate %d vs %d → %s', (base, rate, amount, ok) => {
    const doc = invoice((d) => {
      d.line_items = [];
      d.taxes = [{ base, rate, amount }];
      d.total_net = base;
      d.total_tax = amount;
      d.total_amount = base + amount;
    });
    expect(failed(review(doc))).toEqual(ok ? [] : ['failed_check taxes.0.amount']);
  });

  it('sum to the total tax, one unit per tax', () => {
    const doc = invoice((d) => {
      d.line_items = [];
      d.taxes = [
        { base: 100, rate: 20, amount: 20 },
        { base: 50, rate: 10, amount: 5 },
      ];
      d.total_net = 150;
      d.total_tax = 25.03;
      d.total_amount = 175.03;
    });
    expect(failed(review(doc))).toEqual(['failed_check total_tax']);
    expect(review(doc).issues[0]!.message).toBe('total_tax 25.03 ≠ taxes amount sum 25.00');
    expect(failed(review(invoice((d) => {
      d.line_items = [];
      d.taxes = [
        { base: 100, rate: 20, amount: 20 },
        { base: 50, rate: 10, amount: 5 },
      ];
      d.total_net = 150;
      d.total_tax = 25.02;
      d.total_amount = 175.02;
    })))).toEqual([]);
  });
});

describe('dates', () => {
  it.each([
    ['2024-02-29', true],
    ['2023-02-29', false],
    ['2024-04-31', false],
    ['2024-13-01', false],
    ['2024-1-01', false],
    ['01/02/2024', false],
  ])('%s exists: %s', (date, ok) => {
    expect(isCalendarDate(date)).toBe(ok);
    const r = review(invoice((d) => (d.date = date) && (d.due_date = null)));
    expect(failed(r)).toEqual(ok ? [] : ['invalid_format date']);
  });

  it.each([
    ['2024-03-01', '2024-03-01', true],
    ['2024-03-01', '2024-02-29', false],
  ])('date %s, due %s → %s', (date, due, ok) => {
    const r = review(invoice((d) => (d.date = date) && (d.due_date = due)));
    expect(failed(r)).toEqual(ok ? [] : ['failed_check due_date']);
    if (!ok) expect(r.issues[0]!.message).toBe(`due_date ${due} is before date ${date}`);
  });
});

describe('IBAN (ISO 13616 mod 97)', () => {
  it.each([
    ['FR1420041010050500013M02606', true],
    ['FR14 2004 1010 0505 0001 3M02 606', true],
    ['GB82WEST12345698765432', true],
    ['DE89370400440532013000', true],
    ['DE89370400440532013001', false],
    ['GB82WEST12345698765433', false],
    ['FR14', false],
    ['not an iban', false],
  ])('%s → %s', (iban, ok) => {
    expect(ibanValid(iban)).toBe(ok);
    const r = review(invoice((d) => (d.supplier_payment_details = [{ iban }])));
    expect(failed(r)).toEqual(ok ? [] : ['invalid_format supplier_payment_details.0.iban']);
    if (!ok) expect(reviewLine(r)).toBe('Needs review (1): supplier_payment_details.0.iban fails its checksum (ISO 13616 mod 97)');
  });
});

describe('currency codes', () => {
  it('flags a currency that is not ISO 4217', () => {
    const r = review(invoice((d) => (d.locale.currency = 'EURO')));
    expect(failed(r)).toEqual(['invalid_format locale.currency']);
  });
});

describe('VAT numbers by the form of their country', () => {
  it.each([
    ['FR 40 303 265 045', 'FR', true],
    ['FR40303265045X', 'FR', false],
    ['DE123456789', 'DE', true],
    ['DE12345678', 'DE', false],
    ['NL123456789B01', 'NL', true],
    ['ATU12345678', 'AT', true],
    ['AT12345678', 'AT', false],
    ['EL123456789', 'GR', true],
    ['GR123456789', 'GR', true],
    ['123456789', 'DE', true],
    ['12345', 'DE', false],
    ['CHE-123.456.789 MWST', 'CH', true],
    ['US12345', 'US', null],
  ] as const)('%s (country %s) → %s', (number, country, ok) => {
    expect(vatFormValid(number, country)).toBe(ok);
    const r = review(invoice((d) => (d.locale.country = country) && (d.supplier_company_registration = [{ type: 'VAT', number }])));
    expect(failed(r)).toEqual(ok === false ? ['invalid_format supplier_company_registration.0.number'] : []);
  });

  it('checks only registrations whose type says VAT', () => {
    const r = review(invoice((d) => (d.supplier_company_registration = [{ type: 'SIRET', number: '1' }])));
    expect(failed(r)).toEqual([]);
  });
});

describe('missing values', () => {
  it.each(['date', 'total_amount', 'supplier_name', 'invoice_number'])('%s null on an invoice', (name) => {
    const r = review(invoice((d) => (d[name] = null)));
    expect(failed(r)).toContain(`missing ${name}`);
  });

  it('a receipt needs no invoice number', () => {
    const { invoice_number, ...receipt } = cleanInvoice();
    expect(failed(review({ ...receipt, receipt_number: null }))).toEqual([]);
  });

  it('a result that is no financial document is not asked for them', () => {
    expect(verifyFieldsSync(rawFields({ name: 'Ada', date: null }, { confidence: 'High' })).issues).toEqual([]);
  });
});

describe('confidence', () => {
  it.each([
    ['High', ['Medium', 'Low'], ['Certain', 'High']],
    ['Medium', ['Low'], ['Certain', 'High', 'Medium']],
    ['Certain', ['High', 'Medium', 'Low'], ['Certain']],
    ['Low', [], ['Certain', 'High', 'Medium', 'Low']],
  ] as const)('threshold %s: needs review below it', (min, low, ok) => {
    for (const level of low) {
      const r = verifyFieldsSync(rawFields(cleanInvoice(), { confidence: 'Certain', confidences: { total_amount: level } }), { minConfidence: min });
      expect(failed(r)).toEqual(['low_confidence total_amount']);
      expect(r.lowest_confidence).toBe(level);
    }
    for (const level of ok) {
      const r = verifyFieldsSync(rawFields(cleanInvoice(), { confidence: 'Certain', confidences: { total_amount: level } }), { minConfidence: min });
      expect(r.verdict).toBe('accept');
    }
  });

  it('a result without confidences says so instead of pretending', () => {
    const r = verifyFieldsSync(rawFields(cleanInvoice(), { confidence: null }));
    expect(r.verdict).toBe('accept');
    expect(r.lowest_confidence).toBeNull();
    expect(r.unchecked).toEqual(['confidence: the result has none (the confidence option was off)']);
    expect(reviewLine(r)).toBe('Checked: 12 checks passed; not checked: confidence');
  });

  it('an option Mindee refused is said as the caller knows it', () => {
    const r = verifyFieldsSync(rawFields(cleanInvoice()), { unchecked: ['confidence: Mindee refused the option for this account'] });
    expect(r.unchecked).toEqual(['confidence: Mindee refused the option for this account']);
  });
});

describe('locations', () => {
  it('every issue carries the 1-based page and box of its value', () => {
    const doc = invoice((d) => (d.total_amount = 99));
    const r = review(doc, { confidence: 'High', at: { total_amount: { page: 1, box: [0.8, 0.5, 0.9, 0.55] } } });
    expect(r.issues).toEqual([
      { path: 'total_amount', kind: 'failed_check', message: 'total_amount 99.00 ≠ total_net 65.00 + total_tax 13.00', page: 2, box: [0.8, 0.5, 0.9, 0.55] },
    ]);
  });

  it('low confidences point at their values in lists too', () => {
    const r = review(cleanInvoice(), { confidence: 'High', confidences: { 'line_items.1.unit_price': 'Low' }, at: { 'line_items.1.unit_price': { page: 0, box: [0.1, 0.2, 0.3, 0.4] } } });
    expect(r.issues).toEqual([{ path: 'line_items.1.unit_price', kind: 'low_confidence', message: 'line_items.1.unit_price confidence Low', page: 1, box: [0.1, 0.2, 0.3, 0.4] }]);
  });
});

describe('bounds', () => {
  it('lists at most 50 issues and counts the rest', () => {
    const lines = Array.from({ length: 200 }, (_, i) => ({ description: `l${i}`, quantity: 1, unit_price: 1, total_price: 1 }));
    const r = review({ ...cleanInvoice(), line_items: lines, taxes: [], total_tax: 0, total_net: 200, total_amount: 200 }, { confidence: 'Low' });
    expect(r.issues).toHaveLength(50);
    expect(r.more_issues! + 50).toBe(r.issues.length + r.more_issues!);
    expect(r.verdict).toBe('needs_review');
    expect(reviewLine(r)).toMatch(/^Needs review \(\d+\): .* and \d+ more \(review\.issues\)$/);
    expect(reviewLine(r).length).toBeLessThan(560);
  });

  it('the async form gives the same verdict without rules', async () => {
    const fields = rawFields(cleanInvoice(), { confidence: 'High' });
    expect(await verifyFields(fields, null)).toEqual(verifyFieldsSync(fields));
  });

  it('bounds what outside data can make it hold: issues kept, paths and messages clipped', () => {
    const name = `field_${'n'.repeat(1000)}`;
    const lines = Array.from({ length: 30_000 }, () => ({ [name]: 'x' }));
    const r = verifyFieldsSync(rawFields({ line_items: lines }, { confidence: 'Low' }));
    expect(r.issues).toHaveLength(50);
    expect(r.issues.length + r.more_issues!).toBe(30_000);
    for (const issue of r.issues) {
      expect(issue.path.length).toBeLessThanOrEqual(300);
      expect(issue.message.length).toBeLessThanOrEqual(500);
    }
  });
});
