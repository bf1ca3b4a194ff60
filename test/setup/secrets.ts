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

/** A cut-off piece of a key is a leak too: its first characters are looked for, not the whole key. */
const PIECE = 12;

/** Scans one output now; only what leaks is kept, so long runs do not pile up memory. */
export function recordOutput(where: string, value: unknown): void {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  for (const key of secrets) {
    const at = text.indexOf(key.length > PIECE ? key.slice(0, PIECE) : key);
    if (at >= 0) leaks.push(`${where}: …${text.slice(Math.max(0, at - 80), at + key.length + 40)}…`);
  }
}

afterEach(() => {
  const found = leaks.splice(0);
  expect(found).toEqual([]);
});
