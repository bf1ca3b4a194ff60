// `npm run lint`: typescript-eslint's strict type-checked rules, tuned to catch bugs (promises
// left floating or passed where a callback returns void, `any`, unsafe values, thrown
// non-errors, deprecated APIs) rather than to restyle code, plus the import boundaries of the
// layer graph in DESIGN.md. No formatting rules: the code's layout is not the linter's business.
import { existsSync } from 'node:fs';
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

// The server and its tests see the emulator through its built types: without them every use
// would read as `any` and fail the unsafe-value rules for a reason no message would tell.
if (!existsSync(new URL('packages/mindee-v2-emulator/dist/index.d.ts', import.meta.url))) {
  throw new Error('the lint reads the emulator package from its build: run `npm run build` first (npm test does).');
}

// ---- the layer graph ------------------------------------------------------------------------
// cli (and its doctor) → the MCP serving side (mcp/: server factory, tool call, tasks, the stdio
// transport; http/ serves it over HTTP) → tools → config → (client, results, files, state), where the client uses
// state, and results and files use the client's types, schemas and errors. The leaves (lib/:
// text, redaction, bounded maps, clocks, listeners; and version, log) serve every layer. Each entry lists what a layer must NOT import: whatever
// sits above it, and the siblings the design keeps apart.
const GRAPH = 'cli, doctor → http → mcp → tools → config → (client, results, files, state) and verify; only the client uses state; results and files use the client; results use verify, which uses the client\'s types';
// runtime.ts: the one start-up routine of the command line, the doctor and the test harnesses.
const CLI = ['cli', 'doctor', 'runtime'];
const SERVING = ['mcp', 'http'];
const ABOVE_CONFIG = [...CLI, ...SERVING, 'tools'];
// settings/ declares each setting once; config.ts is its face (and the rules file's reader).
const ABOVE_LOWER = [...ABOVE_CONFIG, 'config', 'settings'];
const EVERY_LAYER_BUT_LIB = [...ABOVE_LOWER, 'client', 'results', 'files', 'state', 'verify', 'review'];
const EVERY_LAYER = [...EVERY_LAYER_BUT_LIB, 'lib'];
const ABOVE = {
  // Small generic helpers: they know nothing of the project around them.
  lib: [...EVERY_LAYER_BUT_LIB, 'log', 'version'],
  // The seams every process shares know nothing of the rest.
  state: [...ABOVE_LOWER, 'client', 'results', 'files', 'verify'],
  client: [...ABOVE_LOWER, 'results', 'files', 'verify'],
  results: [...ABOVE_LOWER, 'files', 'state'],
  files: [...ABOVE_LOWER, 'results', 'state', 'verify'],
  // Checks on a result (issue 18): pure functions of a result; the tools and results use them.
  verify: [...ABOVE_LOWER, 'results', 'files', 'state'],
  // Review decisions kept beside results, and the review view's document (issue 20): the tools use them.
  review: [...ABOVE_LOWER, 'state'],
  settings: ABOVE_CONFIG,
  tools: [...CLI, ...SERVING],
  // The MCP serving layer knows no HTTP; http/ serves it.
  mcp: [...CLI, 'http'],
  http: [...CLI],
};
const TOP_LEVEL = {
  doctor: ['cli', ...SERVING],
  runtime: ['cli', ...SERVING],
  config: ABOVE_CONFIG,
  version: EVERY_LAYER,
  log: EVERY_LAYER_BUT_LIB,
};
/** Every folder and top-level module of src/ has a place above (test/boundaries.test.ts checks it). */
export const PLACED = new Set(['cli', ...Object.keys(ABOVE), ...Object.keys(TOP_LEVEL)]);
/** The layers below the tools know nothing of MCP. */
const NO_MCP = ['lib', 'state', 'client', 'results', 'files', 'verify', 'review', 'settings'];

const EMULATOR = { regex: '^mindee-v2-emulator(/|$)', message: 'only the command line (cli.ts, doctor.ts) starts the emulator: product code does not depend on its test double.' };
const MCP = { regex: '^@modelcontextprotocol/', message: 'the client, results, files and state know nothing of MCP: the tools and the server speak it.' };
const INTO_PACKAGE = { regex: '(^|/)packages/', message: 'import the emulator by its name (mindee-v2-emulator), which resolves to its built dist/.' };

/** Patterns for imports of `targets` (folders or top-level modules of src/) written from `from` with relative prefix `prefix`. */
function above(targets, prefix, from) {
  return targets.map((target) => ({
    regex: `^${prefix}${target}(/|\\.js$)`,
    message: `${from} must not import src/${target} (${GRAPH}; see DESIGN.md).`,
  }));
}
/** One option set per file: a later config object that names this rule replaces an earlier one. */
const restrict = (...patterns) => ({ 'no-restricted-imports': ['error', { patterns: [...patterns, INTO_PACKAGE] }] });

