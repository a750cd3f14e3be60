/**
 * The Hive target: HiveServer2 over Thrift (Apache Hive, or the Spark Thrift Server).
 *
 * project.yml:
 *   targets:
 *     hive:
 *       type: hive
 *       host: "{{ env_var('TX_HIVE_HOST', '127.0.0.1') }}"
 *       port: "{{ env_var('TX_HIVE_PORT', '10000') }}"
 *       schema: prescpipeline            # the Hive database (alias: database)
 *       auth: NONE                       # NONE | PLAIN | LDAP (user+password) | NOSASL; KERBEROS is refused
 *       user: tx
 *       password: "{{ env_var('TX_HIVE_PASSWORD', '') }}"
 *       session_settings: { spark.sql.shuffle.partitions: 8 }
 *       file_format: parquet             # default for tables (orc, delta, iceberg, ...)
 *       location_root: /data/warehouse   # optional: tables become external, under this folder
 *       retries: 2                       # reconnect attempts; retry-safe statements are repeated
 *       connect_timeout: 30              # seconds
 *       query_timeout: 0                 # seconds per statement, 0 = none; cancelled on the server
 *       load_method: auto                # auto | parquet | values (how seeds and file sources travel)
 *       landing_dir: /shared/tx-landing  # optional: a folder this machine and the server both see
 *       engine_paths: [hdfs://, s3a://]  # URL prefixes the server reads itself: sources read and exports written by Spark
 *       scratch_dir: hdfs:///tmp/tx      # the engine's scratch space (tx debug's probe; engine-side export temp folders)
 */
import path from 'node:path';
import {
  TargetError,
  type ColumnInfo,
  type EngineWriteRequest,
  type EngineWrittenFile,
  type Relation,
  type Target,
  type TargetConfig,
  type TargetFactory,
  type TargetInfo,
  type TargetLog,
  type TargetSession,
} from '../target.js';
import { HiveConnection, type HiveAuth, type HiveConnectionConfig } from './hive-connection.js';
import { hiveDialect } from './hive-dialect.js';
import { HiveIntrospector } from './hive-introspector.js';
import { engineProbe, engineWriteFolder } from './hive-engine-export.js';
import { HiveLoader, localLandingDir, type HiveLoadConfig } from './hive-loader.js';
import { HiveMaterializations, localPath, type HiveTableDefaults } from './hive-materializations.js';
import { hiveSnapshot } from './hive-snapshot.js';

const d = hiveDialect;

/** A config value, with `''` (an unset env_var() default) treated as absent. */
function val(config: TargetConfig, ...keys: string[]): unknown {
  for (const k of keys) {
    const v = config[k];
    if (v !== undefined && v !== null && v !== '') return v;
  }
  return undefined;
}

/** Seconds as a number, or a string like `30`, `30s`, `500ms`, `2m`; returns milliseconds. */
export function durationMs(v: unknown, key: string, fallbackS: number): number {
  if (v === undefined) return fallbackS * 1000;
  if (typeof v === 'number' && Number.isFinite(v) && v >= 0) return v * 1000;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(String(v));
  if (!m) throw new TargetError(`hive target: ${key} must be a number of seconds (or like 500ms, 30s, 5m), got ${JSON.stringify(v)}`);
  const n = Number(m[1]);
  const unit = m[2] ?? 's';
  return n * (unit === 'ms' ? 1 : unit === 's' ? 1000 : unit === 'm' ? 60_000 : 3_600_000);
}

function int(v: unknown, key: string, fallback: number): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new TargetError(`hive target: ${key} must be a whole number, got ${JSON.stringify(v)}`);
  return n;
}

const AUTHS: HiveAuth[] = ['NONE', 'PLAIN', 'LDAP', 'NOSASL', 'KERBEROS'];

export interface HiveTargetSettings {
  /** URL prefixes the server reads and writes itself (`engine_paths`). */
  enginePaths: string[];
  /** The engine's scratch space (`scratch_dir`), a URL the server writes; null when not set. */
  scratchDir: string | null;
  connection: HiveConnectionConfig;
  schema: string;
  threads: number;
  tables: HiveTableDefaults;
  load: HiveLoadConfig;
}

