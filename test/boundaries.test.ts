/**
 * Tool and argument names belong to src/tools/: the client, the results, the files and the
 * state speak the API's words, raise errors with a stable code, and the tools phrase what to
 * call next. This test fails as soon as one of those names leaks below the tools again.
 *
 * The layer graph itself (who may import whom) is held by `npm run lint`; the second part
 * checks that its rule still fires on an import that points the wrong way.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', 'src');
const LAYERS = ['client', 'results', 'files', 'state', 'verify'];
/** Every tool, and the arguments only tools have (the API's own words, such as model_id, are fine). */
const TOOL_WORDS = [
  'enqueue_document',
  'enqueue_documents',
  'get_job_status',
  'get_inference_result',
  'search_models',
  'file_path',
  'file_paths',
  'file_base64',
  'job_ids',
  'max_wait_seconds',
  'wait_seconds',
  'max_chars',
  'save_to',
  '`url`',
];

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}

describe('layer words', () => {
  it.each(LAYERS)('src/%s names no tool and no tool argument', (layer) => {
    const found: string[] = [];
    for (const file of files(join(ROOT, layer))) {
      readFileSync(file, 'utf8')
        // Template literals escape their backticks.
        .replaceAll('\\`', '`')
        .split('\n')
        .forEach((line, i) => {
          for (const word of TOOL_WORDS) if (new RegExp(`(^|[^a-z_])${word.replace(/[`]/g, '\\`')}($|[^a-z_])`).test(line)) found.push(`${file.slice(ROOT.length + 1)}:${i + 1}: ${word}`);
        });
    }
    expect(found).toEqual([]);
  });
});

describe('layer imports (the lint rule)', () => {
  it('places every folder and module of src/ in the layer graph of eslint.config.js', async () => {
    const { PLACED } = (await import(pathToFileURL(join(ROOT, '..', 'eslint.config.js')).href)) as { PLACED: Set<string> };
    const unplaced = readdirSync(ROOT)
      .map((name) => name.replace(/\.ts$/, ''))
      .filter((name) => !PLACED.has(name));
    expect(unplaced).toEqual([]);
  });

  // The project's eslint.config.js, without type information: only the import rule is read here.
  const eslint = new ESLint({ cwd: join(import.meta.dirname, '..'), overrideConfig: tseslint.configs.disableTypeChecked });
  async function refused(file: string, from: string): Promise<boolean> {
    const [result] = await eslint.lintText(`import { x } from '${from}';\nexport type { x as y } from '${from}';\n`, { filePath: file });
    return (result?.messages ?? []).some((m) => m.ruleId === 'no-restricted-imports');
  }

  it.each([
    ['src/state/probe.ts', '../client/errors.js'],
    ['src/state/probe.ts', '../config.js'],
    ['src/client/probe.ts', '../tools/index.js'],
    ['src/client/probe.ts', '../results/shapes.js'],
    ['src/client/probe.ts', '../files/paths.js'],
    ['src/client/probe.ts', '../config.js'],
    ['src/client/probe.ts', '@modelcontextprotocol/sdk/types.js'],
    ['src/results/probe.ts', '../files/paths.js'],
    ['src/results/probe.ts', '../tools/hints.js'],
    ['src/files/probe.ts', '../results/fields.js'],
    ['src/files/probe.ts', '../mcp/server.js'],
    ['src/tools/probe.ts', '../mcp/server.js'],
    ['src/tools/probe.ts', '../http/app.js'],
    ['src/tools/probe.ts', 'mindee-v2-emulator'],
    ['src/tools/probe.ts', '../mcp/tool-call.js'],
    ['src/tools/probe.ts', '../mcp/tasks.js'],
        ['src/mcp/tasks.ts', '../http/index.js'],
    ['src/mcp/server.ts', '../doctor.js'],
    ['src/doctor.ts', './mcp/server.js'],
    ['src/http/probe.ts', '../cli.js'],
    ['src/mcp/server.ts', '../http/app.js'],
    ['src/mcp/server.ts', '../cli.js'],
    ['src/config.ts', './tools/index.js'],
    ['src/lib/text.ts', '../state/rate-budget.js'],
    ['src/lib/clock.ts', '../log.js'],
    ['src/log.ts', './client/errors.js'],
    ['packages/mindee-v2-emulator/src/probe.ts', 'mindee-mcp'],
    ['packages/mindee-v2-emulator/src/probe.ts', '../../../src/lib/text.js'],
    ['packages/mindee-v2-emulator/test/probe.test.ts', '../../../src/client/file-types.js'],
    ['test/probe.test.ts', '../packages/mindee-v2-emulator/src/store.js'],
  ])('%s may not import %s', async (file, from) => {
    expect(await refused(file, from)).toBe(true);
  });

  it.each([
    ['src/client/probe.ts', '../lib/clock.js'],
    ['src/client/probe.ts', '../lib/text.js'],
    ['src/results/probe.ts', '../lib/bounded-map.js'],
    ['src/log.ts', './lib/redact.js'],
    ['src/results/probe.ts', '../client/schemas.js'],
    ['src/files/probe.ts', '../client/errors.js'],
    ['src/tools/probe.ts', '../client/waiter.js'],
    ['src/tools/probe.ts', '../config.js'],
    ['src/http/probe.ts', '../mcp/server.js'],
    ['src/http/probe.ts', '../state/index.js'],
    ['src/mcp/server.ts', '../tools/index.js'],
    ['src/cli.ts', 'mindee-v2-emulator'],
    ['src/cli.ts', './http/app.js'],
    ['src/doctor.ts', 'mindee-v2-emulator'],
    ['src/mcp/server.ts', './tasks.js'],
    ['src/mcp/tasks.ts', './tool-call.js'],
    ['packages/mindee-v2-emulator/test/probe.test.ts', '../src/sniff.js'],
    ['test/probe.test.ts', '../src/tools/index.js'],
    ['test/probe.test.ts', 'mindee-v2-emulator/samples'],
  ])('%s may import %s', async (file, from) => {
    expect(await refused(file, from)).toBe(false);
  });
});

describe('import graph', () => {
  /** Static imports and re-exports (types too) between modules of src/: lazy `import()`s are left out, as they are how the CLI loads its chunks. */
  function graph(): Map<string, string[]> {
    const edges = new Map<string, string[]>();
    const spec = /^\s*(?:import|export)\s[^'"]*?from\s+'(\.{1,2}\/[^']+)\.js'/gm;
    for (const file of files(ROOT)) {
      const targets = [...readFileSync(file, 'utf8').matchAll(spec)].map((m) => join(file, '..', `${m[1]!}.ts`));
      edges.set(file, targets.filter((t) => t.startsWith(ROOT)));
    }
    return edges;
  }

  it('has no cycles (Tarjan: no strongly connected component of more than one module, no module importing itself)', () => {
    const edges = graph();
    const index = new Map<string, number>();
    const low = new Map<string, number>();
    const stack: string[] = [];
    const onStack = new Set<string>();
    const cycles: string[][] = [];
    const visit = (v: string): void => {
      index.set(v, index.size);
      low.set(v, index.get(v)!);
      stack.push(v);
      onStack.add(v);
      for (const w of edges.get(v) ?? []) {
        if (w === v) cycles.push([v]);
        if (!index.has(w)) {
          visit(w);
          low.set(v, Math.min(low.get(v)!, low.get(w)!));
        } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
      if (low.get(v) === index.get(v)) {
        const component: string[] = [];
        for (let w = stack.pop(); w !== undefined; w = w === v ? undefined : stack.pop()) {
          onStack.delete(w);
          component.push(w.slice(ROOT.length + 1));
        }
        if (component.length > 1) cycles.push(component.sort());
      }
    };
    for (const v of edges.keys()) if (!index.has(v)) visit(v);
    expect(edges.size).toBeGreaterThan(50);
    expect(cycles).toEqual([]);
  });
});
