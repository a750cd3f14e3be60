/**
 * Model versions (issue 12): `versions:` and `latest_version` in a model's properties, version
 * files named `<model>_v<v>` or `defined_in`, columns picked with `include`/`exclude`, a version's
 * own config (alias), `ref('m')` (the latest version), `ref('m', v=1)` and `ref('m', version=3)`.
 * tx and dbt-core 1.10 + dbt-duckdb build copies of the same small project: `tx ls` and `dbt ls`
 * list the same unique ids (test ids included), the manifests give each version the same name,
 * fqn, version and latest_version, and every relation of the two databases is the same.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dbtCoreVenv, dbtEnv, lsIds, noPythonFor, readArtifact, runDbt, writeProfiles } from './dbt-reference.js';
import { dedent, queryDuckdb, runCli, writeFiles, type Row, type TxRun } from './fixture-project.js';

const noPython = await noPythonFor('dbt-core 1.10 + dbt-duckdb');

const work = mkdtempSync(join(tmpdir(), 'tx-versions-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const env = dbtEnv(work);

const PROJECT = {
  'dbt_project.yml': "name: verp\nversion: '1.0'\nconfig-version: 2\nprofile: verp\n",
  'seeds/people.csv': 'id,name,country\n1,ann,NO\n2,bob,SE\n3,cid,DK\n',
  'models/dim_people_v1.sql': "select id, name from {{ ref('people') }}\n",
  'models/dim_people_v2.sql': "select id, name, country from {{ ref('people') }}\n",
  'models/people_v3_here.sql': "select id, upper(name) as name, country from {{ ref('people') }}\n",
  'models/latest_user.sql': "select * from {{ ref('dim_people') }}\n",
  'models/old_user.sql': "select v1.id, v1.name, v3.name as loud from {{ ref('dim_people', v=1) }} v1 join {{ ref('dim_people', version=3) }} v3 using (id)\n",
  'models/schema.yml': dedent(`
    version: 2
    models:
      - name: dim_people
        latest_version: 2
        config:
          materialized: table
        columns:
          - name: id
            data_tests: [unique]
          - name: name
            data_tests: [not_null]
          - name: country
        versions:
          - v: 1
            columns:
              - include: all
                exclude: [name]
          - v: 2
          - v: 3
            defined_in: people_v3_here
            config:
              alias: people_three
  `),
};

const profile = (db: string) =>
  `verp:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: ${JSON.stringify(db)}\n      threads: 1\n      config_options: {storage_compatibility_version: v1.5.0}\n`;

function copyOf(name: string): { dir: string; db: string } {
  const dir = join(work, name);
  writeFiles(dir, PROJECT);
  return { dir, db: join(dir, `${name}.duckdb`) };
}

type Manifest = { nodes: Record<string, { name: string; fqn: string[]; version: unknown; latest_version: unknown; alias: string }> };
const versionsIn = (m: Manifest) =>
  Object.entries(m.nodes)
    .filter(([id]) => id.startsWith('model.'))
    .map(([id, n]) => JSON.stringify([id, n.name, n.fqn, n.version, n.latest_version, n.alias]))
    .sort();

const txCopy = copyOf('tx');
let build: TxRun;
let ls: TxRun;
beforeAll(async () => {
  writeFileSync(join(txCopy.dir, 'profiles.yml'), profile(txCopy.db));
  build = await runCli(['build'], { cwd: txCopy.dir, env, timeoutMs: 180_000 });
  ls = await runCli(['ls', '--output', 'json'], { cwd: txCopy.dir, env });
}, 240_000);

describe('model versions with tx', () => {
  it('builds every version, its tests, and the models that ref them: 11 of 11', () => {
    expect(build.code, build.output).toBe(0);
    expect(build.output).toMatch(/OK=11 WARN=0 ERROR=0 SKIP=0/);
    expect(lsIds(ls.stdout)).toEqual(expect.arrayContaining(['model.verp.dim_people.v1', 'model.verp.dim_people.v2', 'model.verp.dim_people.v3']));
  });

  it('a ref to a version that does not exist, and a version without its file: exit 2 naming the file', async () => {
    const bad = copyOf('bad-ref');
    writeFileSync(join(bad.dir, 'profiles.yml'), profile(bad.db));
    writeFileSync(join(bad.dir, 'models', 'old_user.sql'), "select * from {{ ref('dim_people', v=9) }}\n");
    const r = await runCli(['build'], { cwd: bad.dir, env });
    expect(r.code).toBe(2);
    expect(r.output).toMatch(/models\/old_user\.sql/);
    expect(r.output).toMatch(/dim_people\.v9/);
    const bad2 = copyOf('bad-file');
    writeFileSync(join(bad2.dir, 'profiles.yml'), profile(bad2.db));
    rmSync(join(bad2.dir, 'models', 'people_v3_here.sql'));
    const r2 = await runCli(['build'], { cwd: bad2.dir, env });
    expect(r2.code).toBe(2);
    expect(r2.output).toMatch(/models\/schema\.yml:\d+/);
    expect(r2.output).toMatch(/version 3 of model `dim_people`/);
    await expect(queryDuckdb(bad2.db, 'select 1')).rejects.toThrow(/no DuckDB file/);
  });
});

describe.skipIf(noPython)('model versions: tx equals dbt-core 1.10 + dbt-duckdb', () => {
  const venv = dbtCoreVenv();
  const dbtCopy = copyOf('dbt');
  const dbtProfiles = join(work, 'dbt-profiles');
  const dbt = (args: string[]) => runDbt(venv(), dbtCopy.dir, args, { env, profilesDir: dbtProfiles });
  beforeAll(() => {
    writeProfiles(dbtProfiles, profile(dbtCopy.db));
  });

  it('dbt ls lists the same unique ids; the manifests agree on name, fqn, version, latest_version and alias', () => {
    const r = dbt(['ls', '--output', 'json', '--output-keys', 'unique_id']);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    const dbtIds = lsIds(r.stdout);
    expect(dbtIds).toHaveLength(11);
    expect(lsIds(ls.stdout)).toEqual(dbtIds);
    const manifest = (dir: string) => readArtifact<Manifest>(dir);
    expect(versionsIn(manifest(txCopy.dir))).toEqual(versionsIn(manifest(dbtCopy.dir)));
  }, 300_000);

  it('dbt build passes 11 of 11; every relation equals tx\'s, row for row', async () => {
    const r = dbt(['build']);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/PASS=11 WARN=0 ERROR=0 SKIP=0/);
    const relations = async (db: string) =>
      (await queryDuckdb(db, "select table_name, table_type from information_schema.tables where table_schema = 'main' order by 1")).map((x) => `${String(x.table_name)} ${String(x.table_type)}`);
    const txRel = await relations(txCopy.db);
    expect(txRel).toEqual(await relations(dbtCopy.db));
    expect(txRel).toEqual(['dim_people_v1 BASE TABLE', 'dim_people_v2 BASE TABLE', 'latest_user VIEW', 'old_user VIEW', 'people BASE TABLE', 'people_three BASE TABLE']);
    for (const entry of txRel) {
      const name = entry.split(' ')[0]!;
      const rows = async (db: string): Promise<string[]> => (await queryDuckdb(db, `select * from main."${name}"`)).map(canonical).sort();
      const txRows = await rows(txCopy.db);
      expect(txRows.length, name).toBeGreaterThan(0);
      expect(txRows, name).toEqual(await rows(dbtCopy.db));
    }
  }, 300_000);
});

function canonical(r: Row): string {
  return JSON.stringify(Object.entries(r).map(([k, v]) => [k, typeof v === 'bigint' ? `${v}n` : v instanceof Date ? v.toISOString() : v === null ? null : typeof v === 'object' ? String(v) : v]));
}
