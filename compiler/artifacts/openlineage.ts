/**
 * OpenLineage run events for every node tx runs: START when it starts, COMPLETE or FAIL when it
 * ends, with the job (`<namespace>` / the node's unique id), a run id, the invocation's run as
 * parent, input and output datasets named from the target (`duckdb://<file>`,
 * `postgres://host:port`, `hive://host:port`; files as `file://`, `s3://`, `azure://`), schema and
 * data source facets, column lineage (`columnLineage`, from the compiled SQL), data quality
 * assertions from the tests, output statistics, and exports as output datasets.
 *
 * Where events go:
 * - always `target/openlineage.jsonl` (one event a line), unless `OPENLINEAGE_DISABLED=true`;
 * - `OPENLINEAGE_URL` (+ `OPENLINEAGE_ENDPOINT`, default `api/v1/lineage`, and `OPENLINEAGE_API_KEY`
 *   sent as a Bearer token): HTTP POST of each event;
 * - else `OPENLINEAGE_CONFIG` or `openlineage.yml` in the project folder: `transport:` of type
 *   `http` (`url`, `endpoint`, `auth: {type: api_key, apiKey}`, `timeout` in seconds), `file`
 *   (`log_file_path`, `append`) or `console` (stderr), as openlineage-python reads it.
 *
 * A receiver that is down, slow or failing never fails or stalls the build: HTTP events go through
 * a bounded queue drained by one sender with a per-request timeout; the first failure is logged
 * once, and at the end tx waits a bounded time for the queue, then drops what is left and says so.
 * Every event passes the secrets scrubber; the API key is registered as a secret.
 */
import { randomUUID } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { CompiledProject } from '../compile/compile-project.js';
import type { GraphNode } from '../compile/nodes.js';
import { txVersion } from '../load/package-root.js';
import { registerSecret, scrub } from '../log/scrub.js';
import type { NodeResult } from './artifacts.js';
import { invocationId } from './dbt-meta.js';

/** Who produced the events (the tx.dev address the project's earlier artifacts used for tx's schemas). */
export const OL_PRODUCER = 'https://tx.dev/tx';
const SPEC = 'https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent';
const FACET = {
  schema: 'https://openlineage.io/spec/facets/1-2-0/SchemaDatasetFacet.json#/$defs/SchemaDatasetFacet',
  dataSource: 'https://openlineage.io/spec/facets/1-0-1/DatasourceDatasetFacet.json#/$defs/DatasourceDatasetFacet',
  columnLineage: 'https://openlineage.io/spec/facets/1-2-0/ColumnLineageDatasetFacet.json#/$defs/ColumnLineageDatasetFacet',
  dataQualityAssertions: 'https://openlineage.io/spec/facets/1-1-0/DataQualityAssertionsDatasetFacet.json#/$defs/DataQualityAssertionsDatasetFacet',
  outputStatistics: 'https://openlineage.io/spec/facets/1-0-2/OutputStatisticsOutputDatasetFacet.json#/$defs/OutputStatisticsOutputDatasetFacet',
  parent: 'https://openlineage.io/spec/facets/1-2-0/ParentRunFacet.json#/$defs/ParentRunFacet',
  errorMessage: 'https://openlineage.io/spec/facets/1-0-1/ErrorMessageRunFacet.json#/$defs/ErrorMessageRunFacet',
  processingEngine: 'https://openlineage.io/spec/facets/1-1-1/ProcessingEngineRunFacet.json#/$defs/ProcessingEngineRunFacet',
  jobType: 'https://openlineage.io/spec/facets/2-0-4/JobTypeJobFacet.json#/$defs/JobTypeJobFacet',
  sql: 'https://openlineage.io/spec/facets/1-1-0/SQLJobFacet.json#/$defs/SQLJobFacet',
} as const;

