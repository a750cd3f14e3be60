/**
 * The worker side of the synchronous warehouse bridge (sync-warehouse.ts): opens its own session
 * on the target and answers one request at a time through a SharedArrayBuffer.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createTarget } from '../../targets/registry.js';
import type { Relation, TargetConfig, TargetSession } from '../../targets/target.js';

interface Data {
  name: string;
  config: TargetConfig;
  projectDir: string;
  sab: SharedArrayBuffer;
}
const d = workerData as Data;
const header = new Int32Array(d.sab, 0, 2);
const body = new Uint8Array(d.sab, 8);
const quiet = { statement: () => {}, info: () => {}, warn: () => {} };
const session: Promise<TargetSession> = createTarget(d.name, d.config, d.projectDir).then((t) => t.open({ log: quiet, threads: 1 }));
session.catch(() => {});

const plain = (v: unknown): unknown => {
  if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
  if (v instanceof Date) return v.toISOString().replace('T', ' ').replace(/\.000Z$|Z$/, '');
  if (v instanceof Uint8Array) return Buffer.from(v).toString('hex');
  if (v !== null && typeof v === 'object' && !Array.isArray(v)) return String(v);
  return v;
};

async function handle(s: TargetSession, m: { op: string; sql?: string; relation?: Relation }): Promise<unknown> {
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
    case 'close':
      await (await session).close();
      return null;
    default:
      throw new Error(`unknown bridge operation ${m.op}`);
  }
}

parentPort!.on('message', (m: { op: string; sql?: string; relation?: Relation }) => {
  void (async () => {
    let out: string;
    try {
      out = JSON.stringify({ ok: true, value: await handle(await session, m) });
    } catch (e) {
      out = JSON.stringify({ ok: false, error: (e as Error)?.message ?? String(e) });
    }
    let bytes = Buffer.from(out, 'utf8');
    if (bytes.length > body.length) bytes = Buffer.from(JSON.stringify({ ok: false, error: `the result is larger than ${body.length} bytes; run_query in a template is for small results` }), 'utf8');
    body.set(bytes);
    Atomics.store(header, 1, bytes.length);
    Atomics.store(header, 0, 1);
    Atomics.notify(header, 0);
  })();
});
