/**
 * A real HiveServer2 endpoint for tests: the Spark Thrift Server from pyspark 3.5, started with
 * spark-submit (the wheel has no sbin/ scripts) on 127.0.0.1 and a free port, with a fresh temp
 * folder holding its warehouse, Derby metastore and log. Stopped by killing its process group.
 *
 * `TX_TEST_HIVE_URL=hive://host:port` uses an already running server instead (stop is a no-op).
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './free-port.js';
import { openHiveSession } from './hive-client.js';
import { findJava } from './java.js';
import { spawnDetached, type SpawnedProcess } from './process.js';
import { provisionSpark, type SparkInstall } from './provision.js';
import { findPython } from './python-venv.js';
import { serviceUnavailable } from './require.js';
import { run } from './run-command.js';
import { portAcceptsConnections, waitFor } from './wait-port.js';

export { provisionSpark, type SparkInstall } from './provision.js';

export interface HiveService {
  host: string;
  port: number;
  /** `hive://host:port` */
  url: string;
  /** PID (and process group) of the server JVM; null for an external server. */
  pid: number | null;
  /** Folder with warehouse/, metastore_db/ and sts.log; null for an external server. */
  workDir: string | null;
  /** Server log; null for an external server. */
  logFile: string | null;
  /**
   * The one account whose password the server checks (CUSTOM auth, TxTestPasswordAuthenticator;
   * other user names get in without a password, as with NONE). For an external server, from
   * TX_TEST_HIVE_PASSWORD_ACCOUNT=user:password; null when unknown.
   */
  passwordAccount: { user: string; password: string } | null;
  stop(): Promise<void>;
}

const AUTHENTICATOR_CLASS = 'tx.testing.TxTestPasswordAuthenticator';
const AUTHENTICATOR_SOURCE = fileURLToPath(new URL('./hive-password-auth/TxTestPasswordAuthenticator.java', import.meta.url)).replace(
  `${path.sep}dist${path.sep}`,
  path.sep,
);

/** javac beside a java executable (`$JAVA_HOME/bin/java`), or javac on PATH. */
function javacOf(java: string): string {
  return java.includes(path.sep) ? path.join(path.dirname(java), 'javac') : 'javac';
}

/** Compiles the test authenticator against the Thrift server jar into `outDir`; its class path entry. */
async function compileAuthenticator(install: SparkInstall, outDir: string): Promise<string> {
  const java = await findJava();
  const javac = javacOf(java?.java ?? 'java');
  const jars = path.join(install.sparkHome, 'jars');
  const thrift = fs.readdirSync(jars).find((j) => j.startsWith('spark-hive-thriftserver'));
  if (!thrift) throw new Error(`no spark-hive-thriftserver jar in ${jars}`);
  fs.mkdirSync(outDir, { recursive: true });
  const r = await run(javac, ['-nowarn', '-cp', path.join(jars, thrift), '-d', outDir, AUTHENTICATOR_SOURCE], 120_000);
  if (r.status !== 0) throw new Error(`javac failed (${javac}): ${r.stderr || r.stdout}`);
  return outDir;
}

/** TX_TEST_HIVE_PASSWORD_ACCOUNT=user:password, as the global setup hands it on. */
function accountFromEnv(): { user: string; password: string } | null {
  const raw = process.env.TX_TEST_HIVE_PASSWORD_ACCOUNT;
  const i = raw ? raw.indexOf(':') : -1;
  return raw && i > 0 ? { user: raw.slice(0, i), password: raw.slice(i + 1) } : null;
}

export interface SparkStartOptions {
  /** `--driver-memory`; default 2g (this machine: 2 cores, 24 GiB). */
  driverMemory?: string;
  /** How long to wait for a working session (ms); default 420 s (20-60 s on an idle 2-core machine, 130 s seen under load 15; vitest's hookTimeout here is 600 s). */
  startTimeoutMs?: number;
  /** Extra `--conf key=value` settings. */
  conf?: Record<string, string>;
}

/** Parses `hive://host:port` (also `hive2://`, `jdbc:hive2://`). */
export function parseHiveUrl(url: string): { host: string; port: number } {
  const u = new URL(url.replace(/^jdbc:/, ''));
  return { host: u.hostname, port: u.port === '' ? 10000 : Number(u.port) };
}

/** Why the Spark Thrift Server cannot be started here, or null when Java and Python are present. */
export async function sparkUnavailableReason(): Promise<string | null> {
  const java = await findJava();
  if (!java) return 'no Java found (install a JDK/JRE 17, e.g. `apt-get install openjdk-17-jre-headless`, or set JAVA_HOME)';
  if (!(java.major === 8 || java.major === 11 || java.major === 17)) {
    return `Spark 3.5 needs Java 8, 11 or 17; found "${java.version}"`;
  }
  if (!(await findPython())) return 'no Python >= 3.8 with venv found to provision pyspark (set TX_TEST_PYTHON)';
  if ((await run(javacOf(java.java), ['-version'], 30_000)).status !== 0) {
    return `no javac next to ${java.java} (a JDK, not only a JRE, is needed to build the test server's password check)`;
  }
  return null;
}

const log = (msg: string): void => console.warn(`[tx services] ${msg}`);

