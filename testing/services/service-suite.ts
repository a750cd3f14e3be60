/**
 * Service suites without import-time servers. A suite starts its service in `beforeAll` (never
 * at the top level of a test file: collecting or listing tests must not start a server), and
 * every test of the suite is skipped when the service could not be had. That can only happen
 * after `serviceUnavailable()` printed its loud line; under TX_TEST_REQUIRE it threw instead,
 * so the suite fails.
 *
 *     let s3: S3Service | null = null;
 *     describe('S3 exports', () => {
 *       beforeAll(async () => { s3 = await startS3(); });   // null + loud line, or throws if required
 *       skipEachWithout(() => s3);
 *       it('...', async () => { s3!.endpoint ... });
 *     });
 */
import { beforeEach } from 'vitest';

/** Skip each test of the current suite while `get()` is null or undefined. */
export function skipEachWithout(get: () => unknown): void {
  beforeEach((ctx) => {
    if (get() == null) ctx.skip();
  });
}
