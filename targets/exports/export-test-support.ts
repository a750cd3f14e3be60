/**
 * Shared setup for the exporters' tests and benchmark: a real DuckDB target session with sample
 * tables, a session wrapper without `copyToFile` (to drive the streaming path), a recording
 * log, request builders, and readers that load exported files back with DuckDB.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Relation, TargetLog, TargetSession } from '../target.js';
import { createDuckdbTarget } from '../duckdb/index.js';
import type { ExportRequest } from './index.js';
import { LocalDuckdb, quoteLiteral } from './local-duckdb.js';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CITIES_PARQUET = path.join(REPO_ROOT, 'data', 'us_cities_dimension.parquet');

export interface RecordingLog extends TargetLog {
  lines: string[];
}

export function recordingLog(): RecordingLog {
  const lines: string[] = [];
  return {
    lines,
    statement: (sql) => void lines.push(`sql: ${sql}`),
    info: (m) => void lines.push(`info: ${m}`),
    warn: (m) => void lines.push(`warn: ${m}`),
  };
}

export interface DuckdbFixture {
  dir: string;
  session: TargetSession;
  log: RecordingLog;
  close(): Promise<void>;
}

/** A real DuckDB target session on a fresh database file in a temp folder. */
export async function duckdbFixture(prefix = 'tx-exp-'): Promise<DuckdbFixture> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const log = recordingLog();
  const target = createDuckdbTarget('dev', { type: 'duckdb', path: path.join(dir, 'dev.duckdb') }, dir);
  const session = await target.open({ log, threads: 2 });
  return {
    dir,
    session,
    log,
    close: async () => {
      await session.close().catch(() => undefined);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export const CITIES: Relation = { schema: 'main', identifier: 'cities' };
export const TYPED: Relation = { schema: 'main', identifier: 'typed' };

/** `main.cities` (28,338 rows from the sample data) and `main.typed` (awkward values of many types). */
export async function createSampleTables(session: TargetSession): Promise<void> {
  await session.connection.execute(`create or replace table main.cities as select * from read_parquet(${quoteLiteral(CITIES_PARQUET)})`);
  await session.connection.execute(`create or replace table main.typed as
    select i::integer as id,
           (i * 1000000007)::bigint as big,
           (i / 7.0)::double as ratio,
           (i * 1.25)::decimal(12,2) as amount,
           (date '2024-01-01' + i::integer) as day,
           (timestamp '2024-01-01 10:00:00' + to_seconds(i * 3661)) as ts,
           (i % 2 = 0) as flag,
           case when i % 5 = 0 then null else 'row "' || i || '", with, commas' || chr(10) || 'and a newline é' end as note,
           ['CA', 'NY', 'TX'][1 + i % 3] as state
    from range(0, 2500) t(i)`);
}

/** The same session, minus `copyToFile`: exports must stream rows out (as from PostgreSQL/Hive). */
export function streamOnly(session: TargetSession): TargetSession {
  return {
    dialect: session.dialect,
    connection: session.connection,
    ensureSchema: (s, d) => session.ensureSchema(s, d),
    relationExists: (r) => session.relationExists(r),
    columns: (r) => session.columns(r),
    materialize: (b) => session.materialize(b),
    loadSeed: (s) => session.loadSeed(s),
    loadFileSource: (l) => session.loadFileSource(l),
    dropRelation: (r) => session.dropRelation(r),
    close: () => session.close(),
  };
}

export function relationName(r: Relation): string {
  return `"${r.schema}"."${r.identifier}"`;
}

/** A request for `relation` with sensible defaults; `spec` is the `exports:` entry. */
export function request(
  fx: { session: TargetSession; log: TargetLog },
  spec: Record<string, unknown>,
  opts: { relation?: Relation; projectDir: string; exportRoots?: string[] } & Partial<ExportRequest>,
): ExportRequest {
  const { relation: given, exportRoots, ...rest } = opts;
  const relation = given ?? CITIES;
  return {
    spec,
    node: { name: relation.identifier, uniqueId: `model.test.${relation.identifier}`, relation, relationName: relationName(relation) },
    session: fx.session,
    exportRoots: exportRoots ?? [path.join(opts.projectDir, 'output')],
    renderTemplate: (t) => t.replace(/\{\{\s*this\.name\s*\}\}/g, relation.identifier).replace(/\{\{\s*run_started_at[^}]*\}\}/g, '2024-05-01-10-00-00'),
    openTarget: async (name) => {
      throw new Error(`no target named ${name}`);
    },
    log: fx.log,
    tuning: { retry: { attempts: 2, baseDelayMs: 50, maxDelayMs: 100 } },
    ...rest,
  };
}

/** Decompress a .bz2 file with an independent decoder (the bzip2 tool, else Python's bz2). */
export function bunzip2(file: string, out: string): void {
  try {
    fs.writeFileSync(out, execFileSync('bzip2', ['-dc', file], { maxBuffer: 1 << 30 }));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    execFileSync('python3', ['-c', 'import bz2,sys,shutil; shutil.copyfileobj(bz2.open(sys.argv[1]), open(sys.argv[2], "wb"))', file, out]);
  }
}

/**
 * Rows of `relation` that differ from rows read back from `files` (both directions, with
 * duplicates): 0 means the same multiset of rows. Files are read with the source's column
 * types; `.bz2` files are decompressed first.
 */
export async function diffRows(
  session: TargetSession,
  relation: Relation,
  files: string[],
  format: 'parquet' | 'csv' | 'json',
  opts: { delimiter?: string; header?: boolean; exclude?: string[]; hivePartitioning?: boolean } = {},
): Promise<{ missing: number; extra: number; readBack: number }> {
  const plain = files.map((f) => {
    if (!f.endsWith('.bz2')) return f;
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tx-bz-')), path.basename(f, '.bz2'));
    bunzip2(f, out);
    return out;
  });
  const cols = (await session.columns(relation)).filter((c) => !(opts.exclude ?? []).includes(c.name));
  const list = `[${plain.map(quoteLiteral).join(', ')}]`;
  const colMap = `{${cols.map((c) => `${quoteLiteral(c.name)}: ${quoteLiteral(c.type)}`).join(', ')}}`;
  const hive = opts.hivePartitioning ? ', hive_partitioning = true' : '';
  const reader =
    format === 'parquet'
      ? `read_parquet(${list}${hive}, union_by_name = true)`
      : format === 'csv'
        ? `read_csv(${list}, header = ${opts.header ?? true}, delim = ${quoteLiteral(opts.delimiter ?? ',')}, quote = '"', escape = '"', columns = ${colMap}${hive})`
        : `read_json(${list}, format = 'newline_delimited', columns = ${colMap}${hive})`;
  const names = cols.map((c) => `"${c.name}"`).join(', ');
  const src = `select ${names} from ${relationName(relation)}`;
  const back = `select ${cols.map((c) => `cast("${c.name}" as ${c.type}) as "${c.name}"`).join(', ')} from ${reader}`;
  const q = async (sql: string) => Number((await session.connection.query(sql))[0]!.n);
  return {
    missing: await q(`select count(*)::bigint as n from (${src} except all ${back})`),
    extra: await q(`select count(*)::bigint as n from (${back} except all ${src})`),
    readBack: await q(`select count(*)::bigint as n from (${back})`),
  };
}

/** Every file under `dir`, relative, sorted. */
export function listTree(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string, rel: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(path.join(d, e.name), r);
      else out.push(r);
    }
  };
  if (fs.existsSync(dir)) walk(dir, '');
  return out.sort();
}

/** Count rows in a parquet file with a private DuckDB (independent of the session). */
export async function parquetRows(file: string): Promise<number> {
  const db = await LocalDuckdb.open();
  try {
    return Number((await db.query(`select count(*)::bigint as n from read_parquet(${quoteLiteral(file)})`))[0]!.n);
  } finally {
    db.close();
  }
}
