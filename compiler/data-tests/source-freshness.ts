/**
 * `tx source freshness`: for each selected source table with `freshness:` and `loaded_at_field:`,
 * `max(loaded_at_field)` is compared with now. Older than `error_after` is an error (exit 1),
 * older than `warn_after` a warning (exit 0). Results go to target/sources.json.
 *
 *     sources:
 *       - name: vendor
 *         loaded_at_field: _loaded_at          # source level or table level
 *         freshness:
 *           warn_after: {count: 12, period: hour}
 *           error_after: {count: 1, period: day}
 *           filter: "_loaded_at > now() - interval 7 day"   # optional
 */
import { join } from 'node:path';
import { jsonReplacer, writeFileAtomic } from '../artifacts/artifacts.js';
import type { CompiledProject } from '../compile/compile-project.js';
import type { GraphNode } from '../compile/nodes.js';
import { TxError, didYouMean } from '../errors.js';
import type { Logger } from '../log/logger.js';
import { artifactMetadata } from '../artifacts/dbt-meta.js';
import { writeJsonEnabled } from '../artifacts/artifact-options.js';
import { selectNodes } from '../select/selector.js';
import { stateMethods } from '../select/state.js';
import { createTarget } from '../../targets/registry.js';

const PERIODS: Record<string, number> = { minute: 60, hour: 3600, day: 86400 };

export interface FreshnessRule {
  count: number;
  period: 'minute' | 'hour' | 'day';
}

export interface FreshnessCriteria {
  warnAfter?: FreshnessRule;
  errorAfter?: FreshnessRule;
  filter?: string;
}

export interface FreshnessResult {
  uniqueId: string;
  source: string;
  status: 'pass' | 'warn' | 'error' | 'runtime error';
  maxLoadedAt: string | null;
  snapshottedAt: string;
  ageSeconds: number | null;
  criteria: FreshnessCriteria;
  message: string;
  executionTime: number;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => !!v && typeof v === 'object' && !Array.isArray(v);

function parseRule(v: unknown, key: string, where: { file: string; line?: number; name: string }): FreshnessRule | undefined {
  if (v === undefined || v === null) return undefined;
  const bad = (why: string) =>
    new TxError('PROJECT', `\`freshness.${key}\` of source \`${where.name}\` ${why}`, { file: where.file, line: where.line, hint: `e.g. ${key}: {count: 12, period: hour}` });
  if (!isObj(v)) throw bad('must be a map with count and period');
  for (const k of Object.keys(v)) if (k !== 'count' && k !== 'period') throw bad(`has an unknown key \`${k}\``);
  if (typeof v.count !== 'number' || !(v.count > 0)) throw bad('needs `count`, a number above 0');
  const period = String(v.period ?? '');
  if (!(period in PERIODS)) throw bad(`has period \`${period || '(none)'}\`; use minute, hour or day${didYouMean(period, Object.keys(PERIODS)) ? ` (${didYouMean(period, Object.keys(PERIODS))})` : ''}`);
  return { count: v.count, period: period as FreshnessRule['period'] };
}

/** The freshness criteria of a source table, checked; undefined when it has none. */
export function freshnessOf(n: GraphNode): FreshnessCriteria | undefined {
  const s = n.source!;
  const f = s.freshness;
  const name = `${s.sourceName}.${s.name}`;
  const where = { file: s.file, line: s.line, name };
  if (f === undefined || f === null) return undefined;
  if (!isObj(f)) throw new TxError('PROJECT', `\`freshness\` of source \`${name}\` must be a map with warn_after and/or error_after`, { file: s.file, line: s.line });
  for (const k of Object.keys(f)) {
    if (!['warn_after', 'error_after', 'filter'].includes(k)) {
      throw new TxError('PROJECT', `\`freshness\` of source \`${name}\` has an unknown key \`${k}\``, { file: s.file, line: s.line, hint: didYouMean(k, ['warn_after', 'error_after', 'filter']) });
    }
  }
  const c: FreshnessCriteria = { warnAfter: parseRule(f.warn_after, 'warn_after', where), errorAfter: parseRule(f.error_after, 'error_after', where) };
  if (f.filter !== undefined) {
    if (typeof f.filter !== 'string' || !f.filter.trim()) throw new TxError('PROJECT', `\`freshness.filter\` of source \`${name}\` must be a SQL condition`, { file: s.file, line: s.line });
    c.filter = f.filter;
  }
  if (!c.warnAfter && !c.errorAfter) return undefined;
  if (!s.loadedAtField) {
    throw new TxError('PROJECT', `source \`${name}\` has freshness rules but no \`loaded_at_field\``, {
      file: s.file,
      line: s.line,
      hint: 'name the column (or expression) holding when each row was loaded, e.g. `loaded_at_field: _loaded_at`',
    });
  }
  return c;
}

const seconds = (r: FreshnessRule) => r.count * PERIODS[r.period]!;
const ruleText = (r: FreshnessRule) => `${r.count} ${r.period}${r.count === 1 ? '' : 's'}`;

export function ageText(s: number): string {
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d) return `${d}d ${h}h`;
  if (h) return `${h}h ${m}m`;
  if (m) return `${m}m`;
  return `${Math.max(0, Math.round(s))}s`;
}

