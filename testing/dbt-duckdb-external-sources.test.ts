/**
 * dbt-duckdb's external sources (issue 12): `external_location` in a source's `meta`, a table's
 * `meta` or its `config`, formatted with `{name}`/`{identifier}` (newstyle), `%(identifier)s`
 * (oldstyle) and `${name}` (template), as a path or as a `read_csv(...)` expression. tx and
 * dbt-core 1.10 + dbt-duckdb build copies of the same small project: the compiled SQL of every
 * model is the same text, the manifests give the sources the same relation_name, and every
 * table holds the same rows.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dbtCoreVenv, dbtEnv, noPythonFor, readArtifact, runDbt, writeProfiles } from './dbt-reference.js';
import { dedent, queryDuckdb, runCli, writeFiles, type Row, type TxRun } from './fixture-project.js';

const noPython = await noPythonFor('dbt-core 1.10 + dbt-duckdb');

const work = mkdtempSync(join(tmpdir(), 'tx-extsrc-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const env = dbtEnv(work);

const MODELS = ['people_orders', 'people_again', 'people_template'];
const PROJECT = {
  'dbt_project.yml': "name: ext\nversion: '1.0'\nconfig-version: 2\nprofile: ext\nmodels:\n  ext:\n    +materialized: table\n",
  'data/people.csv': 'id,name\n1,ann\n2,bob\n3,cid\n',
  'data/orders.csv': 'id,amount\n1,10\n2,20\n3,5\n',
  'models/sources.yml': dedent(`
    version: 2
    sources:
      - name: raw
        meta:
          external_location: "data/{name}.csv"
        tables:
          - name: people
          - name: orders
            config:
              external_location: "read_csv('data/{identifier}.csv', header = true, delim = ',')"
      - name: other
        schema: elsewhere
        tables:
          - name: people2
            identifier: people
            meta:
              external_location: "data/%(identifier)s.csv"
              formatter: oldstyle
          - name: people3
            meta:
              external_location: "read_csv_auto('data/\${dir}.csv')"
              dir: people
              formatter: template
  `),
  'models/people_orders.sql': "select p.id, p.name, o.amount from {{ source('raw', 'people') }} p join {{ source('raw', 'orders') }} o on o.id = p.id\n",
  'models/people_again.sql': "select * from {{ source('other', 'people2') }}\n",
  'models/people_template.sql': "select * from {{ source('other', 'people3') }} where id > 1\n",
};

const profile = (db: string) =>
  `ext:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: ${JSON.stringify(db)}\n      threads: 1\n      config_options: {storage_compatibility_version: v1.5.0}\n`;

function copyOf(name: string): { dir: string; db: string } {
  const dir = join(work, name);
  writeFiles(dir, PROJECT);
  return { dir, db: join(dir, `${name}.duckdb`) };
}
const compiled = (dir: string, model: string) => readFileSync(join(dir, 'target', 'compiled', 'ext', 'models', `${model}.sql`), 'utf8').trim();
type Manifest = { sources: Record<string, { relation_name: string }> };
const sourceRelations = (dir: string) =>
  Object.entries(readArtifact<Manifest>(dir).sources)
    .map(([id, s]) => `${id} ${s.relation_name}`)
    .sort();

const txCopy = copyOf('tx');
let build: TxRun;
beforeAll(async () => {
  writeFileSync(join(txCopy.dir, 'profiles.yml'), profile(txCopy.db));
  build = await runCli(['build'], { cwd: txCopy.dir, env, timeoutMs: 180_000 });
}, 240_000);

describe('external sources with tx', () => {
  it('builds the models over the files; source() renders the formatted location', async () => {
    expect(build.code, build.output).toBe(0);
    expect(build.output).toMatch(/OK=3 WARN=0 ERROR=0 SKIP=0/);
    expect(compiled(txCopy.dir, 'people_orders')).toBe(
      "select p.id, p.name, o.amount from 'data/people.csv' p join read_csv('data/orders.csv', header = true, delim = ',') o on o.id = p.id",
    );
    expect(compiled(txCopy.dir, 'people_again')).toBe("select * from 'data/people.csv'");
    expect(await queryDuckdb(txCopy.db, 'select sum(amount)::int as s from main.people_orders')).toEqual([{ s: 35 }]);
  });

  it('a location naming a field the source does not have: exit 2 naming the file', async () => {
    const bad = copyOf('bad');
    writeFileSync(join(bad.dir, 'profiles.yml'), profile(bad.db));
    writeFileSync(join(bad.dir, 'models', 'sources.yml'), 'version: 2\nsources:\n  - name: raw\n    tables:\n      - name: people\n        meta: {external_location: "data/{nope}.csv"}\n');
    writeFileSync(join(bad.dir, 'models', 'people_again.sql'), "select * from {{ source('raw', 'people') }}\n");
    rmSync(join(bad.dir, 'models', 'people_orders.sql'));
    rmSync(join(bad.dir, 'models', 'people_template.sql'));
    const r = await runCli(['build'], { cwd: bad.dir, env });
    expect(r.code, r.output).toBe(2);
    expect(r.stderr).toMatch(/models\/sources\.yml:5: source `raw\.people`: external_location `data\/\{nope\}\.csv` names `nope`/);
    await expect(queryDuckdb(bad.db, 'select 1')).rejects.toThrow(/no DuckDB file/);
  });
});

describe.skipIf(noPython)('external sources: tx equals dbt-core 1.10 + dbt-duckdb', () => {
  const venv = dbtCoreVenv();
  const dbtCopy = copyOf('dbt');
  const dbtProfiles = join(work, 'dbt-profiles');
  beforeAll(() => {
    writeProfiles(dbtProfiles, profile(dbtCopy.db));
  });

  it('same compiled SQL, same source relation_name, same rows', async () => {
    const r = runDbt(venv(), dbtCopy.dir, ['build'], { env, profilesDir: dbtProfiles });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    for (const m of MODELS) expect(compiled(txCopy.dir, m), m).toBe(compiled(dbtCopy.dir, m));
    expect(sourceRelations(txCopy.dir)).toEqual(sourceRelations(dbtCopy.dir));
    const rows = async (db: string, t: string) => (await queryDuckdb(db, `select * from main.${t} order by all`)).map((x: Row) => JSON.stringify(x, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v)));
    for (const m of MODELS) {
      const mine = await rows(txCopy.db, m);
      expect(mine.length, m).toBeGreaterThan(0);
      expect(mine, m).toEqual(await rows(dbtCopy.db, m));
    }
    // --empty: the location wrapped in a zero-row subquery, as dbt-duckdb renders it (no alias on DuckDB)
    const dbtEmpty = runDbt(venv(), dbtCopy.dir, ['compile', '--empty'], { env, profilesDir: dbtProfiles });
    expect(dbtEmpty.status, dbtEmpty.stdout + dbtEmpty.stderr).toBe(0);
    const txEmpty = await runCli(['build', '--empty'], { cwd: txCopy.dir, env });
    expect(txEmpty.code, txEmpty.output).toBe(0);
    expect(compiled(txCopy.dir, 'people_again')).toMatch(/where false limit 0/);
    for (const m of MODELS) expect(compiled(txCopy.dir, m), m).toBe(compiled(dbtCopy.dir, m));
  }, 300_000);
});
