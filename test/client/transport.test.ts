/**
 * The one retry policy and the bounds of every answer, over undici's MockAgent: a POST is
 * retried only where no job can exist, a GET on any passing failure; bodies too large or too
 * deep are refused with the bound named; the key never comes back in anything read.
 */
import { MockAgent } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MindeeApiError, MindeeNetworkError, MindeeResponseError, MindeeTimeoutError } from '../../src/client/errors.js';
import { MindeeClient } from '../../src/client/mindee-client.js';
import { backoffMs, isRetryable, DEFAULT_RETRY } from '../../src/client/retry.js';

const BASE = 'https://api.mindee.test';
const KEY = 'md_unit_test_key_0123456789';
const json = { 'content-type': 'application/json' };
const URL_DOC = { kind: 'url', url: 'https://example.com/a.pdf' } as const;
const jobBody = (id = 'job-1') => ({ job: { id, status: 'Processing', model_id: 'm', created_at: null, completed_at: null, result_url: null } });

let agent: MockAgent;
let posts = 0;
let client: MindeeClient;

beforeEach(() => {
  agent = new MockAgent();
  agent.disableNetConnect();
  posts = 0;
  client = new MindeeClient({
    apiKey: KEY,
    baseUrl: BASE,
    dispatcher: agent,
    retry: { baseDelayMs: 1, maxRetries: 3 },
    observe: (e) => {
      if (e.method === 'POST') posts++;
    },
  });
});
afterEach(async () => {
  await agent.close();
});

const enqueue = () => client.enqueue(URL_DOC, { modelId: 'model-1' }).catch((e: unknown) => e);
const postRoute = () => agent.get(BASE).intercept({ path: '/v2/inferences/enqueue', method: 'POST' });

describe('enqueue retries only where no job can exist', () => {
  it('retries after 429, honouring Retry-After', async () => {
    postRoute().reply(429, { status: 429, title: 'Too many requests', detail: 'slow down', code: '429-001', errors: [] }, { headers: { ...json, 'retry-after': '0' } });
    postRoute().reply(202, jobBody(), { headers: json });
    const job = await client.enqueue(URL_DOC, { modelId: 'model-1' });
    expect(job.id).toBe('job-1');
    expect(posts).toBe(2);
  });

  it('keeps sending an enqueue refused by the rate limit past maxRetries: no job was created', async () => {
    const limited = () => postRoute().reply(429, { status: 429, title: 'Too many requests', detail: 'slow down', code: '429-001', errors: [] }, { headers: { ...json, 'retry-after': '0' } });
    for (let i = 0; i < 6; i++) limited();
    postRoute().reply(202, jobBody(), { headers: json });
    expect((await client.enqueue(URL_DOC, { modelId: 'model-1' })).id).toBe('job-1');
    expect(posts).toBe(7);
  });

  it('gives up at once when the wait the rate limit asks for passes the deadline, saying nothing was created', async () => {
    postRoute().reply(429, { status: 429, title: 'Too many requests', detail: 'slow down', code: '429-001', errors: [] }, { headers: { ...json, 'retry-after': '30' } });
    const error = (await client.enqueue(URL_DOC, { modelId: 'model-1' }, { deadline: Date.now() + 10_000 }).catch((e: unknown) => e)) as MindeeTimeoutError;
    expect(error.code).toBe('not_sent');
    expect(error.mayHaveEnqueued).toBe(false);
    expect(error.message).toMatch(/rate limit refused to enqueue the document \(HTTP 429\) and asked to wait 30 s, longer than the time left: no job was created/);
    expect(error.hint).toMatch(/Send it again in 30 s/);
    expect(posts).toBe(1);
  });

  it('retries when the connection was refused', async () => {
    postRoute().replyWithError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));
    postRoute().reply(202, jobBody(), { headers: json });
    expect((await client.enqueue(URL_DOC, { modelId: 'model-1' })).id).toBe('job-1');
    expect(posts).toBe(2);
  });

  it.each([
    ['a reset connection', () => postRoute().replyWithError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })), MindeeNetworkError],
    ['a body that is not JSON', () => postRoute().reply(202, '{"job":', { headers: json }), MindeeResponseError],
  ])('does not retry after %s, and says a job may exist', async (_what, reply, Kind) => {
    reply();
    const error = (await enqueue()) as InstanceType<typeof Kind>;
    expect(error).toBeInstanceOf(Kind);
    expect(error.mayHaveEnqueued).toBe(true);
    expect(error.hint).toMatch(/may or may not have received the document/);
    expect(posts).toBe(1);
  });

  it.each([500, 502, 504, 408])('does not retry HTTP %i, and says a job may have been made', async (status) => {
    postRoute().reply(status, { status, title: 'Server error', detail: 'boom', code: `${status}-001`, errors: [] }, { headers: json });
    const error = (await enqueue()) as MindeeApiError;
    expect(error).toBeInstanceOf(MindeeApiError);
    expect(error.status).toBe(status);
    expect(error.mayHaveEnqueued).toBe(true);
    expect(error.hint).toMatch(/may or may not have received the document/);
    expect(posts).toBe(1);
  });

  it('says no job exists when the connection never opened, however many tries', async () => {
    postRoute().replyWithError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })).persist();
    const error = (await enqueue()) as MindeeNetworkError;
    expect(error).toBeInstanceOf(MindeeNetworkError);
    expect(error.mayHaveEnqueued).toBe(false);
    expect(error.hint).not.toMatch(/may or may not/);
  });
});

