import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['compiler/**/*.test.ts', 'targets/**/*.test.ts', 'testing/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 600_000,
    pool: 'forks',
    globalSetup: [],
  },
});
