/**
 * What exists on a HiveServer2 and what it looks like, hiding the differences between Apache
 * Hive and the Spark Thrift Server:
 * - `SHOW TABLES` answers `tab_name` on Hive and `namespace, tableName, isTemporary` on Spark
 *   (which also lists session temporary views); `SHOW VIEWS` likewise (`viewName` on Spark).
 * - `DESCRIBE` pads names with spaces on Hive, lists partition columns twice (in the column list
 *   and again under `# Partition Information`), and `DESCRIBE FORMATTED` starts with a
 *   `# col_name` header on Hive but not on Spark; table facts are `Type` / `Provider` on Spark and
 *   `Table Type:` / `InputFormat:` on Hive.
 * - Hive and Spark keep table names in lower case; names compare case-insensitively.
 */
import { TargetError, type ColumnInfo, type Relation, type Row } from '../target.js';
import type { HiveConnection } from './hive-connection.js';
import { hiveDialect as d } from './hive-dialect.js';

export type RelationKind = 'table' | 'view';

/** What DESCRIBE FORMATTED tells about a table or view. */
export interface RelationDetails {
  kind: RelationKind;
  /** Columns in table order (on Spark, partition columns come last). */
  columns: ColumnInfo[];
  partitionColumns: string[];
  /** `parquet`, `orc`, `delta`, `iceberg`, `hive` (text), ... lower-case; '' for views. */
  provider: string;
  external: boolean;
  location?: string;
  bucketColumns: string[];
}

const str = (v: unknown): string => (v === null || v === undefined ? '' : String(v)).trim();

/** The first present of `names` in a row (servers name the same column differently). */
function pick(row: Row, names: string[]): string {
  for (const n of names) if (n in row) return str(row[n]);
  const first = Object.values(row)[0];
  return str(first);
}

/** Errors that mean "no such database/table", as Hive and Spark word them. */
export function isNotFound(e: unknown): boolean {
  const m = e instanceof Error ? e.message : String(e);
  return /TABLE_OR_VIEW_NOT_FOUND|SCHEMA_NOT_FOUND|NoSuchDatabase|NoSuchTable|Table or view not found|Table not found|Database .* (does not exist|not found)|Database does not exist|SQLSTATE 42P01|SQLSTATE 42704|Invalid table alias or column reference|SemanticException \[Error 10001\]/i.test(
    m,
  );
}

/** Splits `[a, b]` / `[`a`, `b`]` (Spark's bucket column list) into names. */
function bracketList(v: string): string[] {
  const inner = v.replace(/^\[/, '').replace(/\]$/, '').trim();
  if (!inner) return [];
  return inner.split(',').map((s) => s.trim().replace(/^`(.*)`$/, '$1').replace(/``/g, '`'));
}

