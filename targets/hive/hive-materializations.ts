/**
 * Materializations on HiveServer2 (Spark Thrift Server or Apache Hive). Hive has no transactions
 * around DDL, so "atomic" here means build-beside-then-swap:
 *
 * - view: `CREATE OR REPLACE VIEW` (one metastore call; readers see the old or the new view).
 * - table: CTAS into `<name>__tx_new`, check the contract, then swap:
 *     ALTER TABLE name RENAME TO name__tx_old;  ALTER TABLE name__tx_new RENAME TO name;  DROP old
 *   Between the two renames (two metastore calls, plus a directory rename for managed tables) a
 *   reader gets "table not found"; before it the old rows, after it the new ones; never a mix and
 *   never an empty table. Dropping the old table (which deletes its files) happens after the new
 *   one is in place, so it is outside that window. A failure before the swap leaves the old table
 *   untouched; a failure of the second rename renames the old table back.
 * - incremental: the new rows go to a staging table `<name>__tx_incr` first (Spark cannot
 *   overwrite a table it is reading, and the model usually reads `{{ this }}`), then
 *   append = INSERT INTO; insert_overwrite = INSERT OVERWRITE ... PARTITION (cols) with dynamic
 *   partition overwrite (only the partitions present in the new rows are replaced); merge and
 *   delete+insert = MERGE INTO, only on formats that support it (delta, iceberg, hudi).
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { TargetError, type AuditConnection, type BuildResult, type ColumnInfo, type ModelBuild, type Relation, type TargetLog } from '../target.js';
import type { HiveConnection } from './hive-connection.js';
import { hiveDialect as d, normalizeHiveType } from './hive-dialect.js';
import type { HiveIntrospector, RelationDetails } from './hive-introspector.js';

/** Relations tx builds beside the real one; a leftover from a killed run is dropped next time. */
export const tmpRelation = (r: Relation, suffix: string): Relation => ({ ...r, identifier: `${r.identifier}__tx_${suffix}` });

/** Formats whose tables accept MERGE INTO / DELETE on Spark and Hive. */
const MERGE_FORMATS = new Set(['delta', 'iceberg', 'hudi']);

/** Target-level defaults that model options override. */
export interface HiveTableDefaults {
  fileFormat: string;
  locationRoot?: string;
}

/** Storage options of one table, from the model's config. */
export interface TableOptions {
  fileFormat: string;
  partitionBy: string[];
  clusteredBy: string[];
  buckets?: number;
  tblproperties: Record<string, string>;
  locationRoot?: string;
}

function stringList(v: unknown, what: string): string[] {
  if (v === undefined || v === null || v === '') return [];
  if (typeof v === 'string') return v.split(',').map((s) => s.trim()).filter(Boolean);
  if (Array.isArray(v)) return v.map((x) => String(x));
  if (typeof v === 'object') {
    const o = v as { field?: unknown; fields?: unknown };
    if (o.field !== undefined) return [String(o.field)];
    if (o.fields !== undefined) return stringList(o.fields, what);
  }
  throw new TargetError(`${what} must be a column name or a list of column names, got ${JSON.stringify(v)}`);
}

export function tableOptions(options: Record<string, unknown>, defaults: HiveTableDefaults): TableOptions {
  const buckets = options.buckets === undefined || options.buckets === null ? undefined : Number(options.buckets);
  const clusteredBy = stringList(options.clustered_by, 'clustered_by');
  if (clusteredBy.length && (!buckets || !Number.isInteger(buckets) || buckets < 1)) {
    throw new TargetError('clustered_by needs `buckets`, a whole number of buckets (e.g. buckets: 8)');
  }
  const props: Record<string, string> = {};
  const raw = options.tblproperties;
  if (raw && typeof raw === 'object') for (const [k, v] of Object.entries(raw as Record<string, unknown>)) props[k] = String(v);
  return {
    fileFormat: String(options.file_format ?? defaults.fileFormat ?? 'parquet').toLowerCase(),
    partitionBy: stringList(options.partition_by, 'partition_by'),
    clusteredBy,
    buckets,
    tblproperties: props,
    locationRoot: (options.location_root as string | undefined) ?? defaults.locationRoot,
  };
}

