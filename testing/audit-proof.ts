/**
 * The proof of audit before publish, the same on every engine (compiler/run/audit-before-publish.test.ts
 * for DuckDB, targets/postgres/postgres-audit.test.ts, targets/hive/hive-audit.test.ts): a table, a view
 * and an incremental model whose new version fails an error-severity test while a reader on another
 * connection polls them. The reader never sees a row of the failing version, the export of the table
 * does not run, what is downstream is skipped, the old content stays; a passing version then publishes.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { dedent } from './fixture-project.js';

export type Row = Record<string, unknown>;

export interface BuildRun {
  code: number | null;
  output: string;
}

export interface AuditEngine {
  /** `target:` and `targets:` of project.yml (the models' schema is `schema`). */
  targetYml: string;
  schema: string;
  /** A SELECT of one integer column `i`, `n` rows. */
  rows(n: number): string;
  /**
   * `tx build --project-dir dir --vars vars`; while it runs, `reader` is called with a query function on
   * another connection to the warehouse (it returns when `done()` says so).
   */
  build(dir: string, vars: Record<string, unknown>, reader?: (query: (sql: string) => Promise<Row[]>, done: () => boolean) => Promise<void>, extraArgs?: string[]): Promise<BuildRun>;
  /** A query on the warehouse, between builds. */
  query(dir: string, sql: string): Promise<Row[]>;
}

/** The project: m (table, exported, with a downstream table), m_view (view), m_inc (incremental, append). */
export function auditProject(e: AuditEngine, extra: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'tx-audit-'));
  const files: Record<string, string> = {
    'project.yml': `name: auditproof\nvars:\n  ver: 1\n${e.targetYml}\n`,
    'models/m.sql': `{{ config(materialized='table') }}\nselect {{ var('ver') }} as ver, r.i as id from (${e.rows(50)}) r\n`,
    'models/m_view.sql': `{{ config(materialized='view') }}\nselect {{ var('ver') }} as ver\n`,
    'models/m_inc.sql': `{{ config(materialized='incremental') }}\nselect {{ var('ver') }} as ver, r.i as id from (${e.rows(3)}) r\n`,
    'models/down.sql': `{{ config(materialized='table') }}\nselect * from {{ ref('m') }}\n`,
    'models/schema.yml': dedent(`
      version: 2
      models:
        - name: m
          config:
            exports:
              - to: output/
                format: csv
          columns:
            - name: ver
              tests:
                - accepted_values: {values: [1, 2, 3], quote: false}
                - accepted_values: {values: [1], quote: false, severity: warn}
        - name: m_view
          columns:
            - name: ver
              tests:
                - accepted_values: {values: [1, 2, 3], quote: false}
        - name: m_inc
          columns:
            - name: ver
              tests:
                - accepted_values: {values: [1, 2, 3], quote: false}
    `),
    ...extra,
  };
  for (const [p, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, p)), { recursive: true });
    writeFileSync(join(dir, p), text);
  }
  return dir;
}

export interface Outcome {
  status: Record<string, string>;
  message: Record<string, string>;
}

/** Statuses and messages by name (`m`, `down`, `after:m` for the export step, test names) from target/tx_run.json. */
export function outcomeOf(dir: string): Outcome {
  const rr = JSON.parse(readFileSync(join(dir, 'target', 'tx_run.json'), 'utf8')) as { results: { unique_id: string; status: string; message?: string }[] };
  const status: Record<string, string> = {};
  const message: Record<string, string> = {};
  for (const r of rr.results) {
    // `model.p.m`, `test.p.name` or `test.p.name.<hash>` (dbt's ids), `source.p.src.table` (as `src.table`), `after:model.p.m`
    const parts = r.unique_id.split('.');
    const name = r.unique_id.startsWith('after:') ? `after:${parts[2]}` : parts[0] === 'source' ? parts.slice(2).join('.') : parts[2]!;
    status[name] = r.status;
    message[name] = r.message ?? '';
  }
  return { status, message };
}

const num = (v: unknown) => Number(v);

/** What the warehouse holds now: versions of m, m_view, m_inc and down, and row counts. */
export async function stateOf(e: AuditEngine, dir: string): Promise<{ m: number[]; mRows: number; view: number[]; inc: number[]; incRows: number; down: number[] }> {
  const s = e.schema;
  const vers = async (rel: string) => (await e.query(dir, `select distinct ver from ${s}.${rel} order by ver`)).map((r) => num(r.ver));
  const count = async (rel: string) => num((await e.query(dir, `select count(*) as n from ${s}.${rel}`))[0]!.n);
  return { m: await vers('m'), mRows: await count('m'), view: await vers('m_view'), inc: await vers('m_inc'), incRows: await count('m_inc'), down: await vers('down') };
}

