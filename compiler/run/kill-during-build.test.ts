import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';

const cli = fileURLToPath(new URL('../../dist/compiler/cli.js', import.meta.url));

function project(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tx-kill-'));
  mkdirSync(join(dir, 'models'));
  writeFileSync(join(dir, 'project.yml'), 'name: killtest\nvars:\n  n: 1000\n');
  // Slow enough to be killed mid-build at the larger size; content is a function of n.
  writeFileSync(
    join(dir, 'models', 'big.sql'),
    "{{ config(materialized='table') }}\nselect i, md5(cast(i as varchar)) as h from range({{ var('n') }}) as t(i)\n",
  );
  return dir;
}

async function tableState(dir: string): Promise<{ rows: number; sum: bigint } | null> {
  const inst = await DuckDBInstance.create(join(dir, 'killtest.duckdb'), { access_mode: 'READ_ONLY' });
  const c = await inst.connect();
  try {
    const r = await c.runAndReadAll(
      "select count(*) as n, coalesce(sum(i), 0)::bigint as s from information_schema.tables t, main.big where t.table_name = 'big' and t.table_schema = 'main'",
    );
    const row = r.getRowObjectsJS()[0]!;
    return { rows: Number(row.n), sum: BigInt(row.s as bigint) };
  } catch (e) {
    if (/does not exist/i.test((e as Error).message)) return null;
    throw e;
  } finally {
    c.closeSync();
    inst.closeSync();
  }
}

/** Resolves with the exit code once the child has exited, also when it already has (an 'exit' listener added late never fires). */
function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((r) => child.once('exit', (code) => r(code)));
}

const sumTo = (n: number) => (BigInt(n) * BigInt(n - 1)) / 2n;

describe('SIGKILL while a table is being replaced', () => {
  it('leaves the previous complete table, at every kill point', async () => {
    const dir = project();
    const first = spawnSync(process.execPath, [cli, 'build', '--project-dir', dir, '-q'], { encoding: 'utf8', timeout: 120_000 });
    expect(first.status, first.stderr).toBe(0);
    expect(await tableState(dir)).toEqual({ rows: 1000, sum: sumTo(1000) });

    const big = 4_000_000;
    const log = join(dir, 'logs', 'tx.log');
    let killedMidBuild = 0;
    for (const delayMs of [0, 150, 400, 1000, 2500]) {
      rmSync(log, { force: true });
      const child = spawn(process.execPath, [cli, 'build', '--project-dir', dir, '-q', '--vars', `{n: ${big}}`], { stdio: 'ignore' });
      // Wait until tx has started building beside the table (the statement before the CTAS is logged).
      const t0 = Date.now();
      while (!(existsSync(log) && readFileSync(log, 'utf8').includes('big__tx_new')) && Date.now() - t0 < 30_000) await new Promise((r) => setTimeout(r, 20));
      await new Promise((r) => setTimeout(r, delayMs));
      const swapped = readFileSync(log, 'utf8').includes('rename to');
      child.kill('SIGKILL');
      await exited(child);
      const state = await tableState(dir);
      if (!swapped && state?.rows === 1000) killedMidBuild++;
      // Either the old version or the complete new one; never missing, never partial.
      expect([JSON.stringify({ rows: 1000, sum: String(sumTo(1000)) }), JSON.stringify({ rows: big, sum: String(sumTo(big)) })]).toContain(
        JSON.stringify({ rows: state?.rows, sum: String(state?.sum) }),
      );
    }
    expect(killedMidBuild, 'at least one kill must land while the new table was being built').toBeGreaterThan(0);
    // And the next build recovers (a leftover temporary table is dropped and rebuilt).
    const again = spawnSync(process.execPath, [cli, 'build', '--project-dir', dir, '-q', '--vars', '{n: 2000}'], { encoding: 'utf8', timeout: 120_000 });
    expect(again.status, again.stderr).toBe(0);
    expect(await tableState(dir)).toEqual({ rows: 2000, sum: sumTo(2000) });
  }, 180_000);
});

describe('SIGKILL inside the swap itself', () => {
  it('after the old table is dropped and before the new one is renamed in: the previous table, whole', async () => {
    const dir = project();
    const first = spawnSync(process.execPath, [cli, 'build', '--project-dir', dir, '-q'], { encoding: 'utf8', timeout: 120_000 });
    expect(first.status, first.stderr).toBe(0);
    expect(await tableState(dir)).toEqual({ rows: 1000, sum: sumTo(1000) });

    // The failpoint stops tx dead right after this statement, inside the swap transaction.
    const drop = 'drop table "main"."big"';
    const log = join(dir, 'logs', 'tx.log');
    rmSync(log, { force: true });
    const env = { ...process.env, TX_TEST_PAUSE_AFTER: `^${drop.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$` };
    const child = spawn(process.execPath, [cli, 'build', '--project-dir', dir, '-q', '--vars', '{n: 3000}'], { stdio: 'ignore', env });
    const statements = (): string[] =>
      existsSync(log)
        ? readFileSync(log, 'utf8')
            .split('\n')
            .filter((l) => l.includes('"msg":"statement"'))
            .map((l) => (JSON.parse(l) as { sql: string }).sql)
        : [];
    const t0 = Date.now();
    while (!statements().includes(drop) && child.exitCode === null && Date.now() - t0 < 60_000) await new Promise((r) => setTimeout(r, 20));
    // where tx stands: the new table built beside, the transaction begun, the old table dropped, no rename yet
    const ran = statements();
    expect(ran).toContain(drop);
    expect(ran.some((s) => /^create table "main"\."big__tx_new" as/.test(s))).toBe(true);
    expect(ran.lastIndexOf('begin transaction')).toBeLessThan(ran.lastIndexOf(drop));
    expect(ran.some((s) => /rename to/.test(s))).toBe(false);
    expect(child.exitCode).toBe(null);
    child.kill('SIGKILL');
    await exited(child);
    // The drop was never committed: the previous version, complete.
    expect(await tableState(dir)).toEqual({ rows: 1000, sum: sumTo(1000) });
    // And the next build recovers.
    const again = spawnSync(process.execPath, [cli, 'build', '--project-dir', dir, '-q', '--vars', '{n: 2000}'], { encoding: 'utf8', timeout: 120_000 });
    expect(again.status, again.stderr).toBe(0);
    expect(await tableState(dir)).toEqual({ rows: 2000, sum: sumTo(2000) });
  }, 180_000);
});

describe('Ctrl-C', () => {
  it('cancels running statements, exits non-zero and keeps the previous table', async () => {
    const dir = project();
    expect(spawnSync(process.execPath, [cli, 'build', '--project-dir', dir, '-q'], { encoding: 'utf8' }).status).toBe(0);
    rmSync(join(dir, 'logs', 'tx.log'));
    writeFileSync(join(dir, 'logs', 'tx.log'), '');
    const child = spawn(process.execPath, [cli, 'build', '--project-dir', dir, '--vars', '{n: 50000000}'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout!.on('data', (d) => (out += String(d)));
    child.stderr!.on('data', (d) => (out += String(d)));
    const log = join(dir, 'logs', 'tx.log');
    const t0 = Date.now();
    while (!readFileSync(log, 'utf8').includes('big__tx_new') && Date.now() - t0 < 30_000) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 300));
    child.kill('SIGINT');
    const code = await exited(child);
    expect(code).not.toBe(0);
    expect(out).toMatch(/Cancel/i);
    expect(await tableState(dir)).toEqual({ rows: 1000, sum: sumTo(1000) });
  }, 120_000);
});
