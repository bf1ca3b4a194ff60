import { mkdtemp, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAILURES, loadModelsFile, MODELS_FILE_LIMITS, parseModels, startEmulator } from '../src/index.js';
import type { EmulatorModel } from '../src/index.js';
import { makeSampleInvoicePdf } from '../src/sample-documents.js';
import { call, run } from './helpers.js';

const INVOICES = '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
const SPLITTER = '2c3d4e5f-6a7b-4c8d-8e9f-1a2b3c4d5e6f';
const HOOK = '1b2c3d4e-5f6a-4b7c-9d8e-0f1a2b3c4d5e';

const invoices = {
  id: INVOICES,
  name: 'Invoices',
  model_type: 'extraction',
  webhooks: [{ id: HOOK, name: 'Receiver', url: 'https://hooks.example/mindee' }],
  fields: [
    { name: 'invoice_number', type: 'string' },
    { name: 'supplier', type: 'nested_object', nested_fields: [{ name: 'name', type: 'string' }] },
  ],
  default_options: { raw_text: true },
};
const splitter = { id: SPLITTER, name: 'Splitter', model_type: 'split', document_types: ['invoice', 'other'], extraction_model_id: INVOICES };

/** The error parseModels throws for one bad entry next to a good one. */
function errorFor(entry: Record<string, unknown>): string {
  try {
    parseModels({ models: [invoices, entry] }, 'models.json');
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('the entry was accepted');
}

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'emulator-models-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('models file', () => {
  it('turns each entry into a model, the optional simulation keys included', () => {
    const models = parseModels(
      { models: [invoices, splitter, { id: '3d4e5f6a-7b8c-4d9e-8f0a-2b3c4d5e6f7a', name: 'Broken', model_type: 'ocr', fail_with: '500-012' }] },
      'models.json',
    );
    expect(models).toEqual<EmulatorModel[]>([
      {
        id: INVOICES,
        name: 'Invoices',
        modelType: 'extraction',
        webhooks: invoices.webhooks,
        fields: [
          { name: 'invoice_number', type: 'string', is_array: false },
          { name: 'supplier', type: 'nested_object', is_array: false, nested_fields: [{ name: 'name', type: 'string', is_array: false }] },
        ],
        defaultOptions: { raw_text: true },
      },
      { id: SPLITTER, name: 'Splitter', modelType: 'split', webhooks: [], documentTypes: ['invoice', 'other'], extractionModelId: INVOICES },
      { id: '3d4e5f6a-7b8c-4d9e-8f0a-2b3c4d5e6f7a', name: 'Broken', modelType: 'ocr', webhooks: [], failWith: FAILURES['500-012']() },
    ]);
  });

  it('accepts a saved GET /v2/search/models answer as it is', async () => {
    const emu = await startEmulator({ models: parseModels({ models: [invoices, splitter] }, 'models.json') });
    try {
      const answer = await call(emu, 'GET', '/v2/search/models');
      expect(answer.json.pagination).toBeDefined();
      const again = parseModels(answer.json, 'search.json');
      expect(again.map((m) => [m.id, m.modelType, m.webhooks])).toEqual([
        [INVOICES, 'extraction', invoices.webhooks],
        [SPLITTER, 'split', []],
      ]);
    } finally {
      await emu.close();
    }
  });

  it('gives the emulator models whose schema, options and nesting shape the results', async () => {
    const emu = await startEmulator({ processingMs: 0, models: parseModels({ models: [invoices, splitter] }, 'models.json') });
    try {
      const { result } = await run(emu, { route: '/v2/products/split/enqueue', modelId: SPLITTER, doc: makeSampleInvoicePdf() });
      const nested = result.json.inference.result.splits[0].extraction_response.inference;
      expect(Object.keys(nested.result.fields)).toEqual(['invoice_number', 'supplier']);
      const extraction = await run(emu, { modelId: INVOICES, doc: makeSampleInvoicePdf() });
      expect(extraction.result.json.inference.active_options.raw_text).toBe(true);
    } finally {
      await emu.close();
    }
  });

  it('names the file, the entry and the key of what is wrong', () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ ...splitter, id: 'split' }, 'models.json: models[1] ("Splitter"): id: must be a UUID'],
      [{ ...splitter, model_type: 'invoice' }, 'models.json: models[1] ("Splitter"): model_type: must be one of extraction, classification, crop, ocr, split'],
      [{ ...splitter, modelType: 'split' }, 'models.json: models[1] ("Splitter"): unknown key modelType'],
      [{ ...splitter, name: '' }, 'models.json: models[1]: name: must be a non-empty string'],
      [
        { ...splitter, webhooks: [{ id: HOOK, name: 'Mine', url: 'mailto:me@example.com' }] },
        'models.json: models[1] ("Splitter"): webhooks[0].url: must be an http(s) URL',
      ],
      [
        { ...splitter, webhooks: [invoices.webhooks[0], invoices.webhooks[0]] },
        `models.json: models[1] ("Splitter"): webhook id ${HOOK} is listed twice`,
      ],
      [{ ...splitter, id: INVOICES }, `models.json: models[1] ("Splitter"): id ${INVOICES} is used by another model too`],
      [
        { ...splitter, extraction_model_id: SPLITTER },
        `models.json: models[1] ("Splitter"): extraction_model_id ${SPLITTER} must be the id of an extraction model of this file`,
      ],
      [{ ...splitter, fields: invoices.fields }, 'models.json: models[1] ("Splitter"): fields apply to extraction models, not split'],
      [
        { ...invoices, id: SPLITTER, document_types: ['a'] },
        'models.json: models[1] ("Invoices"): document_types apply to classification, crop and split models, not extraction',
      ],
      [
        { ...invoices, id: SPLITTER, fields: [{ name: 'a b', type: 'string' }] },
        'models.json: models[1] ("Invoices"): fields[0].name: name must be a string of letters, digits and underscores',
      ],
      [{ ...splitter, fail_with: '418-001' }, 'models.json: models[1] ("Splitter"): fail_with: must be one of 500-012, 422-001'],
    ];
    for (const [entry, message] of cases) expect(errorFor(entry)).toBe(message);
  });

  it('refuses a file that is not a list of models, or over its bounds', () => {
    expect(() => parseModels([invoices], 'm.json')).toThrow(/^m\.json: Invalid input: expected object, received array$/);
    expect(() => parseModels({ models: [] }, 'm.json')).toThrow('m.json: models: must list at least one model');
    expect(() => parseModels({ model: [invoices] }, 'm.json')).toThrow(/m\.json: .*model/);
    const many = Array.from({ length: MODELS_FILE_LIMITS.models + 1 }, () => invoices);
    expect(() => parseModels({ models: many }, 'm.json')).toThrow(`m.json: models: must list at most ${MODELS_FILE_LIMITS.models} models`);
  });

  it('reads a file, saying why when it cannot: missing, not JSON, too large', async () => {
    const good = join(dir, 'good.json');
    await writeFile(good, JSON.stringify({ models: [invoices] }));
    expect((await loadModelsFile(good)).map((m) => m.id)).toEqual([INVOICES]);
    await expect(loadModelsFile(join(dir, 'missing.json'))).rejects.toThrow(/missing\.json: cannot read the models file \(ENOENT\)/);
    const broken = join(dir, 'broken.json');
    await writeFile(broken, '{"models": [');
    await expect(loadModelsFile(broken)).rejects.toThrow(/broken\.json: not valid JSON/);
    const huge = join(dir, 'huge.json');
    await writeFile(huge, '');
    await truncate(huge, MODELS_FILE_LIMITS.bytes + 1);
    await expect(loadModelsFile(huge)).rejects.toThrow(`huge.json: the models file is ${MODELS_FILE_LIMITS.bytes + 1} bytes, over the limit of ${MODELS_FILE_LIMITS.bytes} bytes`);
  });
});
