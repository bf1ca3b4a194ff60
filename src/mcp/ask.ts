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
} from '@modelcontextprotocol/server';
import type { z } from 'zod';
import type { Extra } from './tool-call.js';

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

/**
 * Whether the client can be asked `kind`: it declared the capability, on this request (2026-07-28)
 * or when it connected (2025, `legacy`).
 */
export function canAsk(extra: Extra, legacy: ClientCapabilities | undefined, kind: Question['kind']): boolean {
  const envelope = extra.mcpReq.envelope as Record<string, unknown> | undefined;
  const declared = (envelope?.[CLIENT_CAPABILITIES_META_KEY] as ClientCapabilities | undefined) ?? legacy;
  return kind === 'roots' ? declared?.roots !== undefined : declared?.elicitation !== undefined;
}
