/**
 * A HiveServer2 session (Apache Hive or Spark Thrift Server) over `hive-driver`'s Thrift client:
 * execute, query, stream rows out in fetch batches, cancel on the server, reconnect.
 *
 * - Auth: NONE / PLAIN / LDAP are SASL PLAIN with user and password (Spark's and Hive's default
 *   `NONE` accepts any); NOSASL is a raw framed transport; KERBEROS is refused with a clear error.
 * - Every statement runs asynchronously on the server and is polled; a query timeout or an aborted
 *   signal sends CancelOperation, so the work stops on the cluster, not only in tx.
 * - A dropped connection (socket closed, server restarted: "Invalid SessionHandle") marks the
 *   session dead; the next statement opens a new one (with the session settings again). A statement
 *   that was running when the connection dropped is retried only when it is safe to repeat
 *   (reads, `SET`, `... IF [NOT] EXISTS`, `CREATE OR REPLACE VIEW`); anything else fails that node
 *   with a transient TargetError, because the server may or may not have applied it.
 */
import { createRequire } from 'node:module';
import net from 'node:net';
import hive from 'hive-driver';
import { TargetError, type Row, type TargetConnection, type TargetLog } from '../target.js';
import { pauseAfter } from '../failpoint.js';
import { SqlDate, SqlTimestamp, SqlTimestampTz } from '../values/sql-values.js';

export type HiveAuth = 'NONE' | 'PLAIN' | 'LDAP' | 'NOSASL' | 'KERBEROS';

export interface HiveConnectionConfig {
  host: string;
  port: number;
  auth: HiveAuth;
  user?: string;
  password?: string;
  /** `SET key=value` run on every new session, after tx's own defaults. */
  sessionSettings: Record<string, string>;
  /** Connect + SASL handshake + OpenSession, per attempt (ms). */
  connectTimeoutMs: number;
  /** Per statement (ms); 0 = none. The operation is cancelled on the server when it passes. */
  queryTimeoutMs: number;
  /** Extra attempts for connecting and for retry-safe statements after a dropped connection. */
  retries: number;
  /** Rows per FetchResults call (default 10 000). */
  fetchSize?: number;
}

/** What the server says it is (GetInfo CLI_DBMS_NAME / CLI_DBMS_VER). */
export interface ServerInfo {
  /** e.g. `Spark SQL` or `Apache Hive`. */
  name: string;
  version: string;
  /** True for the Spark Thrift Server (Spark SQL syntax: `USING parquet`, Spark settings). */
  spark: boolean;
}

const { TCLIService, TCLIService_types: T } = hive.thrift as { TCLIService: object; TCLIService_types: Record<string, Record<string, number>> };
const OP = T.TOperationState!;
const TYPE = T.TTypeId!;

/** `thrift` as hive-driver itself resolves it (not a direct dependency of tx). */
const thrift = createRequire(createRequire(import.meta.url).resolve('hive-driver'))('thrift') as {
  Connection: new (stream: net.Socket, options: Record<string, unknown>) => ThriftConnection;
  TFramedTransport: unknown;
  TBinaryProtocol: unknown;
};
interface ThriftConnection {
  connected: boolean;
  host?: string;
  port?: number;
  on(event: string, fn: (...args: unknown[]) => void): void;
  end(): void;
  destroy(): void;
}

