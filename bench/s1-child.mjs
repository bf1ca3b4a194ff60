// Scenario 1's fresh process: one client (ours or the SDK) runs one batch of jobs against its
// own in-process emulator, as a host session that starts, extracts a few documents and exits.
// Usage: node s1-child.mjs <spec.json>; prints one line `RESULT {…}` (the runJobs record).
// Ours keeps its learned timings in spec.stateDir, so the next process can start from them.
import { readFile } from 'node:fs/promises';
import { runJobs } from './jobs.mjs';

const spec = JSON.parse(await readFile(process.argv[2], 'utf8'));
const run = await runJobs(spec);
process.stdout.write(`RESULT ${JSON.stringify(run)}\n`);
