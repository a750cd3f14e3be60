/**
 * The tx command line, end to end on real DuckDB files: the smallest project, paths, vars,
 * targets, show, debug, clean, and every bad input of the core issue (exit 2, an error a user
 * can act on, and nothing written to the database).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliPath, dedent, fingerprint, fixtureProject, once, runCli, type Files, type FixtureProject } from '../testing/fixture-project.js';

const fixtures: FixtureProject[] = [];
const project = (files: Files) => {
  const fx = fixtureProject(files);
  fixtures.push(fx);
  return fx;
};
afterAll(() => {
  for (const f of fixtures) f.cleanup();
});

describe.concurrent('projects, paths, vars and targets', () => {
  it('a project.yml with only `name` builds on a DuckDB file beside it, found from a subfolder', async () => {
    const fx = project({ 'project.yml': 'name: tiny\n', 'models/hello.sql': "select 'world' as hello", 'models/deep/x.txt': '' });
    // no --project-dir: tx looks for project.yml from the current folder upwards
    const r = await runCli(['build'], { cwd: fx.path('models/deep') });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(existsSync(fx.path('tiny.duckdb'))).toBe(true);
    expect(await fx.query('select * from main.hello')).toEqual([{ hello: 'world' }]);
    expect(r.stdout).toMatch(/^1 of 1 OK created view main\.hello \.\.\. \[\d+\.\d\ds\]$/m);
    expect(r.stdout).toMatch(/^Finished build of 1 node in \d+\.\d\ds\. OK=1 WARN=0 ERROR=0 SKIP=0$/m);
  });

  it('outside any project: a clear error, exit 2', async () => {
    const fx = project({});
    fx.remove('project.yml');
    const r = await runCli(['build'], { cwd: fx.dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no project\.yml or dbt_project\.yml in .* or any parent folder/);
  });

  it('`paths` moves models, seeds and macros', async () => {
    const fx = project({
      'project.yml': 'name: paths\npaths:\n  models: sql\n  seeds: csv\n  macros: lib\n',
      'sql/m.sql': "{{ config(materialized='table') }}select {{ twice('n') }} as n2 from {{ ref('s') }}",
      'csv/s.csv': 'n\n21\n',
      'lib/twice.sql': '{% macro twice(c) %}{{ c }} * 2{% endmacro %}',
      'models/ignored.sql': 'select broken sql here',
    });
    const r = await fx.tx('build');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(await fx.query('select * from main.m')).toEqual([{ n2: 42 }]);
    expect((await fx.relations()).map((x) => x.name)).toEqual(['m', 's']);
  });

  it('vars from project.yml, overridden by --vars as YAML or as JSON', async () => {
    const fx = project({
      'project.yml': 'name: vars\nvars:\n  greeting: hello\n  n: 1\n',
      'models/v.sql': "{{ config(materialized='table') }}select '{{ var('greeting') }}' as g, {{ var('n') }} as n",
    });
    expect((await fx.tx('run')).code).toBe(0);
    expect(await fx.query('select * from main.v')).toEqual([{ g: 'hello', n: 1 }]);
    expect((await fx.tx('run', '--vars', '{greeting: hi, n: 2}')).code).toBe(0);
    expect(await fx.query('select * from main.v')).toEqual([{ g: 'hi', n: 2 }]);
    expect((await fx.tx('run', '--vars', '{"n": 3}')).code).toBe(0);
    expect(await fx.query('select * from main.v')).toEqual([{ g: 'hello', n: 3 }]);
  });

  it('targets and --target: each target writes its own DuckDB file and schema', async () => {
    const fx = project({
      'project.yml': dedent(`
        name: tg
        target: dev
        targets:
          dev:
            type: duckdb
            path: target/dev.duckdb
          prod:
            type: duckdb
            path: "{{ env_var('TX_FX_PROD_DIR') }}/prod.duckdb"
            schema: analytics
      `),
      'models/m.sql': "select '{{ target.name }}' as t",
    });
    const env = { TX_FX_PROD_DIR: fx.path('elsewhere') };
    const dev = await fx.txWith({ env }, 'run');
    expect(dev.code).toBe(0);
    expect(existsSync(fx.path('target/dev.duckdb'))).toBe(true);
    expect(existsSync(fx.path('elsewhere/prod.duckdb'))).toBe(false);
    const prod = await fx.txWith({ env }, 'run', '--target', 'prod');
    expect(prod.code).toBe(0);
    expect(prod.stdout).toContain('OK created view analytics.m');
    expect(await fx.query('select * from analytics.m', fx.path('elsewhere/prod.duckdb'))).toEqual([{ t: 'prod' }]);
    expect(await fx.query('select * from main.m', fx.path('target/dev.duckdb'))).toEqual([{ t: 'dev' }]);
  });
});

describe.concurrent('selection and naming on a real build', () => {
  it('--select / --exclude decide what is built', async () => {
    const fx = project({
      'project.yml': 'name: sel\n',
      'models/a.sql': 'select 1 as id',
      'models/b.sql': "select * from {{ ref('a') }}",
      'models/c.sql': "select * from {{ ref('b') }}",
      'models/d.sql': 'select 4 as id',
    });
    const r = await fx.tx('run', '--select', 'a+', '--exclude', 'c');
    expect(r.code).toBe(0);
    expect((await fx.relations()).map((x) => x.name)).toEqual(['a', 'b']);
    const r2 = await fx.tx('run', '--select', '1+c d');
    expect(r2.code).toBe(0);
    expect(r2.stdout).toMatch(/Running run .*: 3 nodes/);
    expect((await fx.relations()).map((x) => x.name)).toEqual(['a', 'b', 'c', 'd']);
  });

  it('a project generate_schema_name decides the schema the relation is built in', async () => {
    const fx = project({
      'project.yml': 'name: naming\nmodels:\n  naming:\n    marts:\n      +schema: mart\n',
      'macros/generate_schema_name.sql': dedent(`
        {% macro generate_schema_name(custom_schema_name, node) -%}
          {%- if custom_schema_name -%}{{ custom_schema_name | trim }}{%- else -%}{{ target.schema }}{%- endif -%}
        {%- endmacro %}
      `),
      'models/marts/m.sql': "{{ config(materialized='table') }}select 1 as id",
      'models/top.sql': "select * from {{ ref('m') }}",
    });
    const r = await fx.tx('build');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect((await fx.relations()).map((x) => `${x.schema}.${x.name}`)).toEqual(['main.top', 'mart.m']);
    expect(await fx.query('select * from main.top')).toEqual([{ id: 1 }]);
  });
});

describe.concurrent('tx show', () => {
  const shown = once(async () => {
    const fx = project({
      'project.yml': 'name: show\n',
      'models/nums.sql': "{{ config(materialized='table') }}select i, 'row ' || i as label, case when i = 2 then null else i * 1.5 end as x from range(12) t(i)",
    });
    const build = await fx.tx('build');
    return { fx, build };
  });

  it('--select MODEL shows its first 5 rows as a text table by default', async () => {
    const { fx, build } = await shown();
    expect(build.code).toBe(0);
    const r = await fx.tx('show', '--select', 'nums');
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^\| i +\| label +\| x +\|$/);
    expect(lines).toHaveLength(2 + 5);
    expect(lines[2]).toMatch(/^\| 0 +\| row 0 +\| 0(\.0)? +\|$/);
    expect(lines[4]).toMatch(/\| NULL +\|$/);
  });

  it('--inline SQL with ref(), --limit N, --output json', async () => {
    const { fx } = await shown();
    const r = await fx.tx('show', '--inline', "select i from {{ ref('nums') }} where i >= 5 order by i", '--limit', '3', '--output', 'json');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([{ i: 5 }, { i: 6 }, { i: 7 }]);
  });

  it('--limit -1 shows every row; --output csv quotes and leaves NULL empty', async () => {
    const { fx } = await shown();
    const r = await fx.tx('show', '--inline', "select i, label || ', ok' as label, x from {{ ref('nums') }} order by i", '--limit', '-1', '--output', 'csv');
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toBe('i,label,x');
    expect(lines).toHaveLength(1 + 12);
    // x is DECIMAL: shown with its scale
    expect(lines[1]).toBe('0,"row 0, ok",0.0');
    expect(lines[3]).toBe('2,"row 2, ok",');
    expect(lines[12]).toBe('11,"row 11, ok",16.5');
  });

  it('DECIMAL values are shown exactly, with their scale (text, csv, json), as PostgreSQL NUMERIC is', async () => {
    const { fx } = await shown();
    const sql = 'select 1.10::decimal(5,2) as price, 12345678901234567.891::decimal(38,3) as big, 2.5::double as ratio;';
    const text = await fx.tx('show', '--inline', sql);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/\| 1\.10 +\| 12345678901234567\.891 \| 2\.5 +\|/);
    const csv = await fx.tx('show', '--inline', sql, '--limit', '-1', '--output', 'csv');
    expect(csv.stdout.trim().split('\n')[1]).toBe('1.10,12345678901234567.891,2.5');
    const json = await fx.tx('show', '--inline', sql, '--output', 'json');
    expect(JSON.parse(json.stdout)).toEqual([{ price: '1.10', big: '12345678901234567.891', ratio: 2.5 }]);
  });

  it('columns of the same name are all shown (a, a_1), not one overwriting the other', async () => {
    const { fx } = await shown();
    const r = await fx.tx('show', '--inline', "select 1 as a, 2 as a, 'x' as b", '--output', 'json');
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([{ a: 1, a_1: 2, b: 'x' }]);
  });

  it('a ref to a missing model in --inline is an error naming the closest model (exit 2)', async () => {
    const { fx } = await shown();
    const r = await fx.tx('show', '--inline', "select * from {{ ref('num') }}");
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/`num`/);
    expect(r.stderr).toMatch(/nums/);
  });

  it('an invalid --limit or a missing --select/--inline is a usage error', async () => {
    const { fx } = await shown();
    const bad = await fx.tx('show', '--select', 'nums', '--limit', 'ten');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--limit/);
    const none = await fx.tx('show');
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/--select MODEL or --inline/);
  });

  it('piping into a reader that stops early (| head) ends quietly, without a stack trace', async () => {
    const { fx } = await shown();
    const child = spawn(process.execPath, [cliPath(), 'show', '--inline', 'select * from range(200000) t(i)', '--limit', '-1', '--output', 'csv', '--project-dir', fx.dir], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1' },
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.stdout.once('data', () => child.stdout.destroy());
    const code = await new Promise<number | null>((r) => child.on('close', (c) => r(c)));
    expect(stderr).not.toMatch(/EPIPE|Unhandled 'error' event/);
    expect([0, 141, null]).toContain(code);
  });
});

describe.concurrent('tx debug and tx clean', () => {
  it('tx debug prints versions, the project found and whether the target is reachable', async () => {
    const fx = project({ 'project.yml': 'name: dbg\n', 'models/a.sql': 'select 1', 'seeds/s.csv': 'x\n1\n' });
    const r = await fx.tx('debug');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^tx \d+\.\d+\.\d+ +node v\d+/m);
    expect(r.stdout).toContain(`project: dbg at ${fx.dir}`);
    expect(r.stdout).toMatch(/1 models?, 1 seeds?/);
    expect(r.stdout).toMatch(/target duckdb: OK, DuckDB v\d/);
  });

  it('tx debug reports a DuckDB file that cannot be created as not reachable', async () => {
    // the folder of the file is a regular file: nothing can be created there
    const fx = project({ 'project.yml': 'name: dbg\ntargets:\n  duckdb:\n    type: duckdb\n    path: notes.txt/db/x.duckdb\n', 'notes.txt': 'a file' });
    const r = await fx.tx('debug');
    expect(r.code).not.toBe(0);
    expect(r.stdout).not.toMatch(/target duckdb: OK/);
    expect(r.stderr).toMatch(/target duckdb is not reachable: .*notes\.txt\/db\/x\.duckdb/);
  });

  it('tx debug reports a DuckDB file that another process holds', async () => {
    const fx = project({ 'project.yml': 'name: dbg\n', 'models/a.sql': 'select 1' });
    expect((await fx.tx('build')).code).toBe(0);
    const holder = await DuckDBInstance.create(fx.dbFile);
    try {
      const r = await fx.tx('debug');
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(/target duckdb is not reachable: .*(lock|in use)/i);
    } finally {
      holder.closeSync();
    }
    const free = await fx.tx('debug');
    expect(free.code).toBe(0);
    expect(free.stdout).toMatch(/target duckdb: OK/);
  });

  it('tx debug on a broken project exits 2 with the project error', async () => {
    const fx = project({ 'project.yml': 'name: dbg\nmodels:\n  +materialzed: table\n' });
    const r = await fx.tx('debug');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/did you mean `materialized`/);
  });

  it('tx clean removes target/ and logs/ and nothing else (the warehouse beside project.yml stays)', async () => {
    const fx = project({ 'project.yml': 'name: cl\n', 'models/a.sql': 'select 1' });
    expect((await fx.tx('build')).code).toBe(0);
    expect(fx.exists('cl.duckdb')).toBe(true);
    expect(fx.exists('logs/tx.log')).toBe(true);
    const r = await fx.tx('clean');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('removed target/');
    expect(r.stdout).toContain('removed logs/');
    expect(fx.exists('target')).toBe(false);
    expect(fx.exists('logs')).toBe(false);
    expect(fx.exists('models/a.sql')).toBe(true);
    expect(fx.exists('project.yml')).toBe(true);
    expect(fx.exists('cl.duckdb')).toBe(true);
  });

  it('tx clean refuses a clean-targets entry outside the project', async () => {
    const fx = project({ 'project.yml': 'name: cl\nclean-targets: [target, ../outside]\n' });
    const r = await fx.tx('clean');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/outside the project/);
  });
});

// ---------------------------------------------------------------- bad input

/**
 * The base project is built once; each case copies it (database included), breaks it, runs
 * `tx build`, and checks exit 2, the error, and that the database file is byte-for-byte unchanged.
 */