// The parts of hive-driver's contracts tx uses, spelled out (its deep .d.ts files are CommonJS
// default exports, awkward to import from ESM).
interface ITransport {
  getTransport(): unknown;
  setOptions(option: string, value: unknown): void;
  getOptions(): object;
  connect(): void;
  addListener(eventName: string, listener: (...args: unknown[]) => void): void;
  removeListener(eventName: string, listener: (...args: unknown[]) => void): void;
  emit(eventName: string): void;
  write(data: Buffer | string): void;
  end(): void;
}
interface IAuthentication {
  authenticate(transport: ITransport): Promise<ITransport>;
}
interface IConnectionOptions {
  host: string;
  port: number;
  options?: Record<string, unknown>;
}
interface IThriftConnection {
  getConnection(): unknown;
  isConnected(): boolean;
}
interface OperationStatus {
  operationState?: number;
  sqlState?: string;
  errorMessage?: string;
  numModifiedRows?: unknown;
}
interface RowSetLike {
  columns?: ThriftColumn[] | null;
}
interface IOperation {
  fetch(): Promise<unknown>;
  status(progress: boolean): Promise<OperationStatus>;
  cancel(): Promise<unknown>;
  close(): Promise<unknown>;
  hasMoreRows(): boolean;
  setMaxRows(maxRows: number): void;
  getSchema(): { columns: ColumnDesc[] } | null;
  getData(): RowSetLike[];
  flush(): void;
}
interface IHiveSession {
  executeStatement(statement: string, options?: { runAsync?: boolean }): Promise<IOperation>;
  getInfo(infoType: number): Promise<{ getValue(): unknown }>;
  close(): Promise<unknown>;
}
interface HiveClientLike {
  on(event: string, fn: (...args: unknown[]) => void): void;
  connect(options: IConnectionOptions, provider: unknown, auth: unknown): Promise<unknown>;
  openSession(request: { client_protocol: number; username?: string; password?: string }): Promise<unknown>;
  close(): void;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The parts of a Hive/Spark error a user can act on: no Java stack, no wrapper class names. */
export function cleanHiveMessage(raw: string): string {
  let m = raw.replace(/\r/g, '');
  const stack = m.search(/\n\s*at [\w$.]+\(/);
  if (stack >= 0) m = m.slice(0, stack);
  // Spark repeats the cause after "Caused by:"; the first part is enough.
  const caused = m.indexOf('\nCaused by:');
  if (caused >= 0) m = m.slice(0, caused);
  m = m
    .replace(/^org\.apache\.hive\.service\.cli\.HiveSQLException:\s*/, '')
    .replace(/^Error running query:\s*/, '')
    .replace(/^Error while compiling statement:\s*/, '')
    // "[CODE] org.apache.spark.sql.AnalysisException: [CODE] message" -> "[CODE] message"
    .replace(/^(\[[A-Z_.]+\]\s*)?(?:[a-z]+\.)+[A-Za-z]*(?:Exception|Error):\s*/, '')
    .replace(/^\s+/, '');
  // Spark's logical plan after "; line 1 pos 14;" is noise for a user.
  m = m.replace(/(; line \d+ pos \d+);\n[\s\S]*$/, '$1');
  return m.trim();
}

/** A statement that can be sent again after a dropped connection without changing the outcome. */
export function retrySafe(sql: string): boolean {
  const s = sql.replace(/^(\s|--[^\n]*\n|\/\*[\s\S]*?\*\/)+/, '').toLowerCase();
  return (
    /^(select|show|describe|desc|explain|set|use|values)\b/.test(s) ||
    // Spark allows `WITH … INSERT …`: a CTE is safe only when nothing in it writes.
    (/^with\b/.test(s) && !/\b(insert|merge|update|delete|create|drop|alter)\b/.test(s)) ||
    /^create\s+(or\s+replace\s+)?view\b/.test(s) ||
    /^create\s+(database|schema)\s+if\s+not\s+exists\b/.test(s) ||
    /^drop\s+(table|view|database|schema)\s+if\s+exists\b/.test(s)
  );
}

class ConnectionLost extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConnectionLost';
  }
}

function errorText(e: unknown): string {
  if (e && typeof e === 'object' && 'message' in e) return String((e as { message: unknown }).message);
  return String(e);
}

function isSessionGone(e: unknown): boolean {
  return e instanceof ConnectionLost || /Invalid SessionHandle|Invalid OperationHandle.*session|session.*(closed|expired)/i.test(errorText(e));
}

/**
 * A plain TCP transport like hive-driver's own, but one whose socket tx can see: to time out a
 * hung connect, to notice a server that closes the socket in the middle of the SASL handshake
 * (the sign of a wrong auth mode), and to destroy it on close.
 */
class TrackedTransport implements ITransport {
  socket: net.Socket | null = null;
  private options: Record<string, unknown> = {};
  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly onSocket: (s: net.Socket) => void,
  ) {}
  getTransport(): net.Socket | null {
    return this.socket;
  }
  setOptions(option: string, value: unknown): void {
    this.options = { ...this.options, [option]: value };
  }
  getOptions(): object {
    return this.options;
  }
  connect(): void {
    this.socket = net.createConnection(this.port, this.host);
    this.onSocket(this.socket);
  }
  addListener(eventName: string, listener: (...args: unknown[]) => void): void {
    this.socket?.addListener(eventName, listener);
  }
  removeListener(eventName: string, listener: (...args: unknown[]) => void): void {
    this.socket?.removeListener(eventName, listener);
  }
  emit(eventName: string): void {
    this.socket?.emit(eventName);
  }
  write(data: Buffer | string): void {
    this.socket?.write(data as Buffer);
  }
  end(): void {
    this.socket?.end();
  }
}

