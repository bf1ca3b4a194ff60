/** PDFs built for the encryption-scan tests, from the project's own generator. */
import { makePdf } from 'mindee-v2-emulator/samples';

/**
 * A real, well-formed encrypted PDF whose trailer's `/Encrypt` starts exactly at byte `offset`:
 * the page's text line is lengthened until the trailer lands there.
 */
export function encryptedPdfWithMarkerAt(offset: number): Buffer {
  let length = 1;
  for (let attempt = 0; attempt < 10; attempt++) {
    const pdf = makePdf({ pages: [['x'.repeat(length)]], encrypted: true });
    const at = pdf.lastIndexOf('/Encrypt');
    if (at === offset) return pdf;
    length += offset - at;
    if (length < 1) throw new Error(`a PDF cannot have its /Encrypt as early as byte ${offset}`);
  }
  throw new Error(`could not place /Encrypt at byte ${offset}`);
}

/** A PDF 1.5-style file whose encryption is declared in a cross-reference stream dictionary. */
export function xrefStreamPdf(options: { encrypted: boolean }): Buffer {
  const encrypt = options.encrypted ? ' /Encrypt 4 0 R' : '';
  const text = [
    '%PDF-1.5',
    '1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj',
    '2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj',
    '4 0 obj\n<< /Filter /Standard /V 4 /R 4 /Length 128 /EncryptMetadata true >>\nendobj',
    `5 0 obj\n<< /Type /XRef /Size 6 /W [1 2 1] /Root 1 0 R${encrypt} /ID [<00><00>] /Length 4 >>\nstream\n\x01\x00\x00\x00\nendstream\nendobj`,
    'startxref\n0\n%%EOF\n',
  ].join('\n');
  return Buffer.from(text, 'latin1');
}
