import { TargetError, type AuditConnection, type BuildResult, type ModelBuild, type Relation } from '../target.js';
import type { PgClient, PostgresConnection } from './postgres-connection.js';
import { applyGrants, captureGrants, withDependentsDetached } from './postgres-dependents.js';
import { postgresDialect as d, scratchName } from './postgres-dialect.js';
import type { PgColumn, PostgresIntrospector } from './postgres-introspector.js';
import { alterColumnTypeSql, canExpandTo, stringExpansions } from '../string-expansion.js';

const q = d.quoteIdentifier;

/** The model's SELECT, ready to follow `AS`: no trailing semicolon, and a newline so a trailing `--` comment stays harmless. */
function body(sql: string): string {
  return `\n${sql.replace(/;\s*$/, '')}\n`;
}

const SQLSTATE = (e: unknown): string | undefined => (e as { code?: string })?.code ?? ((e as TargetError)?.options?.cause as { code?: string } | undefined)?.code;

const STRING_TYPES = new Set(['text', 'character varying']);

/** A type's modifier, `(10,2)` → `10,2`, or null. */
const modifier = (t: string): string | null => /\(([^)]*)\)/.exec(t)?.[1]?.replace(/\s+/g, '') ?? null;

/**
 * Compares built columns with an enforced contract and names every difference, or returns null.
 * Contract types may be logical (`integer`, `string`) or PostgreSQL's (`int4`, `varchar(20)`); PostgreSQL itself
 * canonicalizes them (`to_regtype`), and a modifier is compared only when the contract gives one.
 */
export async function contractDiff(c: PgClient, actual: PgColumn[], contract: { name: string; dataType: string }[]): Promise<string | null> {
  const wanted = [...new Set(contract.filter((x) => x.dataType).map((x) => d.typeName(x.dataType)))];
  const canonical = new Map<string, string | null>();
  if (wanted.length) {
    const rows = await c.rows<{ t: string; base: string | null }>(
      `SELECT t, pg_catalog.format_type(pg_catalog.to_regtype(t), NULL) AS base FROM pg_catalog.unnest($1::text[]) AS t`,
      [wanted],
    );
    for (const r of rows) canonical.set(r.t, r.base);
  }
  const problems: string[] = [];
  const byName = new Map(actual.map((x) => [x.name.toLowerCase(), x]));
  for (const col of contract) {
    const a = byName.get(col.name.toLowerCase());
    if (!a) {
      problems.push(`column \`${col.name}\` is missing from the model's output`);
      continue;
    }
    if (!col.dataType) continue;
    const pgType = d.typeName(col.dataType);
    const base = canonical.get(pgType);
    if (!base) {
      problems.push(`column \`${col.name}\`: the contract type \`${col.dataType}\` is not a PostgreSQL type`);
      continue;
    }
    const mod = modifier(pgType);
    // Without a length, `varchar` and `text` are the same type in all but name (as VARCHAR/TEXT on DuckDB): a portable
    // contract says `string` or `varchar`, while PostgreSQL types string expressions (`upper(x)`, `'USA'`) as text.
    const sameBase = a.baseType === base || (mod === null && STRING_TYPES.has(base) && STRING_TYPES.has(a.baseType));
    if (!sameBase || (mod !== null && modifier(a.type) !== mod)) {
      problems.push(`column \`${col.name}\` is ${a.type}, the contract says ${col.dataType}`);
    }
  }
  const declared = new Set(contract.map((x) => x.name.toLowerCase()));
  for (const a of actual) if (!declared.has(a.name.toLowerCase())) problems.push(`column \`${a.name}\` is in the output but not in the contract`);
  return problems.length ? `contract violated: ${problems.join('; ')}` : null;
}

/**
 * Puts the table `scratch` (same schema) in the place of `relation`, inside the caller's transaction:
 * the old relation (table, view or materialized view) is dropped, the scratch table renamed, its grants
 * carried over, and every view that read the old relation recreated on the new one.
 */