class TrackedConnectionProvider implements IThriftConnection {
  socket: net.Socket | null = null;
  /** Called synchronously with the new socket, before any handshake byte is sent. */
  onSocket: (s: net.Socket) => void = () => {};
  private connection: ThriftConnection | null = null;
  async connect(options: IConnectionOptions, auth: IAuthentication): Promise<IThriftConnection> {
    const transport = new TrackedTransport(options.host, options.port, (s) => {
      this.socket = s;
      this.onSocket(s);
    });
    const t = await auth.authenticate(transport);
    const stream = t.getTransport() as net.Socket;
    const c = new thrift.Connection(stream, {
      transport: thrift.TFramedTransport,
      protocol: thrift.TBinaryProtocol,
      ...(options.options ?? {}),
      ...t.getOptions(),
    });
    c.host = options.host;
    c.port = options.port;
    t.emit('connect');
    this.connection = c;
    return this;
  }
  getConnection(): ThriftConnection | null {
    return this.connection;
  }
  isConnected(): boolean {
    return this.connection?.connected ?? false;
  }
}

/** One open Thrift connection and HiveServer2 session. */
interface Live {
  id: number;
  client: HiveClientLike;
  provider: TrackedConnectionProvider;
  session: IHiveSession;
  /** Set once the connection is known to be gone. */
  dead: string | null;
  /** Rejects when the connection drops; every RPC races against it. */
  lost: Promise<never>;
}

export interface RunOptions {
  signal?: AbortSignal;
  node?: string;
}

/** The TargetConnection of the Hive target. One HiveServer2 session, used by all threads. */
export class HiveConnection implements TargetConnection {
  private live: Live | null = null;
  private opening: Promise<Live> | null = null;
  private closed = false;
  private serial = 0;
  private info: ServerInfo | null = null;
  /** Settings tx needs on every session, before the user's own. */
  private defaults: Record<string, string> = {};

  constructor(
    private readonly config: HiveConnectionConfig,
    private readonly log: TargetLog,
  ) {}

  get where(): string {
    return `HiveServer2 at ${this.config.host}:${this.config.port}`;
  }

  /** Opens the session now (instead of at the first statement) and returns what the server is. */
  async open(): Promise<ServerInfo> {
    await this.session();
    return this.info!;
  }

  serverInfo(): ServerInfo | null {
    return this.info;
  }

  // ---------------------------------------------------------------- connecting

  private async session(): Promise<Live> {
    if (this.closed) throw new TargetError(`the connection to ${this.where} is closed`);
    if (this.live && !this.live.dead) return this.live;
    if (!this.opening) {
      const previous = this.live;
      this.opening = this.connectWithRetries(previous !== null).finally(() => {
        this.opening = null;
      });
    }
    const l = await this.opening;
    this.live = l;
    return l;
  }

  private async connectWithRetries(reconnect: boolean): Promise<Live> {
    const attempts = 1 + Math.max(0, this.config.retries);
    let last: unknown;
    for (let i = 0; i < attempts; i++) {
      if (i > 0) await sleep(Math.min(8000, 500 * 2 ** (i - 1)));
      try {
        const l = await this.connectOnce();
        if (reconnect) this.log.warn(`reconnected to ${this.where} (new session)`);
        return l;
      } catch (e) {
        last = e;
        if (e instanceof TargetError && !e.options.transient) throw e;
      }
    }
    const msg = last instanceof Error ? last.message : String(last);
    throw new TargetError(`${msg} (after ${attempts} attempt${attempts > 1 ? 's' : ''})`, { transient: true, cause: last });
  }

