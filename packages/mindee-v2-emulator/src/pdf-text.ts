/**
 * Just enough PDF reading for believable simulated results: the page count, whether the file is
 * encrypted, and the literal text of each page (uncompressed or Flate streams, `Tj`/`TJ`/`'`/`"`
 * operators). Anything this cannot read simply yields no text.
 */
import { inflateSync } from 'node:zlib';

export interface PdfInfo {
  pageCount: number;
  encrypted: boolean;
  /** Text of each page, in page order ('' when a page has none or could not be read). */
  pageTexts: string[];
}

interface PdfObject {
  body: string;
}

const MAX_TEXT_PER_PAGE = 64 * 1024;
const MAX_TEXT_TOTAL = 2 * 1024 * 1024;

export function analysePdf(bytes: Buffer): PdfInfo {
  const s = bytes.toString('latin1');
  const encrypted = /\/Encrypt\b/.test(s);
  const pageObjectCount = (s.match(/\/Type\s*\/Page(?![A-Za-z])/g) ?? []).length;
  let pageCount = pageObjectCount;
  if (pageCount === 0) {
    // Page objects hidden in compressed object streams: fall back on the page tree's /Count.
    const counts = [...s.matchAll(/\/Type\s*\/Pages\b[^>]*?\/Count\s+(\d+)|\/Count\s+(\d+)[^>]*?\/Type\s*\/Pages\b/g)].map((m) =>
      Number(m[1] ?? m[2]),
    );
    pageCount = Math.max(1, ...counts.filter((n) => Number.isFinite(n)));
  }
  let pageTexts: string[] = [];
  if (!encrypted) {
    try {
      pageTexts = extractPageTexts(s);
    } catch {
      pageTexts = [];
    }
  }
  const texts: string[] = [];
  let total = 0;
  for (let i = 0; i < pageCount; i++) {
    let text = (pageTexts[i] ?? '').slice(0, MAX_TEXT_PER_PAGE);
    if (total + text.length > MAX_TEXT_TOTAL) text = '';
    total += text.length;
    texts.push(text);
  }
  return { pageCount, encrypted, pageTexts: texts };
}

function indexObjects(s: string): Map<number, PdfObject> {
  const objects = new Map<number, PdfObject>();
  const re = /(\d+)\s+\d+\s+obj\b/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(s))) {
    const start = m.index + m[0].length;
    const end = s.indexOf('endobj', start);
    if (end < 0) break;
    objects.set(Number(m[1]), { body: s.slice(start, end) });
    re.lastIndex = end + 6;
  }
  return objects;
}

function isPage(body: string): boolean {
  return /\/Type\s*\/Page(?![A-Za-z])/.test(body);
}

/** Page objects in reading order: the page tree's /Kids order when it can be followed. */
function orderedPages(objects: Map<number, PdfObject>): PdfObject[] {
  const inFileOrder = [...objects.values()].filter((o) => isPage(o.body));
  const root = [...objects.values()].find((o) => /\/Type\s*\/Pages\b/.test(o.body) && !/\/Parent\s+\d+/.test(o.body));
  if (!root) return inFileOrder;
  const out: PdfObject[] = [];
  const seen = new Set<number>();
  const walk = (node: PdfObject, depth: number): void => {
    if (depth > 32) return;
    const kids = /\/Kids\s*\[([^\]]*)\]/.exec(node.body);
    if (!kids?.[1]) return;
    for (const ref of kids[1].matchAll(/(\d+)\s+\d+\s+R/g)) {
      const n = Number(ref[1]);
      if (seen.has(n)) continue;
      seen.add(n);
      const kid = objects.get(n);
      if (!kid) continue;
      if (isPage(kid.body)) out.push(kid);
      else walk(kid, depth + 1);
    }
  };
  walk(root, 0);
  return out.length === inFileOrder.length ? out : inFileOrder;
}

function streamOf(obj: PdfObject): string | null {
  const at = /stream\r?\n/.exec(obj.body);
  if (!at) return null;
  const start = at.index + at[0].length;
  const end = obj.body.lastIndexOf('endstream');
  if (end < start) return null;
  let data = obj.body.slice(start, end).replace(/\r?\n$/, '');
  const dict = obj.body.slice(0, at.index);
  if (/\/Filter\s*\/FlateDecode|\/Filter\s*\[\s*\/FlateDecode\s*\]/.test(dict)) {
    try {
      data = inflateSync(Buffer.from(data, 'latin1')).toString('latin1');
    } catch {
      return null;
    }
  } else if (/\/Filter\b/.test(dict)) {
    return null;
  }
  return data;
}

function extractPageTexts(s: string): string[] {
  const objects = indexObjects(s);
  return orderedPages(objects).map((page) => {
    const refs: number[] = [];
    const single = /\/Contents\s+(\d+)\s+\d+\s+R/.exec(page.body);
    if (single) refs.push(Number(single[1]));
    const list = /\/Contents\s*\[([^\]]*)\]/.exec(page.body);
    if (list?.[1]) for (const r of list[1].matchAll(/(\d+)\s+\d+\s+R/g)) refs.push(Number(r[1]));
    const parts: string[] = [];
    for (const n of refs) {
      const obj = objects.get(n);
      const stream = obj ? streamOf(obj) : null;
      if (stream) parts.push(textOfContentStream(stream));
    }
    return parts.join('\n').replace(/\n+$/, '');
  });
}

