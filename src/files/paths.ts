/**
 * Pure, platform-parameterised path helpers for FileAccess. Nothing here touches the disk, so
 * the Windows rules can be tested on Linux by passing `path.win32`.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { MindeeInputError } from '../client/errors.js';

export type PathApi = typeof path.posix;

/** How an agent's input reads once `~` and `file://` are dealt with. */
export interface LocalPath {
  /** Absolute (normalised) or relative to each allowed directory. */
  path: string;
  absolute: boolean;
}

/**
 * True when `child` is `dir` itself or lies under it, segment-wise: `/docs2` is not inside
 * `/docs`. On Windows `path.win32.relative` already compares case-insensitively and across drives.
 */
export function isWithin(dir: string, child: string, p: PathApi = path): boolean {
  const rel = p.relative(dir, child);
  if (rel === '') return true;
  if (p.isAbsolute(rel)) return false; // another drive
  return rel !== '..' && !rel.startsWith(`..${p.sep}`);
}

/** True when a relative or absolute path has a `..` segment. */
export function hasDotDotSegment(input: string): boolean {
  return input.split(/[\\/]+/).includes('..');
}

/**
 * Paths inside the AI client's own sandbox (Claude's, ChatGPT's…): the model sees them, the
 * machine running this server usually does not have them.
 */
const SANDBOX_PREFIXES = ['/mnt/user-data', '/mnt/data', '/mnt/outputs', '/mnt/skills', '/mnt/transcripts', '/home/claude', '/home/oai', '/home/sandbox', '/tmp/outputs'];

export function isSandboxLikePath(input: string): boolean {
  const s = input.replace(/\\/g, '/');
  return SANDBOX_PREFIXES.some((prefix) => s === prefix || s.startsWith(`${prefix}/`));
}

const WINDOWS_DRIVE = /^[A-Za-z]:[\\/]/;

export interface ToLocalPathOptions {
  homeDir: string;
  /** Path flavour; defaults to the running platform's. */
  pathApi?: PathApi;
}

/**
 * Turns what an agent typed into a local path: `file://` URIs (percent-decoded, `localhost`
 * hosts, drive letters and UNC hosts with `fileURLToPath` semantics for the platform), `~` and
 * `~/…`. Throws MindeeInputError for inputs that can never name a local file. Does not resolve
 * relative paths: the caller looks them up in each allowed directory.
 */
export function toLocalPath(input: string, options: ToLocalPathOptions): LocalPath {
  const p = options.pathApi ?? path;
  const windows = p.sep === '\\';
  let s = input;
  if (/^file:/i.test(s)) {
    try {
      s = fileURLToPath(s, { windows });
    } catch (err) {
      throw new MindeeInputError(`"${input}" is not a usable file:// URI: ${(err as Error).message}.`, {
        hint: 'Give a plain absolute path (e.g. /home/me/docs/invoice.pdf) or a file:// URI such as file:///home/me/docs/invoice.pdf.',
        cause: err,
      });
    }
    if (s.includes('\0')) throw nulByteError();
  } else if (/^[a-z][a-z0-9+.-]+:\/\//i.test(s)) {
    const scheme = s.slice(0, s.indexOf(':')).toLowerCase();
    throw new MindeeInputError(`"${truncate(input)}" is a ${scheme}:// URL, not a local file path.`, {
      code: 'path_is_url',
      hint:
        scheme === 'https'
          ? 'Send it as a URL instead of a file path: Mindee fetches https URLs itself.'
          : 'Mindee only fetches public https URLs: give a https URL, or download the file into an allowed directory and pass its path.',
    });
  }
  if (s === '~' || s.startsWith('~/') || (windows && s.startsWith('~\\'))) {
    s = p.join(options.homeDir, s.slice(1));
  } else if (/^~[^\\/]+[\\/]/.test(s)) {
    throw new MindeeInputError(`"${truncate(input)}" uses the ~user form, which this server does not expand.`, {
      hint: 'Give the full absolute path of the file instead.',
    });
  }
  if (!windows && WINDOWS_DRIVE.test(s)) {
    throw new MindeeInputError(`"${truncate(input)}" is a Windows path, but this MCP server runs on ${platformName()}.`, {
      hint: 'Give the path of the file as the machine running the server sees it (e.g. /home/me/docs/invoice.pdf), or a public https URL of it instead.',
    });
  }
  if (windows) {
    // "C:foo" and "\foo" are resolved against the process's current drive and directory: refuse
    // rather than depend on the cwd.
    if (/^[A-Za-z]:(?![\\/])/.test(s)) {
      throw new MindeeInputError(`"${truncate(input)}" is relative to the current directory of drive ${s.slice(0, 2)}, which this server does not use.`, {
        hint: `Give the full path, e.g. ${s.slice(0, 2)}\\Users\\me\\Documents\\invoice.pdf.`,
      });
    }
    if (/^[\\/](?![\\/])/.test(s) && !isSandboxLikePath(s)) {
      throw new MindeeInputError(`"${truncate(input)}" has no drive letter, so it depends on the server's current drive.`, {
        hint: 'Give the full path with its drive letter, e.g. C:\\Users\\me\\Documents\\invoice.pdf.',
      });
    }
  }
  if (p.isAbsolute(s)) return { path: p.normalize(s), absolute: true };
  return { path: s, absolute: false };
}

/** Expands `~` and file:// URIs in a configured directory and makes it absolute (against the cwd: it is the operator's setting, not an agent's input). */
export function configuredDirToPath(dir: string, homeDir: string, p: PathApi = path): string {
  let s = dir.trim();
  if (/^file:/i.test(s)) s = fileURLToPath(s, { windows: p.sep === '\\' });
  if (s === '~' || s.startsWith('~/') || s.startsWith('~\\')) s = p.join(homeDir, s.slice(1));
  return p.resolve(s);
}

function platformName(): string {
  return ({ linux: 'Linux', darwin: 'macOS', win32: 'Windows' } as Record<string, string>)[process.platform] ?? process.platform;
}

export function nulByteError(): MindeeInputError {
  return new MindeeInputError('The file path contains a NUL byte, which no real file name has.', {
    hint: 'Pass the exact path of the file, without control characters.',
  });
}

export function truncate(s: string, max = 300): string {
  return s.length > max ? `${s.slice(0, max)}…` : s;
}