const boundaries = [
  { files: ['src/cli.ts', 'test/**', 'bench/**', 'scripts/**'], rules: restrict() },
  ...Object.entries(ABOVE).map(([layer, targets]) => ({
    files: [`src/${layer}/**`],
    rules: restrict(...above(targets, '(\\.\\./)+', `src/${layer}/`), EMULATOR, ...(NO_MCP.includes(layer) ? [MCP] : [])),
  })),
  ...Object.entries(TOP_LEVEL).map(([file, targets]) => ({
    files: [`src/${file}.ts`],
    rules: restrict(...above(targets, '\\./', `src/${file}.ts`), ...(CLI.includes(file) ? [] : [EMULATOR])),
  })),
  {
    // The emulator stands alone (its test/standalone.test.ts checks the same from its sources).
    // Its folders are one level deep, so two `../` leave the package.
    files: ['packages/mindee-v2-emulator/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { regex: '^mindee-mcp(/|$)', message: 'the emulator package never imports the MCP server.' },
            { regex: '^(\\.\\./){2,}', message: 'the emulator package imports nothing from outside its folder.' },
          ],
        },
      ],
    },
  },
];

export default defineConfig(
  { ignores: ['**/dist/', 'coverage/', 'bench-results/'] },
  js.configs.recommended,
  {
    files: ['**/*.ts'],
    extends: [tseslint.configs.strictTypeChecked],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      // A switch over a union names every case or says `default:`.
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      // `const { a, ...rest } = x` leaves `a` out on purpose; `_name` marks a parameter kept for its position.
      '@typescript-eslint/no-unused-vars': ['error', { ignoreRestSiblings: true, argsIgnorePattern: '^_' }],
      // A closure made before the value exists reads it later (http/listener.ts): it stays `let`.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
      // Passing on a caught error, whatever it is, is no worse than rethrowing it.
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingUnknown: true }],
      // Numbers and booleans read well in messages; objects, unknown, any and nullish do not.
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
      // undici deprecates Body.formData() for servers because it buffers the whole body: the
      // emulator (and the test that mirrors it) bound the body before parsing.
      // The MCP SDK marks its low-level Server "for advanced use cases": src/mcp/ owns tools/list and
      // tools/call on it (one place chooses plain call or task); and roots, deprecated by 2026-07-28,
      // are still how a 2025-era client shares its folders (getClientCapabilities, listRoots).
      '@typescript-eslint/no-deprecated': [
        'error',
        {
          allow: [
            ...['undici', 'undici-types'].map((pkg) => ({ from: 'package', package: pkg, name: 'formData' })),
            ...['Server', 'listRoots', 'getClientCapabilities'].map((name) => ({ from: 'package', package: '@modelcontextprotocol/server', name })),
          ],
        },
      ],

      // Turned off, each for a reason:
      // - an async method without await is how an in-memory implementation keeps an async
      //   interface (the Redis one awaits): a throw still becomes a rejection, as callers expect;
      '@typescript-eslint/require-await': 'off',
      // - it takes a field or variable changed across an `await` or by a callback for a constant
      //   (TypeScript#9998: a pushed job event, `#pending`, `closed`) and would have correct code cast;
      '@typescript-eslint/no-unnecessary-condition': 'off',
      // - with noUncheckedIndexedAccess, `xs[i]!` after a bounds check is the honest spelling;
      '@typescript-eslint/no-non-null-assertion': 'off',
      // - style: an arrow such as `() => resolve()` that returns void hides no bug;
      '@typescript-eslint/no-confusing-void-expression': 'off',
      // - it takes express's Request (an IncomingMessage at run time, typed as an interface), and a
      //   test's cast to the class it inspects, for a forged instance;
      '@typescript-eslint/no-unsafe-class-instance-assignment': 'off',
      // - redaction renames keys of parsed JSON in place (redact.ts), where a Map is no option;
      '@typescript-eslint/no-dynamic-delete': 'off',
      // - the code has no enums (its enums are zod string unions), and the rule costs an eighth of the run;
      '@typescript-eslint/no-unsafe-enum-assignment': 'off',
      // - control characters are stripped from outside text on purpose (text.ts, input-checks.ts).
      'no-control-regex': 'off',
    },
  },
  {
    // Tests read raw JSON answers as they come and assert on them: the assertion is the check.
    // A tool's answer is read typed, through its own output schema (test/helpers/structured.ts),
    // so nothing is cast `as any`. Promises stay checked: an un-awaited `expect(…).rejects`
    // passes whatever happens.
    files: ['test/**/*.ts', 'packages/*/test/**/*.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: 'TSAsExpression > TSAnyKeyword.typeAnnotation, TSTypeAssertion > TSAnyKeyword.typeAnnotation',
          message: 'no `as any` in tests: read a tool\'s answer with structuredOf (test/helpers/structured.ts), give the value its type, or narrow an `unknown`; `// @ts-expect-error` where a test passes a wrong type on purpose.',
        },
      ],
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/restrict-plus-operands': 'off',
      // `.catch((e) => e)` hands the error to the assertion that follows.
      '@typescript-eslint/use-unknown-in-catch-callback-variable': 'off',
    },
  },
  {
    // bench/ and scripts/ are plain Node modules, outside the type-checked projects.
    files: ['**/*.{js,mjs}'],
    languageOptions: { globals: globals.node },
    rules: { 'no-unused-vars': ['error', { ignoreRestSiblings: true, argsIgnorePattern: '^_' }] },
  },
  ...boundaries,
);
