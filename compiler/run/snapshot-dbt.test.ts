/**
 * Snapshots against dbt itself, and bad snapshot input.
 *
 * - The snapshot project (testing/snapshot-fixture.ts) as a dbt project, built three times (source
 *   versions R1, R2, R4) by dbt-core 1.10 + dbt-duckdb and by tx: every snapshot table has the same
 *   columns in the same order and the same rows; values that depend on the moment of the run (the
 *   snapshot time, and the dbt_scd_id hashed from it) are compared as "a run-time value".
 * - tx's manifest.json and run_results.json with snapshot nodes pass dbt-artifacts-parser's
 *   ManifestV12 / RunResultsV6 models (extra keys forbidden), and the snapshot nodes say what dbt's say.
 * - Data tests declared on snapshots: the same test nodes as dbt's; dbt publishes a failing snapshot
 *   state and tests it after, tx's audit before publish keeps the previous state.
 * - Bad input: no unique_key, an unknown strategy, both hard-delete settings (exit 2, nothing run);
 *   a check_cols column that does not exist, an updated_at that is not a timestamp, duplicate keys
 *   in the source (exit 1, the error names the column or the key, the snapshot table untouched,
 *   its dependents skipped).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, fixtureProject, queryDuckdb, writeFiles, type FixtureProject } from '../../testing/fixture-project.js';
import { provisionDbtArtifacts, provisionDbtCore } from '../../testing/services/dbt-venvs.js';
import { findPython } from '../../testing/services/python-venv.js';
import { serviceUnavailable } from '../../testing/services/require.js';
import { R1, R2, R4, SNAPSHOT_FILES, type Src } from '../../testing/snapshot-fixture.js';

const noPython = (await findPython()) === null;
if (noPython) serviceUnavailable('python', 'no Python >= 3.8 with venv and ensurepip (TX_TEST_PYTHON) for dbt-core and dbt-artifacts-parser');

const SNAPSHOTS = ['s_ignore', 's_invalidate', 's_new_record', 's_check', 's_yaml'];

/** Rows of a DuckDB file: tx's through @duckdb/node-api, dbt's through the venv's duckdb (its file format may be newer). */
type Reader = (sql: string) => Promise<Record<string, unknown>[]>;