  private authProvider(): IAuthentication {
    const { auth, user, password } = this.config;
    switch (auth) {
      case 'NOSASL':
        return new hive.auth.NoSaslAuthentication() as unknown as IAuthentication;
      case 'NONE':
      case 'PLAIN':
      case 'LDAP':
        return new hive.auth.PlainTcpAuthentication({ username: user || 'tx', password: password ?? (auth === 'NONE' ? 'tx' : '') }) as unknown as IAuthentication;
      case 'KERBEROS':
      default:
        throw new TargetError(
          `auth ${String(auth)} is not supported by tx's Hive target (supported: NONE, PLAIN, LDAP, NOSASL); ` +
            `connect through a gateway that accepts LDAP/PLAIN, or use a keytab-free route such as Knox`,
        );
    }
  }

  private async connectOnce(): Promise<Live> {
    const { host, port, connectTimeoutMs, auth } = this.config;
    const authProvider = this.authProvider();
    const client = new hive.HiveClient(TCLIService, T as never) as unknown as HiveClientLike;
    const provider = new TrackedConnectionProvider();
    const id = ++this.serial;
    let fail: (e: Error) => void = () => {};
    const lost = new Promise<never>((_, reject) => (fail = reject));
    lost.catch(() => undefined); // nobody may be waiting when it drops
    const live: Live = { id, client, provider, session: null as unknown as IHiveSession, dead: null, lost };
    const markDead = (why: string): void => {
      if (live.dead) return;
      live.dead = why;
      fail(new ConnectionLost(`the connection to ${this.where} was lost (${why})`));
    };
    client.on('error', (e: unknown) => markDead(errorText(e)));
    client.on('close', () => markDead('closed by the server or the network'));

    let timer: NodeJS.Timeout | undefined;
    let stage = 'connecting';
    let socketError: NodeJS.ErrnoException | null = null;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        reject(
          new TargetError(
            `timed out after ${connectTimeoutMs / 1000}s ${stage} to ${this.where}` +
              (stage === 'connecting' ? '' : ` (auth ${auth}: if the server uses another auth mode, it waits for a handshake that never comes)`),
            { transient: stage === 'connecting' },
          ),
        );
      }, connectTimeoutMs);
    });
    timeout.catch(() => undefined);
    const destroy = (): void => {
      provider.socket?.destroy();
    };
    try {
      const connected = new Promise<void>((resolve, reject) => {
        // Watch the raw socket during the handshake: hive-driver's SASL code only listens for data.
        provider.onSocket = (s) => {
          s.once('error', (e: NodeJS.ErrnoException) => {
            socketError = e;
            reject(this.socketErrorMessage(e));
          });
          s.once('close', () =>
            reject(
              socketError
                ? this.socketErrorMessage(socketError)
                : new TargetError(
                    `${this.where} closed the connection during the ${auth === 'NOSASL' ? 'connection' : 'SASL PLAIN'} handshake: ` +
                      (auth === 'NOSASL'
                        ? 'the server probably expects SASL (set auth: NONE, PLAIN or LDAP)'
                        : 'the server may not use SASL (auth: NOSASL), or it refused the connection'),
                  ),
            ),
          );
          s.once('connect', () => (stage = 'authenticating'));
        };
        client
          .connect({ host, port, options: { connect_timeout: connectTimeoutMs } }, provider, authProvider)
          .then(() => resolve())
          .catch((e: unknown) => {
            const msg = errorText(e);
            reject(
              /Authentication error/i.test(msg)
                ? new TargetError(
                    `authentication failed at ${this.where} for user \`${this.config.user ?? 'tx'}\` (auth ${auth}): ${msg.replace(/^Authentication error:\s*/i, '')}; ` +
                      'check the user and password (a refused login is not retried)',
                    { cause: e },
                  )
                : new TargetError(`${this.where}: ${msg}`, { transient: true, cause: e }),
            );
          });
      });
      await Promise.race([connected, timeout]);
      stage = 'opening a session';
      const session = await Promise.race([
        client.openSession({
          client_protocol: T.TProtocolVersion!.HIVE_CLI_SERVICE_PROTOCOL_V10!,
          ...(auth === 'NOSASL' ? {} : { username: this.config.user || 'tx' }),
        }),
        timeout,
        lost.catch((e: unknown) => {
          if (socketError) throw this.socketErrorMessage(socketError);
          throw new TargetError(
            `${this.where} closed the connection while opening a session` +
              (auth === 'NOSASL' ? ': the server probably expects SASL (set auth: NONE, PLAIN or LDAP)' : `: ${errorText(e)}`),
          );
        }),
      ]);
      live.session = session as IHiveSession;
      stage = 'setting up the session';
      if (!this.info) this.info = await Promise.race([this.fetchServerInfo(live), timeout]);
      this.defaults = this.info.spark
        ? {
            'spark.sql.session.timeZone': 'UTC',
            'spark.sql.sources.partitionOverwriteMode': 'dynamic',
            'hive.exec.dynamic.partition': 'true',
            'hive.exec.dynamic.partition.mode': 'nonstrict',
          }
        : {
            'hive.exec.dynamic.partition': 'true',
            'hive.exec.dynamic.partition.mode': 'nonstrict',
            'hive.resultset.use.unique.column.names': 'false',
          };
      const settings = { ...this.defaults, ...this.config.sessionSettings };
      for (const [k, v] of Object.entries(settings)) {
        await Promise.race([this.runOn(live, `SET ${k}=${v}`, 'execute', {}), timeout]);
      }
      return live;
    } catch (e) {
      destroy();
      try {
        client.close();
      } catch {
        /* already gone */
      }
      if (e instanceof TargetError) throw e;
      throw new TargetError(`${this.where}: ${errorText(e)}`, { transient: true, cause: e });
    } finally {
      clearTimeout(timer);
    }
  }

  private socketErrorMessage(e: NodeJS.ErrnoException): TargetError {
    const unreachable = /ECONNREFUSED|EHOSTUNREACH|ENETUNREACH|ENOTFOUND|EAI_AGAIN|ETIMEDOUT/.test(e.code ?? '');
    return new TargetError(
      unreachable ? `cannot reach ${this.where}: ${e.message} (is the server running, and are host and port right?)` : `${this.where}: ${e.message}`,
      { transient: true, cause: e },
    );
  }

  private async fetchServerInfo(live: Live): Promise<ServerInfo> {
    const get = async (type: number): Promise<string> => {
      try {
        const v = await this.guard(live, live.session.getInfo(type));
        return String(v.getValue() ?? '');
      } catch (e) {
        if (e instanceof ConnectionLost) throw e;
        return '';
      }
    };
    const name = await get(T.TGetInfoType!.CLI_DBMS_NAME!);
    const version = await get(T.TGetInfoType!.CLI_DBMS_VER!);
    return { name: name || 'HiveServer2', version, spark: /spark/i.test(name) };
  }

  /** Races an RPC against the connection dropping (thrift never answers calls on a dead socket). */
  private guard<X>(live: Live, p: Promise<X>): Promise<X> {
    if (live.dead) {
      p.catch(() => undefined);
      return Promise.reject(new ConnectionLost(`the connection to ${this.where} was lost (${live.dead})`));
    }
    return Promise.race([p, live.lost]);
  }

  // ---------------------------------------------------------------- running statements

  async execute(sql: string, opts: RunOptions = {}): Promise<{ rowsAffected?: number }> {
    const r = await this.run(sql, 'execute', opts);
    return { rowsAffected: r.rowsAffected };
  }

  async query(sql: string, opts: RunOptions = {}): Promise<Row[]> {
    return (await this.run(sql, 'query', opts)).rows ?? [];
  }

  /** Rows out in batches of `batchSize` (one FetchResults call each); memory holds one batch. */
  async *stream(sql: string, opts: { batchSize?: number; signal?: AbortSignal; node?: string } = {}): AsyncIterable<Row[]> {
    const batchSize = Math.max(1, opts.batchSize ?? this.config.fetchSize ?? 10_000);
    const live = await this.session();
    const t0 = performance.now();
    const started = await this.start(live, sql, opts);
    let yielded = false;
    try {
      await this.waitFor(live, started, sql, opts);
      for (;;) {
        if (opts.signal?.aborted) {
          await this.cancel(live, started.op);
          throw new TargetError('cancelled', { sql });
        }
        const rows = await this.fetchBatch(live, started.op, batchSize, sql, 'text');
        if (rows === null) break;
        yielded = true;
        yield rows;
        if (rows.length < batchSize) break;
      }
    } catch (e) {
      throw this.wrap(e, live, sql, yielded);
    } finally {
      started.dispose();
      await this.closeOp(live, started.op);
      this.log.statement(sql, performance.now() - t0, opts.node);
    }
  }

  private async run(sql: string, mode: 'execute' | 'query', opts: RunOptions): Promise<{ rows?: Row[]; rowsAffected?: number }> {
    const attempts = 1 + Math.max(0, this.config.retries);
    for (let attempt = 1; ; attempt++) {
      if (opts.signal?.aborted) throw new TargetError('cancelled before it started', { sql });
      const live = await this.session();
      try {
        return await this.runOn(live, sql, mode, opts);
      } catch (e) {
        if (isSessionGone(e)) {
          this.markDead(live, errorText(e));
          if (attempt < attempts && retrySafe(sql)) {
            this.log.warn(`${this.where}: session lost while running a statement that is safe to repeat; reconnecting (attempt ${attempt + 1} of ${attempts})`);
            continue;
          }
        }
        throw this.wrap(e, live, sql, false);
      }
    }
  }

  private markDead(live: Live, why: string): void {
    if (!live.dead) {
      live.dead = why;
      try {
        live.client.close();
      } catch {
        /* ignore */
      }
      live.provider.socket?.destroy();
    }
  }

  private wrap(e: unknown, live: Live, sql: string, midStream: boolean): TargetError {
    if (e instanceof TargetError) return e;
    if (isSessionGone(e)) {
      this.markDead(live, errorText(e));
      return new TargetError(
        `the HiveServer2 session was lost while running this statement (${errorText(e)}); ` +
          (midStream
            ? 'some rows were already delivered; run it again'
            : retrySafe(sql)
              ? 'gave up after the configured retries'
              : 'the server may or may not have applied it, so tx did not repeat it; the node failed and the next statement reconnects'),
        { transient: true, sql, cause: e },
      );
    }
    return new TargetError(cleanHiveMessage(errorText(e)), { sql, cause: e });
  }

  /** Submits the statement; returns the operation and the timer/abort wiring that cancels it. */
  private async start(
    live: Live,
    sql: string,
    opts: RunOptions,
  ): Promise<{ op: IOperation; cancelled: () => string | null; dispose: () => void; wake: Promise<void> }> {
    let op: IOperation;
    try {
      op = await this.guard(live, live.session.executeStatement(sql, { runAsync: true }));
    } catch (e) {
      if (isSessionGone(e)) throw e;
      throw new TargetError(cleanHiveMessage(errorText(e)), { sql, cause: e });
    }
    let reason: string | null = null;
    let wakeUp: () => void = () => {};
    const wake = new Promise<void>((r) => (wakeUp = r));
    const cancelNow = (why: string): void => {
      if (reason) return;
      reason = why;
      void this.cancel(live, op).finally(wakeUp);
    };
    const onAbort = (): void => cancelNow('cancelled');
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    if (opts.signal?.aborted) onAbort();
    const timeoutMs = this.config.queryTimeoutMs;
    const timer = timeoutMs > 0 ? setTimeout(() => cancelNow(`cancelled on the server after the query timeout of ${timeoutMs / 1000}s`), timeoutMs) : undefined;
    return {
      op,
      cancelled: () => reason,
      wake,
      dispose: () => {
        clearTimeout(timer);
        opts.signal?.removeEventListener('abort', onAbort);
      },
    };
  }

  private async cancel(live: Live, op: IOperation): Promise<void> {
    try {
      await this.guard(live, op.cancel());
    } catch {
      /* the operation may already be finished or gone */
    }
  }

  /** Polls the operation until it finishes; throws Hive's own message on failure. */
  private async waitFor(
    live: Live,
    started: { op: IOperation; cancelled: () => string | null; wake: Promise<void> },
    sql: string,
    _opts: RunOptions,
  ): Promise<number | undefined> {
    let delay = 10;
    for (;;) {
      const why = started.cancelled();
      if (why) {
        // The cancel RPC has been sent (or is being sent); report what the server says now.
        await started.wake;
        let state = '';
        try {
          const s = await this.guard(live, started.op.status(false));
          state = s.operationState === OP.CANCELED_STATE ? ' (the server reports the operation CANCELED)' : '';
        } catch {
          /* ignore */
        }
        throw new TargetError(`${why}${state}`, { sql, transient: false });
      }
      const asked = performance.now();
      const s = await Promise.race([this.guard(live, started.op.status(false)), started.wake.then(() => null)]);
      if (s === null) continue;
      // HiveServer2 (Hive's and Spark's) holds GetOperationStatus of an async operation until it finishes or
      // hive.server2.long.polling.timeout passes (5 s by default): a status that took that long needs no pause
      // before the next one, which would only add to the statement's time.
      const longPolled = performance.now() - asked >= 1000;
      switch (s.operationState) {
        case OP.FINISHED_STATE: {
          const n = int64(s.numModifiedRows as unknown as Int64Like | undefined);
          return n !== undefined && n >= 0n ? Number(n) : undefined;
        }
        case OP.ERROR_STATE:
          throw new TargetError(cleanHiveMessage(s.errorMessage ?? 'the statement failed (no message from the server)') + (s.sqlState ? ` [SQLSTATE ${s.sqlState}]` : ''), {
            sql,
          });
        case OP.CANCELED_STATE:
          throw new TargetError(started.cancelled() ?? 'the operation was cancelled on the server', { sql });
        case OP.CLOSED_STATE:
          throw new TargetError('the operation was closed on the server before it finished', { sql, transient: true });
        case OP.TIMEDOUT_STATE:
          throw new TargetError('the server timed the operation out', { sql });
        case OP.INITIALIZED_STATE:
        case OP.PENDING_STATE:
        case OP.RUNNING_STATE:
          break;
        default:
          throw new TargetError(`the operation is in an unknown state (${String(s.operationState)})`, { sql });
      }
      if (longPolled) continue;
      await Promise.race([sleep(delay), started.wake]);
      delay = Math.min(250, Math.ceil(delay * 1.5));
    }
  }

  private async fetchBatch(live: Live, op: IOperation, maxRows: number, sql: string, decimals: 'text' | 'number'): Promise<Row[] | null> {
    op.setMaxRows(maxRows);
    try {
      await this.guard(live, op.fetch());
    } catch (e) {
      if (isSessionGone(e)) throw e;
      throw new TargetError(cleanHiveMessage(errorText(e)), { sql, cause: e });
    }
    const schema = op.getSchema();
    const data = op.getData();
    op.flush();
    const rows: Row[] = [];
    if (schema) for (const rs of data) rowsFromRowSet(schema, rs, rows, decimals);
    if (rows.length === 0) return null;
    return rows;
  }

  private async closeOp(live: Live, op: IOperation): Promise<void> {
    if (live.dead) return;
    try {
      await this.guard(live, op.close());
    } catch {
      /* best effort */
    }
  }

  /** Runs one statement on `live`; logged; cancelled on the server on timeout or abort. */
  private async runOn(live: Live, sql: string, mode: 'execute' | 'query', opts: RunOptions): Promise<{ rows?: Row[]; rowsAffected?: number }> {
    const t0 = performance.now();
    let started: Awaited<ReturnType<HiveConnection['start']>> | null = null;
    try {
      started = await this.start(live, sql, opts);
      const modified = await this.waitFor(live, started, sql, opts);
      if (mode === 'execute') return { rowsAffected: modified };
      const rows: Row[] = [];
      const size = this.config.fetchSize ?? 10_000;
      for (;;) {
        const batch = await this.fetchBatch(live, started.op, size, sql, 'number');
        if (batch === null) break;
        for (const r of batch) rows.push(r);
        // Servers fill a fetch up to maxRows while rows remain (Spark's hasMoreRows is always
        // false, so it cannot be trusted): a short batch is the last one.
        if (batch.length < size) break;
      }
      return { rows, rowsAffected: modified };
    } finally {
      if (started) {
        started.dispose();
        // Not awaited: the result is in hand, the close needs no round trip of our time.
        void this.closeOp(live, started.op);
      }
      this.log.statement(sql, performance.now() - t0, opts.node);
      pauseAfter(sql);
    }
  }

  /**
   * Test hook and last resort: drops the TCP connection under the session, as a network fault
   * would. The next statement reconnects.
   */
  dropConnectionForTesting(): void {
    this.live?.provider.socket?.destroy();
  }

  async close(): Promise<void> {
    this.closed = true;
    const live = this.live;
    this.live = null;
    if (!live || live.dead) return;
    // At most 5 s for the server's answer; the timer is cleared when it answers, or its pending
    // callback would keep Node's event loop, and so the tx process, alive for the rest of the 5 s.
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([this.guard(live, live.session.close()), new Promise<void>((r) => (timer = setTimeout(r, 5000)))]);
    } catch {
      /* the server may be gone already */
    } finally {
      clearTimeout(timer);
    }
    live.dead = 'closed';
    try {
      live.client.close();
    } catch {
      /* ignore */
    }
    live.provider.socket?.destroy();
  }
}