type Obj = Record<string, unknown>;
/** The longest a model's COMPLETE event waits for column lineage (10,000 models take a few seconds). */
const LINEAGE_WAIT_MS = 120_000;
const isObj = (v: unknown): v is Obj => !!v && typeof v === 'object' && !Array.isArray(v);
const facet = (schemaURL: string, body: Obj): Obj => ({ _producer: OL_PRODUCER, _schemaURL: schemaURL, ...body });

/** An OpenLineage dataset identifier. */
export interface DatasetId {
  namespace: string;
  name: string;
}

/** Column lineage of a model as the docs' lineage computes it (compiler/docs/column-lineage.ts). */
export interface LineageColumns {
  columns: { name: string; depends_on: { node: string; column: string }[]; transform: string; untraced?: string }[];
}

/** Where a target's relations live, as an OpenLineage namespace (`duckdb://…`, `postgres://host:port`, `hive://host:port`). */
export function targetNamespace(config: Obj, projectDir: string): string {
  const type = String(config.type ?? 'duckdb');
  if (type === 'duckdb') {
    const p = typeof config.path === 'string' ? config.path : '';
    return `duckdb://${p === ':memory:' || !p ? 'memory' : isAbsolute(p) ? p : resolve(projectDir, p)}`;
  }
  const port = config.port ?? (type === 'postgres' ? 5432 : type === 'hive' ? 10000 : '');
  return `${type}://${String(config.host ?? 'localhost')}${port !== '' ? `:${String(port)}` : ''}`;
}