const BASE: Files = {
  'project.yml': 'name: bad\n',
  'models/a.sql': "{{ config(materialized='table') }}select 1 as id",
  'models/b.sql': "select * from {{ ref('a') }}",
  'models/props.yml': 'version: 2\nmodels:\n  - name: a\n    description: the a model\n',
};

interface BadCase {
  name: string;
  files?: Files;
  remove?: string[];
  args?: string[];
  env?: Record<string, string | undefined>;
  /** Every pattern must match stderr. */
  expect: RegExp[];
}

const BAD: BadCase[] = [
  {
    name: 'misspelled config key in project.yml',
    files: { 'project.yml': 'name: bad\nmodels:\n  bad:\n    +materialzed: table\n' },
    expect: [/^Error: project\.yml:4: unknown config key `\+materialzed`/m, /hint: did you mean `materialized`\?/],
  },
  {
    name: 'misspelled config key in a properties file',
    files: { 'models/props.yml': 'version: 2\nmodels:\n  - name: a\n    config:\n      materialzed: table\n' },
    expect: [/^Error: models\/props\.yml:5: unknown key `materialzed`/m, /hint: did you mean `materialized`\?/],
  },
  {
    name: 'misspelled config key in config()',
    files: { 'models/a.sql': "{{ config(materialzed='table') }}\nselect 1 as id" },
    expect: [/^Error: models\/a\.sql:1: unknown key `materialzed`/m, /hint: did you mean `materialized`\?/],
  },
  {
    name: 'YAML syntax error',
    files: { 'models/props.yml': 'version: 2\nmodels:\n  - name: a\n   description: bad indent\n' },
    expect: [/^Error: models\/props\.yml:4(:\d+)?: YAML syntax error/m],
  },
  {
    name: 'template syntax error',
    files: { 'models/b.sql': "select *\nfrom {{ ref('a') }\n" },
    expect: [/^Error: models\/b\.sql:2:\d+: /m],
  },
  {
    name: 'undefined macro',
    files: { 'models/b.sql': "select {{ no_such_macro('x') }} as y" },
    expect: [/^Error: models\/b\.sql:1:\d+: undefined macro or function `no_such_macro`/m],
  },
  {
    name: 'unclosed block: the error points at the block left open',
    files: { 'models/b.sql': "select 1 as id\n{% if true %}\nwhere 1 = 1\n" },
    expect: [/^Error: models\/b\.sql:2:\d+: syntax error: Unexpected end of template\. Jinja was looking for the following tags: 'elif' or 'else' or 'endif'/m],
  },
  {
    name: 'a macro called with a keyword it does not take',
    files: { 'macros/m.sql': '{% macro cents(col) %}{{ col }} / 100{% endmacro %}', 'models/b.sql': "select {{ cents('x', scale=2) }} as y" },
    expect: [/^Error: models\/b\.sql:1:\d+: TypeError: macro 'dbt_macro__cents' takes no keyword argument 'scale'/m],
  },
  {
    name: 'recursion without end: a depth limit, no stack overflow',
    files: { 'macros/m.sql': '{% macro down(n) %}{{ down(n + 1) }}{% endmacro %}', 'models/b.sql': 'select {{ down(0) }} as y' },
    expect: [/^Error: models\/b\.sql:1:\d+: RecursionError: maximum recursion depth exceeded: macros nested more than 200 deep/m],
  },
  {
    name: 'a template that builds a 1 GB string: a limit, no crash',
    files: { 'models/b.sql': "{% set s = namespace(v='x' * 1000000) %}{% for i in range(1000) %}{% set s.v = s.v ~ s.v %}{% endfor %}select 1 as y" },
    expect: [/^Error: models\/b\.sql:1:\d+: MemoryError: the string would be longer than tx's limit of 200000000 characters/m],
  },
  {
    name: 'non-UTF-8 bytes in a model',
    files: { 'models/b.sql': Buffer.from([...Buffer.from('select 1 as id\n-- caf'), 0xe9, ...Buffer.from(' au lait\n')]) },
    expect: [/^Error: models\/b\.sql:2: models\/b\.sql is not valid UTF-8 \(line 2, near byte \d+\)/m],
  },
  {
    name: 'every broken model is reported in one run',
    files: { 'models/b.sql': 'select {{ nope_one }} as y', 'models/c.sql': 'select {{ 1 + }} as z' },
    expect: [/^Error: models\/c\.sql:1:\d+: syntax error: unexpected 'end of print statement'/m, /and 1 more template error:\n {2}models\/b\.sql:1:\d+: UndefinedError: `nope_one` is undefined/],
  },
  {
    name: 'ref to a missing model',
    files: { 'models/b.sql': "select *\nfrom {{ ref('aa') }}" },
    expect: [/^Error: models\/b\.sql:2: model `b` refers to `aa`, which does not exist/m, /hint: did you mean `a`/],
  },
  {
    name: 'two models with one name',
    files: { 'models/sub/a.sql': 'select 2 as id' },
    expect: [/two models are named `a`: models\/a\.sql and models\/sub\/a\.sql/],
  },
  {
    name: 'a cycle',
    files: { 'models/a.sql': "select * from {{ ref('c') }}", 'models/c.sql': "select * from {{ ref('b') }}" },
    expect: [/the DAG has a cycle: (a → b → c → a|b → c → a → b|c → a → b → c)/],
  },
  {
    name: 'a missing source file',
    files: {
      'models/src.yml': 'version: 2\nsources:\n  - name: raw\n    tables:\n      - name: f\n        path: data/missing.csv\n',
      'models/b.sql': "select * from {{ source('raw', 'f') }}",
    },
    expect: [/^Error: models\/src\.yml:5: file source raw\.f: `data\/missing\.csv` does not exist/m],
  },
  {
    name: 'a var with no value and no default',
    files: { 'models/b.sql': "select '{{ var('region') }}' as r" },
    expect: [/^Error: models\/b\.sql:1:\d+: var `region` has no value and no default/m],
  },
  {
    name: 'an env_var with no value and no default',
    files: { 'models/b.sql': "select '{{ env_var('TX_FX_NOT_SET_ANYWHERE') }}' as r" },
    env: { TX_FX_NOT_SET_ANYWHERE: undefined },
    expect: [/^Error: models\/b\.sql:1:\d+: environment variable `TX_FX_NOT_SET_ANYWHERE` is not set/m],
  },
  {
    name: 'an invalid selector',
    args: ['--select', 'tags:nightly'],
    expect: [/unknown selector method `tags`/, /did you mean `tag`\?/],
  },
  {
    name: 'an invalid selector in --exclude',
    args: ['--exclude', 'a+b+'],
    expect: [/invalid selector `a\+b\+`/],
  },
  {
    name: 'an unknown target',
    args: ['--target', 'prod'],
    expect: [/unknown target `prod`/],
  },
  {
    name: '--vars that is not YAML',
    args: ['--vars', '{a: [1, 2'],
    expect: [/--vars is not valid YAML or JSON/],
  },
];

describe.concurrent('bad input: exit 2, a clear error, nothing written to the database', () => {
  const base = once(async () => {
    const fx = project(BASE);
    const r = await fx.tx('build');
    if (r.code !== 0) throw new Error(`the base project does not build:\n${r.output}`);
    return fx;
  });
  beforeAll(() => void base());

  for (const c of BAD) {
    it(c.name, async () => {
      const fx = (await base()).copy();
      fixtures.push(fx);
      const before = fingerprint(fx.dbFile);
      expect(before).not.toBeNull();
      for (const rel of c.remove ?? []) fx.remove(rel);
      if (c.files) fx.write(c.files);
      const r = await fx.txWith({ env: c.env }, 'build', ...(c.args ?? []));
      expect(r.code, r.output).toBe(2);
      for (const re of c.expect) expect(r.stderr).toMatch(re);
      expect(r.stderr).not.toMatch(/\n\s+at .*\.js:\d+/); // no stack trace without --debug
      expect(r.stdout).not.toMatch(/ OK /);
      expect(fingerprint(fx.dbFile)).toBe(before);
      expect(existsSync(`${fx.dbFile}.wal`)).toBe(false);
    });
  }

  it('with no database yet, a bad project creates no database file', async () => {
    const fx = project({ ...BASE, 'models/b.sql': "select * from {{ ref('aa') }}" });
    const r = await fx.tx('build');
    expect(r.code).toBe(2);
    expect(existsSync(join(fx.dir, 'bad.duckdb'))).toBe(false);
  });

  it('--debug adds the stack trace', async () => {
    const fx = project({ ...BASE, 'models/b.sql': "select * from {{ ref('aa') }}" });
    const r = await fx.tx('compile', '--debug');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/\n\s+at .*\.js:\d+/);
  });
});