// ---------------------------------------------------------------- result sets

interface Int64Like {
  buffer: Buffer;
  offset?: number;
}

/** A Thrift i64 as a bigint. */
function int64(v: Int64Like | undefined): bigint | undefined {
  if (!v || !Buffer.isBuffer(v.buffer)) return undefined;
  return v.buffer.readBigInt64BE(v.offset ?? 0);
}

interface ColumnDesc {
  columnName: string;
  position: number;
  typeDesc: { types: { primitiveEntry?: { type: number } }[] };
}
interface ThriftColumn {
  [k: string]: { values: unknown[]; nulls: Buffer } | undefined | null;
}

const COLUMN_KINDS = ['boolVal', 'byteVal', 'i16Val', 'i32Val', 'i64Val', 'doubleVal', 'stringVal', 'binaryVal'];

function isNull(nulls: Buffer | undefined, i: number): boolean {
  if (!nulls || nulls.length === 0) return false;
  const byte = nulls[i >> 3];
  return byte !== undefined && (byte & (1 << (i & 7))) !== 0;
}

/**
 * Converts one columnar TRowSet to row objects, with values as every target's connection gives
 * them (targets/values/sql-values.ts): BIGINT as bigint, DATE and TIMESTAMP as SqlDate and
 * SqlTimestamp from the server's text (Spark's TIMESTAMP, the session's wall clock, prints as
 * it does in Spark), DECIMAL as its exact text with its scale when `decimals` is `'text'` (the
 * rows of `stream`) and as a number otherwise (`query`: counts, metadata), complex types parsed
 * from their JSON text. Columns are taken in schema order (Spark numbers positions from 0,
 * Hive from 1), so the position value itself is never used as an index.
 */
