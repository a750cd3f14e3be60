/**
 * The PostgreSQL target: `type: postgres` in project.yml.
 *
 *   host, port, user, password, database (or dbname), schema   default from PGHOST, PGPORT, PGUSER, PGPASSWORD,
 *                                                             PGDATABASE, like psql; schema `public`
 *   sslmode (disable|allow|prefer|require|verify-ca|verify-full), sslrootcert, sslcert, sslkey   (PGSSLMODE, ...)
 *   connect_timeout     seconds, or "500ms"/"30s" (PGCONNECT_TIMEOUT; default 10 s)
 *   statement_timeout   milliseconds, or "30s"/"5min"; the server cancels a statement that runs longer
 *   lock_timeout        milliseconds, or "10s": how long a statement waits for a lock (e.g. a swap behind a long
 *                       reader) before it fails; retried like other transient errors
 *   retries             extra attempts for transient errors (connection lost, serialization failure, deadlock); default 2
 *   retry_backoff       first retry delay (default "500ms"), doubling each attempt
 *   pool_size / threads connections in the pool (default: threads)
 *   load_threads, load_memory_limit   the in-process DuckDB that reads seed and source files (default: cores - 1,
 *                                     at most 4; "1GB")
 */
import { TargetError, type ColumnInfo, type Relation, type SnapshotBuild, type Target, type TargetConfig, type TargetFactory, type TargetLog, type TargetSession } from '../target.js';
import { postgresSettings, POSTGRES_CONFIG_KEYS, type LoadSettings } from './postgres-config.js';
import { connectClient, PostgresConnection, resolveSsl, toTargetError, type PgClient, type PgSettings } from './postgres-connection.js';
import { checkIdentifiers, postgresDialect } from './postgres-dialect.js';
import { PostgresIntrospector } from './postgres-introspector.js';
import { PostgresLoader } from './postgres-loader.js';
import { PostgresMaterializations } from './postgres-materializations.js';
import { postgresSnapshot } from './postgres-snapshot.js';

const d = postgresDialect;

/** CREATE SCHEMA IF NOT EXISTS, safe when parallel threads race to create the same schema. */
async function ensureSchemaOn(c: PgClient, intro: PostgresIntrospector, schema: string): Promise<void> {
  if (await intro.schemaExists(c, schema)) return;
  try {
    await c.run(`CREATE SCHEMA IF NOT EXISTS ${d.quoteIdentifier(schema)}`);
  } catch (e) {
    // Two sessions creating the same schema at once: one wins, the other sees a unique violation.
    if (!['23505', '42P06'].includes((e as { code?: string }).code ?? '')) throw e;
  }
}

export class PostgresSession implements TargetSession {
  readonly dialect = postgresDialect;
  readonly intro = new PostgresIntrospector();
  private readonly mat: PostgresMaterializations;
  private readonly loader: PostgresLoader;
  private version: number | undefined;

  constructor(
    readonly connection: PostgresConnection,
    private readonly database: string,
    opts: { serverVersionNum?: number; load?: LoadSettings } = {},
  ) {
    this.version = opts.serverVersionNum;
    this.mat = new PostgresMaterializations(connection, this.intro, (c) => this.serverVersion(c));
    const load = opts.load ?? { threads: 1, memoryLimit: '1GB' };
    this.loader = new PostgresLoader(connection, this.intro, (c, schema) => ensureSchemaOn(c, this.intro, schema), {
      threads: String(load.threads),
      memory_limit: load.memoryLimit,
    });
  }

  /** server_version_num (150020 for 15.20), read once. */
  async serverVersion(c?: PgClient): Promise<number> {
    if (this.version === undefined) {
      this.version = c ? await this.intro.serverVersionNum(c) : await this.withClient((x) => this.intro.serverVersionNum(x));
    }
    return this.version;
  }

  private withClient<T>(fn: (c: PgClient) => Promise<T>): Promise<T> {
    return this.connection.retrying(() => this.connection.withClient(fn));
  }

  private checkDatabase(database: string | undefined): void {
    if (database && database !== this.database) {
      throw new TargetError(`PostgreSQL cannot reach database "${database}" from a session on "${this.database}"; one target works in one database`);
    }
  }

  async ensureSchema(schema: string, database?: string): Promise<void> {
    this.checkDatabase(database);
    checkIdentifiers({ schema, identifier: 'x' });
    await this.withClient((c) => ensureSchemaOn(c, this.intro, schema));
  }

