import { existsSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import {
  TargetError,
  type CopyToFileOptions,
  type Relation,
  type SnapshotBuild,
  type Target,
  type TargetConfig,
  type TargetFactory,
  type TargetLog,
  type TargetSession,
} from '../target.js';
import { DuckdbPool } from './duckdb-connection.js';
import { makeDirs } from '../files/make-dirs.js';
import { duckdbDialect as d, duckdbDialect } from './duckdb-dialect.js';
import { DuckdbIntrospector } from './duckdb-introspector.js';
import { DuckdbLoader } from './duckdb-loader.js';
import { DuckdbMaterializations } from './duckdb-materializations.js';
import { duckdbSnapshot } from './duckdb-snapshot.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Open the database file. DuckDB allows one writing process per file: a second tx waits
 * up to `lock_timeout` seconds for the first to finish, then stops with a clear message.
 */
async function openInstance(path: string, threads: number, lockTimeoutS: number, settings: Record<string, unknown>): Promise<DuckDBInstance> {
  if (path !== ':memory:') {
    try {
      makeDirs(dirname(path));
    } catch (e) {
      throw new TargetError(`cannot create the folder of DuckDB database ${path}: ${(e as Error).message}`, { cause: e });
    }
  }
  const deadline = Date.now() + lockTimeoutS * 1000;
  const options: Record<string, string> = { threads: String(Math.max(1, threads)) };
  for (const [k, v] of Object.entries(settings)) options[k] = String(v);
  for (;;) {
    try {
      return await DuckDBInstance.create(path, options);
    } catch (e) {
      const msg = (e as Error).message;
      if (!/lock/i.test(msg)) throw new TargetError(`cannot open DuckDB database ${path}: ${msg}`, { cause: e });
      if (Date.now() >= deadline) {
        const pid = /PID (\d+)/.exec(msg)?.[1];
        throw new TargetError(
          `the DuckDB file ${path} is in use by another process${pid ? ` (PID ${pid})` : ''}; waited ${lockTimeoutS}s. ` +
            `Another tx build is probably running: wait for it, or raise lock_timeout on the target.`,
          { cause: e },
        );
      }
      await sleep(250);
    }
  }
}

/**
 * `settings` again, with SET GLOBAL once the database is open: DuckDB accepts some options at
 * start-up and ignores them there (`disabled_compression_methods` reads back empty). One that can
 * only be given at start-up (access_mode, ...) was given there; any other error stops the open.
 */
async function applySettings(pool: DuckdbPool, settings: Record<string, unknown>): Promise<void> {
  for (const [k, v] of Object.entries(settings)) {
    if (!/^[A-Za-z_][\w]*$/.test(k)) throw new TargetError(`setting \`${k}\` is not a DuckDB setting name`);
    await pool.execute(`set global ${k} = ${d.literal(String(v))}`).catch((err: Error) => {
      if (/while database is running|cannot be changed|Cannot change/i.test(err.message)) return;
      throw new TargetError(`cannot apply DuckDB setting ${k} = ${String(v)}: ${err.message}`, { cause: err });
    });
  }
}

class DuckdbSession implements TargetSession {
  readonly dialect = duckdbDialect;
  private readonly intro: DuckdbIntrospector;
  private readonly mat: DuckdbMaterializations;
  private readonly loader: DuckdbLoader;

  constructor(
    private readonly instance: DuckDBInstance,
    readonly connection: DuckdbPool,
  ) {
    this.intro = new DuckdbIntrospector(connection);
    this.mat = new DuckdbMaterializations(connection, this.intro);
    this.loader = new DuckdbLoader(connection, this.intro);
  }

  private readonly schemas = new Map<string, Promise<void>>();

  /** Create a schema once per session: parallel nodes creating the same schema would conflict in DuckDB's catalog. */
  ensureSchema(schema: string, database?: string): Promise<void> {
    const name = database ? `${d.quoteIdentifier(database)}.${d.quoteIdentifier(schema)}` : d.quoteIdentifier(schema);
    let p = this.schemas.get(name);
    if (!p) {
      p = this.connection.execute(`create schema if not exists ${name}`).then(() => undefined);
      p.catch(() => this.schemas.delete(name));
      this.schemas.set(name, p);
    }
    return p;
  }
  async relationExists(r: Relation): Promise<boolean> {
    return (await this.intro.kind(r)) !== undefined;
  }
  columns(r: Relation) {
    return this.intro.columns(r);
  }
  materialize = (b: Parameters<TargetSession['materialize']>[0]) => this.mat.materialize(b);
  snapshot = (b: SnapshotBuild) => duckdbSnapshot(this.connection, this.intro, b);
  loadSeed = (s: Parameters<TargetSession['loadSeed']>[0]) => this.loader.loadSeed(s);
  loadFileSource = (l: Parameters<TargetSession['loadFileSource']>[0]) => this.loader.loadFileSource(l);

  async copyToFile(sql: string, path: string, o: CopyToFileOptions): Promise<{ rows: number }> {
    const opts = [`format ${o.format}`];
    if (o.compression) opts.push(`compression ${o.compression}`);
    if (o.format === 'csv') {
      opts.push(`header ${o.header === false ? 'false' : 'true'}`);
      if (o.delimiter) opts.push(`delimiter ${d.literal(o.delimiter)}`);
    }
    if (o.partitionBy?.length) opts.push(`partition_by (${o.partitionBy.map((p) => d.quoteIdentifier(p)).join(', ')})`);
    if (o.fileSizeBytes) opts.push(`file_size_bytes ${Math.floor(o.fileSizeBytes)}`);
    // TIMESTAMPTZ values are written in UTC (`+00`), as tx show prints them, whatever the machine's
    // zone: the session's zone is set on the one connection for the COPY and put back after.
    return this.connection.with(async (c) => {
      // Without ICU (the only way DuckDB knows other zones) they are UTC already.
      const zone = await this.connection
        .run(c, `select current_setting('TimeZone') as z`)
        .then((r) => String(r.rows?.[0]?.z))
        .catch(() => undefined);
      if (zone && zone !== 'UTC') await this.connection.run(c, `set TimeZone = 'UTC'`);
      try {
        const r = await this.connection.run(c, `copy (${sql}) to ${d.literal(path)} (${opts.join(', ')})`);
        return { rows: r.rowsAffected ?? 0 };
      } finally {
        if (zone && zone !== 'UTC') await this.connection.run(c, `set TimeZone = ${d.literal(zone)}`);
      }
    });
  }

  async dropRelation(r: Relation): Promise<void> {
    const kind = await this.intro.kind(r);
    if (kind) await this.connection.execute(`drop ${kind} ${d.relationName(r)}`);
  }

  async close(): Promise<void> {
    await this.connection.close();
    this.instance.closeSync();
  }
}

class DuckdbTarget implements Target {
  readonly dialect = duckdbDialect;
  readonly info;
  constructor(
    readonly name: string,
    private readonly config: TargetConfig,
  ) {
    this.info = { type: 'duckdb', schema: String(config.schema ?? 'main'), database: config.database as string | undefined, threads: Number(config.threads ?? 2) };
  }

  async open(opts: { log: TargetLog; threads: number }): Promise<TargetSession> {
    const path = String(this.config.path);
    const instance = await openInstance(path, opts.threads, Number(this.config.lock_timeout ?? 10), (this.config.settings as Record<string, unknown>) ?? {});
    const pool = new DuckdbPool(instance, Math.max(1, opts.threads), opts.log);
    await pool.execute('load icu').catch(() => undefined);
    try {
      await applySettings(pool, (this.config.settings as Record<string, unknown>) ?? {});
      // dbt-duckdb's profile keys: extensions installed and loaded, databases attached (compiler/load/dbt-project.ts builds the ATTACH statements)
      for (const ext of Array.isArray(this.config.extensions) ? this.config.extensions : []) {
        const e = String(ext);
        if (!/^[A-Za-z_][\w]*$/.test(e)) throw new TargetError(`extension \`${e}\` is not an extension name`);
        await pool.execute(`install ${e}`).catch(() => undefined); // built in, or already installed: LOAD says if it is missing
        await pool.execute(`load ${e}`).catch((err: Error) => {
          throw new TargetError(`cannot load DuckDB extension ${e}: ${err.message}`, { cause: err });
        });
      }
      for (const sql of Array.isArray(this.config.attach) ? this.config.attach.map(String) : []) {
        await pool.execute(sql).catch((err: Error) => {
          throw new TargetError(`${sql} failed: ${err.message}`, { cause: err });
        });
      }
    } catch (e) {
      await pool.close().catch(() => undefined);
      instance.closeSync();
      throw e;
    }
    return new DuckdbSession(instance, pool);
  }

  /**
   * Reachable means tx could build on the file: an existing file opens (read-only, so a lock held
   * by another process shows), a new one could be created in its folder. Nothing is written.
   */
  async ping(): Promise<string> {
    const path = String(this.config.path);
    let instance: DuckDBInstance;
    if (path !== ':memory:' && existsSync(path)) {
      try {
        instance = await DuckDBInstance.create(path, { access_mode: 'READ_ONLY' });
      } catch (e) {
        throw new TargetError(`cannot open ${path}: ${(e as Error).message}`, { cause: e });
      }
    } else {
      if (path !== ':memory:') {
        // the folder must be creatable (as the build would create it); undo what this made
        try {
          const made = makeDirs(dirname(path));
          if (made) rmSync(made, { recursive: true, force: true });
        } catch (e) {
          throw new TargetError(`cannot create ${path}: ${(e as Error).message}`, { cause: e });
        }
      }
      instance = await DuckDBInstance.create(':memory:');
    }
    const c = await instance.connect();
    const r = await c.runAndReadAll('select version() as v');
    const v = String(r.getRowObjectsJS()[0]!.v);
    c.closeSync();
    instance.closeSync();
    return `DuckDB ${v} (file ${path}${existsSync(path) ? '' : ', will be created'})`;
  }
}

export const createDuckdbTarget: TargetFactory = (name, config) => new DuckdbTarget(name, config);
