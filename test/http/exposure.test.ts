/**
 * Issue 16, weak points: what a remote server tells those who reach it. /metrics (how busy the
 * server is, how calls end) is served to holders of MINDEE_MCP_METRICS_TOKEN, or by a server
 * listening on loopback only; and no error names a directory of the server's disk. Each case
 * failed before its fix: /metrics answered anyone, and a path outside the allowed directories
 * was answered with the list of them.
 */
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeSampleInvoicePdf } from 'mindee-v2-emulator/samples';
import { afterEach, describe, expect, it } from 'vitest';
import { textOf } from '../helpers/harness.js';
import { callTool, startHttpHarness, tempDir, type HttpHarness } from '../helpers/http-harness.js';
import { addSecret } from '../setup/secrets.js';

const TOKEN = 'tok_exposure_0a1b2c3d4e5f6a7b8c9d';
const METRICS_TOKEN = 'metrics_9f8e7d6c5b4a39281706';
addSecret(TOKEN);
addSecret(METRICS_TOKEN);

const cleanup: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const close of cleanup.splice(0).reverse()) await close();
});

async function serve(argv: string[], env: Record<string, string>): Promise<HttpHarness> {
  const h = await startHttpHarness({ argv, env });
  cleanup.push(() => h.close());
  return h;
}

describe('/metrics', () => {
  it('asks for MINDEE_MCP_METRICS_TOKEN when it is set', async () => {
    const h = await serve(['--auth', 'token'], { MINDEE_MCP_HTTP_TOKENS: TOKEN, MINDEE_MCP_METRICS_TOKEN: METRICS_TOKEN });
    const none = await h.fetch('/metrics');
    expect(none.status).toBe(401);
    expect(none.json().error_description).toMatch(/MINDEE_MCP_METRICS_TOKEN/);
    expect(none.text).not.toContain('mindee_mcp_');
    // A caller's token is not the metrics token.
    expect((await h.fetch('/metrics', { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(401);
    const ok = await h.fetch('/metrics', { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(ok.status).toBe(200);
    expect(ok.text).toContain('mindee_mcp_');
  });

  it('is not served on another interface without a token', async () => {
    const h = await serve(['--auth', 'token', '--host', '0.0.0.0', '--allowed-hosts', '127.0.0.1'], { MINDEE_MCP_HTTP_TOKENS: TOKEN });
    const res = await h.fetch('/metrics');
    expect(res.status).toBe(404);
    expect(res.json().error_description).toMatch(/MINDEE_MCP_METRICS_TOKEN/);
    expect(res.text).not.toContain('mindee_mcp_');
  });
});

describe('errors to remote callers', () => {
  it('name no directory of the server, only the path the caller gave', async () => {
    const dir = await tempDir();
    cleanup.push(() => dir.close());
    const allowed = join(dir.dir, 'shared-with-callers');
    await mkdir(allowed);
    const h = await serve(['--auth', 'token', allowed], { MINDEE_MCP_HTTP_TOKENS: TOKEN });
    const client = await h.client({ authorization: `Bearer ${TOKEN}` });
    const outside = await callTool(client, 'enqueue_document', { model_id: 'invoice', file_path: '/etc/hostname' });
    expect(outside.isError).toBe(true);
    expect(textOf(outside)).toMatch(/^\/etc\/hostname is outside the directories this server may read\./);
    expect(JSON.stringify(outside)).not.toContain(dir.dir);

    // A link out of the directory, a ".." way out, a missing file: the answer never says where
    // things are on the server.
    const secret = join(dir.dir, 'private-elsewhere');
    await mkdir(secret);
    await writeFile(join(secret, 'payroll.pdf'), makeSampleInvoicePdf());
    await symlink(join(secret, 'payroll.pdf'), join(allowed, 'link.pdf'));
    for (const file_path of [join(allowed, 'link.pdf'), `${allowed}/../private-elsewhere/payroll.pdf`, join(allowed, 'missing.pdf'), 'missing.pdf']) {
      const answer = await callTool(client, 'enqueue_document', { model_id: 'invoice', file_path });
      expect(answer.isError, file_path).toBe(true);
      // What remains once the caller's own path is taken out.
      const said = textOf(answer).split(file_path).join('<given>');
      expect(said, file_path).not.toContain('private-elsewhere');
      if (!file_path.startsWith(allowed)) expect(said, file_path).not.toContain(dir.dir);
    }
    expect(h.emulator.requests.filter((r) => r.method === 'POST')).toEqual([]);
  });
});
