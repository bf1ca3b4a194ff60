/** Issue 4 refusals as an agent meets them: through the tool, with the message it reads. */
import { rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DEMO_MODELS } from 'mindee-v2-emulator';
import { makePdf } from 'mindee-v2-emulator/samples';
import { startHarness, textOf, type Harness } from '../helpers/harness.js';

let h: Harness;
afterEach(async () => {
  await h?.close();
});

async function refused(args: Record<string, unknown>): Promise<string> {
  const posts = h.emulator.requests.filter((r) => r.method === 'POST').length;
  const r = await h.call('enqueue_document', { model_id: DEMO_MODELS.invoice, ...args });
  expect(r.isError, textOf(r)).toBe(true);
  // Nothing was uploaded.
  expect(h.emulator.requests.filter((x) => x.method === 'POST').length).toBe(posts);
  return textOf(r);
}

describe('enqueue_document refuses before any upload', () => {
  it('paths outside the allowed directories, by traversal or through a link', async () => {
    h = await startHarness();
    const outside = join(tmpdir(), `outside-${process.pid}.pdf`);
    await writeFile(outside, makePdf({ pages: [['x']] }));
    await symlink(outside, join(h.dir, 'link.pdf'));
    expect(await refused({ file_path: outside })).toMatch(/outside the directories this server may read[\s\S]*MINDEE_MCP_ALLOWED_DIRS/);
    expect(await refused({ file_path: `${h.dir}/../outside-${process.pid}.pdf` })).toContain('uses ".." to leave the allowed directories');
    expect(await refused({ file_path: join(h.dir, 'link.pdf') })).toContain('is a symbolic link pointing to');
    await rm(outside);
  });

  it('a path in the AI client\'s sandbox', async () => {
    h = await startHarness();
    expect(await refused({ file_path: '/mnt/user-data/uploads/invoice.pdf' })).toMatch(/the file lives on the client's side[\s\S]*https `url`/);
  });

  it('files that are not documents, empty or password-protected', async () => {
    h = await startHarness();
    expect(await refused({ file_path: await h.write('notes.pdf', 'just some words\n'.repeat(40)) })).toContain('named like a PDF');
    expect(await refused({ file_path: await h.write('tool.pdf', Buffer.concat([Buffer.from('\x7fELF'), Buffer.alloc(100)])) })).toContain('is really an ELF executable');
    expect(await refused({ file_path: await h.write('empty.pdf', '') })).toContain('is empty');
    expect(await refused({ file_path: await h.write('locked.pdf', makePdf({ pages: [['x']], encrypted: true })) })).toContain('password-protected');
  });

  it('bad base64, oversized base64, and URLs Mindee would not fetch', async () => {
    h = await startHarness();
    expect(await refused({ file_base64: 'not*base64!' })).toContain('not valid base64');
    expect(await refused({ file_base64: 'A'.repeat(8 * 1024 * 1024) })).toMatch(/over the 5 MB limit[\s\S]*file_path/);
    expect(await refused({ url: 'http://example.com/a.pdf' })).toContain('only fetches https');
    expect(await refused({ url: 'https://user:pw@example.com/a.pdf' })).toContain('contains credentials');
    expect(await refused({ url: `https://example.com/${'a'.repeat(2100)}` })).toContain('at most 2048');
  });
});
