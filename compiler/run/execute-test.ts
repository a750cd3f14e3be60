import { createHash } from 'node:crypto';
import { renderWithWarehouse } from './sync-warehouse.js';
import { join } from 'node:path';
import type { NodeResult } from '../artifacts/artifacts.js';
import { compiledPathOf, writeFileAtomic } from '../artifacts/artifacts.js';
import type { GraphNode } from '../compile/nodes.js';
import type { NodeConfig } from '../load/project-types.js';
import { TxError, didYouMean } from '../errors.js';
import { formatDiff, runUnitTest } from '../data-tests/unit-test-runner.js';
import { withWarehouseColumns } from '../data-tests/unit-test-columns.js';
import type { AuditConnection, ColumnInfo, Relation, Row, TargetSession } from '../../targets/target.js';
import { renderTestWith } from '../compile/compile-tests.js';
import { flavourOf, splitStatements } from '../compile/single-statement.js';
import type { ExecContext } from './execute-node.js';

const now = () => new Date().toISOString();
const SAMPLE_ROWS = 5;

/** `>10`, `!=0`, `>=5` applied to a failure count. */
export function threshold(expr: string, n: number): boolean {
  const m = /^\s*(>=|<=|!=|==|=|>|<)\s*(\d+)\s*$/.exec(expr);
  if (!m) return n !== 0;
  const v = Number(m[2]);
  switch (m[1]) {
    case '>':
      return n > v;
    case '>=':
      return n >= v;
    case '<':
      return n < v;
    case '<=':
      return n <= v;
    case '==':
    case '=':
      return n === v;
    default:
      return n !== v;
  }
}

/** Where a test is defined: `models/x.yml:12` or `tests/y.sql`. */
export function testLocation(n: GraphNode): { file: string; line?: number; text: string } {
  const file = n.test?.spec?.file ?? n.test?.unit?.file ?? n.path;
  const line = n.test?.spec?.line ?? n.test?.unit?.line;
  return { file, line, text: line ? `${file}:${line}` : file };
}

/** `city_report.city`, `city_report`, or undefined for a test on nothing. */
export function testTarget(c: ExecContext['compiled'], n: GraphNode): { model?: string; column?: string } {
  const attached = n.test?.attachedTo ? c.nodes.get(n.test.attachedTo) : undefined;
  const model = attached ? (attached.resourceType === 'source' ? `${attached.fqn[1]}.${attached.name}` : attached.name) : undefined;
  return { model, column: n.test?.column };
}

/** The first `n` rows of a query, with exact values as `stream` gives them (rows to print). */
export async function firstRows(session: TargetSession, sql: string, n: number, signal?: AbortSignal): Promise<Row[]> {
  const out: Row[] = [];
  for await (const batch of session.connection.stream(sql, { batchSize: Math.max(1, n), signal })) {
    out.push(...batch);
    if (out.length >= n) break;
  }
  return out.slice(0, n);
}

const columnCache = new WeakMap<TargetSession, Map<string, Promise<ColumnInfo[]>>>();

function columnsOf(session: TargetSession, r: Relation): Promise<ColumnInfo[]> {
  let m = columnCache.get(session);
  if (!m) {
    m = new Map();
    columnCache.set(session, m);
  }
  const key = session.dialect.relationName(r);
  let p = m.get(key);
  if (!p) {
    p = session.columns(r);
    m.set(key, p);
  }
  return p;
}

/**
 * A test run during an audit (before publish): ref() of the audited node resolves to its side version
 * (`over`), and every query goes through the build's own connection (inside its transaction, if any).
 */
export interface AuditRun {
  over: ReadonlyMap<string, Relation>;
  conn: AuditConnection;
}

