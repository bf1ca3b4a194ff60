// Scenario 3's child: a fresh process that uploads one file once, with one client, and prints
// its memory figures as one JSON line. Usage: node upload-child.mjs ours|sdk <file> <emulator url> <key>
import { DEMO_MODELS } from 'mindee-v2-emulator';
import { sdkDispatcher } from './lib.mjs';

const [which, file, url, apiKey] = process.argv.slice(2);
const modelId = DEMO_MODELS.invoice;

let upload;
let close = async () => {};
if (which === 'ours') {
  const { MindeeClient } = await import('../dist/client/mindee-client.js');
  const { prepareDocument } = await import('../dist/client/inputs.js');
  const client = new MindeeClient({ apiKey, baseUrl: url });
  close = () => client.close();
  upload = async () => {
    const doc = await prepareDocument({ path: file });
    const job = await client.enqueue(doc, { modelId }).finally(() => doc.close());
    return job.id;
  };
} else if (which === 'sdk') {
  const mindee = await import('mindee');
  const d = sdkDispatcher(url);
  const client = new mindee.Client({ apiKey, dispatcher: d.dispatcher });
  close = d.close;
  upload = async () => {
    const response = await client.enqueue(mindee.product.Extraction, new mindee.PathInput({ inputPath: file }), { modelId });
    return response.job.id;
  };
} else {
  throw new Error(`unknown client ${which}`);
}

// Everything is loaded and constructed: this is the baseline.
const before = process.memoryUsage();
const maxBefore = process.resourceUsage().maxRSS * 1024;
const t0 = performance.now();
const jobId = await upload();
const uploadMs = performance.now() - t0;
const after = process.memoryUsage();
const peak = process.resourceUsage().maxRSS * 1024;
await close();
process.stdout.write(
  `${JSON.stringify({ which, jobId, uploadMs, rssBefore: before.rss, maxRssBefore: maxBefore, peakRss: peak, rssAfter: after.rss, heapUsedAfter: after.heapUsed, externalAfter: after.external, arrayBuffersAfter: after.arrayBuffers })}\n`,
);
