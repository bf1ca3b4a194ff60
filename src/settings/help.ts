/**
 * What is made from the declarations for people: `--help` and the README's settings table
 * (`npm run readme:settings` writes it; test/settings.test.ts fails when the README is stale).
 */
import type { SettingDeclaration } from './declare.js';
import { CORE_SETTINGS } from './core.js';
import { SERVING_SETTINGS } from './serving.js';

const ALL: SettingDeclaration[] = [...Object.values(CORE_SETTINGS), ...Object.values(SERVING_SETTINGS)];
/** Where --help's variable column and description start. */
const ENV_COLUMN = 27;
const HELP_COLUMN = 52;

function helpLine(first: string, env: string, help: string): string {
  const head = `${`  ${first}`.padEnd(ENV_COLUMN - 1)} ${env}`;
  const [firstLine = '', ...rest] = help.split('\n');
  const start = head.length < HELP_COLUMN ? head.padEnd(HELP_COLUMN) : `${head}  `;
  return [start + firstLine, ...rest.map((l) => ' '.repeat(HELP_COLUMN) + l)].join('\n');
}

function describe(declaration: SettingDeclaration, withSecrets: boolean): string | undefined {
  if (declaration.secret && !withSecrets) return undefined;
  const first = declaration.helpFlag ?? (declaration.flag === undefined || declaration.secret ? '' : `--${declaration.flag}${declaration.arg ? ` ${declaration.arg}` : ''}`);
  const help = declaration.default === undefined ? declaration.help : `${declaration.help} (default ${declaration.default})`;
  return helpLine(first, declaration.env, help);
}

const lines = (group: SettingDeclaration['group']) =>
  ALL.filter((d) => d.group === group)
    .map((d) => describe(d, d.env !== 'MINDEE_V2_API_KEY'))
    .filter((l) => l !== undefined)
    .join('\n');

export const USAGE = `Usage: mindee-mcp [options] [allowed-directory ...]
       mindee-mcp --transport http [--host H] [--port N] [--auth MODE] [options]
       mindee-mcp doctor [options] [allowed-directory ...]   checks the setup and says what to fix
       mindee-mcp emulator [--port N] [--host H] [--api-key K] [--public-base-url URL] [--processing-ms N]

An MCP server (stdio, or Streamable HTTP at /mcp) for Mindee's v2 document-inference API.

Options (each has an environment variable; the flag wins):
${lines('general')}

Remote server (--transport http) and webhooks:
${lines('remote')}

  -h, --help               This help
  -v, --version            The version

Secrets are read from the environment only (never from the command line, where other processes
could see them):
${ALL.filter((d) => d.secret)
  .map((d) => describe(d, true))
  .join('\n')}`;

/** The README's settings table (Markdown), one row per setting. */
export function settingsTable(): string {
  const rows = ALL.map((d) => {
    const flag = d.readmeFlag ?? (d.secret ? '— (env only)' : d.flag === undefined ? '—' : `\`--${d.flag}\``);
    const fallback = d.default === undefined ? (d.defaultText ?? '—') : `\`${d.default}\``;
    return `| \`${d.env}\` | ${flag} | ${fallback} | ${d.readme} |`;
  });
  return ['| variable | flag | default | what |', '|---|---|---|---|', ...rows].join('\n');
}
