/**
 * Debian's Chromium for the browser tests, driven by playwright-core (which never downloads a
 * browser here). `hasChromium` is false when it is not installed: the browser tests are then
 * skipped with one line from `test/setup/chromium-global.ts` (and fail under CI=true).
 */
import { accessSync, constants } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((path) => {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
});
export const hasChromium = CHROMIUM !== undefined;
export const CHROMIUM_MISSING = 'chromium is not installed (Debian: apt-get install -y chromium)';

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM!,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}
