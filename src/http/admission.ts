/**
 * mindee-key mode: a key of the right form is not yet a Mindee key. Before any body of a caller
 * is read (/mcp, /uploads), its key is asked of Mindee once (one model search): a good key is
 * remembered a while, a refused one too (401 at once, nothing read, no work done). The requests of
 * a key being checked wait for that one answer. Keys not yet known good are bounded as a whole:
 * so many checks (and requests served without an answer, below) at once for the whole server, 503
 * past that, so made-up keys cannot each become a new caller with limits of its own.
 *
 * Mindee unreachable (or too slow to answer) says nothing of a key: its request is served, still
 * counted among the unverified ones until it ends, and the key is asked again on its next request.
 * A good key is never locked out by an outage; a made-up one gets no more than that bounded share.
 */
import type { RequestHandler } from 'express';
import { MindeeApiError } from '../client/errors.js';
import { BoundedMap } from '../lib/bounded-map.js';
import { systemClock, type Clock, type TimerHandle } from '../lib/clock.js';
import { principalOf } from './auth.js';

/** Checks of new keys, and requests of keys Mindee did not answer for, in flight at once, for the whole server. */
export const MAX_UNVERIFIED_REQUESTS = 8;
/** How long Mindee's yes is remembered. */
const GOOD_FOR_MS = 10 * 60_000;
/** How long Mindee's no is remembered (a key may be made valid meanwhile). */
const REFUSED_FOR_MS = 60_000;
/** Longest wait for Mindee's answer: past it, the key is taken as not known (served, bounded). */
export const CHECK_MS = 10_000;

export type KeyVerdict = 'good' | 'refused' | 'unknown';

export interface AdmissionOptions {
  /** Asks Mindee about `key`, giving up at `deadline`: resolves when Mindee answered, throws otherwise. */
  ask(key: string, deadline: number): Promise<unknown>;
  clock?: Clock;
  maxUnverified?: number;
}

export class KeyAdmission {
  readonly #known = new BoundedMap<string, { verdict: 'good' | 'refused'; until: number }>(10_000);
  /** Checks under way, by caller: the requests of one key wait for the same answer. */
  readonly #checking = new Map<string, Promise<KeyVerdict>>();
  readonly #clock: Clock;
  readonly #max: number;
  #unverified = 0;

  constructor(private readonly options: AdmissionOptions) {
    this.#clock = options.clock ?? systemClock;
    this.#max = options.maxUnverified ?? MAX_UNVERIFIED_REQUESTS;
  }

  /** After authentication, before any body is read. */
  readonly middleware: RequestHandler = (req, res, next) => {
    const principal = principalOf(res);
    const key = principal.mindeeKey;
    if (!key) return next();
    const known = this.#known.get(principal.caller.id);
    if (known && known.until > this.#clock.now()) return known.verdict === 'good' ? next() : refused(res);
    // The requests of a key being checked wait for that one answer, reading nothing meanwhile.
    let checking = this.#checking.get(principal.caller.id);
    if (!checking) {
      const release = this.#take();
      if (!release) return busy(res, this.#max);
      checking = this.#ask(principal.caller.id, key).finally(() => {
        release();
        this.#checking.delete(principal.caller.id);
      });
      this.#checking.set(principal.caller.id, checking);
    }
    checking.then((verdict) => {
      if (verdict === 'good') return next();
      if (verdict === 'refused') return refused(res);
      // Not known (Mindee unreachable): served, within the bound, until it ends.
      const release = this.#take();
      if (!release) return busy(res, this.#max);
      res.on('close', release);
      next();
    }, next);
  };

  /** A place among the checks and the requests of keys not known good, taken in the same step as its check. */
  #take(): (() => void) | null {
    if (this.#unverified >= this.#max) return null;
    this.#unverified++;
    let held = true;
    return () => {
      if (!held) return;
      held = false;
      this.#unverified--;
    };
  }

  async #ask(id: string, key: string): Promise<KeyVerdict> {
    const asked = this.options.ask(key, this.#clock.now() + CHECK_MS).then(
      (): KeyVerdict => 'good',
      (error: unknown): KeyVerdict => (error instanceof MindeeApiError && (error.status === 401 || error.status === 403) ? 'refused' : 'unknown'),
    );
    let timer: TimerHandle | undefined;
    // Mindee slower than this says nothing of the key either.
    const late = new Promise<KeyVerdict>((resolve) => (timer = this.#clock.setTimeout(() => resolve('unknown'), CHECK_MS)));
    const verdict = await Promise.race([asked, late]);
    if (timer) this.#clock.clearTimeout(timer);
    if (verdict !== 'unknown') this.#known.set(id, { verdict, until: this.#clock.now() + (verdict === 'good' ? GOOD_FOR_MS : REFUSED_FOR_MS) });
    return verdict;
  }
}

function busy(res: Parameters<RequestHandler>[1], max: number): void {
  res.set('Retry-After', '2');
  res.set('Connection', 'close');
  res.status(503).json({
    error: 'temporarily_unavailable',
    error_description: `This server is checking as many new Mindee API keys as it takes at once (${max} checks and requests): try again in a moment.`,
  });
}

function refused(res: Parameters<RequestHandler>[1]): void {
  // Nothing of the body is read: the connection goes with it.
  res.set('Connection', 'close');
  res.set('WWW-Authenticate', 'Bearer realm="mindee-mcp", error="invalid_token", error_description="Mindee refused this API key"');
  res.status(401).json({
    error: 'invalid_token',
    error_description: 'Mindee refused the API key sent with this request (401/403): send your own valid Mindee v2 key (Authorization: Bearer md_… or X-Mindee-Api-Key).',
  });
}
