import type { ColumnInfo, Relation } from '../target.js';
import type { PgClient } from './postgres-connection.js';

export type RelationKind = 'table' | 'view' | 'materialized view' | 'foreign table';

const KINDS: Record<string, RelationKind> = { r: 'table', p: 'table', v: 'view', m: 'materialized view', f: 'foreign table' };

/** A column with PostgreSQL's own spelling of its type (`format_type`), e.g. `numeric(10,2)`, `character varying`. */
export interface PgColumn {
  name: string;
  /** format_type(atttypid, atttypmod): the type as PostgreSQL prints it, lower-case, with its modifier. */
  type: string;
  /** format_type(atttypid, NULL): the type without modifier. */
  baseType: string;
}

/** Relation facts from pg_catalog, always by name with parameters (never by pasting names into SQL). */
export class PostgresIntrospector {
  /** The oid and kind of a relation, or undefined when it does not exist. */
  async find(c: PgClient, r: Relation): Promise<{ oid: number; kind: RelationKind } | undefined> {
    const rows = await c.rows<{ oid: number; relkind: string }>(
      `SELECT c.oid AS oid, c.relkind::text AS relkind
         FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p', 'v', 'm', 'f')`,
      [r.schema, r.identifier],
    );
    const row = rows[0];
    return row ? { oid: Number(row.oid), kind: KINDS[row.relkind]! } : undefined;
  }

  async kind(c: PgClient, r: Relation): Promise<RelationKind | undefined> {
    return (await this.find(c, r))?.kind;
  }

  /** Columns in order, by relation oid (works for temp tables too). */
  async columnsOf(c: PgClient, oid: number): Promise<PgColumn[]> {
    const rows = await c.rows<{ name: string; type: string; base: string }>(
      `SELECT a.attname AS name, pg_catalog.format_type(a.atttypid, a.atttypmod) AS type, pg_catalog.format_type(a.atttypid, NULL) AS base
         FROM pg_catalog.pg_attribute a
        WHERE a.attrelid = $1::oid AND a.attnum > 0 AND NOT a.attisdropped
        ORDER BY a.attnum`,
      [oid],
    );
    return rows.map((x) => ({ name: x.name, type: x.type, baseType: x.base }));
  }

  /** Columns of a relation in order with PostgreSQL's types; empty when it does not exist. */
  async pgColumns(c: PgClient, r: Relation): Promise<PgColumn[]> {
    const found = await this.find(c, r);
    return found ? this.columnsOf(c, found.oid) : [];
  }

  /** The TargetSession view: `type` upper-case, as the interface asks. */
  async columns(c: PgClient, r: Relation): Promise<ColumnInfo[]> {
    return (await this.pgColumns(c, r)).map((x) => ({ name: x.name, type: x.type.toUpperCase() }));
  }

  async schemaExists(c: PgClient, schema: string): Promise<boolean> {
    return (await c.rows(`SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = $1`, [schema])).length > 0;
  }

  /** server_version_num, e.g. 150020. */
  async serverVersionNum(c: PgClient): Promise<number> {
    const rows = await c.rows<{ v: string }>(`SELECT current_setting('server_version_num') AS v`);
    return Number(rows[0]?.v ?? 0);
  }
}
