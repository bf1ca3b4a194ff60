/**
 * The simulated inference of every product, generated on demand from a job's digest: nothing
 * but the digest is stored, and the same digest and options always give the same body.
 */
import type { DocumentDigest } from './document.js';
import { drawFacts, readFacts, renderFacts, type ConfidenceOverrides } from './facts.js';
import { regionBox, textBox, wordsOf } from './layout.js';
import { INVOICE_FIELDS } from './models.js';
import { Rng, uuidFrom } from './rng.js';
import { SIMULATED_MARKER, simulateExtraction } from './simulate-extraction.js';
import type { AppliedOptions, DocumentView } from './simulate-extraction.js';
import type { EmulatorModel, ExtractionInferenceBody, InferenceBody, InferenceFileJson } from './types.js';

export interface InferenceInput {
  inferenceId: string;
  jobId: string;
  model: EmulatorModel;
  file: InferenceFileJson;
  digest: DocumentDigest;
  /** Extraction options as applied (ignored by utility products). */
  options: AppliedOptions;
  /** Resolves the extraction model a utility model nests (model.extractionModelId). */
  findModel: (id: string) => EmulatorModel | undefined;
}

const NO_OPTIONS: AppliedOptions = {
  raw_text: false,
  polygon: false,
  confidence: false,
  rag: false,
  text_context: null,
  data_schema: null,
};

/** Page texts of the document: its own when it has text, else the text of its drawn facts. */
function documentPages(digest: DocumentDigest): string[] {
  return digest.pageTexts ?? renderFacts(drawFacts(digest.sha256), digest.pageCount);
}

function viewOf(digest: DocumentDigest, pages: string[], start: number, end: number): DocumentView {
  const whole = start === 0 && end === pages.length - 1;
  const seed = whole ? digest.sha256 : `${digest.sha256}:${start}-${end}`;
  const slice = pages.slice(start, end + 1);
  return { seed, pages: slice, firstPage: start, read: readFacts(seed, slice) };
}

function extractionBody(
  ids: { inferenceId: string; jobId: string },
  model: EmulatorModel,
  file: InferenceFileJson,
  view: DocumentView,
  options: AppliedOptions,
): ExtractionInferenceBody {
  return {
    inference: {
      id: ids.inferenceId,
      job: { id: ids.jobId },
      model: { id: model.id },
      file,
      result: simulateExtraction(options.data_schema ?? model.fields ?? INVOICE_FIELDS, view, options, modelConfidence(model)),
      active_options: {
        raw_text: options.raw_text,
        polygon: options.polygon,
        confidence: options.confidence,
        rag: options.rag,
        multipage_context: false,
        text_context: options.text_context !== null,
        data_schema: { replace: options.data_schema !== null },
      },
    },
  };
}

/** A model's `confidence` knob as overrides by path (a single level covers every field). */
function modelConfidence(model: EmulatorModel): ConfidenceOverrides {
  const knob = model.confidence;
  if (knob === undefined) return new Map();
  if (typeof knob === 'string') return new Map([['*', knob]]);
  return new Map(Object.entries(knob));
}

type UtilityProduct = 'classification' | 'crop' | 'split';

/** The file of pages `start`–`end` (inclusive) as the real nested results describe it. */
function subDocumentFile(file: InferenceFileJson, product: UtilityProduct, start: number, end: number): InferenceFileJson {
  const part = { ...file, page_count: end - start + 1 };
  switch (product) {
    case 'classification':
      return part;
    case 'crop':
      // A crop is cut out of its page as an image.
      return { ...part, mime_type: 'image/png' };
    case 'split':
      // Named after the page range, its end exclusive: pages 0–1 of a.pdf are a.pdf_split_0_2.
      return { ...part, name: file.name === null ? null : `${file.name}_split_${start}_${end + 1}` };
  }
}

