/**
 * How far the JavaScript heap of the HTTP server grows between two full collections. A server
 * holding many calls at once (a thousand waits that end together, each fetching, checking and
 * rendering its result) makes garbage faster than a full collection is scheduled by V8's own
 * heap growth, which lets the heap reach three to four times what is live before one: the
 * process's memory follows (bench scenario 12: peak RSS 284–294 MiB over 1 000 waiting calls).
 * Growing to twice what is live keeps it near 250 MiB, for a few more full collections (tens of
 * milliseconds each, mostly incremental; growing by half only would keep it near 230 MiB, but
 * its pauses delayed a tools/list made meanwhile from 20 to 50–90 ms). A process started with a
 * growing percent of its own (`node --heap-growing-percent=N`) keeps it.
 */
import { setFlagsFromString } from 'node:v8';

export const HEAP_GROWING_PERCENT = 100;

const GIVEN = /^--heap[-_]growing[-_]percent(?:=|$)/;

/**
 * The V8 flag the server sets, or null when the process was started with one of its own (on
 * node's command line: NODE_OPTIONS may not carry V8's heap flags).
 */
export function heapGrowingFlag(execArgv: readonly string[]): string | null {
  return execArgv.some((arg) => GIVEN.test(arg)) ? null : `--heap-growing-percent=${HEAP_GROWING_PERCENT}`;
}

/** Sets the heap's growth for serving many callers (see above); returns the flag set, if any. */
export function tuneHeapForServing(): string | null {
  const flag = heapGrowingFlag(process.execArgv);
  if (flag) setFlagsFromString(flag);
  return flag;
}
