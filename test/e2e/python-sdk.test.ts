/**
 * An optional check with the official Python SDK (`pip install mindee`), where it is installed:
 * its v2 job parser reads every key of a job's error objects and of its webhooks' (a webhook error
 * without `title` and `code` crashed it with KeyError). Skipped, said once, when Python or the
 * package is missing — it cannot be installed on every machine that runs the tests.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_MODELS, DEMO_WEBHOOKS, startEmulator, type Emulator } from 'mindee-v2-emulator';
import { makeSampleInvoicePdf } from 'mindee-v2-emulator/samples';

const PARSE = `
import json, sys
from mindee.parsing.v2.job import Job
job = Job(json.load(sys.stdin)["job"])
print(json.dumps({"error": [job.error.title, job.error.code] if job.error else None,
                  "webhooks": [[w.error.title, w.error.code] if w.error else None for w in job.webhooks]}))
`;
const available = spawnSync('python3', ['-c', 'import mindee.parsing.v2.job'], { stdio: 'ignore' }).status === 0;
if (!available) process.stderr.write('python-sdk.test.ts: skipped — the Python SDK (python3 -m pip install mindee) is not installed here.\n');

describe.skipIf(!available)('the official Python SDK reads the emulator’s jobs', () => {
  let emulator: Emulator;
  beforeAll(async () => {
    // Webhooks to a port nothing listens on: their delivery fails, with an error object.
    emulator = await startEmulator({ processingMs: Infinity, webhookUrl: 'http://127.0.0.1:9/hooks' });
  });
  afterAll(() => emulator.close());

  it('parses a failed job whose webhook delivery failed, error objects included', async () => {
    const form = new FormData();
    form.append('model_id', DEMO_MODELS.invoice);
    form.append('webhook_ids', DEMO_WEBHOOKS.invoiceSuccess);
    form.append('file', new Blob([makeSampleInvoicePdf()], { type: 'application/pdf' }), 'a.pdf');
    const created = (await (await fetch(`${emulator.url}/v2/products/extraction/enqueue`, { method: 'POST', headers: { authorization: emulator.apiKey }, body: form })).json()) as { job: { id: string } };
    const delivered = new Promise((resolve) => emulator.once('webhook', resolve));
    emulator.failJob(created.job.id);
    await delivered;
    const job = await (await fetch(`${emulator.url}/v2/jobs/${created.job.id}`, { headers: { authorization: emulator.apiKey } })).text();
    const parsed = JSON.parse(execFileSync('python3', ['-c', PARSE], { input: job, encoding: 'utf8' })) as { error: string[]; webhooks: string[][] };
    expect(parsed.error).toEqual(['Inference failed', '500-012']);
    expect(parsed.webhooks).toEqual([['Webhook receiver unreachable', '502-102']]);
  });
});
