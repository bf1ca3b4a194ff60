/**
 * Issue 19, item 6: the HTTP server lets its heap grow to twice what is live between full
 * collections (bench scenario 12 measures the memory it saves), unless the process was started
 * with a growing percent of its own.
 */
import { describe, expect, it } from 'vitest';
import { HEAP_GROWING_PERCENT, heapGrowingFlag } from '../../src/http/heap.js';

describe('the heap growth of the HTTP server', () => {
  it('is set when the process was started without one', () => {
    expect(HEAP_GROWING_PERCENT).toBe(100);
    expect(heapGrowingFlag([])).toBe('--heap-growing-percent=100');
    expect(heapGrowingFlag(['--enable-source-maps', '--max-old-space-size=512'])).toBe('--heap-growing-percent=100');
    // Another flag whose name merely starts the same is not the growing percent.
    expect(heapGrowingFlag(['--heap-growing-percentage-of-nothing'])).toBe('--heap-growing-percent=100');
  });

  it("keeps the operator's own, in either spelling", () => {
    expect(heapGrowingFlag(['--heap-growing-percent=20'])).toBeNull();
    expect(heapGrowingFlag(['--max-old-space-size=512', '--heap_growing_percent=200'])).toBeNull();
    expect(heapGrowingFlag(['--heap-growing-percent', '30'])).toBeNull();
  });
});
