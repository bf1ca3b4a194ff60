// The CLI is the package's bin: it must stay executable after every build.
import { chmodSync } from 'node:fs';
chmodSync(new URL('../dist/cli.js', import.meta.url), 0o755);
