/**
 * The review view in a real browser (Debian's Chromium through playwright-core), embedded the
 * way a host embeds an MCP App: a host page on loopback with the ext-apps AppBridge, the view's
 * HTML read from the server as `ui://mindee/review.html` into a sandboxed iframe, the view's
 * tools/call and resources/read forwarded to the real server through an MCP client. Checks that
 * the boxes sit where the result's polygons say, on a known page of an emulator document, and
 * that a correction made in the view reaches the server and the kept result.
 */
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { fileURLToPath } from 'node:url';
import { DEMO_MODELS } from 'mindee-v2-emulator';
import { makeDisagreeingInvoicePdf, makePng } from 'mindee-v2-emulator/samples';
import type { Browser, Page } from 'playwright-core';
import { build } from 'rolldown';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REVIEW_VIEW_MIME, REVIEW_VIEW_URI } from '../../src/review/view.js';
import type { RawFields } from '../../src/verify/fields.js';
import { hasChromium, launchChromium } from '../helpers/chromium.js';
import { startHarness, type Harness } from '../helpers/harness.js';

// The browser's names, for code run in the page (the tests are type-checked without the DOM library).
interface Canvas {
  width: number;
  height: number;
  getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } | null;
}
interface Styled {
  getComputedStyle(element: unknown): { backgroundColor: string; colorScheme: string };
}

const root = fileURLToPath(new URL('../..', import.meta.url));

/** The host side: an iframe for the view, the AppBridge over postMessage, calls handed to Node. */
const HOST_SCRIPT = `
import { AppBridge, PostMessageTransport } from '@modelcontextprotocol/ext-apps/app-bridge';
window.startHost = async (html, toolResult, context) => {
  const iframe = document.createElement('iframe');
  iframe.setAttribute('sandbox', 'allow-scripts');
  iframe.style.cssText = 'width:360px;height:2400px;border:0';
  document.body.append(iframe);
  const bridge = new AppBridge(null, { name: 'test-host', version: '1.0.0' }, { serverTools: {}, serverResources: {} }, {
    hostContext: { displayMode: 'inline', containerDimensions: { width: 360, maxHeight: 2400 }, ...context },
  });
  bridge.oncalltool = (params) => window.mcp('tools/call', params);
  bridge.onreadresource = (params) => window.mcp('resources/read', params);
  const initialized = new Promise((resolve) => { bridge.oninitialized = resolve; });
  await bridge.connect(new PostMessageTransport(iframe.contentWindow, iframe.contentWindow));
  iframe.srcdoc = html;
  await initialized;
  await bridge.sendToolResult(toolResult);
};
`;

async function hostPage(): Promise<string> {
  const { output } = await build({
    input: 'virtual:host',
    cwd: root,
    platform: 'browser',
    logLevel: 'silent',
    plugins: [{ name: 'host', resolveId: (id) => (id === 'virtual:host' ? '\0host' : null), load: (id) => (id === '\0host' ? HOST_SCRIPT : null) }],
    output: { format: 'esm', codeSplitting: false },
    write: false,
  });
  const code = output.filter((o) => o.type === 'chunk').map((o) => o.code).join('\n');
  return `<!doctype html><html><head><meta charset="utf-8"></head><body style="margin:0"><script type="module">${code.replaceAll('</script', '<\\/script')}</script></body></html>`;
}

/** What review_result answers when a review starts (the view's input). */
async function reviewOutput(h: Harness, inferenceId: string): Promise<Record<string, unknown>> {
  const r = await h.call('review_result', { inference_id: inferenceId });
  expect(r.isError, JSON.stringify(r.content)).toBeFalsy();
  return r.structuredContent as Record<string, unknown>;
}

/** A field's box from its raw polygon, as Mindee gives it (not through the server's reading). */
function polygonBox(fields: RawFields, name: string): { page: number; box: [number, number, number, number] } {
  const location = (fields[name] as { locations: Array<{ page: number; polygon: number[][] }> }).locations[0]!;
  const xs = location.polygon.map((p) => p[0]!);
  const ys = location.polygon.map((p) => p[1]!);
  return { page: location.page + 1, box: [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)] };
}

