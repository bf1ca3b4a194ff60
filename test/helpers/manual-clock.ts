/**
 * A Clock that moves only when the test says: what waits on it (the waiter's sleeps, the
 * transport's attempt time-outs, the rate budget) runs in fake time, while real I/O (the
 * emulator over loopback) runs as usual.
 */
import type { Clock, TimerHandle } from '../../src/lib/clock.js';

interface Timer {
  at: number;
  fn: () => void;
}

export class ManualClock implements Clock {
  #now: number;
  readonly #timers = new Set<Timer>();
  readonly #listeners = new Set<() => void>();

  constructor(start = Date.UTC(2026, 0, 5, 9, 0, 0)) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const timer: Timer = { at: this.#now + Math.max(0, ms), fn };
    this.#timers.add(timer);
    for (const listener of [...this.#listeners]) listener();
    return timer;
  }

  clearTimeout(handle: TimerHandle): void {
    this.#timers.delete(handle as Timer);
  }

  /**
   * The due time of the earliest timer within `horizonMs` of now, once there is one: a timer
   * further away (a request's time-out) means something is still in flight.
   */
  nextTimer(horizonMs: number): Promise<number> {
    return new Promise((resolve) => {
      const check = () => {
        const due = [...this.#timers].map((t) => t.at).filter((at) => at <= this.#now + horizonMs);
        if (due.length === 0) return;
        this.#listeners.delete(check);
        resolve(Math.min(...due));
      };
      this.#listeners.add(check);
      check();
    });
  }

  /** Moves time forward to `at`, firing every timer due by then, earliest first. */
  advanceTo(at: number): void {
    for (;;) {
      const next = [...this.#timers].filter((t) => t.at <= at).sort((a, b) => a.at - b.at)[0];
      if (!next) break;
      this.#timers.delete(next);
      this.#now = Math.max(this.#now, next.at);
      next.fn();
    }
    this.#now = Math.max(this.#now, at);
  }
}
