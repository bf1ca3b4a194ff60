/**
 * A real redis-server for a test: its own free port, its own temporary directory, nothing
 * persisted; stopped (or killed, to play an outage) and started again on the same port, or
 * paused and resumed (an outage that keeps the data).
 * `hasRedis` is false when Debian's redis-server is not installed: the Redis tests are then
 * skipped with one line from `test/setup/redis-global.ts` (and fail under CI=true).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { accessSync, constants } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { RedisLink } from '../../src/state/redis/link.js';

function findRedisServer(): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/bin', '/usr/sbin', '/usr/local/bin'];
  for (const dir of dirs) {
    const candidate = join(dir, 'redis-server');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

const REDIS_SERVER = findRedisServer();
export const hasRedis = REDIS_SERVER !== undefined;
export const REDIS_MISSING = 'redis-server is not installed (Debian: apt-get install -y redis-server)';

export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

export interface RedisServer {
  readonly url: string;
  readonly port: number;
  /** Ends the server at once (SIGKILL): an outage, as clients see it. */
  kill(): Promise<void>;
  /** Starts it again on the same port, empty. */
  restart(): Promise<void>;
  /** Freezes the server (SIGSTOP): connections stay open and nothing is answered, an outage that keeps the data. */
  pause(): void;
  /** Lets a paused server go on (SIGCONT), with everything it held. */
  resume(): void;
  stop(): Promise<void>;
}

export async function startRedis(options: { password?: string } = {}): Promise<RedisServer> {
  if (!REDIS_SERVER) throw new Error(REDIS_MISSING);
  const dir = await mkdtemp(join(tmpdir(), 'mindee-mcp-redis-'));
  const port = await freePort();
  let child: ChildProcess | undefined;
  const launch = async () => {
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--loglevel', 'notice'];
    if (options.password) args.push('--requirepass', options.password);
    const proc = spawn(REDIS_SERVER, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    let output = '';
    await new Promise<void>((resolve, reject) => {
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('Ready to accept connections')) {
          proc.stdout.off('data', onData);
          resolve();
        }
      };
      proc.stdout.on('data', onData);
      proc.once('exit', (code) => reject(new Error(`redis-server exited (${code}) before it was ready:\n${output.slice(-2000)}`)));
      proc.once('error', reject);
    });
    // Its output is no longer read: drain it so the pipe never fills.
    proc.stdout.resume();
    proc.stderr.resume();
  };
  const kill = async () => {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = once(proc, 'exit');
    proc.kill('SIGKILL');
    await exited;
  };
  await launch();
  const auth = options.password ? `:${encodeURIComponent(options.password)}@` : '';
  return {
    url: `redis://${auth}127.0.0.1:${port}`,
    port,
    kill,
    restart: launch,
    pause: () => child?.kill('SIGSTOP'),
    resume: () => child?.kill('SIGCONT'),
    async stop() {
      await kill();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Resolves when `lines` (a log collected into an array) gets a line containing `text`. */
export function logged(lines: string[], text: string): Promise<void> {
  return new Promise((resolve) => {
    const push = lines.push.bind(lines);
    if (lines.some((l) => l.includes(text))) return resolve();
    lines.push = (...items: string[]) => {
      const n = push(...items);
      if (items.some((l) => l.includes(text))) resolve();
      return n;
    };
  });
}

/**
 * One redis-server for the tests of a file (started in `setup`, stopped in `teardown`), and links
 * to it: each call of `links(n)` gives n processes' links on a key prefix of their own, so every
 * test starts from an empty store.
 */
export function redisForFile(): { setup: () => Promise<void>; teardown: () => Promise<void>; links: (count: number) => Promise<RedisLink[]> } {
  let server: RedisServer | undefined;
  const open: RedisLink[] = [];
  return {
    async setup() {
      server = await startRedis();
    },
    async teardown() {
      for (const link of open.splice(0)) await link.close();
      await server?.stop();
    },
    async links(count) {
      const prefix = `test:${randomUUID()}:`;
      const links = [];
      for (let i = 0; i < count; i++) {
        const link = new RedisLink({ url: server!.url, prefix });
        await link.connect();
        open.push(link);
        links.push(link);
      }
      return links;
    },
  };
}