export function simulateInference(input: InferenceInput): InferenceBody {
  const { digest, model, file } = input;
  const pages = documentPages(digest);
  const last = pages.length - 1;
  const ids = { inferenceId: input.inferenceId, jobId: input.jobId };
  const wrap = (result: unknown): InferenceBody => ({
    inference: { id: input.inferenceId, job: { id: input.jobId }, model: { id: model.id }, file, result },
  });

  const target = model.extractionModelId ? input.findModel(model.extractionModelId) : undefined;
  /**
   * `{extraction_response}` for a part of the document, or nothing: real results leave the key
   * out when the model nests no extraction. Nested results always carry a RAG block.
   */
  const nested = (key: string, product: UtilityProduct, start: number, end: number): { extraction_response?: ExtractionInferenceBody } => {
    if (!target || target.modelType !== 'extraction') return {};
    const id = uuidFrom(`${input.inferenceId}:${key}`);
    const nestedFile = subDocumentFile(file, product, start, end);
    const body = extractionBody({ inferenceId: id, jobId: id }, target, nestedFile, viewOf(digest, pages, start, end), NO_OPTIONS);
    body.inference.result.rag = { retrieved_document_id: null };
    return { extraction_response: body };
  };

  const typeFor = (found: string, rng: Rng): string => {
    const types = model.documentTypes;
    if (!types || types.length === 0 || types.includes(found)) return found;
    return types.includes('other') ? 'other' : rng.pick(types);
  };

  switch (model.modelType) {
    case 'extraction':
      return extractionBody(ids, model, file, viewOf(digest, pages, 0, last), input.options);

    case 'classification': {
      const view = viewOf(digest, pages, 0, last);
      return wrap({
        classification: {
          document_type: typeFor(view.read.facts.documentType, Rng.derive(digest.sha256, 'classification')),
          ...nested('classification', 'classification', 0, last),
        },
      });
    }

    case 'crop': {
      const documentType = viewOf(digest, pages, 0, last).read.facts.documentType;
      const crops = pages.flatMap((_, page) => {
        const rng = Rng.derive(digest.sha256, 'crop', page);
        const count = rng.chance(0.35) ? 2 : 1;
        return Array.from({ length: count }, (_, slot) => ({
          object_type: typeFor(slot === 0 ? documentType : rng.pick(['receipt', 'invoice']), rng),
          location: { polygon: count === 1 ? regionBox(rng, 0, 1) : regionBox(rng, slot, count), page },
          ...nested(`crop:${page}:${slot}`, 'crop', page, page),
        }));
      });
      return wrap({ crops });
    }

    case 'ocr':
      return wrap({
        pages: pages.map((text) => ({
          content: `${SIMULATED_MARKER}\n${text}`,
          words: text.split('\n').flatMap((line, lineIndex) =>
            wordsOf(line).map(({ word, column }) => ({ content: word, polygon: textBox(lineIndex, column, word.length, line) })),
          ),
        })),
      });

    case 'split': {
      const rng = Rng.derive(digest.sha256, 'split');
      const ranges = splitRanges(pages);
      return wrap({
        splits: ranges.map(([start, end]) => ({
          page_range: [start, end],
          document_type: typeFor(titleType(pages[start] ?? '') ?? viewOf(digest, pages, start, end).read.facts.documentType, rng),
          ...nested(`split:${start}-${end}`, 'split', start, end),
        })),
      });
    }
  }
}

const TITLES: [RegExp, string][] = [
  [/^(tax )?invoice\b|^facture\b/i, 'invoice'],
  [/^receipt\b/i, 'receipt'],
  [/^credit note\b/i, 'credit_note'],
  [/^purchase order\b/i, 'purchase_order'],
  [/^bank statement\b/i, 'bank_statement'],
  [/^passport\b/i, 'passport'],
];

/** The document type a page's first line announces, if it is a title. */
function titleType(text: string): string | null {
  const first = text
    .split('\n')
    .map((l) => l.trim())
    .find((l) => l.length > 0);
  if (!first || /\bpage \d+ of \d+\b/i.test(first)) return null;
  for (const [re, type] of TITLES) if (re.test(first) && first.length <= 40) return type;
  return null;
}

/** Inclusive, 0-based page ranges covering every page: a new document starts at each title page. */
function splitRanges(pages: string[]): [number, number][] {
  const ranges: [number, number][] = [];
  let start = 0;
  for (let p = 1; p < pages.length; p++) {
    if (titleType(pages[p] ?? '') !== null) {
      ranges.push([start, p - 1]);
      start = p;
    }
  }
  ranges.push([start, Math.max(start, pages.length - 1)]);
  return ranges;
}
