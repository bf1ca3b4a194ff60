/**
 * Issue 16, Broken 5: the redactor finds a secret however outside text splits it — control
 * characters, terminal escapes, zero-width and format characters, their JSON escapes — and
 * finds its tail or a piece of its inside alone. Each split form below reached an answer whole
 * (once the control characters were stripped) on the code before.
 */
import { describe, expect, it } from 'vitest';
import { createRedactor, redactDeep, redactJsonInPlace, REDACTED } from '../src/lib/redact.js';
import { createLogger } from '../src/log.js';
import { stripControl } from '../src/lib/text.js';
import { findSecret, TEST_API_KEY as K } from './setup/secrets.js';

const redact = createRedactor([K]);
/** What a reader sees at the end: the redacted text, control characters stripped. */
const shown = (text: string) => stripControl(redact(text));

describe('the redactor', () => {
  it('takes the key, and any leading piece of 8 or more characters, for the key', () => {
    expect(redact(`a ${K.slice(0, 8)}`)).toBe('a [redacted]');
    expect(redact(`a ${K.slice(0, 7)}`)).toBe(`a ${K.slice(0, 7)}`);
    expect(redact(`${K}${K}!`)).toBe('[redacted][redacted]!');
    expect(redact('nothing here')).toBe('nothing here');
  });

  it('takes its tail of 8 or more characters, and any piece of 11 or more from inside it, alone', () => {
    expect(redact(`tail ${K.slice(-8)}.`)).toBe('tail [redacted].');
    expect(redact(`tail ${K.slice(-20)}.`)).toBe('tail [redacted].');
    for (let from = 1; from + 11 <= K.length; from++) expect(redact(`in ${K.slice(from, from + 11)} out`), String(from)).toBe('in [redacted] out');
    // Two fields each holding half of it.
    expect(redact(JSON.stringify({ a: K.slice(0, 20), b: K.slice(20) }))).toBe(JSON.stringify({ a: REDACTED, b: REDACTED }));
  });

  it.each([
    ['BEL', '\u0007'],
    ['DEL', '\u007f'],
    ['a C1 control', '\u0085'],
    ['a C1 CSI sequence', '\u009b31m'],
    ['an ANSI colour', '\u001b[31m'],
    ['an OSC title', '\u001b]0;title\u0007'],
    ['a zero-width space', '\u200b'],
    ['a zero-width joiner', '\u200d'],
    ['a soft hyphen', '\u00ad'],
    ['a bidi override', '\u202e'],
    ['a byte-order mark', '\ufeff'],
    ['a newline', '\n'],
  ])('finds the key split every 3 characters by %s', (_name, split) => {
    const hidden = K.match(/.{1,3}/g)!.join(split);
    const out = shown(`before ${hidden} after`);
    expect(out).toBe('before [redacted] after');
    // And in a JSON text, where a control character is an escape.
    const json = redact(JSON.stringify({ note: `before ${hidden} after` }));
    expect(stripControl(json)).not.toContain(K.slice(0, 3) + K.slice(3, 6));
    expect(JSON.parse(json)).toEqual({ note: 'before [redacted] after' });
  });

  it('keeps text around a split key, and JSON escapes that spell visible characters', () => {
    expect(redact('md_test_\\u0041 stays')).toBe('md_test_\\u0041 stays'.replace('md_test_', REDACTED));
    expect(redact('a\u0007b \\u0041 c')).toBe('a\u0007b \\u0041 c');
    expect(shown(`\u001b[1m${K.slice(0, 4)}\u0007${K.slice(4)}\u001b[0m and ${K.slice(0, 6)}`)).toBe(`[redacted] and ${K.slice(0, 6)}`);
  });

  it('redacts parsed JSON in place, each string seen without what hides in it', () => {
    const value = { a: [`x${K.slice(0, 2)}\u0007${K.slice(2)}`], [`${K.slice(0, 9)}\u200b`]: 1 };
    expect(JSON.stringify(redactJsonInPlace(value, redact))).not.toMatch(/md_t|SECRET/);
  });

  it('redacts a value deeply, copying only what held something to redact (issue 19: a thousand results ending at once)', () => {
    const clean = { content: [{ type: 'text', text: 'total 12.50' }], structured: { fields: { a: { value: 1, locations: [{ polygon: [[0, 1]] }] } }, list: ['x', 2, null] } };
    const before = JSON.stringify(clean);
    // Nothing to redact: the very same value, not a copy of it.
    expect(redactDeep(clean, redact)).toBe(clean);
    const dirty = { ...clean, structured: { ...clean.structured, list: ['x', `key ${K}`, null], [`k${K}`]: 'v' } };
    const out = redactDeep(dirty, redact);
    expect(JSON.stringify(out)).not.toContain(K.slice(0, 8));
    expect(out.structured.list).toEqual(['x', 'key [redacted]', null]);
    expect(out.structured).toHaveProperty(['k[redacted]'], 'v');
    // What held nothing is shared, what held the key is a copy; the input is left as it was.
    expect(out).not.toBe(dirty);
    expect(out.content).toBe(clean.content);
    expect(out.structured.fields).toBe(clean.structured.fields);
    expect(dirty.structured.list[1]).toBe(`key ${K}`);
    expect(JSON.stringify(clean)).toBe(before);
    // A "__proto__" key of parsed JSON stays a key of the copy, never its prototype.
    const parsed = JSON.parse(`{"__proto__": {"polluted": 1}, "b": "${K}"}`) as Record<string, unknown>;
    const copy = redactDeep(parsed, redact);
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
    expect(Object.keys(copy)).toEqual(['__proto__', 'b']);
    expect(copy.b).toBe(REDACTED);
  });

  it('keeps a split key out of both log formats', () => {
    for (const format of ['text', 'json'] as const) {
      const lines: string[] = [];
      const log = createLogger({ format, redact, write: (line) => lines.push(line) });
      const hidden = K.match(/.{1,3}/g)!.join('\u0007\u200b');
      log.warn(`job failed: ${hidden}`);
      log.record('info', 'request', { principal: hidden, status: 200 });
      log.error('oops', new Error(`\u001b[31m${hidden}`));
      expect(findSecret(lines.join('\n')), format).toBeNull();
      expect(lines.join('\n')).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200b]/);
    }
  });
});
