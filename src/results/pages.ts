/** Page windows such as "1-3", "4", "5-": 1-based and inclusive, as a person counts pages. */
import { MindeeInputError } from '../client/errors.js';
import { quote } from '../lib/text.js';

/** The highest page number a window may name: far beyond any document Mindee processes. */
const MAX_PAGE = 100_000;

export interface PageWindow {
  first: number;
  /** null: to the last page. */
  last: number | null;
}

export function parsePageWindow(text: string | undefined): PageWindow | null {
  if (text === undefined || text.trim() === '') return null;
  const m = /^\s*(\d+)\s*(?:(-)\s*(\d+)?)?\s*$/.exec(text);
  const first = m ? Number(m[1]) : NaN;
  const last = m ? (m[3] !== undefined ? Number(m[3]) : m[2] ? null : first) : NaN;
  if (!m || first < 1 || (last !== null && (Number.isNaN(last) || last < first))) {
    throw new MindeeInputError(`Invalid page window ${quote(text, 60)}.`, {
      code: 'invalid_page_window',
      hint: 'Use "N" for one page, "N-M" for a range or "N-" for page N to the end; pages count from 1.',
    });
  }
  if (first > MAX_PAGE || (last !== null && last > MAX_PAGE)) {
    throw new MindeeInputError(`Invalid page window ${quote(text, 60)}: pages go up to ${MAX_PAGE}.`, {
      code: 'invalid_page_window',
      hint: `Give page numbers from 1 to ${MAX_PAGE}; "N-" reads from page N to the end.`,
    });
  }
  return { first, last };
}

/** Pages read from one result at most (each can be hundreds of KB of OCR). */
const MAX_PAGES_READ = 10_000;

export function formatPageWindow(w: PageWindow): string {
  return w.last === null ? `${w.first}-` : w.first === w.last ? `${w.first}` : `${w.first}-${w.last}`;
}

/** The 1-based page numbers of `count` pages that fall in the window. */
export function pagesIn(window: PageWindow | null, count: number): number[] {
  const first = window?.first ?? 1;
  const last = Math.min(count, window?.last ?? count, first + MAX_PAGES_READ - 1);
  const out: number[] = [];
  for (let p = first; p <= last; p++) out.push(p);
  return out;
}
