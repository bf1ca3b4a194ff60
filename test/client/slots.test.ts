/** Slots: at most `size` pieces of work at once, the others in turn, first come first served. */
import { describe, expect, it } from 'vitest';
import { MindeeAbortError } from '../../src/client/errors.js';
import { Slots } from '../../src/client/slots.js';

/** A piece of work that runs until the test ends it. */
function held() {
  let end!: () => void;
  const ended = new Promise<void>((resolve) => (end = resolve));
  return { end, ended };
}

describe('Slots', () => {
  it('runs at most `size` at once and the rest in the order they came', async () => {
    const slots = new Slots(2);
    const works = Array.from({ length: 5 }, held);
    const started: number[] = [];
    let running = 0;
    let most = 0;
    const runs = works.map((w, i) =>
      slots.run(async () => {
        started.push(i);
        most = Math.max(most, ++running);
        await w.ended;
        running--;
        return i;
      }),
    );
    await Promise.resolve();
    expect(started).toEqual([0, 1]);
    expect(slots.waiting).toBe(3);
    works[1]!.end();
    await runs[1];
    expect(started).toEqual([0, 1, 2]);
    for (const w of works) w.end();
    expect(await Promise.all(runs)).toEqual([0, 1, 2, 3, 4]);
    expect(started).toEqual([0, 1, 2, 3, 4]);
    expect(most).toBe(2);
    expect(slots.waiting).toBe(0);
  });

  it('frees the slot of work that fails', async () => {
    const slots = new Slots(1);
    await expect(slots.run(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await slots.run(() => Promise.resolve('next'))).toBe('next');
  });

  it('gives up a turn when its signal aborts while it waits, without taking a slot', async () => {
    const slots = new Slots(1);
    const first = held();
    const running = slots.run(() => first.ended);
    const stop = new AbortController();
    let ran = false;
    const waiting = slots.run(async () => {
      ran = true;
    }, stop.signal);
    const third = slots.run(() => Promise.resolve('third'));
    stop.abort(new Error('the caller hung up'));
    await expect(waiting).rejects.toBeInstanceOf(MindeeAbortError);
    await expect(waiting).rejects.toThrow(/the caller hung up/);
    expect(slots.waiting).toBe(1);
    first.end();
    await running;
    expect(await third).toBe('third');
    expect(ran).toBe(false);
    await expect(slots.run(() => Promise.resolve(), stop.signal)).rejects.toBeInstanceOf(MindeeAbortError);
  });
});