describe('the retry policy', () => {
  it('tells GETs from POSTs', () => {
    const refused = new MindeeNetworkError('x', { systemCode: 'ECONNREFUSED' });
    const reset = new MindeeNetworkError('x', { systemCode: 'ECONNRESET' });
    const unavailable = new MindeeApiError({ status: 503, action: 'a' });
    const limited = new MindeeApiError({ status: 429, action: 'a' });
    const refusedByApi = new MindeeApiError({ status: 422, action: 'a' });
    expect([refused, reset, unavailable, limited, refusedByApi].map((e) => isRetryable('GET', e))).toEqual([true, true, true, true, false]);
    expect([refused, reset, unavailable, limited, refusedByApi].map((e) => isRetryable('POST', e))).toEqual([true, false, false, true, false]);
    expect(isRetryable('GET', new MindeeTimeoutError('slow'))).toBe(true);
  });

  it('backs off exponentially with full jitter, within its bounds, and honours Retry-After', () => {
    expect(backoffMs(1, DEFAULT_RETRY, null, () => 1)).toBe(250);
    expect(backoffMs(3, DEFAULT_RETRY, null, () => 1)).toBe(1000);
    expect(backoffMs(10, DEFAULT_RETRY, null, () => 1)).toBe(8000);
    expect(backoffMs(3, DEFAULT_RETRY, null, () => 0.5)).toBe(500);
    expect(backoffMs(1, DEFAULT_RETRY, 3)).toBe(3000);
    expect(backoffMs(1, DEFAULT_RETRY, 3600)).toBe(8000);
  });
});

describe('answers are bounded', () => {
  it('refuses a body whose declared length is over the bound, without reading it', async () => {
    const small = new MindeeClient({ apiKey: KEY, baseUrl: BASE, dispatcher: agent, maxResponseBytes: 1024, retry: { maxRetries: 0 } });
    agent
      .get(BASE)
      .intercept({ path: '/v2/jobs/job-1', method: 'GET' })
      .reply(200, JSON.stringify({ ...jobBody(), pad: 'x'.repeat(2048) }), { headers: json });
    const error = await small.getJob('job-1').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MindeeResponseError);
    expect((error as MindeeResponseError).code).toBe('response_too_large');
    expect((error as Error).message).toContain('larger than the 1 KB');
    expect((error as MindeeResponseError).hint).toContain('MINDEE_MCP_MAX_RESPONSE_MB');
  });

  it('refuses JSON nested deeper than any result, instead of overflowing the stack', async () => {
    const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    agent.get(BASE).intercept({ path: '/v2/jobs/job-1', method: 'GET' }).reply(200, deep, { headers: json });
    const error = await client.getJob('job-1').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MindeeResponseError);
    expect((error as Error).message).toMatch(/nests deeper than \d+ levels/);
  });

  it('redacts the key, and any leading piece of it, from everything read', async () => {
    agent
      .get(BASE)
      .intercept({ path: '/v2/jobs/job-1', method: 'GET' })
      .reply(200, { job: { ...jobBody().job, filename: `${KEY}.pdf`, alias: `cut ${KEY.slice(0, 12)}`, [KEY]: 1 } }, { headers: json });
    const job = await client.getJob('job-1');
    const text = JSON.stringify(job);
    expect(text).not.toContain(KEY.slice(0, 8));
    expect(job.filename).toBe('[redacted].pdf');
    expect(job.alias).toBe('cut [redacted]');
  });

  it('quotes a huge error detail with a bound', async () => {
    agent
      .get(BASE)
      .intercept({ path: '/v2/jobs/job-1', method: 'GET' })
      .reply(422, { status: 422, title: 'Bad', detail: 'd'.repeat(100_000), code: '422-001', errors: Array.from({ length: 1000 }, () => ({ pointer: '#/x', detail: 'e'.repeat(10_000) })) }, { headers: json });
    const error = (await client.getJob('job-1').catch((e: unknown) => e)) as MindeeApiError;
    expect(error).toBeInstanceOf(MindeeApiError);
    expect(error.message.length).toBeLessThan(15_000);
    expect(error.message).toContain('100,000 characters in all');
    expect(error.message).toContain('and 980 more');
  });
});
