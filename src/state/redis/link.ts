/**
 * The connection to Redis that every shared seam goes through, and its health. Redis is either
 * up or down for the whole process: the first failed command marks it down (logged once), the
 * seams then fall back to what this process holds, and a probe marks it up again as soon as a
 * PING is answered (logged once). Commands never queue while the connection is away: they fail
 * at once, so no wait ever hangs on Redis.
 */
import { randomUUID } from 'node:crypto';
import type { CommandParser, RedisClientType } from '@redis/client';
import { systemClock, type Clock, type TimerHandle } from '../../lib/clock.js';
import { StateUnavailableError } from '../errors.js';
import type { ScriptName } from './scripts.js';

export interface RedisLinkOptions {
  url: string;
  /** Where "lost" and "back" go (stderr). */
  log?: { warn(message: string): void; info(message: string): void };
  /** Key prefix of everything this project stores. */
  prefix?: string;
  clock?: Clock;
  /** Longest wait for one command; past it Redis counts as lost. */
  commandTimeoutMs?: number;
  connectTimeoutMs?: number;
}

/** Redis could not be reached when the server started: nothing is served. */
export class RedisUnavailableError extends Error {
  override name = 'RedisUnavailableError';
}

const DEFAULT_PREFIX = 'mindee-mcp:v1:';
/** How often this process says it is alive, and how long until a silent one is not counted. */
const HEARTBEAT_MS = 5_000;
const ALIVE_MS = 3 * HEARTBEAT_MS;
/** Gaps between probes while Redis is down, and between reconnect attempts. */
const PROBE_MS = 250;
const MAX_RECONNECT_MS = 1_000;

/** The URL with its password masked: it names the server in messages and logs. */
export function maskRedisUrl(raw: string): string {
  try {
    const url = new URL(raw);
    if (url.password) url.password = '***';
    return url.href;
  } catch {
    return '(an invalid URL)';
  }
}

/** The client: its commands, and each script as a method of its name. */
type Client = RedisClientType & Record<ScriptName, (keys: string[], args: string[]) => Promise<unknown>>;

export class RedisLink {
  readonly prefix: string;
  readonly id = randomUUID();
  readonly url: string;
  readonly clock: Clock;
  /** Processes of the deployment alive when Redis last said, this one included. */
  processes = 1;
  readonly aliveMs = ALIVE_MS;
  #up = true;
  #everReady = false;
  #closed = false;
  #client: Client | undefined;
  #subscriber: Client | undefined;
  #subscriberReady: Promise<void> | undefined;
  #probe: TimerHandle | undefined;
  #heartbeat: TimerHandle | undefined;
  readonly #listeners = new Set<(up: boolean) => void>();

  constructor(readonly options: RedisLinkOptions) {
    this.url = options.url;
    this.prefix = options.prefix ?? DEFAULT_PREFIX;
    this.clock = options.clock ?? systemClock;
  }

  get up(): boolean {
    return this.#up && !this.#closed;
  }

