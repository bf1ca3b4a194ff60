/**
 * The built server (`node dist/cli.js`) spawned as a deployment runs it, for the e2e tests:
 * started with its own environment only, ready once it says where it listens.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { recordOutput } from '../setup/secrets.js';

export const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
/** What an HTTP server says once it listens: group 1 is its origin. */
const SERVING_HTTP = /serving MCP \(Streamable HTTP\) at (http:\/\/127\.0\.0\.1:\d+)\/mcp/;

export interface Spawned {
  child: ChildProcessWithoutNullStreams;
  url: string;
  /** Its stderr so far, recorded for the secret scan. */
  stderr(): string;
  exited: Promise<number | null>;
}

/** Starts the server and resolves once it says where it listens. */
export async function spawnServer(args: string[], env: Record<string, string>, ready: RegExp = SERVING_HTTP): Promise<Spawned> {
  const child = spawn(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      const m = ready.exec(stderr);
      if (m) resolve(m[1]!);
    });
    void exited.then((code) => reject(new Error(`exited (${code}) before it was ready: ${stderr}`)));
  });
  return {
    child,
    url,
    stderr: () => {
      recordOutput('server stderr', stderr);
      return stderr;
    },
    exited,
  };
}
