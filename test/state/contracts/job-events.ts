/**
 * Job completions replay, against each implementation (../memory-contracts.test.ts,
 * ../redis/contracts.test.ts): a wait that subscribes after a completion still hears of it, on
 * the process that saw it and on another; a bare completion (no job) does not hide one that
 * carried the job.
 */
import { describe, expect, it } from 'vitest';
import type { JobEvent, JobEvents } from '../../../src/state/job-events.js';

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

export interface JobEventsBackend {
  name: string;
  /** The job events of `count` processes of one deployment (one store in memory). */
  make(count: number): Promise<Array<JobEvents & { last(jobId: string): JobEvent | undefined; readonly watched: number }>>;
  /** The source another process sees a completion come from ('peer' when it crossed processes). */
  relayed(source: JobEvent['source']): JobEvent['source'];
}

export function jobEventsContract(impl: JobEventsBackend): void {
  describe(`${impl.name}: job events`, () => {
    it('replays a completion to a wait that subscribes after it', async () => {
      const [events] = await impl.make(1);
      events!.publish(processed('job-1'));
      const heard: JobEvent[] = [];
      const unsubscribe = events!.subscribe('job-1', (event) => heard.push(event));
      expect(heard).toEqual([processed('job-1')]);
      expect(events!.last('job-1')).toEqual(processed('job-1'));
      unsubscribe();
      expect(events!.watched).toBe(0);
    });

    it('keeps the completion that carried the job over a bare one after it', async () => {
      const [events] = await impl.make(1);
      events!.publish(processed('job-1', 'webhook'));
      events!.publish({ jobId: 'job-1', status: 'Failed', source: 'webhook' });
      expect(events!.last('job-1')).toEqual(processed('job-1', 'webhook'));
      events!.publish({ jobId: 'job-2', status: 'Failed', source: 'webhook' });
      events!.publish(processed('job-2'));
      expect(events!.last('job-2')).toEqual(processed('job-2'));
    });

    it('replays a completion to a later wait on the same process and on another one', async () => {
      const [a, b] = await impl.make(2);
      a!.publish(processed('job-1', 'webhook'));
      expect(a!.last('job-1')).toEqual(processed('job-1', 'webhook'));
      expect(await next(a!, 'job-1')).toEqual(processed('job-1', 'webhook'));
      // Another process hears of it from what Redis keeps (or from the relay, whichever is first).
      expect(await next(b!, 'job-1')).toMatchObject({ jobId: 'job-1', status: 'Processed', source: impl.relayed('webhook'), job: { job: { id: 'job-1' } } });
    });
  });
}
