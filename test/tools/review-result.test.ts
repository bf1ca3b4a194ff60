/**
 * review_result against the emulator: how a review starts on each kind of host (a form through
 * "ask the person" in both protocol eras, the view for a host that renders MCP Apps, the text and
 * the exact call elsewhere), the decisions it records, and every later read using them.
 */
import { readFile } from 'node:fs/promises';
import { Client, InMemoryTransport, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { createMcpHandler } from '@modelcontextprotocol/server';
import { afterEach, describe, expect, it } from 'vitest';
import { DEMO_MODELS } from 'mindee-v2-emulator';
import { makeSampleInvoicePdf } from 'mindee-v2-emulator/samples';
import { createServer } from '../../src/mcp/server.js';
import { FORM_FIELDS, hasView } from '../../src/tools/review-result.js';
import { startHarness, textOf, type Harness } from '../helpers/harness.js';
import { MODERN } from '../helpers/modern.js';
import { createRedisState } from '../../src/state/redis/index.js';
import { hasRedis, startRedis } from '../helpers/redis.js';
import { recordOutput } from '../setup/secrets.js';
import { at, structuredOf } from '../helpers/structured.js';

let h: Harness;
let open = false;
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
  if (open) await h.close();
  open = false;
});

/** The sample invoice, every check passing, two values rated below High: po_number (Medium), purchase_category (Low). */
async function unsureResult(confidence: NonNullable<Parameters<typeof makeSampleInvoicePdf>[0]>['confidence'] = { po_number: 'Medium', purchase_category: 'Low' }) {
  const path = await h.write('invoice.pdf', makeSampleInvoicePdf({ confidence }));
  const result = await h.call('enqueue_document', { model_id: DEMO_MODELS.invoice, file_path: path });
  expect(result.isError, textOf(result)).toBeFalsy();
  const sc = structuredOf('enqueue_document', result);
  expect(sc.result!.review!.verdict).toBe('needs_review');
  return sc.result as { inference_id: string; fields: Record<string, unknown> };
}

interface Form {
  message: string;
  requestedSchema: { properties: Record<string, { type: string; default?: unknown; description?: string; title?: string }> };
}
type Reply = { action: 'accept' | 'decline' | 'cancel'; content?: Record<string, string | number | boolean> };

/** A v2 client of `era` that answers each form with `answer`, keeping the forms it was shown; `ui` also declares MCP Apps. */
async function formClient(era: 'modern' | 'legacy', answer: (form: Form) => Reply, options: { ui?: boolean; elicitation?: boolean } = {}) {
  const forms: Form[] = [];
  const elicitation = options.elicitation ?? true;
  const client = new Client(
    { name: 'review-host', version: '1.0.0' },
    {
      versionNegotiation: { mode: era === 'modern' ? { pin: MODERN } : 'legacy' },
      capabilities: {
        ...(elicitation ? { elicitation: { form: {} } } : {}),
        ...(options.ui ? { extensions: { 'io.modelcontextprotocol/ui': { mimeTypes: ['text/html;profile=mcp-app'] } } } : {}),
      },
    },
  );
  if (elicitation) {
    client.setRequestHandler('elicitation/create', (request) => {
      const form = request.params as unknown as Form;
      forms.push(form);
      return answer(form);
    });
  }
  if (era === 'modern') {
    const handler = createMcpHandler(({ era: served }) => createServer(h.deps, { era: served }));
    await client.connect(new StreamableHTTPClientTransport(new URL('http://review.invalid/mcp'), { fetch: (url, init) => handler.fetch(new Request(url, init)) }));
    closers.push(async () => {
      await client.close();
      await handler.close();
    });
  } else {
    const server = createServer(h.deps, { era: 'legacy' });
    const [a, b] = InMemoryTransport.createLinkedPair();
    await Promise.all([server.connect(b), client.connect(a)]);
    closers.push(async () => {
      await client.close();
      await server.close();
    });
  }
  const review = async (args: Record<string, unknown>) => {
    const result = await client.callTool({ name: 'review_result', arguments: args }, { timeout: 15_000 });
    recordOutput('review_result', result);
    return result as { isError?: boolean; content: Array<{ type: string; text?: string }>; structuredContent?: unknown };
  };
  const listed = async () => (await client.listTools()).tools.find((t) => t.name === 'review_result')!;
  return { forms, review, listed };
}

/** Keeps every value as extracted but `changes`. */
const keep = (changes: Record<string, string | number | boolean> = {}) => (form: Form): Reply => {
  const content: Record<string, string | number | boolean> = {};
  for (const [name, property] of Object.entries(form.requestedSchema.properties)) {
    if (property.default !== undefined) content[name] = property.default as string | number | boolean;
  }
  return { action: 'accept', content: { ...content, ...changes } };
};

