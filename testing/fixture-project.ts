/**
 * Small tx projects for tests: write a project folder from a map of files into a fresh temp
 * dir, run the built CLI on it as a child process (with a timeout), and read the resulting
 * DuckDB file read-only with @duckdb/node-api.
 *
 *     const fx = fixtureProject({ 'project.yml': 'name: demo\n', 'models/a.sql': 'select 1 as id' });
 *     const r = await fx.tx('build');            // { code, stdout, stderr, ms }
 *     expect(await fx.query('select * from main.a')).toEqual([{ id: 1 }]);
 *     fx.cleanup();
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import { compileProject, type CompileOptions, type CompiledProject } from '../compiler/compile/compile-project.js';
import { TxError } from '../compiler/errors.js';
import { loadProject } from '../compiler/load/load-project.js';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** The built CLI (`npm run build` writes it). */
export const CLI = join(REPO_ROOT, 'dist', 'compiler', 'cli.js');

/** The parts of a tx project a copy needs: everything but its build output. */
export const PROJECT_PARTS = ['project.yml', 'models', 'macros', 'seeds', 'tests', 'data'] as const;

/**
 * Copy a project (the example project at the repository root by default) into `to`, so a test
 * or benchmark gets its own target/ folder and DuckDB file. Parts a project does not have are
 * left out: only project.yml is required.
 */
export function copyProject(to: string, from: string = REPO_ROOT): string {
  for (const part of PROJECT_PARTS) {
    if (existsSync(join(from, part))) cpSync(join(from, part), join(to, part), { recursive: true });
  }
  return to;
}

let snapshotCli: string | undefined;

/** Files of dist/ the CLI needs (no benchmarks, no source maps), relative, sorted. */
function distFiles(): string[] {
  return (readdirSync(join(REPO_ROOT, 'dist'), { recursive: true }) as string[])
    .filter((f) => !f.startsWith(`bench${sep}`) && !f.endsWith('.map') && statSync(join(REPO_ROOT, 'dist', f)).isFile())
    .sort();
}

/** A key of the built CLI: every file's path, size and mtime, plus schemas/ and package.json. */
function distKey(files: string[]): string {
  const h = createHash('sha1');
  const add = (abs: string, rel: string) => {
    const st = statSync(abs);
    h.update(`${rel}\0${st.size}\0${st.mtimeMs}\n`);
  };
  for (const f of files) add(join(REPO_ROOT, 'dist', f), `dist/${f}`);
  for (const f of readdirSync(join(REPO_ROOT, 'schemas')).sort()) add(join(REPO_ROOT, 'schemas', f), `schemas/${f}`);
  add(join(REPO_ROOT, 'package.json'), 'package.json');
  return h.digest('hex').slice(0, 16);
}

/**
 * The CLI the tests run: a private copy of dist/ (with package.json, schemas/ and a link to
 * node_modules), so a `npm run build` running beside the tests cannot hand a child process
 * half-written modules. One copy per build of dist/, shared by test files and reused across
 * runs; copies older than a day are removed. TX_TEST_LIVE_DIST=1 runs dist/ in place.
 */
