/**
 * Arbitrary JSON for every tool's arguments (issue 9's proof): whatever a confused or malicious
 * model sends, the answer is never an internal error, never a hang, never a key (the global
 * scan sees every result) and always within its budget. The seed is fixed: the run is the same
 * on every machine; a failure prints the smallest arguments that cause it.
 */
import fc from 'fast-check';
import { DEMO_MODELS } from 'mindee-v2-emulator';
import { makeSampleInvoicePdf } from 'mindee-v2-emulator/samples';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, textOf, type Harness } from '../helpers/harness.js';
import { TEST_API_KEY } from '../setup/secrets.js';

const RUNS = 100;
const BUDGET = 20_000;

let h: Harness;
let inferenceId: string;
let jobId: string;
let file: string;

beforeAll(async () => {
  h = await startHarness({ settings: { maxWaitSeconds: 2, maxResultChars: BUDGET, models: { defaultModelId: undefined, aliases: { invoice: DEMO_MODELS.invoice } } } });
  file = await h.write('invoice.pdf', makeSampleInvoicePdf());
  const done = await h.call('enqueue_document', { model_id: 'invoice', file_path: file, raw_text: true });
  const sc = done.structuredContent as { job: { job_id: string }; result: { inference_id: string } };
  [jobId, inferenceId] = [sc.job.job_id, sc.result.inference_id];
});
afterAll(async () => {
  await h?.close();
});

/** Values a model might put anywhere: JSON of any shape, and the strings that break naive code. */
function anything(): fc.Arbitrary<unknown> {
  const nasty = fc.constantFrom(
    '__proto__',
    'constructor',
    'prototype',
    '__proto__.x',
    'constructor.prototype.isError',
    '../../etc/passwd',
    '/mnt/user-data/uploads/a.pdf',
    'file:///etc/passwd',
    'https://example.com/a.pdf',
    'http://example.com/a.pdf',
    '\u001b]0;x\u0007',
    '1e400',
    '-1',
    '9'.repeat(400),
    'A'.repeat(70_000),
    TEST_API_KEY,
    `${TEST_API_KEY.slice(0, 12)}…`,
    '',
  );
  return fc.oneof(
    { weight: 3, arbitrary: fc.jsonValue({ maxDepth: 4 }) },
    { weight: 2, arbitrary: nasty },
    { weight: 1, arbitrary: fc.array(nasty, { maxLength: 4 }) },
    { weight: 1, arbitrary: fc.constant(() => file).map((f) => f()) },
    { weight: 1, arbitrary: fc.constantFrom(inferenceId, jobId, DEMO_MODELS.invoice, 'invoice', 'full', 'values', 'ocr', '1-', '2') },
  );
}

const ARGUMENTS: Record<string, string[]> = {
  enqueue_document: ['model_id', 'product', 'file_path', 'url', 'file_base64', 'filename', 'alias', 'webhook_ids', 'rag', 'raw_text', 'polygon', 'confidence', 'text_context', 'data_schema', 'wait', 'max_wait_seconds', 'detail', 'fields', 'pages', 'max_chars', 'save_to'],
  enqueue_documents: ['model_id', 'product', 'file_paths', 'urls', 'job_ids', 'webhook_ids', 'raw_text', 'wait', 'max_wait_seconds', 'detail', 'fields', 'max_chars'],
  get_job_status: ['job_id', 'wait_seconds'],
  get_inference_result: ['inference_id', 'product', 'detail', 'fields', 'pages', 'max_chars', 'save_to'],
  search_models: ['name', 'model_type', 'page', 'per_page'],
};

interface JsonSchema {
  type?: string | string[];
  exclusiveMinimum?: number;
  enum?: unknown[];
  items?: JsonSchema;
  minimum?: number;
  maximum?: number;
}

/** A value of the schema's type, in range (nasty strings included) — or, when `loose`, often anything at all. */
function valueFor(schema: JsonSchema | undefined, loose: boolean): fc.Arbitrary<unknown> {
  const type = Array.isArray(schema?.type) ? schema.type[0] : schema?.type;
  let typed: fc.Arbitrary<unknown>;
  if (schema?.enum) typed = fc.constantFrom(...schema.enum);
  else if (type === 'string') typed = fc.oneof(anything().filter((v) => typeof v === 'string'), fc.string({ maxLength: 40 }));
  else if (type === 'number' || type === 'integer') {
    const min = schema?.minimum ?? (schema?.exclusiveMinimum !== undefined ? schema.exclusiveMinimum + 0.5 : 0);
    const max = Math.min(schema?.maximum ?? 200_000, 200_000);
    typed = fc.oneof(
      { weight: 4, arbitrary: fc.integer({ min: Math.ceil(min), max: Math.floor(max) }) },
      { weight: 1, arbitrary: type === 'integer' ? fc.constantFrom(Math.ceil(min), Math.floor(max)) : fc.double({ min, max, noNaN: true }) },
    );
  }
  else if (type === 'boolean') typed = fc.boolean();
  else if (type === 'array') typed = fc.array(valueFor(schema?.items, loose), { maxLength: 5 });
  else if (type === 'object') typed = fc.dictionary(fc.constantFrom('replace', 'fields', '__proto__', 'x'), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 3 });
  else typed = anything();
  if (!loose) return typed;
  return fc.oneof({ weight: 2, arbitrary: typed }, { weight: 1, arbitrary: anything() }, { weight: 1, arbitrary: fc.constantFrom(-1, 0, 1e308, -1e308, 0.5, null) });
}

function argumentsOf(tool: string, properties: Record<string, JsonSchema>, loose: boolean): fc.Arbitrary<Record<string, unknown>> {
  const known = Object.fromEntries(ARGUMENTS[tool]!.map((name) => [name, valueFor(properties[name], loose)]));
  return fc
    .tuple(fc.record(known, { requiredKeys: [] }), fc.dictionary(fc.string({ maxLength: 12 }), anything(), { maxKeys: 2 }))
    .map(([args, extra]) => ({ ...extra, ...args }));
}

describe('fuzzing every tool\'s arguments', () => {
  it.each(Object.keys(ARGUMENTS).flatMap((tool) => [[tool, 'shaped like its schema'], [tool, 'of any shape']]))(
    '%s, arguments %s: never an internal error, never a hang, always within budget',
    async (tool, kind) => {
      const loose = kind === 'of any shape';
      let answered = 0;
      const schema = (await h.mcp.listTools()).tools.find((t) => t.name === tool)!.inputSchema as { properties: Record<string, JsonSchema> };
      await fc.assert(
        fc.asyncProperty(argumentsOf(tool, schema.properties, loose), async (args) => {
          const r = await h.call(tool, args);
          const text = textOf(r);
          if (!text.includes('Input validation error')) answered++;
          expect(text).not.toContain('unexpected internal error');
          const max = typeof args.max_chars === 'number' && Number.isInteger(args.max_chars) && args.max_chars >= 2000 && args.max_chars <= 100_000 ? args.max_chars : BUDGET;
          expect(text.length).toBeLessThanOrEqual(max);
          expect(JSON.stringify(r.structuredContent ?? null).length).toBeLessThanOrEqual(max);
          expect(Object.getOwnPropertyNames(Object.prototype)).not.toContain('x');
        }),
        { numRuns: RUNS, seed: 20261129, endOnFailure: true },
      );
      // Arguments shaped like the schema get past its validation: the handlers are what is fuzzed.
      if (!loose) expect(answered).toBeGreaterThan(RUNS / 2);
      // And after all that, a plain call still works.
      expect((await h.call('get_job_status', { job_id: jobId })).isError).toBeFalsy();
    },
    120_000,
  );
});
