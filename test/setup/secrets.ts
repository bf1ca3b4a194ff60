/**
 * Every tool result, resource, progress message and log line the tests see is recorded here,
 * and after each test the whole record is scanned for the API keys the tests use: the key
 * must appear nowhere, whatever failed on the way.
 */
import { afterEach, expect } from 'vitest';

/** The key every test server is given; distinctive, so a leak cannot hide. */
export const TEST_API_KEY = 'md_test_SECRET_3f9c1e7a5b2d4c6e8f0a1b2c3d4e5f6a';

const secrets = new Set<string>([TEST_API_KEY]);
const leaks: string[] = [];

export function addSecret(secret: string): void {
  secrets.add(secret);
}

/**
 * A cut-off piece of a key is a leak too: every piece of this many characters is looked for —
 * its head, its tail, any piece of its inside.
 */
const PIECE = 12;

/**
 * What a reader would see of `text` once what hides between characters is gone: terminal escape
 * sequences, control, format and zero-width characters, and the JSON escapes spelling them. Written
 * apart from the server's redactor, so that a flaw there is not mirrored here.
 */
export function visibleText(text: string): string {
  return text
    .replace(/\\u001[bB](?:\[[0-?]*[ -/]*[@-~]|\][^\\]*(?:\\u0007|\\u001[bB]\\\\)?)?|\\u(?:00[01][0-9a-fA-F]|007[fF]|00[89][0-9a-fA-F]|00[aA][dD]|200[b-fB-F]|20[26][0-9a-fA-F]|[fF][eE][fF][fF])|\\[bfnrt]/g, '')
    .replace(/\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b.?|\x9b[0-?]*[ -/]*[@-~]/gs, '')
    .replace(/[\p{Cc}\p{Cf}\p{Default_Ignorable_Code_Point}]/gu, '');
}

/** Where in `text` (as written, or as a reader sees it) a piece of a secret shows, if anywhere. */
export function findSecret(text: string): string | null {
  for (const form of [text, visibleText(text)]) {
    for (const key of secrets) {
      const size = Math.min(PIECE, key.length);
      for (let k = 0; k + size <= key.length; k++) {
        const at = form.indexOf(key.slice(k, k + size));
        if (at >= 0) return form.slice(Math.max(0, at - 80), at + key.length + 40);
      }
    }
  }
  return null;
}

/** Scans one output now; only what leaks is kept, so long runs do not pile up memory. */
export function recordOutput(where: string, value: unknown): void {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  const found = findSecret(text);
  if (found !== null) leaks.push(`${where}: …${found}…`);
}

afterEach(() => {
  const found = leaks.splice(0);
  expect(found).toEqual([]);
});
