/**
 * Issue 17: upload limits failed under concurrency. 100 simultaneous uploads from one caller had
 * 26–100 accepted (limit 20); 70 from 7 callers took the directory to 1 021 files (limit 1 000):
 * the place was taken after two awaits. A place is now taken in the same step as its check, and
 * uploads still arriving count against every bound — the caller's, the directory's files and its
 * bytes. The counts below hold exactly, however the requests interleave.
 */
import { readdir } from 'node:fs/promises';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { makeSampleInvoicePdf } from 'mindee-v2-emulator/samples';
import { MAX_PENDING_UPLOADS } from '../../src/http/uploads.js';
import { startHttpHarness, type HttpHarness } from '../helpers/http-harness.js';
import { addSecret, recordOutput } from '../setup/secrets.js';

const TOKENS = Array.from({ length: 7 }, (_, i) => `tok_uploader_${i}_5c7e9a1b3d5f7a9c`);
for (const t of TOKENS) addSecret(t);

let h: HttpHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const PDF = makeSampleInvoicePdf();

/** Every upload fired at once: their statuses, and the descriptions of the refusals. */
async function uploadAtOnce(tokens: string[]): Promise<{ statuses: number[]; refusals: string[] }> {
  const answers = await Promise.all(
    tokens.map(async (token) => {
      const res = await request(`${h!.url}/uploads`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/pdf' }, body: PDF });
      const text = await res.body.text();
      recordOutput('upload', text);
      return { status: res.statusCode, body: JSON.parse(text) as { error_description?: string } };
    }),
  );
  return { statuses: answers.map((a) => a.status), refusals: answers.flatMap((a) => (a.body.error_description ? [a.body.error_description] : [])) };
}

const count = (statuses: number[], status: number) => statuses.filter((s) => s === status).length;

describe('upload limits under concurrency', () => {
  it('takes exactly 20 of 100 simultaneous uploads of one caller', async () => {
    h = await startHttpHarness({ env: { MINDEE_MCP_AUTH: 'token', MINDEE_MCP_HTTP_TOKENS: TOKENS.join(',') } });
    const { statuses, refusals } = await uploadAtOnce(Array.from({ length: 100 }, () => TOKENS[0]!));
    expect(count(statuses, 201)).toBe(MAX_PENDING_UPLOADS);
    expect(count(statuses, 429)).toBe(100 - MAX_PENDING_UPLOADS);
    expect(refusals[0]).toMatch(/uploads not used yet or still arriving \(at most 20\)/);
    expect(await readdir(h.remote.uploads.dir)).toHaveLength(MAX_PENDING_UPLOADS);
  });

  it('fills the directory to its file limit exactly with 70 simultaneous uploads of 7 callers', async () => {
    h = await startHttpHarness({ env: { MINDEE_MCP_AUTH: 'token', MINDEE_MCP_HTTP_TOKENS: TOKENS.join(',') }, uploadLimits: { files: 50 } });
    const { statuses, refusals } = await uploadAtOnce(TOKENS.flatMap((t) => Array.from({ length: 10 }, () => t)));
    expect(count(statuses, 201)).toBe(50);
    expect(count(statuses, 503)).toBe(20);
    expect(refusals[0]).toMatch(/its limit of 50 files: try again in a minute, or send the document by url/);
    expect(await readdir(h.remote.uploads.dir)).toHaveLength(50);
  });

  it('keeps the directory within its byte budget, counting what is still arriving', async () => {
    // Room for three and a half documents: three arrive, whichever they are.
    h = await startHttpHarness({ env: { MINDEE_MCP_AUTH: 'token', MINDEE_MCP_HTTP_TOKENS: TOKENS.join(',') }, uploadLimits: { bytes: Math.floor(PDF.length * 3.5) } });
    const { statuses, refusals } = await uploadAtOnce(TOKENS.slice(0, 5).flatMap((t) => [t, t]));
    expect(count(statuses, 201)).toBe(3);
    expect(count(statuses, 503)).toBe(7);
    expect(refusals[0]).toMatch(/of the upload directory's .* \(MINDEE_MCP_UPLOAD_DIR_MB\)/);
    expect(await readdir(h.remote.uploads.dir)).toHaveLength(3);
    // The refused gave nothing back that they did not take: the three stored still hold their bytes.
    expect((await uploadAtOnce([TOKENS[6]!])).statuses).toEqual([503]);
  });
});
