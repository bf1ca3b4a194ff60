// A local process racing the server: puts `first` and `second` in turn at `target`, by renames,
// as fast as it can, for at most `maxFlips` rounds (or until it is killed). Prints "ready" once
// started. Synchronous calls on purpose: this is the attacker, not the server.
import { renameSync } from 'node:fs';

const [target, first, second, maxFlips = '10000000'] = process.argv.slice(2);
process.stdout.write('ready\n');
const put = (from) => {
  try {
    renameSync(from, target);
    renameSync(target, from);
  } catch {
    // The server may hold the name for a moment; the next round tries again.
  }
};
for (let i = 0; i < Number(maxFlips); i++) {
  put(first);
  put(second);
}
