/**
 * A document made ready for upload: a local file (streamed from disk, never read whole:
 * `input-file.ts`), base64 content (`input-base64.ts`), or a https URL that Mindee fetches itself
 * (`input-url.ts`). Everything Mindee would refuse — an unsupported or empty file, one over the
 * size limit, a password-protected PDF, a URL it cannot fetch — is refused here first
 * (`input-checks.ts`), with a message that says what to do. Knows nothing of MCP; a path must
 * already have been checked by FileAccess.
 */
import { prepareBase64 } from './input-base64.js';
import { DEFAULT_INPUT_LIMITS, type InputLimits } from './input-checks.js';
import { prepareFile } from './input-file.js';
import { prepareUrl } from './input-url.js';
import type { DocumentSource, PreparedDocument } from './types.js';

export { DEFAULT_INPUT_LIMITS };

/**
 * Checks a document and makes it ready to upload. Throws MindeeInputError for anything Mindee
 * would refuse, saying why and what to do instead.
 */
export async function prepareDocument(source: DocumentSource, limits: Partial<InputLimits> = {}): Promise<PreparedDocument> {
  const lim: InputLimits = { ...DEFAULT_INPUT_LIMITS, ...definedOnly(limits) };
  // The type names exactly one source; the tools check what callers gave.
  if ('path' in source) return prepareFile(source.path, source.filename, source.identity, lim);
  if ('base64' in source) return { ...(await prepareBase64(source.base64, source.filename, lim)), close: nothingToClose };
  return { ...prepareUrl(source.url), close: nothingToClose };
}

function definedOnly(limits: Partial<InputLimits>): Partial<InputLimits> {
  const out: Partial<InputLimits> = {};
  if (limits.maxFileBytes !== undefined) out.maxFileBytes = limits.maxFileBytes;
  if (limits.maxBase64Bytes !== undefined) out.maxBase64Bytes = limits.maxBase64Bytes;
  return out;
}

async function nothingToClose(): Promise<void> {}
