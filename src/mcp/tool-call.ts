/**
 * One call of a tool, however it was asked for — a plain tools/call or a task: the tool's `run`
 * turned into an MCP result (text + structured content, redacted, or an isError text saying what
 * failed and what to do next), with progress sent to the caller's token.
 */
import { isInputRequiredResult, type CallToolResult, type InputRequiredResult, type ServerContext } from '@modelcontextprotocol/server';
import type { z } from 'zod';
import { MindeeError } from '../client/errors.js';
import { redactDeep } from '../lib/redact.js';
import { clip, errorMessage, stripControl } from '../lib/text.js';
import type { ToolContext, ToolDefinition, ToolDeps } from '../tools/define.js';
import { errorText } from '../tools/hints.js';
import { ask } from './ask.js';

export type Extra = ServerContext;
export type AnyTool = ToolDefinition<z.ZodRawShape, z.ZodRawShape>;

export async function callTool(tool: AnyTool, args: Parameters<AnyTool['run']>[0], deps: ToolDeps, ctx: ToolContext): Promise<CallToolResult> {
  const result = await callToolAsking(tool, args, deps, { ...ctx, person: undefined });
  return isInputRequiredResult(result) ? errorResult(new Error(`${tool.name} asked the person where no one can be asked`), tool.name, deps) : result;
}

/** A call that may put a form to the person (ctx.person): its answer is then an input-required result (ask.ts). */
export async function callToolAsking(tool: AnyTool, args: Parameters<AnyTool['run']>[0], deps: ToolDeps, ctx: ToolContext): Promise<CallToolResult | InputRequiredResult> {
  try {
    const out = await tool.run(args, deps, ctx);
    if ('ask' in out) return ask({ [out.ask.key]: { kind: 'form', message: deps.client.redact(stripControl(out.ask.message)), schema: out.ask.schema } });
    const result: CallToolResult = {
      content: [{ type: 'text', text: out.text }, ...(out.links ?? [])],
      structuredContent: out.structured,
    };
    // The API may echo anything back: the key must never reach the model, nor a terminal escape.
    return redactDeep(result, (text) => deps.client.redact(stripControl(text)));
  } catch (error) {
    return errorResult(error, tool.name, deps);
  }
}

/** The context of a call: its cancellation, and progress to its token when it gave one. */
export function toolContext(extra: Extra, deps: ToolDeps, signal: AbortSignal = extra.mcpReq.signal, open: () => boolean = () => true): ToolContext {
  const token = extra.mcpReq._meta?.progressToken;
  let last = -Infinity;
  return {
    signal,
    progress(progress, total, message) {
      const value = total === undefined ? progress : Math.min(progress, total);
      if (token === undefined || signal.aborted || value <= last || !open()) return;
      last = value;
      extra.mcpReq
        .notify({
          method: 'notifications/progress',
          params: { progressToken: token, progress: value, ...(total === undefined ? {} : { total }), message: deps.client.redact(stripControl(clip(message, 500))) },
        })
        .catch((error: unknown) => deps.log.debug(`progress notification not sent: ${String(error)}`));
    },
  };
}

/** An isError result that says what failed and what to do next; bugs are logged in full. */
function errorResult(error: unknown, toolName: string, deps: ToolDeps): CallToolResult {
  let text: string;
  if (error instanceof MindeeError) {
    text = errorText(error, deps.settings);
    deps.log.debug(`${toolName}: ${error.name}: ${error.message}`);
  } else {
    deps.log.error(`unexpected error in ${toolName}`, error);
    text = `mindee-mcp hit an unexpected internal error in ${toolName}: ${clip(errorMessage(error), 300)}. The details are in the server's log (stderr); please report it.`;
  }
  // Redacted before it is cut, so no piece of a key survives the cut; bounded like any answer.
  return { isError: true, content: [{ type: 'text', text: clip(deps.client.redact(stripControl(text)), deps.settings.maxResultChars - 100) }] };
}
