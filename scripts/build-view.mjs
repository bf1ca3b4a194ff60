// The review view (an MCP App): view/review.ts bundled by rolldown for the browser with pdf.js,
// its worker inlined as text (made a blob URL at run time: hosts block a view's network
// fetches), into one HTML file, dist/review.html, that src/review/view.ts serves as
// ui://mindee/review.html. Fails past MAX_BYTES: every host downloads the whole view.
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'rolldown';

const MAX_BYTES = 2.5 * 1024 * 1024;
const root = fileURLToPath(new URL('..', import.meta.url));
const require = createRequire(import.meta.url);
const worker = readFileSync(require.resolve('pdfjs-dist/build/pdf.worker.min.mjs'), 'utf8');
// Helvetica's metric-compatible stand-in, given to pdf.js for PDFs that name Helvetica without
// embedding it (the emulator's, and many others): the page then looks the same on every host,
// and boxes computed from Helvetica's widths sit on their text. 140 kB; other standard fonts
// fall back to the host's own.
const helvetica = readFileSync(join(dirname(require.resolve('pdfjs-dist/package.json')), 'standard_fonts/LiberationSans-Regular.ttf')).toString('base64');

export async function buildView() {
  const { output } = await build({
    input: join(root, 'view/review.ts'),
    cwd: root,
    platform: 'browser',
    logLevel: 'warn',
    resolve: { alias: { 'pdfjs-dist': require.resolve('pdfjs-dist/build/pdf.min.mjs') } },
    plugins: [
      {
        name: 'pdf-worker',
        resolveId: (id) => (id === 'virtual:pdf-worker' ? '\0pdf-worker' : null),
        load: (id) => (id === '\0pdf-worker' ? `export default ${JSON.stringify(worker)};` : null),
      },
      {
        name: 'standard-font',
        resolveId: (id) => (id === 'virtual:helvetica' ? '\0helvetica' : null),
        load: (id) => (id === '\0helvetica' ? `export default ${JSON.stringify(helvetica)};` : null),
      },
    ],
    output: { format: 'esm', minify: true, codeSplitting: false, comments: { legal: false } },
    write: false,
  });
  const code = output.filter((o) => o.type === 'chunk').map((o) => o.code).join('\n');
  // Inside a <script> element, "</script" would end it early.
  const script = `<script type="module">${code.replaceAll('</script', '<\\/script')}</script>`;
  const html = readFileSync(join(root, 'view/review.html'), 'utf8').replace('<!--SCRIPT-->', () => script);
  const bytes = Buffer.byteLength(html);
  if (bytes > MAX_BYTES) throw new Error(`dist/review.html is ${bytes} bytes, more than the view's bound of ${MAX_BYTES}.`);
  writeFileSync(join(root, 'dist/review.html'), html);
  return { bytes, moduleIds: output.flatMap((o) => o.moduleIds ?? []) };
}
