// The demo: the built server, started with --emulator over stdio, driven by a real MCP client.
// No account, no network: it lists the tools, sends a generated sample invoice, waits for the
// job with progress, and prints the fields that came back and the verdict on them; then sends
// the same invoice with lines that do not add up, which comes back to be reviewed — and reviews it
// through a form (elicitation) that this client shows and answers as a person would.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js';
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
// A host that shows forms: it declares elicitation, and its "person" answers each form.
const client = new Client({ name: 'mindee-mcp-demo', version: '1.0.0' }, { capabilities: { elicitation: { form: {} } } });
client.setRequestHandler(ElicitRequestSchema, (request) => answerForm(request.params));

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
      await review(bad.structuredContent.result.inference_id);
    }
  }
} finally {
  await client.close().catch(() => {});
  await rm(dir, { recursive: true, force: true });
}

/** The review of a needs-review result: review_result puts the flagged values to the person in a form; the answer is kept and used. */
async function review(inferenceId) {
  say(`\nreview_result: ${inferenceId} → this host shows forms, so the server asks the person…`);
  const reviewed = await client.callTool({ name: 'review_result', arguments: { inference_id: inferenceId } });
  if (reviewed.isError) {
    say(`\nThe call failed:\n${indent(reviewed.content[0].text)}`);
    process.exitCode = 1;
    return;
  }
  say('\nWhat the model reads after the review (text content):');
  say(indent(reviewed.content[0].text));
  const sc = reviewed.structuredContent;
  say(`\nKept beside the result: verdict ${sc.verdict}, ${sc.decisions.length} decision(s):`);
  for (const d of sc.decisions) say(`  - ${d.path}: ${d.action} (${JSON.stringify(d.from)} → ${JSON.stringify(d.to)}) by ${d.by.slice(0, 16)}… at ${d.at}`);
  const again = await client.callTool({ name: 'get_inference_result', arguments: { inference_id: inferenceId, fields: ['total_net', 'total_amount'] } });
  say('\nget_inference_result reads the reviewed values from now on:');
  say(indent(again.content[0].text));
  say('\nIn a host that renders MCP Apps (Claude, ChatGPT, VS Code, Goose…), the same review_result call');
  say('opens the review view instead: the page with a box on each flagged value. See README, "Review".');
}

/**
 * The demo's person: reads each field of the form, keeps the values that are right and corrects
 * the net amount to the lines' sum. The server checks the corrected result again and asks about
 * what the correction put in doubt (the total), which the person confirms as printed.
 */
function answerForm({ message, requestedSchema }) {
  say(`\n  ┌ Form shown by the host: ${message}`);
  const content = {};
  for (const [name, field] of Object.entries(requestedSchema.properties)) {
    say(`  │ ${name} [${JSON.stringify(field.default ?? '')}] — ${field.description ?? ''}`);
    if (field.default !== undefined) content[name] = field.default;
  }
  if ('total_net' in requestedSchema.properties) content.total_net = 229;
  say(`  └ The person answers: ${JSON.stringify(content)}`);
  return { action: 'accept', content };
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