describe.skipIf(!hasChromium)('the review view in Chromium', () => {
  let h: Harness;
  let browser: Browser;
  let http: Server;
  let url: string;
  const calls: Array<{ method: string; params: { name?: string; arguments?: Record<string, unknown>; uri?: string } }> = [];

  beforeAll(async () => {
    const html = await hostPage();
    http = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(html));
    http.listen(0, '127.0.0.1');
    await once(http, 'listening');
    url = `http://127.0.0.1:${(http.address() as { port: number }).port}/`;
    h = await startHarness();
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await h?.close();
    http?.close();
  });

  async function openReview(inferenceId: string, context: Record<string, unknown> = { theme: 'light' }): Promise<Page> {
    const page = await browser.newPage({ viewport: { width: 360, height: 1200 } });
    // The view's requests to its host, answered by the real server.
    await page.exposeFunction('mcp', async (method: string, params: { name: string; arguments?: Record<string, unknown>; uri: string }) => {
      calls.push({ method, params });
      if (method === 'tools/call') return h.mcp.callTool({ name: params.name, arguments: params.arguments ?? {} });
      return h.mcp.readResource({ uri: params.uri });
    });
    // No request leaves the machine: the view is one file, the host page is on loopback.
    await page.route((u) => !u.href.startsWith(url), (route) => route.abort());
    await page.goto(url);
    const view = await h.mcp.readResource({ uri: REVIEW_VIEW_URI });
    const content = view.contents[0] as { text: string; mimeType: string };
    expect(content.mimeType).toBe(REVIEW_VIEW_MIME);
    const output = await reviewOutput(h, inferenceId);
    await page.evaluate(([html, result, t]) => (globalThis as unknown as { startHost: (...a: unknown[]) => Promise<void> }).startHost(html, result, t), [
      content.text,
      { content: [{ type: 'text', text: 'review' }], structuredContent: output },
      context,
    ] as const);
    await page.frameLocator('iframe').locator('body[data-ready="true"]').waitFor({ timeout: 15_000 });
    return page;
  }

  it('draws each flagged field where its polygon is, on its page of the PDF, and sends a correction through the host', async () => {
    const path = await h.write('invoice.pdf', makeDisagreeingInvoicePdf('lines_sum'));
    const enqueued = (await h.call('enqueue_document', { model_id: DEMO_MODELS.invoice, file_path: path })).structuredContent as { job: { inference_id: string } };
    const id = enqueued.job.inference_id;
    const output = await reviewOutput(h, id);
    expect(output.document).toMatchObject({ uri: `mindee://documents/${id}`, mime_type: 'application/pdf' });
    const fields = (await h.client.getResult({ inferenceId: id })).result.fields as RawFields;

    const page = await openReview(id);
    const frame = page.frameLocator('iframe');
    // The PDF page was drawn by pdf.js (not the outline): a canvas with ink on it.
    const inked = await frame.locator('.page[data-page="1"] canvas').evaluate((element) => {
      const c = element as unknown as Canvas;
      const data = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      let dark = 0;
      for (let i = 0; i < data.length; i += 4) if (data[i]! < 128) dark++;
      return dark;
    });
    expect(inked).toBeGreaterThan(100);

    const flagged = (output.fields as Array<{ path: string; flagged: boolean; box?: unknown }>).filter((f) => f.flagged && f.box && !f.path.includes('.'));
    expect(flagged.length).toBeGreaterThan(0);
    for (const field of flagged) {
      const want = polygonBox(fields, field.path);
      const pageBox = (await frame.locator(`.page[data-page="${want.page}"]`).boundingBox())!;
      const box = (await frame.locator(`.box[data-path="${field.path}"]`).boundingBox())!;
      const got = [(box.x - pageBox.x) / pageBox.width, (box.y - pageBox.y) / pageBox.height, (box.x + box.width - pageBox.x) / pageBox.width, (box.y + box.height - pageBox.y) / pageBox.height];
      got.forEach((v, i) => expect(Math.abs(v - want.box[i]!)).toBeLessThan(0.01));
    }

    // Correct the first flagged field in the view, confirm: the host gets review_result with it.
    const target = flagged[0]!.path;
    const row = frame.locator(`li[data-path="${target}"]`);
    await row.locator('button[data-action="correct"]').click();
    await row.locator('input').fill('1234.5');
    // The README's picture (docs/review.png): REVIEW_SCREENSHOT=docs/review.png npx vitest run test/view
    await frame.locator('#root').screenshot({ path: process.env.REVIEW_SCREENSHOT ?? `${h.dir}/review.png` });
    await frame.locator('#confirm').click();
    await frame.locator('body[data-sent="1"]').waitFor({ timeout: 10_000 });
    const sent = calls.filter((c) => c.method === 'tools/call').at(-1)!;
    expect(sent.params).toMatchObject({ name: 'review_result', arguments: { inference_id: id, decisions: [{ path: target, action: 'correct', value: 1234.5 }] } });
    await expect(frame.locator('#done').textContent()).resolves.toBe('Recorded 1 decision.');
    // The kept result carries the correction, and reading it again gives the corrected value.
    const after = (await h.call('review_result', { inference_id: id })).structuredContent as { decisions: Array<{ path: string; action: string; to: unknown }>; reviewed: boolean };
    expect(after.decisions).toEqual([expect.objectContaining({ path: target, action: 'correct', to: 1234.5 })]);
    expect(after.reviewed).toBe(true);
    const read = await h.call('get_inference_result', { inference_id: id, fields: [target] });
    expect(JSON.stringify(read.structuredContent)).toContain('1234.5');

    await page.close();
  }, 60_000);

  it('an image document is shown as it is, the boxes on it', async () => {
    const path = await h.write('receipt.png', makePng(300, 400));
    const enqueued = (await h.call('enqueue_document', { model_id: DEMO_MODELS.invoice, file_path: path })).structuredContent as { job: { inference_id: string } };
    const page = await openReview(enqueued.job.inference_id);
    const frame = page.frameLocator('iframe');
    const img = frame.locator('.page[data-page="1"] img');
    expect(await img.evaluate((i) => [(i as unknown as { naturalWidth: number }).naturalWidth, (i as unknown as { naturalHeight: number }).naturalHeight])).toEqual([300, 400]);
    expect(await frame.locator('canvas').count()).toBe(0);
    await frame.locator('#show-all').check();
    await frame.locator('body[data-fields]').waitFor({ timeout: 10_000 });
    expect(await frame.locator('.page[data-page="1"] .box').count()).toBeGreaterThan(0);
    await page.close();
  }, 60_000);

  it('a URL document: boxes on the page outline, and why there is no image', async () => {
    const enqueued = (await h.call('enqueue_document', { model_id: DEMO_MODELS.invoice, url: 'https://documents.example/never-fetched/invoice.pdf' })).structuredContent as {
      job: { inference_id: string | null };
    };
    const id = enqueued.job.inference_id;
    if (id === null) throw new Error('the emulator did not process the URL document');
    // The host's theme and style variables are followed.
    const page = await openReview(id, { theme: 'dark', styles: { variables: { '--color-background-primary': 'rgb(1, 2, 3)' } } });
    const frame = page.frameLocator('iframe');
    expect(await frame.locator('body').evaluate((b) => (globalThis as unknown as Styled).getComputedStyle(b).backgroundColor)).toBe('rgb(1, 2, 3)');
    expect(await frame.locator('html').evaluate((e) => e.getAttribute('data-theme') ?? (globalThis as unknown as Styled).getComputedStyle(e).colorScheme)).toBe('dark');
    await expect(frame.locator('#status').textContent()).resolves.toContain('URL that Mindee fetched itself');
    expect(await frame.locator('.page.outline').count()).toBeGreaterThan(0);
    expect(await frame.locator('canvas').count()).toBe(0);
    // On demand, every field with a location is boxed on the outline all the same.
    expect(await frame.locator('.page.outline .box').count()).toBe(0);
    await frame.locator('#show-all').check();
    await frame.locator('body[data-fields]').waitFor({ timeout: 10_000 });
    expect(await frame.locator('.page.outline .box').count()).toBeGreaterThan(3);
    await expect(frame.locator('#status').textContent()).resolves.toContain('URL that Mindee fetched itself');
    await page.close();
  }, 60_000);
});
