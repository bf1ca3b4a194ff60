/**
 * mindee-key mode: nothing crosses between two callers with two keys (two Mindee accounts).
 * A result kept for one is never served to the other — its id answers as unknown — the
 * resource list shows each caller its own results only, and each key has its own rate budget.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { makeSampleInvoicePdf } from 'mindee-v2-emulator/samples';
import { startAccounts, type Accounts } from '../helpers/accounts.js';
import { callTool, startHttpHarness, type HttpHarness } from '../helpers/http-harness.js';
import { TEST_API_KEY, addSecret } from '../setup/secrets.js';
import { structuredOf } from '../helpers/structured.js';

const KEY_B = 'md_test_SECOND_ACCOUNT_9b8a7c6d5e4f3a2b1c0d';
addSecret(KEY_B);

let h: HttpHarness | undefined;
let accounts: Accounts | undefined;
afterEach(async () => {
  await h?.close();
  await accounts?.close();
  h = undefined;
  accounts = undefined;
});

async function start(rateLimits?: { postPerMinute: number; getPerMinute: number }) {
  accounts = await startAccounts([TEST_API_KEY, KEY_B]);
  h = await startHttpHarness({
    argv: ['--auth', 'mindee-key'],
    env: { MINDEE_V2_API_KEY: '' },
    sharedEmulator: accounts.emulators.get(TEST_API_KEY)!,
    connection: { baseUrl: accounts.url, ...(rateLimits ? { rateLimits } : {}) },
  });
  const a = await h.client({ authorization: `Bearer ${TEST_API_KEY}` });
  const b = await h.client({ 'x-mindee-api-key': KEY_B });
  return { a, b };
}

describe('two callers, two keys', () => {
  it('never serves one caller the result kept for the other, nor lists it', async () => {
    const { a, b } = await start();
    const done = await callTool(a, 'enqueue_document', { model_id: 'invoice', file_base64: makeSampleInvoicePdf().toString('base64'), filename: 'a.pdf' });
    const inferenceId = structuredOf('enqueue_document', done).result!.inference_id;
    const uri = `mindee://inferences/${inferenceId}`;

    expect((await a.listResources()).resources.map((r) => r.uri)).toEqual([uri]);
    expect((await b.listResources()).resources).toEqual([]);

    const emulatorB = accounts!.emulators.get(KEY_B)!;
    const guessed = await callTool(b, 'get_inference_result', { inference_id: inferenceId });
    expect(guessed.isError).toBe(true);
    expect(JSON.stringify(guessed.content)).toContain(`No result with id ${inferenceId} is known to you`);
    expect(JSON.stringify(guessed.content)).not.toContain('INV-2026-0042');
    // A's result is recorded as A's: B is answered from the server's own records, and neither
    // account is asked (nor A's cache used).
    expect(emulatorB.requests.some((r) => r.path.endsWith(inferenceId))).toBe(false);
    await expect(b.readResource({ uri })).rejects.toThrow(/is known to you/i);

    const own = await callTool(a, 'get_inference_result', { inference_id: inferenceId });
    expect(JSON.stringify(own.structuredContent)).toContain('INV-2026-0042');
  });

  it('gives each key its own rate budget', async () => {
    const { a, b } = await start({ postPerMinute: 1, getPerMinute: 100 });
    const send = (client: typeof a) => callTool(client, 'enqueue_document', { model_id: 'invoice', url: 'https://example.com/a.pdf', wait: false, max_wait_seconds: 1 });
    expect((await send(a)).isError).toBeFalsy();
    // A's one POST of the minute is spent: its next enqueue finds no slot before its deadline.
    const again = await send(a);
    expect(again.isError).toBe(true);
    expect(JSON.stringify(again.content)).toMatch(/No request slot became free/);
    // B's budget is its own.
    expect((await send(b)).isError).toBeFalsy();
    const metrics = await h!.fetch('/metrics');
    expect(metrics.text).toMatch(/mindee_mcp_rate_budget_limit\{kind="post"\} 2\n/);
    expect(metrics.text).toMatch(/mindee_mcp_rate_budget_in_window\{kind="post"\} 2\n/);
  });
});
