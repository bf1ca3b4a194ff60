/**
 * Issue 9, item 7: a file swapped after its check is not what gets uploaded. The API answers the
 * first upload 429; while the client waits to retry, the checked file is replaced by a symbolic
 * link to an outside file of the same size and modification time. The retry must send the
 * checked bytes, and the outside bytes must never reach the API.
 */
import { symlinkSync, unlinkSync } from 'node:fs';
import { mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DEMO_MODELS } from 'mindee-v2-emulator';
import { makePdf } from 'mindee-v2-emulator/samples';
import { startHarness, textOf, type Harness } from '../helpers/harness.js';

let h: Harness | undefined;
let outsideDir: string | undefined;
afterEach(async () => {
  await h?.close();
  if (outsideDir) await rm(outsideDir, { recursive: true, force: true });
});

/** Two PDFs of exactly the same size whose page text tells them apart. */
function twinPdfs(): [Buffer, Buffer] {
  const inside = makePdf({ pages: [['INSIDE-CHECKED-TEXT']] });
  const outside = makePdf({ pages: [['OUTSIDE-SECRETTEXT!']] });
  expect(outside.length).toBe(inside.length);
  return [inside, outside];
}

describe('a file replaced between its check and a retried upload', () => {
  it('uploads the checked bytes on the retry, never the outside file the path now names', async () => {
    h = await startHarness({ client: { retry: { baseDelayMs: 1, maxDelayMs: 5 } } });
    outsideDir = await mkdtemp(join(tmpdir(), 'mindee-outside-'));
    const [insideBytes, outsideBytes] = twinPdfs();
    const checked = await h.write('race.pdf', insideBytes);
    const outside = join(outsideDir, 'secret.pdf');
    await writeFile(outside, outsideBytes);
    // The same modification time to the nanosecond: a check of size and mtime cannot tell them apart.
    const sameTime = new Date('2026-01-02T03:04:05Z');
    await utimes(checked, sameTime, sameTime);
    await utimes(outside, sameTime, sameTime);

    h.emulator.injectFault({ route: 'enqueue', kind: 'rate-limit', retryAfterSeconds: 0 });
    // Swapped synchronously inside the emulator's event, which comes before its 429 answer: the
    // retry is sent after the swap, by construction.
    let swaps = 0;
    h.emulator.once('fault', () => {
      unlinkSync(checked);
      symlinkSync(outside, checked);
      swaps++;
    });
    const result = await h.call('enqueue_document', { model_id: DEMO_MODELS.invoice, file_path: checked, raw_text: true });
    expect(swaps).toBe(1);
    expect(result.isError, textOf(result)).toBeFalsy();
    // Sent twice (the 429, then the retry), both times from the checked file's handle.
    expect(h.emulator.requests.filter((r) => r.method === 'POST')).toHaveLength(2);
    const everything = JSON.stringify(result);
    expect(everything).toContain('INSIDE-CHECKED-TEXT');
    expect(everything).not.toContain('OUTSIDE-SECRETTEXT');
  });
});