export async function swapIn(c: PgClient, intro: PostgresIntrospector, relation: Relation, scratch: string): Promise<void> {
  const name = d.relationName(relation);
  const scratchSql = `${q(relation.schema)}.${q(scratch)}`;
  const found = await intro.find(c, relation);
  if (!found) {
    await c.run(`ALTER TABLE ${scratchSql} RENAME TO ${q(relation.identifier)}`);
    return;
  }
  if (found.kind === 'foreign table') throw new TargetError(`${name} is a foreign table; tx will not replace it`);
  if (found.kind === 'table') await c.run(`LOCK TABLE ${name} IN ACCESS EXCLUSIVE MODE`);
  const grants = await captureGrants(c, found.oid);
  await withDependentsDetached(c, found.oid, async () => {
    await c.run(`DROP ${found.kind.toUpperCase()} ${name}`);
    await c.run(`ALTER TABLE ${scratchSql} RENAME TO ${q(relation.identifier)}`);
    await applyGrants(c, name, grants);
  });
}

/** Materializations on PostgreSQL: build beside, check, then swap in one transaction; retried whole on transient errors. */
export class PostgresMaterializations {
  constructor(
    private readonly conn: PostgresConnection,
    private readonly intro: PostgresIntrospector,
    /** server_version_num, read once per session (MERGE needs 15). */
    private readonly serverVersion: (c: PgClient) => Promise<number>,
  ) {}

  async materialize(b: ModelBuild): Promise<BuildResult> {
    return this.conn.retrying(
      () =>
        this.conn.withClient(
          (c) => {
            if (b.materialized === 'view') return this.view(c, b);
            if (b.materialized === 'table') return this.table(c, b);
            if (b.materialized === 'incremental') return this.incremental(c, b);
            throw new TargetError(`materialization \`${String(b.materialized)}\` is not supported on PostgreSQL`);
          },
          { signal: b.signal, node: b.uniqueId },
        ),
      { signal: b.signal, what: `building ${b.uniqueId}` },
    );
  }

  /** The audit's queries run on the build's client `c` (inside its transaction when one is open). */
  private auditConnection(c: PgClient, b: ModelBuild): AuditConnection {
    const opts = (o?: { signal?: AbortSignal; node?: string }) => ({ signal: o?.signal ?? b.signal, node: o?.node ?? b.uniqueId });
    return {
      query: async (sql, o) => (await c.run(sql, opts(o))).rows,
      execute: async (sql, o) => ({ rowsAffected: (await c.run(sql, opts(o))).rowCount ?? undefined }),
      columns: (r) => this.intro.columns(c, r),
      printRows: async (sql, o) => (await c.run(sql, { ...opts(o), exact: true })).rows,
    };
  }

  /** Audit before publish of a view: the new definition under a side name, tested, dropped; then the real view is replaced. */
  private async auditView(c: PgClient, b: ModelBuild): Promise<void> {
    const side = { ...b.relation, identifier: scratchName(b.relation.identifier, 'audit') };
    const sideSql = d.relationName(side);
    await c.run(`DROP VIEW IF EXISTS ${sideSql}`);
    try {
      await c.run(`CREATE VIEW ${sideSql} AS${body(b.sql)}`);
      await b.audit!(side, this.auditConnection(c, b));
    } finally {
      if (!c.broken) await c.run(`DROP VIEW IF EXISTS ${sideSql}`).catch(() => undefined);
    }
  }

  private async checkContract(c: PgClient, b: ModelBuild, oid: number): Promise<void> {
    if (!b.contract) return;
    const diff = await contractDiff(c, await this.intro.columnsOf(c, oid), b.contract.columns);
    if (diff) throw new TargetError(diff);
  }

