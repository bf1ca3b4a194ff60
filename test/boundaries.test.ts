/**
 * Tool and argument names belong to src/tools/: the client, the results, the files and the
 * state speak the API's words, raise errors with a stable code, and the tools phrase what to
 * call next. This test fails as soon as one of those names leaks below the tools again.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', 'src');
const LAYERS = ['client', 'results', 'files', 'state'];
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
