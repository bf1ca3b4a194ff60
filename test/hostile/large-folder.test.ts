/**
 * Issue 17: a folder of 60 000 files was listed and every file checked before the 500-document
 * cap refused the call. A folder is read only as far as the call has room: a folder of the cap
 * plus a few files is refused before any of its files is checked (a count of checks, not a timing).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DEMO_MODELS } from 'mindee-v2-emulator';
import { makeSampleInvoicePdf } from 'mindee-v2-emulator/samples';
import { FileAccess } from '../../src/files/file-access.js';
import { MAX_BATCH } from '../../src/tools/enqueue-documents.js';
import { startHarness, textOf, type Harness } from '../helpers/harness.js';

let h: Harness | undefined;
afterEach(async () => {
  vi.restoreAllMocks();
  await h?.close();
  h = undefined;
});

async function folder(name: string, count: number): Promise<string> {
  const dir = join(h!.dir, name);
  await mkdir(dir);
  const pdf = makeSampleInvoicePdf();
  for (let i = 0; i < count; i++) await writeFile(join(dir, `doc-${String(i).padStart(4, '0')}.pdf`), pdf);
  return dir;
}

describe('a folder over the batch cap', () => {
  it('is refused before any of its files is checked, and nothing is enqueued', async () => {
    h = await startHarness();
    const big = await folder('big', MAX_BATCH + 3);
    const checks = vi.spyOn(FileAccess.prototype, 'resolve');
    const result = await h.call('enqueue_documents', { model_id: DEMO_MODELS.invoice, file_paths: [big] });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(new RegExp(`More documents than one call takes \\(${MAX_BATCH}\\).*holds more than ${MAX_BATCH} documents`));
    expect(checks).toHaveBeenCalledTimes(0);
    expect(h.emulator.requests.filter((r) => r.method === 'POST')).toHaveLength(0);
  });

  it('counts what the other arguments take: a folder that fits alone is refused beside URLs, at the first document past the room', async () => {
    h = await startHarness();
    const dir = await folder('fits', 5);
    const checks = vi.spyOn(FileAccess.prototype, 'resolve');
    const urls = Array.from({ length: MAX_BATCH - 4 }, (_, i) => `https://example.com/${i}.pdf`);
    const result = await h.call('enqueue_documents', { model_id: DEMO_MODELS.invoice, file_paths: [dir], urls });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/holds more than 4 documents/);
    expect(checks).toHaveBeenCalledTimes(0);
  });
});
