/**
 * Keeps secrets (API keys, tokens) out of everything the server emits. A secret is replaced
 * wherever it occurs, and so is any piece of it that could still give it away: a leading or a
 * trailing piece of 8 or more characters (a text cut to a budget must not leave `md_test_SECR…`
 * behind, nor a field its tail), and any piece of 11 or more characters from inside it (a key
 * split across two fields).
 *
 * Text from outside can also split a secret with characters nobody sees — control characters
 * (BEL, DEL, C1), terminal escape sequences, format and zero-width characters, or their JSON
 * escapes (`\u0007`) — which a later step (stripping control characters, a terminal, a model
 * reading past them) would join back. So the secret is looked for in a copy of the text with
 * those removed, and what matched there is replaced in the text itself, the characters inside
 * it included.
 */
export type Redactor = (text: string) => string;

export const REDACTED = '[redacted]';
/** The shortest leading (or trailing) piece of a secret that is still taken for it. */
const SECRET_PREFIX_CHARS = 8;
/** Pieces are found from windows this far apart: any inner piece of SECRET_PREFIX_CHARS + STEP - 1 characters holds one. */
const STEP = 4;

/**
 * What can hide inside a secret without being seen: terminal escape sequences (ESC and C1 CSI
 * forms), control, format and default-ignorable characters (zero-width spaces and joiners, soft
 * hyphen, bidi marks, variation selectors…), and the JSON escapes that spell control characters
 * or escape sequences in a JSON text (`\u0007`, `\u200b`, `\n`).
 */
const HIDDEN =
  /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-Z\\-_]?|\x9b[0-?]*[ -/]*[@-~]|\\u001[bB](?:\[[0-?]*[ -/]*[@-~]|\][^\\]*(?:\\u0007|\\u001[bB]\\\\)?)?|\\u(?:00[0189][0-9a-fA-F]|007[fF]|00[aA][dD]|034[fF]|061[cC]|115[fF]|1160|17[bB][45]|180[b-fB-F]|200[b-fB-F]|202[a-eA-E]|206[0-9a-fA-F]|3164|[fF][eE]0[0-9a-fA-F]|[fF][eE][fF][fF]|[fF][fF][aA]0|[fF][fF][fF][0-9a-bA-B])|\\[bfnrt]|[\p{Cc}\p{Cf}\p{Default_Ignorable_Code_Point}]/gu;

const MAY_HIDE = /[\p{Cc}\p{Cf}\p{Default_Ignorable_Code_Point}]|\\[ubfnrt]/u;

/** A text with what may hide a secret taken out, and where each of its characters came from. */
interface Visible {
  text: string;
  /** Where visible character `i` sits in the text (worked out only when a secret is found: rarely). */
  original: (i: number) => number;
}

/** The text with what may hide a secret taken out (the text itself when nothing is: no copy). */
function shownOf(text: string): string {
  return MAY_HIDE.test(text) ? text.replace(HIDDEN, '') : text;
}

function visible(text: string, shown: string): Visible {
  if (shown.length === text.length) return { text, original: (i) => i };
  let runs: { at: number[]; removed: number[] } | undefined;
  return {
    text: shown,
    original(i) {
      runs ??= hiddenRuns(text);
      // The runs recorded at a visible index <= i come before character i.
      let lo = 0;
      let hi = runs.at.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (runs.at[mid]! <= i) lo = mid + 1;
        else hi = mid;
      }
      return i + (lo === 0 ? 0 : runs.removed[lo - 1]!);
    },
  };
}

/** Each run of hidden characters: its index in the visible text, and how many were taken out up to its end. */
function hiddenRuns(text: string): { at: number[]; removed: number[] } {
  const at: number[] = [];
  const removed: number[] = [];
  let total = 0;
  let end = -1;
  for (const m of text.matchAll(HIDDEN)) {
    // A run right after the previous one extends it.
    if (m.index === end) removed[removed.length - 1] = total + m[0].length;
    else {
      at.push(m.index - total);
      removed.push(total + m[0].length);
    }
    total += m[0].length;
    end = m.index + m[0].length;
  }
  return { at, removed };
}

/** The windows a secret is looked for by: [offset, window] pairs. */
function windows(key: string): Array<[number, string]> {
  const size = Math.min(SECRET_PREFIX_CHARS, key.length);
  const offsets = new Set<number>([key.length - size]);
  for (let k = 0; k <= key.length - size; k += STEP) offsets.add(k);
  return [...offsets].map((k) => [k, key.slice(k, k + size)]);
}

