/**
 * A tool call's structured content, read as the tool declares it: parsed against that tool's own
 * output schema (the zod shape in src/tools/, through the registry), so a test reads typed values
 * and a result that breaks its schema fails the test, with the path that does not match. The
 * content must also hold nothing the schema leaves out: a key it does not declare is a mismatch
 * too (the parse would strip it, and a test reading it would read `undefined`).
 */
import { isDeepStrictEqual } from 'node:util';
import { z } from 'zod';
import type { ToolDefinition } from '../../src/tools/define.js';
import { createTools } from '../../src/tools/index.js';

/** Output schemas do not depend on the settings; descriptions do, and are not read here. */
const TOOLS = createTools({ maxWaitSeconds: 10, heartbeatMs: 1000, maxResultChars: 20_000, models: { defaultModelId: undefined, aliases: {} } });

/** The tools' names, in the registry's order (checked below, when this module loads). */
const NAMES = ['enqueue_document', 'enqueue_documents', 'get_job_status', 'get_inference_result', 'review_result', 'search_models'] as const;
const listed = TOOLS.map((tool) => tool.name);
if (!isDeepStrictEqual(listed, [...NAMES])) {
  throw new Error(`test/helpers/structured.ts lists the tools ${NAMES.join(', ')}, but createTools makes ${listed.join(', ')}: update NAMES.`);
}

type Tools = typeof TOOLS;
type ByName = { [K in keyof Tools & `${number}` as (typeof NAMES)[K & keyof typeof NAMES] & string]: Tools[K] };
export type ToolName = keyof ByName;
/** What a tool's structured content is, by its output schema. */
export type OutputOf<N extends ToolName> = ByName[N] extends ToolDefinition<z.ZodRawShape, infer O> ? z.output<z.ZodObject<O>> : never;

const schemas = new Map<string, z.ZodType>(TOOLS.map((tool) => [tool.name, z.object(tool.outputSchema)]));

/** What a call's answer may hold, whichever client made it (the SDK 1.x client, whose type also allows the old `toolResult` form, the v2 client, a task's result). */
interface ToolResult {
  structuredContent?: unknown;
  content?: unknown;
  isError?: unknown;
}

/** The text of a result's first content item, for messages. */
function firstText(result: ToolResult): string {
  const first: unknown = Array.isArray(result.content) ? result.content[0] : undefined;
  return typeof first === 'object' && first !== null && 'text' in first && typeof first.text === 'string' ? first.text : '';
}

/** The first path where `a` and `b` differ, as `a.b[2]` (for the message). */
function firstDifference(a: unknown, b: unknown, path = ''): string | undefined {
  if (isDeepStrictEqual(a, b)) return undefined;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return path || '(root)';
  for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
    const at = Array.isArray(a) ? `${path}[${key}]` : path ? `${path}.${key}` : key;
    const found = firstDifference((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key], at);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** Plain copies of the content and its parse, so null-prototype objects compare by their keys. */
const plain = (value: unknown): unknown => JSON.parse(JSON.stringify(value));

/**
 * The structured content of `result`, a call of the tool `name`, parsed against that tool's
 * output schema. Throws (failing the test) when the call answered an error, when there is no
 * structured content, or when it does not match the schema, saying what and where.
 */
export function structuredOf<N extends ToolName>(name: N, answer: object): OutputOf<N> {
  const schema = schemas.get(name)!;
  const result: ToolResult = answer;
  if (result.structuredContent === undefined) {
    const text = firstText(result);
    throw new Error(`${name} answered ${result.isError ? 'an error' : 'no structured content'}${text ? `: ${text}` : ''}`);
  }
  const parsed = schema.safeParse(result.structuredContent);
  if (!parsed.success) throw new Error(`${name}'s structured content does not match its output schema:\n${z.prettifyError(parsed.error)}`);
  const undeclared = firstDifference(plain(result.structuredContent), plain(parsed.data));
  if (undeclared !== undefined) throw new Error(`${name}'s structured content holds what its output schema does not declare, at ${undeclared}`);
  return parsed.data as OutputOf<N>;
}

/**
 * The value at `path` in a free-form JSON value (a result's `fields`, a saved file), as `value.a.b`
 * reads it: the last step may find nothing (undefined), a step before it must find an object.
 */
export function at(value: unknown, ...path: (string | number)[]): unknown {
  let here = value;
  for (const [i, key] of path.entries()) {
    if (typeof here !== 'object' || here === null) {
      throw new Error(`no object at ${path.slice(0, i).join('.') || '(root)'} to read ${String(key)} from (found ${here === null ? 'null' : typeof here})`);
    }
    here = (here as Record<string | number, unknown>)[key];
  }
  return here;
}
