/**
 * `tx clone --state DIR`: the selected models, seeds and snapshots of the state's run appear in this
 * target as views over the state's relations (dbt's clone materialization where the engine has no
 * zero-copy clone: DuckDB, PostgreSQL and Hive all get views). A relation that already exists here
 * is left alone unless --full-refresh (as dbt).
 */
import type { CompiledProject } from '../compile/compile-project.js';
import { TxError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import type { Relation } from '../../targets/target.js';
import { createTarget } from '../../targets/registry.js';
import type { SelectState } from '../select/state.js';

export interface CloneResult {
  name: string;
  status: 'created' | 'exists';
  from: string;
  to: string;
}

export async function cloneFromState(c: CompiledProject, ids: string[], state: SelectState | undefined, o: { fullRefresh: boolean; logger: Logger }): Promise<CloneResult[]> {
  if (!state?.manifest) throw new TxError('USAGE', 'tx clone needs --state DIR with the manifest.json of the run to clone from');
  const q = (r: Relation) => c.dialect.relationName(r);
  const work: { id: string; from: Relation; to: Relation }[] = [];
  for (const id of ids) {
    const n = c.nodes.get(id)!;
    const e = state.manifest.nodes[id];
    if (!e || !n.relation || (e.config as { materialized?: string } | undefined)?.materialized === 'ephemeral') continue;
    const from: Relation = { schema: String(e.schema), identifier: String(e.alias ?? e.name) };
    if (e.database != null && e.database !== '') from.database = String(e.database);
    work.push({ id, from, to: n.relation });
  }
  if (!work.length) {
    o.logger.warn('Nothing to clone: no selected model, seed or snapshot is in the state manifest.');
    return [];
  }
  const target = await createTarget(c.target.name, c.target.config, c.project.dir);
  const session = await target.open({ log: o.logger, threads: 1 });
  const out: CloneResult[] = [];
  try {
    for (const w of work) {
      const name = c.nodes.get(w.id)!.name;
      if (q(w.from) === q(w.to)) throw new TxError('USAGE', `tx clone: ${name} would be cloned onto itself (${q(w.to)})`, { hint: 'clone into another target or schema (--target)' });
      const exists = await session.relationExists(w.to);
      if (exists && !o.fullRefresh) {
        out.push({ name, status: 'exists', from: q(w.from), to: q(w.to) });
        o.logger.info(`${out.length} of ${work.length} SKIP ${name}: ${q(w.to)} exists (--full-refresh replaces it)`);
        continue;
      }
      await session.ensureSchema(w.to.schema, w.to.database);
      if (exists) {
        try {
          await session.connection.execute(`drop view if exists ${q(w.to)}`, { node: w.id });
        } catch {
          await session.connection.execute(`drop table if exists ${q(w.to)}`, { node: w.id });
        }
      }
      await session.connection.execute(`create view ${q(w.to)} as select * from ${q(w.from)}`, { node: w.id });
      out.push({ name, status: 'created', from: q(w.from), to: q(w.to) });
      o.logger.info(`${out.length} of ${work.length} OK cloned ${name}: view ${q(w.to)} over ${q(w.from)}`);
    }
  } finally {
    await session.close();
  }
  return out;
}
