/**
 * The review view (MCP App): receives the structured result of `review_result`, reads the
 * document through the host (resources/read of `document.uri`), draws each page (pdf.js for PDFs,
 * images as they are, the page outline when there is no document), a box on every flagged field
 * (every field on demand) with its value and why it is in doubt, and sends the person's decisions
 * back with one `review_result` call through the host. Runs in the host's sandboxed frame: no
 * network; pdf.js's worker comes inlined (a blob URL).
 */
import { App, PostMessageTransport, applyDocumentTheme, applyHostFonts, applyHostStyleVariables, type McpUiHostContext } from '@modelcontextprotocol/ext-apps';
import { GlobalWorkerOptions, getDocument } from 'pdfjs-dist';
// Replaced by the build with the text of pdf.js's worker (scripts/build-view.mjs).
import workerSource from 'virtual:pdf-worker';
import helveticaBase64 from 'virtual:helvetica';

GlobalWorkerOptions.workerSrc = URL.createObjectURL(new Blob([workerSource], { type: 'text/javascript' }));

/**
 * The standard fonts pdf.js asks for (a PDF that names Helvetica without embedding it): Liberation
 * Sans, bundled, for Helvetica; nothing is fetched. Others fall back to the host's fonts.
 */
class BundledFonts {
  fetch({ kind, filename }: { kind: string; filename: string }): Promise<Uint8Array> {
    if (kind === 'standardFontDataUrl' && filename === 'LiberationSans-Regular.ttf') {
      return Promise.resolve(Uint8Array.from(atob(helveticaBase64), (c) => c.charCodeAt(0)));
    }
    return Promise.reject(new Error(`no bundled ${filename}`));
  }
}

type Box = [number, number, number, number];
interface Field {
  path: string;
  value: unknown;
  confidence?: string | null;
  page?: number | null;
  box?: Box | null;
  flagged: boolean;
  reason?: string | null;
}
interface ReviewOutput {
  inference_id: string;
  verdict: string;
  fields: Field[];
  document: { uri: string; mime_type: string; pages: number | null } | { uri: null; reason: string };
  decisions?: Array<{ path: string; action: string; from: unknown; to: unknown }>;
  reviewed?: boolean;
}
type Action = 'accept' | 'correct' | 'reject';
interface Decision {
  action: Action;
  value?: string;
}

/** Bounds on what one view draws: pages rendered, fields listed. */
const MAX_PAGES = 20;
const MAX_FIELDS = 500;
const TOOL = 'review_result';

const root = document.getElementById('root')!;
const app = new App({ name: 'mindee-review', version: '1' }, {}, { autoResize: true });
let current: ReviewOutput | undefined;
let showAll = false;
const decisions = new Map<string, Decision>();
/** Each field's number in the list and on its box: the flagged ones first. */
let numbers = new Map<Field, number>();

function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, ...children: Array<Node | string>): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  node.append(...children);
  return node;
}

const shown = (value: unknown): string =>
  value === null || value === undefined ? '—' : typeof value === 'string' ? value : typeof value === 'number' || typeof value === 'boolean' ? String(value) : JSON.stringify(value);

function applyContext(ctx: McpUiHostContext | undefined): void {
  if (!ctx) return;
  if (ctx.theme) applyDocumentTheme(ctx.theme);
  if (ctx.styles?.variables) applyHostStyleVariables(ctx.styles.variables);
  if (ctx.styles?.css?.fonts) applyHostFonts(ctx.styles.css.fonts);
}

function isReviewOutput(value: unknown): value is ReviewOutput {
  const v = value as Partial<ReviewOutput> | null;
  return !!v && typeof v.inference_id === 'string' && Array.isArray(v.fields) && typeof v.document === 'object' && v.document !== null;
}

app.addEventListener('hostcontextchanged', (ctx) => applyContext({ ...app.getHostContext(), ...ctx }));
app.addEventListener('toolresult', (result) => {
  const output = result.structuredContent;
  if (!isReviewOutput(output)) {
    root.replaceChildren(el('p', { class: 'note' }, result.isError ? 'The review could not start: see the answer in the conversation.' : 'This result has no review to show.'));
    return;
  }
  current = output;
  decisions.clear();
  void render();
});

async function documentBytes(uri: string): Promise<{ bytes: Uint8Array; mime: string }> {
  const read = await app.readServerResource({ uri });
  const content = read.contents[0];
  if (!content || !('blob' in content)) throw new Error('the host returned no document');
  const raw = atob(content.blob);
  const bytes = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
  return { bytes, mime: content.mimeType ?? 'application/octet-stream' };
}

