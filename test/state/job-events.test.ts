/**
 * What the memory job events keep is bounded. What every implementation does (a completion
 * replayed to a later wait, on this process and on another) is contracts/job-events.ts.
 */
import { describe, expect, it } from 'vitest';
import { KEPT_COMPLETIONS, MemoryJobEvents, type JobEvent } from '../../src/state/job-events.js';

const processed = (jobId: string, source: JobEvent['source'] = 'poll'): JobEvent => ({ jobId, status: 'Processed', source, job: { job: { id: jobId, status: 'Processed' } } });

describe('memory job events', () => {
  it('keeps at most KEPT_COMPLETIONS completions', () => {
    const events = new MemoryJobEvents();
    for (let i = 0; i < KEPT_COMPLETIONS + 5; i++) events.publish(processed(`job-${i}`));
    expect(events.kept).toBe(KEPT_COMPLETIONS);
    expect(events.last('job-0')).toBeUndefined();
    expect(events.last(`job-${KEPT_COMPLETIONS + 4}`)).toBeDefined();
  });
});
