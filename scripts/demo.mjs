// The demo: the built server, started with --emulator over stdio, driven by a real MCP client.
// No account, no network: it lists the tools, sends a generated sample invoice, waits for the
// job with progress, and prints the fields that came back and the verdict on them; then sends
// the same invoice with lines that do not add up, which comes back to be reviewed.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { makeAcceptedInvoicePdf, makeDisagreeingInvoicePdf } from 'mindee-v2-emulator/samples';

const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const dir = await mkdtemp(join(tmpdir(), 'mindee-mcp-demo-'));
const file = join(dir, 'sample-invoice.pdf');
await writeFile(file, makeAcceptedInvoicePdf());
const disagreeing = join(dir, 'invoice-lines-do-not-add-up.pdf');
await writeFile(disagreeing, makeDisagreeingInvoicePdf('lines_sum'));

const say = (line = '') => process.stdout.write(`${line}\n`);
const transport = new StdioClientTransport({
  command: process.execPath,
  args: [cli, '--emulator', dir],
  env: { MINDEE_MCP_EMULATOR_PROCESSING_MS: '2500', MINDEE_MCP_LOG_LEVEL: 'warn' },
  stderr: 'inherit',
});
const client = new Client({ name: 'mindee-mcp-demo', version: '1.0.0' });

try {
  await client.connect(transport);
  say(`Connected to ${client.getServerVersion()?.name} ${client.getServerVersion()?.version} (against the local Mindee emulator)\n`);

  const { tools } = await client.listTools();
  say('Tools:');
  for (const tool of tools) say(`  - ${tool.name}: ${tool.title}`);

  const models = await client.callTool({ name: 'search_models', arguments: { model_type: 'extraction' } });
  say('\nsearch_models (extraction):');
  say(indent(models.content[0].text));

  say(`\nenqueue_document: ${file} → model "invoice", waiting for the result…`);
  const result = await client.callTool(
    { name: 'enqueue_document', arguments: { model_id: 'invoice', file_path: file, confidence: true, detail: 'confidence' } },
    undefined,
    { onprogress: (p) => say(`  progress: ${p.message}`) },
  );
  if (result.isError) {
    say(`\nThe call failed:\n${indent(result.content[0].text)}`);
    process.exitCode = 1;
  } else {
    say('\nWhat the model reads (text content):');
    say(indent(result.content[0].text));
    const { fields } = result.structuredContent.result;
    const pick = { invoice_number: fields.invoice_number, date: fields.date, total_amount: fields.total_amount, supplier: fields.supplier?.name };
    say('\nThe same as data (structuredContent.result.fields, a few of them):');
    say(indent(JSON.stringify(pick, null, 2)));
    say(`\nThe full result JSON is the resource ${result.structuredContent.result.resource_uri}.`);
    showReview(result.structuredContent.result.review);

    say(`\nenqueue_document: ${disagreeing} → the same invoice, but its lines do not add up to its net…`);
    const bad = await client.callTool({ name: 'enqueue_document', arguments: { model_id: 'invoice', file_path: disagreeing, fields: ['line_items', 'total_net', 'total_tax', 'total_amount'] } });
    if (bad.isError) {
      say(`\nThe call failed:\n${indent(bad.content[0].text)}`);
      process.exitCode = 1;
    } else {
      say('\nWhat the model reads (text content):');
      say(indent(bad.content[0].text));
      showReview(bad.structuredContent.result.review);
    }
  }
} finally {
  await client.close().catch(() => {});
  await rm(dir, { recursive: true, force: true });
}

/** The verdict as data: what an agent acts on (accept, or which values a person must look at, and where). */
function showReview(review) {
  if (!review) {
    say('\n(This build gives no verdict on results.)');
    return;
  }
  say(`\nThe verdict (structuredContent.result.review): ${review.verdict}`);
  for (const issue of review.issues ?? []) {
    const where = issue.page ? ` (page ${issue.page}${issue.box ? `, box ${issue.box.map((n) => n.toFixed(2)).join(', ')}` : ''})` : '';
    say(`  - ${issue.kind} at ${issue.path}${where}: ${issue.message}`);
  }
}

function indent(text) {
  return text
    .split('\n')
    .map((l) => `    ${l}`)
    .join('\n');
}
