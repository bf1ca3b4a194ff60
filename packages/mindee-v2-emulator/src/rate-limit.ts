/**
 * Mindee's per-organisation limits as sliding 60-second windows, one per kind of request.
 */

export class SlidingWindow {
  private readonly hits: number[] = [];

  constructor(
    readonly limit: number,
    private readonly windowMs = 60_000,
  ) {}

  /** Records a hit and returns 0, or refuses it and returns the seconds until one frees up. */
  hit(now: number): number {
    while (this.hits.length > 0 && (this.hits[0] as number) <= now - this.windowMs) this.hits.shift();
    if (this.hits.length >= this.limit) {
      const oldest = this.hits[0] as number;
      return Math.max(1, Math.ceil((oldest + this.windowMs - now) / 1000));
    }
    this.hits.push(now);
    return 0;
  }
}
