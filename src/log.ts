/**
 * Logging for a stdio server: stdout carries JSON-RPC only, so every line goes to stderr,
 * and every line passes through the redactor so the API key never reaches a log.
 */
import { stripControl } from './text.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string, error?: unknown): void;
}

export function createLogger(options: {
  level?: LogLevel;
  redact?: (text: string) => string;
  write?: (line: string) => void;
} = {}): Logger {
  const min = ORDER[options.level ?? 'info'];
  const redact = options.redact ?? ((s: string) => s);
  const write = options.write ?? ((line: string) => process.stderr.write(`${line}\n`));
  const emit = (level: LogLevel, message: string) => {
    if (ORDER[level] >= min) write(stripControl(redact(`[mindee-mcp] ${level}: ${message}`)));
  };
  return {
    debug: (m) => emit('debug', m),
    info: (m) => emit('info', m),
    warn: (m) => emit('warn', m),
    error: (m, error) => {
      const detail = error instanceof Error ? `\n${error.stack ?? error.message}` : error === undefined ? '' : `\n${String(error)}`;
      emit('error', `${m}${detail}`);
    },
  };
}