  /** Connects, checks that scripts run and registers this process; rejects with a message naming the URL (password masked). */
  async connect(): Promise<void> {
    // Loaded only when Redis is configured: the in-memory default does not pay for it.
    const [{ createClient, defineScript }, { SCRIPTS }] = await Promise.all([import('@redis/client'), import('./scripts.js')]);
    // node-redis sends each script by its SHA1, and by its text to a Redis that lacks it (NOSCRIPT: a restarted one).
    const scripts = Object.fromEntries(
      Object.entries(SCRIPTS).map(([name, source]) => [
        name,
        // Its keys (KEYS), then its arguments (ARGV); the reply as Redis gives it.
        defineScript({
          SCRIPT: source,
          parseCommand: (parser: CommandParser, keys: string[], args: string[]) => {
            parser.pushKeysLength(keys);
            parser.push(...args);
          },
          transformReply: (reply: unknown) => reply,
        }),
      ]),
    );
    const client = createClient({
      scripts,
      url: this.url,
      disableOfflineQueue: true,
      commandOptions: { timeout: this.options.commandTimeoutMs ?? 2_000 },
      socket: {
        connectTimeout: this.options.connectTimeoutMs ?? 5_000,
        // Before the first connection a failure is final (the server must not start without
        // its Redis); after it, reconnect for as long as the process runs.
        reconnectStrategy: (retries: number, cause: Error) => (this.#everReady ? Math.min(100 * 2 ** retries, MAX_RECONNECT_MS) : cause),
      },
    }) as unknown as Client;
    // node-redis reports every failed reconnect as an 'error' event: health is tracked by the
    // commands themselves, and an EventEmitter without a listener would crash the process.
    client.on('error', (error: unknown) => this.#markDown(error));
    client.on('ready', () => this.#probeNow());
    this.#client = client;
    try {
      await client.connect();
      this.#everReady = true;
      this.processes = Number(await this.#hello(client));
    } catch (error) {
      await this.#destroy();
      throw new RedisUnavailableError(`Cannot use Redis at ${maskRedisUrl(this.url)} (MINDEE_MCP_REDIS_URL): ${describe(error)}.`);
    }
    this.#heartbeat = this.clock.setTimeout(() => this.#beat(), HEARTBEAT_MS);
  }

  key(name: string): string {
    return `${this.prefix}${name}`;
  }

  /** Where each process says it is alive (scored by when it last said so). */
  get processesKey(): string {
    return this.key('processes');
  }

  /** Calls `fn` when Redis goes down (false) or comes back (true). */
  onChange(listener: (up: boolean) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Runs a script (./scripts.ts); any failure marks Redis down and is rethrown. */
  eval(script: ScriptName, keys: string[], args: string[]): Promise<unknown> {
    return this.#send((client) => client[script](keys, args));
  }

  /** Runs a command; any failure marks Redis down and is rethrown. */
  command(args: string[]): Promise<unknown> {
    return this.#send((client) => client.sendCommand(args));
  }

  async #send(send: (client: Client) => Promise<unknown>): Promise<unknown> {
    const client = this.#client;
    if (!client || !this.up) throw new Error('Redis is down');
    try {
      return await this.#answered(send(client));
    } catch (error) {
      this.#markDown(error);
      throw error;
    }
  }

  /**
   * "Redis if up, else local", the rule of every seam with a local fallback: `shared` while Redis
   * is up, `local` while it is down or when `shared` fails (which marks it down, logged once).
   */
  async sharedOr<T>(shared: () => Promise<T>, local: () => T | Promise<T>): Promise<T> {
    if (this.up) {
      try {
        return await shared();
      } catch {
        // Redis lost meanwhile: what this process holds
      }
    }
    return local();
  }

  /**
   * The rule of every seam that lives in Redis only (tasks, uploads, an owner this process does not
   * know): any failure is a StateUnavailableError, at once. `what` says what is kept there ("Tasks
   * are kept in"); where Redis is and why it failed go to the log (the link says it once), not to callers.
   */
  async required<T>(run: () => Promise<T>, what: string): Promise<T> {
    try {
      return await run();
    } catch {
      throw new StateUnavailableError(`${what} the shared state (Redis), which cannot be reached now: try again in a moment.`);
    }
  }

  /** Listens to a channel, on a second connection that every channel shares (a subscribed connection takes no other command). */
  async subscribe(channel: string, listener: (message: string) => void): Promise<void> {
    if (!this.#client) throw new Error('Redis is not connected');
    if (!this.#subscriber) {
      const subscriber = this.#client.duplicate() as Client;
      subscriber.on('error', (error: unknown) => this.#markDown(error));
      this.#subscriber = subscriber;
      this.#subscriberReady = subscriber.connect().then(() => undefined);
    }
    await this.#subscriberReady;
    // node-redis subscribes again by itself after each reconnect.
    await this.#subscriber.subscribe(channel, listener);
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#probe !== undefined) this.clock.clearTimeout(this.#probe);
    if (this.#heartbeat !== undefined) this.clock.clearTimeout(this.#heartbeat);
    // No longer counted among the processes sharing the budgets.
    if (this.#up && this.#client?.isReady) await this.#answered(this.#client.sendCommand(['ZREM', this.processesKey, this.id])).catch(() => {});
    await this.#destroy();
  }

  async #destroy(): Promise<void> {
    for (const client of [this.#subscriber, this.#client]) {
      if (!client) continue;
      client.destroy();
    }
    this.#subscriber = undefined;
    this.#subscriberReady = undefined;
    this.#client = undefined;
  }

  /** Says this process is alive; the answer is how many are. */
  #hello(client: Client): Promise<unknown> {
    return this.#answered(client.heartbeat([this.processesKey], [this.id, String(ALIVE_MS)]));
  }

  /**
   * A command's answer within the command time-out. node-redis times a command out only until
   * it is written: once written to a Redis that stopped answering (frozen, or cut off by the
   * network while the connection stays open) it would wait forever. Its late answer, if any,
   * is still read in order and dropped.
   */
  async #answered<T>(command: Promise<T>): Promise<T> {
    const ms = this.options.commandTimeoutMs ?? 2_000;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    });
    try {
      return await Promise.race([command, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  #beat(): void {
    this.#heartbeat = undefined;
    if (this.#closed) return;
    if (this.up) {
      this.eval('heartbeat', [this.processesKey], [this.id, String(ALIVE_MS)])
        .then((n) => {
          this.processes = Math.max(1, Number(n));
        })
        .catch(() => {});
    }
    this.#heartbeat = this.clock.setTimeout(() => this.#beat(), HEARTBEAT_MS);
  }

  #markDown(error: unknown): void {
    if (!this.#up || this.#closed || !this.#everReady) return;
    this.#up = false;
    this.options.log?.warn(
      `Redis at ${maskRedisUrl(this.url)} is unreachable${error === undefined ? '' : ` (${describe(error)})`}: this process falls back to its own rate budget ` +
        `(1/${this.processes} of each limit, the share of each of the ${this.processes} processes last seen), its own kept results and its own job events, and reconnects; ` +
        'MCP tasks and shared uploads are refused meanwhile.',
    );
    for (const listener of this.#listeners) listener(false);
    this.#scheduleProbe();
  }

  #scheduleProbe(): void {
    if (this.#probe !== undefined || this.#closed) return;
    this.#probe = this.clock.setTimeout(() => {
      this.#probe = undefined;
      this.#probeNow();
    }, PROBE_MS);
  }

  #probeNow(): void {
    if (this.#up || this.#closed) return;
    const client = this.#client;
    if (!client?.isReady) return this.#scheduleProbe();
    this.#hello(client)
      .then(() => {
        if (this.#up || this.#closed) return;
        this.#up = true;
        this.options.log?.info(`Redis at ${maskRedisUrl(this.url)} is back: rate budgets, kept results, job events, tasks and uploads are shared again.`);
        for (const listener of this.#listeners) listener(true);
      })
      .catch(() => this.#scheduleProbe());
  }
}

function describe(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.length > 300 ? `${message.slice(0, 300)}…` : message;
}
