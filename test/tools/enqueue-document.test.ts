import { afterEach, describe, expect, it, vi } from 'vitest';
import { MindeeAbortError } from '../../src/client/errors.js';
import { DEMO_MODELS } from 'mindee-v2-emulator';
import { makePng, makeSampleInvoicePdf } from 'mindee-v2-emulator/samples';
import { startHarness, textOf, type Harness } from '../helpers/harness.js';
import { structuredOf } from '../helpers/structured.js';

let h: Harness;
afterEach(async () => {
  await h?.close();
});

describe('enqueue_document', () => {
  it('uploads a local file, waits, and returns the fields as text and structured content', async () => {
    h = await startHarness();
    const path = await h.write('invoice.pdf', makeSampleInvoicePdf());
    const result = await h.call('enqueue_document', { model_id: DEMO_MODELS.invoice, file_path: path, alias: 'nov' });
    expect(result.isError).toBeFalsy();
    const sc = structuredOf('enqueue_document', result);
    expect(sc.job).toMatchObject({ status: 'Processed', model_id: DEMO_MODELS.invoice, filename: 'invoice.pdf', alias: 'nov', product: 'extraction' });
    expect(sc.job.inference_id).toBe(sc.result!.inference_id);
    expect(sc.result!.fields!.invoice_number).toBe('INV-2026-0042');
    expect(sc.result!.file).toMatchObject({ name: 'invoice.pdf', page_count: 1, mime_type: 'application/pdf' });
    expect(sc.next_step).toBeNull();
    expect(textOf(result)).toContain('invoice_number: INV-2026-0042');
    expect(result.content).toContainEqual(expect.objectContaining({ type: 'resource_link', uri: `mindee://inferences/${sc.result!.inference_id}` }));
  });

  it('honours extraction options and hands back only the fields asked for', async () => {
    h = await startHarness();
    const path = await h.write('invoice.pdf', makeSampleInvoicePdf());
    const result = await h.call('enqueue_document', {
      model_id: DEMO_MODELS.invoice,
      file_path: path,
      confidence: true,
      raw_text: true,
      detail: 'confidence',
      fields: ['invoice_number'],
    });
    const sc = structuredOf('enqueue_document', result);
    expect(Object.keys(sc.result!.fields!)).toEqual(['invoice_number']);
    expect(sc.result!.fields!.invoice_number).toEqual({ value: 'INV-2026-0042', confidence: expect.any(String) });
    expect(sc.result!.active_options).toMatchObject({ raw_text: true, confidence: true });
    // Asking for fields narrows the answer: the page text is left out, and the note says how to read it.
    expect(sc.result!.raw_text).toBeUndefined();
    expect(sc.result!.notes!.join(' ')).toMatch(/page text is left out.*pages/);
    const withText = await h.call('get_inference_result', { inference_id: sc.result!.inference_id, fields: ['invoice_number'], pages: '1' });
    expect(structuredOf('get_inference_result', withText).raw_text![0]!.content).toContain('Invoice number: INV-2026-0042');
  });

  it('sends base64 input as a file', async () => {
    h = await startHarness();
    const result = await h.call('enqueue_document', {
      model_id: DEMO_MODELS.receipt,
      file_base64: makePng().toString('base64'),
      filename: 'receipt.png',
    });
    expect(result.isError).toBeFalsy();
    expect(structuredOf('enqueue_document', result).result!.file).toMatchObject({ name: 'receipt.png', mime_type: 'image/png' });
  });

  it('returns the job at once with wait=false, and the call that waits for it', async () => {
    h = await startHarness({ emulator: { processingMs: Infinity } });
    const path = await h.write('a.pdf', makeSampleInvoicePdf());
    const result = await h.call('enqueue_document', { model_id: DEMO_MODELS.invoice, file_path: path, wait: false });
    const sc = structuredOf('enqueue_document', result);
    expect(sc.job.status).toBe('Processing');
    expect(sc.result).toBeNull();
    expect(sc.next_step).toContain(`get_job_status with {"job_id": "${sc.job.job_id}", "wait_seconds": 10}`);
  });

  it('hands back a still-processing job as a normal result when the wait runs out, and nothing is lost', async () => {
    h = await startHarness({ emulator: { processingMs: Infinity } });
    const path = await h.write('a.pdf', makeSampleInvoicePdf());
    const result = await h.call('enqueue_document', { model_id: DEMO_MODELS.invoice, file_path: path, max_wait_seconds: 0.3 });
    expect(result.isError).toBeFalsy();
    const sc = structuredOf('enqueue_document', result);
    expect(sc.job.status).toBe('Processing');
    expect(textOf(result)).toContain('Still processing after 0.3 s');
    expect(sc.next_step).toContain('get_job_status');

    h.emulator.completeJob(sc.job.job_id);
    const status = await h.call('get_job_status', { job_id: sc.job.job_id, wait_seconds: 5 });
    const job = structuredOf('get_job_status', status).job;
    expect(job.status).toBe('Processed');
    const fields = await h.call('get_inference_result', { inference_id: job.inference_id });
    expect(structuredOf('get_inference_result', fields).fields!.invoice_number).toBe('INV-2026-0042');
  });

  it('reports a failed job as an error with Mindee\'s reason and no structured content', async () => {
    h = await startHarness();
    const path = await h.write('a.pdf', makeSampleInvoicePdf());
    const result = await h.call('enqueue_document', { model_id: DEMO_MODELS.failing, file_path: path });
    expect(result.isError).toBe(true);
    expect(result.structuredContent).toBeUndefined();
    expect(textOf(result)).toMatch(/Mindee could not process the document \(job [\w-]+ failed\): 500-012/);
    expect(textOf(result)).toMatch(/try again/);
  });

  it('sends a progress heartbeat while it waits, with a growing progress and a readable message', async () => {
    h = await startHarness({ emulator: { processingMs: Infinity }, settings: { heartbeatMs: 20 } });
    const path = await h.write('a.pdf', makeSampleInvoicePdf());
    const progress: Array<{ progress: number; total?: number; message?: string }> = [];
    let jobId = '';
    h.emulator.on('job-created', (job: { id: string }) => {
      jobId = job.id;
    });
    const result = await h.call(
      'enqueue_document',
      { model_id: DEMO_MODELS.invoice, file_path: path },
      {
        onprogress: (p) => {
          progress.push(p);
          if (progress.length === 4) h.emulator.completeJob(jobId);
        },
      },
    );
    expect(result.isError).toBeFalsy();
    expect(progress.length).toBeGreaterThanOrEqual(4);
    for (let i = 1; i < progress.length; i++) expect(progress[i]!.progress).toBeGreaterThan(progress[i - 1]!.progress);
    expect(progress[0]!.total).toBe(10);
    expect(progress.at(-1)!.message).toMatch(/^Processing… \d+ s \(job [\w-]+\)$/);
  });

  it('stops polling at once when the call is cancelled', async () => {
    h = await startHarness({ emulator: { processingMs: Infinity }, settings: { heartbeatMs: 20 } });
    const path = await h.write('a.pdf', makeSampleInvoicePdf());
    const wait = vi.spyOn(h.client, 'waitForResult');
    const controller = new AbortController();
    const call = h.call('enqueue_document', { model_id: DEMO_MODELS.invoice, file_path: path }, {
      signal: controller.signal,
      onprogress: () => controller.abort('user pressed stop'),
    });
    await expect(call).rejects.toThrow();
    await vi.waitFor(() => expect(wait).toHaveBeenCalled());
    await expect(wait.mock.results[0]!.value).rejects.toThrow(MindeeAbortError);
  });

  it('refuses a call with no document, or two', async () => {
    h = await startHarness();
    const none = await h.call('enqueue_document', { model_id: DEMO_MODELS.invoice });
    expect(none.isError).toBe(true);
    expect(textOf(none)).toContain('No document was given');
    expect(textOf(none)).toContain('exactly one of file_path');
    const two = await h.call('enqueue_document', { model_id: DEMO_MODELS.invoice, url: 'https://example.com/a.pdf', file_base64: 'AAAA' });
    expect(textOf(two)).toContain('got url and file_base64');
  });

  it('resolves model aliases and the default model, and lists known aliases for an unknown one', async () => {
    h = await startHarness({ settings: { models: { defaultModelId: DEMO_MODELS.receipt, aliases: { invoice: DEMO_MODELS.invoice } } } });
    const path = await h.write('a.pdf', makeSampleInvoicePdf());
    const byAlias = await h.call('enqueue_document', { model_id: 'Invoice', file_path: path });
    expect(structuredOf('enqueue_document', byAlias).job.model_id).toBe(DEMO_MODELS.invoice);
    const byDefault = await h.call('enqueue_document', { file_path: path });
    expect(structuredOf('enqueue_document', byDefault).job.model_id).toBe(DEMO_MODELS.receipt);
    const unknown = await h.call('enqueue_document', { model_id: 'invoices', file_path: path });
    expect(unknown.isError).toBe(true);
    expect(textOf(unknown)).toContain('Unknown model "invoices"');
    expect(textOf(unknown)).toContain('Known aliases: invoice.');
  });

  it('passes Mindee\'s validation errors on with the field they name', async () => {
    h = await startHarness();
    const path = await h.write('a.pdf', makeSampleInvoicePdf());
    const result = await h.call('enqueue_document', {
      model_id: DEMO_MODELS.invoice,
      file_path: path,
      webhook_ids: ['0a0a0a0a-0000-4000-8000-000000000000'],
    });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/HTTP 422/);
    expect(textOf(result)).toContain('#/webhook_ids');
  });
});
