/**
 * How tests read a tool's answer (test/helpers/structured.ts): typed by the tool's own output
 * schema, failing on what breaks it or what it does not declare; and the lint rule that keeps
 * `as any` out of the tests.
 */
import { join } from 'node:path';
import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';
import { describe, expect, it } from 'vitest';
import { at, structuredOf } from './helpers/structured.js';

const job = {
  job_id: 'j1',
  status: 'Processed',
  model_id: 'm1',
  product: 'extraction',
  filename: 'a.pdf',
  alias: null,
  created_at: null,
  completed_at: null,
  inference_id: 'i1',
  error: null,
};

describe('structuredOf', () => {
  it('gives the structured content as the tool declares it', () => {
    const sc = structuredOf('get_job_status', { content: [], structuredContent: { job, next_step: null } });
    expect(sc).toEqual({ job, next_step: null });
    const id: string | null = sc.job.inference_id;
    expect(id).toBe('i1');
  });

  it('takes free-form values as they come, null-prototype objects included', () => {
    const fields = Object.assign(Object.create(null) as Record<string, unknown>, { total: { value: 12 } });
    const sc = structuredOf('get_inference_result', {
      structuredContent: { inference_id: 'i1', job_id: null, model_id: null, product: 'extraction', file: { name: null, alias: null, page_count: null, mime_type: null }, active_options: null, fields, resource_uri: 'mindee://inferences/i1' },
    });
    expect(at(sc.fields, 'total', 'value')).toBe(12);
  });

  it('fails on content that breaks the schema, naming where', () => {
    const { status: _, ...noStatus } = job;
    expect(() => structuredOf('get_job_status', { structuredContent: { job: noStatus, next_step: null } })).toThrow(/get_job_status's structured content does not match its output schema:[\s\S]*job\.status/);
    expect(() => structuredOf('get_job_status', { structuredContent: { job: { ...job, product: 'invoice' }, next_step: null } })).toThrow(/job\.product/);
  });

  it('fails on what the schema does not declare, which a parse would silently drop', () => {
    expect(() => structuredOf('get_job_status', { structuredContent: { job: { ...job, secret: 'x' }, next_step: null } })).toThrow(
      "get_job_status's structured content holds what its output schema does not declare, at job.secret",
    );
  });

  it('fails on an error answer with its text, and on an answer without structured content', () => {
    expect(() => structuredOf('search_models', { isError: true, content: [{ type: 'text', text: 'HTTP 401: the key was refused' }] })).toThrow('search_models answered an error: HTTP 401: the key was refused');
    expect(() => structuredOf('search_models', { content: [] })).toThrow('search_models answered no structured content');
  });
});

describe('at', () => {
  it('reads a path as `value.a.b` would: nothing at the end is undefined, nothing before it fails', () => {
    const value = { a: { list: [{ b: 1 }] } };
    expect(at(value, 'a', 'list', 0, 'b')).toBe(1);
    expect(at(value, 'a', 'missing')).toBeUndefined();
    expect(() => at(value, 'a', 'missing', 'b')).toThrow('no object at a.missing to read b from (found undefined)');
  });
});

describe('the lint rule against `as any` in tests', () => {
  // The project's eslint.config.js, without type information: only the syntax rule is read here.
  const eslint = new ESLint({ cwd: join(import.meta.dirname, '..'), overrideConfig: tseslint.configs.disableTypeChecked });
  async function flagged(file: string, code: string): Promise<number> {
    const [result] = await eslint.lintText(code, { filePath: file });
    return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-syntax').length;
  }

  it.each(['test/probe.test.ts', 'test/helpers/probe.ts', 'packages/mindee-v2-emulator/test/probe.test.ts'])('refuses `as any` and `<any>` in %s', async (file) => {
    expect(await flagged(file, 'export const a = (1 as any) as number;\nexport const b = <any>2;\n')).toBe(2);
  });

  it('lets a test narrow an unknown', async () => {
    expect(await flagged('test/probe.test.ts', 'export const a = JSON.parse("1") as unknown;\nexport const b = a as { x: number };\n')).toBe(0);
  });
});
