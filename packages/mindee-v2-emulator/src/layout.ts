/**
 * Where a character of a text line sits on the page, as relative (0..1) coordinates: the geometry
 * of the PDFs sample-documents.ts writes (A4, Helvetica 12 pt, 14 pt leading, 56 pt margin), used
 * for field locations and OCR words. For other documents it is an approximation, which a
 * simulation may be.
 */
import type { Rng } from './rng.js';
import { round } from './rng.js';

const PAGE_WIDTH = 595;
const PAGE_HEIGHT = 842;
const LEFT = 56;
const FIRST_BASELINE = 786;
const LEADING = 14;
const CHAR_WIDTH = 6;
const ASCENT = 9;
const DESCENT = 3;

export type Polygon = [number, number][];

const clamp = (n: number) => round(Math.min(1, Math.max(0, n)), 6);

/**
 * Helvetica's advance widths (1/1000 em, from its AFM) for ASCII 32–126, in the StandardEncoding
 * the PDFs use (39 and 96 are quoteright and quoteleft): a viewer that draws the page with the font's
 * metrics (or a metric-compatible one, such as Liberation Sans) puts each character where these say.
 */
const HELVETICA = [
  278, 278, 355, 556, 556, 889, 667, 222, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278,
  584, 584, 584, 556, 1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778, 667, 778, 722, 667, 611, 722, 667, 944,
  667, 667, 611, 278, 278, 278, 469, 556, 222, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556, 556, 556, 333, 500,
  278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584,
];
const FONT_SIZE = 12;
/** Width in points of `text` set in Helvetica 12 pt; a character outside ASCII counts as a digit's width. */
function widthOf(text: string): number {
  let units = 0;
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    units += code >= 32 && code <= 126 ? HELVETICA[code - 32]! : 556;
  }
  return (units * FONT_SIZE) / 1000;
}

/**
 * The box around `length` characters starting at `column` of line `line` (0-based), whose text is
 * `text` (when known: the characters' own widths; else an average width each).
 */
export function textBox(line: number, column: number, length: number, text?: string): Polygon {
  const baselineFromTop = PAGE_HEIGHT - (FIRST_BASELINE - line * LEADING);
  const span = Math.max(1, length);
  const start = text === undefined ? column * CHAR_WIDTH : widthOf(text.slice(0, column));
  const width = text === undefined || column + span > text.length ? span * CHAR_WIDTH : widthOf(text.slice(column, column + span));
  const x1 = clamp((LEFT + start) / PAGE_WIDTH);
  const x2 = clamp((LEFT + start + width) / PAGE_WIDTH);
  const y1 = clamp((baselineFromTop - ASCENT) / PAGE_HEIGHT);
  const y2 = clamp((baselineFromTop + DESCENT) / PAGE_HEIGHT);
  return [
    [x1, y1],
    [x2, y1],
    [x2, y2],
    [x1, y2],
  ];
}

/** A plausible box somewhere on the page, for values that were not read from text. */
export function randomBox(rng: Rng): Polygon {
  const line = rng.int(0, 50);
  const column = rng.int(0, 50);
  return textBox(line, column, rng.int(4, 24));
}

/** A large region of the page (crops): `slot` of `slots` side-by-side columns. */
export function regionBox(rng: Rng, slot: number, slots: number): Polygon {
  const width = 1 / slots;
  const x1 = clamp(slot * width + 0.02 + rng.next() * 0.04);
  const x2 = clamp((slot + 1) * width - 0.02 - rng.next() * 0.04);
  const y1 = clamp(0.03 + rng.next() * 0.1);
  const y2 = clamp(0.85 + rng.next() * 0.12);
  return [
    [x1, y1],
    [x2, y1],
    [x2, y2],
    [x1, y2],
  ];
}

/** Words of a line with their columns. */
export function wordsOf(line: string): { word: string; column: number }[] {
  const out: { word: string; column: number }[] = [];
  const re = /\S+/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(line))) out.push({ word: m[0], column: m.index });
  return out;
}
