/**
 * YAML 1.1 in a dbt project (issue 12): dbt reads its files with PyYAML, so `+enabled: no` disables,
 * `persist_docs: {relation: yes}` is true, a var `0777` is 511 and `1_000` is 1000, `1e3` is text,
 * and `<<: *anchor` merges. One project, copied unchanged, is compiled by dbt-core 1.10 +
 * dbt-duckdb and by tx: the same nodes are enabled, the compiled SQL is the same, and the configs
 * read from the YAML are the same; so with `--vars '{flag: NO}'`. A key written twice: the last wins,
 * with dbt's warning.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dbtCoreVenv, dbtEnv, noPythonFor, readArtifact, runDbt } from './dbt-reference.js';
import { dedent, runCli, writeFiles } from './fixture-project.js';

const noPython = await noPythonFor('dbt-core 1.10 + dbt-duckdb');

const work = mkdtempSync(join(tmpdir(), 'tx-dbt-yaml11-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const env = dbtEnv(work);

const PROJECT = (db: string) => ({
  'dbt_project.yml': dedent(`
    name: y11
    version: '1.0'
    config-version: 2
    profile: y11
    models:
      y11:
        +materialized: view
        legacy:
          +enabled: no
        current:
          +enabled: Yes
          +persist_docs: {relation: yes, columns: OFF}
    vars:
      flag: on
      mode: 0777
      big: 1_000
      minutes: 1:30
      sci: 1e3
      octal_text: '0777'
  `),
  'profiles.yml': `y11:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: ${JSON.stringify(db)}\n      threads: 1\n`,
  'models/legacy/old.sql': 'select 1 as id\n',
  'models/current/vars_model.sql':
    "select '{{ var(\"flag\") }}' as flag, {{ var('mode') }} as mode, {{ var('big') }} as big, {{ var('minutes') }} as minutes, '{{ var('sci') }}' as sci, '{{ var('octal_text') }}' as octal_text, {{ var('flag') is sameas true }} as is_bool\n",
  'models/current/other.sql': 'select 2 as id\n',
  'models/current/props.yml': dedent(`
    version: 2
    _shared: &shared
      config:
        tags: [merged]
        enabled: yes
    models:
      - name: other
        <<: *shared
        columns:
          - name: id
            quote: yes
            data_tests:
              - not_null:
                  config:
                    enabled: off
      - name: vars_model
        config:
          enabled: on
  `),
});

type Node = { config?: Record<string, unknown> };
type Manifest = { nodes: Record<string, Node> };

describe.skipIf(noPython)('YAML 1.1 in dbt projects: tx equals dbt-core 1.10', () => {
  const venv = dbtCoreVenv();

  it('the same nodes enabled, the same compiled SQL, the same configs', async () => {
    const txDir = join(work, 'tx');
    const dbtDir = join(work, 'dbt');
    writeFiles(txDir, PROJECT(join(txDir, 'tx.duckdb')));
    writeFiles(dbtDir, PROJECT(join(dbtDir, 'dbt.duckdb')));
    const d = runDbt(venv(), dbtDir, ['compile'], { env });
    expect(d.status, d.stdout + d.stderr).toBe(0);
    const t = await runCli(['compile'], { cwd: txDir, env, timeoutMs: 180_000 });
    expect(t.code, t.output).toBe(0);
    const ref = readArtifact<Manifest>(dbtDir);
    const got = readArtifact<Manifest>(txDir);
    const ids = (m: Manifest) => Object.keys(m.nodes).filter((k) => k.startsWith('model.') || k.startsWith('test.')).sort();
    expect(ids(got)).toEqual(ids(ref));
    expect(ids(ref)).toEqual(['model.y11.other', 'model.y11.vars_model']);
    const compiled = (dir: string) => readFileSync(join(dir, 'target', 'compiled', 'y11', 'models', 'current', 'vars_model.sql'), 'utf8').trim();
    expect(compiled(txDir)).toBe(compiled(dbtDir));
    expect(compiled(dbtDir)).toBe("select 'True' as flag, 511 as mode, 1000 as big, 90 as minutes, '1e3' as sci, '0777' as octal_text, True as is_bool");
    const picked = (m: Manifest) => {
      const o = m.nodes['model.y11.other']!;
      return { persist: o.config?.persist_docs, tags: o.config?.tags };
    };
    expect(picked(got)).toEqual(picked(ref));
    expect(picked(ref)).toEqual({ persist: { relation: true, columns: false }, tags: ['merged'] });

    // --vars too is read with PyYAML
    const vars = ['compile', '--vars', '{flag: NO, mode: 010}', '--select', 'vars_model'];
    const d2 = runDbt(venv(), dbtDir, vars, { env });
    expect(d2.status, d2.stdout + d2.stderr).toBe(0);
    const t2 = await runCli(vars, { cwd: txDir, env, timeoutMs: 180_000 });
    expect(t2.code, t2.output).toBe(0);
    expect(compiled(txDir)).toBe(compiled(dbtDir));
    expect(compiled(dbtDir)).toMatch(/^select 'False' as flag, 8 as mode, .* False as is_bool$/);
  }, 600_000);

  it('a key written twice: the last one is used, with dbt-core 1.10\'s warning, where tx once refused the file', async () => {
    const files = (db: string) => ({
      'dbt_project.yml': dedent(`
        name: dup
        version: '1.0'
        config-version: 2
        profile: dup
        vars:
          color: red
          color: blue
      `),
      'profiles.yml': `dup:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: ${JSON.stringify(db)}\n      threads: 1\n`,
      'models/a.sql': "select '{{ var(\"color\") }}' as color\n",
      'models/b.sql': 'select 2 as id\n',
      'models/props.yml': dedent(`
        version: 2
        models:
          - name: a
            config:
              tags: [first]
        models:
          - name: b
            config:
              tags: [second]
              tags: [third]
      `),
    });
    const txDir = join(work, 'tx-dup');
    const dbtDir = join(work, 'dbt-dup');
    writeFiles(txDir, files(join(txDir, 'tx.duckdb')));
    writeFiles(dbtDir, files(join(dbtDir, 'dbt.duckdb')));
    const d = runDbt(venv(), dbtDir, ['compile'], { env });
    expect(d.status, d.stdout + d.stderr).toBe(0);
    expect(d.stdout + d.stderr).toContain('DuplicateYAMLKeysDeprecation: 3 occurrences');
    const t = await runCli(['compile'], { cwd: txDir, env, timeoutMs: 180_000 });
    expect(t.code, t.output).toBe(0);
    expect(t.output).toContain("Duplicate 'color' key found in yaml file dbt_project.yml (line 7)");
    expect(t.output).toContain("Duplicate 'models' key found in yaml file models/props.yml (line 6)");
    expect(t.output).toContain("Duplicate 'tags' key found in yaml file models/props.yml (line 10)");
    const compiled = (dir: string) => readFileSync(join(dir, 'target', 'compiled', 'dup', 'models', 'a.sql'), 'utf8').trim();
    expect(compiled(txDir)).toBe(compiled(dbtDir));
    expect(compiled(dbtDir)).toBe("select 'blue' as color");
    const tags = (m: Manifest) => Object.fromEntries(Object.entries(m.nodes).map(([k, n]) => [k, n.config?.tags]));
    expect(tags(readArtifact<Manifest>(txDir))).toEqual(tags(readArtifact<Manifest>(dbtDir)));
    expect(tags(readArtifact<Manifest>(dbtDir))).toEqual({ 'model.dup.a': [], 'model.dup.b': ['third'] });
  }, 600_000);
});
