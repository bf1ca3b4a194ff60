/**
 * Keeps secrets (API keys, tokens) out of everything the server emits. A secret is replaced
 * wherever it occurs, and so is any piece of 8 or more of its leading characters: a text cut to
 * a budget must not leave `md_test_SECR…` behind.
 */
export type Redactor = (text: string) => string;

export const REDACTED = '[redacted]';
/** The shortest leading piece of a secret that is still taken for it. */
export const SECRET_PREFIX_CHARS = 8;

export function createRedactor(secrets: ReadonlyArray<string | undefined>): Redactor {
  const keys = [...new Set(secrets.filter((s): s is string => typeof s === 'string' && s.length > 0))].sort((a, b) => b.length - a.length);
  if (keys.length === 0) return (text) => text;
  return (text) => {
    let out = text;
    for (const key of keys) out = redactOne(out, key);
    return out;
  };
}

function redactOne(text: string, key: string): string {
  if (key.length < SECRET_PREFIX_CHARS) return text.split(key).join(REDACTED);
  const head = key.slice(0, SECRET_PREFIX_CHARS);
  let at = text.indexOf(head);
  if (at === -1) return text;
  let out = '';
  let from = 0;
  while (at !== -1) {
    let end = at + SECRET_PREFIX_CHARS;
    while (end - at < key.length && end < text.length && text[end] === key[end - at]) end++;
    out += text.slice(from, at) + REDACTED;
    from = end;
    at = text.indexOf(head, end);
  }
  return out + text.slice(from);
}

/** Redacts every string (and key) of a JSON-like value; returns a new value. */
export function redactDeep<T>(value: T, redact: Redactor): T {
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return redact(v);
    if (Array.isArray(v)) return v.map(walk);
    if (v !== null && typeof v === 'object') {
      const out: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
      for (const [k, x] of Object.entries(v)) out[redact(k)] = walk(x);
      return Object.setPrototypeOf(out, Object.prototype);
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