  /** CREATE OR REPLACE VIEW when the columns allow it; otherwise drop and create, keeping dependent views. */
  private async view(c: PgClient, b: ModelBuild): Promise<BuildResult> {
    const name = d.relationName(b.relation);
    const create = (orReplace: boolean) => c.run(`CREATE ${orReplace ? 'OR REPLACE ' : ''}VIEW ${name} AS${body(b.sql)}`);
    if (b.audit) await this.auditView(c, b);
    await c.transaction(async () => {
      const found = await this.intro.find(c, b.relation);
      if (!found) await create(false);
      else if (found.kind === 'view') {
        await c.run('SAVEPOINT tx_replace_view');
        try {
          await create(true);
          await c.run('RELEASE SAVEPOINT tx_replace_view');
        } catch (e) {
          // 42P16: columns dropped/renamed/reordered; 42804: a column changed type.
          if (!['42P16', '42804'].includes(SQLSTATE(e) ?? '')) throw e;
          await c.run('ROLLBACK TO SAVEPOINT tx_replace_view');
          const grants = await captureGrants(c, found.oid);
          await withDependentsDetached(c, found.oid, async () => {
            await c.run(`DROP VIEW ${name}`);
            await create(false);
            await applyGrants(c, name, grants);
          });
        }
      } else if (found.kind === 'foreign table') {
        throw new TargetError(`${name} is a foreign table; tx will not replace it with a view`);
      } else {
        const grants = await captureGrants(c, found.oid);
        await withDependentsDetached(c, found.oid, async () => {
          await c.run(`DROP ${found.kind.toUpperCase()} ${name}`);
          await create(false);
          await applyGrants(c, name, grants);
        });
      }
      if (b.contract) await this.checkContract(c, b, (await this.intro.find(c, b.relation))!.oid);
    });
    return { action: 'created view' };
  }

  /** CREATE TABLE scratch AS ..., check the contract, then swap in one transaction. */
  private async table(c: PgClient, b: ModelBuild): Promise<BuildResult> {
    const scratch = scratchName(b.relation.identifier, 'new');
    const scratchRel = { ...b.relation, identifier: scratch };
    const scratchSql = d.relationName(scratchRel);
    await c.run(`DROP TABLE IF EXISTS ${scratchSql}`);
    let swapped = false;
    try {
      const r = await c.run(`CREATE TABLE ${scratchSql} AS${body(b.sql)}`);
      if (b.contract) await this.checkContract(c, b, (await this.intro.find(c, scratchRel))!.oid);
      // Audit before publish: the new version is tested where it stands, beside the old one.
      if (b.audit) await b.audit(scratchRel, this.auditConnection(c, b));
      await c.transaction(() => swapIn(c, this.intro, b.relation, scratch));
      swapped = true;
      return { action: 'created table', rowsAffected: r.rowCount ?? undefined };
    } finally {
      if (!swapped && !c.broken) await c.run(`DROP TABLE IF EXISTS ${scratchSql}`).catch(() => undefined);
    }
  }