/** A file, folder, glob or URL (a file source's path, an export's destination) as a dataset. */
export function fileDataset(location: string, projectDir: string): DatasetId {
  const m = /^([a-z][a-z0-9+.-]*):\/\/([^/]*)(\/.*)?$/i.exec(location.trim());
  if (m) {
    const scheme = m[1]!.toLowerCase();
    if (scheme === 'file') return { namespace: 'file://', name: decodeURIComponent(m[3] ?? '/') };
    if (scheme === 'https' && /\.blob\.core\.windows\.net$/i.test(m[2]!)) {
      const [container, ...rest] = (m[3] ?? '').replace(/^\//, '').split('/');
      return { namespace: `azure://${container}@${m[2]!}`, name: rest.join('/') || '/' };
    }
    return { namespace: `${scheme}://${m[2]!}`, name: (m[3] ?? '/').replace(/^\//, '') || '/' };
  }
  return { namespace: 'file://', name: isAbsolute(location) ? location : resolve(projectDir, location) };
}

// ------------------------------------------------------------------ transports

interface Transport {
  /** Send or write one serialized event; never throws. */
  emit(json: string): void;
  /** Wait (bounded) for what is queued. */
  close(): Promise<void>;
}

export interface LineageLog {
  warn(msg: string): void;
  info?(msg: string): void;
}

/** A URL without user:password, for messages. */
function displayUrl(u: URL): string {
  return `${u.protocol}//${u.host}${u.pathname}`;
}

export interface HttpOptions {
  url: string;
  endpoint?: string;
  apiKey?: string;
  /** Per request, ms (default 5000). */
  timeoutMs?: number;
  /** Events held at most; more are dropped (default 1000). */
  maxQueue?: number;
  /** How long close() waits for the queue, ms (default 3000). */
  closeWaitMs?: number;
}

/** HTTP transport: a bounded queue drained by one sender; failures logged once, never thrown. */
export class HttpTransport implements Transport {
  private readonly queue: string[] = [];
  private sending: Promise<void> | null = null;
  private failedOnce = false;
  private dropped = 0;
  private readonly inflight = new Set<AbortController>();
  private closed = false;
  readonly target: URL;
  sent = 0;

  constructor(
    private readonly o: HttpOptions,
    private readonly log: LineageLog,
  ) {
    const base = new URL(o.url); // throws on a malformed URL: the caller warns
    if (base.protocol !== 'http:' && base.protocol !== 'https:') throw new Error(`not an http(s) URL: ${base.protocol}`);
    const endpoint = (o.endpoint ?? 'api/v1/lineage').replace(/^\/+/, '');
    this.target = new URL(endpoint, base.href.endsWith('/') ? base.href : `${base.href}/`);
    if (o.apiKey) registerSecret(o.apiKey, 'OPENLINEAGE_API_KEY');
  }

  emit(json: string): void {
    if (this.closed) return;
    if (this.queue.length >= (this.o.maxQueue ?? 1000)) {
      this.dropped++;
      return;
    }
    this.queue.push(json);
    this.sending ??= this.drain().finally(() => {
      this.sending = null;
    });
  }

  private fail(msg: string): void {
    if (this.failedOnce) return;
    this.failedOnce = true;
    this.log.warn(scrub(`OpenLineage: cannot send events to ${displayUrl(this.target)}: ${msg} (the build goes on; further failures are not logged)`));
  }

  private async drain(): Promise<void> {
    while (this.queue.length) {
      const body = this.queue.shift()!;
      const ac = new AbortController();
      this.inflight.add(ac);
      const timer = setTimeout(() => ac.abort(new Error(`no answer within ${this.o.timeoutMs ?? 5000} ms`)), this.o.timeoutMs ?? 5000);
      try {
        const headers: Record<string, string> = { 'content-type': 'application/json' };
        if (this.o.apiKey) headers.authorization = `Bearer ${this.o.apiKey}`;
        const res = await fetch(this.target, { method: 'POST', body, headers, signal: ac.signal });
        await res.arrayBuffer().catch(() => undefined);
        if (res.status >= 300) this.fail(`HTTP ${res.status} ${res.statusText}`);
        else this.sent++;
      } catch (e) {
        const err = e as Error & { cause?: { code?: string; message?: string } };
        this.fail(ac.signal.aborted ? String((ac.signal.reason as Error | undefined)?.message ?? 'aborted') : (err.cause?.code ?? err.cause?.message ?? err.message));
      } finally {
        clearTimeout(timer);
        this.inflight.delete(ac);
      }
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const wait = this.o.closeWaitMs ?? 3000;
    if (this.sending) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([this.sending, new Promise<void>((r) => (timer = setTimeout(r, wait)))]);
      clearTimeout(timer);
    }
    const left = this.queue.length + this.inflight.size;
    this.queue.length = 0;
    for (const ac of this.inflight) ac.abort(new Error('the build ended'));
    if (left || this.dropped) this.log.warn(`OpenLineage: ${left + this.dropped} event(s) not delivered to ${displayUrl(this.target)}${this.dropped ? ` (${this.dropped} dropped from a full queue)` : ''}`);
  }
}

class FileTransport implements Transport {
  constructor(private readonly path: string, append: boolean) {
    mkdirSync(dirname(path), { recursive: true });
    if (!append) writeFileSync(path, '');
  }
  emit(json: string): void {
    try {
      appendFileSync(this.path, `${json}\n`);
    } catch {
      // a full disk must not fail the build
    }
  }
  async close(): Promise<void> {}
}

class ConsoleTransport implements Transport {
  emit(json: string): void {
    process.stderr.write(`${json}\n`);
  }
  async close(): Promise<void> {}
}

/**
 * The transports the environment and the config file ask for (besides target/openlineage.jsonl).
 * Bad settings are one-line warnings and no transport, never an error.
 */
export function configuredTransports(env: NodeJS.ProcessEnv, projectDir: string, log: LineageLog): Transport[] {
  const out: Transport[] = [];
  const http = (o: HttpOptions, where: string): void => {
    try {
      out.push(new HttpTransport(o, log));
    } catch (e) {
      log.warn(`OpenLineage: ${where} is not a usable URL (${(e as Error).message.replace(o.url, '…')}); no events are sent over HTTP`);
    }
  };
  if (env.OPENLINEAGE_URL) {
    if (env.OPENLINEAGE_API_KEY) registerSecret(env.OPENLINEAGE_API_KEY, 'OPENLINEAGE_API_KEY');
    http({ url: env.OPENLINEAGE_URL, endpoint: env.OPENLINEAGE_ENDPOINT, apiKey: env.OPENLINEAGE_API_KEY }, 'OPENLINEAGE_URL');
    return out;
  }
  const file = env.OPENLINEAGE_CONFIG ? resolve(env.OPENLINEAGE_CONFIG) : join(projectDir, 'openlineage.yml');
  if (!existsSync(file)) {
    if (env.OPENLINEAGE_CONFIG) log.warn(`OpenLineage: OPENLINEAGE_CONFIG names ${file}, which does not exist; no events are sent`);
    return out;
  }
  let cfg: unknown;
  try {
    cfg = parseYaml(readFileSync(file, 'utf8'));
  } catch (e) {
    log.warn(`OpenLineage: ${file} is not valid YAML (${(e as Error).message.split('\n')[0]}); no events are sent`);
    return out;
  }
  const t = isObj(cfg) ? cfg.transport : undefined;
  if (!isObj(t)) {
    log.warn(`OpenLineage: ${file} has no \`transport:\` map; no events are sent`);
    return out;
  }
  const type = String(t.type ?? '');
  if (type === 'http') {
    const auth = isObj(t.auth) ? t.auth : {};
    const apiKey = typeof auth.apiKey === 'string' ? auth.apiKey : typeof auth.api_key === 'string' ? auth.api_key : undefined;
    if (apiKey) registerSecret(apiKey, `${file} (transport.auth.apiKey)`);
    http({ url: String(t.url ?? ''), endpoint: typeof t.endpoint === 'string' ? t.endpoint : undefined, apiKey, timeoutMs: typeof t.timeout === 'number' ? t.timeout * 1000 : undefined }, `transport.url of ${file}`);
  } else if (type === 'file') {
    const p = String(t.log_file_path ?? t.logFilePath ?? '');
    if (!p) log.warn(`OpenLineage: the file transport of ${file} has no log_file_path; no events are written`);
    else out.push(new FileTransport(isAbsolute(p) ? p : resolve(projectDir, p), t.append === true));
  } else if (type === 'console') {
    out.push(new ConsoleTransport());
  } else {
    log.warn(`OpenLineage: unknown transport type \`${type}\` in ${file} (use http, file or console); no events are sent`);
  }
  return out;
}

// ------------------------------------------------------------------ events

export interface OpenLineageOptions {
  compiled: CompiledProject;
  command: string;
  targetDir: string;
  log: LineageLog;
  env?: NodeJS.ProcessEnv;
  /** Column lineage by model id, computed while the run goes on; awaited only for models' COMPLETE events. */
  lineage?: Promise<Map<string, LineageColumns>>;
}

/** Emits a run's events; create with `openLineageFor()`. */
export class OpenLineageEmitter {
  private readonly c: CompiledProject;
  private readonly ns: string;
  private readonly jobNamespace: string;
  private readonly runIds = new Map<string, string>();
  private readonly parentJob: string;
  private readonly parentRun: string;
  private readonly transports: Transport[];
  private chain: Promise<void> = Promise.resolve();

  constructor(private readonly o: OpenLineageOptions, transports: Transport[]) {
    this.c = o.compiled;
    this.transports = transports;
    this.ns = targetNamespace(this.c.target.config as Obj, this.c.project.dir);
    this.jobNamespace = (o.env ?? process.env).OPENLINEAGE_NAMESPACE || this.c.project.name;
    this.parentJob = `${this.c.project.name}.${o.command}`;
    this.parentRun = invocationId();
  }

  /** The dataset a node writes or a downstream node reads. */
  dataset(n: GraphNode): DatasetId | null {
    if (!n.relation) return null;
    const r = n.relation;
    const db = r.database ?? (this.c.target.config.type === 'duckdb' ? duckdbCatalog(this.c.target.config as Obj) : this.c.target.config.type === 'postgres' ? String(this.c.target.config.database ?? 'postgres') : undefined);
    return { namespace: this.ns, name: [db, r.schema, r.identifier].filter((x) => x !== undefined && x !== '').join('.') };
  }

  /** Inputs of a node: its parents' relations; an ephemeral parent stands for its own inputs. */
  private inputsOf(n: GraphNode, seen = new Set<string>()): GraphNode[] {
    const out: GraphNode[] = [];
    for (const id of n.dependsOn) {
      if (seen.has(id)) continue;
      seen.add(id);
      const d = this.c.nodes.get(id);
      if (!d) continue;
      if (!d.relation && d.resourceType === 'model') out.push(...this.inputsOf(d, seen));
      else out.push(d);
    }
    return out;
  }

  private schemaFacet(n: GraphNode, names?: string[]): Obj | null {
    const declared = new Map(n.columns.map((c) => [c.name.toLowerCase(), c]));
    const cols = names ?? n.columns.map((c) => c.name);
    if (!cols.length) return null;
    return facet(FACET.schema, {
      fields: cols.map((name, i) => {
        const d = declared.get(name.toLowerCase());
        return { name, ...(d?.dataType ? { type: d.dataType } : {}), ...(d?.description ? { description: d.description } : {}), ordinal_position: i + 1 };
      }),
    });
  }

  private datasetJson(n: GraphNode, extra: Obj = {}): Obj | null {
    const id = this.dataset(n);
    if (!id) return null;
    const facets: Obj = { dataSource: facet(FACET.dataSource, { name: id.namespace, uri: id.namespace }) };
    const schema = this.schemaFacet(n);
    if (schema) facets.schema = schema;
    return { ...id, facets: { ...facets, ...extra } };
  }

  private event(eventType: 'START' | 'COMPLETE' | 'FAIL' | 'ABORT', job: string, runId: string, o: { jobType: string; sql?: string; inputs?: Obj[]; outputs?: Obj[]; error?: string; parent?: boolean; time?: string }): Obj {
    const runFacets: Obj = {
      processing_engine: facet(FACET.processingEngine, { version: txVersion(), name: 'tx', openlineageAdapterVersion: txVersion() }),
    };
    if (o.parent !== false) {
      const parent = { job: { namespace: this.jobNamespace, name: this.parentJob }, run: { runId: this.parentRun } };
      runFacets.parent = facet(FACET.parent, { ...parent, root: parent });
    }
    if (o.error) runFacets.errorMessage = facet(FACET.errorMessage, { message: o.error, programmingLanguage: 'SQL' });
    const jobFacets: Obj = { jobType: facet(FACET.jobType, { processingType: 'BATCH', integration: 'TX', jobType: o.jobType }) };
    if (o.sql) jobFacets.sql = facet(FACET.sql, { query: o.sql, dialect: String(this.c.target.config.type) });
    return {
      eventTime: o.time ?? new Date().toISOString(),
      producer: OL_PRODUCER,
      schemaURL: SPEC,
      eventType,
      run: { runId, facets: runFacets },
      job: { namespace: this.jobNamespace, name: job, facets: jobFacets },
      inputs: o.inputs ?? [],
      outputs: o.outputs ?? [],
    };
  }

  private write(ev: Obj): void {
    const json = scrub(JSON.stringify(ev));
    for (const t of this.transports) t.emit(json);
  }

  /**
   * Events leave in the order things happened: a model's COMPLETE waits for its column lineage,
   * so every event goes through one chain (each keeps the time it happened as eventTime).
   */
  private enqueue(make: () => Obj | Promise<Obj>): void {
    this.chain = this.chain.then(async () => this.write(await make())).catch(() => undefined);
  }

  /** The invocation's own run (the parent of every node's run). */
  runStarted(): void {
    const time = new Date().toISOString();
    this.enqueue(() => this.event('START', this.parentJob, this.parentRun, { jobType: 'JOB', parent: false, time }));
  }

  runEnded(ok: boolean, message?: string): void {
    const time = new Date().toISOString();
    this.enqueue(() => this.event(ok ? 'COMPLETE' : 'FAIL', this.parentJob, this.parentRun, { jobType: 'JOB', parent: false, error: ok ? undefined : message, time }));
  }

  private jobOf(id: string): { n: GraphNode; job: string; after: boolean } | null {
    const after = id.startsWith('after:');
    const n = this.c.nodes.get(after ? id.slice(6) : id);
    if (!n) return null;
    return { n, job: after ? `${n.uniqueId}.export` : n.uniqueId, after };
  }

  private jobType(n: GraphNode, after: boolean): string {
    if (after) return 'EXPORT';
    if (n.resourceType === 'test') return n.test?.kind === 'unit' ? 'UNIT_TEST' : 'TEST';
    return n.resourceType.toUpperCase();
  }

  /** What a node reads and writes, for START and COMPLETE alike. */
  private io(n: GraphNode, after: boolean): { inputs: Obj[]; outputs: Obj[] } {
    const own = this.datasetJson(n);
    if (after) return { inputs: own ? [own] : [], outputs: [] };
    if (n.resourceType === 'test') {
      const attached = n.test?.attachedTo ? this.c.nodes.get(n.test.attachedTo) : undefined;
      const targets = attached ? [attached] : this.inputsOf(n);
      return { inputs: targets.map((d) => this.datasetJson(d)).filter((x): x is Obj => !!x), outputs: [] };
    }
    if (n.resourceType === 'source' && n.source?.path) {
      const f = fileDataset(n.source.path, this.c.project.dir);
      return { inputs: [{ ...f, facets: {} }], outputs: own ? [own] : [] };
    }
    if (n.resourceType === 'seed' && n.seedPath) {
      return { inputs: [{ ...fileDataset(n.seedPath, this.c.project.dir), facets: {} }], outputs: own ? [own] : [] };
    }
    return { inputs: this.inputsOf(n).map((d) => this.datasetJson(d)).filter((x): x is Obj => !!x), outputs: own ? [own] : [] };
  }

  nodeStarted(id: string): void {
    const j = this.jobOf(id);
    if (!j) return;
    const runId = randomUUID();
    this.runIds.set(id, runId);
    const time = new Date().toISOString();
    this.enqueue(() => {
      const { inputs, outputs } = this.io(j.n, j.after);
      return this.event('START', j.job, runId, { jobType: this.jobType(j.n, j.after), sql: j.after ? undefined : j.n.compiledSql, inputs, outputs, time });
    });
  }

  /** COMPLETE or FAIL of a node that started; skipped nodes never ran and emit nothing. */
  nodeFinished(r: NodeResult): void {
    const runId = this.runIds.get(r.uniqueId);
    const j = this.jobOf(r.uniqueId);
    if (!runId || !j) return;
    this.enqueue(() => this.finish(r, runId, j));
  }

  private async finish(r: NodeResult, runId: string, j: { n: GraphNode; job: string; after: boolean }): Promise<Obj> {
    const failed = r.status === 'error' || r.status === 'fail' || r.status === 'cancelled';
    let { inputs, outputs } = this.io(j.n, j.after);
    const n = j.n;
    if (j.after) {
      const done = Array.isArray(r.details?.exports) ? (r.details.exports as { destination?: string; rows?: number; bytes?: number; files?: number }[]) : [];
      outputs = done.map((d) => {
        const ds = exportDataset(String(d.destination ?? ''), this.c.project.dir);
        return { ...ds, facets: {}, outputFacets: { outputStatistics: facet(FACET.outputStatistics, { rowCount: d.rows ?? 0, size: d.bytes ?? 0, fileCount: d.files ?? 0 }) } };
      });
    } else if (n.resourceType === 'test' && inputs[0]) {
      const t = n.test!;
      const assertion = { assertion: t.kind === 'generic' ? (t.testName ?? n.name) : n.name, success: r.status === 'pass', ...(t.column ? { column: t.column } : {}), severity: t.severity, name: n.name, ...(r.failures != null ? { actual: String(r.failures), expected: '0' } : {}) };
      inputs = [{ ...inputs[0], inputFacets: { dataQualityAssertions: facet(FACET.dataQualityAssertions, { assertions: [assertion] }) } }, ...inputs.slice(1)];
    } else if (outputs[0] && !failed) {
      const out = outputs[0];
      const facets = { ...(out.facets as Obj) };
      if (n.resourceType === 'model' && this.o.lineage) {
        // bounded: lineage that never finishes must not hold the events (and the end of the build) back
        let timer: NodeJS.Timeout | undefined;
        const bound = new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), LINEAGE_WAIT_MS)));
        const lineage = (await Promise.race([this.o.lineage.catch(() => undefined), bound]))?.get(n.uniqueId);
        clearTimeout(timer);
        if (lineage?.columns.length) {
          const fields: Obj = {};
          for (const col of lineage.columns) {
            const inputFields = col.depends_on
              .map((d) => {
                const up = this.c.nodes.get(d.node);
                const ds = up ? this.dataset(up) : null;
                // the value of the column is computed from this input: DIRECT, as an identity or a transformation
                return ds ? { ...ds, field: d.column, transformations: [{ type: 'DIRECT', subtype: col.transform === 'identity' ? 'IDENTITY' : 'TRANSFORMATION', masking: false }] } : null;
              })
              .filter((x): x is NonNullable<typeof x> => !!x);
            fields[col.name] = { inputFields };
          }
          facets.columnLineage = facet(FACET.columnLineage, { fields });
          if (!n.columns.length) facets.schema = this.schemaFacet(n, lineage.columns.map((c) => c.name));
        }
      }
      outputs = [{ ...out, facets, ...(r.rowsAffected !== undefined ? { outputFacets: { outputStatistics: facet(FACET.outputStatistics, { rowCount: r.rowsAffected }) } } : {}) }];
    }
    return this.event(failed ? 'FAIL' : 'COMPLETE', j.job, runId, {
      jobType: this.jobType(n, j.after),
      sql: j.after ? undefined : n.compiledSql,
      inputs,
      outputs,
      error: failed ? r.message : undefined,
      time: r.completedAt ?? new Date().toISOString(),
    });
  }

  /** Wait for pending events (bounded for HTTP) and close the transports. */
  async close(): Promise<void> {
    await this.chain;
    await Promise.all(this.transports.map((t) => t.close().catch(() => undefined)));
  }
}

