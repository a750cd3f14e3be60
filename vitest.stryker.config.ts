import { defineConfig } from 'vitest/config';

/**
 * The vitest configuration StrykerJS runs (`npm run test:mutation`): only the suites of the
 * modules it mutates, all of which need no service, so no global setup starts a server.
 */
// TX_MUTATION_TESTS=a.test.ts,b.test.ts runs only those suites (a module's own suite: minutes
// instead of hours, since mutants that code in a beforeAll reaches run every selected suite);
// the score it gives is a lower bound of the full run's.
const only = process.env.TX_MUTATION_TESTS?.split(',').filter(Boolean);

export default defineConfig({
  test: {
    include: only ?? [
      'compiler/graph/dag.test.ts',
      'compiler/select/selector.test.ts',
      'compiler/load/load-project.test.ts',
      'compiler/compile/compile-project.test.ts',
      'targets/files/avro-reader.test.ts',
      'targets/files/csv-header.test.ts',
      'targets/exports/export-spec.test.ts',
      'targets/exports/export-spec-rules.test.ts',
      'targets/exports/bzip2-encoder.test.ts',
      'compiler/load/properties.test.ts',
      'compiler/load/validate.test.ts',
      'compiler/load/config-hierarchy.test.ts',
      'targets/files/avro-reader-types.test.ts',
      'compiler/template/jinja/py.test.ts',
      'compiler/template/jinja/py-compare.test.ts',
      'targets/exports/bzip2-encoder-exact.test.ts',
      'targets/exports/bzip2-encoder-python.test.ts',
    ],
    testTimeout: 120_000,
    hookTimeout: 600_000,
    pool: 'forks',
    // Suites of the built CLI run dist/, which Stryker does not mutate: leave them out.
    testNamePattern: /^(?!.*built CLI)/,
  },
});
