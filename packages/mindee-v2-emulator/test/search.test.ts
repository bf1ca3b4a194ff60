import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_MODELS, DEMO_WEBHOOKS, startEmulator } from '../src/index.js';
import type { Emulator } from '../src/index.js';
import { call } from './helpers.js';

let emu: Emulator;
beforeAll(async () => {
  emu = await startEmulator();
});
afterAll(() => emu.close());

describe('GET /v2/search/models', () => {
  it('lists every demo model, labelled as simulated, with webhooks and pagination', async () => {
    const res = await call(emu, 'GET', '/v2/search/models');
    expect(res.status).toBe(200);
    expect(res.json.models).toHaveLength(Object.keys(DEMO_MODELS).length);
    for (const m of res.json.models) {
      expect(Object.keys(m).sort()).toEqual(['id', 'model_type', 'name', 'webhooks']);
      expect(m.name).toContain('(simulated)');
    }
    const invoice = res.json.models.find((m: { id: string }) => m.id === DEMO_MODELS.invoice);
    expect(invoice.model_type).toBe('extraction');
    expect(invoice.webhooks.map((w: { id: string }) => w.id)).toEqual([DEMO_WEBHOOKS.invoiceSuccess, DEMO_WEBHOOKS.invoiceAudit]);
    expect(Object.keys(invoice.webhooks[0]).sort()).toEqual(['id', 'name', 'url']);
    expect(res.json.pagination).toEqual({ per_page: 50, page: 1, total_items: 8, total_pages: 1, total_items_unfiltered: null });
  });

  it('filters by a case-insensitive name substring and by model_type', async () => {
    const byName = await call(emu, 'GET', '/v2/search/models?name=INVOICE');
    expect(byName.json.models.map((m: { id: string }) => m.id).sort()).toEqual([DEMO_MODELS.invoice, DEMO_MODELS.deleteOnFetch].sort());
    expect(byName.json.pagination).toMatchObject({ total_items: 2, total_items_unfiltered: 8 });
    const byType = await call(emu, 'GET', '/v2/search/models?model_type=split');
    expect(byType.json.models.map((m: { id: string }) => m.id)).toEqual([DEMO_MODELS.split]);
    const both = await call(emu, 'GET', '/v2/search/models?name=receipt&model_type=extraction');
    expect(both.json.models.map((m: { id: string }) => m.id)).toEqual([DEMO_MODELS.receipt]);
    const none = await call(emu, 'GET', '/v2/search/models?name=nothing-like-this');
    expect(none.json).toMatchObject({ models: [], pagination: { total_items: 0, total_pages: 0 } });
  });

  it('pages with page and per_page', async () => {
    const first = await call(emu, 'GET', '/v2/search/models?per_page=3');
    const third = await call(emu, 'GET', '/v2/search/models?per_page=3&page=3');
    expect(first.json.models).toHaveLength(3);
    expect(third.json.models).toHaveLength(2);
    expect(third.json.pagination).toEqual({ per_page: 3, page: 3, total_items: 8, total_pages: 3, total_items_unfiltered: null });
    const beyond = await call(emu, 'GET', '/v2/search/models?per_page=3&page=9');
    expect(beyond.json.models).toEqual([]);
  });

  it('refuses bad query parameters with 422 pointers', async () => {
    const res = await call(emu, 'GET', '/v2/search/models?model_type=invoice&page=0&per_page=x');
    expect(res.status).toBe(422);
    expect(res.json.errors.map((e: { pointer: string }) => e.pointer).sort()).toEqual(['#/model_type', '#/page', '#/per_page']);
  });
});