  async relationExists(r: Relation): Promise<boolean> {
    return (await this.withClient((c) => this.intro.find(c, r))) !== undefined;
  }

  async columns(r: Relation): Promise<ColumnInfo[]> {
    return this.withClient((c) => this.intro.columns(c, r));
  }

  async materialize(b: Parameters<TargetSession['materialize']>[0]) {
    this.checkDatabase(b.relation.database);
    checkIdentifiers(b.relation);
    return this.mat.materialize(b);
  }

  async snapshot(b: SnapshotBuild) {
    this.checkDatabase(b.relation.database);
    checkIdentifiers(b.relation);
    return postgresSnapshot(this.connection, this.intro, b);
  }

  async loadSeed(s: Parameters<TargetSession['loadSeed']>[0]) {
    this.checkDatabase(s.relation.database);
    checkIdentifiers(s.relation);
    return this.loader.loadSeed(s);
  }

  async loadFileSource(l: Parameters<TargetSession['loadFileSource']>[0]) {
    this.checkDatabase(l.relation.database);
    checkIdentifiers(l.relation);
    checkIdentifiers(l.rejectsRelation);
    return this.loader.loadFileSource(l);
  }

  async dropRelation(r: Relation): Promise<void> {
    this.checkDatabase(r.database);
    await this.withClient(async (c) => {
      const kind = await this.intro.kind(c, r);
      if (kind) await c.run(`DROP ${kind.toUpperCase()} ${d.relationName(r)}`);
    });
  }

  async close(): Promise<void> {
    await this.loader.close();
    await this.connection.close();
  }
}

class PostgresTarget implements Target {
  readonly dialect = postgresDialect;
  readonly info;
  private readonly settings: PgSettings & { schema: string; load: LoadSettings };
  private readonly unknownKeys: string[];
  private readonly explicitPoolSize: boolean;

  constructor(
    readonly name: string,
    config: TargetConfig,
    projectDir: string,
  ) {
    const known = new Set<string>([...POSTGRES_CONFIG_KEYS, 'type', 'name']);
    this.unknownKeys = Object.keys(config).filter((k) => !known.has(k));
    const clean: TargetConfig = { type: config.type };
    for (const [k, v] of Object.entries(config)) if (known.has(k)) clean[k] = v;
    this.settings = postgresSettings(clean, projectDir);
    this.explicitPoolSize = config.pool_size !== undefined && config.pool_size !== null && String(config.pool_size) !== '';
    this.info = { type: 'postgres', schema: this.settings.schema, database: this.settings.database, threads: this.settings.poolSize };
  }

  async open(opts: { log: TargetLog; threads: number }): Promise<TargetSession> {
    if (this.unknownKeys.length) opts.log.warn(`postgres target ${this.name}: ignoring unknown config keys ${this.unknownKeys.join(', ')}`);
    // One pooled connection per runner thread (pool_size, when set, wins).
    const poolSize = this.explicitPoolSize ? this.settings.poolSize : Math.max(1, opts.threads || this.settings.poolSize);
    const conn = new PostgresConnection({ ...this.settings, poolSize }, opts.log);
    await conn.retrying(() => conn.withClient(async (c) => void (await c.run('SELECT 1'))), { what: 'connecting' }).catch(async (e) => {
      await conn.close();
      throw e;
    });
    return new PostgresSession(conn, this.settings.database, { load: this.settings.load });
  }

  async ping(): Promise<string> {
    const s = this.settings;
    try {
      const ssl = await resolveSsl(s);
      const c = await connectClient(s, ssl);
      try {
        const r = await c.query<{ v: string; ssl: boolean | null }>(
          `SELECT current_setting('server_version') AS v, (SELECT ssl FROM pg_catalog.pg_stat_ssl WHERE pid = pg_backend_pid()) AS ssl`,
        );
        const row = r.rows[0]!;
        return `PostgreSQL ${row.v} (${s.host}:${s.port}/${s.database} as ${s.user}${row.ssl ? ', SSL' : ''})`;
      } finally {
        await c.end().catch(() => undefined);
      }
    } catch (e) {
      throw toTargetError(e, { settings: s, connecting: true });
    }
  }
}

export const createPostgresTarget: TargetFactory = (name, config, projectDir) => new PostgresTarget(name, config, projectDir);
