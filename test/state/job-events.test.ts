/**
 * Job completions replay: a wait that subscribes after a completion still hears of it, in the
 * memory store and across processes on Redis; a bare completion (no job) does not hide one that
 * carried the job; what is kept is bounded.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { KEPT_COMPLETIONS, MemoryJobEvents, type JobEvent, type JobEvents } from '../../src/state/job-events.js';
import { createRedisState } from '../../src/state/redis/index.js';
import type { SharedState } from '../../src/state/index.js';
import { hasRedis, startRedis, type RedisServer } from '../helpers/redis.js';

const open: Array<{ close(): Promise<void> } | RedisServer> = [];
afterEach(async () => {
  for (const item of open.splice(0).reverse()) await ('stop' in item ? item.stop() : item.close());
});

const processed = (jobId: string, source: JobEvent['source'] = 'poll'): JobEvent => ({ jobId, status: 'Processed', source, job: { job: { id: jobId, status: 'Processed' } } });

/** The next event `events` delivers for `jobId`, replayed or live. */
function next(events: JobEvents, jobId: string): Promise<JobEvent> {
  return new Promise((resolve) => {
    const unsubscribe = events.subscribe(jobId, (event) => {
      queueMicrotask(() => unsubscribe());
      resolve(event);
    });
  });
}

describe('memory job events', () => {
  it('replays a completion to a wait that subscribes after it', () => {
    const events = new MemoryJobEvents();
    events.publish(processed('job-1'));
    const heard: JobEvent[] = [];
    const unsubscribe = events.subscribe('job-1', (event) => heard.push(event));
    expect(heard).toEqual([processed('job-1')]);
    expect(events.last('job-1')).toEqual(processed('job-1'));
    unsubscribe();
    expect(events.watched).toBe(0);
  });

  it('keeps the completion that carried the job over a bare one after it', () => {
    const events = new MemoryJobEvents();
    events.publish(processed('job-1', 'webhook'));
    events.publish({ jobId: 'job-1', status: 'Failed', source: 'webhook' });
    expect(events.last('job-1')).toEqual(processed('job-1', 'webhook'));
    events.publish({ jobId: 'job-2', status: 'Failed', source: 'webhook' });
    events.publish(processed('job-2'));
    expect(events.last('job-2')).toEqual(processed('job-2'));
  });

  it('keeps at most KEPT_COMPLETIONS completions', () => {
    const events = new MemoryJobEvents();
    for (let i = 0; i < KEPT_COMPLETIONS + 5; i++) events.publish(processed(`job-${i}`));
    expect(events.kept).toBe(KEPT_COMPLETIONS);
    expect(events.last('job-0')).toBeUndefined();
    expect(events.last(`job-${KEPT_COMPLETIONS + 4}`)).toBeDefined();
  });
});

describe.skipIf(!hasRedis)('Redis job events', () => {
  async function processOn(server: RedisServer): Promise<SharedState> {
    const log = { warn: () => {}, info: () => {} };
    const state = await createRedisState({ url: server.url, log, commandTimeoutMs: 300 });
    open.push(state);
    return state;
  }

  it('replays a completion to a later wait on the same process and on another one', async () => {
    const server = await startRedis();
    open.push(server);
    const a = await processOn(server);
    const b = await processOn(server);
    a.jobEvents.publish(processed('job-1', 'webhook'));
    expect(a.jobEvents.last('job-1')).toEqual(processed('job-1', 'webhook'));
    expect(await next(a.jobEvents, 'job-1')).toEqual(processed('job-1', 'webhook'));
    // Another process hears of it from what Redis keeps (or from the relay, whichever is first).
    expect(await next(b.jobEvents, 'job-1')).toMatchObject({ jobId: 'job-1', status: 'Processed', source: 'peer', job: { job: { id: 'job-1' } } });
  });
});
