/**
 * The client's jobs and inferences → the tools' structured answers and their compact text.
 * Conversion from the API's words to the agent's happens here, once.
 */
import { inferenceIdFromResultUrl } from '../client/mindee-client.js';
import type { Inference, Job, Problem } from '../client/schemas.js';
import { plainFields, type Detail, type PlainValue } from './fields.js';
import type { InferenceShape, JobShape, ProblemShape } from './shapes.js';

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function problemSummary(problem: Problem): ProblemShape {
  return {
    status: problem.status ?? null,
    code: problem.code,
    title: problem.title,
    detail: problem.detail,
    errors: problem.errors.map((e) => ({ pointer: e.pointer, detail: e.detail })),
  };
}

export function jobSummary(job: Job): JobShape {
  return {
    job_id: job.id,
    status: job.status,
    model_id: job.model_id,
    filename: job.filename,
    alias: job.alias,
    created_at: job.created_at,
    completed_at: job.completed_at,
    inference_id: job.status === 'Processed' ? inferenceIdFromResultUrl(job.result_url) : null,
    error: job.error ? problemSummary(job.error) : null,
  };
}

export function inferenceSummary(inference: Inference, detail: Detail = 'values'): InferenceShape {
  const result = inference.result;
  const rawText = isRecord(result.raw_text) && Array.isArray(result.raw_text.pages) ? result.raw_text.pages : null;
  const rag = isRecord(result.rag) ? result.rag : null;
  return {
    inference_id: inference.id,
    job_id: inference.job?.id ?? null,
    model_id: inference.model?.id ?? null,
    file: {
      name: inference.file?.name ?? null,
      alias: inference.file?.alias ?? null,
      page_count: inference.file?.page_count ?? null,
      mime_type: inference.file?.mime_type ?? null,
    },
    active_options: inference.active_options,
    fields: isRecord(result.fields) ? plainFields(result.fields, detail) : {},
    raw_text: rawText
      ? rawText.map((p, i) => ({ page: i + 1, content: isRecord(p) && typeof p.content === 'string' ? p.content : '' }))
      : null,
    rag: rag ? { retrieved_document_id: typeof rag.retrieved_document_id === 'string' ? rag.retrieved_document_id : null } : null,
  };
}

// ---- text ----------------------------------------------------------------------------------

function formatScalar(v: PlainValue): string {
  if (v === null) return '—';
  if (typeof v === 'string') return v.includes('\n') ? JSON.stringify(v) : v;
  return String(v);
}

function isSimpleWithDetail(v: PlainValue): v is { value: PlainValue; confidence: PlainValue } {
  return isRecord(v) && 'value' in v && 'confidence' in v && !Array.isArray(v.value) && !isRecord(v.value);
}

/** Field lines: `name: value`, nested objects indented, list items numbered. */
export function renderFields(fields: { [key: string]: PlainValue }, indent = ''): string[] {
  const lines: string[] = [];
  for (const [name, value] of Object.entries(fields)) lines.push(...renderEntry(name, value, indent));
  return lines;
}

function renderEntry(name: string, value: PlainValue, indent: string): string[] {
  if (isSimpleWithDetail(value)) {
    const conf = value.confidence ? ` (${String(value.confidence)})` : '';
    return [`${indent}${name}: ${formatScalar(value.value)}${conf}`];
  }
  if (Array.isArray(value)) {
    if (value.length === 0) return [`${indent}${name}: (none)`];
    const lines = [`${indent}${name}:`];
    value.forEach((item, i) => {
      const marker = `${indent}  ${i + 1}. `;
      if (isRecord(item) && !isSimpleWithDetail(item)) {
        const inner = renderFields(item, ' '.repeat(marker.length));
        if (inner.length === 0) lines.push(`${marker}(empty)`);
        else lines.push(marker + inner[0]!.trimStart(), ...inner.slice(1));
      } else {
        lines.push(...renderEntry('', item, '').map((l, j) => (j === 0 ? marker + l.replace(/^: /, '') : l)));
      }
    });
    return lines;
  }
  if (isRecord(value)) {
    const inner = renderFields(value, `${indent}  `);
    return inner.length === 0 ? [`${indent}${name}: (empty)`] : [`${indent}${name}:`, ...inner];
  }
  return [`${indent}${name}: ${formatScalar(value)}`];
}

export function renderJob(job: JobShape): string {
  const lines = [`Job ${job.job_id}: ${job.status}`];
  const file = job.alias ? `${job.filename ?? 'document'} (alias ${job.alias})` : job.filename;
  if (file) lines.push(`file: ${file}`);
  if (job.model_id) lines.push(`model_id: ${job.model_id}`);
  if (job.created_at) lines.push(`created_at: ${job.created_at}`);
  if (job.completed_at) lines.push(`completed_at: ${job.completed_at}`);
  if (job.inference_id) lines.push(`inference_id: ${job.inference_id}`);
  if (job.error) lines.push(`error: ${renderProblem(job.error)}`);
  return lines.join('\n');
}

export function renderProblem(problem: ProblemShape): string {
  const head = [problem.code, problem.title].filter(Boolean).join(' ');
  const parts = [head, problem.detail].filter((s): s is string => !!s);
  for (const e of problem.errors) parts.push(e.pointer ? `${e.pointer}: ${e.detail}` : e.detail);
  return parts.join(' — ') || 'unknown error';
}

export function renderInference(summary: InferenceShape): string {
  const f = summary.file;
  const pages = f.page_count === null ? '' : `, ${f.page_count} page${f.page_count === 1 ? '' : 's'}`;
  const lines = [
    `Result ${summary.inference_id} (model ${summary.model_id ?? 'unknown'}) — ${f.name ?? 'document'}${f.alias ? ` (alias ${f.alias})` : ''}${pages}${f.mime_type ? `, ${f.mime_type}` : ''}`,
  ];
  const fieldLines = renderFields(summary.fields as { [key: string]: PlainValue });
  lines.push(...(fieldLines.length ? fieldLines : ['(no fields)']));
  if (summary.rag) lines.push(`rag: retrieved_document_id ${summary.rag.retrieved_document_id ?? '— (no match)'}`);
  if (summary.raw_text) {
    for (const p of summary.raw_text) lines.push(`--- raw text, page ${p.page} ---`, p.content);
  }
  return lines.join('\n');
}
