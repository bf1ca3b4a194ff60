/**
 * server.json, the MCP Registry entry, checked against package.json and the rules of its schema
 * (2025-12-11) as the registry applies them — the schema's own text is not fetched: no test
 * reaches the network.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { SETTINGS } from '../src/config.js';

const read = (file: string) => JSON.parse(readFileSync(fileURLToPath(new URL(`../${file}`, import.meta.url)), 'utf8')) as Record<string, any>;
const server = read('server.json');
const pkg = read('package.json');
// Every variable server.json lists is a declared setting (src/settings/).
const declaredEnv = new Set(Object.values(SETTINGS).map((d) => d.env));

/** The keys the schema allows on a package (it is closed: additionalProperties false). */
const PACKAGE_KEYS = ['registryType', 'registryBaseUrl', 'identifier', 'version', 'fileSha256', 'runtimeHint', 'transport', 'runtimeArguments', 'packageArguments', 'environmentVariables'];
const INPUT_KEYS = ['name', 'description', 'isRequired', 'format', 'value', 'isSecret', 'default', 'placeholder', 'choices', 'variables', 'type', 'valueHint', 'isRepeated'];
const EXACT_VERSION = /^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/;

/** The `{names}` a template uses. */
const templateNames = (text: string) => [...text.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!);

describe('server.json', () => {
  it('names itself as package.json does, reverse-DNS, with the exact version', () => {
    expect(server.$schema).toBe('https://static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json');
    expect(server.name).toBe(pkg.mcpName);
    expect(server.name).toMatch(/^[a-zA-Z0-9.-]+\/[a-zA-Z0-9._-]+$/);
    expect(server.name.length).toBeGreaterThanOrEqual(3);
    expect(server.name.length).toBeLessThanOrEqual(200);
    expect(server.version).toBe(pkg.version);
    expect(server.version).toMatch(EXACT_VERSION);
  });

  it('describes the server in at most 100 characters', () => {
    expect(server.description.length).toBeGreaterThan(0);
    expect(server.description.length).toBeLessThanOrEqual(100);
  });

  it('offers the npm package, run by npx over stdio, at this exact version', () => {
    expect(server.packages).toHaveLength(1);
    const [npm] = server.packages;
    for (const key of Object.keys(npm)) expect(PACKAGE_KEYS).toContain(key);
    expect(npm).toMatchObject({ registryType: 'npm', identifier: pkg.name, version: pkg.version, runtimeHint: 'npx', transport: { type: 'stdio' } });
    expect(npm.version).not.toBe('latest');
    for (const arg of npm.packageArguments) {
      for (const key of Object.keys(arg)) expect(INPUT_KEYS).toContain(key);
      expect(['positional', 'named']).toContain(arg.type);
      if (arg.type === 'positional') expect(arg.valueHint ?? arg.value).toBeTruthy();
    }
  });

  it('lists environment variables the server reads, the key as a secret', () => {
    const env = server.packages[0].environmentVariables as Array<Record<string, any>>;
    // Not required: without it the server runs its emulator (--emulator), as the description says.
    expect(env.find((v) => v.name === 'MINDEE_V2_API_KEY')).toMatchObject({ isSecret: true, isRequired: false });
    expect(env.find((v) => v.name === 'MINDEE_V2_API_KEY')!.description).toMatch(/emulator/);
    for (const variable of env) {
      for (const key of Object.keys(variable)) expect(INPUT_KEYS).toContain(key);
      expect(declaredEnv.has(variable.name as string), variable.name as string).toBe(true);
      expect(typeof variable.description).toBe('string');
      if (variable.format) expect(['string', 'number', 'boolean', 'filepath']).toContain(variable.format);
    }
  });

  it('describes the remote Streamable HTTP transport, every template variable defined, the token secret', () => {
    expect(server.remotes).toHaveLength(1);
    const [remote] = server.remotes;
    expect(remote.type).toBe('streamable-http');
    expect(remote.url).toMatch(/^(https?:\/\/|\{)/);
    expect(remote.url.endsWith('/mcp')).toBe(true);
    for (const name of templateNames(remote.url)) expect(remote.variables[name]).toBeDefined();
    for (const header of remote.headers) {
      for (const key of Object.keys(header)) expect(INPUT_KEYS).toContain(key);
      for (const name of templateNames(header.value ?? '')) expect(header.variables[name]).toBeDefined();
    }
    expect(remote.headers.find((h: { name: string }) => h.name === 'Authorization')).toMatchObject({ isSecret: true });
  });
});

describe('tools/list as a model sees it', () => {
  it('stays within 1 500 cl100k tokens (name + description + input schema of every tool), default settings', async () => {
    const { Tiktoken } = await import('js-tiktoken/lite');
    const { default: cl100k } = await import('js-tiktoken/ranks/cl100k_base');
    const { startHarness } = await import('./helpers/harness.js');
    // The settings a user gets by default (maxWaitSeconds 40, as the descriptions state it).
    const h = await startHarness({ settings: { maxWaitSeconds: 40 } });
    try {
      const encoder = new Tiktoken(cl100k);
      const { tools } = await h.mcp.listTools();
      const tokens = tools.reduce((n, t) => n + encoder.encode(JSON.stringify({ name: t.name, description: t.description, inputSchema: t.inputSchema })).length, 0);
      expect(tools).toHaveLength(6);
      // 1 300 before the review call (issue 20) joined the list.
      expect(tokens).toBeLessThanOrEqual(1500);
    } finally {
      await h.close();
    }
  });
});
