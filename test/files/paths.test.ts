import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { MindeeInputError } from '../../src/client/errors.js';
import { hasDotDotSegment, isSandboxLikePath, isWithin, toLocalPath } from '../../src/files/paths.js';

describe('isWithin', () => {
  it('is path-boundary aware on POSIX', () => {
    const p = path.posix;
    expect(isWithin('/docs', '/docs', p)).toBe(true);
    expect(isWithin('/docs', '/docs/a.pdf', p)).toBe(true);
    expect(isWithin('/docs', '/docs/..hidden.pdf', p)).toBe(true);
    expect(isWithin('/docs', '/docs2/a.pdf', p)).toBe(false);
    expect(isWithin('/docs', '/doc', p)).toBe(false);
    expect(isWithin('/docs', '/', p)).toBe(false);
    expect(isWithin('/', '/etc/passwd', p)).toBe(true);
  });

  it('is path-boundary aware, case-insensitive and drive-aware on Windows', () => {
    const w = path.win32;
    expect(isWithin('C:\\Docs', 'c:\\docs\\a.pdf', w)).toBe(true);
    expect(isWithin('C:\\Docs', 'C:\\Docs2\\a.pdf', w)).toBe(false);
    expect(isWithin('C:\\Docs', 'D:\\Docs\\a.pdf', w)).toBe(false);
    expect(isWithin('\\\\nas\\share', '\\\\nas\\share\\scans\\a.pdf', w)).toBe(true);
    expect(isWithin('\\\\nas\\share', '\\\\nas\\other\\a.pdf', w)).toBe(false);
  });
});

describe('toLocalPath', () => {
  const posix = { homeDir: '/home/me', pathApi: path.posix };
  const win = { homeDir: 'C:\\Users\\me', pathApi: path.win32 };

  it('expands ~ and decodes file:// URIs on POSIX', () => {
    expect(toLocalPath('~', posix)).toEqual({ path: '/home/me', absolute: true });
    expect(toLocalPath('~/docs/a.pdf', posix)).toEqual({ path: '/home/me/docs/a.pdf', absolute: true });
    expect(toLocalPath('file:///home/me/My%20Docs/caf%C3%A9.pdf', posix)).toEqual({ path: '/home/me/My Docs/café.pdf', absolute: true });
    expect(toLocalPath('file://localhost/srv/a.pdf', posix)).toEqual({ path: '/srv/a.pdf', absolute: true });
    expect(toLocalPath('/srv/x/../a.pdf', posix)).toEqual({ path: '/srv/a.pdf', absolute: true });
    expect(toLocalPath('sub/a.pdf', posix)).toEqual({ path: 'sub/a.pdf', absolute: false });
    // A file whose name merely starts with ~ is a relative name, not a home directory.
    expect(toLocalPath('~draft.pdf', posix)).toEqual({ path: '~draft.pdf', absolute: false });
  });

  it('handles drive letters, UNC hosts and ~\\ on Windows with fileURLToPath semantics', () => {
    expect(toLocalPath('file:///C:/My%20Docs/a.pdf', win)).toEqual({ path: 'C:\\My Docs\\a.pdf', absolute: true });
    expect(toLocalPath('file://nas/share/a.pdf', win)).toEqual({ path: '\\\\nas\\share\\a.pdf', absolute: true });
    expect(toLocalPath('~\\Documents\\a.pdf', win)).toEqual({ path: 'C:\\Users\\me\\Documents\\a.pdf', absolute: true });
    expect(toLocalPath('C:/Users/me/a.pdf', win)).toEqual({ path: 'C:\\Users\\me\\a.pdf', absolute: true });
    expect(toLocalPath('scans\\a.pdf', win)).toEqual({ path: 'scans\\a.pdf', absolute: false });
  });

  it('refuses Windows paths that depend on the current drive or directory', () => {
    expect(() => toLocalPath('C:a.pdf', win)).toThrow('"C:a.pdf" is relative to the current directory of drive C:, which this server does not use.');
    expect(() => toLocalPath('\\a.pdf', win)).toThrow('"\\a.pdf" has no drive letter, so it depends on the server\'s current drive.');
  });

  it('refuses file:// URIs that cannot name a local file', () => {
    expect(() => toLocalPath('file://nas/share/a.pdf', posix)).toThrow(MindeeInputError);
    expect(() => toLocalPath('file:///a%2Fb.pdf', posix)).toThrow(/is not a usable file:\/\/ URI: File URL path must not include encoded \/ characters/);
    expect(() => toLocalPath('s3://bucket/a.pdf', posix)).toThrow('"s3://bucket/a.pdf" is a s3:// URL, not a local file path.');
  });

  it('refuses Windows paths on POSIX', () => {
    expect(() => toLocalPath('D:\\scans\\a.pdf', posix)).toThrow(/is a Windows path, but this MCP server runs on/);
  });
});

describe('sandbox and traversal detection', () => {
  it('recognises AI-client sandbox paths by prefix only', () => {
    expect(isSandboxLikePath('/mnt/user-data/uploads/a.pdf')).toBe(true);
    expect(isSandboxLikePath('/mnt/data/a.pdf')).toBe(true);
    expect(isSandboxLikePath('/home/claude/a.pdf')).toBe(true);
    expect(isSandboxLikePath('/mnt/database/a.pdf')).toBe(false);
    expect(isSandboxLikePath('/home/claudette/a.pdf')).toBe(false);
  });

  it('finds .. segments with either separator', () => {
    expect(hasDotDotSegment('../a.pdf')).toBe(true);
    expect(hasDotDotSegment('a\\..\\b.pdf')).toBe(true);
    expect(hasDotDotSegment('..a.pdf')).toBe(false);
  });
});
