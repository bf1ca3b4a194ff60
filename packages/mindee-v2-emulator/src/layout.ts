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

/** The box around `length` characters starting at `column` of line `line` (0-based). */
export function textBox(line: number, column: number, length: number): Polygon {
  const baselineFromTop = PAGE_HEIGHT - (FIRST_BASELINE - line * LEADING);
  const x1 = clamp((LEFT + column * CHAR_WIDTH) / PAGE_WIDTH);
  const x2 = clamp((LEFT + (column + Math.max(1, length)) * CHAR_WIDTH) / PAGE_WIDTH);
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
