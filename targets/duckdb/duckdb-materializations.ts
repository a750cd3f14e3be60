import type { DuckDBConnection } from '@duckdb/node-api';
import { TargetError, type AuditConnection, type BuildResult, type ColumnInfo, type ModelBuild, type Relation } from '../target.js';
import type { DuckdbPool } from './duckdb-connection.js';
import { duckdbDialect as d } from './duckdb-dialect.js';
import type { DuckdbIntrospector } from './duckdb-introspector.js';
import { materializeExternal } from './duckdb-external.js';

/** Temporary relations tx builds beside the real one; a leftover from a killed run is dropped next time. */
export const tmpRelation = (r: Relation, suffix: string): Relation => ({ ...r, identifier: `${r.identifier}__tx_${suffix}` });

/** Types that mean the same to a contract (`int` = `INTEGER`, `text` = `VARCHAR`, ...). */
const TYPE_ALIASES: Record<string, string> = {
  INT: 'INTEGER',
  INT4: 'INTEGER',
  INT8: 'BIGINT',
  LONG: 'BIGINT',
  STRING: 'VARCHAR',
  TEXT: 'VARCHAR',
  FLOAT8: 'DOUBLE',
  'DOUBLE PRECISION': 'DOUBLE',
  BOOL: 'BOOLEAN',
  FLOAT4: 'FLOAT',
  REAL: 'FLOAT',
  INT2: 'SMALLINT',
  DATETIME: 'TIMESTAMP',
};
export function normalizeType(t: string): string {
  const u = t.trim().toUpperCase().replace(/\s+/g, ' ');
  return TYPE_ALIASES[u] ?? u;
}

/** Compare built columns with an enforced contract; a message naming every difference, or null. */
export function contractDiff(actual: ColumnInfo[], contract: { name: string; dataType: string }[]): string | null {
  const problems: string[] = [];
  const byName = new Map(actual.map((c) => [c.name.toLowerCase(), c]));
  for (const c of contract) {
    const a = byName.get(c.name.toLowerCase());
    if (!a) problems.push(`column \`${c.name}\` is missing from the model's output`);
    else if (c.dataType && normalizeType(a.type) !== normalizeType(d.typeName(c.dataType))) {
      problems.push(`column \`${c.name}\` is ${a.type}, the contract says ${c.dataType}`);
    }
  }
  const declared = new Set(contract.map((c) => c.name.toLowerCase()));
  for (const a of actual) if (!declared.has(a.name.toLowerCase())) problems.push(`column \`${a.name}\` is in the output but not in the contract`);
  return problems.length ? `contract violated: ${problems.join('; ')}` : null;
}

/** Materializations on DuckDB. Every replacement is build-beside, then swap in one transaction. */
export class DuckdbMaterializations {
  constructor(
    private readonly pool: DuckdbPool,
    private readonly intro: DuckdbIntrospector,
  ) {}

  async materialize(b: ModelBuild): Promise<BuildResult> {
    if (b.materialized === 'view') return this.view(b);
    if (b.materialized === 'table') return this.table(b);
    if (b.materialized === 'external') {
      return materializeExternal(this.pool, this.intro, { inTransaction: (c, m, fn) => this.inTransaction(c, m, fn), auditConnection: (c, m) => this.auditConnection(c, m), checkContract: (c, m, r) => this.checkContract(c, m, r) }, b);
    }
    return this.incremental(b);
  }

  private async inTransaction<T>(c: DuckDBConnection, b: ModelBuild, fn: () => Promise<T>): Promise<T> {
    await this.pool.run(c, 'begin transaction', { node: b.uniqueId });
    try {
      const r = await fn();
      await this.pool.run(c, 'commit', { node: b.uniqueId });
      return r;
    } catch (e) {
      await this.pool.run(c, 'rollback', { node: b.uniqueId }).catch(() => undefined);
      throw e;
    }
  }

  /** The audit's queries run on the build's connection `c` (inside its transaction when one is open). */
  private auditConnection(c: DuckDBConnection, b: ModelBuild): AuditConnection {
    const opts = (o?: { signal?: AbortSignal; node?: string }) => ({ signal: o?.signal ?? b.signal, node: o?.node ?? b.uniqueId });
    return {
      query: async (sql, o) => (await this.pool.run(c, sql, opts(o))).rows ?? [],
      execute: async (sql, o) => ({ rowsAffected: (await this.pool.run(c, sql, opts(o))).rowsAffected }),
      columns: (r) => this.intro.columns(r, c),
      printRows: async (sql, o) => (await this.pool.run(c, sql, { ...opts(o), exact: true })).rows ?? [],
    };
  }

