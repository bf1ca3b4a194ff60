import { afterEach, describe, expect, it } from 'vitest';
import { DEMO_MODELS } from 'mindee-v2-emulator';
import { makePdf, makeSampleInvoicePdf } from 'mindee-v2-emulator/samples';
import { productOf } from '../../src/results/inference.js';
import { startHarness, textOf, type Harness } from '../helpers/harness.js';
import { structuredOf } from '../helpers/structured.js';

let h: Harness;
afterEach(async () => {
  await h?.close();
});

const pages = (n: number) => makePdf({ pages: Array.from({ length: n }, (_, i) => [`Page ${i + 1} of the report`, 'Lorem ipsum dolor sit amet '.repeat(8)]) });

async function enqueue(product: string, modelId: string, bytes: Buffer, extra: Record<string, unknown> = {}) {
  const path = await h.write(`${product}.pdf`, bytes);
  const result = await h.call('enqueue_document', { model_id: modelId, product, file_path: path, ...extra });
  expect(result.isError, textOf(result)).toBeFalsy();
  return result;
}

describe('every product round-trips through the tools', () => {
  it('classification, crop, split and ocr come back shaped for a reader', async () => {
    h = await startHarness();
    const classification = structuredOf('enqueue_document', await enqueue('classification', DEMO_MODELS.classification, makeSampleInvoicePdf()));
    expect(classification.result!.product).toBe('classification');
    expect(typeof classification.result!.classification!.document_type).toBe('string');

    const crop = structuredOf('enqueue_document', await enqueue('crop', DEMO_MODELS.crop, pages(2)));
    expect(crop.result!.crops!.length).toBeGreaterThan(0);
    for (const c of crop.result!.crops!) {
      expect(c.page).toBeGreaterThanOrEqual(1);
      expect(c.box).toHaveLength(4);
    }

    const split = structuredOf('enqueue_document', await enqueue('split', DEMO_MODELS.split, pages(5)));
    const covered = split.result!.splits!.flatMap((s) => Array.from({ length: s.last_page - s.first_page + 1 }, (_, i) => s.first_page + i));
    expect(covered).toEqual([1, 2, 3, 4, 5]);

    const ocr = structuredOf('enqueue_document', await enqueue('ocr', DEMO_MODELS.ocr, pages(3)));
    expect(ocr.result!.ocr!.map((p) => p.page)).toEqual([1, 2, 3]);
    expect(ocr.result!.ocr![1]!.content).toContain('Page 2 of the report');
    expect(ocr.result!.ocr![0]!.words).toBeUndefined();
    expect(ocr.job.product).toBe('ocr');
  });

  it('refuses an extraction-only option on a utility product instead of dropping it', async () => {
    h = await startHarness();
    const path = await h.write('a.pdf', pages(1));
    const result = await h.call('enqueue_document', { model_id: DEMO_MODELS.ocr, product: 'ocr', file_path: path, raw_text: true });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain('raw_text apply only to the extraction product');
  });
});