/** DuckDB's catalog name of a database file: the file name without extension (`memory` in memory). */
function duckdbCatalog(config: Obj): string {
  const p = typeof config.path === 'string' ? config.path : '';
  if (!p || p === ':memory:') return 'memory';
  return (p.split(/[\\/]/).pop() ?? p).replace(/\.[^.]*$/, '');
}

/** An export destination as tx reports it (`s3://b/p/…`, `output/x/…`, `postgres "s"."t"`) as a dataset. */
function exportDataset(destination: string, projectDir: string): DatasetId {
  const d = destination.trim();
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(d) || d.startsWith('/') || d.startsWith('.') || !/\s/.test(d)) return fileDataset(d, projectDir);
  return { namespace: 'tx-export', name: d };
}

/**
 * The emitter for a run, or null when OpenLineage is off (`OPENLINEAGE_DISABLED=true`).
 * Always writes target/openlineage.jsonl; adds the configured transports.
 */
export function openLineageFor(o: OpenLineageOptions): OpenLineageEmitter | null {
  const env = o.env ?? process.env;
  if (/^(1|true|yes)$/i.test(env.OPENLINEAGE_DISABLED ?? '')) return null;
  const transports: Transport[] = [new FileTransport(join(o.targetDir, 'openlineage.jsonl'), false), ...configuredTransports(env, o.compiled.project.dir, o.log)];
  return new OpenLineageEmitter(o, transports);
}
