/**
 * The waiter ends at once when a completion arrives from elsewhere — a webhook, another wait,
 * another process — instead of waiting for its next planned poll.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MindeeClient } from '../../src/client/mindee-client.js';
import { startEmulator, type Emulator } from 'mindee-v2-emulator';
import { DEMO_MODELS } from 'mindee-v2-emulator';
import { TEST_API_KEY } from '../setup/secrets.js';

let emulator: Emulator;
const clients: MindeeClient[] = [];
const HOUR = 3_600_000;

beforeEach(async () => {
  emulator = await startEmulator({ processingMs: Infinity, apiKey: TEST_API_KEY, rateLimits: false });
});
afterEach(async () => {
  for (const c of clients.splice(0)) await c.close();
  await emulator.close();
});

function client(polling: { firstPollMs: number; minIntervalMs?: number; maxIntervalMs?: number }): MindeeClient {
  const c = new MindeeClient({ apiKey: TEST_API_KEY, baseUrl: emulator.url, polling: { minIntervalMs: 10, maxIntervalMs: HOUR, earlyIntervalMs: HOUR, ...polling } });
  clients.push(c);
  return c;
}

const jobPolls = () => emulator.requests.filter((r) => r.method === 'GET' && r.path.startsWith('/v2/jobs/')).length;

describe('waitForResult and job events', () => {
  it('ends at once on a pushed completion, with no poll of the job', async () => {
    const c = client({ firstPollMs: HOUR });
    const job = await c.enqueue({ kind: 'url', url: 'https://example.com/a.pdf' }, { modelId: DEMO_MODELS.invoice });
    const waiting = c.waitForResult(job, { deadline: Date.now() + HOUR });
    emulator.completeJob(job.id);
    // What a webhook receiver does: publish the completion it was told of.
    c.connection.state.jobEvents.publish({ jobId: job.id, status: 'Processed', source: 'webhook', job: emulator.job(job.id) });
    const outcome = await waiting;
    expect(outcome.state).toBe('processed');
    if (outcome.state === 'processed') expect(outcome.inference?.id).toBeTruthy();
    expect(jobPolls()).toBe(0);
  });

  it('ends every wait for a job when one of them sees it finished', async () => {
    const connection = client({ firstPollMs: HOUR }).connection;
    const slow = connection.client(TEST_API_KEY);
    const job = await slow.enqueue({ kind: 'url', url: 'https://example.com/a.pdf' }, { modelId: DEMO_MODELS.invoice });
    const slowWait = slow.waitForResult(job, { deadline: Date.now() + HOUR, fetchResult: false });
    emulator.completeJob(job.id);
    // A second wait that polls at once finds it done; the slow one ends with it.
    const quick = connection.client(TEST_API_KEY);
    const first = await quick.waitForResult(job, { deadline: Date.now() + HOUR, fetchResult: false, startedAt: Date.now() - HOUR });
    expect(first.state).toBe('processed');
    const second = await slowWait;
    expect(second.state).toBe('processed');
    expect(jobPolls()).toBe(1);
  });

  it('ignores an event whose job is not valid, and polls instead', async () => {
    const c = client({ firstPollMs: HOUR });
    const job = await c.enqueue({ kind: 'url', url: 'https://example.com/a.pdf' }, { modelId: DEMO_MODELS.invoice });
    const waiting = c.waitForResult(job, { deadline: Date.now() + HOUR, fetchResult: false });
    emulator.completeJob(job.id);
    c.connection.state.jobEvents.publish({ jobId: job.id, status: 'Processed', source: 'peer', job: { job: { id: 'another-job', status: 'Processed' } } });
    const outcome = await waiting;
    expect(outcome.state).toBe('processed');
    expect(jobPolls()).toBe(1);
  });

  it('ends at once on a pushed completion while its poll waits for a rate-budget slot', async () => {
    // One GET an hour: the first poll takes it, the second waits for a slot the hour does not give.
    const c = new MindeeClient({
      apiKey: TEST_API_KEY,
      baseUrl: emulator.url,
      rateLimits: { postPerMinute: 10, getPerMinute: 1, windowMs: HOUR },
      polling: { firstPollMs: 0, minIntervalMs: 10, maxIntervalMs: 10, earlyIntervalMs: 10 },
    });
    clients.push(c);
    const job = await c.enqueue({ kind: 'url', url: 'https://example.com/a.pdf' }, { modelId: DEMO_MODELS.invoice });
    const waiting = c.waitForResult(job, { deadline: Date.now() + HOUR, fetchResult: false });
    await new Promise<void>((resolve) => {
      const check = () => (c.budget.usage().get.queued > 0 ? resolve() : setImmediate(check));
      check();
    });
    expect(jobPolls()).toBe(1);
    emulator.completeJob(job.id);
    c.connection.state.jobEvents.publish({ jobId: job.id, status: 'Processed', source: 'peer', job: emulator.job(job.id) });
    const outcome = await waiting;
    expect(outcome.state).toBe('processed');
    expect(jobPolls()).toBe(1);
    expect(c.budget.usage().get.queued).toBe(0);
  });
});

describe('waitForResult when GETs are scarce', () => {
  it('keeps waiting, not failing, when a poll finds no budget slot within one request\'s time', async () => {
    // One GET a minute, and a request time-out far below the wait: the second poll cannot be sent
    // in time (not_sent), which says nothing of the job — the wait hands it back at its deadline.
    const c = new MindeeClient({
      apiKey: TEST_API_KEY,
      baseUrl: emulator.url,
      requestTimeoutMs: 200,
      rateLimits: { postPerMinute: 10, getPerMinute: 1 },
      polling: { firstPollMs: 10, minIntervalMs: 10, maxIntervalMs: 20 },
    });
    clients.push(c);
    const job = await c.enqueue({ kind: 'url', url: 'https://example.com/a.pdf' }, { modelId: DEMO_MODELS.invoice });
    const outcome = await c.waitForResult(job, { deadline: Date.now() + 1500, fetchResult: false });
    expect(outcome.state).toBe('processing');
    expect(jobPolls()).toBe(1);
  });
});
