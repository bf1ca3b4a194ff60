/**
 * Runs once per test run: without Chromium the browser tests are skipped, said in one line;
 * under CI=true a missing chromium fails the run instead (.ci/run installs it).
 */
import { CHROMIUM_MISSING, hasChromium } from '../helpers/chromium.js';

export default function setup(): void {
  if (hasChromium) return;
  if (process.env.CI === 'true') throw new Error(`The browser tests cannot run under CI: ${CHROMIUM_MISSING}.`);
  process.stderr.write(`Browser tests skipped: ${CHROMIUM_MISSING}.\n`);
}
