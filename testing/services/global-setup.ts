/**
 * Optional vitest globalSetup (`globalSetup: ['testing/services/global-setup.ts']`): starts the
 * services once per test run, before any worker, and hands them to every suite through the
 * env overrides that the start functions already honour:
 *   postgres -> TX_TEST_POSTGRES_URL        hive  -> TX_TEST_HIVE_URL
 *   s3       -> TX_TEST_S3_ENDPOINT (+ _REGION, _ACCESS_KEY_ID, _SECRET_ACCESS_KEY)
 *   azure    -> TX_TEST_AZURE_CONNECTION_STRING
 * so each suite's startX() connects instead of starting its own server, and its stop() is a
 * no-op; the servers are stopped by PID in the teardown. On this 2-core machine that saves one
 * Spark JVM (20-60 s, 1-2 GiB) per suite. Shared servers mean shared state: suites must use
 * their own names (createTestDatabase, a random Hive database / bucket / container).
 *
 * `TX_TEST_SHARED_SERVICES` picks which (default `postgres,hive,s3,azure`; `none` for none).
 * A service whose env override is already set is left alone. An unavailable service (null) sets
 * nothing, so its suites report the skip themselves (or fail under TX_TEST_REQUIRE).
 */
import { startAzurite } from './azurite.js';
import { startPostgres } from './postgres.js';
import { startS3 } from './s3.js';
import { startSparkThriftServer } from './spark.js';

type Stop = () => Promise<void>;

/**
 * Whether this vitest run may need a service: a full run does; a run filtered to some files
 * only when a filter could match a suite that uses it (so `vitest run compiler/template` never
 * waits for a JVM).
 */
export function runMayNeed(service: string, argv: string[] = process.argv.slice(2)): boolean {
  const filters = argv.filter((a) => !a.startsWith('-') && !['run', 'watch', 'vitest'].includes(a) && !a.endsWith('vitest.mjs'));
  if (!filters.length) return true;
  const hints: Record<string, RegExp> = {
    hive: /hive|spark|services|testing\/?$|targets\/?$|^\.$/,
    postgres: /postgres|services|export|testing\/?$|targets\/?$|^\.$/,
    s3: /s3|export|services|testing\/?$|targets\/?$|^\.$/,
    azure: /azure|export|services|testing\/?$|targets\/?$|^\.$/,
  };
  return filters.some((f) => (hints[service] ?? /./).test(f));
}

export default async function setup(): Promise<() => Promise<void>> {
  const raw = process.env.TX_TEST_SHARED_SERVICES ?? 'postgres,hive,s3,azure';
  const wanted = new Set(
    raw
      .split(/[\s,]+/)
      .map((s) => s.trim().toLowerCase())
      .filter((s) => s !== '' && s !== 'none' && runMayNeed(s)),
  );
  const env = process.env;
  const stops: Stop[] = [];
  const t0 = Date.now();

  const jobs: Promise<void>[] = [];
  if (wanted.has('postgres') && !env.TX_TEST_POSTGRES_URL) {
    jobs.push(
      startPostgres().then((pg) => {
        stops.push(pg.stop);
        env.TX_TEST_POSTGRES_URL = pg.url;
      }),
    );
  }
  if (wanted.has('hive') && !env.TX_TEST_HIVE_URL) {
    jobs.push(
      startSparkThriftServer().then((hive) => {
        if (!hive) return;
        stops.push(hive.stop);
        env.TX_TEST_HIVE_URL = hive.url;
        if (hive.passwordAccount) env.TX_TEST_HIVE_PASSWORD_ACCOUNT = `${hive.passwordAccount.user}:${hive.passwordAccount.password}`;
      }),
    );
  }
  if (wanted.has('s3') && !env.TX_TEST_S3_ENDPOINT) {
    jobs.push(
      startS3().then((s3) => {
        if (!s3) return;
        stops.push(s3.stop);
        env.TX_TEST_S3_ENDPOINT = s3.endpoint;
        env.TX_TEST_S3_REGION = s3.region;
        env.TX_TEST_S3_ACCESS_KEY_ID = s3.accessKeyId;
        env.TX_TEST_S3_SECRET_ACCESS_KEY = s3.secretAccessKey;
      }),
    );
  }
  if (wanted.has('azure') && !env.TX_TEST_AZURE_CONNECTION_STRING) {
    jobs.push(
      startAzurite().then((az) => {
        stops.push(az.stop);
        env.TX_TEST_AZURE_CONNECTION_STRING = az.connectionString;
      }),
    );
  }

  const teardown = async (): Promise<void> => {
    const results = await Promise.allSettled(stops.map((stop) => stop()));
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed.length > 0) throw new AggregateError(failed.map((f) => f.reason as unknown), 'stopping shared test services failed');
  };
  const settled = await Promise.allSettled(jobs);
  const errors = settled.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason as unknown);
  if (errors.length > 0) {
    await teardown().catch(() => {});
    throw errors.length === 1 ? errors[0] : new AggregateError(errors, 'starting shared test services failed');
  }
  console.warn(`[tx services] shared services up in ${((Date.now() - t0) / 1000).toFixed(1)} s: ${[...wanted].join(', ') || 'none'}`);
  return teardown;
}