/** One element per page, each sized to its page's aspect, the image or canvas inside. */
async function pages(output: ReviewOutput, status: HTMLElement): Promise<HTMLElement[]> {
  const count = Math.min(MAX_PAGES, Math.max(1, ...output.fields.map((f) => f.page ?? 1)));
  const outline = (reason: string) => {
    status.textContent = `No page image: ${reason} The boxes are drawn on the page's outline.`;
    return Array.from({ length: count }, (_, i) => el('div', { class: 'page outline', 'data-page': String(i + 1), style: 'aspect-ratio: 210 / 297' }));
  };
  if (output.document.uri === null) return outline(output.document.reason);
  let doc;
  try {
    doc = await documentBytes(output.document.uri);
  } catch (error) {
    return outline(`the document could not be read (${error instanceof Error ? error.message : String(error)}).`);
  }
  if (doc.mime !== 'application/pdf') {
    const url = URL.createObjectURL(new Blob([doc.bytes as BlobPart], { type: doc.mime }));
    const img = el('img', { src: url, alt: 'Page 1' });
    await img.decode().catch(() => undefined);
    const page = el('div', { class: 'page', 'data-page': '1', style: `aspect-ratio: ${img.naturalWidth || 210} / ${img.naturalHeight || 297}` }, img);
    return [page];
  }
  const pdf = await getDocument({ data: doc.bytes, isEvalSupported: false, useSystemFonts: false, useWorkerFetch: false, BinaryDataFactory: BundledFonts }).promise;
  const made: HTMLElement[] = [];
  for (let n = 1; n <= Math.min(pdf.numPages, MAX_PAGES); n++) {
    const page = await pdf.getPage(n);
    const base = page.getViewport({ scale: 1 });
    const viewport = page.getViewport({ scale: Math.min(3, 1000 / base.width) * (window.devicePixelRatio || 1) });
    const canvas = el('canvas', { width: String(Math.floor(viewport.width)), height: String(Math.floor(viewport.height)) });
    await page.render({ canvas, viewport }).promise;
    made.push(el('div', { class: 'page', 'data-page': String(n), style: `aspect-ratio: ${base.width} / ${base.height}` }, canvas));
  }
  if (pdf.numPages > MAX_PAGES) status.textContent = `Showing the first ${MAX_PAGES} of ${pdf.numPages} pages.`;
  return made;
}

function drawBoxes(pageEls: HTMLElement[], output: ReviewOutput): void {
  for (const page of pageEls) page.querySelectorAll('.box').forEach((b) => b.remove());
  output.fields.slice(0, MAX_FIELDS).forEach((field, i) => {
    if (!field.box || !(field.flagged || showAll)) return;
    const page = pageEls.find((p) => p.dataset.page === String(field.page ?? 1));
    if (!page) return;
    const [x0, y0, x1, y1] = field.box;
    const box = el('div', {
      class: `box${field.flagged ? ' flagged' : ''}`,
      'data-path': field.path,
      title: `${field.path}: ${shown(field.value)}${field.reason ? ` — ${field.reason}` : ''}`,
      style: `left:${x0 * 100}%;top:${y0 * 100}%;width:${(x1 - x0) * 100}%;height:${(y1 - y0) * 100}%`,
    });
    box.append(el('span', { class: 'tag' }, String(numbers.get(field) ?? i + 1)));
    box.addEventListener('click', () => document.getElementById(`field-${i}`)?.scrollIntoView({ block: 'nearest' }));
    page.append(box);
  });
}

function fieldRow(field: Field, i: number, onChange: () => void): HTMLElement {
  const row = el('li', { id: `field-${i}`, class: field.flagged ? 'flagged' : '', 'data-path': field.path });
  row.append(el('div', { class: 'head' }, el('span', { class: 'num' }, String(numbers.get(field) ?? i + 1)), el('code', {}, field.path), el('span', { class: 'value' }, shown(field.value))));
  const facts = [field.reason, field.confidence ? `confidence ${field.confidence}` : null, field.page ? `page ${field.page}` : null].filter(Boolean).join(' · ');
  if (facts) row.append(el('div', { class: 'why' }, facts));
  if (!field.flagged) return row;
  const input = el('input', { type: 'text', 'aria-label': `Corrected ${field.path}`, value: field.value === null || field.value === undefined ? '' : shown(field.value) });
  input.hidden = true;
  const buttons = (['accept', 'correct', 'reject'] as const).map((action) => {
    const button = el('button', { type: 'button', 'data-action': action }, action[0]!.toUpperCase() + action.slice(1));
    button.addEventListener('click', () => {
      decisions.set(field.path, action === 'correct' ? { action, value: input.value } : { action });
      input.hidden = action !== 'correct';
      if (action === 'correct') input.focus();
      buttons.forEach((b) => b.classList.toggle('chosen', b === button));
      onChange();
    });
    return button;
  });
  input.addEventListener('input', () => {
    decisions.set(field.path, { action: 'correct', value: input.value });
    onChange();
  });
  row.append(el('div', { class: 'actions' }, ...buttons), input);
  return row;
}

