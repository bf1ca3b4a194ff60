/**
 * The checks a document's bytes go through before upload, shared by files and base64 content:
 * not empty, within the size limit, of a type Mindee accepts (sniffed, not taken from the name),
 * not an encrypted PDF; and the name sent with it, and the limits. Each refusal says what to do.
 */
import path from 'node:path';
import { formatBytes } from '../lib/text.js';
import { MindeeInputError } from './errors.js';
import {
  DAMAGED_PDF,
  describeExecutable,
  describeUnsupported,
  KIND_LABEL,
  kindFromFilename,
  sniffFileType,
  SUPPORTED_TYPES_TEXT,
  type SniffedType,
} from './file-types.js';
import { scanPdfForEncryption, type ByteSource } from './pdf-encryption.js';

export interface InputLimits {
  /** Largest file Mindee accepts. */
  maxFileBytes: number;
  /** Largest decoded base64 document: base64 is written by a model token by token. */
  maxBase64Bytes: number;
}

export const DEFAULT_INPUT_LIMITS: Readonly<InputLimits> = Object.freeze({
  maxFileBytes: 100 * 1024 * 1024,
  maxBase64Bytes: 5 * 1024 * 1024,
});

/** How a document is named at the start of a message: `"invoice.pdf"` or `The base64 document`. */
export function subjectOf(filename: string | undefined): string {
  return filename === undefined ? 'The base64 document' : `"${filename}"`;
}

export function emptyError(subject: string): MindeeInputError {
  return new MindeeInputError(`${subject} is empty (0 bytes): there is nothing to send.`, {
    hint: 'Check that the right file was given and that it was completely written or downloaded.',
  });
}

/** A size and its limit in words, exact to the byte when rounding would make them look equal. */
export function sizeAgainstLimit(size: number, max: number): [string, string] {
  if (formatBytes(size) !== formatBytes(max)) return [formatBytes(size), formatBytes(max)];
  const exact = (n: number) => `${formatBytes(n)} (${n.toLocaleString('en-US')} bytes)`;
  return [exact(size), exact(max)];
}

export function tooLargeError(filename: string, size: number, max: number): MindeeInputError {
  const [sizeText, maxText] = sizeAgainstLimit(size, max);
  return new MindeeInputError(`"${filename}" is ${sizeText}, over the ${maxText} limit for one document.`, {
    hint: 'Split the PDF into smaller files, or compress or downscale the images, and send each part separately.',
  });
}

/** Sniffs the type; refuses anything Mindee does not accept, naming what was found instead. */
export function checkType(head: Uint8Array, tail: Uint8Array, filename: string | undefined): SniffedType {
  const sniffed = sniffFileType(head, tail);
  if (sniffed) return sniffed;
  const subject = subjectOf(filename);
  const claimed = filename === undefined ? null : kindFromFilename(filename);
  const executable = describeExecutable(head);
  if (executable) {
    throw new MindeeInputError(
      claimed
        ? `${subject} is named like a ${KIND_LABEL[claimed]} but is really ${executable}: refused.`
        : `${subject} is ${executable}, not a document: refused.`,
      { hint: `Check the file: send only real documents (${SUPPORTED_TYPES_TEXT}).` },
    );
  }
  const found = describeUnsupported(head, tail);
  if (found === DAMAGED_PDF) {
    throw new MindeeInputError(`${subject} looks like ${DAMAGED_PDF}: it does not end as a PDF does (startxref and %%EOF in its last bytes).`, {
      hint: 'It may be only partly downloaded or written: open it to check, then download or export it again and send the complete file.',
    });
  }
  const claim = claimed ? ` It is named like a ${KIND_LABEL[claimed]}, but its content is not one.` : '';
  throw new MindeeInputError(`${subject} looks like ${found}; Mindee accepts ${SUPPORTED_TYPES_TEXT} documents.${claim}`, {
    hint: claimed
      ? 'The file may be damaged or only partly downloaded: open it to check, then export it again as PDF or as an image.'
      : 'Convert it first: print or export it to PDF, or save it as a JPEG or PNG image, then send that file.',
  });
}

/** Refuses an encrypted PDF; returns its page count when the scan could count the pages. */
export async function refuseEncrypted(source: ByteSource, subject: string): Promise<number | null> {
  const scan = await scanPdfForEncryption(source);
  if (scan.encrypted) {
    throw new MindeeInputError(`${subject} is a password-protected (encrypted) PDF; Mindee cannot read encrypted PDFs.`, {
      hint: 'Remove the protection first — open it with its password and save or print it as a new, unprotected PDF (or run `qpdf --decrypt in.pdf out.pdf`) — then send that copy.',
    });
  }
  return scan.pageObjects > 0 ? scan.pageObjects : null;
}

/** The name sent to Mindee: no directories, no control characters, not absurdly long. */
export function cleanFilename(name: string | undefined): string | undefined {
  if (name === undefined) return undefined;
  const base = (name.split(/[\\/]/).pop() ?? '').replace(/[\u0000-\u001f\u007f]/g, '').trim();
  if (base === '' || base === '.' || base === '..') return undefined;
  if (base.length <= 200) return base;
  const ext = path.extname(base).slice(0, 16);
  return base.slice(0, 200 - ext.length) + ext;
}
