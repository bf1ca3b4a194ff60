/**
 * Logging: stdout carries JSON-RPC only in stdio mode, so every line goes to stderr, and every
 * line passes through the redactor so no key or token ever reaches a log. `json` writes one JSON
 * object per line (for a remote server's log collector); `text` one readable line.
 */
import { errorMessage, stripControl } from './lib/text.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
type LogFormat = 'text' | 'json';
const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Values of a structured entry: plain, so a line never carries an object from outside. */
type LogFields = Record<string, string | number | boolean | null | undefined>;

export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string, error?: unknown): void;
  /** One entry with fields (a request: method, tool, principal, status, duration). */
  record(level: LogLevel, message: string, fields: LogFields): void;
}

export interface LoggerOptions {
  level?: LogLevel;
  format?: LogFormat;
  redact?: (text: string) => string;
  write?: (line: string) => void;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const min = ORDER[options.level ?? 'info'];
  const redact = options.redact ?? ((s: string) => s);
  const write = options.write ?? ((line: string) => process.stderr.write(`${line}\n`));
  const json = options.format === 'json';
  const emit = (level: LogLevel, message: string, fields?: LogFields) => {
    if (ORDER[level] < min) return;
    if (json) {
      const clean = fields && Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, typeof v === 'string' ? stripControl(v) : v]));
      write(redact(JSON.stringify({ time: new Date().toISOString(), level, msg: stripControl(message), ...clean })));
      return;
    }
    const extra = fields
      ? Object.entries(fields)
          .filter(([, v]) => v !== undefined)
          .map(([k, v]) => ` ${k}=${typeof v === 'string' && /[\s"=]/.test(v) ? JSON.stringify(v) : String(v)}`)
          .join('')
      : '';
    write(redact(stripControl(`[mindee-mcp] ${level}: ${message}${extra}`)));
  };
  return {
    debug: (m) => emit('debug', m),
    info: (m) => emit('info', m),
    warn: (m) => emit('warn', m),
    error: (m, error) => {
      const detail = error instanceof Error ? `\n${error.stack ?? error.message}` : error === undefined ? '' : `\n${errorMessage(error)}`;
      emit('error', `${m}${detail}`);
    },
    record: (level, message, fields) => emit(level, message, fields),
  };
}