/** The columns a test names exist in the built relations; else the test errors (exit 1), naming the YAML line. */
async function checkColumns(ctx: ExecContext, n: GraphNode, audit?: AuditRun): Promise<void> {
  const loc = testLocation(n);
  for (const chk of n.test?.columnChecks ?? []) {
    const target = ctx.compiled.nodes.get(chk.nodeId);
    if (!target?.relation) continue;
    const side = audit?.over.get(chk.nodeId);
    const cols = side ? await audit!.conn.columns(side) : await columnsOf(ctx.session, target.relation);
    const label = target.resourceType === 'source' ? `source ${target.fqn[1]}.${target.name}` : `${target.resourceType} ${target.name}`;
    if (!cols.length) {
      throw new TxError('EXECUTION', `${label} has no relation ${ctx.session.dialect.relationName(target.relation).replace(/"/g, '')} to test`, {
        file: loc.file,
        line: loc.line,
        hint: `build it first: tx build --select ${target.name}`,
      });
    }
    const names = cols.map((c) => c.name);
    for (const c of chk.columns) {
      if (!names.some((x) => x.toLowerCase() === c.toLowerCase())) {
        // found only now that the relation is built: a failing test (exit 1), not a project error found before
        // anything ran (exit 2); where the columns are known without the warehouse, compile finds it (check-test-columns.ts)
        throw new TxError('EXECUTION', `test \`${n.test?.spec?.name ?? n.name}\` names column \`${c}\`, which ${label} does not have (it has: ${names.join(', ')})`, {
          file: loc.file,
          line: loc.line,
          hint: didYouMean(c, names),
        });
      }
    }
  }
}

/**
 * Where store_failures keeps a test's failing rows: the test's relation, named as dbt names it
 * (`<target schema>_dbt_test__audit.<test name>`; config `schema`/`alias` and the project's
 * generate_schema_name apply). A name over 63 characters is cut and hashed (PostgreSQL's limit).
 */
function auditRelation(ctx: ExecContext, n: GraphNode): Relation {
  const c = n.config;
  const store = n.test?.store ?? { schema: `${String(ctx.compiled.target.public.schema ?? 'main')}_${typeof c.schema === 'string' && c.schema ? c.schema : 'dbt_test__audit'}`, identifier: n.name };
  const identifier = store.identifier.length > 63 ? `${store.identifier.slice(0, 54)}_${createHash('sha1').update(store.identifier).digest('hex').slice(0, 8)}` : store.identifier;
  return { ...store, identifier };
}

/**
 * How a data test keeps its failing rows, as dbt-core 1.10's TestConfig settles it: `store_failures_as`
 * (`table`, `view`, or `ephemeral`: not kept) when set, whatever `store_failures` says; else a table
 * when `store_failures` is true.
 */
export function storeFailuresAs(c: NodeConfig): 'table' | 'view' | undefined {
  const as = c.store_failures_as;
  if (as === undefined || as === null) return c.store_failures === true ? 'table' : undefined;
  return as === 'table' || as === 'view' ? as : undefined;
}

/**
 * The store_failures schema, created once per session and outside any build transaction: two
 * transactions creating the same schema at once conflict (DuckDB: "Catalog write-write conflict";
 * PostgreSQL: a duplicate key), which failed a build that audited two nodes at the same time.
 */
const auditSchemas = new WeakMap<TargetSession, Map<string, Promise<void>>>();

function ensureAuditSchema(ctx: ExecContext, schema: string): Promise<void> {
  let bySchema = auditSchemas.get(ctx.session);
  if (!bySchema) auditSchemas.set(ctx.session, (bySchema = new Map()));
  let p = bySchema.get(schema);
  if (!p) {
    p = ctx.session.ensureSchema(schema);
    bySchema.set(schema, p);
    p.catch(() => bySchema!.delete(schema));
  }
  return p;
}

const ensuredAuditSchema = (ctx: ExecContext, schema: string) => auditSchemas.get(ctx.session)?.get(schema);

/**
 * Before a node is built and audited: the schemas its store_failures tests write to exist. Called
 * while the node holds no connection (the audit itself runs on the build's connection, and the
 * session's pool may have no other one free then).
 */
export async function prepareAuditSchemas(ctx: ExecContext, tests: GraphNode[]): Promise<void> {
  for (const t of tests) {
    if (storeFailuresAs(t.config) && t.test?.kind !== 'unit') await ensureAuditSchema(ctx, auditRelation(ctx, t).schema);
  }
}

