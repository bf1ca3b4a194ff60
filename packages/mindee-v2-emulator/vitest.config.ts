import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    name: 'mindee-v2-emulator',
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
  },
});
