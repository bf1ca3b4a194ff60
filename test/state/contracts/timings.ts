/**
 * What the poll planner learned, against each implementation (../memory-contracts.test.ts,
 * ../redis/contracts.test.ts): bounded per model and in models, and defensive about what it keeps.
 */
import { describe, expect, it } from 'vitest';
import { TIMING_LIMITS, type TimingSample, type TimingStore } from '../../../src/state/timings.js';

const T0 = Date.UTC(2026, 0, 5, 9, 0, 0);
const sample = (ms: number, pages: number | null = 2, at = T0 + ms): TimingSample => ({ pages, ms, at });

export interface TimingStoreBackend {
  name: string;
  make(): Promise<TimingStore>;
}

export function timingStoreContract(impl: TimingStoreBackend): void {
  describe(`${impl.name}: learned timings`, () => {
    it('keeps the newest samples of each model and forgets the least recently learned models past its bound', async () => {
      const store = await impl.make();
      for (let i = 0; i < 1000; i++) store.record('one', 'extraction', sample(i));
      expect(store.get('one')!.samples).toHaveLength(TIMING_LIMITS.samplesPerModel);
      expect(store.get('one')!.samples[0]!.ms).toBe(1000 - TIMING_LIMITS.samplesPerModel);
      for (let i = 0; i < 300; i++) store.record(`model-${i}`, null, sample(1000));
      expect([...store.models()]).toHaveLength(TIMING_LIMITS.models);
      expect(store.get('one')).toBeUndefined();
      expect(store.get('model-299')).toBeDefined();
    });

    it('refuses what is not a model id or a plausible timing', async () => {
      const store = await impl.make();
      store.record('../etc/passwd', null, sample(1000));
      store.record('m', null, sample(-1));
      store.record('m', null, sample(Number.NaN));
      store.record('m', null, sample(10 * 3_600_000));
      store.record('m', null, sample(1000, 0.5));
      store.record('m', 'Not A Product', sample(1000));
      expect([...store.models()]).toEqual([]);
    });
  });
}
