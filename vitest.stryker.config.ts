import { defineConfig } from 'vitest/config';

/**
 * The vitest configuration StrykerJS runs (`npm run test:mutation`): only the suites of the
 * modules it mutates, all of which need no service, so no global setup starts a server.
 */
export default defineConfig({
  test: {
    include: [
      'compiler/graph/dag.test.ts',
      'compiler/select/selector.test.ts',
      'compiler/load/load-project.test.ts',
      'compiler/compile/compile-project.test.ts',
      'targets/files/avro-reader.test.ts',
      'targets/files/csv-header.test.ts',
      'targets/exports/export-spec.test.ts',
      'targets/exports/bzip2-encoder.test.ts',
    ],
    testTimeout: 120_000,
    hookTimeout: 600_000,
    pool: 'forks',
    // Suites of the built CLI run dist/, which Stryker does not mutate: leave them out.
    testNamePattern: /^(?!.*built CLI)/,
  },
});
