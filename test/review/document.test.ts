/**
 * The document a review shows: recorded at enqueue, offered while this server may still read it
 * (an allowed file, unchanged), refused with the reason otherwise; served to its owner only.
 */
import { appendFile, rm } from 'node:fs/promises';
import { DEMO_MODELS } from 'mindee-v2-emulator';
import { makeDisagreeingInvoicePdf, makePng } from 'mindee-v2-emulator/samples';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { documentRef } from '../../src/review/document.js';
import { REVIEW_VIEW_MIME, REVIEW_VIEW_URI } from '../../src/review/view.js';
import { startHarness, type Harness } from '../helpers/harness.js';

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  await h.close();
});

async function enqueue(args: Record<string, unknown>): Promise<string> {
  const r = await h.call('enqueue_document', { model_id: DEMO_MODELS.invoice, ...args });
  return (r.structuredContent as { job: { inference_id: string } }).job.inference_id;
}

describe('the document of a result', () => {
  it('is the allowed file it was sent from, served as a blob with its type and pages', async () => {
    const path = await h.write('invoice.pdf', makeDisagreeingInvoicePdf('lines_sum'));
    const id = await enqueue({ file_path: path });
    expect(await documentRef(id, h.deps)).toEqual({ uri: `mindee://documents/${id}`, mime_type: 'application/pdf', pages: 1 });
    const read = await h.mcp.readResource({ uri: `mindee://documents/${id}` });
    const content = read.contents[0] as { mimeType: string; blob: string };
    expect(content.mimeType).toBe('application/pdf');
    expect(Buffer.from(content.blob, 'base64').subarray(0, 5).toString()).toBe('%PDF-');
  });

  it('an image is served as it is', async () => {
    const id = await enqueue({ file_path: await h.write('page.png', makePng(40, 60)) });
    expect(await documentRef(id, h.deps)).toMatchObject({ mime_type: 'image/png', pages: 1 });
  });

  it('says why there is none: a URL, base64, a file changed or removed since', async () => {
    const url = await enqueue({ url: 'https://documents.example/a.pdf' });
    expect(await documentRef(url, h.deps)).toEqual({ uri: null, reason: expect.stringContaining('Mindee fetched itself') });
    const b64 = await enqueue({ file_base64: makeDisagreeingInvoicePdf('wrong_tax').toString('base64'), filename: 'x.pdf' });
    expect(await documentRef(b64, h.deps)).toEqual({ uri: null, reason: expect.stringContaining('file_base64') });
    const changedPath = await h.write('changed.pdf', makeDisagreeingInvoicePdf('bad_iban'));
    const changed = await enqueue({ file_path: changedPath });
    await appendFile(changedPath, '\n% appended');
    expect(await documentRef(changed, h.deps)).toEqual({ uri: null, reason: expect.stringContaining('changed since') });
    await expect(h.mcp.readResource({ uri: `mindee://documents/${changed}` })).rejects.toThrow(/changed since/);
    const removedPath = await h.write('removed.pdf', makeDisagreeingInvoicePdf('lines_sum'));
    const removed = await enqueue({ file_path: removedPath });
    await rm(removedPath);
    expect(await documentRef(removed, h.deps)).toEqual({ uri: null, reason: expect.stringContaining('no longer readable') });
  });

  it("another caller's id is unknown", async () => {
    const id = await enqueue({ file_path: await h.write('mine.pdf', makeDisagreeingInvoicePdf('lines_sum')) });
    const other = await startHarness({ sharedEmulator: h.emulator, client: { apiKey: 'other-key-0123456789abcdef' } });
    try {
      await expect(other.mcp.readResource({ uri: `mindee://documents/${id}` })).rejects.toThrow(/No document for/);
      await expect(documentRef(id, other.deps)).rejects.toThrow();
    } finally {
      await other.close();
    }
  });

  it('the view is served as an MCP App resource, not listed among the results', async () => {
    const read = await h.mcp.readResource({ uri: REVIEW_VIEW_URI });
    const content = read.contents[0] as { mimeType: string; text: string };
    expect(content.mimeType).toBe(REVIEW_VIEW_MIME);
    expect(content.text).toMatch(/^<!doctype html>/);
    // Self-contained: nothing fetched from the network.
    expect(content.text).not.toMatch(/<script[^>]+src=|<link[^>]+href=/);
    expect(Buffer.byteLength(content.text)).toBeLessThanOrEqual(2.5 * 1024 * 1024);
    expect((await h.mcp.listResources()).resources.map((r) => r.uri)).not.toContain(REVIEW_VIEW_URI);
  });
});