  private async incremental(c: PgClient, b: ModelBuild): Promise<BuildResult> {
    const found = await this.intro.find(c, b.relation);
    if (!found || found.kind !== 'table' || b.fullRefresh) {
      const r = await this.table(c, { ...b, materialized: 'table' });
      return { ...r, action: found && !b.fullRefresh ? `created table (was a ${found.kind})` : r.action };
    }
    const inc = b.incremental ?? { strategy: 'append', uniqueKey: [], onSchemaChange: 'ignore' };
    const name = d.relationName(b.relation);
    const delta = `pg_temp.${q(scratchName(b.relation.identifier, 'delta'))}`;
    await c.run(`DROP TABLE IF EXISTS ${delta}`);
    try {
      await c.run(`CREATE TEMP TABLE ${delta} AS${body(b.sql)}`);
      const deltaOid = Number((await c.rows<{ oid: number }>(`SELECT pg_catalog.to_regclass($1)::oid AS oid`, [delta]))[0]!.oid);
      await this.checkContract(c, b, deltaOid);
      const newCols = await this.intro.columnsOf(c, deltaOid);
      // dbt's expand_target_column_types, before the schema is compared: the target's strings narrower than the
      // new rows' are widened (in the transaction below), and compared as widened
      const expansions = stringExpansions(await this.intro.columnsOf(c, found.oid), newCols, 'postgres');
      const widened = new Map(expansions.map((e) => [e.name, e.to]));
      const oldCols = (await this.intro.columnsOf(c, found.oid)).map((x) => (widened.has(x.name) ? { ...x, type: widened.get(x.name)! } : x));
      const oldBy = new Map(oldCols.map((x) => [x.name, x]));
      const newNames = new Set(newCols.map((x) => x.name));
      const added = newCols.filter((x) => !oldBy.has(x.name));
      const removed = oldCols.filter((x) => !newNames.has(x.name));
      // dbt's diff_column_data_types: a new string narrower than the target's is no change
      const changed = newCols.filter((x) => oldBy.has(x.name) && oldBy.get(x.name)!.type !== x.type && !canExpandTo(x.type, oldBy.get(x.name)!.type));
      if (added.length + removed.length + changed.length > 0 && inc.onSchemaChange === 'fail') {
        throw new TargetError(
          `on_schema_change is fail and the schema of ${name} changed: ${[
            ...added.map((x) => `new column ${x.name} (${x.type})`),
            ...removed.map((x) => `removed column ${x.name}`),
            ...changed.map((x) => `column ${x.name} changed type from ${oldBy.get(x.name)!.type} to ${x.type}`),
          ].join(', ')}`,
        );
      }
      for (const k of inc.uniqueKey) {
        if (!newNames.has(k)) throw new TargetError(`unique_key column \`${k}\` is not in the model's output`);
      }
      if (inc.strategy !== 'append' && inc.uniqueKey.length === 0) throw new TargetError(`incremental_strategy ${inc.strategy} needs a unique_key`);
      if (!['append', 'delete+insert', 'merge'].includes(inc.strategy)) {
        throw new TargetError(`incremental_strategy ${inc.strategy} is not supported on PostgreSQL (use append, delete+insert or merge)`);
      }
      let rows = 0;
      await c.transaction(async () => {
        if (expansions.length) {
          // dbt's default__alter_column_type drops the old column with CASCADE; views reading it are kept here instead
          await withDependentsDetached(c, found.oid, async () => {
            for (const e of expansions) for (const sql of alterColumnTypeSql(name, e.name, e.to, q)) await c.run(sql);
          });
        }
        const sync = inc.onSchemaChange === 'sync_all_columns';
        if (sync || inc.onSchemaChange === 'append_new_columns') {
          for (const a of added) await c.run(`ALTER TABLE ${name} ADD COLUMN ${q(a.name)} ${a.type}`);
        }
        if (sync && removed.length + changed.length > 0) {
          // Views reading the table block DROP COLUMN and ALTER TYPE: detach them, alter, recreate.
          await withDependentsDetached(c, found.oid, async () => {
            for (const r of removed) await c.run(`ALTER TABLE ${name} DROP COLUMN ${q(r.name)}`);
            for (const ch of changed) await c.run(`ALTER TABLE ${name} ALTER COLUMN ${q(ch.name)} TYPE ${ch.type} USING ${q(ch.name)}::${ch.type}`);
          });
        }
        const targetCols = (await this.intro.columnsOf(c, found.oid)).map((x) => x.name);
        const cols = targetCols.filter((x) => newNames.has(x));
        rows = await this.apply(c, inc.strategy, inc.uniqueKey, name, delta, cols, found.oid);
        // Audit before publish: the merged table inside this transaction; other sessions see the old rows until COMMIT.
        if (b.audit) await b.audit(b.relation, { ...this.auditConnection(c, b), inTransaction: true });
      });
      return { action: `incremental ${inc.strategy}`, rowsAffected: rows };
    } finally {
      if (!c.broken) await c.run(`DROP TABLE IF EXISTS ${delta}`).catch(() => undefined);
    }
  }

