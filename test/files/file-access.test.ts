import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, realpath, rm, stat, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MindeeInputError } from '../../src/client/errors.js';
import { makePdf } from 'mindee-v2-emulator/samples';
import { FileAccess } from '../../src/files/index.js';

let tmp: string;
let docs: string;
let docs2: string;
let outside: string;

beforeEach(async () => {
  // realpath: on some systems the temp dir itself is reached through a link (/var → /private/var).
  tmp = await realpath(await mkdtemp(path.join(os.tmpdir(), 'mindee-files-')));
  docs = path.join(tmp, 'docs');
  docs2 = path.join(tmp, 'docs2');
  outside = path.join(tmp, 'outside');
  for (const dir of [docs, docs2, outside]) await mkdir(dir);
  await writeFile(path.join(docs, 'invoice.pdf'), makePdf({ pages: [['invoice']] }));
  await writeFile(path.join(docs2, 'other.pdf'), makePdf({ pages: [['other']] }));
  await writeFile(path.join(outside, 'secret.pdf'), makePdf({ pages: [['secret']] }));
});

afterEach(async () => {
  await rm(tmp, { recursive: true, force: true });
});

/** The MindeeInputError `promise` rejects with (fails the test if it resolves or throws something else). */
async function refusal(promise: Promise<unknown>): Promise<MindeeInputError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(MindeeInputError);
    return err as MindeeInputError;
  }
  throw new Error('expected a refusal, but the path was accepted');
}