describe('get_inference_result', () => {
  it('reads a 40-page OCR result window by window, no answer over the budget', async () => {
    h = await startHarness({ settings: { maxResultChars: 6_000 } });
    const first = structuredOf('enqueue_document', await enqueue('ocr', DEMO_MODELS.ocr, pages(40), { wait: true }));
    const inferenceId = first.job.inference_id;
    const seen: number[] = [];
    let args: Record<string, unknown> | undefined = { inference_id: inferenceId, pages: '1-' };
    for (let i = 0; i < 40 && args; i++) {
      const r = await h.call('get_inference_result', args);
      expect(r.isError, textOf(r)).toBeFalsy();
      expect(textOf(r).length).toBeLessThanOrEqual(6_000);
      expect(JSON.stringify(r.structuredContent).length).toBeLessThanOrEqual(6_000);
      const sc = structuredOf('get_inference_result', r);
      seen.push(...sc.ocr!.map((p) => p.page));
      args = sc.continuation?.next_call?.arguments;
    }
    expect(seen).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
  });

  it('reads a result twice from a model that deletes results once fetched', async () => {
    h = await startHarness();
    const r = structuredOf('enqueue_document', await enqueue('extraction', DEMO_MODELS.deleteOnFetch, makeSampleInvoicePdf()));
    const id = r.job.inference_id;
    // The API has deleted it now…
    const direct = await fetch(`${h.emulator.url}/v2/inferences/${id}`, { headers: { authorization: h.emulator.apiKey } });
    expect(direct.status).toBe(404);
    // …but the server kept it.
    for (let i = 0; i < 2; i++) {
      const again = await h.call('get_inference_result', { inference_id: id });
      expect(again.isError, textOf(again)).toBeFalsy();
      expect(structuredOf('get_inference_result', again).fields).toEqual(r.result!.fields);
    }
    const resource = await h.mcp.readResource({ uri: `mindee://inferences/${id}` });
    const body = JSON.parse((resource.contents[0] as { text: string }).text);
    expect(body.inference.id).toBe(id);
    expect(body.inference.result.fields).toBeTruthy();
    const listed = await h.mcp.listResources();
    expect(listed.resources.map((res) => res.uri)).toContain(`mindee://inferences/${id}`);
  });

  it('reads any product’s result as a resource in a process that has not kept it, by its URI or by its id alone', async () => {
    h = await startHarness();
    const made: Record<string, { id: string; uri: string }> = {};
    const docs: Record<string, Buffer> = { classification: makeSampleInvoicePdf(), crop: pages(2), ocr: pages(2), split: pages(3) };
    for (const [product, doc] of Object.entries(docs)) {
      const { result } = structuredOf('enqueue_document', await enqueue(product, DEMO_MODELS[product as keyof typeof DEMO_MODELS], doc));
      made[product] = { id: result!.inference_id, uri: result!.resource_uri };
      expect(result!.resource_uri).toBe(`mindee://inferences/${result!.inference_id}?product=${product}`);
    }
    // A new process on the same API: nothing kept, no job seen.
    const fresh = await startHarness({ sharedEmulator: h.emulator });
    try {
      for (const [product, { id, uri }] of Object.entries(made)) {
        for (const asked of [uri, `mindee://inferences/${id}`]) {
          const resource = await fresh.mcp.readResource({ uri: asked });
          const body = JSON.parse((resource.contents[0] as { text: string }).text);
          expect(body.inference.id, `${product} ${asked}`).toBe(id);
          expect(productOf(body.inference.result), asked).toBe(product);
        }
      }
      await expect(fresh.mcp.readResource({ uri: `mindee://inferences/${made.ocr!.id}?product=invoice` })).rejects.toMatchObject({ code: -32602 });
      const missing = fresh.mcp.readResource({ uri: 'mindee://inferences/0c47e7b8-0000-4a70-97e3-b726d6d8b805' });
      await expect(missing).rejects.toMatchObject({ code: -32602 });
      await expect(missing).rejects.toThrow(/No product's result route \(extraction, classification, crop, ocr, split\) has it/);
    } finally {
      await fresh.close();
    }
  });

  it('answers an unknown result resource with the spec\'s "resource not found" (-32602 with its uri; -32002 before 2026-07-28)', async () => {
    h = await startHarness();
    const uri = 'mindee://inferences/no-such-result';
    await expect(h.mcp.readResource({ uri })).rejects.toMatchObject({ code: -32602, data: { uri } });
    await expect(h.mcp.readResource({ uri: 'mindee://inferences/..%2Fsearch' })).rejects.toMatchObject({ code: -32602, message: expect.stringContaining('Resource not found') });
  });

  it('routes a utility product result it has not seen the job of, given the product', async () => {
    h = await startHarness();
    const r = structuredOf('enqueue_document', await enqueue('split', DEMO_MODELS.split, pages(3)));
    // Another server session on the same API: it has never seen this job.
    const fresh = await startHarness({ sharedEmulator: h.emulator });
    try {
      const withoutProduct = await fresh.call('get_inference_result', { inference_id: r.job.inference_id });
      expect(withoutProduct.isError).toBe(true);
      expect(textOf(withoutProduct)).toContain('pass product (classification, crop, ocr or split)');
      const withProduct = await fresh.call('get_inference_result', { inference_id: r.job.inference_id, product: 'split' });
      expect(withProduct.isError, textOf(withProduct)).toBeFalsy();
      expect(structuredOf('get_inference_result', withProduct).splits).toEqual(r.result!.splits);
    } finally {
      await fresh.close();
    }
  });

  it('says what is wrong with an unknown or malformed id', async () => {
    h = await startHarness();
    const missing = await h.call('get_inference_result', { inference_id: 'does-not-exist' });
    expect(missing.isError).toBe(true);
    // Mindee's 404 is answered as any id the caller cannot read: the same words whatever the reason.
    expect(textOf(missing)).toMatch(/^No result with id does-not-exist is known to you/);
    expect(textOf(missing)).toMatch(/may have expired/);
    const traversal = await h.call('get_job_status', { job_id: '../search/models' });
    expect(textOf(traversal)).toContain('ids contain only letters, digits');
    expect(h.emulator.requests.some((r) => r.path.includes('search'))).toBe(false);
    expect(textOf(missing)).not.toContain('inside this server process');
  });

  it('says, with an in-process emulator, that a job of an earlier process is gone, and how to keep one', async () => {
    h = await startHarness({ settings: { inProcessEmulator: true } });
    for (const [tool, args] of [
      ['get_job_status', { job_id: 'job-from-another-process' }],
      ['get_inference_result', { inference_id: 'result-from-another-process' }],
    ] as const) {
      const missing = await h.call(tool, args);
      expect(missing.isError).toBe(true);
      expect(textOf(missing)).toMatch(/^No (job|result) with id .+ is known to you/);
      expect(textOf(missing)).toContain('The emulator runs inside this server process (--emulator)');
      expect(textOf(missing)).toContain('mindee-mcp emulator --port 8080');
      expect(textOf(missing)).toContain('MINDEE_V2_BASE_URL=http://127.0.0.1:8080');
    }
  });
});

describe('get_job_status', () => {
  it('answers at once for a processing job, and reports a failed one with its error', async () => {
    h = await startHarness({ emulator: { processingMs: Infinity } });
    const path = await h.write('a.pdf', makeSampleInvoicePdf());
    const queued = structuredOf('enqueue_document', await h.call('enqueue_document', { model_id: DEMO_MODELS.invoice, file_path: path, wait: false }));
    const status = await h.call('get_job_status', { job_id: queued.job.job_id });
    expect(structuredOf('get_job_status', status).job).toMatchObject({ status: 'Processing', inference_id: null, product: 'extraction' });
    h.emulator.failJob(queued.job.job_id, { status: 422, code: '422-001', title: 'Invalid document', detail: 'The file could not be read.' });
    const failed = await h.call('get_job_status', { job_id: queued.job.job_id });
    expect(failed.isError).toBeFalsy();
    const sc = structuredOf('get_job_status', failed);
    expect(sc.job.status).toBe('Failed');
    expect(sc.job.error).toMatchObject({ code: '422-001', detail: 'The file could not be read.' });
    expect(textOf(failed)).toContain('error: 422-001 Invalid document — The file could not be read.');
  });
});

describe('search_models', () => {
  it('lists models with their type and aliases, filtered by name and type', async () => {
    h = await startHarness({ settings: { models: { defaultModelId: undefined, aliases: { bills: DEMO_MODELS.invoice } } } });
    const all = await h.call('search_models', {});
    const models = structuredOf('search_models', all).models;
    expect(models.length).toBeGreaterThanOrEqual(6);
    expect(models.find((m) => m.id === DEMO_MODELS.invoice)!.aliases).toEqual(['bills']);
    const ocr = await h.call('search_models', { model_type: 'ocr' });
    expect(structuredOf('search_models', ocr).models.every((m) => m.model_type === 'ocr')).toBe(true);
    const byName = await h.call('search_models', { name: 'RECEIPT' });
    expect(structuredOf('search_models', byName).models.map((m) => m.id)).toContain(DEMO_MODELS.receipt);
    const paged = structuredOf('search_models', await h.call('search_models', { per_page: 2 }));
    expect(paged.models).toHaveLength(2);
    expect(paged.next_step).toContain('"page":2');
  });
});

describe('save_to', () => {
  it('writes the full result JSON to a new file in an allowed directory, never over one', async () => {
    const { readFile } = await import('node:fs/promises');
    h = await startHarness();
    const r = structuredOf('enqueue_document', await enqueue('extraction', DEMO_MODELS.invoice, makeSampleInvoicePdf(), { save_to: 'first.json' }));
    expect(r.result!.saved_to).toBe(`${h.dir}/first.json`);
    const saved = JSON.parse(await readFile(`${h.dir}/first.json`, 'utf8'));
    expect(saved.inference.id).toBe(r.job.inference_id);
    expect(saved.inference.result.fields.invoice_number.value).toBe('INV-2026-0042');

    const again = await h.call('get_inference_result', { inference_id: r.job.inference_id, save_to: 'first.json' });
    expect(again.isError).toBe(true);
    expect(textOf(again)).toContain('already exists; it was not overwritten');
    const outside = await h.call('get_inference_result', { inference_id: r.job.inference_id, save_to: '/tmp/../etc/evil.json' });
    expect(outside.isError).toBe(true);
    expect(textOf(outside)).toMatch(/outside the directories this server may read/);
    const second = await h.call('get_inference_result', { inference_id: r.job.inference_id, save_to: `${h.dir}/second.json`, fields: ['invoice_number'] });
    expect(textOf(second)).toContain(`saved to ${h.dir}/second.json`);
  });
});