  /**
   * The strategy's DML. Keys match like DuckDB's (`IS NOT DISTINCT FROM`: a NULL key matches a NULL key), but
   * with `=` (hash/merge joins, index lookups) whenever the delta holds no NULL key, which is nearly always.
   */
  private async apply(c: PgClient, strategy: string, keys: string[], name: string, delta: string, cols: string[], oid: number): Promise<number> {
    const colList = cols.map(q).join(', ');
    const insertAll = `INSERT INTO ${name} (${colList}) SELECT ${colList} FROM ${delta}`;
    if (strategy === 'append') return (await c.run(insertAll)).rowCount ?? 0;
    const nullKeys =
      (await c.rows<{ n: boolean }>(`SELECT EXISTS (SELECT 1 FROM ${delta} WHERE ${keys.map((k) => `${q(k)} IS NULL`).join(' OR ')}) AS n`))[0]?.n === true;
    const eq = (t: string, s: string) => keys.map((k) => `${t}.${q(k)} ${nullKeys ? 'IS NOT DISTINCT FROM' : '='} ${s}.${q(k)}`).join(' AND ');
    if (strategy === 'delete+insert') {
      await c.run(`DELETE FROM ${name} AS t WHERE EXISTS (SELECT 1 FROM ${delta} AS s WHERE ${eq('t', 's')})`);
      return (await c.run(insertAll)).rowCount ?? 0;
    }
    // merge
    const nonKeys = cols.filter((x) => !keys.includes(x));
    const version = await this.serverVersion(c);
    if (version >= 150000) {
      const update = nonKeys.length ? `\nWHEN MATCHED THEN UPDATE SET ${nonKeys.map((x) => `${q(x)} = s.${q(x)}`).join(', ')}` : '';
      const sql = `MERGE INTO ${name} AS t USING ${delta} AS s ON ${eq('t', 's')}${update}\nWHEN NOT MATCHED THEN INSERT (${colList}) VALUES (${cols.map((x) => `s.${q(x)}`).join(', ')})`;
      return (await c.run(sql)).rowCount ?? 0;
    }
    if (!nullKeys && (await this.hasUniqueIndexOn(c, oid, keys))) {
      const action = nonKeys.length ? `DO UPDATE SET ${nonKeys.map((x) => `${q(x)} = EXCLUDED.${q(x)}`).join(', ')}` : 'DO NOTHING';
      return (await c.run(`${insertAll}\nON CONFLICT (${keys.map(q).join(', ')}) ${action}`)).rowCount ?? 0;
    }
    // Before 15 and without a unique index on the key: UPDATE the matches, INSERT the rest (same transaction).
    let n = 0;
    if (nonKeys.length) {
      n += (await c.run(`UPDATE ${name} AS t SET ${nonKeys.map((x) => `${q(x)} = s.${q(x)}`).join(', ')} FROM ${delta} AS s WHERE ${eq('t', 's')}`)).rowCount ?? 0;
    }
    n +=
      (await c.run(`INSERT INTO ${name} (${colList}) SELECT ${colList} FROM ${delta} AS s WHERE NOT EXISTS (SELECT 1 FROM ${name} AS t WHERE ${eq('t', 's')})`)).rowCount ?? 0;
    return n;
  }

  /** A valid, non-partial unique index (or primary key) on exactly these columns, as ON CONFLICT requires. */
  private async hasUniqueIndexOn(c: PgClient, oid: number, keys: string[]): Promise<boolean> {
    const rows = await c.rows<{ cols: string[] }>(
      `SELECT ARRAY(SELECT a.attname::text FROM pg_catalog.unnest(i.indkey) AS k JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k) AS cols
         FROM pg_catalog.pg_index i
        WHERE i.indrelid = $1::oid AND i.indisunique AND i.indisvalid AND i.indpred IS NULL AND i.indexprs IS NULL`,
      [oid],
    );
    const want = [...keys].sort().join('\u0000');
    return rows.some((r) => [...r.cols].sort().join('\u0000') === want);
  }
}
