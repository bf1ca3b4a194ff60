/**
 * `save_to` tables through the tools and the emulator: a result as one row or one row per line
 * item (CSV and JSONL), and a batch as one row per document; written like every `save_to`, new
 * files only, inside the allowed directories.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterEach, describe, expect, it } from 'vitest';
import { DEMO_MODELS } from 'mindee-v2-emulator';
import { makeAcceptedInvoicePdf, makeDisagreeingInvoicePdf, makeFinancialDocument, makeSampleInvoicePdf } from 'mindee-v2-emulator/samples';
import { startHarness, textOf, type Harness } from '../helpers/harness.js';
import { at, structuredOf } from '../helpers/structured.js';

let h: Harness;
afterEach(async () => {
  await h?.close();
});

const csvRows = async (path: string) => parse<Record<string, string>>(await readFile(path, 'utf8'), { columns: true, cast: false });

async function makeSampleInvoicePdfFrom(lines: string[]): Promise<Buffer> {
  const { makePdf } = await import('mindee-v2-emulator/samples');
  return makePdf({ pages: [lines] });
}

describe('save_to .csv and .jsonl of one result', () => {
  it('fields naming line_items: one row per item, numbers as numbers, the other fields repeated', async () => {
    h = await startHarness();
    const path = await h.write('invoice.pdf', makeSampleInvoicePdf());
    const r = await h.call('enqueue_document', { model_id: DEMO_MODELS.invoice, file_path: path, fields: ['invoice_number', 'line_items'], save_to: 'lines.csv' });
    expect(r.isError, textOf(r)).toBeFalsy();
    const sc = structuredOf('enqueue_document', r);
    expect(sc.result!.saved_to).toBe(join(h.dir, 'lines.csv'));
    expect(textOf(r)).toContain(`3 row(s) of`);
    const text = await readFile(join(h.dir, 'lines.csv'), 'utf8');
    const [header, first] = text.split('\n');
    expect(header).toBe(
      'inference_id,index,invoice_number,line_items.description,line_items.product_code,line_items.quantity,line_items.unit_price,line_items.total_price,line_items.tax_rate,verdict,issues,item_issues',
    );
    expect(first).toBe(`${sc.job.inference_id},0,INV-2026-0042,"A4 copy paper, 5 reams",,4,21.5,86,,accept,0,0`);
    const rows = await csvRows(join(h.dir, 'lines.csv'));
    expect(rows.map((row) => [row.index, row['line_items.total_price']])).toEqual([
      ['0', '86'],
      ['1', '128'],
      ['2', '15'],
    ]);
  });

  it('without fields, get_inference_result writes one row of every field; .jsonl keeps numbers as JSON numbers', async () => {
    h = await startHarness();
    const path = await h.write('invoice.pdf', makeSampleInvoicePdf());
    const first = structuredOf('enqueue_document', await h.call('enqueue_document', { model_id: DEMO_MODELS.invoice, file_path: path }));
    const id = first.job.inference_id;
    const csv = await h.call('get_inference_result', { inference_id: id, save_to: 'all.csv' });
    expect(csv.isError, textOf(csv)).toBeFalsy();
    const rows = await csvRows(join(h.dir, 'all.csv'));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ inference_id: id, invoice_number: 'INV-2026-0042', total_amount: '274.8', 'line_items.2.description': 'Delivery' });

    const jsonl = await h.call('get_inference_result', { inference_id: id, save_to: 'taxes.jsonl', fields: ['taxes'] });
    expect(jsonl.isError, textOf(jsonl)).toBeFalsy();
    const lines = (await readFile(join(h.dir, 'taxes.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toEqual([{ inference_id: id, index: 0, 'taxes.rate': 0.2, 'taxes.base': 229, 'taxes.amount': 45.8, verdict: 'accept', issues: 0, item_issues: 0 }]);
  });

  it('neutralises text a spreadsheet would run, and keeps negative amounts numbers', async () => {
    h = await startHarness();
    const doc = makeFinancialDocument({ seed: 1, lines: 2 });
    const lines = doc.text.map((l) => (l.startsWith('Supplier: ') ? l.replace(/^Supplier: [^,]+/, 'Supplier: =HYPERLINK("http://evil.example";"Pay")') : l));
    // A credit note: its amounts are negative.
    const credit = lines.map((l) => l.replace(/^(Total net|Total amount): /, '$1: -'));
    const path = await h.write('hostile.pdf', await makeSampleInvoicePdfFrom(credit));
    const r = await h.call('enqueue_document', { model_id: DEMO_MODELS.invoice, file_path: path, fields: ['supplier.name', 'total_net', 'total_amount'], save_to: 'hostile.csv' });
    expect(r.isError, textOf(r)).toBeFalsy();
    const text = await readFile(join(h.dir, 'hostile.csv'), 'utf8');
    const [header, row] = text.trim().split('\n');
    expect(header).toBe('inference_id,supplier.name,total_net,total_amount,verdict,issues');
    const parsed: string[][] = parse(text);
    const cells = parsed[1]!;
    expect(cells[1]).toBe(`'=HYPERLINK("http://evil.example";"Pay")`);
    expect(Number(cells[2])).toBeLessThan(0);
    expect(cells[2]).toBe(String(-doc.printed.total_net));
    expect(row).toContain(`,${-doc.printed.total_net},`);
  });

  it('is written like every save_to: a new file only, inside the allowed directories, refused before writing when fields name nothing', async () => {
    h = await startHarness();
    const path = await h.write('invoice.pdf', makeSampleInvoicePdf());
    const id = structuredOf('enqueue_document', await h.call('enqueue_document', { model_id: DEMO_MODELS.invoice, file_path: path, save_to: 'once.csv' })).job.inference_id;
    const again = await h.call('get_inference_result', { inference_id: id, save_to: 'once.csv' });
    expect(again.isError).toBe(true);
    expect(textOf(again)).toContain('already exists; it was not overwritten');
    const outside = await h.call('get_inference_result', { inference_id: id, save_to: '/tmp/../etc/evil.csv' });
    expect(outside.isError).toBe(true);
    expect(textOf(outside)).toMatch(/outside the directories this server may read/);
    const unknown = await h.call('get_inference_result', { inference_id: id, save_to: 'unknown.csv', fields: ['nope'] });
    expect(unknown.isError).toBe(true);
    await expect(readFile(join(h.dir, 'unknown.csv'))).rejects.toThrow(/ENOENT/);
  });
});

describe('the verdict in tables', () => {
  it('a line that does not add up: the row of that item counts its issue, every row the verdict', async () => {
    h = await startHarness();
    const path = await h.write('bad-line.pdf', makeDisagreeingInvoicePdf('line_arithmetic'));
    const r = await h.call('enqueue_document', { model_id: DEMO_MODELS.invoice, file_path: path, fields: ['line_items'], save_to: 'bad-line.csv' });
    expect(r.isError, textOf(r)).toBeFalsy();
    const review = structuredOf('enqueue_document', r).result!.review!;
    expect(review.issues.map((i) => i.path)).toEqual(['line_items.0.total_price']);
    const rows = await csvRows(join(h.dir, 'bad-line.csv'));
    expect(rows.map((row) => [row.index, row.verdict, row.issues, row.item_issues])).toEqual([
      ['0', 'needs_review', '1', '1'],
      ['1', 'needs_review', '1', '0'],
      ['2', 'needs_review', '1', '0'],
    ]);
  });

  it('a batch: each document its verdict and issue count', async () => {
    h = await startHarness();
    const good = await h.write('good.pdf', makeAcceptedInvoicePdf());
    const iban = await h.write('iban.pdf', makeDisagreeingInvoicePdf('bad_iban'));
    const total = await h.write('total.pdf', makeDisagreeingInvoicePdf('missing_total'));
    const r = await h.call('enqueue_documents', { model_id: DEMO_MODELS.invoice, file_paths: [good, iban, total], fields: ['total_amount'], save_to: 'checked.csv' });
    expect(r.isError, textOf(r)).toBeFalsy();
    const rows = await csvRows(join(h.dir, 'checked.csv'));
    expect(rows.map((row) => [row.file?.split('/').pop(), row.verdict, row.issues, row.total_amount])).toEqual([
      ['good.pdf', 'accept', '0', '274.8'],
      ['iban.pdf', 'needs_review', '1', '274.8'],
      ['total.pdf', 'needs_review', '1', ''],
    ]);
  });
});

describe('save_to of enqueue_documents', () => {
  it('writes one row per document: file, status, ids, the fields asked for, the error of a refused one', async () => {
    h = await startHarness();
    const a = await h.write('a.pdf', makeSampleInvoicePdf());
    const b = await h.write('b.pdf', makeFinancialDocument({ seed: 5 }).pdf);
    const r = await h.call('enqueue_documents', {
      model_id: DEMO_MODELS.invoice,
      file_paths: [a, b, join(h.dir, 'missing.pdf')],
      fields: ['invoice_number', 'total_amount'],
      save_to: 'batch.csv',
    });
    expect(r.isError, textOf(r)).toBeFalsy();
    const sc = structuredOf('enqueue_documents', r);
    expect(sc.saved_to).toBe(join(h.dir, 'batch.csv'));
    expect(textOf(r)).toContain(`3 row(s) of`);
    const rows = await csvRows(join(h.dir, 'batch.csv'));
    expect(Object.keys(rows[0]!).slice(0, 7)).toEqual(['file', 'status', 'job_id', 'inference_id', 'verdict', 'issues', 'error']);
    expect(rows.map((row) => [row.file?.split('/').pop(), row.status, row.invoice_number, row.total_amount])).toEqual([
      ['a.pdf', 'Processed', 'INV-2026-0042', '274.8'],
      ['b.pdf', 'Processed', at(sc.documents[1]!.result, 'fields', 'invoice_number'), String(at(sc.documents[1]!.result, 'fields', 'total_amount'))],
      ['missing.pdf', 'Refused', '', ''],
    ]);
    expect(rows[0]!.job_id).toBe(sc.documents[0]!.job_id);
    expect(rows[2]!.error).toContain('File not found');
  });

  it('writes .jsonl; refuses a .json target before sending anything; a file that exists is said, the rows kept in the answer', async () => {
    h = await startHarness();
    const a = await h.write('a.pdf', makeSampleInvoicePdf());
    const jsonl = await h.call('enqueue_documents', { model_id: DEMO_MODELS.invoice, file_paths: [a], fields: ['total_amount'], save_to: 'batch.jsonl' });
    expect(jsonl.isError, textOf(jsonl)).toBeFalsy();
    const line = JSON.parse((await readFile(join(h.dir, 'batch.jsonl'), 'utf8')).trim());
    expect(line).toMatchObject({ status: 'Processed', total_amount: 274.8 });

    const sent = h.emulator.requests.length;
    const json = await h.call('enqueue_documents', { model_id: DEMO_MODELS.invoice, file_paths: [a], save_to: 'batch.json' });
    expect(json.isError).toBe(true);
    expect(textOf(json)).toMatch(/must end in \.csv or \.jsonl/);
    expect(h.emulator.requests.length).toBe(sent);

    const exists = await h.call('enqueue_documents', { model_id: DEMO_MODELS.invoice, file_paths: [a], save_to: 'batch.jsonl' });
    expect(exists.isError, textOf(exists)).toBeFalsy();
    expect(structuredOf('enqueue_documents', exists).counts.processed).toBe(1);
    expect(structuredOf('enqueue_documents', exists).saved_to).toBeUndefined();
    expect(textOf(exists)).toMatch(/Nothing was saved: .*already exists/);
  });
});
