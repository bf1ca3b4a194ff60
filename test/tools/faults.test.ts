/**
 * Every fault the emulator can inject, through a real MCP client: each call ends in a
 * recovered result or a clear error — never a crash, a hang past its deadline, or an
 * unhandled rejection (vitest fails the run on those).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DEMO_MODELS } from 'mindee-v2-emulator';
import type { Fault } from 'mindee-v2-emulator';
import { makeSampleInvoicePdf } from 'mindee-v2-emulator/samples';
import { startHarness, textOf, type Harness } from '../helpers/harness.js';
import { structuredOf } from '../helpers/structured.js';

let h: Harness;
afterEach(async () => {
  await h?.close();
});

const QUICK_CLIENT = { requestTimeoutMs: 1500, retry: { baseDelayMs: 5, maxDelayMs: 50, attemptTimeoutMs: 300 } };

type Kind = 'status-500' | 'status-503' | 'rate-limit' | 'reset' | 'hang' | 'malformed-json' | 'html';
const KINDS: Kind[] = ['status-500', 'status-503', 'rate-limit', 'reset', 'hang', 'malformed-json', 'html'];

function fault(route: 'enqueue' | 'job' | 'result', kind: Kind): Fault {
  switch (kind) {
    case 'status-500':
      return { route, kind: 'status', status: 500 };
    case 'status-503':
      return { route, kind: 'status', status: 503, retryAfterSeconds: 0 };
    case 'rate-limit':
      return { route, kind: 'rate-limit', retryAfterSeconds: 0 };
    case 'html':
      return { route, kind: 'html', status: 502 };
    default:
      return { route, kind };
  }
}

async function extract(maxWait = 5) {
  const path = await h.write('invoice.pdf', makeSampleInvoicePdf());
  // The harness's call time-out is the liveness bound: a wait past it fails the test.
  const result = await h.call('enqueue_document', { model_id: DEMO_MODELS.invoice, file_path: path, max_wait_seconds: maxWait });
  return { result };
}

describe('faults on polls and results are recovered from', () => {
  for (const route of ['job', 'result'] as const) {
    for (const kind of KINDS) {
      it(`${kind} on the ${route} route`, async () => {
        h = await startHarness({ client: QUICK_CLIENT });
        h.emulator.injectFault({ ...fault(route, kind), times: 2 });
        const { result } = await extract();
        expect(result.isError, textOf(result)).toBeFalsy();
        expect(structuredOf('enqueue_document', result).result!.fields!.invoice_number).toBe('INV-2026-0042');
      });
    }
  }
});

describe('faults on the enqueue itself', () => {
  it.each(['rate-limit', 'reset'] as const)('%s: a 429 is retried (no job was made); a reset is reported, saying a job may exist', async (kind) => {
    h = await startHarness({ client: QUICK_CLIENT });
    h.emulator.injectFault({ ...fault('enqueue', kind), times: 1 });
    const { result } = await extract();
    if (kind === 'rate-limit') {
      expect(result.isError, textOf(result)).toBeFalsy();
    } else {
      expect(result.isError).toBe(true);
      expect(textOf(result)).toMatch(/Could not reach the Mindee API/);
      expect(textOf(result)).toMatch(/may or may not have received the document/);
    }
  });

  it.each(['status-500', 'status-503', 'html', 'malformed-json', 'hang'] as const)('%s: a clear error, within the deadline', async (kind) => {
    h = await startHarness({ client: QUICK_CLIENT });
    h.emulator.injectFault({ ...fault('enqueue', kind), times: 1 });
    const { result } = await extract();
    expect(result.isError).toBe(true);
    const text = textOf(result);
    if (kind === 'status-500') expect(text).toContain('HTTP 500');
    if (kind === 'status-503') expect(text).toContain('HTTP 503');
    if (kind === 'html') expect(text).toMatch(/HTTP 502.*not JSON \(text\/html\)/);
    if (kind === 'malformed-json') expect(text).toContain('not valid JSON');
    if (kind === 'hang') expect(text).toContain('did not answer in time');
  });
});

describe('lasting faults end in a clear error, on time', () => {
  it('polls that keep failing', async () => {
    h = await startHarness({ client: QUICK_CLIENT, emulator: { processingMs: 200 } });
    h.emulator.injectFault({ route: 'job', kind: 'status', status: 503, retryAfterSeconds: 0, times: Infinity });
    const { result } = await extract(3);
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain('HTTP 503');
  });

  it('a job that never answers hands back the job at the deadline', async () => {
    h = await startHarness({ client: QUICK_CLIENT });
    h.emulator.injectFault({ route: 'job', kind: 'hang', times: Infinity });
    const { result } = await extract(1.5);
    // Either still processing (with the next call), or a clear time-out: never a hang.
    if (result.isError) expect(textOf(result)).toMatch(/did not answer in time/);
    else expect(structuredOf('enqueue_document', result).next_step).toContain('get_job_status');
  });
});

describe('failed jobs and the processing-time spread', () => {
  it.each([
    [{ status: 500, code: '500-012', title: 'Inference failed', detail: 'The inference could not be completed.' }, /500-012/],
    [{ status: 422, code: '422-001', title: 'Invalid fields in form', detail: 'The file could not be read.' }, /422-001.*could not be read/],
  ])('a job that fails with %o is an error naming the reason', async (error, pattern) => {
    h = await startHarness({ emulator: { processingMs: Infinity } });
    h.emulator.on('job-created', (job: { id: string }) => setImmediate(() => h.emulator.failJob(job.id, error)));
    const { result } = await extract();
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(pattern);
  });

  it('20 concurrent calls over a spread of processing times all come back', async () => {
    let n = 0;
    h = await startHarness({ emulator: { processingMs: () => (n++ * 37) % 400 } });
    const path = await h.write('invoice.pdf', makeSampleInvoicePdf());
    const results = await Promise.all(
      Array.from({ length: 20 }, () => h.call('enqueue_document', { model_id: DEMO_MODELS.invoice, file_path: path, fields: ['total_amount'] })),
    );
    for (const r of results) expect(structuredOf('enqueue_document', r).result!.fields!.total_amount).toBe(274.8);
  });
});
