#!/usr/bin/env node
import { runEmulatorCli } from './cli.js';

runEmulatorCli(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`mindee-v2-emulator: fatal: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
