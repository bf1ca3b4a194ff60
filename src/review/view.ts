/**
 * The review view (an MCP App, `io.modelcontextprotocol/ui`): one HTML file with everything it
 * needs inlined (its code, pdf.js and pdf.js's worker: hosts block network fetches from views),
 * built from view/ by scripts/build-view.mjs into dist/review.html, read once when first asked.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

export const REVIEW_VIEW_URI = 'ui://mindee/review.html';
export const REVIEW_VIEW_MIME = 'text/html;profile=mcp-app';

// Beside dist/cli.js, from a chunk in dist/chunks/, or from src/review/ (tests run the sources).
const CANDIDATES = ['./review.html', '../review.html', '../../dist/review.html'];

let cached: Promise<string> | undefined;

export function reviewViewHtml(): Promise<string> {
  cached ??= (async () => {
    for (const candidate of CANDIDATES) {
      const file = fileURLToPath(new URL(candidate, import.meta.url));
      if (existsSync(file)) return readFile(file, 'utf8');
    }
    throw new Error('The review view is not built (dist/review.html is missing): run `npm run build`.');
  })();
  cached.catch(() => (cached = undefined));
  return cached;
}
