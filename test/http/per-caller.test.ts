/**
 * What the remote server makes per request and what per caller: a caller's deps (its Mindee
 * client, redactor and logger) are made at its first request and shared by the next ones, never
 * by another caller.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { JSON_HEADERS, callTool, rpc, startHttpHarness, type HttpHarness } from '../helpers/http-harness.js';
import { addSecret } from '../setup/secrets.js';
import { structuredOf } from '../helpers/structured.js';

let h: HttpHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe("a caller's deps", () => {
  const first = 'tok_first_3b5d7f9a1c2e4f6a8b0c';
  const second = 'tok_second_9e7c5a3b1d2f4e6a8c0d';
  beforeAll(() => {
    addSecret(first);
    addSecret(second);
  });

  it('are made once per caller, not once per request, and each caller keeps its own', async () => {
    const made: Array<ReadonlyArray<string | undefined>> = [];
    h = await startHttpHarness({
      env: { MINDEE_MCP_AUTH: 'token', MINDEE_MCP_HTTP_TOKENS: `${first},${second}` },
      wrapMakeLogger: (make) => (secrets) => {
        made.push(secrets);
        return make(secrets);
      },
    });
    const atStart = made.length;
    for (let i = 0; i < 5; i++) {
      for (const token of [first, second]) {
        const res = await h.fetch('/mcp', { method: 'POST', headers: { ...JSON_HEADERS, accept: 'application/json', authorization: `Bearer ${token}` }, body: rpc('tools/list') });
        expect(res.status).toBe(200);
      }
    }
    // Ten requests of two callers: two loggers (one per caller, redacting its token).
    const perCaller = made.slice(atStart);
    expect(perCaller).toHaveLength(2);
    expect(perCaller.map((s) => s.includes(first))).toEqual([true, false]);
    expect(perCaller.map((s) => s.includes(second))).toEqual([false, true]);

    // Each caller still has its own results: the second does not see the first's.
    const a = await h.client({ authorization: `Bearer ${first}` });
    const done = await callTool(a, 'enqueue_document', { model_id: 'invoice', url: 'https://example.com/invoice.pdf' });
    expect(done.isError).toBeFalsy();
    const inferenceId = structuredOf('enqueue_document', done).result!.inference_id;
    expect((await a.listResources()).resources.map((r) => r.uri)).toContain(`mindee://inferences/${inferenceId}`);
    const b = await h.client({ authorization: `Bearer ${second}` });
    expect((await b.listResources()).resources.map((r) => r.uri)).not.toContain(`mindee://inferences/${inferenceId}`);
    expect(made.length - atStart).toBe(2);
  });
});
