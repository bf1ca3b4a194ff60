import { MockAgent } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  MindeeAbortError,
  MindeeApiError,
  MissingApiKeyError,
  MindeeInputError,
  MindeeNetworkError,
  MindeeOriginError,
  MindeeResponseError,
  MindeeTimeoutError,
} from '../../src/client/errors.js';
import { MindeeClient, checkId, inferenceIdFromResultUrl, productFromResultUrl } from '../../src/client/mindee-client.js';

const BASE = 'https://api.mindee.test';
const KEY = 'md_unit_test_key_0123456789';

function job(overrides: Record<string, unknown> = {}) {
  return {
    job: {
      id: 'job-1',
      model_id: 'model-1',
      filename: 'a.pdf',
      alias: null,
      created_at: '2026-11-28T10:00:00.000000',
      completed_at: null,
      status: 'Processing',
      polling_url: `${BASE}/v2/jobs/job-1`,
      result_url: null,
      webhooks: [],
      error: null,
      ...overrides,
    },
  };
}

function inference(id = 'inf-1') {
  return {
    inference: {
      id,
      job: { id: 'job-1' },
      model: { id: 'model-1' },
      file: { name: 'a.pdf', alias: null, page_count: 1, mime_type: 'application/pdf' },
      result: { fields: { total: { value: 12.5 } }, raw_text: null, rag: null },
      active_options: { raw_text: false },
    },
  };
}

const json = { 'content-type': 'application/json' };