/** A corrected value as the field had it: a number stays a number when the text reads as one. */
function typed(field: Field | undefined, text: string): unknown {
  if (typeof field?.value === 'number' && text.trim() !== '' && Number.isFinite(Number(text))) return Number(text);
  if (typeof field?.value === 'boolean' && (text === 'true' || text === 'false')) return text === 'true';
  return text;
}

async function render(): Promise<void> {
  const output = current!;
  const flagged = output.fields.filter((f) => f.flagged);
  numbers = new Map([...flagged, ...output.fields.filter((f) => !f.flagged)].map((f, n) => [f, n + 1]));
  const status = el('p', { class: 'note', id: 'status' });
  const header = el('header', {}, el('strong', {}, output.verdict === 'accept' ? 'Checked: nothing flagged' : `Needs review (${flagged.length})`));
  const toggle = el('label', { class: 'toggle' }, el('input', { type: 'checkbox', id: 'show-all' }), ' Show every field');
  header.append(toggle);
  const viewer = el('div', { class: 'pages' }, el('p', { class: 'note' }, 'Loading the document…'));
  const list = el('ol', { class: 'fields' });
  const confirm = el('button', { type: 'button', id: 'confirm', class: 'primary' }, 'Confirm');
  const footer = el('footer', {}, confirm, el('span', { id: 'done', class: 'note' }));
  root.replaceChildren(header, status, viewer, list, footer);

  const refreshList = () => {
    const fields = output.fields.slice(0, MAX_FIELDS);
    const listed = fields.map((f, i) => [f, i] as const).filter(([f]) => f.flagged || showAll);
    listed.sort(([a], [b]) => (numbers.get(a) ?? 0) - (numbers.get(b) ?? 0));
    list.replaceChildren(...listed.map(([f, i]) => fieldRow(f, i, updateConfirm)));
    updateConfirm();
  };
  const updateConfirm = () => {
    const pending = flagged.filter((f) => !decisions.has(f.path)).length;
    confirm.disabled = decisions.size === 0;
    confirm.textContent = pending > 0 && decisions.size > 0 ? `Confirm (${pending} left undecided)` : 'Confirm';
  };
  let pageEls: HTMLElement[] = [];
  (toggle.querySelector('input') as HTMLInputElement).addEventListener('change', (e) => {
    showAll = (e.target as HTMLInputElement).checked;
    void (async () => {
      // A review lists the flagged fields only: every field is asked for once, when first wanted.
      if (showAll && !output.fields.some((f) => !f.flagged)) {
        const before = status.textContent;
        status.textContent = 'Loading every field…';
        try {
          const all = await app.callServerTool({ name: TOOL, arguments: { inference_id: output.inference_id, all_fields: true } });
          if (isReviewOutput(all.structuredContent)) {
            output.fields = all.structuredContent.fields;
            numbers = new Map([...output.fields.filter((f) => f.flagged), ...output.fields.filter((f) => !f.flagged)].map((f, n) => [f, n + 1]));
          }
          status.textContent = before;
        } catch (error) {
          status.textContent = `Every field could not be read: ${error instanceof Error ? error.message : String(error)}`;
        }
      }
      refreshList();
      drawBoxes(pageEls, output);
      document.body.dataset.fields = String(list.childElementCount);
    })();
  });
  confirm.addEventListener('click', () => void send(output, confirm));
  refreshList();
  try {
    pageEls = await pages(output, status);
  } catch (error) {
    status.textContent = `The pages could not be drawn: ${error instanceof Error ? error.message : String(error)}`;
    pageEls = [];
  }
  viewer.replaceChildren(...pageEls);
  drawBoxes(pageEls, output);
  document.body.dataset.ready = 'true';
}

async function send(output: ReviewOutput, confirm: HTMLButtonElement): Promise<void> {
  const done = document.getElementById('done')!;
  const byPath = new Map(output.fields.map((f) => [f.path, f]));
  const sent = [...decisions].map(([path, d]) => (d.action === 'correct' ? { path, action: d.action, value: typed(byPath.get(path), d.value ?? '') } : { path, action: d.action }));
  confirm.disabled = true;
  done.textContent = 'Sending…';
  try {
    const result = await app.callServerTool({ name: TOOL, arguments: { inference_id: output.inference_id, decisions: sent } });
    const text = result.content?.find((c) => c.type === 'text');
    done.textContent = result.isError ? `Not recorded: ${text && 'text' in text ? text.text : 'see the conversation.'}` : `Recorded ${sent.length} decision${sent.length === 1 ? '' : 's'}.`;
    if (!result.isError && isReviewOutput(result.structuredContent)) {
      current = result.structuredContent;
    }
  } catch (error) {
    done.textContent = `Not recorded: ${error instanceof Error ? error.message : String(error)}`;
  } finally {
    confirm.disabled = false;
    document.body.dataset.sent = String(Number(document.body.dataset.sent ?? '0') + 1);
  }
}

await app.connect(new PostMessageTransport(window.parent, window.parent));
applyContext(app.getHostContext());