type Operand = string | number | { text: string } | { array: (string | number)[] };

/** The text a content stream shows, one line per text-positioning step. */
export function textOfContentStream(src: string): string {
  const lines: string[] = [];
  let line = '';
  let operands: Operand[] = [];
  let i = 0;
  const n = src.length;
  const newline = () => {
    lines.push(line);
    line = '';
  };
  while (i < n) {
    const c = src[i] as string;
    if (c === ' ' || c === '\n' || c === '\r' || c === '\t' || c === '\f' || c === '\0') {
      i++;
    } else if (c === '%') {
      while (i < n && src[i] !== '\n' && src[i] !== '\r') i++;
    } else if (c === '(') {
      const [text, next] = readLiteral(src, i);
      operands.push({ text });
      i = next;
    } else if (c === '<' && src[i + 1] === '<') {
      i += 2;
    } else if (c === '>' && src[i + 1] === '>') {
      i += 2;
    } else if (c === '<') {
      const end = src.indexOf('>', i);
      const hex = src.slice(i + 1, end < 0 ? n : end).replace(/\s+/g, '');
      operands.push({ text: Buffer.from(hex.length % 2 ? `${hex}0` : hex, 'hex').toString('latin1') });
      i = end < 0 ? n : end + 1;
    } else if (c === '[') {
      const items: (string | number)[] = [];
      i++;
      while (i < n && src[i] !== ']') {
        const d = src[i] as string;
        if (d === '(') {
          const [text, next] = readLiteral(src, i);
          items.push(text);
          i = next;
        } else if (d === '<') {
          const end = src.indexOf('>', i);
          const hex = src.slice(i + 1, end < 0 ? n : end).replace(/\s+/g, '');
          items.push(Buffer.from(hex, 'hex').toString('latin1'));
          i = end < 0 ? n : end + 1;
        } else if (/[-+.\d]/.test(d)) {
          const m = /^[-+]?\d*\.?\d+/.exec(src.slice(i, i + 32));
          if (m) {
            items.push(Number(m[0]));
            i += m[0].length;
          } else i++;
        } else i++;
      }
      operands.push({ array: items });
      i++;
    } else if (c === '/') {
      const m = /^\/[^\s/[\]()<>{}%]*/.exec(src.slice(i, i + 128));
      operands.push(m ? m[0] : '/');
      i += m ? m[0].length : 1;
    } else if (/[-+.\d]/.test(c)) {
      const m = /^[-+]?\d*\.?\d+/.exec(src.slice(i, i + 32));
      if (m) {
        operands.push(Number(m[0]));
        i += m[0].length;
      } else i++;
    } else {
      const m = /^[A-Za-z*'"]+/.exec(src.slice(i, i + 16));
      const op = m ? m[0] : c;
      i += op.length;
      if (op === 'BI') {
        // Inline image data is binary: skip to its end marker.
        const end = src.indexOf('EI', i);
        i = end < 0 ? n : end + 2;
      }
      const last = operands[operands.length - 1];
      switch (op) {
        case 'Tj':
          if (last && typeof last === 'object' && 'text' in last) line += last.text;
          break;
        case "'":
        case '"':
          newline();
          if (last && typeof last === 'object' && 'text' in last) line += last.text;
          break;
        case 'TJ':
          if (last && typeof last === 'object' && 'array' in last) {
            for (const item of last.array) {
              if (typeof item === 'string') line += item;
              else if (item < -200) line += ' ';
            }
          }
          break;
        case 'T*':
          newline();
          break;
        case 'Td':
        case 'TD': {
          const ty = operands[operands.length - 1];
          if (typeof ty === 'number' && ty !== 0 && line.length > 0) newline();
          break;
        }
        case 'ET':
          if (line.length > 0) newline();
          break;
        default:
          break;
      }
      operands = [];
    }
  }
  if (line.length > 0) lines.push(line);
  return lines.join('\n');
}

function readLiteral(src: string, start: number): [string, number] {
  let depth = 0;
  let out = '';
  let i = start;
  for (; i < src.length; i++) {
    const c = src[i] as string;
    if (c === '\\') {
      const d = src[i + 1] ?? '';
      i++;
      if (d === 'n') out += '\n';
      else if (d === 'r') out += '\r';
      else if (d === 't') out += '\t';
      else if (d === 'b') out += '\b';
      else if (d === 'f') out += '\f';
      else if (d === '\r') {
        if (src[i + 1] === '\n') i++;
      } else if (d === '\n') {
        // line continuation
      } else if (/[0-7]/.test(d)) {
        const m = /^[0-7]{1,3}/.exec(src.slice(i, i + 3)) as RegExpExecArray;
        out += String.fromCharCode(parseInt(m[0], 8) & 0xff);
        i += m[0].length - 1;
      } else out += d;
    } else if (c === '(') {
      if (depth > 0) out += c;
      depth++;
    } else if (c === ')') {
      depth--;
      if (depth === 0) return [out, i + 1];
      out += c;
    } else out += c;
  }
  return [out, i];
}