describe('FileAccess.resolve: accepted paths', () => {
  it('resolves an absolute path inside an allowed directory to its real path and size', async () => {
    const access = new FileAccess({ allowedDirs: [docs] });
    const file = path.join(docs, 'invoice.pdf');
    const resolved = await access.resolve(file);
    const { dev, ino } = await stat(file);
    expect(resolved).toEqual({ path: file, displayPath: file, size: makePdf({ pages: [['invoice']] }).length, identity: { dev, ino, links: 1 } });
  });

  it('accepts a path that goes through ".." but stays inside, and trims stray whitespace', async () => {
    const access = new FileAccess({ allowedDirs: [docs] });
    await mkdir(path.join(docs, 'sub'));
    const resolved = await access.resolve(`  ${docs}/sub/../invoice.pdf\n`);
    expect(resolved.path).toBe(path.join(docs, 'invoice.pdf'));
  });

  it('resolves relative paths against each allowed directory in order, first match wins', async () => {
    await writeFile(path.join(docs, 'same.pdf'), 'from docs');
    await writeFile(path.join(docs2, 'same.pdf'), 'from docs2');
    const access = new FileAccess({ allowedDirs: [docs, docs2] });
    expect((await access.resolve('same.pdf')).path).toBe(path.join(docs, 'same.pdf'));
    expect((await access.resolve('other.pdf')).path).toBe(path.join(docs2, 'other.pdf'));
    await mkdir(path.join(docs2, 'sub'));
    await writeFile(path.join(docs2, 'sub', 'deep.pdf'), 'x');
    expect((await access.resolve('sub/deep.pdf')).path).toBe(path.join(docs2, 'sub', 'deep.pdf'));
  });

  it('never resolves a relative path against the process working directory', async () => {
    const cwdDir = path.join(tmp, 'cwd');
    await mkdir(cwdDir);
    await writeFile(path.join(cwdDir, 'cwd-only.pdf'), 'x');
    const access = new FileAccess({ allowedDirs: [docs] });
    const before = process.cwd();
    process.chdir(cwdDir);
    try {
      const err = await refusal(access.resolve('cwd-only.pdf'));
      expect(err.message).toBe(`File not found: no file "cwd-only.pdf" in any allowed directory (${docs}).`);
    } finally {
      process.chdir(before);
    }
  });

  it('expands ~ and ~/ with the home directory', async () => {
    const access = new FileAccess({ allowedDirs: [docs], homeDir: docs });
    expect((await access.resolve('~/invoice.pdf')).path).toBe(path.join(docs, 'invoice.pdf'));
    const err = await refusal(access.resolve('~'));
    expect(err.message).toBe(`${docs} is a directory, not a file.`);
    const user = await refusal(access.resolve('~alice/invoice.pdf'));
    expect(user.message).toBe('"~alice/invoice.pdf" uses the ~user form, which this server does not expand.');
  });

  it('expands ~ in configured directories too', async () => {
    const access = new FileAccess({ allowedDirs: ['~/docs'], homeDir: tmp });
    expect(access.directories()).toEqual([docs]);
  });

  it('accepts file:// URIs: percent-encoded, with spaces, with a localhost host', async () => {
    const spaced = path.join(docs, 'my invoice é.pdf');
    await writeFile(spaced, 'x');
    const access = new FileAccess({ allowedDirs: [docs] });
    const uri = pathToFileURL(spaced).href;
    expect(uri).toContain('my%20invoice%20%C3%A9.pdf');
    expect((await access.resolve(uri)).path).toBe(spaced);
    expect((await access.resolve(`file://localhost${pathToFileURL(spaced).pathname}`)).path).toBe(spaced);
  });

  it('follows a symbolic link that stays inside the allowed directories and returns the real path', async () => {
    await symlink(path.join(docs, 'invoice.pdf'), path.join(docs, 'alias.pdf'));
    await symlink(path.join(docs2, 'other.pdf'), path.join(docs, 'to-docs2.pdf'));
    const access = new FileAccess({ allowedDirs: [docs, docs2] });
    expect(await access.resolve(path.join(docs, 'alias.pdf'))).toMatchObject({
      path: path.join(docs, 'invoice.pdf'),
      displayPath: path.join(docs, 'alias.pdf'),
    });
    expect((await access.resolve('to-docs2.pdf')).path).toBe(path.join(docs2, 'other.pdf'));
  });

  it('accepts paths spelled through a configured directory that is itself a link', async () => {
    const link = path.join(tmp, 'docs-link');
    await symlink(docs, link);
    const access = new FileAccess({ allowedDirs: [link] });
    expect(access.directories()).toEqual([docs]);
    expect(await access.resolve(path.join(link, 'invoice.pdf'))).toEqual({
      path: path.join(docs, 'invoice.pdf'),
      displayPath: path.join(link, 'invoice.pdf'),
      size: expect.any(Number),
      identity: expect.any(Object),
    });
    expect((await access.resolve(path.join(docs, 'invoice.pdf'))).path).toBe(path.join(docs, 'invoice.pdf'));
  });
});

