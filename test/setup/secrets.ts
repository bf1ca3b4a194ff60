/**
 * Every tool result, resource, progress message and log line the tests see is recorded here,
 * and after each test the whole record is scanned for the API keys the tests use: the key
 * must appear nowhere, whatever failed on the way.
 */
import { afterEach, expect } from 'vitest';

/** The key every test server is given; distinctive, so a leak cannot hide. */
export const TEST_API_KEY = 'md_test_SECRET_3f9c1e7a5b2d4c6e8f0a1b2c3d4e5f6a';

const secrets = new Set<string>([TEST_API_KEY]);
const seen: Array<{ where: string; text: string }> = [];

export function addSecret(secret: string): void {
  secrets.add(secret);
}

export function recordOutput(where: string, value: unknown): void {
  seen.push({ where, text: typeof value === 'string' ? value : JSON.stringify(value) });
}

afterEach(() => {
  const leaks = seen.filter((s) => [...secrets].some((k) => s.text.includes(k)));
  seen.length = 0;
  expect(leaks.map((l) => `${l.where}: ${l.text.slice(0, 200)}`)).toEqual([]);
});
