/**
 * A failpoint for tests, shared by the PostgreSQL and Hive connections (DuckDB's has its own copy
 * in duckdb-connection.ts): with TX_TEST_PAUSE_AFTER set to a regular expression, tx stops dead (its
 * thread blocks, nothing more runs or commits) right after a statement matching it has run and been
 * logged, so a test can SIGKILL it at an exact point (the snapshot tests stop inside the merge).
 * Unset: one environment lookup per statement.
 */
export function pauseAfter(sql: string): void {
  const re = process.env.TX_TEST_PAUSE_AFTER;
  if (re && new RegExp(re).test(sql)) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
}
