/**
 * `mindee-mcp doctor`: checks a setup the way a new user needs it checked — Node, the settings,
 * the key's format, whether the API is reachable and accepts the key (one model search), and the
 * allowed directories — and says what to fix. Reads the same settings as the server; never
 * prints the key. Exit code 0 when nothing failed (warnings allowed), 1 otherwise.
 */
import { MindeeClient } from './client/mindee-client.js';
import { MindeeApiError, MindeeError, describeError } from './client/errors.js';
import { ConfigError, loadRules, type Config } from './config.js';
import { startApi } from './runtime.js';
import { FileAccess } from './files/file-access.js';
import { createRedactor } from './lib/redact.js';
import { clip, stripControl } from './lib/text.js';
import { ENGINES, VERSION } from './version.js';

type Outcome = 'ok' | 'warn' | 'fail' | 'skip';

interface Check {
  outcome: Outcome;
  what: string;
  fix?: string;
}

const MARK: Record<Outcome, string> = { ok: '✓', warn: '!', fail: '✗', skip: '-' };
/** No single check may hold the user longer than this. */
const CHECK_TIMEOUT_MS = 10_000;

export interface DoctorInput {
  /** The settings, or why they could not be read. */
  config: Config | { problem: string };
  env: NodeJS.ProcessEnv;
  write(line: string): void;
  nodeVersion?: string;
}

export async function runDoctor(input: DoctorInput): Promise<number> {
  const redact = createRedactor([input.env.MINDEE_V2_API_KEY]);
  const checks: Check[] = [];
  const report = (check: Check) => {
    checks.push(check);
    input.write(redact(stripControl(`  ${MARK[check.outcome]} ${check.what}${check.fix ? `\n      → ${check.fix}` : ''}`)));
  };
  input.write(`mindee-mcp ${VERSION} doctor`);
  report(nodeCheck(input.nodeVersion ?? process.versions.node));

  if ('problem' in input.config) {
    report({ outcome: 'fail', what: 'Settings: they could not be read.', fix: input.config.problem.replace(/\n+/g, ' ') });
    return 1;
  }
  const config = input.config;
  report({ outcome: 'ok', what: 'Settings: read (environment and flags).' });

  // The API the server would use: with --emulator, one started here as the server would.
  const { apiKey, baseUrl, aliases, close: closeEmulator } = await startApi(config);
  // The rules file may name the emulator's demo models by their aliases, as the server would take them.
  if (config.rulesFile !== undefined) report(await rulesCheck(config.rulesFile, { ...aliases, ...config.modelAliases }));
  if (config.emulator) report({ outcome: 'ok', what: `API key: not needed with --emulator (an emulator inside the server, at ${baseUrl}).` });
  else report(keyCheck(apiKey));

  try {
    const reachable = await reachabilityCheck(baseUrl);
    report(reachable);
    if (reachable.outcome !== 'ok') report({ outcome: 'skip', what: 'Key accepted by the API: not checked, the API could not be reached.' });
    else if (!apiKey) report({ outcome: 'skip', what: 'Key accepted by the API: not checked, no key is set.' });
    else report(await acceptedCheck(apiKey, baseUrl));
  } finally {
    await closeEmulator?.();
  }

  report(directoriesCheck(config));
  const failed = checks.filter((c) => c.outcome === 'fail').length;
  input.write(failed === 0 ? 'Everything needed is in place.' : `${failed} problem${failed === 1 ? '' : 's'} to fix (→ says how).`);
  return failed === 0 ? 0 : 1;
}

function nodeCheck(version: string): Check {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  const need = /(\d+)\.(\d+)/.exec(ENGINES.node);
  const [needMajor, needMinor] = need ? [Number(need[1]), Number(need[2])] : [0, 0];
  const ok = major > needMajor || (major === needMajor && minor >= needMinor);
  return ok
    ? { outcome: 'ok', what: `Node.js ${version} (needs ${ENGINES.node}).` }
    : {
        outcome: 'fail',
        what: `Node.js ${version} is too old: mindee-mcp needs ${ENGINES.node}.`,
        fix: 'Install a current Node.js LTS; hosts that start the server with "npx" use the first node on their PATH.',
      };
}

