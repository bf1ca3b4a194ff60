/**
 * What the planner learned survives a restart: a new process reads the state file and checks
 * the first job of a known model when it is most likely done, where a fresh one has to search.
 * Fake time (a manual clock shared by the client and the emulator); real HTTP to the emulator.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MindeeClient } from '../../src/client/mindee-client.js';
import { DEMO_MODELS, startEmulator, type Emulator } from 'mindee-v2-emulator';
import { FileTimingStore, TIMINGS_FILE, type TimingStore } from '../../src/state/timings.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { TEST_API_KEY, recordOutput } from '../setup/secrets.js';

const HOUR = 3_600_000;
/** The waiter's sleeps (at most maxIntervalMs) are shorter than this; a request's attempt time-out is longer. */
const HORIZON = 10_000;
const MODEL = DEMO_MODELS.invoice;

let emulator: Emulator;
let clock: ManualClock;
let dir: string;
const clients: MindeeClient[] = [];

beforeEach(async () => {
  clock = new ManualClock();
  emulator = await startEmulator({ apiKey: TEST_API_KEY, processingMs: Infinity, rateLimits: false, clock: () => clock.now() });
  dir = await mkdtemp(join(tmpdir(), 'mindee-mcp-restart-'));
});
afterEach(async () => {
  for (const c of clients.splice(0)) await c.close();
  await emulator.close();
  await rm(dir, { recursive: true, force: true });
});

/** A process's client: its own connection, planner and timing store (memory only when none is given). */
function processClient(timings?: TimingStore): MindeeClient {
  const c = new MindeeClient({ apiKey: TEST_API_KEY, baseUrl: emulator.url, clock, requestTimeoutMs: HOUR, timings });
  clients.push(c);
  return c;
}

/** Enqueues a job that Mindee finishes `processingMs` later; returns when each check was made (ms since enqueue). */
async function runJob(c: MindeeClient, processingMs: number): Promise<number[]> {
  const job = await c.enqueue({ kind: 'url', url: 'https://example.com/invoice.pdf' }, { modelId: MODEL });
  const start = clock.now();
  const checks: number[] = [];
  let ended = false;
  const waiting = c.waitForResult(job, { deadline: start + HOUR, fetchResult: false, onProgress: () => checks.push(clock.now() - start) }).finally(() => {
    ended = true;
  });
  let finished = false;
  while (!ended) {
    const at = await Promise.race([clock.nextTimer(HORIZON), waiting.then(() => null)]);
    if (at === null) break;
    if (!finished && at >= start + processingMs) {
      clock.advanceTo(start + processingMs);
      emulator.completeJob(job.id);
      finished = true;
    }
    clock.advanceTo(at);
  }
  expect((await waiting).state).toBe('processed');
  return checks;
}

describe('learned timings across a restart', () => {
  it('a restarted process checks the first job of a known model right after it is most likely done', async () => {
    const first = processClient(new FileTimingStore({ dir }));
    const cold = await runJob(first, 6400);
    for (let i = 0; i < 3; i++) await runJob(first, 6400);
    // What the CLI's shutdown does: closing the client flushes the learned timings.
    clients.splice(clients.indexOf(first), 1);
    await first.close();

    const restarted = processClient(new FileTimingStore({ dir }));
    const warm = await runJob(restarted, 6400);
    expect(warm.at(-1)! - 6400).toBeGreaterThanOrEqual(0);
    expect(warm.at(-1)! - 6400).toBeLessThanOrEqual(100);
    // A fresh process has to search: it finds the same job later, as a restart without the file would.
    expect(cold.at(-1)! - 6400).toBeGreaterThanOrEqual(500);
    expect(await runJob(processClient(), 6400)).toEqual(cold);

    const file = await readFile(join(dir, TIMINGS_FILE), 'utf8');
    recordOutput('timings file', file);
    expect(Object.keys(JSON.parse(file).models)).toEqual([MODEL]);
    expect(file).not.toContain('invoice.pdf');
  });
});