/** Polls the three models until the build ends; every version seen, and how many polls ran. */
export function pollingReader(schema: string): { reader: NonNullable<Parameters<AuditEngine['build']>[2]>; seen: Set<number>; polls: () => number; errors: string[] } {
  const seen = new Set<number>();
  const errors: string[] = [];
  let polls = 0;
  return {
    seen,
    errors,
    polls: () => polls,
    reader: async (query, done) => {
      while (!done()) {
        for (const rel of ['m', 'm_view', 'm_inc']) {
          try {
            for (const r of await query(`select distinct ver from ${schema}.${rel}`)) seen.add(num(r.ver));
          } catch (err) {
            errors.push(`${rel}: ${(err as Error).message.split('\n')[0]}`);
          }
        }
        polls++;
      }
    },
  };
}

/** Files under `dir/output` (the export), or [] when there is none. */
export function exported(dir: string): string[] {
  const out = join(dir, 'output');
  if (!existsSync(out)) return [];
  return readdirSync(out, { recursive: true }).map(String).sort();
}

export function removeExports(dir: string): void {
  rmSync(join(dir, 'output'), { recursive: true, force: true });
}

/**
 * Files of a snapshot under audit (add them to auditProject): `src` (a table of 5 rows at version
 * `ver`, untested, so a bad version reaches the snapshot), `snap` (a check-strategy snapshot of it,
 * whose `ver` has an error-severity test) and `cur` (a table of the snapshot's current rows, downstream).
 */
export function snapshotFiles(e: AuditEngine): Record<string, string> {
  return {
    'models/src.sql': `{{ config(materialized='table') }}\nselect {{ var('ver') }} as ver, r.i as id from (${e.rows(5)}) r\n`,
    'snapshots/snap.sql': "{% snapshot snap %}\n{{ config(unique_key='id', strategy='check', check_cols=['ver']) }}\nselect * from {{ ref('src') }}\n{% endsnapshot %}\n",
    'snapshots/snap.yml': dedent(`
      version: 2
      snapshots:
        - name: snap
          columns:
            - name: ver
              data_tests:
                - accepted_values: {values: [1, 2, 3], quote: false}
            - name: id
              data_tests: [not_null]
    `),
    'models/cur.sql': `{{ config(materialized='table') }}\nselect ver, id from {{ ref('snap') }} where dbt_valid_to is null\n`,
  };
}

/** The snapshot's versions and row count, its current rows' versions, and `cur`'s versions. */
export async function snapshotStateOf(e: AuditEngine, dir: string): Promise<{ snap: number[]; snapRows: number; current: number[]; cur: number[] }> {
  const s = e.schema;
  const vers = async (sql: string) => (await e.query(dir, sql)).map((r) => num(r.ver));
  return {
    snap: await vers(`select distinct ver from ${s}.snap order by ver`),
    snapRows: num((await e.query(dir, `select count(*) as n from ${s}.snap`))[0]!.n),
    current: await vers(`select distinct ver from ${s}.snap where dbt_valid_to is null order by ver`),
    cur: await vers(`select distinct ver from ${s}.cur order by ver`),
  };
}

/** Polls the snapshot table until the build ends: every version seen, and read errors. */
export function snapshotReader(schema: string): { reader: NonNullable<Parameters<AuditEngine['build']>[2]>; seen: Set<number>; polls: () => number; errors: string[] } {
  const seen = new Set<number>();
  const errors: string[] = [];
  let polls = 0;
  return {
    seen,
    errors,
    polls: () => polls,
    reader: async (query, done) => {
      while (!done()) {
        try {
          for (const r of await query(`select distinct ver from ${schema}.snap`)) seen.add(num(r.ver));
        } catch (err) {
          errors.push((err as Error).message.split('\n')[0]!);
        }
        polls++;
        await new Promise((r) => setTimeout(r, 5));
      }
    },
  };
}

/** A project of the snapshot files alone (no m, m_view, m_inc): for engines where every statement costs seconds. */
export function snapshotProject(e: AuditEngine): string {
  const dir = mkdtempSync(join(tmpdir(), 'tx-audit-snap-'));
  const files: Record<string, string> = { 'project.yml': `name: auditproof\nvars:\n  ver: 1\n${e.targetYml}\n`, ...snapshotFiles(e) };
  for (const [p, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, p)), { recursive: true });
    writeFileSync(join(dir, p), text);
  }
  return dir;
}