function keyCheck(apiKey: string | undefined): Check {
  if (!apiKey) {
    return {
      outcome: 'fail',
      what: 'API key: MINDEE_V2_API_KEY is not set.',
      fix: 'Set MINDEE_V2_API_KEY to a Mindee v2 key (md_…) in the "env" of the server in your MCP client configuration, or try the server with --emulator.',
    };
  }
  if (/^bearer\s/i.test(apiKey)) {
    return { outcome: 'fail', what: 'API key: it starts with "Bearer".', fix: 'Set MINDEE_V2_API_KEY to the key alone, without "Bearer ".' };
  }
  if (!apiKey.startsWith('md_') || /\s/.test(apiKey)) {
    return {
      outcome: 'fail',
      what: `API key: it does not look like a Mindee v2 key (md_…, no spaces; ${apiKey.length} characters set).`,
      fix: 'Use a v2 API key from the Mindee platform (v1 keys do not work with the v2 API).',
    };
  }
  return { outcome: 'ok', what: `API key: set, in the v2 format (md_…, ${apiKey.length} characters).` };
}

async function reachabilityCheck(baseUrl: string): Promise<Check> {
  const { request } = await import('undici');
  try {
    // Any HTTP answer, even an error status, proves the origin is there; no key is sent.
    const response = await request(baseUrl, { method: 'GET', headersTimeout: CHECK_TIMEOUT_MS, bodyTimeout: CHECK_TIMEOUT_MS, signal: AbortSignal.timeout(CHECK_TIMEOUT_MS) });
    await response.body.dump();
    return { outcome: 'ok', what: `API reachable at ${baseUrl} (HTTP ${response.statusCode}).` };
  } catch (error) {
    const cause = error instanceof Error ? ((error.cause as { code?: string } | undefined)?.code ?? (error as { code?: string }).code ?? error.message) : String(error);
    return {
      outcome: 'fail',
      what: `API not reachable at ${baseUrl} (${clip(cause, 200)}).`,
      fix: 'Check MINDEE_V2_BASE_URL (default https://api-v2.mindee.net), the network, and any proxy or firewall between this machine and it.',
    };
  }
}

async function acceptedCheck(apiKey: string, baseUrl: string): Promise<Check> {
  const client = new MindeeClient({ apiKey, baseUrl, requestTimeoutMs: CHECK_TIMEOUT_MS, retry: { maxRetries: 0, attemptTimeoutMs: CHECK_TIMEOUT_MS } });
  try {
    const found = await client.searchModels({ perPage: 1 }, { deadline: Date.now() + CHECK_TIMEOUT_MS });
    const count = found.pagination?.total_items ?? found.models.length;
    return { outcome: 'ok', what: `Key accepted by the API: it sees ${count} model${count === 1 ? '' : 's'} (search_models lists them).` };
  } catch (error) {
    if (!(error instanceof MindeeError)) throw error;
    const refused = error instanceof MindeeApiError && (error.status === 401 || error.status === 403);
    return {
      outcome: 'fail',
      what: refused ? `Key refused by the API (HTTP ${error.status}).` : `The API did not answer a model search: ${clip(error.message, 300)}`,
      fix: clip(describeError(error, error.hint).split('\n').slice(1).join(' ') || 'Try again; if it persists, check the base URL points at a Mindee v2 API.', 400),
    };
  } finally {
    await client.close();
  }
}

/** MINDEE_MCP_RULES: read and checked as the server would at start. */
async function rulesCheck(file: string, aliases: Record<string, string>): Promise<Check> {
  try {
    const rules = await loadRules(file, aliases);
    return { outcome: 'ok', what: `Rules: ${file}, for ${rules?.models.join(', ') || 'no model'}.` };
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return {
      outcome: 'fail',
      what: `Rules: ${error.message.replace(/^MINDEE_MCP_RULES: /, '')}`,
      fix: 'Fix what is named, or unset MINDEE_MCP_RULES; the server refuses to start with this file. The README ("Can I trust a result?") shows the format.',
    };
  }
}

function directoriesCheck(config: Config): Check {
  const files = new FileAccess({ allowedDirs: config.allowedDirs, allowHardLinks: config.allowHardLinks });
  const dirs = files.directories();
  if (files.warnings.length > 0) {
    return {
      outcome: 'fail',
      what: `Allowed directories: ${files.warnings.join(' ')}`,
      fix: 'Give existing directories as arguments after the command, or in MINDEE_MCP_ALLOWED_DIRS.',
    };
  }
  if (dirs.length === 0) {
    return {
      outcome: 'warn',
      what: 'Allowed directories: none, so file_path is refused (a client that shares MCP roots adds its own; url still works).',
      fix: 'Add the folders of your documents as arguments after the command, or in MINDEE_MCP_ALLOWED_DIRS.',
    };
  }
  return { outcome: 'ok', what: `Allowed directories: ${dirs.join(', ')}.` };
}
