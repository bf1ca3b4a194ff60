/**
 * Job owners, as the interface promises them, against each implementation
 * (../memory-contracts.test.ts, ../redis/contracts.test.ts): on Redis, a second process (its own
 * link, its own memory) must see what the first recorded.
 */
import { describe, expect, it } from 'vitest';
import { MAX_DOCUMENT_RECORD_BYTES, type JobOwners, type OwnerLimits } from '../../../src/state/owners.js';

interface OwnersSubject {
  /** The store of the process that records. */
  store: JobOwners;
  /** What another process of the deployment reads (the same store in memory). */
  other: JobOwners;
}

export interface OwnersBackend {
  name: string;
  make(limits?: Partial<OwnerLimits>): Promise<OwnersSubject>;
}

export function ownersContract(impl: OwnersBackend): void {
  describe(`${impl.name}: owners`, () => {

    it('records who started a job and whose its inference is, for every process', async () => {
      const { store, other } = await impl.make();
      await store.record('job', 'job-1', 'token:alice');
      await store.record('inference', 'inf-1', 'token:alice');
      expect(await other.ownerOf('job', 'job-1')).toBe('token:alice');
      expect(await other.ownerOf('inference', 'inf-1')).toBe('token:alice');
      // A job id and an inference id are told apart, and an id never recorded is no one's.
      expect(await other.ownerOf('inference', 'job-1')).toBeUndefined();
      expect(await other.ownerOf('job', 'never-made')).toBeUndefined();
    });

    it('keeps the first owner: another caller recording the same id takes nothing', async () => {
      const { store, other } = await impl.make();
      await store.record('job', 'job-1', 'token:alice');
      await other.record('job', 'job-1', 'token:mallory');
      await store.record('job', 'job-1', 'token:mallory');
      expect(await other.ownerOf('job', 'job-1')).toBe('token:alice');
    });

    it('bounds the records of each caller, dropping its own oldest, never another caller\'s', async () => {
      const { store, other } = await impl.make({ perCaller: 3 });
      await store.record('job', 'bob-1', 'token:bob');
      for (let i = 1; i <= 5; i++) await store.record('job', `alice-${i}`, 'token:alice');
      const owners = await Promise.all([1, 2, 3, 4, 5].map((i) => other.ownerOf('job', `alice-${i}`)));
      expect(owners).toEqual([undefined, undefined, 'token:alice', 'token:alice', 'token:alice']);
      expect(await other.ownerOf('job', 'bob-1')).toBe('token:bob');
    });

    it("keeps each job's document for its owner only, for every process", async () => {
      const { store, other } = await impl.make();
      await store.recordDocument('job-d', 'token:alice', '{"kind":"url","url":"https://a.example/x.pdf"}');
      await other.recordDocument('job-d', 'token:mallory', '{"kind":"url","url":"https://evil.example/"}');
      expect(await other.documentOf('job-d', 'token:alice')).toBe('{"kind":"url","url":"https://a.example/x.pdf"}');
      expect(await store.documentOf('job-d', 'token:mallory')).toBeUndefined();
      expect(await other.documentOf('never-made', 'token:alice')).toBeUndefined();
      // A record past its bound is not kept rather than cut.
      await store.recordDocument('job-big', 'token:alice', 'x'.repeat(MAX_DOCUMENT_RECORD_BYTES + 1));
      expect(await other.documentOf('job-big', 'token:alice')).toBeUndefined();
    });
  });
}
