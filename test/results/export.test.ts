import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { MAX_EXPORT_COLUMNS, batchTable, exportFormatOf, neutraliseText, resultTable, toCsv, toJsonl, type Table } from '../../src/results/export.js';
import { inference, invoiceFields } from '../helpers/inferences.js';

const table = (columns: string[], ...rows: Table['rows']): Table => ({ columns, rows, droppedColumns: 0 });

describe('neutraliseText (spreadsheet formula injection)', () => {
  it.each([
    ['=HYPERLINK("http://x","click")', `'=HYPERLINK("http://x","click")`],
    ['+1 555 0100', `'+1 555 0100`],
    ['-2+3', `'-2+3`],
    ['-', `'-`],
    ['@SUM(A1:A2)', `'@SUM(A1:A2)`],
    ['\t=1', `'\t=1`],
    ['\r=1', `'\r=1`],
    ['cmd|=1', 'cmd|=1'],
    ['Acme = best', 'Acme = best'],
    ['', ''],
    ['Café €', 'Café €'],
    // A plain number written as text is read as that number, never run.
    ['-12.50', '-12.50'],
    ['+7', '+7'],
    ['-12.50 GBP', `'-12.50 GBP`],
  ])('%j → %j', (input, output) => {
    expect(neutraliseText(input)).toBe(output);
  });
});

describe('toCsv', () => {
  it('writes a header row, numbers as numbers (negative ones too), text neutralised, empty for null', () => {
    const csv = toCsv(table(['name', 'amount', 'paid', 'note'], ['=1+2', -12.5, true, null], ['Acme', 0, false, '-12.50'], ['x', 1234567.891, null, '@me']));
    expect(csv).toBe(["name,amount,paid,note", "'=1+2,-12.5,true,", 'Acme,0,false,-12.50', "x,1234567.891,,'@me", ''].join('\n'));
  });

  it('quotes what must be quoted, so a parser reads back every cell as written (UTF-8 kept)', () => {
    const cells = ['a,b', 'say "hi"', 'two\nlines', 'carriage\rreturn', 'Zürich — 5 €', ' spaced '];
    const csv = toCsv(table(cells.map((_, i) => `c${i}`), cells));
    const back: string[][] = parse(csv);
    expect(back).toEqual([cells.map((_, i) => `c${i}`), cells]);
    expect(Buffer.from(csv, 'utf8').toString('utf8')).toContain('Zürich — 5 €');
  });

  it('neutralises the header too (field names come from outside)', () => {
    expect(toCsv(table(['=cmd()', 'ok'], [1, 2])).split('\n')[0]).toBe("'=cmd(),ok");
  });

  it('writes no cell for a number that is not finite', () => {
    expect(toCsv(table(['n'], [Number.NaN], [Infinity]))).toBe('n\n\n\n');
  });
});

describe('toJsonl', () => {
  it('one object per row with every column, numbers as numbers, text untouched (JSON is no spreadsheet)', () => {
    const lines = toJsonl(table(['a', 'b'], ['=1', -3.5], [null, 2])).split('\n');
    expect(lines).toHaveLength(3);
    expect(JSON.parse(lines[0]!)).toEqual({ a: '=1', b: -3.5 });
    expect(JSON.parse(lines[1]!)).toEqual({ a: null, b: 2 });
    expect(lines[2]).toBe('');
  });

  it('keeps a column named __proto__ as an ordinary key', () => {
    expect(JSON.parse(toJsonl(table(['__proto__'], ['x'])).trim())).toEqual(JSON.parse('{"__proto__":"x"}'));
  });
});

describe('exportFormatOf', () => {
  it.each([
    ['out.csv', 'csv'],
    ['OUT.CSV ', 'csv'],
    ['rows.jsonl', 'jsonl'],
    ['rows.ndjson', 'jsonl'],
    ['result.json', 'json'],
    ['result', 'json'],
  ])('%s → %s', (path, format) => expect(exportFormatOf(path)).toBe(format));
});

const review = {
  verdict: 'needs_review',
  issues: [
    { path: 'line_items.1.quantity', kind: 'failed_check', message: 'x' },
    { path: 'total_amount', kind: 'missing', message: 'y' },
  ],
};

