import { createRequire } from 'node:module';

// package.json sits one level above both src/ and dist/, so this path holds in both.
const pkg = createRequire(import.meta.url)('../package.json') as { name: string; version: string };

export const PACKAGE_NAME = pkg.name;
export const VERSION = pkg.version;
export const USER_AGENT = `${pkg.name}/${pkg.version} (node ${process.version}; ${process.platform})`;
