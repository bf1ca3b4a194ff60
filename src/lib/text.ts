/**
 * Small text helpers for everything shown to a person or a model: outside text is quoted
 * with a bound, and sizes are written the way the limits are.
 */
import { inspect } from 'node:util';

/** At most `max` characters of `text`, with an ellipsis and the full length when cut. */
export function clip(text: string, max = 300): string {
  if (text.length <= max) return text;
  return `${text.slice(0, max)}… (${text.length.toLocaleString('en-US')} characters in all)`;
}

/** `text` as a quoted JSON string of at most about `max` characters. */
export function quote(text: string, max = 200): string {
  return text.length <= max ? JSON.stringify(text) : `${JSON.stringify(text.slice(0, max))}… (${text.length.toLocaleString('en-US')} characters)`;
}

/** What went wrong, for a message: an Error's message, or what was thrown shown as it is (not "[object Object]"). */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return typeof error === 'string' ? error : inspect(error, { depth: 2, breakLength: Infinity });
}

/** "512 bytes", "12.3 KB", "104.9 MB" (binary units, as the 100 MB limit is). */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} byte${bytes === 1 ? '' : 's'}`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  const text = value >= 100 || Number.isInteger(value) ? String(Math.floor(value)) : (Math.floor(value * 10) / 10).toFixed(1);
  return `${text} ${units[unit]}`;
}

/**
 * Terminal control sequences and control characters, which text from a document or an API may
 * carry to a terminal or a log: ESC sequences (CSI, OSC, two-character), C1 CSI sequences, the C0
 * controls but newline and tab, DEL and the C1 controls; and format characters (zero-width
 * spaces, bidi overrides, soft hyphens, byte-order marks), which hide text from a reader — but the
 * zero-width joiner and non-joiner, which Persian, Indic scripts and emoji need to read right.
 */
const CONTROL = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-Z\\-_]?|\x9b[0-?]*[ -/]*[@-~]|[\x00-\x08\x0b-\x1f\x7f-\x9f]|(?![\u200c\u200d])\p{Cf}/gu;

/** `text` without control sequences, control or format characters (newlines and tabs stay). */
export function stripControl(text: string): string {
  return text.replace(CONTROL, '');
}