/** Parses DESCRIBE [FORMATTED] output (rows of col_name, data_type, comment). */
export function parseDescribe(rows: Row[]): Omit<RelationDetails, 'kind'> & { type: string } {
  const columns: ColumnInfo[] = [];
  const partitionColumns: string[] = [];
  const facts = new Map<string, string>();
  let section: 'columns' | 'partitions' | 'details' | 'other' = 'columns';
  let seenColumn = false;
  for (const r of rows) {
    const rawName = r.col_name ?? Object.values(r)[0];
    const name = str(rawName);
    const type = str(r.data_type ?? Object.values(r)[1]);
    if (name.startsWith('#')) {
      const header = name.replace(/^#\s*/, '').toLowerCase();
      if (header.startsWith('col_name')) {
        // Hive's FORMATTED output starts with this header; under "# Partition Information" it
        // introduces the partition columns.
        continue;
      }
      if (header.startsWith('partition information')) section = 'partitions';
      else if (header.includes('detailed table information') || header.includes('storage information') || header.includes('view information')) section = 'details';
      else section = 'other';
      continue;
    }
    if (name === '' && type === '') {
      if (section === 'columns' && seenColumn) section = 'other';
      else if (section === 'partitions' && partitionColumns.length > 0) section = 'other';
      continue;
    }
    if (section === 'columns') {
      columns.push({ name: str(rawName), type: type.toUpperCase() });
      seenColumn = true;
    } else if (section === 'partitions') {
      partitionColumns.push(name);
    } else if (section === 'details' || section === 'other') {
      const key = name.replace(/:$/, '').toLowerCase();
      if (key) facts.set(key, type);
      else if (type) {
        // Hive: "Table Parameters:" continues as rows with an empty name: ("", key, value).
        const k = str(r.data_type).toLowerCase();
        const v = str(r.comment);
        if (k) facts.set(`param:${k}`, v);
      }
    }
  }
  // Spark and Hive's plain DESCRIBE list partition columns in the column list too; Hive's
  // DESCRIBE FORMATTED lists them only under "# Partition Information": add them at the end.
  for (const p of partitionColumns) {
    if (!columns.some((c) => c.name.toLowerCase() === p.toLowerCase())) {
      const row = rows.find((r) => str(r.col_name ?? Object.values(r)[0]) === p);
      columns.push({ name: p, type: str(row?.data_type ?? '').toUpperCase() });
    }
  }
  const tableType = (facts.get('type') ?? facts.get('table type') ?? '').toUpperCase();
  let provider = (facts.get('provider') ?? '').toLowerCase();
  if (!provider) {
    const input = (facts.get('inputformat') ?? '').toLowerCase();
    provider = /parquet/.test(input) ? 'parquet' : /orc/.test(input) ? 'orc' : /avro/.test(input) ? 'avro' : /text/.test(input) ? 'textfile' : input ? 'hive' : '';
    if (facts.get('param:table_type')?.toLowerCase() === 'iceberg') provider = 'iceberg';
  }
  const external = /EXTERNAL/.test(tableType) || facts.get('param:external')?.toUpperCase() === 'TRUE';
  return {
    type: tableType,
    columns,
    partitionColumns,
    provider,
    external,
    location: facts.get('location'),
    bucketColumns: bracketList(facts.get('bucket columns') ?? ''),
  };
}

export class HiveIntrospector {
  constructor(private readonly conn: HiveConnection) {}

  /** Names in `schema` matching `identifier` (case-insensitive), from SHOW TABLES or SHOW VIEWS. */
  private async listed(what: 'TABLES' | 'VIEWS', r: Relation): Promise<boolean> {
    // LIKE takes a pattern (`*`, `|`, and on Spark a regex); only plain names are safe in it.
    const plain = /^[A-Za-z0-9_]+$/.test(r.identifier);
    const sql = `SHOW ${what} IN ${d.quoteIdentifier(r.schema)}${plain ? ` LIKE ${d.literal(r.identifier)}` : ''}`;
    let rows: Row[];
    try {
      rows = await this.conn.query(sql);
    } catch (e) {
      if (isNotFound(e)) return false;
      throw e;
    }
    const want = r.identifier.toLowerCase();
    return rows.some((row) => {
      if (row.isTemporary === true || str(row.isTemporary) === 'true') return false;
      const name = pick(row, what === 'TABLES' ? ['tableName', 'tab_name', 'name'] : ['viewName', 'tab_name', 'tableName', 'name']);
      return name.toLowerCase() === want;
    });
  }

  async databaseExists(schema: string): Promise<boolean> {
    const plain = /^[A-Za-z0-9_]+$/.test(schema);
    const rows = await this.conn.query(`SHOW DATABASES${plain ? ` LIKE ${d.literal(schema)}` : ''}`);
    return rows.some((row) => pick(row, ['namespace', 'databaseName', 'database_name', 'name']).toLowerCase() === schema.toLowerCase());
  }

  /** `table`, `view`, or undefined when it does not exist. */
  async kind(r: Relation): Promise<RelationKind | undefined> {
    if (!(await this.listed('TABLES', r))) return undefined;
    return (await this.listed('VIEWS', r)) ? 'view' : 'table';
  }

  /** Columns in order; empty when the relation does not exist. */
  async columns(r: Relation): Promise<ColumnInfo[]> {
    try {
      return parseDescribe(await this.conn.query(`DESCRIBE ${d.relationName(r)}`)).columns;
    } catch (e) {
      if (isNotFound(e)) return [];
      throw e;
    }
  }

  /**
   * `columns` for one audit: the side version does not change while its tests run, so each relation
   * is described once per audit instead of once per test (a missing relation is asked again).
   */
  auditColumns(): (r: Relation) => Promise<ColumnInfo[]> {
    const seen = new Map<string, Promise<ColumnInfo[]>>();
    return (r) => {
      const key = d.relationName(r).toLowerCase();
      let p = seen.get(key);
      if (!p) {
        p = this.columns(r).then(
          (cols) => {
            if (!cols.length) seen.delete(key);
            return cols;
          },
          (e: unknown) => {
            seen.delete(key);
            throw e;
          },
        );
        seen.set(key, p);
      }
      return p;
    };
  }

  /** Kind, columns, partitioning, storage; undefined when the relation does not exist. */
  async details(r: Relation): Promise<RelationDetails | undefined> {
    let rows: Row[];
    try {
      rows = await this.conn.query(`DESCRIBE FORMATTED ${d.relationName(r)}`);
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
    const p = parseDescribe(rows);
    const kind: RelationKind = /VIEW/.test(p.type) ? 'view' : 'table';
    if (!p.type && !p.provider) throw new TargetError(`cannot tell what ${d.relationName(r)} is from DESCRIBE FORMATTED`);
    return { kind, columns: p.columns, partitionColumns: p.partitionColumns, provider: kind === 'view' ? '' : p.provider, external: p.external, location: p.location, bucketColumns: p.bucketColumns };
  }
}
