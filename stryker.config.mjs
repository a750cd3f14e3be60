// Mutation testing of the modules that need no service (`npm run test:mutation`; one module:
// `npm run test:mutation -- --mutate compiler/graph/dag.ts`). Not part of `npm test`: a full
// run takes hours on 2 cores. Scores per module are in the README (Tests → Mutation testing).
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.stryker.config.ts', related: true },
  mutate: [
    'compiler/select/selector.ts', // selection
    'compiler/graph/dag.ts', // the DAG
    'compiler/load/config-hierarchy.ts', // config loading and validation
    'compiler/load/load-project.ts',
    'compiler/load/properties.ts',
    'compiler/load/validate.ts',
    'targets/files/avro-reader.ts', // CSV and Avro readers
    'targets/files/csv-header.ts',
    'targets/exports/export-spec.ts', // export path rules
    'targets/exports/bzip2-encoder.ts', // the bzip2 encoder
    // The template engine: its core, Python's value semantics (truth, ==, ordering, arithmetic,
    // indexing), checked by py.test.ts against python3 itself. The whole engine
    // ('compiler/template/jinja/*.ts') is ~11,000 lines: too many mutants for a run on 2 cores.
    'compiler/template/jinja/py.ts',
  ],
  // TypeScript 7 has no JS API, which Stryker's tsconfig rewriting needs; tsconfig.json has no
  // paths outside the project to rewrite, so point Stryker at no tsconfig at all.
  tsconfigFile: 'no-tsconfig-for-stryker.json',
  coverageAnalysis: 'perTest',
  concurrency: 1,
  timeoutMS: 60_000,
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/index.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  thresholds: { high: 90, low: 80, break: null },
  tempDirName: '.stryker-tmp',
  ignorePatterns: ['dist', 'target', 'logs', 'output', 'reports', 'bench/out', 'test-artifacts', '*.duckdb', '*.duckdb.wal'],
  cleanTempDir: true,
};