describe('FileAccess.resolve: refusals', () => {
  it('refuses ".." traversal out of the allowed directories, absolute or relative', async () => {
    const access = new FileAccess({ allowedDirs: [docs] });
    const relative = await refusal(access.resolve('../outside/secret.pdf'));
    expect(relative.message).toBe(
      `../outside/secret.pdf uses ".." to leave the allowed directories (it resolves to ${path.join(outside, 'secret.pdf')}); this server may read only files inside ${docs}.`,
    );
    expect(relative.hint).toBe(
      'Pass a path inside one of those directories; to allow another directory, start the server with the directory as an argument (`mindee-mcp /path/to/docs`) or add it to MINDEE_MCP_ALLOWED_DIRS.',
    );
    const absolute = await refusal(access.resolve(`${docs}/../outside/secret.pdf`));
    expect(absolute.message).toMatch(/uses "\.\." to leave the allowed directories/);
    const deep = await refusal(access.resolve('../../../../../../etc/passwd'));
    expect(deep.message).toMatch(/uses "\.\." to leave the allowed directories \(it resolves to \/etc\/passwd\)/);
  });

  it('refuses a sibling directory that shares the allowed directory’s name as a prefix', async () => {
    const access = new FileAccess({ allowedDirs: [docs] });
    const err = await refusal(access.resolve(path.join(docs2, 'other.pdf')));
    expect(err.message).toBe(`${path.join(docs2, 'other.pdf')} is outside the directories this server may read (${docs}).`);
  });

  it('refuses a file outside every allowed directory and root, saying how to allow it', async () => {
    const access = new FileAccess({ allowedDirs: [docs] });
    await access.setRoots([{ uri: pathToFileURL(docs2).href }]);
    const err = await refusal(access.resolve(path.join(outside, 'secret.pdf')));
    expect(err.message).toBe(`${path.join(outside, 'secret.pdf')} is outside the directories this server may read (${docs}, ${docs2}).`);
    expect(err.hint).toBe(
      'Copy the file into one of them, or start the server with the directory as an argument (`mindee-mcp /path/to/docs`) or add it to MINDEE_MCP_ALLOWED_DIRS.',
    );
  });

  it('refuses a file symbolic link that points outside, naming the link', async () => {
    const link = path.join(docs, 'escape.pdf');
    await symlink(path.join(outside, 'secret.pdf'), link);
    const access = new FileAccess({ allowedDirs: [docs] });
    for (const input of [link, 'escape.pdf']) {
      const err = await refusal(access.resolve(input));
      expect(err.message).toBe(
        `${link} is a symbolic link pointing to ${path.join(outside, 'secret.pdf')}, which is outside the allowed directories (${docs}): links may not lead out of them.`,
      );
      expect(err.hint).toMatch(/MINDEE_MCP_ALLOWED_DIRS/);
    }
  });

  it('refuses a file reached through a directory symbolic link that points outside', async () => {
    const linkDir = path.join(docs, 'shared');
    await symlink(outside, linkDir);
    const access = new FileAccess({ allowedDirs: [docs] });
    const err = await refusal(access.resolve('shared/secret.pdf'));
    expect(err.message).toBe(
      `${path.join(linkDir, 'secret.pdf')} is reached through the symbolic link ${linkDir}, and really is ${path.join(outside, 'secret.pdf')}, which is outside the allowed directories (${docs}): links may not lead out of them.`,
    );
  });

  it('refuses a dangling symbolic link', async () => {
    await symlink(path.join(docs, 'gone.pdf'), path.join(docs, 'dangling.pdf'));
    const access = new FileAccess({ allowedDirs: [docs] });
    const err = await refusal(access.resolve('dangling.pdf'));
    expect(err.message).toBe(`${path.join(docs, 'dangling.pdf')} is a symbolic link whose target does not exist.`);
  });

  it('refuses host sandbox paths that do not exist here, explaining where the file lives', async () => {
    const access = new FileAccess({ allowedDirs: [docs] });
    for (const input of ['/mnt/user-data/uploads/invoice.pdf', '/mnt/data/receipt.png', '/home/claude/scan.pdf', 'file:///mnt/user-data/uploads/a%20b.pdf']) {
      const err = await refusal(access.resolve(input));
      expect(err.message).toMatch(
        /is a path inside the AI client's own sandbox: the file lives on the client's side, not on the machine where the Mindee MCP server runs, so the server cannot open it\.$/,
      );
      expect(err.hint).toBe(`Save the file into a folder the server can read (${docs}) and pass that path.`);
    }
    // Said even when no directory is allowed: the file is not on this machine in any case.
    const closed = await refusal(new FileAccess({ allowedDirs: [] }).resolve('/mnt/user-data/uploads/invoice.pdf'));
    expect(closed.message).toMatch(/is a path inside the AI client's own sandbox/);
    expect(closed.hint).toBe(
      'Save the file into a folder the server can read (none is allowed yet: start the server with the directory as an argument (`mindee-mcp /path/to/docs`) or add it to MINDEE_MCP_ALLOWED_DIRS) and pass that path.',
    );
  });

  it('refuses a NUL byte, in a path or a file:// URI', async () => {
    const access = new FileAccess({ allowedDirs: [docs] });
    for (const input of [`${docs}/invoice.pdf\0.txt`, `file://${docs}/invoice.pdf%00.txt`]) {
      const err = await refusal(access.resolve(input));
      expect(err.message).toBe('The file path contains a NUL byte, which no real file name has.');
    }
  });

  it('refuses empty input', async () => {
    const access = new FileAccess({ allowedDirs: [docs] });
    for (const input of ['', '   \n']) {
      const err = await refusal(access.resolve(input));
      expect(err.message).toBe('No file path was given (the path is empty).');
    }
  });

  it('refuses a directory', async () => {
    const access = new FileAccess({ allowedDirs: [docs] });
    await mkdir(path.join(docs, 'sub'));
    const err = await refusal(access.resolve(path.join(docs, 'sub')));
    expect(err.message).toBe(`${path.join(docs, 'sub')} is a directory, not a file.`);
    expect(err.hint).toBe('Pass the path of one document inside it (a PDF or an image).');
    expect((await refusal(access.resolve(docs))).message).toBe(`${docs} is a directory, not a file.`);
  });

  it.skipIf(process.platform === 'win32')('refuses a FIFO and a device: only regular files are read', async () => {
    const fifo = path.join(docs, 'pipe.pdf');
    execFileSync('mkfifo', [fifo]);
    const access = new FileAccess({ allowedDirs: [docs] });
    const err = await refusal(access.resolve(fifo));
    expect(err.message).toBe(`${fifo} is a named pipe (FIFO), not a regular file: only regular files are uploaded.`);
    await symlink('/dev/zero', path.join(docs, 'zero.pdf'));
    const dev = new FileAccess({ allowedDirs: [docs, '/dev'] });
    expect((await refusal(dev.resolve('zero.pdf'))).message).toBe(
      `${path.join(docs, 'zero.pdf')} is a character device, not a regular file: only regular files are uploaded.`,
    );
  });

  it('refuses a missing file, listing the allowed directories', async () => {
    const access = new FileAccess({ allowedDirs: [docs, docs2] });
    const err = await refusal(access.resolve(path.join(docs, 'nope.pdf')));
    expect(err.message).toBe(`File not found: ${path.join(docs, 'nope.pdf')}. Allowed directories: ${docs}, ${docs2}.`);
    const rel = await refusal(access.resolve('nope.pdf'));
    expect(rel.message).toBe(`File not found: no file "nope.pdf" in any allowed directory (${docs}, ${docs2}).`);
  });

  it('fails closed when no directory is allowed, naming the settings', async () => {
    const access = new FileAccess({ allowedDirs: [] });
    const err = await refusal(access.resolve(path.join(docs, 'invoice.pdf')));
    expect(err.message).toBe('Reading local files is turned off: no allowed directory is set, and the MCP client shared no roots.');
    expect(err.hint).toBe(
      'To upload local files, start the server with the directory as an argument (`mindee-mcp /path/to/docs`) or add it to MINDEE_MCP_ALLOWED_DIRS (several directories separated by ":").',
    );
    expect(access.directories()).toEqual([]);
  });

  it('keeps a configured directory that does not exist out, as a warning, and fails closed', async () => {
    const missing = path.join(tmp, 'missing');
    const file = path.join(docs, 'invoice.pdf');
    const access = new FileAccess({ allowedDirs: [missing, file] });
    expect(access.warnings).toEqual([`Allowed directory ${missing} does not exist: ignored.`, `Allowed directory ${file} is not a directory: ignored.`]);
    expect(access.directories()).toEqual([]);
    const err = await refusal(access.resolve(file));
    expect(err.message).toBe(
      `Reading local files is turned off: no allowed directory is set (configured but unusable: ${missing}, ${file} — see the server's log), and the MCP client shared no roots.`,
    );
  });

  it('refuses URLs and Windows paths given as a path, pointing to the right argument', async () => {
    const access = new FileAccess({ allowedDirs: [docs] });
    const https = await refusal(access.resolve('https://example.com/invoice.pdf'));
    expect(https.message).toBe('"https://example.com/invoice.pdf" is a https:// URL, not a local file path.');
    expect(https.hint).toBe('Send it as a URL instead of a file path: Mindee fetches https URLs itself.');
    expect(https.code).toBe('path_is_url');
    if (process.platform !== 'win32') {
      const win = await refusal(access.resolve('C:\\Users\\me\\invoice.pdf'));
      expect(win.message).toMatch(/^"C:\\Users\\me\\invoice\.pdf" is a Windows path, but this MCP server runs on /);
    }
  });
});

describe('FileAccess roots', () => {
  it('adds MCP roots (file:// URIs, percent-encoded, with spaces) and replaces them on each update', async () => {
    const spaced = path.join(tmp, 'My Scans é');
    await mkdir(spaced);
    await writeFile(path.join(spaced, 'scan.pdf'), 'x');
    const access = new FileAccess({ allowedDirs: [docs] });

    await access.setRoots([{ uri: pathToFileURL(spaced).href, name: 'scans' }]);
    expect(pathToFileURL(spaced).href).toContain('My%20Scans%20%C3%A9');
    expect(access.directories()).toEqual([docs, spaced]);
    expect((await access.resolve(path.join(spaced, 'scan.pdf'))).path).toBe(path.join(spaced, 'scan.pdf'));
    expect((await access.resolve('scan.pdf')).path).toBe(path.join(spaced, 'scan.pdf'));

    await access.setRoots([{ uri: pathToFileURL(docs2).href }]);
    expect(access.directories()).toEqual([docs, docs2]);
    const err = await refusal(access.resolve(path.join(spaced, 'scan.pdf')));
    expect(err.message).toBe(`${path.join(spaced, 'scan.pdf')} is outside the directories this server may read (${docs}, ${docs2}).`);
    // Configured directories stay whatever the roots.
    await access.setRoots([]);
    expect((await access.resolve('invoice.pdf')).path).toBe(path.join(docs, 'invoice.pdf'));
  });

  it('reports roots it cannot use as warnings, and deduplicates roots already configured', async () => {
    const access = new FileAccess({ allowedDirs: [docs] });
    await access.setRoots([
      { uri: 'https://example.com/docs', name: 'web' },
      { uri: pathToFileURL(path.join(tmp, 'missing')).href },
      { uri: pathToFileURL(path.join(docs, 'invoice.pdf')).href },
      { uri: pathToFileURL(docs).href },
    ]);
    expect(access.directories()).toEqual([docs]);
    expect(access.warnings).toEqual([
      'MCP root "web" (https://example.com/docs) is not a file:// URI: ignored.',
      `MCP root ${pathToFileURL(path.join(tmp, 'missing')).href} does not exist: ignored.`,
      `MCP root ${pathToFileURL(path.join(docs, 'invoice.pdf')).href} is not a directory: ignored.`,
    ]);
    await access.setRoots([]);
    expect(access.warnings).toEqual([]);
  });

  it('lets roots alone open the door when nothing is configured', async () => {
    const access = new FileAccess({ allowedDirs: [] });
    await access.setRoots([{ uri: pathToFileURL(docs2).href }]);
    expect((await access.resolve('other.pdf')).path).toBe(path.join(docs2, 'other.pdf'));
    await access.setRoots([]);
    expect((await refusal(access.resolve('other.pdf'))).message).toMatch(/^Reading local files is turned off/);
  });

  it('keeps the roots of the latest update when updates overlap', async () => {
    const access = new FileAccess({ allowedDirs: [] });
    const first = access.setRoots([{ uri: pathToFileURL(docs).href }]);
    const second = access.setRoots([{ uri: pathToFileURL(docs2).href }]);
    await Promise.all([first, second]);
    expect(access.directories()).toEqual([docs2]);
  });
});
