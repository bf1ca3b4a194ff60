/**
 * Issue 9 (weak): a hard link inside an allowed directory may be another name of an outside
 * file. Such files are refused, saying why, unless the setting allows them.
 */
import { link, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DEMO_MODELS } from 'mindee-v2-emulator';
import { makePdf } from 'mindee-v2-emulator/samples';
import { FileAccess } from '../../src/files/index.js';
import { startHarness, textOf, type Harness } from '../helpers/harness.js';

let h: Harness | undefined;
let outsideDir: string | undefined;
afterEach(async () => {
  await h?.close();
  if (outsideDir) await rm(outsideDir, { recursive: true, force: true });
});

describe('a hard link to an outside file', () => {
  it('is refused, saying why and which setting allows it; allowed with the setting', async () => {
    h = await startHarness();
    outsideDir = await mkdtemp(join(tmpdir(), 'mindee-outside-'));
    const secret = join(outsideDir, 'secret.pdf');
    await writeFile(secret, makePdf({ pages: [['outside']] }));
    const inside = join(h.dir, 'looks-local.pdf');
    await link(secret, inside);

    const posts = h.emulator.requests.filter((r) => r.method === 'POST').length;
    const r = await h.call('enqueue_document', { model_id: DEMO_MODELS.invoice, file_path: inside, wait: false });
    expect(r.isError).toBe(true);
    expect(textOf(r)).toContain(`${inside} has 2 hard links: another name of the same file may lie outside the allowed directories`);
    expect(textOf(r)).toContain('--allow-hard-links (MINDEE_MCP_ALLOW_HARD_LINKS=1)');
    expect(h.emulator.requests.filter((x) => x.method === 'POST').length).toBe(posts);

    const allowing = new FileAccess({ allowedDirs: [h.dir], allowHardLinks: true });
    expect((await allowing.resolve(inside)).identity.links).toBe(2);
  });
});
