/**
 * How far the JavaScript heap of the HTTP server grows between two full collections. A server
 * holding many calls at once (a thousand waits that end together, each fetching, checking and
 * rendering its result) makes garbage faster than a full collection is scheduled by V8's own
 * heap growth, which lets the heap reach three to four times what is live before one: the
 * process's memory follows (bench scenario 12: peak RSS 280–380 MiB over 1 000 waiting calls).
 * Growing by half of what is live keeps it near 235 MiB, for a few more full collections (tens of
 * milliseconds each, incremental). A process started with a growing percent of its own
 * (`node --heap-growing-percent=N`, or in NODE_OPTIONS) keeps it.
 */
import { setFlagsFromString } from 'node:v8';

export const HEAP_GROWING_PERCENT = 50;

const GIVEN = /^--heap[-_]growing[-_]percent(?:=|$)/;

/** The V8 flag the server sets, or null when the process was started with one of its own. */
export function heapGrowingFlag(execArgv: readonly string[], nodeOptions: string | undefined): string | null {
  const given = [...execArgv, ...(nodeOptions ?? '').split(/\s+/)].some((arg) => GIVEN.test(arg));
  return given ? null : `--heap-growing-percent=${HEAP_GROWING_PERCENT}`;
}

/** Sets the heap's growth for serving many callers (see above); returns the flag set, if any. */
export function tuneHeapForServing(): string | null {
  const flag = heapGrowingFlag(process.execArgv, process.env.NODE_OPTIONS);
  if (flag) setFlagsFromString(flag);
  return flag;
}