export function cliPath(): string {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first`);
  if (process.env.TX_TEST_LIVE_DIST) return CLI;
  if (snapshotCli) return snapshotCli;
  for (let attempt = 0; ; attempt++) {
    const files = distFiles();
    const key = distKey(files);
    const root = join(tmpdir(), `tx-cli-${key}`);
    if (existsSync(join(root, '.complete'))) return (snapshotCli = join(root, 'dist', 'compiler', 'cli.js'));
    const tmp = mkdtempSync(`${root}.tmp-`);
    for (const f of files) {
      mkdirSync(dirname(join(tmp, 'dist', f)), { recursive: true });
      cpSync(join(REPO_ROOT, 'dist', f), join(tmp, 'dist', f));
    }
    cpSync(join(REPO_ROOT, 'schemas'), join(tmp, 'schemas'), { recursive: true });
    cpSync(join(REPO_ROOT, 'package.json'), join(tmp, 'package.json'));
    symlinkSync(join(REPO_ROOT, 'node_modules'), join(tmp, 'node_modules'), 'dir');
    // dist/ changed while it was copied (a build beside the tests): copy again
    if (distKey(distFiles()) !== key && attempt < 5) {
      rmSync(tmp, { recursive: true, force: true });
      continue;
    }
    writeFileSync(join(tmp, '.complete'), key);
    try {
      renameSync(tmp, root);
    } catch {
      rmSync(tmp, { recursive: true, force: true }); // another test file made the same copy first
    }
    for (const old of readdirSync(tmpdir())) {
      const abs = join(tmpdir(), old);
      if (old.startsWith('tx-cli-') && abs !== root && Date.now() - statSync(abs).mtimeMs > 86_400_000) rmSync(abs, { recursive: true, force: true });
    }
    return (snapshotCli = join(root, 'dist', 'compiler', 'cli.js'));
  }
}

export type Files = Record<string, string | Uint8Array>;
export type Row = Record<string, unknown>;

export interface TxRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** stdout and stderr together, for "does the output say X" checks. */
  output: string;
  ms: number;
  timedOut: boolean;
}

export interface RunOptions {
  cwd?: string;
  /** Extra environment; `undefined` values remove a variable. */
  env?: Record<string, string | undefined>;
  timeoutMs?: number;
}

/** Strip common leading indentation, so YAML and SQL can be written indented in tests. */
export function dedent(text: string): string {
  const lines = text.replace(/^\n/, '').split('\n');
  const indents = lines.filter((l) => l.trim()).map((l) => /^ */.exec(l)![0].length);
  const cut = indents.length ? Math.min(...indents) : 0;
  return lines.map((l) => l.slice(cut)).join('\n');
}

/** Write `files` (paths relative to `dir`) into `dir`, creating folders. */
export function writeFiles(dir: string, files: Files): void {
  for (const [rel, content] of Object.entries(files)) {
    const abs = join(dir, rel);
    mkdirSync(dirname(abs), { recursive: true });
    writeFileSync(abs, content);
  }
}

/** Run the built tx CLI with `args`; never throws, kills it after `timeoutMs`. */
export function runCli(args: string[], o: RunOptions = {}): Promise<TxRun> {
  const cli = cliPath();
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', FORCE_COLOR: undefined };
  delete env.TX_TARGET;
  for (const [k, v] of Object.entries(o.env ?? {})) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  const t0 = performance.now();
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [cli, ...args], { cwd: o.cwd ?? tmpdir(), env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, o.timeoutMs ?? 60_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolvePromise({ code, signal, stdout, stderr, output: `${stdout}\n${stderr}`, ms: performance.now() - t0, timedOut });
    });
  });
}

/** BigInts (DuckDB BIGINT/HUGEINT, counts) as numbers when exact, so rows compare with plain literals. */
function plain(v: unknown): unknown {
  if (typeof v === 'bigint') return v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(v) : v.toString();
  if (Array.isArray(v)) return v.map(plain);
  if (v && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  }
  return v;
}

/** Run `sql` on a DuckDB file opened read-only, then close it (so a tx process can open it again). */
export async function queryDuckdb(dbFile: string, sql: string): Promise<Row[]> {
  if (!existsSync(dbFile)) throw new Error(`no DuckDB file at ${dbFile}`);
  return runOnce(dbFile, { access_mode: 'READ_ONLY' }, sql);
}

/** Open a DuckDB database, run one statement, close it; rows with plain numbers. */
async function runOnce(path: string, options: Record<string, string>, sql: string): Promise<Row[]> {
  const instance = await DuckDBInstance.create(path, options);
  try {
    const conn = await instance.connect();
    try {
      const reader = await conn.runAndReadAll(sql);
      return (reader.getRowObjectsJS() as Row[]).map((r) => plain(r) as Row);
    } finally {
      conn.closeSync();
    }
  } finally {
    instance.closeSync();
  }
}

export interface RelationRow {
  schema: string;
  name: string;
  type: 'table' | 'view';
}

/** Every table and view in a DuckDB file (information_schema), sorted by schema then name. */
export async function relationsOf(dbFile: string): Promise<RelationRow[]> {
  const rows = await queryDuckdb(
    dbFile,
    `select table_schema as schema, table_name as name, table_type as type from information_schema.tables
     where table_catalog = current_database() order by 1, 2`,
  );
  return rows.map((r) => ({ schema: String(r.schema), name: String(r.name), type: String(r.type).toUpperCase() === 'VIEW' ? 'view' : 'table' }));
}

/** sha256 of a file, or null when it does not exist: "nothing was written" checks. */
export function fingerprint(path: string): string | null {
  if (!existsSync(path)) return null;
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

export interface FixtureProject {
  dir: string;
  /** Absolute path of a project file. */
  path(rel: string): string;
  /** The default target's DuckDB file: `<name>.duckdb` beside project.yml unless `dbFile` was given. */
  dbFile: string;
  write(files: Files): void;
  read(rel: string): string;
  exists(rel: string): boolean;
  remove(rel: string): void;
  /** Run tx in the project: `--project-dir` is added. */
  tx(...args: string[]): Promise<TxRun>;
  /** Same, with options (env, timeout, cwd). */
  txWith(o: RunOptions, ...args: string[]): Promise<TxRun>;
  /** Query the project's DuckDB file (or another one) read-only. */
  query(sql: string, dbFile?: string): Promise<Row[]>;
  relations(dbFile?: string): Promise<RelationRow[]>;
  /** target/manifest.json, target/run_results.json and similar, parsed. */
  json<T = Record<string, unknown>>(rel: string): T;
  /** A copy of the whole folder (database file included) in a fresh temp dir. */
  copy(): FixtureProject;
  cleanup(): void;
}

/**
 * Write a project folder from `files` into a fresh temp dir. When `project.yml` is absent it is
 * written as `name: <name>`. `dbFile` is where the default DuckDB target puts its file.
 */
export function fixtureProject(files: Files, opts: { name?: string; prefix?: string; dbFile?: string; copyFrom?: string } = {}): FixtureProject {
  const dir = mkdtempSync(join(tmpdir(), opts.prefix ?? 'tx-fx-'));
  if (opts.copyFrom) cpSync(opts.copyFrom, dir, { recursive: true });
  const all: Files = { ...files };
  const name = opts.name ?? 'fx';
  // a dbt project (dbt_project.yml) gets no project.yml beside it
  const file = 'dbt_project.yml' in all || existsSync(join(dir, 'dbt_project.yml')) ? 'dbt_project.yml' : 'project.yml';
  if (!(file in all) && !existsSync(join(dir, file))) all[file] = `name: ${name}\n`;
  writeFiles(dir, all);
  const projectYml = file in all ? String(all[file]) : readFileSync(join(dir, file), 'utf8');
  const projectName = /^name:\s*['"]?([A-Za-z0-9_]+)/m.exec(projectYml)?.[1] ?? name;
  const dbFile = opts.dbFile ? resolve(dir, opts.dbFile) : join(dir, `${projectName}.duckdb`);
  const fx: FixtureProject = {
    dir,
    dbFile,
    path: (rel) => join(dir, rel),
    write: (f) => writeFiles(dir, f),
    read: (rel) => readFileSync(join(dir, rel), 'utf8'),
    exists: (rel) => existsSync(join(dir, rel)),
    remove: (rel) => rmSync(join(dir, rel), { recursive: true, force: true }),
    tx: (...args) => runCli([...args, '--project-dir', dir], { cwd: dir }),
    txWith: (o, ...args) => runCli([...args, '--project-dir', dir], { cwd: dir, ...o }),
    query: (sql, db) => queryDuckdb(db ?? dbFile, sql),
    relations: (db) => relationsOf(db ?? dbFile),
    json: <T>(rel: string) => JSON.parse(readFileSync(join(dir, rel), 'utf8')) as T,
    copy: () => fixtureProject({}, { ...opts, copyFrom: dir, dbFile: dbFile.startsWith(dir) ? dbFile.slice(dir.length + 1) : dbFile }),
    cleanup: () => {
      // TX_FX_KEEP=1 keeps fixture folders for debugging a failing test
      if (process.env.TX_FX_KEEP) process.stderr.write(`kept fixture ${dir}\n`);
      else rmSync(dir, { recursive: true, force: true });
    },
  };
  return fx;
}

/** Size and mtime of a file, or null: a cheap "was it touched" check beside `fingerprint`. */
export function statOf(path: string): { size: number; mtimeMs: number } | null {
  if (!existsSync(path)) return null;
  const s = statSync(path);
  return { size: s.size, mtimeMs: s.mtimeMs };
}

/** A line of output that matches `re`, or undefined. */
export function lineMatching(text: string, re: RegExp): string | undefined {
  return text.split('\n').find((l) => re.test(l));
}

// ------------------------------------------------------------------ in-process load + compile


/** Write a project (see `fixtureProject`) and compile it in this process: no CLI, no database. */
export async function compileFixture(files: Files, opts: CompileOptions & { name?: string } = {}): Promise<CompiledProject & { fx: FixtureProject }> {
  const fx = fixtureProject(files, { name: opts.name });
  try {
    const compiled = await compileProject(loadProject(fx.dir), opts);
    return Object.assign(compiled, { fx });
  } finally {
    fx.cleanup();
  }
}

/** The TxError that compiling `files` throws (fails the test when it compiles). */
export async function compileError(files: Files, opts: CompileOptions = {}): Promise<TxError> {
  try {
    await compileFixture(files, opts);
  } catch (e) {
    if (e instanceof TxError) return e;
    throw new Error(`expected a TxError, got ${(e as Error).stack ?? String(e)}`);
  }
  throw new Error('expected compiling the fixture to fail, but it compiled');
}

/** A compiled model's SQL, trimmed. */
export function compiledSql(c: CompiledProject, model: string): string {
  const n = [...c.nodes.values()].find((x) => x.resourceType === 'model' && x.name === model);
  if (!n) throw new Error(`no model ${model} (models: ${[...c.nodes.values()].filter((x) => x.resourceType === 'model').map((x) => x.name).join(', ')})`);
  return (n.compiledSql ?? '').trim();
}

/** Run SQL on a throwaway in-memory DuckDB (e.g. `copy (...) to 'x.parquet'` to make fixture files). */
export async function duckdbMemory(sql: string): Promise<Row[]> {
  return runOnce(':memory:', {}, sql);
}

/**
 * Start `fn` at the first call and share its promise afterwards. A test file starts every
 * fixture pipeline (CLI runs, then queries) in one `beforeAll`, so they run at the same time,
 * and each test awaits the pipeline it asserts on.
 */
export function once<T>(fn: () => Promise<T>): () => Promise<T> {
  let p: Promise<T> | undefined;
  return () => {
    if (!p) {
      p = fn();
      p.catch(() => undefined); // reported by the tests that await it, not as an unhandled rejection
    }
    return p;
  };
}

/** Run each query of `queries` on a DuckDB file; results by the same keys. */
export async function snapshot<K extends string>(dbFile: string, queries: Record<K, string>): Promise<Record<K, Row[]>> {
  const out = {} as Record<K, Row[]>;
  const instance = await DuckDBInstance.create(dbFile, { access_mode: 'READ_ONLY' });
  try {
    const conn = await instance.connect();
    try {
      for (const [k, sql] of Object.entries(queries) as [K, string][]) {
        out[k] = ((await conn.runAndReadAll(sql)).getRowObjectsJS() as Row[]).map((r) => plain(r) as Row);
      }
    } finally {
      conn.closeSync();
    }
  } finally {
    instance.closeSync();
  }
  return out;
}
