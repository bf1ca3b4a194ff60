import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DEMO_MODELS } from 'mindee-v2-emulator';
import { makePdf, makeSampleInvoicePdf } from 'mindee-v2-emulator/samples';
import { startHarness, textOf, type Harness } from '../helpers/harness.js';
import { at, structuredOf } from '../helpers/structured.js';

let h: Harness;
afterEach(async () => {
  await h?.close();
});

async function folder(name: string, count: number): Promise<string> {
  const dir = join(h.dir, name);
  await mkdir(dir);
  for (let i = 0; i < count; i++) await writeFile(join(dir, `invoice-${String(i).padStart(2, '0')}.pdf`), makeSampleInvoicePdf());
  return dir;
}

describe('enqueue_documents', () => {
  it('processes a folder and a URL, one row each, with refusals beside the successes', async () => {
    h = await startHarness();
    const dir = await folder('march', 4);
    await writeFile(join(dir, 'notes.txt'), 'not a document\n'.repeat(20));
    await writeFile(join(dir, '.hidden.pdf'), makeSampleInvoicePdf());
    const progress: number[] = [];
    const result = await h.call(
      'enqueue_documents',
      { model_id: DEMO_MODELS.invoice, file_paths: [dir, join(h.dir, 'missing.pdf')], urls: ['https://example.com/bill.pdf'], fields: ['invoice_number'] },
      { onprogress: (p) => progress.push(p.progress) },
    );
    expect(result.isError, textOf(result)).toBeFalsy();
    const sc = structuredOf('enqueue_documents', result);
    expect(sc.counts).toEqual({ total: 7, processed: 5, processing: 0, failed: 0, refused: 2, not_sent: 0 });
    expect(sc.documents.map((d) => [d.source.split('/').pop(), d.status])).toEqual([
      ['invoice-00.pdf', 'Processed'],
      ['invoice-01.pdf', 'Processed'],
      ['invoice-02.pdf', 'Processed'],
      ['invoice-03.pdf', 'Processed'],
      ['notes.txt', 'Refused'],
      ['missing.pdf', 'Refused'],
      ['bill.pdf', 'Processed'],
    ]);
    expect(at(sc.documents[0]!.result, 'fields')).toEqual({ invoice_number: 'INV-2026-0042' });
    expect(sc.documents[4]!.error).toContain('looks like a text file');
    expect(sc.documents[5]!.error).toContain('File not found');
    expect(sc.next_step).toBeNull();
    expect(textOf(result)).toContain('7 document(s): 5 processed, 0 processing, 0 failed, 2 refused, 0 not sent.');
    for (let i = 1; i < progress.length; i++) expect(progress[i]).toBeGreaterThan(progress[i - 1]!);
    expect(Math.floor(progress.at(-1)!)).toBe(7);
  });

  it('keeps the successes when some jobs fail', async () => {
    h = await startHarness({ emulator: { processingMs: Infinity } });
    let n = 0;
    h.emulator.on('job-created', (job: { id: string }) => {
      const id = job.id;
      const fail = n++ === 1;
      setImmediate(() => (fail ? h.emulator.failJob(id) : h.emulator.completeJob(id)));
    });
    const dir = await folder('mixed', 3);
    const sc = structuredOf('enqueue_documents', await h.call('enqueue_documents', { model_id: DEMO_MODELS.invoice, file_paths: [dir] }));
    expect(sc.counts).toMatchObject({ processed: 2, failed: 1 });
    expect(sc.documents.find((d) => d.status === 'Failed')!.error).toMatch(/could not process the document/);
  });

  it('hands back what outlives the wait, and resumes it by job id', async () => {
    h = await startHarness({ emulator: { processingMs: Infinity } });
    const dir = await folder('slow', 3);
    const first = structuredOf('enqueue_documents', await h.call('enqueue_documents', { model_id: DEMO_MODELS.invoice, file_paths: [dir], max_wait_seconds: 0.3 }));
    expect(first.counts.processing).toBe(3);
    const jobIds = first.documents.map((d) => d.job_id);
    expect(first.next_step).toContain(JSON.stringify(jobIds));
    // Only what resumes them: the jobs say their model.
    expect(first.next_step).not.toContain('model_id');
    for (const id of jobIds) h.emulator.completeJob(id!);
    const resumed = structuredOf('enqueue_documents', await h.call('enqueue_documents', { job_ids: jobIds }));
    expect(resumed.counts).toMatchObject({ total: 3, processed: 3 });
    expect(at(resumed.documents[2]!.result, 'fields', 'invoice_number')).toBe('INV-2026-0042');
    expect(resumed.documents.every((d) => d.error === null)).toBe(true);
  });

  it('says so when a resumed job belongs to another model than the one given', async () => {
    h = await startHarness();
    const dir = await folder('one', 1);
    const first = structuredOf('enqueue_documents', await h.call('enqueue_documents', { model_id: DEMO_MODELS.invoice, file_paths: [dir], wait: false }));
    const resumed = structuredOf('enqueue_documents', await h.call('enqueue_documents', { model_id: DEMO_MODELS.receipt, job_ids: [first.documents[0]!.job_id] }));
    expect(resumed.documents[0]!.status).toBe('Processed');
    expect(resumed.documents[0]!.error).toContain(`belongs to model ${DEMO_MODELS.invoice}`);
  });

  it('reports progress that matches the answer and never passes its total', async () => {
    h = await startHarness({ emulator: { processingMs: Infinity }, settings: { heartbeatMs: 20 } });
    let created = 0;
    h.emulator.on('job-created', (job: { id: string }) => {
      // Two of four finish; two outlive the wait.
      if (created++ < 2) setImmediate(() => h.emulator.completeJob(job.id));
    });
    const dir = await folder('half', 4);
    const progress: Array<{ progress: number; total?: number; message?: string }> = [];
    const sc = structuredOf('enqueue_documents', await h.call('enqueue_documents', { model_id: DEMO_MODELS.invoice, file_paths: [dir], max_wait_seconds: 0.6 }, { onprogress: (p) => progress.push(p) }));
    expect(sc.counts).toMatchObject({ processed: 2, processing: 2 });
    expect(progress.length).toBeGreaterThan(1);
    for (const p of progress) {
      expect(p.total).toBe(4);
      expect(p.progress).toBeLessThan(3);
    }
    expect(progress.at(-1)!.message).toMatch(/^2\/4 documents finished/);
  });

  it('leaves documents it had no time to send as not sent, in the resume call', async () => {
    h = await startHarness({ client: { rateLimits: { postPerMinute: 2, getPerMinute: 1000 } } });
    const dir = await folder('many', 5);
    const sc = structuredOf('enqueue_documents', await h.call('enqueue_documents', { model_id: DEMO_MODELS.invoice, file_paths: [dir], max_wait_seconds: 0.5 }));
    const sent = h.emulator.requests.filter((r) => r.method === 'POST').length;
    expect(sent).toBeGreaterThanOrEqual(1);
    expect(sent).toBeLessThanOrEqual(2);
    expect(sc.counts).toMatchObject({ processed: sent, not_sent: 5 - sent });
    const notSent = sc.documents.filter((d) => d.status === 'NotSent').map((d) => d.source);
    expect(sc.next_step).toContain(`"file_paths":${JSON.stringify(notSent)}`);
  });

  it('stays within the size budget, pointing at the results it left out', async () => {
    h = await startHarness();
    const dir = await folder('budget', 12);
    const result = await h.call('enqueue_documents', { model_id: DEMO_MODELS.invoice, file_paths: [dir], max_chars: 3000 });
    const sc = structuredOf('enqueue_documents', result);
    expect(sc.counts.processed).toBe(12);
    expect(textOf(result).length).toBeLessThanOrEqual(3000);
    expect(JSON.stringify(sc).length).toBeLessThanOrEqual(3000);
    expect(sc.left_out).toMatch(/results (and verdicts )?of \d+ processed document\(s\) are left out/);
    expect(sc.documents.every((d) => d.inference_id)).toBe(true);
  });

  it('refuses an empty call, saying what to pass', async () => {
    h = await startHarness();
    const r = await h.call('enqueue_documents', { model_id: DEMO_MODELS.invoice });
    expect(r.isError).toBe(true);
    expect(textOf(r)).toContain('No documents were given');
  });

  it('handles a multi-page document like any other', async () => {
    h = await startHarness();
    const path = await h.write('report.pdf', makePdf({ pages: [['a'], ['b'], ['c']] }));
    const sc = structuredOf('enqueue_documents', await h.call('enqueue_documents', { model_id: DEMO_MODELS.ocr, product: 'ocr', file_paths: [path] }));
    expect(at(sc.documents[0]!.result, 'ocr')).toHaveLength(3);
  });
});