export function rowsFromRowSet(
  schema: { columns: ColumnDesc[] },
  rowSet: { columns?: ThriftColumn[] | null; rows?: unknown[] },
  out: Row[],
  decimals: 'text' | 'number' = 'number',
): void {
  const descs = [...schema.columns].sort((a, b) => a.position - b.position);
  const cols = rowSet.columns ?? [];
  const start = out.length;
  descs.forEach((desc, ci) => {
    const col = cols[ci];
    if (!col) return;
    const kind = COLUMN_KINDS.find((k) => col[k] != null);
    const cv = kind ? col[kind]! : null;
    if (!cv) return;
    const type = desc.typeDesc.types[0]?.primitiveEntry?.type;
    const name = desc.columnName;
    for (let i = 0; i < cv.values.length; i++) {
      const row = (out[start + i] ??= {});
      if (isNull(cv.nulls, i)) {
        row[name] = null;
        continue;
      }
      const v = cv.values[i];
      row[name] = convert(type, v, kind!, decimals);
    }
  });
  // Rows where every column was absent (zero-column results) still count.
}

function convert(type: number | undefined, v: unknown, kind: string, decimals: 'text' | 'number'): unknown {
  if (kind === 'i64Val') return int64(v as Int64Like) ?? v;
  switch (type) {
    case TYPE.DECIMAL_TYPE:
      return decimals === 'text' ? String(v) : Number(v);
    case TYPE.DATE_TYPE:
      return typeof v === 'string' ? SqlDate.fromText(v) : v;
    case TYPE.TIMESTAMP_TYPE:
      return typeof v === 'string' ? SqlTimestamp.fromText(v) : v;
    case TYPE.TIMESTAMPLOCALTZ_TYPE:
      return typeof v === 'string' ? SqlTimestampTz.fromText(v) : v;
    case TYPE.ARRAY_TYPE:
    case TYPE.MAP_TYPE:
    case TYPE.STRUCT_TYPE:
      if (typeof v === 'string') {
        try {
          return JSON.parse(v) as unknown;
        } catch {
          return v;
        }
      }
      return v;
    default:
      return v;
  }
}