/**
 * The session as a test rendered during an audit sees it: its questions to the warehouse (queries,
 * columns, whether a relation exists) go to the audit's connection, which the build holds. Asked of the
 * session's own connection they would wait for it while the build waits for the test: with one
 * thread, for ever. Asked of another connection (PostgreSQL's worker bridge), they would not see
 * what the build's transaction changed.
 */
function onAuditConnection(session: TargetSession, conn: AuditConnection): TargetSession {
  const connection = Object.create(session.connection) as TargetSession['connection'];
  connection.query = (sql, opts) => conn.query(sql, opts);
  connection.execute = (sql, opts) => conn.execute(sql, opts);
  const s = Object.create(session) as TargetSession;
  Object.defineProperty(s, 'connection', { value: connection });
  s.columns = (r) => conn.columns(r);
  s.relationExists = async (r) => (await conn.columns(r)).length > 0;
  return s;
}

async function runDataTest(ctx: ExecContext, n: GraphNode, t0: number, startedAt: string, audit?: AuditRun): Promise<NodeResult> {
  const c = n.config;
  await checkColumns(ctx, n, audit);
  const conn = audit?.conn ?? ctx.session.connection;
  let inner = n.renderAtRun
    ? await renderWithWarehouse(audit ? { compiled: ctx.compiled, session: onAuditConnection(ctx.session, audit.conn) } : ctx, (b) => ctx.compiled.renderAtRun(n.uniqueId, b, { isIncremental: false, over: audit?.over }), { replay: !!audit }).then(async (sql) => {
        // it may render nothing while compiling (`{% if execute %}`), but not when it runs
        if (!splitStatements(sql, flavourOf(String(ctx.compiled.target.config.type))).statements.length) {
          writeFileAtomic(join(ctx.compiled.project.dir, compiledPathOf(ctx.compiled, n, 'run')), `${sql}\n`);
          throw new TxError('PROJECT', `test \`${n.name}\` rendered to nothing when it ran; a test is a query selecting the failing rows`, { file: n.path });
        }
        await ctx.compiled.oneStatement(n.uniqueId, sql);
        return sql;
      })
    : audit
      ? renderTestWith(n, audit.over)
      : n.compiledSql!;
  if (typeof c.limit === 'number') inner = `select * from (\n${inner}\n) as tx_limited limit ${Math.floor(c.limit)}`;
  writeFileAtomic(join(ctx.compiled.project.dir, compiledPathOf(ctx.compiled, n, 'run')), `${inner}\n`);
  const failCalc = String(c.fail_calc ?? 'count(*)');
  const rows = await conn.query(`select ${failCalc} as failures from (\n${inner}\n) as tx_test`, { signal: ctx.signal, node: n.uniqueId });
  const failures = Number(rows[0]?.failures ?? 0);
  const details: Record<string, unknown> = {};
  const rel = (r: Relation) => ctx.session.dialect.relationName(r);
  const storeAs = storeFailuresAs(c);
  if (storeAs === 'view' && audit) {
    // a view of the test's query reads the relations by name: made once the new version is
    // published (storeFailuresView), never over the side version the audit reads
    details.failures_view = 'after publish';
  } else if (storeAs === 'view') {
    details.failures_relation = await storeFailuresView(ctx, n, inner);
    details.failures_as = 'view';
  } else if (storeAs === 'table') {
    // Replaced on every run, so the table always holds this run's failing rows.
    const store = auditRelation(ctx, n);
    if (audit) {
      // on the build's connection: the session's pool may have no other connection free
      const ensured = ensuredAuditSchema(ctx, store.schema);
      if (ensured) await ensured;
      else await conn.execute(`create schema if not exists ${ctx.session.dialect.quoteIdentifier(store.schema)}`, { signal: ctx.signal, node: n.uniqueId });
      const dropTable = `drop table if exists ${rel(store)}`;
      // a view kept there by an earlier store_failures_as: view (outside a transaction, where a failed statement can be followed)
      if (audit.conn.inTransaction) await conn.execute(dropTable, { signal: ctx.signal, node: n.uniqueId });
      else await conn.execute(dropTable, { signal: ctx.signal, node: n.uniqueId }).catch(() => conn.execute(`drop view if exists ${rel(store)}`, { signal: ctx.signal, node: n.uniqueId }));
    } else {
      await ensureAuditSchema(ctx, store.schema);
      await ctx.session.dropRelation(store);
    }
    await conn.execute(`create table ${rel(store)} as\n${inner}`, { signal: ctx.signal, node: n.uniqueId });
    details.failures_relation = rel(store).replace(/"/g, '');
  }
  const severity = n.test?.severity ?? 'error';
  let status: NodeResult['status'] = 'pass';
  if (severity === 'error' && threshold(String(c.error_if ?? '!=0'), failures)) status = 'fail';
  else if (threshold(String(c.warn_if ?? '!=0'), failures)) status = 'warn';
  let sample: Row[] = [];
  if (failures > 0) {
    // exact values (DECIMAL with its scale), printed with targets/values/value-format.ts
    const sampleSql = `select * from (\n${inner}\n) as tx_sample limit ${SAMPLE_ROWS}`;
    sample = await (audit ? (audit.conn.printRows ?? audit.conn.query)(sampleSql, { signal: ctx.signal, node: n.uniqueId }) : firstRows(ctx.session, sampleSql, SAMPLE_ROWS, ctx.signal)).catch(() => []);
  }
  const { model, column } = testTarget(ctx.compiled, n);
  const loc = testLocation(n);
  const on = model ? ` in ${model}${column ? `.${column}` : ''}` : '';
  // inside the build's transaction (incremental models and snapshots on DuckDB and PostgreSQL), a failed audit rolls the stored rows back
  const storedIn = details.failures_relation as string | undefined;
  const viewLater = details.failures_view === 'after publish' ? `; a view of the failing rows is made in ${rel(auditRelation(ctx, n)).replace(/"/g, '')} once the new version is published` : '';
  const rolledBack = !!storedIn && status === 'fail' && !!audit?.conn.inTransaction;
  if (rolledBack) delete details.failures_relation;
  const stored = storedIn
    ? rolledBack
      ? `; failing rows not kept in ${storedIn}: the audit ran inside the build's transaction, which rolled back`
      : storeAs === 'view'
        ? `; failing rows in the view ${storedIn}`
        : `; failing rows stored in ${storedIn}`
    : viewLater;
  const message =
    status === 'pass'
      ? `${n.name}${failures ? ` (${failures} failing row${failures === 1 ? '' : 's'}, under the threshold)` : ''}${stored}`
      : `${n.name}: ${failures} failing row${failures === 1 ? '' : 's'}${on} (${loc.text})${stored}`;
  return {
    uniqueId: n.uniqueId,
    status,
    message,
    executionTime: (performance.now() - t0) / 1000,
    startedAt,
    completedAt: now(),
    failures,
    details: { ...details, ...(sample.length ? { sample } : {}), test: { kind: n.test?.kind, model: model ?? null, column: column ?? null, file: loc.file, line: loc.line ?? null, severity } },
  };
}

/**
 * store_failures_as: view: `<audit schema>.<test name>` becomes a view of the test's query (`sql`, over
 * the published relations), replacing whatever was there (a table of an earlier store_failures).
 */
export async function storeFailuresView(ctx: ExecContext, n: GraphNode, sql: string): Promise<string> {
  const store = auditRelation(ctx, n);
  await ensureAuditSchema(ctx, store.schema);
  await ctx.session.dropRelation(store);
  await ctx.session.connection.execute(`create view ${ctx.session.dialect.relationName(store)} as\n${sql}`, { signal: ctx.signal, node: n.uniqueId });
  return ctx.session.dialect.relationName(store).replace(/"/g, '');
}

/** A data test's query as it runs on the published relations (rendered again where it reads the warehouse; its `limit` applied). */
export async function publishedTestSql(ctx: ExecContext, n: GraphNode): Promise<string> {
  const inner = n.renderAtRun ? await renderWithWarehouse(ctx, (b) => ctx.compiled.renderAtRun(n.uniqueId, b, { isIncremental: false })) : n.compiledSql!;
  return typeof n.config.limit === 'number' ? `select * from (\n${inner}\n) as tx_limited limit ${Math.floor(n.config.limit)}` : inner;
}

async function runUnit(ctx: ExecContext, n: GraphNode, t0: number, startedAt: string): Promise<NodeResult> {
  // inputs without declared columns take them from the warehouse, as in dbt
  const plan = await withWarehouseColumns(n.test!.unit!, ctx.session);
  const outcome = await runUnitTest(plan, { projectDir: ctx.compiled.project.dir, log: ctx.logger, signal: ctx.signal, node: n.uniqueId });
  const runPath = join(ctx.compiled.project.dir, ctx.compiled.project.targetPath, 'run', ctx.compiled.project.name, 'unit_tests', plan.modelName, `${plan.name}.sql`);
  writeFileAtomic(runPath, `${outcome.script.join('\n\n')}\n`);
  const loc = testLocation(n);
  const diffRows = outcome.nMissing + outcome.nUnexpected;
  const parts = [
    outcome.nMissing ? `${outcome.nMissing} expected row${outcome.nMissing === 1 ? '' : 's'} missing` : '',
    outcome.nUnexpected ? `${outcome.nUnexpected} unexpected row${outcome.nUnexpected === 1 ? '' : 's'}` : '',
  ].filter(Boolean);
  const message = outcome.passed
    ? `${n.name} (unit test of ${plan.modelName})`
    : `${n.name}: unit test of ${plan.modelName} failed: ${parts.join(', ')}; got ${outcome.actualRows} row${outcome.actualRows === 1 ? '' : 's'}, expected ${outcome.expectedRows} (${loc.text})`;
  const sample = [
    ...outcome.missing.map((r) => ({ diff: '-expected', ...r })),
    ...outcome.unexpected.map((r) => ({ diff: '+actual', ...r })),
  ].slice(0, 10);
  return {
    uniqueId: n.uniqueId,
    status: outcome.passed ? 'pass' : 'fail',
    message,
    executionTime: (performance.now() - t0) / 1000,
    startedAt,
    completedAt: now(),
    failures: diffRows,
    details: {
      ...(sample.length ? { sample } : {}),
      ...(outcome.passed ? {} : { diff: formatDiff(outcome) }),
      test: { kind: 'unit', model: plan.modelName, column: null, file: loc.file, line: loc.line ?? null, severity: 'error' },
    },
  };
}

/** Run a data test (generic or singular) or a unit test. Failures are results; project errors carry their code. */
export async function runTest(ctx: ExecContext, n: GraphNode, audit?: AuditRun): Promise<NodeResult> {
  const t0 = performance.now();
  const startedAt = now();
  try {
    if (n.test?.kind === 'unit') return await runUnit(ctx, n, t0, startedAt);
    return await runDataTest(ctx, n, t0, startedAt, audit);
  } catch (e) {
    const loc = testLocation(n);
    const { model, column } = testTarget(ctx.compiled, n);
    const err = e instanceof TxError ? e : undefined;
    const message = err ? err.format() : `${loc.text}: ${(e as Error).message ?? String(e)}`;
    return {
      uniqueId: n.uniqueId,
      status: 'error',
      message,
      executionTime: (performance.now() - t0) / 1000,
      startedAt,
      completedAt: now(),
      details: {
        ...(err ? { error_code: err.code, exit_code: err.exitCode } : {}),
        test: { kind: n.test?.kind, model: model ?? null, column: column ?? null, file: err?.location.file ?? loc.file, line: err?.location.line ?? loc.line ?? null, severity: n.test?.severity ?? 'error' },
      },
    };
  }
}
