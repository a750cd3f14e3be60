/**
 * Column lineage: the example project's two reports, column by column and exactly,
 * and the SQL shapes the walker must resolve (or refuse to guess about).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeManifest } from '../artifacts/artifacts.js';
import { compileProject } from '../compile/compile-project.js';
import { loadProject } from '../load/load-project.js';
import { computeColumnLineage, columnLineageFor, parseStatements, type ModelLineage } from './column-lineage.js';
import type { Manifest, ManifestNode } from './manifest-types.js';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** `node.column` of every upstream column, per output column, plus how it is derived. */
function table(l: ModelLineage): Record<string, string> {
  return Object.fromEntries(
    l.columns.map((c) => [c.name, `${c.transform}: ${c.depends_on.map((d) => `${d.node.split('.').pop()}.${d.column}`).join(', ')}${c.untraced ? ` UNTRACED(${c.untraced})` : ''}`]),
  );
}

describe('column lineage of the example project', () => {
  let lineage: Map<string, ModelLineage>;
  let tmp: string;
  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'tx-lineage-'));
    const compiled = await compileProject(loadProject(REPO), { target: 'duckdb' });
    writeManifest(compiled, tmp);
    const manifest = JSON.parse(readFileSync(join(tmp, 'manifest.json'), 'utf8')) as Manifest;
    lineage = await computeColumnLineage({ manifest });
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('city_report: every column to its staging columns, through the CTE and the join', () => {
    const l = lineage.get('model.healthcare.city_report')!;
    expect(l.complete).toBe(true);
    expect(table(l)).toEqual({
      city: 'identity: stg_cities.city',
      state_name: 'identity: stg_cities.state_name',
      county_name: 'identity: stg_cities.county_name',
      population: 'identity: stg_cities.population',
      zip_counts: 'expression: stg_cities.zips',
      trx_counts: 'expression: stg_prescribers.trx_cnt',
      presc_counts: 'expression: stg_prescribers.presc_id',
    });
    // exact objects, as written to columns[].depends_on
    expect(columnLineageFor(l, 'trx_counts')).toEqual({
      name: 'trx_counts',
      depends_on: [{ node: 'model.healthcare.stg_prescribers', column: 'trx_cnt' }],
      transform: 'expression',
    });
  });

  it('top_prescribers: every column copied from stg_prescribers through the ranked CTE', () => {
    const l = lineage.get('model.healthcare.top_prescribers')!;
    expect(l.complete).toBe(true);
    expect(table(l)).toEqual({
      presc_id: 'identity: stg_prescribers.presc_id',
      presc_fullname: 'identity: stg_prescribers.presc_fullname',
      presc_state: 'identity: stg_prescribers.presc_state',
      country_name: 'identity: stg_prescribers.country_name',
      years_of_exp: 'identity: stg_prescribers.years_of_exp',
      trx_cnt: 'identity: stg_prescribers.trx_cnt',
      total_day_supply: 'identity: stg_prescribers.total_day_supply',
      total_drug_cost: 'identity: stg_prescribers.total_drug_cost',
    });
  });

  it('staging: the window over presc_id feeds trx_cnt, a literal is a constant, `select *` of a CTE resolves', () => {
    const l = lineage.get('model.healthcare.stg_prescribers')!;
    const t = table(l);
    expect(t.trx_cnt).toBe('expression: prescribers.npi, prescribers.total_claim_count');
    expect(t.country_name).toBe('constant: ');
    expect(t.presc_id).toBe('identity: prescribers.npi');
    expect(t.presc_fullname).toBe('expression: prescribers.nppes_provider_first_name, prescribers.nppes_provider_last_org_name');
  });
});

// ------------------------------------------------------------------------------------------------
// Synthetic manifests: one model's SQL over sources a(x, y, k) and b(k, z) and model m(p, q).

function node(id: string, type: string, name: string, columns: string[], sql?: string): ManifestNode {
  return {
    unique_id: id,
    resource_type: type,
    name,
    path: `${name}.sql`,
    fqn: ['p', name],
    relation_name: `"main"."${name}"`,
    database: null,
    schema: 'main',
    alias: name,
    config: {},
    tags: [],
    description: '',
    columns: Object.fromEntries(columns.map((c) => [c, { name: c, description: '', data_type: null }])),
    raw_code: sql ?? null,
    compiled_code: sql ?? null,
    depends_on: { nodes: [] },
  };
}

