import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

// One Spark Thrift Server for the whole run (a JVM takes tens of seconds and 1-2 GiB to start),
// started by the global setup only when the run may need it. S3 and Azure suites start their own
// servers: some of their tests kill a server mid-upload.
process.env.TX_TEST_SHARED_SERVICES ??= 'hive';

export default defineConfig({
  test: {
    include: ['compiler/**/*.test.ts', 'targets/**/*.test.ts', 'testing/**/*.test.ts'],
    // No test or hook may run longer than 10 minutes (testing/test-gate.test.ts holds every
    // per-test override to that too): a hang fails instead of stalling CI.
    testTimeout: 120_000,
    hookTimeout: 600_000,
    // A stray .only fails the run under CI (.ci/run sets CI=true) instead of shrinking it.
    allowOnly: !process.env.CI,
    pool: 'forks',
    // Two test files at a time on a 2-core machine (vitest's default, cores - 1, runs one): a file
    // spends much of its time waiting on dbt-core, Spark, PostgreSQL or an object store, and one
    // worker left a third of the CPU idle. Every file works in its own temporary folders, schemas
    // and databases, and provisioning in ~/.cache/tx is under a lock. TX_TEST_WORKERS overrides.
    maxWorkers: Number(process.env.TX_TEST_WORKERS) || Math.max(2, availableParallelism() - 1),
    globalSetup: ['testing/services/global-setup.ts'],
  },
});
