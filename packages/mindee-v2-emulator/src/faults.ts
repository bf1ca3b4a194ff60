/**
 * Injected faults: a queue of misbehaviours matched against each request's route, used up one
 * hit at a time. Probabilistic faults draw from a seeded generator, so a run is repeatable.
 */
import { Rng } from './rng.js';
import type { Fault, FaultRoute } from './types.js';

/** The route kinds a fault can target ('*' matches every request, even unknown routes). */
export type RouteKind = Exclude<FaultRoute, '*'> | 'other';

interface Armed {
  fault: Fault;
  remaining: number;
}

export class FaultQueue {
  private armed: Armed[] = [];
  private readonly rng: Rng;

  constructor(seed: number | string) {
    this.rng = new Rng(`faults:${seed}`);
  }

  add(fault: Fault): void {
    validateFault(fault);
    this.armed.push({ fault, remaining: fault.times ?? 1 });
  }

  clear(): void {
    this.armed = [];
  }

  get pending(): number {
    return this.armed.length;
  }

  /**
   * The first armed fault that hits a request on `route`, counted down. `foreign` selects the
   * foreign-result-url faults (applied by the job route when it has a result_url to rewrite)
   * instead of the ones applied before normal handling.
   */
  take(route: RouteKind, foreign = false): Fault | undefined {
    for (const armed of this.armed) {
      const { fault } = armed;
      if ((fault.kind === 'foreign-result-url') !== foreign) continue;
      if (fault.route !== '*' && fault.route !== route) continue;
      if (fault.probability !== undefined && !(this.rng.next() < fault.probability)) continue;
      armed.remaining -= 1;
      if (armed.remaining <= 0) this.armed = this.armed.filter((a) => a !== armed);
      return fault;
    }
    return undefined;
  }
}

const ROUTES: readonly FaultRoute[] = ['enqueue', 'job', 'result', 'search', '*'];

function validateFault(fault: Fault): void {
  if (!ROUTES.includes(fault.route)) throw new TypeError(`Unknown fault route "${String(fault.route)}"`);
  if (fault.times !== undefined && !(fault.times >= 1)) throw new TypeError('Fault times must be at least 1');
  if (fault.probability !== undefined && !(fault.probability >= 0 && fault.probability <= 1)) {
    throw new TypeError('Fault probability must be between 0 and 1');
  }
  switch (fault.kind) {
    case 'status':
      if (!Number.isInteger(fault.status) || fault.status < 100 || fault.status > 599) {
        throw new TypeError(`Fault status must be an HTTP status, got ${fault.status}`);
      }
      break;
    case 'html':
      if (fault.status !== undefined && (!Number.isInteger(fault.status) || fault.status < 100 || fault.status > 599)) {
        throw new TypeError(`Fault status must be an HTTP status, got ${fault.status}`);
      }
      break;
    case 'foreign-result-url':
      if (!/^https?:\/\/[^/]+$/.test(fault.origin.replace(/\/$/, ''))) {
        throw new TypeError(`Fault origin must be an origin like https://elsewhere.example, got "${fault.origin}"`);
      }
      break;
    case 'rate-limit':
    case 'reset':
    case 'hang':
    case 'malformed-json':
      break;
    default:
      throw new TypeError(`Unknown fault kind "${(fault as { kind: string }).kind}"`);
  }
}