function sparkArgs(port: number, workDir: string, opts: SparkStartOptions, auth: { classPath: string; user: string; password: string }): string[] {
  const conf: Record<string, string> = {
    'spark.ui.enabled': 'false',
    'spark.sql.shuffle.partitions': '2',
    'spark.sql.warehouse.dir': path.join(workDir, 'warehouse'),
    // Keep Spark's and Hive's scratch folders inside workDir, so nothing is left in /tmp.
    'spark.local.dir': path.join(workDir, 'local'),
    'spark.hadoop.javax.jdo.option.ConnectionURL': `jdbc:derby:;databaseName=${path.join(workDir, 'metastore_db')};create=true`,
    ...opts.conf,
  };
  return [
    '--master', 'local[2]',
    '--driver-memory', opts.driverMemory ?? '2g',
    '--class', 'org.apache.spark.sql.hive.thriftserver.HiveThriftServer2',
    ...Object.entries(conf).flatMap(([k, v]) => ['--conf', `${k}=${v}`]),
    '--driver-class-path', auth.classPath,
    '--driver-java-options',
    `-Dderby.system.home=${workDir} -Djava.io.tmpdir=${path.join(workDir, 'tmp')} -Dtx.test.hive.user=${auth.user} -Dtx.test.hive.password=${auth.password}`,
    '--hiveconf', 'hive.server2.thrift.bind.host=127.0.0.1',
    '--hiveconf', `hive.server2.thrift.port=${port}`,
    '--hiveconf', 'hive.server2.authentication=CUSTOM',
    '--hiveconf', `hive.server2.custom.authentication.class=${AUTHENTICATOR_CLASS}`,
  ];
}

async function startOnce(
  install: SparkInstall,
  opts: SparkStartOptions,
): Promise<{ service: HiveService } | { retry: string }> {
  const host = '127.0.0.1';
  const port = await freePort(host);
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tx-spark-'));
  const logFile = path.join(workDir, 'sts.log');
  fs.mkdirSync(path.join(workDir, 'tmp'));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    // Set explicitly: without it spark-submit runs find_spark_home.py with whatever `python3` is
    // first on PATH, which is not the venv's and cannot import pyspark.
    SPARK_HOME: install.sparkHome,
    PYSPARK_PYTHON: install.venv.python,
    SPARK_LOCAL_IP: host,
    SPARK_LOCAL_HOSTNAME: 'localhost',
  };
  const t0 = Date.now();
  // A random password for the one checked account: tests of a wrong password need a server that refuses one.
  const account = { user: 'tx_vault', password: randomBytes(12).toString('hex') };
  const classPath = await compileAuthenticator(install, path.join(workDir, 'auth-classes'));
  const proc: SpawnedProcess = spawnDetached(install.sparkSubmit, sparkArgs(port, workDir, opts, { classPath, ...account }), { cwd: workDir, env, logFile });
  const cleanup = async (): Promise<void> => {
    await proc.stop(20_000);
    if (!process.env.TX_TEST_KEEP_SERVICE_DIRS) fs.rmSync(workDir, { recursive: true, force: true });
  };
  try {
    await waitFor(
      async () => {
        if (!(await portAcceptsConnections(host, port))) return undefined;
        const session = await openHiveSession(host, port, { timeoutMs: 10_000 });
        try {
          const rows = await session.query('SELECT 1 AS one');
          if (Number(rows[0]?.one) !== 1) throw new Error(`SELECT 1 returned ${JSON.stringify(rows)}`);
          return true;
        } finally {
          await session.close();
        }
      },
      {
        timeoutMs: opts.startTimeoutMs ?? 420_000,
        intervalMs: 500,
        what: `Spark Thrift Server on ${host}:${port} (pid ${proc.pid}, log ${logFile})`,
        abortIf: () => {
          const e = proc.exitInfo();
          return e ? `spark-submit exited (code ${e.code}, signal ${e.signal})` : null;
        },
      },
    );
  } catch (err) {
    const tail = proc.logTail(6000);
    await cleanup();
    if (/Address already in use|BindException/.test(tail)) return { retry: `port ${port} was taken` };
    throw new Error(`${err instanceof Error ? err.message : String(err)}\n--- sts.log (tail) ---\n${tail}`);
  }
  log(`Spark Thrift Server ready on ${host}:${port} (pid ${proc.pid}) after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  let stopped = false;
  return {
    service: {
      host,
      port,
      url: `hive://${host}:${port}`,
      pid: proc.pid,
      workDir,
      logFile,
      passwordAccount: account,
      stop: async () => {
        if (stopped) return;
        stopped = true;
        await cleanup();
      },
    },
  };
}

/**
 * Starts (or, with TX_TEST_HIVE_URL, connects to) a Spark Thrift Server. Returns null after a
 * loud line when Java or Python is missing or pyspark cannot be provisioned; throws instead when
 * TX_TEST_REQUIRE names `hive`.
 */
export async function startSparkThriftServer(opts: SparkStartOptions = {}): Promise<HiveService | null> {
  const external = process.env.TX_TEST_HIVE_URL;
  if (external) {
    const { host, port } = parseHiveUrl(external);
    const session = await openHiveSession(host, port, { timeoutMs: 30_000 });
    await session.close();
    return { host, port, url: `hive://${host}:${port}`, pid: null, workDir: null, logFile: null, passwordAccount: accountFromEnv(), stop: async () => {} };
  }
  const reason = await sparkUnavailableReason();
  if (reason) {
    serviceUnavailable('hive', reason);
    return null;
  }
  let install: SparkInstall;
  try {
    install = await provisionSpark();
  } catch (err) {
    serviceUnavailable('hive', `provisioning pyspark failed: ${err instanceof Error ? err.message : String(err)}`);
    return null;
  }
  for (let attempt = 1; ; attempt++) {
    const r = await startOnce(install, opts);
    if ('service' in r) return r.service;
    if (attempt >= 3) throw new Error(`could not start the Spark Thrift Server: ${r.retry} (3 attempts)`);
    log(`Spark Thrift Server: ${r.retry}; retrying on another port`);
  }
}