describe('review_result on a host that shows forms', () => {
  for (const era of ['modern', 'legacy'] as const) {
    it(`puts the flagged values to the person in one form (${era === 'modern' ? '2026-07-28 input_required' : '2025 elicitation/create'}) and keeps what they decide`, async () => {
      h = await startHarness();
    open = true;
      const { inference_id } = await unsureResult();
      const host = await formClient(era, keep({ purchase_category: 'office supplies' }));
      const result = await host.review({ inference_id });
      expect(result.isError, result.content[0]?.text).toBeFalsy();
      expect(host.forms).toHaveLength(1);
      const [form] = host.forms;
      expect(Object.keys(form!.requestedSchema.properties).sort()).toEqual(['po_number', 'purchase_category']);
      // Prefilled with the extracted value, its confidence, page and failed check in the description.
      const category = form!.requestedSchema.properties.purchase_category!;
      expect(category.default).toBe(inference(result).decisions.find((d) => d.path === 'purchase_category')!.from);
      expect(category.description).toMatch(/^confidence Low, page 1\. .*confidence Low/);
      expect(form!.message).toMatch(/keep a value to accept it, change it to correct it, clear it to reject it/);

      const sc = inference(result);
      expect(sc.verdict).toBe('accept');
      expect(sc.reviewed).toBe(true);
      expect(sc.issues).toEqual([]);
      const byPath = Object.fromEntries(sc.decisions.map((d) => [d.path, d]));
      expect(byPath.po_number).toMatchObject({ action: 'accept', by: h.client.caller.id });
      expect(byPath.po_number!.to).toBe(byPath.po_number!.from);
      expect(byPath.purchase_category).toMatchObject({ action: 'correct', to: 'office supplies', by: h.client.caller.id });
      expect(Date.parse(byPath.purchase_category!.at)).not.toBeNaN();
      expect(result.content[0]!.text).toMatch(/^The person reviewed the flagged values in 1 form\(s\)\.\nChecked: /);

      // Read again: the reviewed value, and a note that says so.
      const again = await h.call('get_inference_result', { inference_id });
      const read = structuredOf('get_inference_result', again);
      expect(read.fields!.purchase_category).toBe('office supplies');
      expect(read.review!.verdict).toBe('accept');
      expect(textOf(again)).toMatch(/Note: Reviewed by a person \(1 accepted, 1 corrected; last /);
    });
  }

  it('asks in rounds of at most ten fields, each round kept before the next is asked', async () => {
    h = await startHarness();
    open = true;
    const { inference_id } = await unsureResult('Low');
    const host = await formClient('legacy', keep());
    const result = await host.review({ inference_id });
    expect(result.isError, result.content[0]?.text).toBeFalsy();
    const sizes = host.forms.map((f) => Object.keys(f.requestedSchema.properties).length);
    expect(host.forms.length).toBeGreaterThan(1);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(FORM_FIELDS);
    expect(sizes[0]).toBe(FORM_FIELDS);
    expect(host.forms[1]!.message).toMatch(/\(form 2\)/);
    // No field asked twice; every one asked is decided.
    const asked = host.forms.flatMap((f) => Object.keys(f.requestedSchema.properties));
    expect(new Set(asked).size).toBe(asked.length);
    const sc = inference(result);
    expect(sc.decisions.map((d) => d.path).sort()).toEqual([...asked].sort());
  });

  it('records nothing when the person declines the form', async () => {
    h = await startHarness();
    open = true;
    const { inference_id } = await unsureResult();
    const host = await formClient('modern', () => ({ action: 'decline' }));
    const result = await host.review({ inference_id });
    expect(host.forms).toHaveLength(1);
    expect(result.content[0]!.text).toMatch(/^The person declined the review form: nothing more was recorded\.\nNeeds review \(2\)/);
    expect(inference(result)).toMatchObject({ verdict: 'needs_review', decisions: [], reviewed: false });
  });

  it('rejects a value the person clears: the verdict stays flagged for it', async () => {
    h = await startHarness();
    open = true;
    const { inference_id } = await unsureResult();
    const host = await formClient('modern', keep({ purchase_category: '' }));
    const sc = inference(await host.review({ inference_id }));
    expect(sc.verdict).toBe('needs_review');
    expect(sc.issues.map((i) => i.path)).toEqual(['purchase_category']);
    expect(sc.issues[0]!.message).toMatch(/^rejected in review: /);
    expect(sc.decisions.find((d) => d.path === 'purchase_category')).toMatchObject({ action: 'reject', to: null });
  });
});

describe('review_result elsewhere', () => {
  it('asks no form of a host that renders MCP Apps when the tool declares its view (_meta.ui), else asks the form', async () => {
    h = await startHarness();
    open = true;
    const { inference_id } = await unsureResult();
    const host = await formClient('modern', keep(), { ui: true });
    const result = await host.review({ inference_id });
    // The view's resource and `_meta.ui` come with the review view (branch review-view): until
    // they are there, a host that renders views gets the form rather than a view that is not there.
    const declared = (await host.listed())._meta;
    if (hasView(declared)) {
      expect(host.forms).toEqual([]);
      expect(result.content[0]!.text).toMatch(/The host shows the review view/);
    } else {
      expect(host.forms).toHaveLength(1);
    }
    const sc = inference(result);
    expect(sc.fields.map((f) => f.path).sort()).toEqual(['po_number', 'purchase_category']);
    expect(sc.fields.every((f) => f.flagged)).toBe(true);
    expect(sc.fields.find((f) => f.path === 'purchase_category')).toMatchObject({ confidence: 'Low', page: 1, box: [expect.any(Number), expect.any(Number), expect.any(Number), expect.any(Number)] });
  });

  it('knows a declared view by its _meta.ui.resourceUri', () => {
    expect(hasView({ ui: { resourceUri: 'ui://mindee/review.html' } })).toBe(true);
    expect(hasView(undefined)).toBe(false);
    expect(hasView({ ui: {} })).toBe(false);
    expect(hasView({ 'anthropic/maxResultSizeChars': 1 })).toBe(false);
  });

  for (const era of ['modern', 'legacy'] as const) {
    it(`gives a ${era} host with neither the verdict and the exact call that records a decision`, async () => {
      h = await startHarness();
    open = true;
      const { inference_id } = await unsureResult();
      const host = await formClient(era, keep(), { elicitation: false });
      const result = await host.review({ inference_id });
      const text = result.content[0]!.text!;
      expect(text.split('\n')[0]).toMatch(/^Needs review \(2\): /);
      const call = /review_result (\{.*\}) \(action accept/.exec(text)?.[1];
      expect(call).toBeDefined();
      // The call as given works.
      const recorded = await host.review(JSON.parse(call!) as Record<string, unknown>);
      expect(recorded.isError, recorded.content[0]?.text).toBeFalsy();
      expect(inference(recorded).decisions).toHaveLength(1);
      // The allowed file the result came from is offered to the view (src/review/document.ts).
      expect(inference(recorded).document).toMatchObject({ uri: expect.stringMatching(/^mindee:\/\/documents\//), mime_type: 'application/pdf' });
    });
  }
});

describe('decisions recorded by an agent', () => {
  it('are kept beside the result: get_inference_result, the resource and a CSV export use the reviewed values', async () => {
    h = await startHarness();
    open = true;
    const { inference_id } = await unsureResult();
    const first = await h.call('review_result', { inference_id });
    const original = structuredOf('review_result', first).fields.find((f) => f.path === 'po_number')!.value;
    const result = await h.call('review_result', {
      inference_id,
      decisions: [
        { path: 'po_number', action: 'correct', value: 'PO-7781' },
        { path: 'purchase_category', action: 'accept' },
      ],
    });
    expect(result.isError, textOf(result)).toBeFalsy();
    expect(textOf(result)).toMatch(/^2 decision\(s\) recorded\.\nChecked: /);
    expect(structuredOf('review_result', result).decisions[0]).toMatchObject({ path: 'po_number', action: 'correct', from: original, to: 'PO-7781' });

    const read = await h.mcp.readResource({ uri: `mindee://inferences/${inference_id}` });
    const body = JSON.parse((read.contents[0] as { text: string }).text);
    expect(body.inference.result.fields.po_number.value).toBe('PO-7781');
    expect(body.review.verdict).toBe('accept');
    expect(body.decisions[0]).toMatchObject({ path: 'po_number', from: original, to: 'PO-7781' });
    expect(body.reviewed).toMatch(/^Reviewed by a person/);

    const saved = await h.call('get_inference_result', { inference_id, save_to: 'reviewed.jsonl' });
    expect(saved.isError, textOf(saved)).toBeFalsy();
    const row = JSON.parse((await readFile(`${h.dir}/reviewed.jsonl`, 'utf8')).trim());
    expect(row).toMatchObject({ po_number: 'PO-7781', verdict: 'accept', reviewed: true });
  });

  it('reach list items by index, and enqueue_documents rows and their table say the result was reviewed', async () => {
    h = await startHarness();
    open = true;
    const path = await h.write('invoice.pdf', makeSampleInvoicePdf({ confidence: { po_number: 'Medium', purchase_category: 'Low' } }));
    const done = await h.call('enqueue_documents', { model_id: DEMO_MODELS.invoice, file_paths: [path] });
    const row = structuredOf('enqueue_documents', done).documents[0]!;
    const inference_id = row.inference_id as string;
    const recorded = await h.call('review_result', { inference_id, decisions: [{ path: 'line_items.0.description', action: 'correct', value: 'Paper, 5 reams' }] });
    expect(recorded.isError, textOf(recorded)).toBeFalsy();
    const read = structuredOf('get_inference_result', await h.call('get_inference_result', { inference_id, fields: ['line_items'] }));
    expect(at(read.fields, 'line_items', 0, 'description')).toBe('Paper, 5 reams');

    const resumed = await h.call('enqueue_documents', { job_ids: [row.job_id], fields: ['line_items'], save_to: 'batch.jsonl' });
    expect(resumed.isError, textOf(resumed)).toBeFalsy();
    const again = structuredOf('enqueue_documents', resumed).documents[0]!;
    expect(again.result!.reviewed).toBe(true);
    expect(at(again.result, 'fields', 'line_items', 0, 'description')).toBe('Paper, 5 reams');
    const line = JSON.parse((await readFile(`${h.dir}/batch.jsonl`, 'utf8')).trim());
    expect(line).toMatchObject({ inference_id, reviewed: true });
    expect(JSON.stringify(line)).toContain('Paper, 5 reams');
  });

  it('are refused whole when a path names no value of the result, or a correction has no value', async () => {
    h = await startHarness();
    open = true;
    const { inference_id } = await unsureResult();
    const bad = await h.call('review_result', { inference_id, decisions: [{ path: 'po_number', action: 'accept' }, { path: 'no_such_field', action: 'accept' }] });
    expect(bad.isError).toBe(true);
    expect(textOf(bad)).toMatch(/has no field "no_such_field": nothing was recorded/);
    const empty = await h.call('review_result', { inference_id, decisions: [{ path: 'po_number', action: 'correct' }] });
    expect(textOf(empty)).toMatch(/A correction needs its value: po_number/);
    expect(await h.client.results.getDecisions(inference_id)).toBeUndefined();
  });

  it('a later decision on a path replaces the earlier one', async () => {
    h = await startHarness();
    open = true;
    const { inference_id } = await unsureResult();
    await h.call('review_result', { inference_id, decisions: [{ path: 'po_number', action: 'reject' }] });
    const result = await h.call('review_result', { inference_id, decisions: [{ path: 'po_number', action: 'correct', value: 'PO-1' }] });
    const decisions = structuredOf('review_result', result).decisions;
    expect(decisions).toHaveLength(1);
    expect(decisions[0]).toMatchObject({ action: 'correct', to: 'PO-1' });
  });
});

describe('decisions on Redis state', () => {
  it.skipIf(!hasRedis)('are kept for every process of the caller: another process reads the reviewed values', async () => {
    const redis = await startRedis();
    closers.push(() => redis.stop());
    const states = await Promise.all([0, 1].map(() => createRedisState({ url: redis.url, prefix: 'review:', rateLimits: { postPerMinute: 100_000, getPerMinute: 100_000 }, commandTimeoutMs: 2000 })));
    for (const state of states) closers.push(() => state.close());
    h = await startHarness({ client: { state: states[0] } });
    open = true;
    const { inference_id } = await unsureResult();
    const recorded = await h.call('review_result', { inference_id, decisions: [{ path: 'purchase_category', action: 'correct', value: 'office supplies' }] });
    expect(recorded.isError, textOf(recorded)).toBeFalsy();
    const other = await startHarness({ sharedEmulator: h.emulator, client: { state: states[1] } });
    closers.push(() => other.close());
    const read = await other.call('get_inference_result', { inference_id });
    expect(structuredOf('get_inference_result', read).fields!.purchase_category).toBe('office supplies');
    expect(textOf(read)).toMatch(/Note: Reviewed by a person \(1 corrected; /);
    const review = structuredOf('review_result', await other.call('review_result', { inference_id }));
    expect(review.decisions).toEqual([expect.objectContaining({ path: 'purchase_category', action: 'correct', to: 'office supplies', by: h.client.caller.id })]);
  });
});

function inference(result: { structuredContent?: unknown }) {
  return structuredOf('review_result', result);
}
