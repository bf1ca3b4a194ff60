/**
 * Issue 9, item 10: files that carry a PDF header but are not documents. Each is refused before
 * any upload, with a message naming what it really is.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MindeeInputError } from '../../src/client/errors.js';
import { prepareDocument } from '../../src/client/inputs.js';
import { makePdf } from 'mindee-v2-emulator/samples';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'mindee-hostile-sniff-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A whole PDF, ending as a PDF does, to hide behind another format's first bytes. */
const PDF = makePdf({ pages: [['hidden']] });

async function refusalOf(name: string, bytes: Buffer | string): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, bytes);
  const error = await prepareDocument({ path: file }).then(
    () => null,
    (e: unknown) => e,
  );
  expect(error, `${name} was accepted`).toBeInstanceOf(MindeeInputError);
  return (error as MindeeInputError).message;
}

describe('a PDF header inside another file does not make it a PDF', () => {
  it('refuses programs and scripts whatever follows their first bytes', async () => {
    const elf = Buffer.concat([Buffer.from('\x7fELF\x02\x01\x01\x00', 'latin1'), PDF]);
    expect(await refusalOf('photo.png', elf)).toBe('"photo.png" is named like a PNG image but is really an ELF executable: refused.');
    const mz = Buffer.concat([Buffer.from('MZ\x90\x00', 'latin1'), PDF]);
    expect(await refusalOf('setup.pdf', mz)).toBe('"setup.pdf" is named like a PDF but is really a Windows executable: refused.');
    const script = Buffer.concat([Buffer.from('#!/bin/sh\nexit 0\n'), PDF]);
    expect(await refusalOf('run.pdf', script)).toBe('"run.pdf" is named like a PDF but is really a script (it starts with #!): refused.');
  });

  it('refuses an HTML page and a ZIP archive that contain a whole PDF', async () => {
    // Binary bytes between the tags and the PDF: not text, still a page of markup.
    const html = Buffer.concat([Buffer.from('<!DOCTYPE html><html><body><pre>\n'), Buffer.alloc(300, 0xff), PDF]);
    expect(await refusalOf('invoice.pdf', html)).toMatch(/^"invoice\.pdf" looks like an HTML page;/);
    const zip = Buffer.concat([Buffer.from('PK\x03\x04\x14\x00\x00\x00', 'latin1'), PDF]);
    expect(await refusalOf('bundle.pdf', zip)).toMatch(/^"bundle\.pdf" looks like a ZIP archive/);
  });

  it('refuses a PDF header with nothing after it, and a PDF cut short', async () => {
    expect(await refusalOf('five.pdf', '%PDF-')).toMatch(/^"five\.pdf" looks like a PDF but is cut short or damaged/);
    const cut = PDF.subarray(0, PDF.indexOf('xref'));
    expect(await refusalOf('cut.pdf', cut)).toMatch(/^"cut\.pdf" looks like a PDF but is cut short or damaged/);
  });
});