/** Reads and checks the target config (values already rendered, so env_var() strings arrive here). */
export function hiveSettings(name: string, config: TargetConfig): HiveTargetSettings {
  const host = String(val(config, 'host') ?? '127.0.0.1');
  const port = int(val(config, 'port'), 'port', 10000);
  if (port < 1 || port > 65535) throw new TargetError(`hive target \`${name}\`: port must be 1..65535, got ${port}`);
  const authRaw = String(val(config, 'auth', 'auth_mechanism') ?? 'NONE').toUpperCase();
  const auth = (authRaw === 'GSSAPI' ? 'KERBEROS' : authRaw) as HiveAuth;
  if (!AUTHS.includes(auth)) {
    throw new TargetError(`hive target \`${name}\`: auth must be one of NONE, PLAIN, LDAP, NOSASL (got ${authRaw})`);
  }
  if (auth === 'KERBEROS') {
    throw new TargetError(
      `hive target \`${name}\`: auth KERBEROS is not supported by tx (supported: NONE, PLAIN, LDAP with user and password, NOSASL); ` +
        `use an LDAP/PLAIN endpoint of HiveServer2 or a gateway such as Apache Knox`,
    );
  }
  const user = val(config, 'user', 'username') as string | undefined;
  const password = val(config, 'password') as string | undefined;
  if ((auth === 'PLAIN' || auth === 'LDAP') && !user) {
    throw new TargetError(`hive target \`${name}\`: auth ${auth} needs a user (and usually a password)`);
  }
  const settingsRaw = config.session_settings;
  if (settingsRaw !== undefined && (typeof settingsRaw !== 'object' || settingsRaw === null || Array.isArray(settingsRaw))) {
    throw new TargetError(`hive target \`${name}\`: session_settings must be a map of setting: value`);
  }
  const sessionSettings: Record<string, string> = {};
  for (const [k, v] of Object.entries((settingsRaw as Record<string, unknown>) ?? {})) {
    if (!/^[\w.:-]+$/.test(k)) throw new TargetError(`hive target \`${name}\`: session setting name \`${k}\` is not a valid setting name`);
    sessionSettings[k] = String(v);
  }
  const schema = String(val(config, 'schema', 'database') ?? 'default');
  const locationRoot = val(config, 'location_root') as string | undefined;
  const fileFormat = String(val(config, 'file_format') ?? 'parquet').toLowerCase();
  const loopback = /^(127\.\d+\.\d+\.\d+|localhost|::1|\[::1\])$/i.test(host);
  const explicitLanding = val(config, 'landing_dir') as string | undefined;
  const rootLocal = locationRoot ? localPath(locationRoot) : null;
  const landingDir = explicitLanding ? path.resolve(explicitLanding) : loopback ? localLandingDir() : rootLocal ? path.join(rootLocal, '_tx_landing') : null;
  const method = String(val(config, 'load_method') ?? 'auto').toLowerCase();
  if (!['auto', 'parquet', 'values'].includes(method)) throw new TargetError(`hive target \`${name}\`: load_method must be auto, parquet or values`);
  if (method === 'parquet' && !landingDir) {
    throw new TargetError(
      `hive target \`${name}\`: load_method parquet needs a folder that both tx and the server can read: set landing_dir (or a local location_root)`,
    );
  }
  const enginePaths = enginePathList(name, config.engine_paths);
  const scratchRaw = val(config, 'scratch_dir') as string | undefined;
  const scratchDir = scratchRaw ? (/^[a-z][a-z0-9+.-]*:\/\//i.test(scratchRaw) ? scratchRaw : `file://${path.resolve(scratchRaw)}`) : null;
  return {
    enginePaths,
    scratchDir,
    connection: {
      host,
      port,
      auth,
      user,
      password,
      sessionSettings,
      connectTimeoutMs: durationMs(val(config, 'connect_timeout'), 'connect_timeout', 30),
      queryTimeoutMs: durationMs(val(config, 'query_timeout'), 'query_timeout', 0),
      retries: int(val(config, 'retries'), 'retries', 2),
      fetchSize: int(val(config, 'fetch_size'), 'fetch_size', 10_000) || 10_000,
    },
    schema,
    threads: int(val(config, 'threads'), 'threads', 4) || 4,
    tables: { fileFormat, locationRoot },
    load: {
      landingDir,
      method: method as HiveLoadConfig['method'],
      valuesMaxBytes: int(val(config, 'values_max_bytes'), 'values_max_bytes', 64 * 1024),
      valuesBatchRows: int(val(config, 'values_batch_rows'), 'values_batch_rows', 500) || 500,
      fileFormat,
      enginePaths,
    },
  };
}

/** `engine_paths`: a list (or comma-separated string) of URL prefixes such as `hdfs://`, `s3a://bucket/`, `file:///data/`. */
function enginePathList(name: string, raw: unknown): string[] {
  if (raw === undefined || raw === null || raw === '') return [];
  const list = Array.isArray(raw) ? raw.map(String) : String(raw).split(',');
  return list
    .map((x) => x.trim())
    .filter(Boolean)
    .map((x) => {
      if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(x)) {
        throw new TargetError(`hive target \`${name}\`: engine_paths entries are URL prefixes such as hdfs://, s3a://bucket/ or file:///data/ (got ${JSON.stringify(x)})`);
      }
      return x;
    });
}

class HiveSession implements TargetSession {
  readonly dialect = hiveDialect;
  readonly intro: HiveIntrospector;
  readonly mat: HiveMaterializations;
  private readonly loader: HiveLoader;
  private readonly snapshotDefaults: { tables: HiveTableDefaults; log: TargetLog };
  private readonly enginePaths: string[];