  private async checkContract(c: DuckDBConnection, b: ModelBuild, built: Relation): Promise<void> {
    if (!b.contract) return;
    const diff = contractDiff(await this.intro.columns(built, c), b.contract.columns);
    if (diff) throw new TargetError(diff);
  }

  private async view(b: ModelBuild): Promise<BuildResult> {
    const name = d.relationName(b.relation);
    const kind = await this.intro.kind(b.relation);
    return this.pool.with(async (c) => {
      const opts = { signal: b.signal, node: b.uniqueId };
      if (b.contract || b.audit) {
        // Check the contract and audit the new definition on a view beside the real one before replacing it.
        const tmp = tmpRelation(b.relation, b.audit ? 'audit' : 'contract');
        await this.pool.run(c, `create or replace view ${d.relationName(tmp)} as\n${b.sql}`, opts);
        try {
          await this.checkContract(c, b, tmp);
          if (b.audit) await b.audit(tmp, this.auditConnection(c, b));
        } finally {
          await this.pool.run(c, `drop view if exists ${d.relationName(tmp)}`, opts);
        }
      }
      if (kind === 'table') {
        await this.inTransaction(c, b, async () => {
          await this.pool.run(c, `drop table ${name}`, opts);
          await this.pool.run(c, `create view ${name} as\n${b.sql}`, opts);
        });
      } else {
        await this.pool.run(c, `create or replace view ${name} as\n${b.sql}`, opts);
      }
      return { action: 'created view' };
    });
  }

  /** CTAS beside the target, check the contract, then drop-and-rename in one transaction. */
  private async table(b: ModelBuild): Promise<BuildResult> {
    const tmp = tmpRelation(b.relation, 'new');
    const name = d.relationName(b.relation);
    const kind = await this.intro.kind(b.relation);
    return this.pool.with(async (c) => {
      const opts = { signal: b.signal, node: b.uniqueId };
      await this.pool.run(c, `drop table if exists ${d.relationName(tmp)}`, opts);
      try {
        await this.pool.run(c, `create table ${d.relationName(tmp)} as\n${b.sql}`, opts);
        await this.checkContract(c, b, tmp);
        const rows = Number((await this.pool.run(c, `select count(*) as n from ${d.relationName(tmp)}`, opts)).rows?.[0]?.n ?? 0);
        // Audit before publish: the new version is tested where it stands, beside the old one.
        if (b.audit) await b.audit(tmp, this.auditConnection(c, b));
        await this.inTransaction(c, b, async () => {
          if (kind === 'table') await this.pool.run(c, `drop table ${name}`, opts);
          else if (kind === 'view') await this.pool.run(c, `drop view ${name}`, opts);
          await this.pool.run(c, `alter table ${d.relationName(tmp)} rename to ${d.quoteIdentifier(b.relation.identifier)}`, opts);
        });
        return { action: 'created table', rowsAffected: rows };
      } catch (e) {
        await this.pool.run(c, `drop table if exists ${d.relationName(tmp)}`).catch(() => undefined);
        throw e;
      }
    });
  }

