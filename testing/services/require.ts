/**
 * The rule for real-service tests: where a service cannot be had (no Java, no Python, ...), its
 * suites are skipped with a loud console line saying why, and env
 * `TX_TEST_REQUIRE=postgres,hive,s3,azure,python,disk-full` (or `all`) turns any such skip into a
 * failure. Besides the four servers: `python` (the cached venv whose Python cross-checks tx's
 * bzip2 output) and `disk-full` (a tiny tmpfs mounted for the disk-full export test, needs root).
 * Every skip of a test for want of something goes through serviceUnavailable(); a suite that
 * starts its service in beforeAll skips its tests with testing/services/service-suite.ts.
 *
 * Typical use in a vitest suite:
 *
 *   const hive = await startSparkThriftServer();   // null + loud line, or throws if required
 *   describe.skipIf(hive === null)('hive target', () => { ... });
 *   afterAll(() => hive?.stop());
 */

export type ServiceName = 'postgres' | 'hive' | 's3' | 'azure' | 'python' | 'disk-full';

export const SERVICE_NAMES: readonly ServiceName[] = ['postgres', 'hive', 's3', 'azure', 'python', 'disk-full'];

export class ServiceUnavailableError extends Error {
  constructor(
    readonly service: string,
    readonly reason: string,
  ) {
    super(`required test service "${service}" is unavailable: ${reason} (TX_TEST_REQUIRE=${process.env.TX_TEST_REQUIRE ?? ''})`);
    this.name = 'ServiceUnavailableError';
  }
}

/** The services listed in TX_TEST_REQUIRE (comma/space separated; `all` or `*` means every one). */
export function requiredServices(): Set<string> {
  const raw = (process.env.TX_TEST_REQUIRE ?? '')
    .split(/[\s,]+/)
    .map((s) => s.trim().toLowerCase())
    .filter((s) => s !== '');
  if (raw.includes('all') || raw.includes('*')) return new Set(SERVICE_NAMES);
  return new Set(raw);
}

export function isServiceRequired(name: string): boolean {
  return requiredServices().has(name.toLowerCase());
}

/**
 * Reports that `name` cannot be had. Throws ServiceUnavailableError when TX_TEST_REQUIRE names
 * it; otherwise prints a loud line to stderr and returns, and the caller skips its suites.
 */
export function serviceUnavailable(name: string, reason: string): void {
  if (isServiceRequired(name)) throw new ServiceUnavailableError(name, reason);
  const line = `!!! SKIPPING ${name.toUpperCase()} TESTS: ${reason} (set TX_TEST_REQUIRE=${name} to make this a failure)`;
  const bar = '!'.repeat(Math.min(line.length, 120));
  console.warn(`\n${bar}\n${line}\n${bar}\n`);
}
