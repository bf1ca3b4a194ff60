import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { fetch } from 'undici';
import { DEMO_MODELS, EMULATOR_API_KEY, FAILURES, startEmulator } from '../src/index.js';
import type { Emulator, EmulatorOptions, JobJson } from '../src/index.js';
import { makePng, makeSampleInvoicePdf } from '../src/sample-documents.js';
import { call, enqueue, finished, run } from './helpers.js';

let emu: Emulator | undefined;
async function start(options: EmulatorOptions): Promise<Emulator> {
  emu = await startEmulator(options);
  return emu;
}
afterEach(async () => {
  await emu?.close();
  emu = undefined;
});

describe('job lifecycle', () => {
  it('stays Processing (200, no result) until completed, then answers 302 to result_url', async () => {
    const e = await start({ processingMs: Infinity });
    const created = await enqueue(e, { modelId: DEMO_MODELS.invoice, doc: makeSampleInvoicePdf() });
    const id = created.json.job.id;

    const processing = await call(e, 'GET', `/v2/jobs/${id}`);
    expect(processing.status).toBe(200);
    expect(processing.json.job).toMatchObject({ id, status: 'Processing', result_url: null, completed_at: null });

    e.completeJob(id);
    const done = await call(e, 'GET', `/v2/jobs/${id}`);
    expect(done.status).toBe(302);
    expect(done.json.job.status).toBe('Processed');
    expect(done.json.job.completed_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}$/);
    expect(done.json.job.result_url).toMatch(new RegExp(`^${e.url}/v2/inferences/[0-9a-f-]{36}$`));
    expect(done.json.job.result_url).not.toContain(id);
    expect(done.headers.location).toBe(done.json.job.result_url);

    const noRedirect = await call(e, 'GET', `/v2/jobs/${id}?redirect=false`);
    expect(noRedirect.status).toBe(200);
    expect(noRedirect.json.job.result_url).toBe(done.json.job.result_url);

    const result = await call(e, 'GET', done.headers.location as string);
    expect(result.status).toBe(200);
    expect(result.json.inference.job.id).toBe(id);
  });

  it('reads the usual false values of ?redirect= in any case, and redirects otherwise', async () => {
    const e = await start({ processingMs: 0 });
    const created = await enqueue(e, { modelId: DEMO_MODELS.invoice, doc: makePng() });
    await finished(e, created.json.job.id);
    const statusWith = async (query: string) => (await call(e, 'GET', `/v2/jobs/${created.json.job.id}${query}`)).status;
    for (const value of ['false', 'False', 'FALSE', '0', 'no', 'NO', 'off', 'Off', 'f', 'n']) {
      expect(await statusWith(`?redirect=${value}`), value).toBe(200);
    }
    for (const query of ['', '?redirect=true', '?redirect=1', '?redirect=yes', '?redirect=on']) {
      expect(await statusWith(query), query).toBe(302);
    }
  });

  it('serves the result to a client that follows the redirect', async () => {
    const e = await start({ processingMs: 0 });
    const created = await enqueue(e, { modelId: DEMO_MODELS.invoice, doc: makePng() });
    await finished(e, created.json.job.id);
    const res = await fetch(created.json.job.polling_url, { headers: { authorization: EMULATOR_API_KEY } });
    expect(res.status).toBe(200);
    expect(res.redirected).toBe(true);
    const body = (await res.json()) as { inference: { job: { id: string } } };
    expect(body.inference.job.id).toBe(created.json.job.id);
  });

  it('with processingMs 0 the first GET already sees the job Processed', async () => {
    const e = await start({ processingMs: 0 });
    const created = await enqueue(e, { modelId: DEMO_MODELS.receipt, doc: makePng() });
    expect(created.json.job.status).toBe('Processing');
    const first = await call(e, 'GET', `/v2/jobs/${created.json.job.id}`);
    expect(first.status).toBe(302);
  });

  it('asks a processingMs function for each job, and emits job-created and job-finished', async () => {
    const seen: { modelId: string; product: string; pageCount: number; filename: string | null }[] = [];
    const e = await start({
      processingMs: (job) => {
        seen.push(job);
        return job.product === 'ocr' ? 0 : Infinity;
      },
    });
    const createdEvent = once(e, 'job-created');
    const ocr = await enqueue(e, { route: '/v2/products/ocr/enqueue', modelId: DEMO_MODELS.ocr, doc: makeSampleInvoicePdf(), filename: 'a.pdf' });
    const [createdJob] = (await createdEvent) as [JobJson];
    expect(createdJob.id).toBe(ocr.json.job.id);
    const finishedJob = await finished(e, ocr.json.job.id);
    expect(finishedJob.status).toBe('Processed');
    const slow = await enqueue(e, { modelId: DEMO_MODELS.invoice, doc: makePng() });
    expect(e.job(slow.json.job.id)?.job.status).toBe('Processing');
    expect(seen).toEqual([
      { modelId: DEMO_MODELS.ocr, product: 'ocr', pageCount: 1, filename: 'a.pdf' },
      { modelId: DEMO_MODELS.invoice, product: 'extraction', pageCount: 1, filename: 'document.pdf' },
    ]);
  });

  it('fails jobs of the failing model with 500-012 in job.error and no result', async () => {
    const e = await start({ processingMs: 0 });
    const created = await enqueue(e, { modelId: DEMO_MODELS.failing, doc: makePng(), fields: { alias: 'x' } });
    const job = await finished(e, created.json.job.id);
    expect(job.status).toBe('Failed');
    const res = await call(e, 'GET', `/v2/jobs/${job.id}`);
    expect(res.status).toBe(200);
    expect(res.json.job).toMatchObject({ status: 'Failed', result_url: null, alias: 'x' });
    expect(res.json.job.completed_at).not.toBeNull();
    expect(res.json.job.error).toMatchObject({ status: 500, code: '500-012', errors: [] });
    expect(typeof res.json.job.error.title).toBe('string');
    expect(typeof res.json.job.error.detail).toBe('string');
  });

  it('failJob fails a job with the given error, completeJob on an unknown job throws', async () => {
    const e = await start({ processingMs: Infinity });
    const created = await enqueue(e, { modelId: DEMO_MODELS.invoice, doc: makePng() });
    e.failJob(created.json.job.id, FAILURES['422-001']());
    const res = await call(e, 'GET', `/v2/jobs/${created.json.job.id}`);
    expect(res.json.job.error).toMatchObject({ status: 422, code: '422-001', errors: [{ pointer: '#/file' }] });
    expect(() => e.completeJob('00000000-0000-4000-8000-000000000000')).toThrow(/No live job/);
    const other = await enqueue(e, { modelId: DEMO_MODELS.invoice, doc: makePng() });
    e.failJob(other.json.job.id);
    expect(e.job(other.json.job.id)?.job.error?.code).toBe('500-012');
  });

  it('a model can fail every job with a chosen code', async () => {
    const id = '11111111-2222-4333-8444-555555555555';
    const e = await start({ processingMs: 0, models: [{ id, name: 'Rejecting (simulated)', modelType: 'crop', failWith: FAILURES['422-001']() }] });
    const created = await enqueue(e, { route: '/v2/products/crop/enqueue', modelId: id, doc: makePng() });
    const job = await finished(e, created.json.job.id);
    expect(job.error?.code).toBe('422-001');
  });

  it('deletes a delete-on-fetch result once fetched: result and job then answer 404', async () => {
    const e = await start({ processingMs: 0 });
    const { job, result } = await run(e, { modelId: DEMO_MODELS.deleteOnFetch, doc: makeSampleInvoicePdf() });
    expect(result.status).toBe(200);
    expect((await call(e, 'GET', job.result_url as string)).status).toBe(404);
    expect((await call(e, 'GET', `/v2/jobs/${job.id}`)).status).toBe(404);
    expect(e.job(job.id)).toBeUndefined();
  });

  it('expires jobs and results after resultTtlMs', async () => {
    let now = Date.UTC(2026, 0, 1);
    const e = await start({ processingMs: 0, resultTtlMs: 60_000, clock: () => now });
    const created = await enqueue(e, { modelId: DEMO_MODELS.invoice, doc: makePng() });
    expect(created.json.job.created_at).toBe('2026-01-01T00:00:00.000000');
    await finished(e, created.json.job.id);
    const done = await call(e, 'GET', `/v2/jobs/${created.json.job.id}`);
    expect(done.status).toBe(302);
    now += 59_000;
    expect((await call(e, 'GET', done.json.job.result_url)).status).toBe(200);
    now += 2_000;
    expect((await call(e, 'GET', done.json.job.result_url)).status).toBe(404);
    expect((await call(e, 'GET', `/v2/jobs/${created.json.job.id}`)).status).toBe(404);
  });

  it('answers 404 on the result route of another product', async () => {
    const e = await start({ processingMs: 0 });
    const { job } = await run(e, { route: '/v2/products/ocr/enqueue', modelId: DEMO_MODELS.ocr, doc: makePng() });
    const inferenceId = (job.result_url as string).split('/').pop();
    expect(job.result_url).toBe(`${e.url}/v2/products/ocr/results/${inferenceId}`);
    expect((await call(e, 'GET', `/v2/inferences/${inferenceId}`)).status).toBe(404);
    expect((await call(e, 'GET', `/v2/products/crop/results/${inferenceId}`)).status).toBe(404);
    expect((await call(e, 'GET', `/v2/products/ocr/results/${inferenceId}`)).status).toBe(200);
  });

  it('writes publicBaseUrl into polling_url, result_url and Location', async () => {
    const e = await start({ processingMs: 0, publicBaseUrl: 'https://mindee.proxy.example/api/' });
    const created = await enqueue(e, { modelId: DEMO_MODELS.invoice, doc: makePng() });
    expect(created.json.job.polling_url).toBe(`https://mindee.proxy.example/api/v2/jobs/${created.json.job.id}`);
    await finished(e, created.json.job.id);
    const done = await call(e, 'GET', `/v2/jobs/${created.json.job.id}`);
    expect(done.headers.location).toMatch(/^https:\/\/mindee\.proxy\.example\/api\/v2\/inferences\//);
  });
});