async function lineageOf(sql: string, opts: { mCols?: string[] } = {}): Promise<ModelLineage> {
  const manifest: Manifest = {
    metadata: { target: { schema: 'main' } },
    nodes: {
      'model.p.m': node('model.p.m', 'model', 'm', opts.mCols ?? [], 'select 1 as p, 2 as q'),
      'model.p.t': { ...node('model.p.t', 'model', 't', [], sql), depends_on: { nodes: ['model.p.m'] } },
    },
    sources: {
      'source.p.s.a': node('source.p.s.a', 'source', 'a', ['x', 'y', 'k']),
      'source.p.s.b': node('source.p.s.b', 'source', 'b', ['k', 'z']),
    },
  };
  return (await computeColumnLineage({ manifest })).get('model.p.t')!;
}

describe('column lineage: SQL shapes', () => {
  it('expands `*` (and EXCLUDE / REPLACE) over sources, CTEs and upstream models', async () => {
    expect(table(await lineageOf('select * exclude (y) replace (x + 1 as x) from main.a'))).toEqual({ x: 'expression: a.x', k: 'identity: a.k' });
    // m's columns are known from its own SQL, walked first
    expect(table(await lineageOf('with c as (select * from main.m) select c.* from c'))).toEqual({ p: 'identity: m.p', q: 'identity: m.q' });
  });

  it('resolves unqualified columns across a join when the columns of both sides are known, and USING columns', async () => {
    expect(table(await lineageOf('select x, z, k from main.a join main.b using (k)'))).toEqual({ x: 'identity: a.x', z: 'identity: b.z', k: 'identity: a.k' });
    expect(table(await lineageOf('select a.k, b.k as bk from main.a a join main.b b on a.k = b.k'))).toEqual({ k: 'identity: a.k', bk: 'identity: b.k' });
  });

  it('says when a column is ambiguous or comes from something it cannot see, instead of guessing', async () => {
    const amb = await lineageOf('select k from main.a, main.b');
    expect(amb.columns[0]!.untraced).toMatch(/ambiguous/);
    const ext = await lineageOf('select a.x, w, f.v from main.a join read_csv(\'f.csv\') f on true');
    expect(table(ext).x).toBe('identity: a.x');
    expect(ext.columns[1]!.untraced).toMatch(/could come from `f` \(columns of `f` not known\)/);
    expect(ext.columns[2]!.untraced).toMatch(/table function `read_csv/);
    const raw = await lineageOf('select v from other.raw_table');
    expect(raw.columns[0]!.untraced).toMatch(/not a node of this project/);
    const star = await lineageOf('select * from other.raw_table');
    expect(star.complete).toBe(false);
    expect(columnLineageFor(star, 'anything').untraced).toBeTruthy();
  });

  it('unions by position, scalar subqueries (the value, not the filter), window functions and lambdas', async () => {
    expect(table(await lineageOf('select x as v from main.a union all select z from main.b'))).toEqual({ v: 'expression: a.x, b.z' });
    expect(table(await lineageOf('select (select max(z) from main.b where b.k = a.k) as mz from main.a'))).toEqual({ mz: 'expression: b.z' });
    expect(table(await lineageOf('select rank() over (partition by k order by y) as r from main.a'))).toEqual({ r: 'expression: a.k, a.y' });
    expect(table(await lineageOf('select list_transform([1, 2], lambda v: v + x) as l from main.a'))).toEqual({ l: 'expression: a.x' });
  });

  it('reports SQL DuckDB cannot parse as untraced for every column', async () => {
    const l = await lineageOf('select x from main.a where (');
    expect(l.error).toMatch(/cannot parse/);
    expect(columnLineageFor(l, 'x').untraced).toMatch(/cannot parse/);
  });
});

describe('parsing many models at once', () => {
  it('gives each statement its own syntax tree, in order, across batches and connections', async () => {
    const sqls = Array.from({ length: 1234 }, (_, i) => (i === 777 ? 'select from where (' : `select ${i} as c${i}`));
    const trees = await parseStatements(sqls);
    expect(trees).toHaveLength(sqls.length);
    trees.forEach((t, i) => {
      if (i === 777) expect(t).toMatchObject({ error: expect.stringMatching(/cannot parse/) });
      else expect(JSON.stringify(t)).toContain(`"alias":"c${i}"`);
    });
  });
});