export function createRedactor(secrets: ReadonlyArray<string | undefined>): Redactor {
  const keys = [...new Set(secrets.filter((s): s is string => typeof s === 'string' && s.length > 0))].map((key) => ({ key, windows: windows(key) }));
  if (keys.length === 0) return (text) => text;
  // Every string the server reads or answers goes through here (thousands per result): a text
  // with no secret in it allocates nothing — index loops, and spans only once one is found.
  return (text) => {
    const shown = shownOf(text);
    let spans: Array<[number, number]> | undefined;
    for (let s = 0; s < keys.length; s++) {
      const { key, windows: ws } = keys[s]!;
      for (let w = 0; w < ws.length; w++) {
        const offset = ws[w]![0];
        const window = ws[w]![1];
        for (let p = shown.indexOf(window); p !== -1; p = shown.indexOf(window, p + 1)) {
          let start = p;
          let k = offset;
          while (k > 0 && start > 0 && shown[start - 1] === key[k - 1]) {
            start--;
            k--;
          }
          // A short secret counts only whole.
          if (key.length < SECRET_PREFIX_CHARS && k > 0) continue;
          let end = p + window.length;
          k = offset + window.length;
          while (k < key.length && end < shown.length && shown[end] === key[k]) {
            end++;
            k++;
          }
          if (key.length < SECRET_PREFIX_CHARS && k < key.length) continue;
          (spans ??= []).push([start, end]);
        }
      }
    }
    if (spans === undefined) return text;
    const v = visible(text, shown);
    spans.sort((a, b) => a[0] - b[0] || b[1] - a[1]);
    let out = '';
    let from = 0;
    let i = 0;
    while (i < spans.length) {
      const start = spans[i]![0];
      let end = spans[i]![1];
      // Pieces that overlap are one; a secret written twice in a row stays two.
      while (++i < spans.length && spans[i]![0] < end) end = Math.max(end, spans[i]![1]);
      const a = v.original(start);
      const b = v.original(end - 1) + 1;
      out += text.slice(from, a) + REDACTED;
      from = b;
    }
    return out + text.slice(from);
  };
}

/**
 * Redacts every string (and key) of a JSON-like value without changing it: an object or array
 * that holds something to redact is copied (with the redacted text), one that holds nothing is
 * returned as it is — a result of thousands of strings, of which a thousand calls may end at
 * once, is not copied whole for a key it almost never holds.
 */
export function redactDeep<T>(value: T, redact: Redactor): T {
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return redact(v);
    if (Array.isArray(v)) {
      let out: unknown[] | undefined;
      for (let i = 0; i < v.length; i++) {
        const x: unknown = v[i];
        const y = walk(x);
        if (out === undefined && y !== x) out = v.slice(0, i);
        out?.push(y);
      }
      return out ?? v;
    }
    if (v !== null && typeof v === 'object') {
      const record = v as Record<string, unknown>;
      const keys = Object.keys(record);
      let out: Record<string, unknown> | undefined;
      for (let i = 0; i < keys.length; i++) {
        const k = keys[i]!;
        const x = record[k];
        const safeKey = redact(k);
        const y = walk(x);
        if (out === undefined && (safeKey !== k || y !== x)) {
          // Null prototype while filling: a "__proto__" key stays a key.
          out = Object.create(null) as Record<string, unknown>;
          for (let j = 0; j < i; j++) out[keys[j]!] = record[keys[j]!];
        }
        if (out !== undefined) out[safeKey] = y;
      }
      return out === undefined ? v : Object.setPrototypeOf(out, Object.prototype);
    }
    return v;
  };
  return walk(value) as T;
}

/**
 * Redacts every string and key of parsed JSON in place, without recursion (parsed JSON can be
 * deep) and without copying objects that hold nothing to redact (it can be huge).
 */
export function redactJsonInPlace(root: unknown, redact: Redactor): unknown {
  const fix = (v: unknown): unknown => (typeof v === 'string' ? redact(v) : v);
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const node = stack.pop();
    if (Array.isArray(node)) {
      for (let i = 0; i < node.length; i++) {
        const v: unknown = node[i];
        if (v !== null && typeof v === 'object') stack.push(v);
        else node[i] = fix(v);
      }
    } else if (node !== null && typeof node === 'object') {
      const obj = node as Record<string, unknown>;
      for (const key of Object.keys(obj)) {
        const v = obj[key];
        const safeKey = redact(key);
        if (safeKey !== key) {
          delete obj[key];
          Object.defineProperty(obj, safeKey, { value: v, enumerable: true, writable: true, configurable: true });
        }
        if (v !== null && typeof v === 'object') stack.push(v);
        else if (typeof v === 'string') obj[safeKey] = fix(v);
      }
    }
  }
  return typeof root === 'string' ? redact(root) : root;
}