  constructor(
    readonly connection: HiveConnection,
    settings: HiveTargetSettings,
    private readonly log: TargetLog,
    threads: number = settings.threads,
  ) {
    this.enginePaths = settings.enginePaths;
    const spark = (): boolean => connection.serverInfo()?.spark ?? true;
    this.intro = new HiveIntrospector(connection);
    this.snapshotDefaults = { tables: settings.tables, log };
    this.mat = new HiveMaterializations(connection, this.intro, settings.tables, log, spark, threads);
    this.loader = new HiveLoader(connection, this.intro, this.mat, settings.load, spark, log);
  }

  /**
   * The databases this session has made sure of. CREATE DATABASE IF NOT EXISTS runs once per
   * database per session, as dbt creates a run's schemas once: on Spark each call is a round trip of
   * about 0.1 s, and a build asked once per node. Names are case-insensitive in Hive. A failed
   * attempt is forgotten, so the next call tries again.
   */
  private readonly ensured = new Map<string, Promise<void>>();
  ensureSchema(schema: string): Promise<void> {
    const key = schema.toLowerCase();
    let p = this.ensured.get(key);
    if (!p) {
      p = this.connection.execute(`CREATE DATABASE IF NOT EXISTS ${d.quoteIdentifier(schema)}`).then(() => undefined);
      this.ensured.set(key, p);
      p.catch(() => this.ensured.delete(key));
    }
    return p;
  }
  async relationExists(r: Relation): Promise<boolean> {
    return (await this.intro.kind(r)) !== undefined;
  }
  columns(r: Relation): Promise<ColumnInfo[]> {
    return this.intro.columns(r);
  }
  materialize = (b: Parameters<TargetSession['materialize']>[0]): ReturnType<TargetSession['materialize']> => this.mat.materialize(b);
  snapshot = (b: Parameters<NonNullable<TargetSession['snapshot']>>[0]): ReturnType<NonNullable<TargetSession['snapshot']>> =>
    hiveSnapshot({ conn: this.connection, intro: this.intro, mat: this.mat, defaults: this.snapshotDefaults.tables, log: this.snapshotDefaults.log }, b);
  loadSeed = (s: Parameters<TargetSession['loadSeed']>[0]): ReturnType<TargetSession['loadSeed']> => this.loader.loadSeed(s);
  loadFileSource = (l: Parameters<TargetSession['loadFileSource']>[0]): ReturnType<TargetSession['loadFileSource']> => {
    if (this.loader.sourceRoute(l) === 'engine') this.log.info(`file source ${l.uniqueId}: read by the Spark server from ${l.location} (engine_paths), no rows through tx`);
    return this.loader.loadFileSource(l);
  };

  engineReaches(url: string): boolean {
    const spark = this.connection.serverInfo()?.spark ?? true;
    return spark && this.enginePaths.some((p) => url.toLowerCase().startsWith(p.toLowerCase()));
  }
  engineWriteFolder = (req: EngineWriteRequest): Promise<EngineWrittenFile[]> => engineWriteFolder(this.connection, req);

  async dropRelation(r: Relation): Promise<void> {
    await this.mat.dropIfExists(r);
  }

  async close(): Promise<void> {
    await this.connection.close();
  }
}

class HiveTarget implements Target {
  readonly dialect = hiveDialect;
  readonly info: TargetInfo;
  private readonly settings: HiveTargetSettings;

  constructor(
    readonly name: string,
    private readonly config: TargetConfig,
  ) {
    this.settings = hiveSettings(name, config);
    this.info = { type: 'hive', schema: this.settings.schema, threads: this.settings.threads };
  }

  async open(opts: { log: TargetLog; threads: number }): Promise<TargetSession> {
    const conn = new HiveConnection(this.settings.connection, opts.log);
    await conn.open();
    return new HiveSession(conn, this.settings, opts.log, opts.threads || this.settings.threads);
  }

  /** `tx debug`: engine-side reads and writes (see hiveEngineCheck). */
  engineCheck(): Promise<{ ok: boolean; lines: string[] }> {
    return hiveEngineCheck(this.name, this.config);
  }

  async ping(): Promise<string> {
    const quiet: TargetLog = { statement: () => {}, info: () => {}, warn: () => {} };
    const conn = new HiveConnection({ ...this.settings.connection, sessionSettings: {} }, quiet);
    try {
      const info = await conn.open();
      return `${info.name} ${info.version} (HiveServer2 at ${this.settings.connection.host}:${this.settings.connection.port}, auth ${this.settings.connection.auth})`;
    } finally {
      await conn.close();
    }
  }
}

/** `tx debug`: whether engine-side reads and writes work for the configured paths (a tiny write and read in scratch_dir). */
export async function hiveEngineCheck(name: string, config: TargetConfig): Promise<{ ok: boolean; lines: string[] }> {
  const settings = hiveSettings(name, config);
  const quiet: TargetLog = { statement: () => {}, info: () => {}, warn: () => {} };
  const conn = new HiveConnection(settings.connection, quiet);
  try {
    await conn.open();
    return await engineProbe(conn, settings.enginePaths, settings.scratchDir);
  } finally {
    await conn.close();
  }
}

export const createHiveTarget: TargetFactory = (name, config) => new HiveTarget(name, config);

export { HiveConnection } from './hive-connection.js';
export { hiveDialect } from './hive-dialect.js';
