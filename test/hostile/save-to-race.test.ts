/**
 * Issue 9, item 9: `save_to` while another process flips a subdirectory of the allowed directory
 * into a symbolic link to an outside directory and back. Whatever the timing, no file is ever
 * left outside — full JSON or a table (.csv, .jsonl) alike.
 */
import { mkdir, mkdtemp, readdir, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DEMO_MODELS } from 'mindee-v2-emulator';
import { makeSampleInvoicePdf } from 'mindee-v2-emulator/samples';
import { startHarness, textOf, type Harness } from '../helpers/harness.js';
import { startFlipping, type Racer } from './helpers/racer.js';

const SAVES = 400;

let h: Harness | undefined;
let racer: Racer | undefined;
let outsideDir: string | undefined;
afterEach(async () => {
  await racer?.stop();
  await h?.close();
  if (outsideDir) await rm(outsideDir, { recursive: true, force: true });
});

describe('save_to against a directory flipped into a link', () => {
  it('never leaves a file outside the allowed directories', async () => {
    h = await startHarness();
    outsideDir = await mkdtemp(join(tmpdir(), 'mindee-outside-'));
    const processed = await h.call('enqueue_document', { model_id: DEMO_MODELS.invoice, file_path: await h.write('invoice.pdf', makeSampleInvoicePdf()) });
    const inferenceId = (processed.structuredContent as { result: { inference_id: string } }).result.inference_id;

    const realDir = join(h.dir, '.sub-real');
    const linkToOutside = join(h.dir, '.sub-link');
    await mkdir(realDir);
    await symlink(outsideDir, linkToOutside);
    racer = await startFlipping(join(h.dir, 'sub'), realDir, linkToOutside);

    const outcomes = { saved: 0, refused: 0 };
    for (let i = 0; i < SAVES; i++) {
      const r = await h.call('get_inference_result', { inference_id: inferenceId, fields: ['invoice_number'], save_to: `sub/result-${i}.${['json', 'csv', 'jsonl'][i % 3]}` });
      if (r.isError) {
        expect(textOf(r)).not.toMatch(/internal error/);
        outcomes.refused++;
      } else outcomes.saved++;
    }
    await racer.stop();
    expect(await readdir(outsideDir)).toEqual([]);
    expect(outcomes.saved + outcomes.refused).toBe(SAVES);
  });
});
