/** Shared helpers of the emulator tests: real HTTP against a real emulator on a loopback port. */
import { FormData, request } from 'undici';
import type { Emulator, JobBody, JobJson } from '../src/index.js';
import { EMULATOR_API_KEY } from '../src/index.js';

export interface Answer<T = unknown> {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: T;
}

export async function call<T = any>(
  emu: Emulator,
  method: 'GET' | 'POST' | 'PUT' | 'DELETE',
  path: string,
  options: { body?: FormData | string; headers?: Record<string, string>; key?: string | null } = {},
): Promise<Answer<T>> {
  const headers: Record<string, string> = { ...options.headers };
  const key = options.key === undefined ? EMULATOR_API_KEY : options.key;
  if (key !== null) headers.authorization = key;
  const url = path.startsWith('http') ? path : `${emu.url}${path}`;
  const res = await request(url, { method, headers, body: options.body });
  const text = await res.body.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.statusCode, headers: res.headers, text, json };
}

type Doc = Buffer | { url: string } | { base64: string };

export interface EnqueueInput {
  modelId: string;
  doc?: Doc;
  filename?: string;
  fields?: Record<string, string | string[]>;
  route?: string;
}

export function form(input: EnqueueInput): FormData {
  const fd = new FormData();
  fd.append('model_id', input.modelId);
  const doc = input.doc;
  if (Buffer.isBuffer(doc)) fd.append('file', new Blob([new Uint8Array(doc)]), input.filename ?? 'document.pdf');
  else if (doc && 'url' in doc) fd.append('url', doc.url);
  else if (doc && 'base64' in doc) fd.append('file_base64', doc.base64);
  for (const [name, value] of Object.entries(input.fields ?? {})) {
    for (const v of Array.isArray(value) ? value : [value]) fd.append(name, v);
  }
  return fd;
}

export async function enqueue(emu: Emulator, input: EnqueueInput, key?: string | null): Promise<Answer<any>> {
  const route = input.route ?? '/v2/products/extraction/enqueue';
  return call(emu, 'POST', route, { body: form(input), key });
}

/** Resolves when the job has left Processing (at once if it already has). */
export function finished(emu: Emulator, jobId: string): Promise<JobJson> {
  const now = emu.job(jobId)?.job;
  if (now && now.status !== 'Processing') return Promise.resolve(now);
  return new Promise((resolve) => {
    const listener = (job: JobJson) => {
      if (job.id !== jobId) return;
      emu.off('job-finished', listener);
      resolve(job);
    };
    emu.on('job-finished', listener);
  });
}

/** Enqueues, waits for the job to finish, then fetches the result through result_url. */
export async function run<T = any>(emu: Emulator, input: EnqueueInput): Promise<{ job: JobJson; result: Answer<T> }> {
  const created = await enqueue(emu, input);
  if (created.status !== 202) throw new Error(`enqueue answered ${created.status}: ${created.text}`);
  await finished(emu, created.json.job.id);
  const job = await call<JobBody>(emu, 'GET', `/v2/jobs/${created.json.job.id}?redirect=false`);
  const resultUrl = job.json.job.result_url;
  if (!resultUrl) throw new Error(`job has no result_url: ${job.text}`);
  return { job: job.json.job, result: await call<T>(emu, 'GET', resultUrl) };
}
