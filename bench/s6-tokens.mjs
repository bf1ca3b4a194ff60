// Scenario 6: what a model pays to see our tools, in cl100k tokens (js-tiktoken ships the
// ranks: nothing is downloaded). The built server is spawned as a host would, and its
// `tools/list` answer is measured as a host forwards it to a model: each tool's name,
// description and input schema as compact JSON. Output schemas are counted apart: few hosts
// show them to the model, but every client receives and validates them.
import { Tiktoken } from 'js-tiktoken/lite';
import cl100k from 'js-tiktoken/ranks/cl100k_base';
import { connectServer } from './lib.mjs';

// Issue 20 raised it from 1 300 for the review call (review_result: 172 tokens).
const MODEL_VIEW_TARGET = 1500;
// Issue 18 put the verdict (review) in the output schemas of the two tools that return a result: about 190 tokens each.
// Issue 20 added review_result's (the contract with the review view: verdict, issues, fields, document, decisions): 411.
const OUTPUT_SCHEMAS_TARGET = 3300;

export async function scenario6(_opts, report) {
  report.progress('scenario 6: tokens of tools/list (cl100k)…');
  const encoder = new Tiktoken(cl100k);
  const tokens = (value) => encoder.encode(typeof value === 'string' ? value : JSON.stringify(value)).length;
  const { tools, instructions } = await listTools();

  const perTool = tools.map((t) => ({
    name: t.name,
    modelView: tokens({ name: t.name, description: t.description, inputSchema: t.inputSchema }),
    description: tokens(t.description ?? ''),
    outputSchema: t.outputSchema ? tokens(t.outputSchema) : 0,
  }));
  const sum = (key) => perTool.reduce((total, t) => total + t[key], 0);
  const res = { tools: perTool, modelView: sum('modelView'), outputSchemas: sum('outputSchema'), instructions: tokens(instructions ?? '') };
  res.pass = res.modelView <= MODEL_VIEW_TARGET && res.outputSchemas <= OUTPUT_SCHEMAS_TARGET;

  const n = tools.length;
  report.row('6 tool tokens', `tools/list as a model sees it (name + description + inputSchema), ${n} tools`, `${res.modelView} (${Math.round(res.modelView / n)} per tool)`, 'n/a', `≤ ${MODEL_VIEW_TARGET}`, res.modelView <= MODEL_VIEW_TARGET);
  report.row('6 tool tokens', `output schemas, ${n} tools`, String(res.outputSchemas), 'n/a', `≤ ${OUTPUT_SCHEMAS_TARGET}`, res.outputSchemas <= OUTPUT_SCHEMAS_TARGET);
  report.row('6 tool tokens', 'server instructions (sent once, at initialize)', String(res.instructions), 'n/a', '—', null);
  report.note(`tokens per tool (model view / output schema): ${perTool.map((t) => `${t.name} ${t.modelView} / ${t.outputSchema}`).join(', ')}`);
  return res;
}

async function listTools() {
  // The defaults a user gets: descriptions state the configured values. Nothing listens on port 9.
  const server = await connectServer({ MINDEE_V2_API_KEY: 'md_bench_dummy_key', MINDEE_V2_BASE_URL: 'http://127.0.0.1:9', MINDEE_MCP_LOG_LEVEL: 'error' });
  try {
    const { tools } = await server.client.listTools();
    return { tools, instructions: server.client.getInstructions() };
  } finally {
    await server.close();
  }
}
