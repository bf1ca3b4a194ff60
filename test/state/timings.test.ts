/**
 * The learned-timings store: bounded in memory, and in a file that survives a restart, is read
 * defensively, written atomically, and merged when several processes write at once. Every test
 * has its own temporary directory, never the user's cache directory. What every store does (its
 * bounds, what it refuses) is contracts/timings.ts.
 */
import { mkdir, mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FileTimingStore, TIMING_LIMITS, TIMINGS_FILE, type TimingSample } from '../../src/state/timings.js';

const T0 = Date.UTC(2026, 0, 5, 9, 0, 0);
const sample = (ms: number, pages: number | null = 2, at = T0 + ms): TimingSample => ({ pages, ms, at });

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mindee-mcp-timings-'));
});
afterEach(async () => {
  vi.useRealTimers();
  await rm(dir, { recursive: true, force: true });
});

function open(options: { warnings?: string[]; onSaved?: () => void; debounceMs?: number } = {}): FileTimingStore {
  return new FileTimingStore({ dir, warn: (m) => options.warnings?.push(m), onSaved: options.onSaved, debounceMs: options.debounceMs });
}

describe('FileTimingStore', () => {
  it('round trip: what one process learned, the next one starts with; the file holds only model ids, products and numbers', async () => {
    const first = open();
    await first.ready;
    first.record('0a1b2c3d-model', 'extraction', sample(4321.6, 3));
    first.record('0a1b2c3d-model', 'extraction', sample(5000, null));
    first.record('ocr-model', 'ocr', sample(900, 1));
    await first.flush();

    const second = open();
    await second.ready;
    expect(second.get('0a1b2c3d-model')).toEqual({
      product: 'extraction',
      // Stored to the millisecond of duration and the second of completion.
      samples: [
        { pages: 3, ms: 4322, at: Math.floor((T0 + 4321.6) / 1000) * 1000 },
        { pages: null, ms: 5000, at: T0 + 5000 },
      ],
    });
    expect(second.get('ocr-model')?.product).toBe('ocr');
    const file = JSON.parse(await readFile(join(dir, TIMINGS_FILE), 'utf8'));
    expect(Object.keys(file)).toEqual(['format', 'version', 'models']);
    expect(JSON.stringify(file.models)).toMatch(/^[{}[\]",:0-9a-z_-]*$/i);
    // Nothing but the file is left behind: no temporary file, no lock.
    expect(await readdir(dir)).toEqual([TIMINGS_FILE]);
  });

  it.each([
    ['not JSON', '{"format": "mindee-mcp poll timings", "version": 1, "models": {', /not valid JSON/],
    ['foreign JSON', JSON.stringify({ theme: 'dark' }), /not a mindee-mcp poll timings file/],
    ['another version', JSON.stringify({ format: 'mindee-mcp poll timings', version: 99, models: {} }), /has version 99, not 1/],
    ['damaged', JSON.stringify({ format: 'mindee-mcp poll timings', version: 1, models: { m: { product: null, samples: [[1, -5, 3]] } } }), /is damaged/],
    ['too large', `{"pad":"${'x'.repeat(TIMING_LIMITS.fileBytes)}"}`, /larger than 1024 KiB/],
  ])('a %s file is ignored with one warning, never a crash, and replaced at the next write', async (_kind, content, why) => {
    await writeFile(join(dir, TIMINGS_FILE), content);
    const warnings: string[] = [];
    const store = open({ warnings });
    await store.ready;
    expect([...store.models()]).toEqual([]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(why);
    expect(warnings[0]).toContain(join(dir, TIMINGS_FILE));
    expect(warnings[0]).toContain('ignored');

    store.record('m', 'extraction', sample(2000));
    await store.flush();
    const again = open({ warnings });
    await again.ready;
    expect(again.get('m')?.samples.map((s) => s.ms)).toEqual([2000]);
    expect(warnings).toHaveLength(1);
  });

  it('a state directory it cannot write warns once and keeps learning in memory', async () => {
    // A regular file where the directory should be: mkdir fails whatever the user's rights.
    await writeFile(join(dir, 'blocked'), 'x');
    const warnings: string[] = [];
    const store = new FileTimingStore({ dir: join(dir, 'blocked', 'mindee-mcp'), warn: (m) => warnings.push(m) });
    await store.ready;
    store.record('m', null, sample(1000));
    await store.flush();
    store.record('m', null, sample(1100));
    await store.flush();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/Could not save the learned poll timings to .*blocked.*MINDEE_MCP_STATE_DIR/);
    expect(store.get('m')?.samples).toHaveLength(2);
  });

  it('several processes writing at once lose nothing: each write merges what the file holds', async () => {
    const stores = Array.from({ length: 4 }, () => open());
    await Promise.all(stores.map((s) => s.ready));
    for (let round = 0; round < 3; round++) {
      stores.forEach((store, i) => {
        for (let j = 0; j < 4; j++) {
          store.record('shared', 'extraction', sample(1000 + 100 * i + j, 1, T0 + 1000 * (round * 100 + i * 10 + j)));
          store.record(`own-${i}`, 'extraction', sample(500 + round * 10 + j, 1, T0 + 1000 * (round * 10 + j)));
        }
      });
      await Promise.all(stores.map((s) => s.flush()));
    }
    const reader = open();
    await reader.ready;
    expect(reader.get('shared')?.samples).toHaveLength(4 * 4 * 3);
    for (let i = 0; i < 4; i++) expect(reader.get(`own-${i}`)?.samples).toHaveLength(4 * 3);
    expect(await readdir(dir)).toEqual([TIMINGS_FILE]);
  });

  it('a lock left by a process that died while writing is taken over', async () => {
    await mkdir(dir, { recursive: true });
    const lock = join(dir, `${TIMINGS_FILE}.lock`);
    await writeFile(lock, '');
    const old = new Date(Date.now() - 60_000);
    await utimes(lock, old, old);
    const store = open();
    store.record('m', null, sample(1000));
    await store.flush();
    expect(JSON.parse(await readFile(join(dir, TIMINGS_FILE), 'utf8')).models.m.samples).toHaveLength(1);
    expect(await readdir(dir)).toEqual([TIMINGS_FILE]);
  });

  it('writes after a quiet spell, off the caller\'s time, one write for a burst of jobs', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    let saves = 0;
    let saved!: () => void;
    const firstSave = new Promise<void>((resolve) => (saved = resolve));
    const store = open({
      debounceMs: 2000,
      onSaved: () => {
        saves++;
        saved();
      },
    });
    await store.ready;
    for (let i = 0; i < 5; i++) store.record('m', null, sample(1000 + i));
    await vi.advanceTimersByTimeAsync(1999);
    expect(saves).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    await firstSave;
    expect(saves).toBe(1);
    expect(JSON.parse(await readFile(join(dir, TIMINGS_FILE), 'utf8')).models.m.samples).toHaveLength(5);
    // Nothing new: nothing written at shutdown.
    await store.flush();
    expect(saves).toBe(1);
  });
});