function pythonReader(python: string, db: string): Reader {
  return async (sql) => {
    const code = 'import duckdb, json, sys\nc = duckdb.connect(sys.argv[1], read_only=True)\nr = c.execute(sys.argv[2])\nnames = [d[0] for d in r.description]\nprint(json.dumps([dict(zip(names, row)) for row in r.fetchall()], default=str))';
    const r = spawnSync(python, ['-c', code, db, sql], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(r.stderr);
    return JSON.parse(r.stdout) as Record<string, unknown>[];
  };
}

/** A table as dbt or tx left it: column names in order, and rows as sorted text tuples. */
async function table(read: Reader, name: string): Promise<{ columns: string[]; rows: string[][] }> {
  const cols = (await read(`select column_name from information_schema.columns where table_schema = 'main' and table_name = '${name}' order by ordinal_position`)).map((r) =>
    String(r.column_name),
  );
  const got = await read(`select ${cols.map((c) => `cast("${c}" as varchar) as "${c}"`).join(', ')} from main."${name}"`);
  const rows = got.map((r) => {
    const v = cols.map((c) => (r[c] === null ? 'NULL' : String(r[c])));
    // the snapshot time (and the ids hashed from it): "a run-time value"
    const runTime = v.map((x) => /^20(2[5-9]|[3-9]\d)-/.test(x));
    const idx = cols.findIndex((c) => c === 'dbt_scd_id');
    const timed = runTime.some(Boolean);
    return v.map((x, i) => (runTime[i] ? 'RUN_TIME' : i === idx && timed ? 'RUN_TIME_ID' : x));
  });
  rows.sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
  return { columns: cols, rows };
}

const DBT_FILES: Record<string, string> = {
  ...SNAPSHOT_FILES,
  'dbt_project.yml': 'name: snaps\nprofile: snaps\nconfig-version: 2\n',
  'profiles.yml': 'snaps:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: snaps.duckdb\n      schema: main\n      threads: 1\n',
};

describe('snapshots: tx and dbt-core 1.10 (dbt-duckdb) leave the same tables', () => {
  let dbtBin = '';
  let dbtPython = '';
  beforeAll(async () => {
    if (noPython) return;
    const venv = await provisionDbtCore();
    dbtBin = join(venv.dir, 'bin', 'dbt');
    dbtPython = venv.python;
  }, 600_000);

  it.skipIf(noPython)('after three snapshot runs (insert, update, delete, re-insert) every snapshot table matches', async () => {
    const dbtDir = mkdtempSync(join(tmpdir(), 'tx-snap-dbt-'));
    writeFiles(dbtDir, DBT_FILES);
    const fx = fixtureProject(DBT_FILES, { dbFile: 'snaps.duckdb' });
    try {
      for (const rows of [R1, R2, R4] as Src[][]) {
        const vars = JSON.stringify({ rows });
        const d = spawnSync(dbtBin, ['build', '--vars', vars, '--profiles-dir', dbtDir, '--project-dir', dbtDir], { cwd: dbtDir, encoding: 'utf8', timeout: 300_000, env: { ...process.env, DBT_SEND_ANONYMOUS_USAGE_STATS: 'false' } });
        expect(d.status, `${d.stdout}\n${d.stderr}`).toBe(0);
        const t = await fx.txWith({ timeoutMs: 300_000 }, 'build', '--vars', vars);
        expect(t.code, t.output).toBe(0);
        for (const s of SNAPSHOTS) {
          const theirs = await table(pythonReader(dbtPython, join(dbtDir, 'snaps.duckdb')), s);
          const ours = await table((sql) => queryDuckdb(fx.dbFile, sql), s);
          expect(theirs.rows.length, `dbt's ${s} is not empty`).toBeGreaterThan(0);
          expect(ours, `${s} after the run with ${rows.length} source rows`).toEqual(theirs);
        }
      }
    } finally {
      fx.cleanup();
      rmSync(dbtDir, { recursive: true, force: true });
    }
  }, 600_000);

  it.skipIf(noPython)('data tests on snapshots: the same test nodes as dbt; dbt publishes a failing snapshot state and tests after, tx keeps the previous one', async () => {
    const files: Record<string, string> = {
      ...DBT_FILES,
      'snapshots/snapshots.yml': `${SNAPSHOT_FILES['snapshots/snapshots.yml']!}    columns:
      - name: id
        data_tests: [not_null]
  - name: s_check
    columns:
      - name: status
        data_tests:
          - accepted_values: {values: ['s1', 's2']}
`,
    };
    const dbtDir = mkdtempSync(join(tmpdir(), 'tx-snap-dbt-tests-'));
    writeFiles(dbtDir, files);
    const fx = fixtureProject(files, { dbFile: 'snaps.duckdb' });
    const bad: Src[] = R1.map((r) => (r.id === 2 ? { ...r, status: 's9' } : r));
    const dbt = (rows: Src[]) =>
      spawnSync(dbtBin, ['build', '--vars', JSON.stringify({ rows }), '--profiles-dir', dbtDir, '--project-dir', dbtDir], { cwd: dbtDir, encoding: 'utf8', timeout: 300_000, env: { ...process.env, DBT_SEND_ANONYMOUS_USAGE_STATS: 'false' } });
    type Results = { results: { unique_id: string; status: string }[] };
    const testsOf = (r: Results) => Object.fromEntries(r.results.filter((x) => x.unique_id.startsWith('test.')).map((x) => [x.unique_id, x.status]));
    const statuses = (dir: string) => testsOf(JSON.parse(readFileSync(join(dir, 'target', 'run_results.json'), 'utf8')) as Results);
    const statusesIn = (read: Reader) => read("select distinct status from main.s_check order by 1");
    try {
      const d1 = dbt(R1);
      expect(d1.status, `${d1.stdout}\n${d1.stderr}`).toBe(0);
      const t1 = await fx.txWith({ timeoutMs: 300_000 }, 'build', '--vars', JSON.stringify({ rows: R1 }));
      expect(t1.code, t1.output).toBe(0);
      // the same test nodes (dbt's ids), attached to the same snapshots, passing
      const theirs = statuses(dbtDir);
      expect(Object.keys(theirs).sort()).toHaveLength(2);
      expect(statuses(fx.dir)).toEqual(theirs);
      const manifest = (dir: string) => JSON.parse(readFileSync(join(dir, 'target', 'manifest.json'), 'utf8')) as { nodes: Record<string, { attached_node?: string; depends_on: { nodes: string[] } }> };
      const attached = (dir: string) => Object.fromEntries(Object.entries(manifest(dir).nodes).filter(([k]) => k.startsWith('test.')).map(([k, v]) => [k, [v.attached_node, v.depends_on.nodes]]));
      expect(attached(fx.dir)).toEqual(attached(dbtDir));

      // a snapshot state that fails its test: dbt publishes it and then fails the test; tx's audit keeps the previous state
      const d2 = dbt(bad);
      expect(d2.status).toBe(1);
      const t2 = await fx.txWith({ timeoutMs: 300_000 }, 'build', '--vars', JSON.stringify({ rows: bad }));
      expect(t2.code, t2.output).toBe(1);
      const failing = Object.entries(statuses(dbtDir)).filter(([, v]) => v === 'fail').map(([k]) => k);
      expect(failing).toHaveLength(1);
      expect(Object.entries(statuses(fx.dir)).filter(([, v]) => v === 'fail').map(([k]) => k)).toEqual(failing);
      expect((await statusesIn(pythonReader(dbtPython, join(dbtDir, 'snaps.duckdb')))).map((r) => r.status)).toEqual(['s1', 's9']);
      expect((await statusesIn((sql) => queryDuckdb(fx.dbFile, sql))).map((r) => r.status)).toEqual(['s1']);
    } finally {
      fx.cleanup();
      rmSync(dbtDir, { recursive: true, force: true });
    }
  }, 600_000);
});

describe('snapshot nodes in dbt artifacts', () => {
  let python = '';
  beforeAll(async () => {
    if (noPython) return;
    python = (await provisionDbtArtifacts()).python;
  }, 600_000);

  it.skipIf(noPython)('manifest v12 and run_results v6 with snapshots validate, and the nodes say what they are', async () => {
    const fx = fixtureProject({ ...SNAPSHOT_FILES, 'project.yml': 'name: snaps\n' });
    try {
      const r = await fx.tx('build', '--vars', JSON.stringify({ rows: R1 }));
      expect(r.code, r.output).toBe(0);
      const v = spawnSync(python, [join(REPO_ROOT, 'compiler', 'artifacts', 'python', 'validate_dbt_artifacts.py'), `manifest=${fx.path('target/manifest.json')}`, `run_results=${fx.path('target/run_results.json')}`], {
        encoding: 'utf8',
      });
      expect(v.status, v.stderr).toBe(0);
      const report = JSON.parse(v.stdout.trim().split('\n').pop()!) as Record<string, { errors: number; first: string[] }>;
      expect(report.manifest, JSON.stringify(report.manifest.first)).toMatchObject({ errors: 0 });
      expect(report.run_results, JSON.stringify(report.run_results.first)).toMatchObject({ errors: 0 });

      const m = fx.json<{ nodes: Record<string, Record<string, any>>; child_map: Record<string, string[]> }>('target/manifest.json'); // eslint-disable-line @typescript-eslint/no-explicit-any
      const s = m.nodes['snapshot.snaps.s_check']!;
      expect(s).toMatchObject({
        resource_type: 'snapshot',
        name: 's_check',
        original_file_path: 'snapshots/snaps.sql',
        fqn: ['snaps', 'snaps', 's_check'],
        depends_on: { nodes: ['model.snaps.src'] },
        config: { materialized: 'snapshot', strategy: 'check', unique_key: ['id', 'k2'], check_cols: ['status'], hard_deletes: 'invalidate' },
      });
      // named as models are named on the target
      expect(s.relation_name).toBe(String(m.nodes['model.snaps.src']!.relation_name).replace('src', 's_check'));
      expect(s.raw_code).toContain("{{ config(unique_key=['id', 'k2']");
      expect(s.compiled_code).toContain('"main"."src"');
      const y = m.nodes['snapshot.snaps.s_yaml']!;
      expect(y.raw_code).toBe("select * from {{ ref('src_a') }}");
      expect(y.description).toBe('every column checked');
      // dbt 1.10's path of a YAML snapshot; its compiled file is where dbt writes it (target/run/snaps/snapshots/snapshots.yml/snapshots.yml/s_yaml.sql), beside its tests' folder
      expect(y.path).toBe('snapshots.yml/s_yaml.sql');
      expect(y.compiled_path).toBe('target/compiled/snaps/snapshots/snapshots.yml/snapshots.yml/s_yaml.sql');
      expect(y.config.snapshot_meta_column_names).toEqual({ dbt_valid_to: 'valid_to', dbt_valid_from: 'valid_from', dbt_scd_id: null, dbt_updated_at: null, dbt_is_deleted: null });
      expect(m.child_map['snapshot.snaps.s_invalidate']).toEqual(['model.snaps.current_a']);
      const rr = fx.json<{ results: { unique_id: string; status: string }[] }>('target/run_results.json');
      expect(rr.results.filter((x) => x.unique_id.startsWith('snapshot.')).map((x) => `${x.unique_id}:${x.status}`).sort()).toEqual(SNAPSHOTS.map((n) => `snapshot.snaps.${n}:success`).sort());
      // tx ls and --select know snapshots
      const ls = await fx.tx('ls', '--select', 'resource_type:snapshot', '--output', 'name', '--vars', JSON.stringify({ rows: R1 }));
      expect(ls.code, ls.output).toBe(0);
      expect(ls.stdout.trim().split('\n').sort()).toEqual([...SNAPSHOTS].sort());
    } finally {
      fx.cleanup();
    }
  }, 300_000);
});

describe('bad snapshot input', () => {
  let fx: FixtureProject;
  const vars = (rows: Src[]) => ['--vars', JSON.stringify({ rows })];
  beforeAll(() => {
    fx = fixtureProject({
      'project.yml': 'name: bad\n',
      'models/src.sql': SNAPSHOT_FILES['models/src.sql']!,
      'models/after.sql': "select * from {{ ref('snap') }}\n",
      'snapshots/snap.sql': "{% snapshot snap %}\n{{ config(unique_key='id', strategy='timestamp', updated_at='updated_at') }}\nselect * from {{ ref('src') }}\n{% endsnapshot %}\n",
    });
  });
  afterAll(() => fx.cleanup());

  const snap = (config: string, select = "select * from {{ ref('src') }}") => ({ 'snapshots/snap.sql': `{% snapshot snap %}\n{{ config(${config}) }}\n${select}\n{% endsnapshot %}\n` });
  const state = async () => fx.query('select * from main.snap order by id, dbt_valid_from');

  it('project errors (exit 2, file:line, nothing runs): no unique_key, unknown strategy, both hard-delete settings', async () => {
    const cases: [string, RegExp][] = [
      ["strategy='timestamp', updated_at='updated_at'", /snapshots\/snap\.sql:1: snapshot `snap`: needs a `unique_key`/],
      ["unique_key='id', strategy='timestmap', updated_at='updated_at'", /strategy `timestmap` is not one tx runs\n\s+hint: did you mean `timestamp`\?/],
      ["unique_key='id', strategy='timestamp', updated_at='updated_at', invalidate_hard_deletes=true, hard_deletes='new_record'", /cannot set both `invalidate_hard_deletes` and `hard_deletes`/],
      ["unique_key='id', strategy='check'", /the check strategy needs `check_cols`/],
      ["unique_key='id', strategy='timestamp', updated_at='updated_at', hard_deletes='delete'", /invalid setting for `hard_deletes`: delete/],
    ];
    for (const [config, message] of cases) {
      fx.write(snap(config));
      const r = await fx.tx('build', ...vars(R1));
      expect(r.code, r.output).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stdout).not.toMatch(/OK created/);
    }
    expect(fx.exists('bad.duckdb') ? await fx.relations() : []).toEqual([]);
  }, 120_000);

  it('node errors (exit 1, the snapshot untouched, dependents skipped): a missing check column, a non-timestamp updated_at, duplicate keys', async () => {
    fx.write(snap("unique_key='id', strategy='timestamp', updated_at='updated_at'"));
    const ok = await fx.tx('build', ...vars(R1.filter((r) => r.k2 === 'a')));
    expect(ok.code, ok.output).toBe(0);
    const before = await state();
    expect(before.length).toBe(3);

    const cases: [Record<string, string>, Src[], RegExp][] = [
      [snap("unique_key='id', strategy='check', check_cols=['status', 'stauts']"), R2.filter((r) => r.k2 === 'a'), /check_cols column `stauts` is not a column of the snapshot query \(did you mean `status`\?\)/],
      [snap("unique_key='id', strategy='timestamp', updated_at='name'"), R2.filter((r) => r.k2 === 'a'), /updated_at `name` is VARCHAR, not a timestamp/],
      [snap("unique_key='id', strategy='timestamp', updated_at='updated_at'"), R2, /unique_key is not unique in the snapshot query: id = 1 is on 2 rows; the snapshot table was not changed/],
      [snap("unique_key='id', strategy='timestamp', updated_at='updated_at'", "select * from {{ ref('src') }} where k2 = 'a' and updated_at is not null and idd > 0"), R2, /idd/],
    ];
    for (const [files, rows, message] of cases) {
      fx.write(files);
      const r = await fx.tx('build', ...vars(rows));
      expect(r.code, r.output).toBe(1);
      expect(r.output).toMatch(message);
      expect(r.stdout).toMatch(/SKIP.*model after/);
      expect(await state()).toEqual(before);
      expect((await fx.relations()).map((x) => x.name).filter((n) => n.includes('__tx_'))).toEqual([]);
    }
  }, 180_000);
});