describe('resultTable', () => {
  it('without fields: one row, every field flattened by dotted path, lists by index', () => {
    const t = resultTable(inference({ fields: invoiceFields(2) }));
    expect(t.columns).toEqual([
      'inference_id',
      'invoice_number',
      'total_amount',
      'supplier_address.city',
      'supplier_address.country',
      'line_items.0.description',
      'line_items.0.quantity',
      'line_items.1.description',
      'line_items.1.quantity',
    ]);
    expect(t.rows).toEqual([['inf-1', 'INV-1', 120.5, 'Bristol', 'UK', 'Item 1', 1, 'Item 2', 2]]);
  });

  it('fields naming a list: one row per item, its index as in review paths, the other fields repeated, item issues counted', () => {
    const t = resultTable(inference({ fields: invoiceFields(3) }), { fields: ['invoice_number', 'line_items'], review });
    expect(t.columns).toEqual(['inference_id', 'index', 'invoice_number', 'line_items.description', 'line_items.quantity', 'verdict', 'issues', 'item_issues']);
    expect(t.rows).toEqual([
      ['inf-1', 0, 'INV-1', 'Item 1', 1, 'needs_review', 2, 0],
      ['inf-1', 1, 'INV-1', 'Item 2', 2, 'needs_review', 2, 1],
      ['inf-1', 2, 'INV-1', 'Item 3', 3, 'needs_review', 2, 0],
    ]);
  });

  it('a path through a list picks that list, and only the sub-fields named', () => {
    const t = resultTable(inference({ fields: invoiceFields(2) }), { fields: ['line_items.quantity', 'total_amount'] });
    expect(t.columns).toEqual(['inference_id', 'index', 'total_amount', 'line_items.quantity']);
    expect(t.rows).toEqual([
      ['inf-1', 0, 120.5, 1],
      ['inf-1', 1, 120.5, 2],
    ]);
  });

  it('a list with no items is refused, saying what to do instead', () => {
    expect(() => resultTable(inference({ fields: invoiceFields(0) }), { fields: ['line_items'] })).toThrow(/no items.*/);
  });

  it('unknown fields are refused as the answer refuses them', () => {
    expect(() => resultTable(inference({ fields: invoiceFields(1) }), { fields: ['nope'] })).toThrow(/nope/);
  });

  it('a classification result: its values as columns', () => {
    const t = resultTable(inference({ classification: { document_type: 'invoice' } }));
    expect(t.columns).toEqual(['inference_id', 'classification.document_type', 'classification.fields']);
    expect(t.rows).toEqual([['inf-1', 'invoice', null]]);
  });
});

describe('batchTable', () => {
  it('one row per document: file, status, ids, verdict, issue count, error, then the values', () => {
    const t = batchTable([
      { source: '/docs/a.pdf', status: 'Processed', job_id: 'j1', inference_id: 'i1', error: null, result: { fields: { total_amount: -12.5, supplier: { name: '=evil' } } }, review },
      { source: '/docs/b.pdf', status: 'Failed', job_id: 'j2', inference_id: null, error: 'The document was rejected.', result: null },
    ]);
    expect(t.columns).toEqual(['file', 'status', 'job_id', 'inference_id', 'verdict', 'issues', 'error', 'total_amount', 'supplier.name']);
    expect(toCsv(t).split('\n')).toEqual([
      'file,status,job_id,inference_id,verdict,issues,error,total_amount,supplier.name',
      "/docs/a.pdf,Processed,j1,i1,needs_review,2,,-12.5,'=evil",
      '/docs/b.pdf,Failed,j2,,,,The document was rejected.,,',
      '',
    ]);
  });

  it("takes the verdict a row's result carries, and writes it as no value column", () => {
    const t = batchTable([{ source: 'a.pdf', status: 'Processed', job_id: 'j', inference_id: 'i', error: null, result: { fields: { total_amount: 1 }, review: { ...review, verdict: 'accept', issues: [] } } }]);
    expect(t.columns).toEqual(['file', 'status', 'job_id', 'inference_id', 'verdict', 'issues', 'error', 'total_amount']);
    expect(t.rows[0]).toEqual(['a.pdf', 'Processed', 'j', 'i', 'accept', 0, null, 1]);
  });

  it(`keeps at most ${MAX_EXPORT_COLUMNS} columns and counts the rest`, () => {
    const fields = Object.fromEntries(Array.from({ length: MAX_EXPORT_COLUMNS + 5 }, (_, i) => [`f${i}`, i]));
    const t = batchTable([{ source: 'a', status: 'Processed', job_id: null, inference_id: null, error: null, result: { fields } }]);
    expect(t.columns).toHaveLength(MAX_EXPORT_COLUMNS);
    expect(t.droppedColumns).toBe(12);
  });
});