describe('MindeeClient over a mocked dispatcher', () => {
  let agent: MockAgent;
  let client: MindeeClient;

  beforeEach(() => {
    agent = new MockAgent();
    agent.disableNetConnect();
    client = new MindeeClient({
      apiKey: KEY,
      baseUrl: BASE,
      dispatcher: agent,
      requestTimeoutMs: 2000,
      polling: { firstPollMs: 5, minIntervalMs: 5, maxIntervalMs: 10 },
    });
  });
  afterEach(async () => {
    await agent.close();
  });

  it('sends the raw key, no Bearer prefix, and a User-Agent naming mindee-mcp', async () => {
    let seen: Record<string, string> = {};
    agent
      .get(BASE)
      .intercept({ path: '/v2/jobs/job-1', method: 'GET' })
      .reply((opts) => {
        seen = Object.fromEntries(Object.entries(opts.headers as Record<string, string>).map(([k, v]) => [k.toLowerCase(), v]));
        return { statusCode: 200, data: job(), responseOptions: { headers: json } };
      });
    const j = await client.getJob('job-1');
    expect(j.status).toBe('Processing');
    expect(seen.authorization).toBe(KEY);
    expect(seen['user-agent']).toMatch(/^mindee-mcp\/\d+\.\d+\.\d+/);
  });

  it('reads the job from a 302 answer without following the redirect', async () => {
    const processed = job({ status: 'Processed', result_url: `${BASE}/v2/inferences/inf-9` });
    agent
      .get(BASE)
      .intercept({ path: '/v2/jobs/job-1', method: 'GET' })
      .reply(302, processed, { headers: { ...json, location: `${BASE}/v2/inferences/inf-9` } });
    const j = await client.getJob('job-1');
    expect(j.status).toBe('Processed');
    expect(inferenceIdFromResultUrl(j.result_url)).toBe('inf-9');
  });

  it('turns an RFC 9457 body into a MindeeApiError with status, code, title, detail and errors', async () => {
    agent
      .get(BASE)
      .intercept({ path: '/v2/inferences/enqueue', method: 'POST' })
      .reply(
        422,
        {
          status: 422,
          title: 'Invalid fields in form',
          detail: 'One or more fields failed validation.',
          code: '422-001',
          errors: [{ pointer: '#/model_id', detail: 'model_id must be a valid UUID format' }],
        },
        { headers: json },
      );
    const error = await client.enqueue({ kind: 'url', url: 'https://example.com/a.pdf' }, { modelId: 'abc' }).catch((e) => e);
    expect(error).toBeInstanceOf(MindeeApiError);
    expect(error).toMatchObject({ status: 422, problemCode: '422-001', code: 'api_error', title: 'Invalid fields in form' });
    expect(error.errors).toEqual([{ pointer: '#/model_id', detail: 'model_id must be a valid UUID format' }]);
    expect(error.message).toContain('#/model_id: model_id must be a valid UUID format');
    expect(error.hint).toMatch(/correct the fields/);
  });

  it.each([
    [401, '401-001', /API key was rejected/],
    [401, '401-008', /No API key reached Mindee/],
    [404, null, /may have expired/],
  ])('gives HTTP %i (%s) a hint that says what to do', async (status, code, hint) => {
    agent
      .get(BASE)
      .intercept({ path: '/v2/jobs/job-1', method: 'GET' })
      .reply(status, { status, title: 't', detail: 'd', code, errors: [] }, { headers: json });
    const error = await client.getJob('job-1').catch((e) => e);
    expect(error).toBeInstanceOf(MindeeApiError);
    expect(error.status).toBe(status);
    expect(error.hint).toMatch(hint);
  });

  it('reports the HTTP status of a non-JSON error page, with Retry-After', async () => {
    agent
      .get(BASE)
      .intercept({ path: '/v2/inferences/enqueue', method: 'POST' })
      .reply(503, '<html><body>Bad gateway</body></html>', { headers: { 'content-type': 'text/html', 'retry-after': '7' } });
    const error = await client.enqueue({ kind: 'url', url: 'https://example.com/a.pdf' }, { modelId: 'm' }).catch((e) => e);
    expect(error).toBeInstanceOf(MindeeApiError);
    expect(error.status).toBe(503);
    expect(error.retryAfterSeconds).toBe(7);
    expect(error.message).toContain('HTTP 503');
    expect(error.message).toContain('text/html');
  });

  it('says so when a 2xx body is not JSON (after retrying: a GET may) or not the documented shape (at once)', async () => {
    const pool = agent.get(BASE);
    const quick = new MindeeClient({ apiKey: KEY, baseUrl: BASE, dispatcher: agent, retry: { baseDelayMs: 1, maxRetries: 2 } });
    pool.intercept({ path: '/v2/jobs/job-1', method: 'GET' }).reply(200, '{"job": {"id": ', { headers: json }).times(3);
    await expect(quick.getJob('job-1')).rejects.toThrow(MindeeResponseError);
    pool.intercept({ path: '/v2/jobs/job-1', method: 'GET' }).reply(200, { job: { id: 'job-1' } }, { headers: json });
    await expect(quick.getJob('job-1')).rejects.toThrow(/does not have the documented shape \("job.status/);
  });

  it('accepts lenient shapes: non-UUID ids, missing optional keys', async () => {
    agent
      .get(BASE)
      .intercept({ path: '/v2/inferences/not-a-uuid', method: 'GET' })
      .reply(200, { inference: { id: 'not-a-uuid', result: { fields: {} } } }, { headers: json });
    const inf = await client.getResult({ inferenceId: 'not-a-uuid' });
    expect(inf).toMatchObject({ id: 'not-a-uuid', file: null, active_options: null });
  });

  it('routes results of utility products to /v2/products/{product}/results/{id}', async () => {
    agent
      .get(BASE)
      .intercept({ path: '/v2/products/split/results/inf-3', method: 'GET' })
      .reply(200, { inference: { id: 'inf-3', result: { splits: [] } } }, { headers: json });
    const inf = await client.getResult({ inferenceId: 'inf-3', product: 'split' });
    expect(inf.result).toEqual({ splits: [] });
  });

  it('refuses ids that could reach another route, before any request', async () => {
    for (const bad of ['../search/models', 'a/b', 'a?b', '', 'x'.repeat(200), 'a b', '%2e%2e']) {
      await expect(client.getJob(bad)).rejects.toThrow(MindeeInputError);
    }
    expect(() => checkId('../search/models', 'job_id')).toThrow(/letters, digits/);
    expect(checkId('Ab-9_z', 'job_id')).toBe('Ab-9_z');
  });

  it('does not follow a result_url on another origin, so the key is not sent there', async () => {
    const error = await client.getResult({ resultUrl: 'https://evil.example/v2/inferences/x' }).catch((e) => e);
    expect(error).toBeInstanceOf(MindeeOriginError);
    expect(error.message).toContain('https://evil.example');
    expect(error.message).not.toContain(KEY);
  });

  it('retries a GET after a reset connection or a 503, honouring Retry-After', async () => {
    const pool = agent.get(BASE);
    pool.intercept({ path: '/v2/jobs/job-1', method: 'GET' }).replyWithError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
    pool.intercept({ path: '/v2/jobs/job-1', method: 'GET' }).reply(503, 'busy', { headers: { 'retry-after': '0' } });
    pool.intercept({ path: '/v2/jobs/job-1', method: 'GET' }).reply(200, job(), { headers: json });
    const retried: Array<number | null> = [];
    const quick = new MindeeClient({ apiKey: KEY, baseUrl: BASE, dispatcher: agent, retry: { baseDelayMs: 1 }, observe: (e) => e.retried && retried.push(e.status) });
    expect((await quick.getJob('job-1')).status).toBe('Processing');
    expect(retried).toEqual([null, 503]);
  });

  it('gives up on a lasting 503 with an API error that keeps the status', async () => {
    agent.get(BASE).intercept({ path: '/v2/jobs/job-1', method: 'GET' }).reply(503, 'busy', { headers: { 'retry-after': '0' } }).persist();
    let retries = 0;
    const quick = new MindeeClient({ apiKey: KEY, baseUrl: BASE, dispatcher: agent, retry: { baseDelayMs: 1, maxRetries: 2 }, observe: (e) => { if (e.retried) retries++; } });
    const error = await quick.getJob('job-1').catch((e) => e);
    expect(error).toBeInstanceOf(MindeeApiError);
    expect(error.status).toBe(503);
    expect(error.message).toContain('after 2 retries');
    expect(retries).toBe(2);
  });

  it('wraps lasting connection failures in MindeeNetworkError and never shows the key', async () => {
    agent
      .get(BASE)
      .intercept({ path: '/v2/jobs/job-1', method: 'GET' })
      .replyWithError(Object.assign(new Error(`connect ECONNREFUSED (key ${KEY})`), { code: 'ECONNREFUSED' }))
      .persist();
    let retries = 0;
    const quick = new MindeeClient({ apiKey: KEY, baseUrl: BASE, dispatcher: agent, retry: { baseDelayMs: 1, maxRetries: 2 }, observe: (e) => { if (e.retried) retries++; } });
    const error = await quick.getJob('job-1').catch((e) => e);
    expect(error).toBeInstanceOf(MindeeNetworkError);
    expect(error.message).toContain('ECONNREFUSED');
    expect(error.message).not.toContain(KEY);
    expect(retries).toBe(2);
  });

  it('redacts a key the API echoes back in an error body', async () => {
    agent
      .get(BASE)
      .intercept({ path: '/v2/jobs/job-1', method: 'GET' })
      .reply(401, { status: 401, title: 'Invalid API key', detail: `The key ${KEY} is invalid.`, code: '401-001', errors: [] }, { headers: json });
    const error = await client.getJob('job-1').catch((e) => e);
    expect(error.message).toContain('[redacted]');
    expect(JSON.stringify({ ...error, message: error.message })).not.toContain(KEY);
  });

  it('times out a request that does not answer in time', async () => {
    const slow = new MindeeClient({ apiKey: KEY, baseUrl: BASE, dispatcher: agent, requestTimeoutMs: 50 });
    agent.get(BASE).intercept({ path: '/v2/jobs/job-1', method: 'GET' }).reply(200, job(), { headers: json }).delay(2000);
    await expect(slow.getJob('job-1')).rejects.toThrow(MindeeTimeoutError);
  });

  it('explains a missing key instead of sending a request', async () => {
    const keyless = new MindeeClient({ apiKey: undefined, baseUrl: BASE, dispatcher: agent, missingKeyHint: 'start with --emulator' });
    const error = await keyless.getJob('job-1').catch((e) => e);
    expect(error).toBeInstanceOf(MissingApiKeyError);
    expect(error.hint).toBe('start with --emulator');
  });

  it('refuses extraction-only options on a utility product, naming them', async () => {
    await expect(
      client.enqueue({ kind: 'url', url: 'https://example.com/a.pdf' }, { modelId: 'm', product: 'ocr', rawText: true, textContext: 'x' }),
    ).rejects.toThrow(/raw_text, text_context apply only to the extraction product/);
  });

  describe('waitForResult', () => {
    it('polls until processed, then fetches the result from result_url', async () => {
      const pool = agent.get(BASE);
      pool.intercept({ path: '/v2/jobs/job-1', method: 'GET' }).reply(200, job(), { headers: json }).times(2);
      pool
        .intercept({ path: '/v2/jobs/job-1', method: 'GET' })
        .reply(302, job({ status: 'Processed', result_url: `${BASE}/v2/inferences/inf-1` }), { headers: json });
      pool.intercept({ path: '/v2/inferences/inf-1', method: 'GET' }).reply(200, inference(), { headers: json });
      const progress: number[] = [];
      const outcome = await client.waitForResult(job().job, { onProgress: (p) => progress.push(p.polls) });
      expect(outcome.state).toBe('processed');
      expect(outcome.polls).toBe(3);
      expect(progress).toEqual([1, 2, 3]);
      if (outcome.state === 'processed') expect(outcome.inference?.id).toBe('inf-1');
    });

    it('returns a failed job with its error', async () => {
      agent
        .get(BASE)
        .intercept({ path: '/v2/jobs/job-1', method: 'GET' })
        .reply(
          200,
          job({ status: 'Failed', error: { status: 500, title: 'Inference failed', detail: 'boom', code: '500-012', errors: [] } }),
          { headers: json },
        );
      const outcome = await client.waitForResult(job().job);
      expect(outcome.state).toBe('failed');
      expect(outcome.job.error).toMatchObject({ code: '500-012', status: 500 });
    });

    it('hands the job back, still processing, when the deadline comes', async () => {
      agent.get(BASE).intercept({ path: '/v2/jobs/job-1', method: 'GET' }).reply(200, job(), { headers: json }).persist();
      const outcome = await client.waitForResult(job().job, { deadline: Date.now() + 150 });
      expect(outcome.state).toBe('processing');
      expect(outcome.polls).toBeGreaterThan(0);
    });

    it('stops at once when the signal aborts', async () => {
      agent.get(BASE).intercept({ path: '/v2/jobs/job-1', method: 'GET' }).reply(200, job(), { headers: json }).persist();
      const controller = new AbortController();
      const waiting = client.waitForResult(job().job, {
        signal: controller.signal,
        onProgress: (p) => {
          if (p.polls === 2) controller.abort(new Error('client cancelled'));
        },
      });
      await expect(waiting).rejects.toThrow(MindeeAbortError);
      await expect(waiting).rejects.toThrow(/client cancelled/);
    });

    it('reports a processed job whose result is on a foreign origin without losing the job', async () => {
      agent
        .get(BASE)
        .intercept({ path: '/v2/jobs/job-1', method: 'GET' })
        .reply(302, job({ status: 'Processed', result_url: 'https://elsewhere.example/v2/inferences/inf-1' }), { headers: json });
      const outcome = await client.waitForResult(job().job);
      expect(outcome.state).toBe('processed');
      if (outcome.state === 'processed') {
        expect(outcome.inference).toBeNull();
        expect(outcome.resultError).toBeInstanceOf(MindeeOriginError);
      }
    });
  });
});

describe('result URLs', () => {
  it('yield the inference id and product', () => {
    expect(inferenceIdFromResultUrl('https://x/v2/inferences/abc-1')).toBe('abc-1');
    expect(inferenceIdFromResultUrl('https://x/v2/products/crop/results/abc-2')).toBe('abc-2');
    expect(inferenceIdFromResultUrl(null)).toBeNull();
    expect(inferenceIdFromResultUrl('not a url')).toBeNull();
    expect(productFromResultUrl('https://x/v2/products/crop/results/abc-2')).toBe('crop');
    expect(productFromResultUrl('https://x/v2/inferences/abc-1')).toBe('extraction');
  });
});
