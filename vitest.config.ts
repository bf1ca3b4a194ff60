import { defineConfig } from 'vitest/config';

// The server's tests and the emulator package's own (configured in its folder), in one run.
export default defineConfig({
  test: {
    projects: [
      {
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
