/**
 * base64 content made ready for upload: a plain or `data:` URL form, sized from its length before
 * it is decoded, decoded strictly (what Buffer.from would skip is refused), then checked as a
 * file's bytes are.
 */
import { MindeeInputError } from './errors.js';
import { SNIFF_HEAD_BYTES, SNIFF_TAIL_BYTES, type DocumentKind } from './file-types.js';
import { checkType, cleanFilename, emptyError, refuseEncrypted, sizeAgainstLimit, subjectOf, type InputLimits } from './input-checks.js';
import { bufferSource } from './pdf-encryption.js';
import type { PreparedDocument } from './types.js';

const DEFAULT_EXTENSION: Record<DocumentKind, string> = {
  pdf: 'pdf',
  jpeg: 'jpg',
  png: 'png',
  webp: 'webp',
  tiff: 'tif',
  heic: 'heic',
};

const DATA_URL = /^data:([^,]*?),/i;

export async function prepareBase64(input: string, filenameOverride: string | undefined, lim: InputLimits): Promise<Omit<Extract<PreparedDocument, { kind: 'file' }>, 'close'>> {
  if (typeof input !== 'string') throw notBase64('it is not a string');
  let text = input;
  const dataUrl = DATA_URL.exec(text.slice(0, 512).trimStart());
  if (dataUrl) {
    if (!/;base64$/i.test(dataUrl[1]!)) {
      throw new MindeeInputError('The data: URL is not base64-encoded (it has no ";base64" before the comma).', {
        code: 'base64_refused',
        hint: 'Send the document as `data:<type>;base64,<content>` or as plain base64 — or better, the path of a local file or a public https URL.',
      });
    }
    text = text.trimStart().slice(dataUrl[0].length);
  }
  text = text.replace(/\s+/g, '');
  if (text === '') throw emptyError(subjectOf(cleanFilename(filenameOverride)));

  // Size first, from the length alone: never decode what would be refused anyway.
  const padding = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  const estimated = Math.floor((text.length * 3) / 4) - padding;
  const max = Math.min(lim.maxBase64Bytes, lim.maxFileBytes);
  if (estimated > max) {
    const [sizeText, maxText] = sizeAgainstLimit(estimated, max);
    throw new MindeeInputError(`The base64 document decodes to about ${sizeText}, over the ${maxText} limit for base64 content.`, {
      code: 'base64_refused',
      hint: 'Base64 has to be written out by the model token by token: give the path of a file in an allowed directory or a public https URL instead.',
    });
  }

  const bytes = decodeBase64Strict(text);
  const filenameGiven = cleanFilename(filenameOverride);
  if (bytes.length === 0) throw emptyError(subjectOf(filenameGiven));
  const head = bytes.subarray(0, SNIFF_HEAD_BYTES);
  const tail = bytes.subarray(Math.max(0, bytes.length - SNIFF_TAIL_BYTES));
  const sniffed = checkType(head, tail, filenameGiven);
  const filename = filenameGiven ?? `document.${DEFAULT_EXTENSION[sniffed.kind]}`;
  const source = bufferSource(bytes);
  const pageCount = sniffed.kind === 'pdf' ? await refuseEncrypted(source, subjectOf(filenameGiven)) : 1;
  return { kind: 'file', source, filename, mimeType: sniffed.mimeType, size: bytes.length, pageCount };
}

function notBase64(why: string): MindeeInputError {
  return new MindeeInputError(`The document content is not valid base64: ${why}.`, {
    code: 'base64_refused',
    hint: 'Send standard base64 (A–Z, a–z, 0–9, +, /, with = padding only at the end) or a `data:<type>;base64,` URL — or better, the path of a local file or a public https URL.',
  });
}

/** Decodes standard or URL-safe base64 (not a mix), refusing what Buffer.from would silently skip. */
function decodeBase64Strict(text: string): Buffer {
  const bad = /[^A-Za-z0-9+/=\-_]/.exec(text);
  if (bad) {
    const ch = bad[0];
    const shown = /[\x21-\x7e]/.test(ch) ? `"${ch}"` : `U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
    throw notBase64(`it contains ${shown} at position ${bad.index + 1}, which is not a base64 character`);
  }
  if (/[+/]/.test(text) && /[-_]/.test(text)) throw notBase64('it mixes the standard (+ /) and URL-safe (- _) alphabets');
  const firstPad = text.indexOf('=');
  if (firstPad !== -1) {
    const pad = text.slice(firstPad);
    if (!/^={1,2}$/.test(pad)) throw notBase64('"=" padding may only appear once or twice, at the very end');
    if (text.length % 4 !== 0) throw notBase64(`its padded length (${text.length} characters) is not a multiple of 4`);
  } else if (text.length % 4 === 1) {
    throw notBase64(`its length (${text.length} characters) leaves one character over, so it is cut short or has an extra character`);
  }
  const bytes = Buffer.from(text, /[-_]/.test(text) ? 'base64url' : 'base64');
  const expected = Math.floor((text.replace(/=+$/, '').length * 3) / 4);
  if (bytes.length !== expected) throw notBase64('it does not decode cleanly');
  return bytes;
}
