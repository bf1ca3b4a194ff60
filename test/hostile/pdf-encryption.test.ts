/**
 * Issue 9 (weak): an encrypted PDF written the way a reader still reads it — a name with #xx
 * escapes, a comment between the key and its value — is still seen as encrypted.
 */
import { describe, expect, it } from 'vitest';
import { bufferSource, MAX_ENCRYPT_CANDIDATES, scanPdfForEncryption } from '../../src/client/pdf-encryption.js';
import { makePdf } from 'mindee-v2-emulator/samples';

const locked = makePdf({ pages: [['x']], encrypted: true }).toString('latin1');
/** The encrypted PDF with its trailer's `/Encrypt n 0 R` rewritten (the xref, before it, is unchanged). */
const rewritten = (replace: (entry: string, ref: string) => string) =>
  Buffer.from(locked.replace(/\/Encrypt (\d+ 0 R)/, (entry, ref: string) => replace(entry, ref)), 'latin1');
const scan = (bytes: Buffer, chunkBytes?: number) => scanPdfForEncryption(bufferSource(bytes), chunkBytes ? { chunkBytes } : {});

describe('the encryption scan reads names and comments as a PDF reader does', () => {
  it('sees /Encrypt written with #xx escapes, wherever the chunks are cut', async () => {
    for (const name of ['/Encr#79pt', '/#45ncrypt', '/#45#6e#63#72#79#70#74']) {
      const pdf = rewritten((_, ref) => `${name} ${ref}`);
      expect((await scan(pdf)).encrypted, name).toBe(true);
      const at = pdf.indexOf(name);
      for (let chunkBytes = 9; chunkBytes <= 48; chunkBytes++) {
        expect((await scan(pdf, chunkBytes)).encrypted, `${name}, chunks of ${chunkBytes}`).toBe(true);
      }
      for (let split = 1; split <= name.length; split++) {
        expect((await scan(pdf, at + split)).encrypted, `${name}, cut ${split} bytes in`).toBe(true);
      }
    }
  });

  it('sees /Encrypt whose reference follows a comment, or whose trailer holds a misleading comment', async () => {
    expect((await scan(rewritten((_, ref) => `/Encrypt % the security handler\n${ref}`))).encrypted).toBe(true);
    expect((await scan(rewritten((entry) => `%endobj stream\n${entry}`))).encrypted).toBe(true);
  });

  it('reads the surroundings of a bounded number of candidates', async () => {
    const decoys = Buffer.from(`%PDF-1.4\n${'/Encrypt /x\n'.repeat(MAX_ENCRYPT_CANDIDATES * 4)}`, 'latin1');
    const result = await scan(decoys, 4096);
    expect(result.encrypted).toBe(false);
    expect(result.reads - Math.ceil(decoys.length / 4096)).toBeLessThanOrEqual(MAX_ENCRYPT_CANDIDATES);
  });
});
