/**
 * "Ask the person": one internal call for what only the client, or the person behind it, can
 * answer — a form (elicitation) or the folders it shares (roots) — with two wire forms. A handler
 * returns `ask(questions)`: a 2026-07-28 client gets an `input_required` result and retries the
 * same call with its answers; on a 2025-era connection the SDK sends the questions as requests of
 * their own (`elicitation/create`, `roots/list`) and calls the handler again with the answers.
 * Either way the handler reads them with `answerTo` on its next run.
 */
import {
  CLIENT_CAPABILITIES_META_KEY,
  inputRequired,
  inputResponse,
  type ClientCapabilities,
  type InputRequest,
  type InputRequiredResult,
  type InputResponseView,
  type ServerContext,
} from '@modelcontextprotocol/server';
import type { z } from 'zod';
import type { Person } from '../tools/define.js';

/** What the SDK hands a request's handler. */
type Extra = ServerContext;

export type Question = { kind: 'form'; message: string; schema: z.ZodObject } | { kind: 'roots' };

/** An answer, as the retried call carries it ('missing' until it does). */
export type Answer = InputResponseView;

/** The result to return to put `questions` (by key) to the client. */
export function ask(questions: Record<string, Question>): InputRequiredResult {
  const inputRequests: Record<string, InputRequest> = {};
  for (const [key, question] of Object.entries(questions)) {
    inputRequests[key] = question.kind === 'roots' ? inputRequired.listRoots() : inputRequired.elicit({ message: question.message, requestedSchema: question.schema });
  }
  return inputRequired({ inputRequests });
}

/** The answer to the question `key` that this run of the call carries. */
export function answerTo(extra: Extra, key: string): Answer {
  return inputResponse(extra.mcpReq.inputResponses, key);
}

/** What the client declared it can do: on this request (2026-07-28) or when it connected (2025, `legacy`). */
function declaredBy(extra: Extra, legacy: ClientCapabilities | undefined): ClientCapabilities | undefined {
  const envelope = extra.mcpReq.envelope as Record<string, unknown> | undefined;
  return (envelope?.[CLIENT_CAPABILITIES_META_KEY] as ClientCapabilities | undefined) ?? legacy;
}

/**
 * Whether the client can be asked `kind`: it declared the capability, on this request (2026-07-28)
 * or when it connected (2025, `legacy`).
 */
export function canAsk(extra: Extra, legacy: ClientCapabilities | undefined, kind: Question['kind']): boolean {
  const declared = declaredBy(extra, legacy);
  return kind === 'roots' ? declared?.roots !== undefined : declared?.elicitation !== undefined;
}

/** The MCP Apps extension, and the type of the views it renders (its spec of 2026-01-26; ext-apps' getUiCapability reads the same). */
const UI_EXTENSION = 'io.modelcontextprotocol/ui';
const UI_MIME_TYPE = 'text/html;profile=mcp-app';

/**
 * Whether the host renders MCP Apps views: it declared the `io.modelcontextprotocol/ui` extension
 * in its capabilities' `extensions`, listing the mcp-app HTML type among its `mimeTypes`.
 */
function rendersViews(extra: Extra, legacy: ClientCapabilities | undefined): boolean {
  const ui: unknown = declaredBy(extra, legacy)?.extensions?.[UI_EXTENSION];
  const mimeTypes: unknown = typeof ui === 'object' && ui !== null ? (ui as { mimeTypes?: unknown }).mimeTypes : undefined;
  return Array.isArray(mimeTypes) && mimeTypes.includes(UI_MIME_TYPE);
}

/** The person behind this call, as the tools see them: what the host can show, and the answers this run carries. */
export function personOf(extra: Extra, legacy: ClientCapabilities | undefined): Person {
  return {
    rendersViews: rendersViews(extra, legacy),
    canAskForm: canAsk(extra, legacy, 'form'),
    answer(key) {
      const answer = answerTo(extra, key);
      return answer.kind === 'elicit' ? { action: answer.action, content: answer.content } : undefined;
    },
  };
}