function toDate(v: unknown): Date | null {
  if (v === null || v === undefined) return null;
  if (v instanceof Date) return v;
  if (typeof v === 'number' || typeof v === 'bigint') return new Date(Number(v) * (Number(v) < 1e12 ? 1000 : 1));
  const s = String(v);
  // a timestamp without a zone is UTC, as DuckDB and Hive hand it over
  const d = new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(s) ? s : `${s.replace(' ', 'T')}Z`);
  return Number.isNaN(d.getTime()) ? null : d;
}

export interface FreshnessOptions {
  select?: string[];
  exclude?: string[];
  /** The nodes the CLI's one selection picked (select/exclude are then ignored). */
  ids?: string[];
  logger: Logger;
  signal: AbortSignal;
  /** Defaults to now; tests pin it. */
  now?: () => Date;
}

/** Check freshness of the selected sources; exit code 1 when any is past error_after or cannot be read. */
export async function sourceFreshness(c: CompiledProject, o: FreshnessOptions): Promise<{ results: FreshnessResult[]; exitCode: number }> {
  const { logger } = o;
  const t0 = performance.now();
  const selected = o.ids ? new Set(o.ids) : selectNodes(c.nodes, c.dag, c.project.name, o.select, o.exclude, { stateMethods: stateMethods(undefined) });
  const checks: { n: GraphNode; criteria: FreshnessCriteria }[] = [];
  for (const id of c.dag.order(selected)) {
    const n = c.nodes.get(id)!;
    if (n.resourceType !== 'source' || !n.source) continue;
    const criteria = freshnessOf(n);
    if (criteria) checks.push({ n, criteria });
  }
  const targetDir = join(c.project.dir, c.project.targetPath);
  const write = (results: FreshnessResult[]) =>
    writeJsonEnabled() &&
    writeFileAtomic(
      join(targetDir, 'sources.json'),
      JSON.stringify(
        {
          // dbt's sources v3: a measured result, or `runtime error` with the error (no max to show)
          metadata: artifactMetadata('sources'),
          elapsed_time: (performance.now() - t0) / 1000,
          results: results.map((r) =>
            r.maxLoadedAt === null || r.ageSeconds === null
              ? { unique_id: r.uniqueId, error: r.message, status: 'runtime error' }
              : {
                  unique_id: r.uniqueId,
                  max_loaded_at: r.maxLoadedAt,
                  snapshotted_at: r.snapshottedAt,
                  max_loaded_at_time_ago_in_s: r.ageSeconds,
                  status: r.status,
                  criteria: {
                    warn_after: r.criteria.warnAfter ?? { count: null, period: null },
                    error_after: r.criteria.errorAfter ?? { count: null, period: null },
                    filter: r.criteria.filter ?? null,
                  },
                  adapter_response: { _message: r.message },
                  timing: [{ name: 'execute', started_at: r.snapshottedAt, completed_at: new Date(Date.parse(r.snapshottedAt) + r.executionTime * 1000).toISOString() }],
                  thread_id: 'Thread-1 (worker)',
                  execution_time: r.executionTime,
                },
          ),
        },
        jsonReplacer,
        1,
      ),
    );
  if (!checks.length) {
    logger.warn('No selected source has freshness rules (freshness: with warn_after or error_after, and loaded_at_field).');
    write([]);
    return { results: [], exitCode: 0 };
  }
  logger.info(`Checking freshness of ${checks.length} source table${checks.length === 1 ? '' : 's'} on target ${c.target.name}`);
  const target = await createTarget(c.target.name, c.target.config, c.project.dir);
  logger.addSecret(c.target.config.password as string | undefined);
  const session = await target.open({ log: logger, threads: 1 }).catch((e: unknown) => {
    throw new TxError('TARGET', logger.mask(`cannot open target ${c.target.name}: ${(e as Error).message}`), { cause: e });
  });
  const results: FreshnessResult[] = [];
  try {
    let i = 0;
    for (const { n, criteria } of checks) {
      i++;
      const s = n.source!;
      const name = `${s.sourceName}.${s.name}`;
      const t1 = performance.now();
      const now = o.now?.() ?? new Date();
      const base = { uniqueId: n.uniqueId, source: name, criteria, snapshottedAt: now.toISOString() };
      let r: FreshnessResult;
      try {
        if (!(await session.relationExists(n.relation!))) {
          throw new Error(`${session.dialect.relationName(n.relation!).replace(/"/g, '')} does not exist${s.path ? ' (a file source is loaded by tx build or tx run)' : ''}`);
        }
        const sql = `select max(${s.loadedAtField}) as max_loaded_at from ${session.dialect.relationName(n.relation!)}${criteria.filter ? ` where ${criteria.filter}` : ''}`;
        const rows = await session.connection.query(sql, { signal: o.signal, node: n.uniqueId });
        const max = toDate(rows[0]?.max_loaded_at);
        const exec = (performance.now() - t1) / 1000;
        if (!max) {
          r = { ...base, status: 'error', maxLoadedAt: null, ageSeconds: null, message: `${name}: no rows${criteria.filter ? ' match the filter' : ''}, max(${s.loadedAtField}) is null`, executionTime: exec };
        } else {
          const age = (now.getTime() - max.getTime()) / 1000;
          const status = criteria.errorAfter && age > seconds(criteria.errorAfter) ? 'error' : criteria.warnAfter && age > seconds(criteria.warnAfter) ? 'warn' : 'pass';
          const rules = [criteria.warnAfter ? `warn after ${ruleText(criteria.warnAfter)}` : '', criteria.errorAfter ? `error after ${ruleText(criteria.errorAfter)}` : ''].filter(Boolean).join(', ');
          r = { ...base, status, maxLoadedAt: max.toISOString(), ageSeconds: Math.round(age), message: `${name}: last loaded ${ageText(age)} ago at ${max.toISOString()} (${rules})`, executionTime: exec };
        }
      } catch (e) {
        r = { ...base, status: 'runtime error', maxLoadedAt: null, ageSeconds: null, message: `${name} (${s.file}${s.line ? `:${s.line}` : ''}): ${(e as Error).message}`, executionTime: (performance.now() - t1) / 1000 };
      }
      results.push(r);
      const word = r.status === 'pass' ? logger.paint('PASS', 'green') : r.status === 'warn' ? logger.paint('WARN', 'yellow') : logger.paint(r.status === 'error' ? 'STALE' : 'ERROR', 'red');
      logger.line(r.status === 'pass' || r.status === 'warn' ? 'info' : 'error', `${i} of ${checks.length} ${word} freshness of ${r.message} ... [${r.executionTime.toFixed(2)}s]`, {
        node: r.uniqueId,
        status: r.status,
        age_seconds: r.ageSeconds,
      });
    }
  } finally {
    await session.close().catch(() => undefined);
  }
  write(results);
  const n = (st: FreshnessResult['status']) => results.filter((r) => r.status === st).length;
  logger.info(`Finished source freshness of ${results.length} table${results.length === 1 ? '' : 's'}. PASS=${n('pass')} WARN=${n('warn')} ERROR=${n('error') + n('runtime error')}`);
  return { results, exitCode: n('error') + n('runtime error') ? 1 : 0 };
}
