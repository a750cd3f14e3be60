/**
 * A minimal HiveServer2 client on `hive-driver` (Thrift over TCP, SASL PLAIN), for readiness
 * checks and test assertions against the Spark Thrift Server.
 */
import hive from 'hive-driver';

export interface HiveSessionHandle {
  /** Runs `sql` and returns all rows as objects keyed by column name. */
  query(sql: string): Promise<Record<string, unknown>[]>;
  /** Runs a statement and discards any result. */
  execute(sql: string): Promise<void>;
  close(): Promise<void>;
}

export interface HiveConnectOptions {
  username?: string;
  password?: string;
  /** For connecting + opening the session (ms). */
  timeoutMs?: number;
}

async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    if (timer) clearTimeout(timer);
  }
}

/**
 * Opens a HiveServer2 session. Spark Thrift Server's default auth (`NONE`) is SASL PLAIN, which
 * accepts any user name and password.
 */
export async function openHiveSession(host: string, port: number, opts: HiveConnectOptions = {}): Promise<HiveSessionHandle> {
  const { TCLIService, TCLIService_types } = hive.thrift;
  const client = new hive.HiveClient(TCLIService, TCLIService_types);
  let lastError: unknown = null;
  client.on('error', (err: unknown) => {
    lastError = err; // without a listener an 'error' event would crash the process
  });
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const auth = new hive.auth.PlainTcpAuthentication({ username: opts.username ?? 'tx', password: opts.password ?? 'tx' });
  let connected = false;
  try {
    await withTimeout(
      client.connect({ host, port, options: { max_attempts: 1, connect_timeout: timeoutMs } }, new hive.connections.TcpConnection(), auth),
      timeoutMs,
      `connecting to HiveServer2 at ${host}:${port}`,
    );
    connected = true;
    const session = await withTimeout(
      client.openSession({ client_protocol: TCLIService_types.TProtocolVersion.HIVE_CLI_SERVICE_PROTOCOL_V10 }),
      timeoutMs,
      `opening a HiveServer2 session at ${host}:${port}`,
    );
    const utils = new hive.HiveUtils(TCLIService_types);
    const run = async (sql: string): Promise<Record<string, unknown>[]> => {
      const op = await session.executeStatement(sql, { runAsync: true });
      try {
        await utils.waitUntilReady(op, false, () => {});
        await utils.fetchAll(op);
        const rows: unknown = utils.getResult(op).getValue();
        return Array.isArray(rows) ? (rows as Record<string, unknown>[]) : [];
      } finally {
        await op.close();
      }
    };
    return {
      query: run,
      execute: async (sql) => {
        await run(sql);
      },
      close: async () => {
        try {
          await session.close();
        } finally {
          client.close();
        }
      },
    };
  } catch (err) {
    if (connected) {
      try {
        client.close();
      } catch {
        /* ignore */
      }
    }
    const extra = lastError instanceof Error ? ` (client error: ${lastError.message})` : '';
    throw new Error(`${err instanceof Error ? err.message : String(err)}${extra}`);
  }
}