  private async incremental(b: ModelBuild): Promise<BuildResult> {
    const kind = await this.intro.kind(b.relation);
    if (kind !== 'table' || b.fullRefresh) {
      const r = await this.table({ ...b, materialized: 'table' });
      return { ...r, action: kind && !b.fullRefresh ? 'created table (was a view)' : r.action };
    }
    const inc = b.incremental ?? { strategy: 'append', uniqueKey: [], onSchemaChange: 'ignore' };
    const name = d.relationName(b.relation);
    const tmp = tmpRelation(b.relation, 'delta');
    const tmpName = d.relationName(tmp);
    return this.pool.with(async (c) => {
      const opts = { signal: b.signal, node: b.uniqueId };
      await this.pool.run(c, `drop table if exists ${tmpName}`, opts);
      try {
        await this.pool.run(c, `create table ${tmpName} as\n${b.sql}`, opts);
        await this.checkContract(c, b, tmp);
        const newCols = await this.intro.columns(tmp, c);
        const oldCols = await this.intro.columns(b.relation, c);
        const oldNames = new Set(oldCols.map((x) => x.name));
        const newNames = new Set(newCols.map((x) => x.name));
        const added = newCols.filter((x) => !oldNames.has(x.name));
        const removed = oldCols.filter((x) => !newNames.has(x.name));
        const changed = newCols.filter((x) => oldNames.has(x.name) && normalizeType(oldCols.find((o) => o.name === x.name)!.type) !== normalizeType(x.type));
        const differs = added.length + removed.length + changed.length > 0;
        if (differs && inc.onSchemaChange === 'fail') {
          throw new TargetError(
            `on_schema_change is fail and the schema changed: ${[
              ...added.map((x) => `new column ${x.name}`),
              ...removed.map((x) => `removed column ${x.name}`),
              ...changed.map((x) => `column ${x.name} changed type`),
            ].join(', ')}`,
          );
        }
        for (const k of inc.uniqueKey) {
          if (!newNames.has(k)) throw new TargetError(`unique_key column \`${k}\` is not in the model's output`);
        }
        let rows = 0;
        await this.inTransaction(c, b, async () => {
          if (inc.onSchemaChange === 'append_new_columns' || inc.onSchemaChange === 'sync_all_columns') {
            for (const a of added) await this.pool.run(c, `alter table ${name} add column ${d.quoteIdentifier(a.name)} ${a.type}`, opts);
          }
          if (inc.onSchemaChange === 'sync_all_columns') {
            for (const r of removed) await this.pool.run(c, `alter table ${name} drop column ${d.quoteIdentifier(r.name)}`, opts);
            for (const ch of changed) await this.pool.run(c, `alter table ${name} alter column ${d.quoteIdentifier(ch.name)} type ${ch.type}`, opts);
          }
          const targetCols = (await this.intro.columns(b.relation, c)).map((x) => x.name);
          const cols = targetCols.filter((x) => newNames.has(x));
          const colList = cols.map((x) => d.quoteIdentifier(x)).join(', ');
          const keyMatch = inc.uniqueKey.map((k) => `t.${d.quoteIdentifier(k)} is not distinct from s.${d.quoteIdentifier(k)}`).join(' and ');
          if (inc.strategy === 'append' || inc.uniqueKey.length === 0) {
            if (inc.strategy !== 'append') throw new TargetError(`incremental_strategy ${inc.strategy} needs a unique_key`);
            rows = (await this.pool.run(c, `insert into ${name} (${colList}) select ${colList} from ${tmpName}`, opts)).rowsAffected ?? 0;
          } else if (inc.strategy === 'delete+insert') {
            await this.pool.run(c, `delete from ${name} as t where exists (select 1 from ${tmpName} as s where ${keyMatch})`, opts);
            rows = (await this.pool.run(c, `insert into ${name} (${colList}) select ${colList} from ${tmpName}`, opts)).rowsAffected ?? 0;
          } else if (inc.strategy === 'merge') {
            const sets = cols.filter((x) => !inc.uniqueKey.includes(x)).map((x) => `${d.quoteIdentifier(x)} = s.${d.quoteIdentifier(x)}`);
            const update = sets.length ? `when matched then update set ${sets.join(', ')}` : '';
            rows =
              (
                await this.pool.run(
                  c,
                  `merge into ${name} as t using ${tmpName} as s on ${keyMatch}\n${update}\nwhen not matched then insert (${colList}) values (${cols.map((x) => `s.${d.quoteIdentifier(x)}`).join(', ')})`,
                  opts,
                )
              ).rowsAffected ?? 0;
          } else {
            throw new TargetError(`incremental_strategy ${inc.strategy} is not supported on DuckDB (use append, delete+insert or merge)`);
          }
          // Audit before publish: the merged table, inside the transaction; other connections see the old rows until commit.
          if (b.audit) await b.audit(b.relation, { ...this.auditConnection(c, b), inTransaction: true });
        });
        return { action: `incremental ${inc.strategy}`, rowsAffected: rows };
      } finally {
        await this.pool.run(c, `drop table if exists ${tmpName}`).catch(() => undefined);
      }
    });
  }
}
