// A JSON import: the bundler inlines it, so the built CLI reports the version it was built as,
// wherever its files land (`npx`, an MCPB bundle, a global install).
import pkg from '../package.json' with { type: 'json' };

export const PACKAGE_NAME = pkg.name;
export const VERSION = pkg.version;
/** The Node versions the package declares it runs on (`engines`). */
export const ENGINES: { node: string } = pkg.engines;
export const USER_AGENT = `${pkg.name}/${pkg.version} (node ${process.version}; ${process.platform})`;
