/**
 * The command line (`mindee-v2-emulator`, and `mindee-mcp emulator`, which delegates here): runs
 * the emulator in the foreground until SIGINT/SIGTERM. The only part of the emulator that writes
 * to stdout, and only its one "listening" line.
 */
import { parseArgs } from 'node:util';
import { isHttpUrl } from './checks.js';
import { DEMO_MODELS } from './models.js';
import { loadModelsFile, ModelsFileError } from './models-file.js';
import { startEmulator } from './server.js';
import type { EmulatorOptions } from './server.js';

export interface EmulatorCliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** Called with the exit code on bad usage or a failed start; default sets process.exitCode. */
  exit: (code: number) => void;
  /** Stops the server like SIGINT does (for tests and embedding). */
  signal?: AbortSignal;
  /** How usage and errors name the command; default "mindee-v2-emulator". */
  command?: string;
}

export function emulatorUsage(command = 'mindee-v2-emulator'): string {
  return `Usage: ${command} [options]

Runs a local emulator of the Mindee v2 API (simulated results, no account, no network).

Options:
  --port N               port to listen on (default 0: any free port)
  --host H               address to listen on (default 127.0.0.1)
  --api-key K            API key clients must send (default md_emulator_local_key)
  --public-base-url U    base URL written into polling_url/result_url (default: the listening URL)
  --processing-ms N      how long each job stays Processing, in ms, or "Infinity" (default 1500)
  --result-ttl-ms N      how long results are kept, in ms (default 43200000 = 12 h)
  --webhook-secret S     HMAC key of webhook X-Signature headers
  --webhook-url U        deliver every model's webhooks to this http(s) URL (e.g. a local receiver)
  --models-file F        the account's models, from JSON (the shape of GET /v2/search/models;
                         see the README), instead of the demo models
  --no-rate-limit        do not enforce Mindee's 200 POST / 1200 GET per minute
  --verbose              log each request to stderr
  -h, --help             show this help

Demo models:
${Object.entries(DEMO_MODELS)
  .map(([name, id]) => `  ${name.padEnd(16)} ${id}`)
  .join('\n')}
`;
}

class UsageError extends Error {}

function parseNumber(flag: string, raw: string | undefined, opts: { integer?: boolean; min?: number; max?: number; infinity?: boolean }): number | undefined {
  if (raw === undefined) return undefined;
  const value = opts.infinity && /^(infinity|inf)$/i.test(raw.trim()) ? Infinity : Number(raw);
  if (raw.trim() === '' || Number.isNaN(value) || (!opts.infinity && !Number.isFinite(value))) {
    throw new UsageError(`--${flag} must be a number, got "${raw}"`);
  }
  if (opts.integer && Number.isFinite(value) && !Number.isInteger(value)) throw new UsageError(`--${flag} must be a whole number, got "${raw}"`);
  if (opts.min !== undefined && value < opts.min) throw new UsageError(`--${flag} must be at least ${opts.min}, got "${raw}"`);
  if (opts.max !== undefined && value > opts.max) throw new UsageError(`--${flag} must be at most ${opts.max}, got "${raw}"`);
  return value;
}

export type ParsedEmulatorArgs = { help: true } | { help: false; options: EmulatorOptions; verbose: boolean; modelsFile?: string };

/** Options from the command line; throws with a message for the user. The models file is read by runEmulatorCli. */
export function parseEmulatorArgs(argv: string[]): ParsedEmulatorArgs {
  const args = argv[0] === 'emulator' ? argv.slice(1) : argv;
  let parsed;
  try {
    parsed = parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        'api-key': { type: 'string' },
        'public-base-url': { type: 'string' },
        'processing-ms': { type: 'string' },
        'result-ttl-ms': { type: 'string' },
        'webhook-secret': { type: 'string' },
        'webhook-url': { type: 'string' },
        'models-file': { type: 'string' },
        'no-rate-limit': { type: 'boolean' },
        verbose: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  const v = parsed.values;
  if (v.help) return { help: true };
  const options: EmulatorOptions = {};
  const port = parseNumber('port', v.port, { integer: true, min: 0, max: 65535 });
  if (port !== undefined) options.port = port;
  if (v.host !== undefined) {
    if (!v.host.trim()) throw new UsageError('--host must not be empty');
    options.host = v.host;
  }
  if (v['api-key'] !== undefined) {
    if (!v['api-key'].trim() || /\s/.test(v['api-key'])) throw new UsageError('--api-key must be a non-empty key without spaces');
    options.apiKey = v['api-key'];
  }
  if (v['public-base-url'] !== undefined) options.publicBaseUrl = httpUrl('public-base-url', v['public-base-url']);
  if (v['webhook-url'] !== undefined) options.webhookUrl = httpUrl('webhook-url', v['webhook-url']);
  const processing = parseNumber('processing-ms', v['processing-ms'], { min: 0, infinity: true });
  if (processing !== undefined) options.processingMs = processing;
  const ttl = parseNumber('result-ttl-ms', v['result-ttl-ms'], { min: 1 });
  if (ttl !== undefined) options.resultTtlMs = ttl;
  if (v['webhook-secret'] !== undefined) options.webhookSecret = v['webhook-secret'];
  if (v['no-rate-limit']) options.rateLimits = false;
  const modelsFile = v['models-file'];
  if (modelsFile !== undefined && !modelsFile.trim()) throw new UsageError('--models-file must name a file');
  return { help: false, options, verbose: v.verbose === true, ...(modelsFile === undefined ? {} : { modelsFile }) };
}

function httpUrl(flag: string, raw: string): string {
  if (!isHttpUrl(raw)) throw new UsageError(`--${flag} must be an http(s) URL, got "${raw}"`);
  return raw;
}

export async function runEmulatorCli(argv: string[], io: Partial<EmulatorCliIo> = {}): Promise<void> {
  const command = io.command ?? 'mindee-v2-emulator';
  const stdout = io.stdout ?? ((t: string) => process.stdout.write(t));
  const stderr = io.stderr ?? ((t: string) => process.stderr.write(t));
  const exit =
    io.exit ??
    ((code: number) => {
      process.exitCode = code;
    });
  let parsed: ParsedEmulatorArgs;
  try {
    parsed = parseEmulatorArgs(argv);
  } catch (err) {
    stderr(`${command}: ${err instanceof Error ? err.message : String(err)}\nRun "${command} --help" for usage.\n`);
    exit(2);
    return;
  }
  if (parsed.help) {
    stdout(emulatorUsage(command));
    return;
  }
  const options = parsed.options;
  if (parsed.modelsFile !== undefined) {
    try {
      options.models = await loadModelsFile(parsed.modelsFile);
    } catch (err) {
      if (!(err instanceof ModelsFileError)) throw err;
      stderr(`${command}: ${err.message}\n`);
      exit(2);
      return;
    }
  }
  if (parsed.verbose) options.log = (line) => stderr(`${line}\n`);
  let emulator;
  try {
    emulator = await startEmulator(options);
  } catch (err) {
    stderr(`${command}: could not start: ${err instanceof Error ? err.message : String(err)}\n`);
    exit(1);
    return;
  }
  stdout(`Mindee v2 emulator listening on ${emulator.url} (API key: ${emulator.apiKey})\n`);
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      io.signal?.removeEventListener('abort', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    if (io.signal?.aborted) stop();
    else io.signal?.addEventListener('abort', stop);
  });
  await emulator.close();
}
