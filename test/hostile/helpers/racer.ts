/** Starts test/hostile/helpers/flip.mjs in its own process and stops it (by its pid) when asked. */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

const FLIP = fileURLToPath(new URL('./flip.mjs', import.meta.url));

export interface Racer {
  stop(): Promise<void>;
}

/** Flips `target` between `first` and `second` until stopped; resolves once the flipping has started. */
export async function startFlipping(target: string, first: string, second: string): Promise<Racer> {
  const child = spawn(process.execPath, [FLIP, target, first, second], { stdio: ['ignore', 'pipe', 'inherit'] });
  await once(child.stdout, 'data');
  return {
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGKILL');
      await exited;
    },
  };
}