/** `root/schema/identifier/<build id>`: a fresh folder per build, since CTAS needs an empty one. */
export function tableLocation(root: string, r: Relation, buildId: string): string {
  return `${root.replace(/\/+$/, '')}/${r.schema}/${r.identifier}/${buildId}`;
}

/** A local folder for a `file:` URL or an absolute path; null for hdfs://, s3a://, ... */
export function localPath(location: string): string | null {
  if (location.startsWith('file:')) {
    try {
      return fileURLToPath(location.startsWith('file:///') ? location : location.replace(/^file:\/*/, 'file:///'));
    } catch {
      return null;
    }
  }
  return path.isAbsolute(location) ? location : null;
}

export function newBuildId(): string {
  return `b${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
}

/** Compare built columns with an enforced contract; a message naming every difference, or null. */
export function contractDiff(actual: ColumnInfo[], contract: { name: string; dataType: string }[]): string | null {
  const problems: string[] = [];
  const byName = new Map(actual.map((c) => [c.name.toLowerCase(), c]));
  for (const c of contract) {
    const a = byName.get(c.name.toLowerCase());
    if (!a) problems.push(`column \`${c.name}\` is missing from the model's output`);
    else if (c.dataType && normalizeHiveType(a.type) !== normalizeHiveType(c.dataType)) {
      problems.push(`column \`${c.name}\` is ${a.type}, the contract says ${c.dataType} (${d.typeName(c.dataType)} on Hive)`);
    }
  }
  const declared = new Set(contract.map((c) => c.name.toLowerCase()));
  for (const a of actual) if (!declared.has(a.name.toLowerCase())) problems.push(`column \`${a.name}\` is in the output but not in the contract`);
  return problems.length ? `contract violated: ${problems.join('; ')}` : null;
}

export class HiveMaterializations {
  constructor(
    private readonly conn: HiveConnection,
    private readonly intro: HiveIntrospector,
    private readonly defaults: HiveTableDefaults,
    private readonly log: TargetLog,
    /** True on the Spark Thrift Server (`USING fmt`); false on Apache Hive (`STORED AS fmt`). */
    private readonly spark: () => boolean,
    /** Tests of one audit run at once, up to this many (the session runs statements concurrently). */
    private readonly auditConcurrency = 1,
  ) {}

  async materialize(b: ModelBuild): Promise<BuildResult> {
    if (b.materialized === 'view') return this.view(b);
    if (b.materialized === 'table') return this.table(b);
    if (b.materialized === 'external') throw new TargetError('materialization `external` (dbt-duckdb\'s) is not supported on Hive: use `table` with `exports:`');
    return this.incremental(b);
  }

  private run(b: { signal?: AbortSignal; uniqueId: string }, sql: string): Promise<{ rowsAffected?: number }> {
    return this.conn.execute(sql, { signal: b.signal, node: b.uniqueId });
  }

  private async count(b: ModelBuild, r: Relation): Promise<number> {
    const rows = await this.conn.query(`SELECT count(*) AS n FROM ${d.relationName(r)}`, { signal: b.signal, node: b.uniqueId });
    return Number(rows[0]?.n ?? 0);
  }

  /** The audit's queries (Hive has no transactions: the side relation is all the isolation there is). */
  private auditConnection(b: ModelBuild): AuditConnection {
    const opts = (o?: { signal?: AbortSignal; node?: string }) => ({ signal: o?.signal ?? b.signal, node: o?.node ?? b.uniqueId });
    return {
      query: (sql, o) => this.conn.query(sql, opts(o)),
      execute: (sql, o) => this.conn.execute(sql, opts(o)),
      columns: this.intro.auditColumns(),
      concurrency: this.auditConcurrency,
    };
  }

  private async checkContract(b: ModelBuild, built: Relation): Promise<void> {
    if (!b.contract) return;
    const diff = contractDiff(await this.intro.columns(built), b.contract.columns);
    if (diff) throw new TargetError(diff);
  }

  /**
   * Runs `create` (a CREATE TABLE of `r`); when a leftover of a killed run is in the way, drops it
   * and tries once more. Saves the DROP round trip in the usual case.
   */
  async createFresh(b: { signal?: AbortSignal; uniqueId: string }, r: Relation, create: () => Promise<unknown>): Promise<void> {
    try {
      await create();
    } catch (e) {
      if (!(e instanceof TargetError) || !/ALREADY_EXISTS|already exists/i.test(e.message)) throw e;
      this.log.info(`dropping ${d.relationName(r)}, left over from an earlier run`);
      await this.run(b, `DROP TABLE IF EXISTS ${d.relationName(r)}`);
      await create();
    }
  }

  /** ALTER TABLE from RENAME TO to, dropping a leftover `to` (from a killed run) if needed. */
  private async renameAside(b: { signal?: AbortSignal; uniqueId: string }, from: Relation, to: Relation): Promise<void> {
    await this.createFresh(b, to, () => this.run(b, `ALTER TABLE ${d.relationName(from)} RENAME TO ${d.relationName(to)}`));
  }

  async dropIfExists(r: Relation, node?: string, kindHint?: 'table' | 'view'): Promise<void> {
    const kind = kindHint ?? (await this.intro.kind(r));
    if (!kind) return;
    await this.conn.execute(`DROP ${kind === 'view' ? 'VIEW' : 'TABLE'} IF EXISTS ${d.relationName(r)}`, { node });
  }

  // ------------------------------------------------------------------ view

  private async view(b: ModelBuild): Promise<BuildResult> {
    const name = d.relationName(b.relation);
    if (b.contract || b.audit) {
      // Check the contract and audit the new definition on a view beside the real one before replacing it.
      const tmp = tmpRelation(b.relation, b.audit ? 'audit' : 'contract');
      await this.run(b, `CREATE OR REPLACE VIEW ${d.relationName(tmp)} AS\n${b.sql}`);
      try {
        await this.checkContract(b, tmp);
        if (b.audit) await b.audit(tmp, this.auditConnection(b));
      } finally {
        await this.run(b, `DROP VIEW IF EXISTS ${d.relationName(tmp)}`).catch(() => undefined);
      }
    }
    const existing = await this.intro.details(b.relation);
    if (existing?.kind === 'table') {
      // A table becomes a view: move the table aside, create the view, then drop the old table.
      const old = tmpRelation(b.relation, 'old');
      await this.renameAside(b, b.relation, old);
      try {
        await this.run(b, `CREATE VIEW ${name} AS\n${b.sql}`);
      } catch (e) {
        await this.run(b, `ALTER TABLE ${d.relationName(old)} RENAME TO ${name}`).catch(() => undefined);
        throw e;
      }
      await this.run(b, `DROP TABLE IF EXISTS ${d.relationName(old)}`);
    } else {
      await this.run(b, `CREATE OR REPLACE VIEW ${name} AS\n${b.sql}`);
    }
    return { action: 'created view' };
  }

  // ------------------------------------------------------------------ table

  /** The CREATE TABLE ... AS statement (Spark) for `sql` into `r` with storage options `o`. */
  ctasSql(r: Relation, sql: string, o: TableOptions, location?: string): string {
    const q = d.quoteIdentifier;
    const parts = [`CREATE TABLE ${d.relationName(r)}`];
    if (this.spark()) {
      parts.push(`USING ${o.fileFormat}`);
      if (o.partitionBy.length) parts.push(`PARTITIONED BY (${o.partitionBy.map(q).join(', ')})`);
      if (o.clusteredBy.length) parts.push(`CLUSTERED BY (${o.clusteredBy.map(q).join(', ')}) INTO ${o.buckets} BUCKETS`);
      if (location) parts.push(`LOCATION ${d.literal(location)}`);
    } else {
      if (location) parts[0] = `CREATE EXTERNAL TABLE ${d.relationName(r)}`;
      if (o.clusteredBy.length) parts.push(`CLUSTERED BY (${o.clusteredBy.map(q).join(', ')}) INTO ${o.buckets} BUCKETS`);
      parts.push(`STORED AS ${o.fileFormat.toUpperCase()}`);
      if (location) parts.push(`LOCATION ${d.literal(location)}`);
    }
    const props = Object.entries(o.tblproperties);
    if (props.length) parts.push(`TBLPROPERTIES (${props.map(([k, v]) => `${d.literal(k)}=${d.literal(v)}`).join(', ')})`);
    return `${parts.join('\n')}\nAS\n${sql}`;
  }

  /**
   * Creates table `r` from `sql` with options `o`. Spark: one CTAS. Apache Hive cannot CTAS into
   * a partitioned or external table, so there: a view for the schema, CREATE TABLE, INSERT.
   */
  async createTableAs(b: { signal?: AbortSignal; uniqueId: string }, r: Relation, sql: string, o: TableOptions, location?: string): Promise<void> {
    if (this.spark() || (!o.partitionBy.length && !location)) {
      await this.run(b, this.ctasSql(r, sql, o, location));
      return;
    }
    const q = d.quoteIdentifier;
    const shape = tmpRelation(r, 'shape');
    await this.run(b, `CREATE OR REPLACE VIEW ${d.relationName(shape)} AS\n${sql}`);
    try {
      const cols = await this.intro.columns(shape);
      const parts = new Set(o.partitionBy.map((p) => p.toLowerCase()));
      const dataCols = cols.filter((c) => !parts.has(c.name.toLowerCase()));
      const partCols = o.partitionBy.map((p) => {
        const c = cols.find((x) => x.name.toLowerCase() === p.toLowerCase());
        if (!c) throw new TargetError(`partition_by column \`${p}\` is not in the model's output`);
        return c;
      });
      const ddl = [
        `CREATE ${location ? 'EXTERNAL ' : ''}TABLE ${d.relationName(r)} (${dataCols.map((c) => `${q(c.name)} ${c.type}`).join(', ')})`,
        ...(partCols.length ? [`PARTITIONED BY (${partCols.map((c) => `${q(c.name)} ${c.type}`).join(', ')})`] : []),
        ...(o.clusteredBy.length ? [`CLUSTERED BY (${o.clusteredBy.map(q).join(', ')}) INTO ${o.buckets} BUCKETS`] : []),
        `STORED AS ${o.fileFormat.toUpperCase()}`,
        ...(location ? [`LOCATION ${d.literal(location)}`] : []),
        ...(Object.keys(o.tblproperties).length
          ? [`TBLPROPERTIES (${Object.entries(o.tblproperties).map(([k, v]) => `${d.literal(k)}=${d.literal(v)}`).join(', ')})`]
          : []),
      ].join('\n');
      await this.run(b, ddl);
      const select = [...dataCols, ...partCols].map((c) => q(c.name)).join(', ');
      const partition = partCols.length ? ` PARTITION (${partCols.map((c) => q(c.name)).join(', ')})` : '';
      await this.run(b, `INSERT OVERWRITE TABLE ${d.relationName(r)}${partition} SELECT ${select} FROM ${d.relationName(shape)}`);
    } finally {
      await this.run(b, `DROP VIEW IF EXISTS ${d.relationName(shape)}`).catch(() => undefined);
    }
  }

  /**
   * Puts `tmp` in place of `target`. See the file comment for what readers see. Returns how long
   * `target` was missing (ms).
   */
  async swap(b: { signal?: AbortSignal; uniqueId: string }, tmp: Relation, target: Relation, existing: RelationDetails | undefined): Promise<number> {
    const name = d.relationName(target);
    // The swap is not interrupted by a timeout or Ctrl-C once started: a half-done swap is worse.
    const node = { uniqueId: b.uniqueId };
    if (!existing) {
      const t0 = performance.now();
      await this.run(node, `ALTER TABLE ${d.relationName(tmp)} RENAME TO ${name}`);
      return performance.now() - t0;
    }
    if (existing.kind === 'view') {
      const t0 = performance.now();
      await this.run(node, `DROP VIEW ${name}`);
      await this.run(node, `ALTER TABLE ${d.relationName(tmp)} RENAME TO ${name}`);
      return performance.now() - t0;
    }
    const old = tmpRelation(target, 'old');
    const t0 = performance.now();
    await this.renameAside(node, target, old);
    try {
      await this.run(node, `ALTER TABLE ${d.relationName(tmp)} RENAME TO ${name}`);
    } catch (e) {
      await this.run(node, `ALTER TABLE ${d.relationName(old)} RENAME TO ${name}`).catch((e2: unknown) =>
        this.log.warn(`could not rename ${d.relationName(old)} back to ${name} after a failed swap: ${(e2 as Error).message}`),
      );
      throw e;
    }
    const window = performance.now() - t0;
    await this.run(node, `DROP TABLE IF EXISTS ${d.relationName(old)}`);
    this.removeOldLocation(existing, target);
    return window;
  }

  /**
   * DROP of an external table keeps its files. When tx put them there (a build folder under
   * location_root/schema/table/) and the folder is local, remove them too.
   */
  private removeOldLocation(existing: RelationDetails, target: Relation): void {
    if (!existing.external || !existing.location) return;
    const local = localPath(existing.location);
    if (!local) {
      this.log.statement(`-- the previous files of ${d.relationName(target)} stay at ${existing.location} (external table)`, 0);
      return;
    }
    const parent = path.basename(path.dirname(local));
    if (parent !== target.identifier || !/^b[0-9a-z]+$/.test(path.basename(local))) return;
    try {
      fs.rmSync(local, { recursive: true, force: true });
    } catch (e) {
      this.log.warn(`could not remove the old files of ${d.relationName(target)} at ${local}: ${(e as Error).message}`);
    }
  }

  private async table(b: ModelBuild, existingKnown?: RelationDetails | null): Promise<BuildResult> {
    const o = tableOptions(b.options, this.defaults);
    const tmp = tmpRelation(b.relation, 'new');
    const existing = existingKnown === undefined ? await this.intro.details(b.relation) : (existingKnown ?? undefined);
    const location = o.locationRoot ? tableLocation(o.locationRoot, b.relation, newBuildId()) : undefined;
    try {
      await this.createFresh(b, tmp, () => this.createTableAs(b, tmp, b.sql, o, location));
      await this.checkContract(b, tmp);
      const rows = await this.count(b, tmp);
      // Audit before publish: the new version is tested where it stands, beside the old one.
      if (b.audit) await b.audit(tmp, this.auditConnection(b));
      const window = await this.swap(b, tmp, b.relation, existing);
      // How long readers got "table not found": into logs/tx.log (not the console).
      this.log.statement(`-- swap: ${d.relationName(b.relation)} was missing for ${window.toFixed(0)} ms`, window, b.uniqueId);
      return { action: existing?.kind === 'view' ? 'created table (was a view)' : 'created table', rowsAffected: rows };
    } catch (e) {
      await this.conn.execute(`DROP TABLE IF EXISTS ${d.relationName(tmp)}`, { node: b.uniqueId }).catch(() => undefined);
      if (location) {
        const local = localPath(location);
        if (local) fs.rmSync(local, { recursive: true, force: true });
      }
      throw e;
    }
  }

  // ------------------------------------------------------------------ incremental

  private async incremental(b: ModelBuild): Promise<BuildResult> {
    const existing = await this.intro.details(b.relation);
    if (!existing || existing.kind === 'view' || b.fullRefresh) {
      const r = await this.table({ ...b, materialized: 'table' }, existing ?? null);
      return { ...r, action: b.fullRefresh && existing ? 'full refresh: created table' : r.action };
    }
    const inc = b.incremental ?? { strategy: 'append' as const, uniqueKey: [], onSchemaChange: 'ignore' as const };
    const name = d.relationName(b.relation);
    const q = d.quoteIdentifier;
    const format = existing.provider || 'unknown';
    if ((inc.strategy === 'merge' || inc.strategy === 'delete+insert') && !MERGE_FORMATS.has(format)) {
      throw new TargetError(
        `incremental_strategy ${inc.strategy} needs a table format with MERGE INTO (delta, iceberg or hudi), but ${name} is stored as ${format}; ` +
          `use incremental_strategy insert_overwrite (with partition_by) or append, or rebuild it with file_format: delta / iceberg (the server needs that format's jars)`,
      );
    }
    if ((inc.strategy === 'merge' || inc.strategy === 'delete+insert') && inc.uniqueKey.length === 0) {
      throw new TargetError(`incremental_strategy ${inc.strategy} needs a unique_key`);
    }
    const staging = tmpRelation(b.relation, 'incr');
    let side: { relation: Relation; location?: string } | undefined;
    let dest: Relation = b.relation;
    const stagingName = d.relationName(staging);
    const stagingOptions: TableOptions = { fileFormat: 'parquet', partitionBy: [], clusteredBy: [], tblproperties: {} };
    try {
      await this.createFresh(b, staging, () => this.createTableAs(b, staging, b.sql, stagingOptions));
      await this.checkContract(b, staging);
      const newCols = await this.intro.columns(staging);
      const newByName = new Map(newCols.map((c) => [c.name.toLowerCase(), c]));
      const oldByName = new Map(existing.columns.map((c) => [c.name.toLowerCase(), c]));
      const added = newCols.filter((c) => !oldByName.has(c.name.toLowerCase()));
      const removed = existing.columns.filter((c) => !newByName.has(c.name.toLowerCase()));
      const changed = newCols.filter((c) => {
        const o = oldByName.get(c.name.toLowerCase());
        return o !== undefined && normalizeHiveType(o.type) !== normalizeHiveType(c.type);
      });
      for (const k of inc.uniqueKey) {
        if (!newByName.has(k.toLowerCase())) throw new TargetError(`unique_key column \`${k}\` is not in the model's output`);
      }
      const partSet = new Set(existing.partitionColumns.map((p) => p.toLowerCase()));
      for (const p of existing.partitionColumns) {
        if (!newByName.has(p.toLowerCase())) throw new TargetError(`partition column \`${p}\` of ${name} is missing from the model's output`);
      }
      const differs = added.length + removed.length + changed.length > 0;
      if (differs && inc.onSchemaChange === 'fail') {
        throw new TargetError(
          `on_schema_change is fail and the schema changed: ${[
            ...added.map((x) => `new column ${x.name} ${x.type}`),
            ...removed.map((x) => `removed column ${x.name}`),
            ...changed.map((x) => `column ${x.name} changed type from ${oldByName.get(x.name.toLowerCase())!.type} to ${x.type}`),
          ].join(', ')}`,
        );
      }
      let target = existing;
      const evolve = differs && (inc.onSchemaChange === 'append_new_columns' || inc.onSchemaChange === 'sync_all_columns');
      const resync = evolve && inc.onSchemaChange === 'sync_all_columns' && (removed.length > 0 || changed.length > 0);
      if (evolve) {
        const partChange = [...removed, ...changed].filter((c) => partSet.has(c.name.toLowerCase()));
        if (partChange.length) throw new TargetError(`partition columns cannot change in an incremental run (${partChange.map((c) => c.name).join(', ')}); run with --full-refresh`);
      }
      if (b.audit) {
        // Audit before publish: Hive has no transactions, so the merge goes into a copy of the table
        // (`__tx_new`, columns synced when asked), which is tested and then swapped in like a table build.
        side = await this.copyAside(b, existing, resync ? newCols : undefined);
        dest = side.relation;
        target = (await this.intro.details(dest)) ?? target;
      }
      const destName = d.relationName(dest);
      if (evolve) {
        if (resync && !b.audit) target = await this.rebuildSynced(b, existing, newCols);
        const toAdd = added.filter((c) => !(target.columns ?? []).some((t) => t.name.toLowerCase() === c.name.toLowerCase()));
        if (toAdd.length) {
          await this.run(b, `ALTER TABLE ${destName} ADD COLUMNS (${toAdd.map((c) => `${q(c.name)} ${c.type}`).join(', ')})`);
        }
        target = (await this.intro.details(dest)) ?? target;
      }
      // Target columns in table order (partition columns last); missing ones are NULL.
      const select = target.columns
        .map((c) => (newByName.has(c.name.toLowerCase()) ? `s.${q(newByName.get(c.name.toLowerCase())!.name)}` : `CAST(NULL AS ${c.type})`) + ` AS ${q(c.name)}`)
        .join(', ');
      const partition = target.partitionColumns.length ? ` PARTITION (${target.partitionColumns.map(q).join(', ')})` : '';
      const rows = await this.count(b, staging);
      const keyMatch = inc.uniqueKey.map((k) => `t.${q(k)} <=> s.${q(k)}`).join(' AND ');
      switch (inc.strategy) {
        case 'append':
          await this.run(b, `INSERT INTO TABLE ${destName}${partition}\nSELECT ${select} FROM ${stagingName} s`);
          break;
        case 'insert_overwrite':
          if (!target.partitionColumns.length) {
            this.log.warn(`${name} is not partitioned: insert_overwrite replaces the whole table`);
          }
          await this.run(b, `INSERT OVERWRITE TABLE ${destName}${partition}\nSELECT ${select} FROM ${stagingName} s`);
          break;
        case 'merge':
          await this.run(
            b,
            `MERGE INTO ${destName} t USING (SELECT ${select} FROM ${stagingName} s) s ON ${keyMatch}\nWHEN MATCHED THEN UPDATE SET *\nWHEN NOT MATCHED THEN INSERT *`,
          );
          break;
        case 'delete+insert':
          await this.run(b, `MERGE INTO ${destName} t USING ${stagingName} s ON ${keyMatch}\nWHEN MATCHED THEN DELETE`);
          await this.run(b, `INSERT INTO TABLE ${destName}${partition}\nSELECT ${select} FROM ${stagingName} s`);
          break;
        default:
          throw new TargetError(`incremental_strategy ${String(inc.strategy)} is not supported on Hive (use append, insert_overwrite, or merge on delta/iceberg)`);
      }
      if (b.audit && side) {
        await b.audit(side.relation, this.auditConnection(b));
        const window = await this.swap(b, side.relation, b.relation, existing);
        this.log.statement(`-- swap: ${name} was missing for ${window.toFixed(0)} ms`, window, b.uniqueId);
        side = undefined;
      }
      return { action: `incremental ${inc.strategy}`, rowsAffected: rows };
    } finally {
      await this.conn.execute(`DROP TABLE IF EXISTS ${stagingName}`, { node: b.uniqueId }).catch(() => undefined);
      if (side) await this.discardAside(b, side);
    }
  }

  /**
   * A copy of `existing` beside it (`__tx_new`, same format, partitioning and location root), with its
   * columns synced to `newCols` (kept ones cast to their new types) when given.
   */
  private async copyAside(b: ModelBuild, existing: RelationDetails, newCols?: ColumnInfo[]): Promise<{ relation: Relation; location?: string }> {
    const q = d.quoteIdentifier;
    let select = '*';
    if (newCols) {
      const newByName = new Map(newCols.map((c) => [c.name.toLowerCase(), c]));
      select = existing.columns
        .filter((c) => newByName.has(c.name.toLowerCase()))
        .map((c) => {
          const n = newByName.get(c.name.toLowerCase())!;
          return normalizeHiveType(n.type) === normalizeHiveType(c.type) ? q(c.name) : `CAST(${q(c.name)} AS ${n.type}) AS ${q(c.name)}`;
        })
        .join(', ');
    }
    const base = tableOptions(b.options, this.defaults);
    const o: TableOptions = {
      ...base,
      fileFormat: existing.provider && existing.provider !== 'hive' ? existing.provider : base.fileFormat,
      partitionBy: existing.partitionColumns,
    };
    const relation = tmpRelation(b.relation, 'new');
    const location = existing.external && o.locationRoot ? tableLocation(o.locationRoot, b.relation, newBuildId()) : undefined;
    try {
      await this.createFresh(b, relation, () => this.createTableAs(b, relation, `SELECT ${select} FROM ${d.relationName(b.relation)}`, o, location));
    } catch (e) {
      await this.discardAside(b, { relation, location });
      throw e;
    }
    return { relation, location };
  }

  /** Drops a side copy that was not published (and its files, when tx put them in a local folder). */
  private async discardAside(b: ModelBuild, side: { relation: Relation; location?: string }): Promise<void> {
    await this.conn.execute(`DROP TABLE IF EXISTS ${d.relationName(side.relation)}`, { node: b.uniqueId }).catch(() => undefined);
    const local = side.location ? localPath(side.location) : null;
    if (local) fs.rmSync(local, { recursive: true, force: true });
  }

  /**
   * sync_all_columns with removed or retyped columns: plain Parquet/ORC tables cannot DROP or
   * retype a column, so the table is rebuilt (old rows, columns synced, types cast) and swapped.
   */
  private async rebuildSynced(b: ModelBuild, existing: RelationDetails, newCols: ColumnInfo[]): Promise<RelationDetails> {
    const q = d.quoteIdentifier;
    const newByName = new Map(newCols.map((c) => [c.name.toLowerCase(), c]));
    const kept = existing.columns.filter((c) => newByName.has(c.name.toLowerCase()));
    const select = kept
      .map((c) => {
        const n = newByName.get(c.name.toLowerCase())!;
        return normalizeHiveType(n.type) === normalizeHiveType(c.type) ? q(c.name) : `CAST(${q(c.name)} AS ${n.type}) AS ${q(c.name)}`;
      })
      .join(', ');
    const o: TableOptions = {
      ...tableOptions(b.options, this.defaults),
      fileFormat: existing.provider && existing.provider !== 'hive' ? existing.provider : tableOptions(b.options, this.defaults).fileFormat,
      partitionBy: existing.partitionColumns,
    };
    const tmp = tmpRelation(b.relation, 'new');
    const location = existing.external && o.locationRoot ? tableLocation(o.locationRoot, b.relation, newBuildId()) : undefined;
    try {
      await this.createFresh(b, tmp, () => this.createTableAs(b, tmp, `SELECT ${select} FROM ${d.relationName(b.relation)}`, o, location));
      await this.swap(b, tmp, b.relation, existing);
    } catch (e) {
      await this.conn.execute(`DROP TABLE IF EXISTS ${d.relationName(tmp)}`, { node: b.uniqueId }).catch(() => undefined);
      throw e;
    }
    this.log.info(`${d.relationName(b.relation)}: rebuilt to sync its columns with the model (sync_all_columns)`);
    return (await this.intro.details(b.relation))!;
  }
}
