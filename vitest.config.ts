import { defineConfig, type Plugin } from 'vitest/config';

/** The shared state's Lua scripts (src/state/redis/lua/) as strings, as the build bundles them (scripts/build.mjs). */
const luaText: Plugin = {
  name: 'lua-text',
  transform: (code, id) => (id.endsWith('.lua') ? { code: `export default ${JSON.stringify(code)};`, map: null } : undefined),
};

// The server's tests and the emulator package's own (configured in its folder), in one run.
export default defineConfig({
  test: {
    projects: [
      {
        plugins: [luaText],
        test: {
          name: 'mindee-mcp',
          include: ['test/**/*.test.ts'],
          setupFiles: ['test/setup/secrets.ts'],
          globalSetup: ['test/setup/redis-global.ts', 'test/setup/chromium-global.ts'],
          testTimeout: 20_000,
          hookTimeout: 20_000,
        },
      },
      'packages/mindee-v2-emulator',
    ],
  },
});
