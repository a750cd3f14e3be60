/**
 * What a template's warehouse request (run_query, statement, get_relation, get_columns_in_relation,
 * drop_relation, create_schema) does on a target session, as plain JSON-able values.
 */
import type { Relation, TargetSession } from '../../targets/target.js';

const plain = (v: unknown): unknown => {
  if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
  if (v instanceof Date) return v.toISOString().replace('T', ' ').replace(/\.000Z$|Z$/, '');
  if (v instanceof Uint8Array) return Buffer.from(v).toString('hex');
  if (v !== null && typeof v === 'object' && !Array.isArray(v)) return String(v);
  return v;
};

/** Answer one request of a template (run_query, get_relation, ...) on a session. */
export async function answerOn(s: TargetSession, m: { op: string; sql?: string; relation?: Relation }): Promise<unknown> {
  switch (m.op) {
    case 'query': {
      const rows = await s.connection.query(m.sql!);
      let columns = rows.length ? Object.keys(rows[0]!) : [];
      if (!rows.length && /^\s*(\(\s*)*(select|with|values)\b/i.test(m.sql!)) {
        // no rows: the column names still matter (agate's table keeps them); one row of nulls names them
        const inner = m.sql!.trim().replace(/;\s*$/, '');
        const probe = await s.connection.query(`select __tx_q.* from (select 1 as __tx_one) as __tx_one left join (\n${inner}\n) as __tx_q on true`).catch(() => []);
        columns = probe.length ? Object.keys(probe[0]!) : [];
      }
      return { columns, rows: rows.map((r) => columns.map((c) => plain(r[c]))) };
    }
    case 'execute':
      return await s.connection.execute(m.sql!);
    case 'columns':
      return await s.columns(m.relation!);
    case 'relationType': {
      if (!(await s.relationExists(m.relation!))) return null;
      const r = m.relation!;
      const lit = (x: string) => `'${x.replace(/'/g, "''")}'`;
      try {
        const rows = await s.connection.query(`select table_type from information_schema.tables where table_schema = ${lit(r.schema)} and table_name = ${lit(r.identifier)}`);
        const t = String(rows[0]?.table_type ?? 'BASE TABLE').toUpperCase();
        return t === 'VIEW' ? 'view' : 'table';
      } catch {
        return 'table';
      }
    }
    case 'drop':
      await s.dropRelation(m.relation!);
      return null;
    case 'createSchema':
      await s.ensureSchema(m.relation!.schema, m.relation!.database);
      return null;
    default:
      throw new Error(`unknown bridge operation ${m.op}`);
  }
}

