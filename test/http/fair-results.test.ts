/**
 * Issue 16, Weak 1, over HTTP in mindee-key mode: two keys share one server's kept results. One
 * key's flood of results must not push out the other's result of a model that deletes its results
 * once fetched — it could never be fetched again. Failed on the code before (one least recently
 * used list for every key: the flood evicted it, and reading it again answered 404).
 */
import { DEMO_MODELS } from 'mindee-v2-emulator';
import { makeSampleInvoicePdf } from 'mindee-v2-emulator/samples';
import { afterEach, describe, expect, it } from 'vitest';
import { startAccounts, type Accounts } from '../helpers/accounts.js';
import { callTool, startHttpHarness, type HttpHarness } from '../helpers/http-harness.js';
import { TEST_API_KEY, addSecret } from '../setup/secrets.js';

const KEY_B = 'md_test_FLOODING_ACCOUNT_1a2b3c4d5e6f7a8b9c0d';
addSecret(KEY_B);

let h: HttpHarness | undefined;
let accounts: Accounts | undefined;
afterEach(async () => {
  await h?.close();
  await accounts?.close();
  h = undefined;
  accounts = undefined;
});

describe('kept results on a server shared by two keys', () => {
  it('a flood of one key\'s results does not push out the other\'s delete-on-fetch result', async () => {
    accounts = await startAccounts([TEST_API_KEY, KEY_B]);
    h = await startHttpHarness({
      argv: ['--auth', 'mindee-key'],
      env: { MINDEE_V2_API_KEY: '' },
      sharedEmulator: accounts.emulators.get(TEST_API_KEY)!,
      connection: { baseUrl: accounts.url, resultCache: { maxEntries: 4 } },
    });
    const a = await h.client({ authorization: `Bearer ${TEST_API_KEY}` });
    const b = await h.client({ 'x-mindee-api-key': KEY_B });
    const pdf = makeSampleInvoicePdf().toString('base64');

    const done = await callTool(a, 'enqueue_document', { model_id: DEMO_MODELS.deleteOnFetch, file_base64: pdf, filename: 'once.pdf' });
    expect(done.isError, JSON.stringify(done.content)).toBeFalsy();
    const inferenceId = (done.structuredContent as { result: { inference_id: string } }).result.inference_id;

    for (let i = 0; i < 6; i++) {
      const flood = await callTool(b, 'enqueue_document', { model_id: DEMO_MODELS.invoice, file_base64: pdf, filename: `b${i}.pdf` });
      expect(flood.isError, JSON.stringify(flood.content)).toBeFalsy();
    }
    // Mindee no longer has it: only the kept copy can answer.
    const again = await callTool(a, 'get_inference_result', { inference_id: inferenceId });
    expect(again.isError, JSON.stringify(again.content)).toBeFalsy();
    expect(JSON.stringify(again.structuredContent)).toContain('INV-2026-0042');
    // B keeps what is left: its most recent results.
    expect((await b.listResources()).resources).toHaveLength(3);
  });
});
