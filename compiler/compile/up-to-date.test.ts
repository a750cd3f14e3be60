/**
 * `tx compile` with nothing changed does nothing (compile/up-to-date.ts): and every change a
 * compile could see makes it run again in full: a model edited, added or removed, a macro, a
 * properties file, vars, the environment, a deleted manifest; templates that read the clock or
 * an environment variable never take the shortcut.
 */
import { existsSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { fixtureProject, type FixtureProject } from '../../testing/fixture-project.js';

const fixtures: FixtureProject[] = [];
afterAll(() => {
  for (const f of fixtures) f.cleanup();
});

const UNCHANGED = /nothing changed since the last compile/;

function project(extra: Record<string, string> = {}): FixtureProject {
  const fx = fixtureProject({
    'project.yml': 'name: fresh\n',
    'macros/twice.sql': '{% macro twice(x) %}{{ x }} * 2{% endmacro %}',
    'models/a.sql': 'select {{ twice(1) }} as x',
    'models/b.sql': "select x from {{ ref('a') }}",
    'models/schema.yml': 'version: 2\nmodels:\n  - name: b\n    description: the b model\n',
    ...extra,
  });
  fixtures.push(fx);
  return fx;
}

const compiled = (fx: FixtureProject, model: string) => readFileSync(fx.path(`target/compiled/fresh/models/${model}.sql`), 'utf8').trim();
const manifest = (fx: FixtureProject) => JSON.parse(readFileSync(fx.path('target/manifest.json'), 'utf8')) as { nodes: Record<string, { description: string; compiled_code: string }> };

describe.concurrent('tx compile when nothing changed', () => {
  it('skips a second compile, and runs again after each kind of change', async () => {
    const fx = project();
    const first = await fx.tx('compile');
    expect(first.code).toBe(0);
    expect(first.stdout).not.toMatch(UNCHANGED);
    const second = await fx.tx('compile');
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/^Compiled 2 models in \d+\.\d\ds \(nothing changed since the last compile\)/m);

    // a model edited
    fx.write({ 'models/a.sql': 'select {{ twice(21) }} as x' });
    expect((await fx.tx('compile')).stdout).not.toMatch(UNCHANGED);
    expect(compiled(fx, 'a')).toBe('select 21 * 2 as x');
    expect((await fx.tx('compile')).stdout).toMatch(UNCHANGED);

    // a macro
    fx.write({ 'macros/twice.sql': '{% macro twice(x) %}{{ x }} + {{ x }}{% endmacro %}' });
    expect((await fx.tx('compile')).stdout).not.toMatch(UNCHANGED);
    expect(compiled(fx, 'a')).toBe('select 21 + 21 as x');

    // a properties file
    fx.write({ 'models/schema.yml': 'version: 2\nmodels:\n  - name: b\n    description: changed\n' });
    expect((await fx.tx('compile')).stdout).not.toMatch(UNCHANGED);
    expect(manifest(fx).nodes['model.fresh.b']!.description).toBe('changed');

    // a model added, then removed
    fx.write({ 'models/c.sql': "select * from {{ ref('b') }}" });
    const added = await fx.tx('compile');
    expect(added.stdout).toMatch(/Compiled 3 models/);
    expect(added.stdout).not.toMatch(UNCHANGED);
    fx.remove('models/c.sql');
    const removed = await fx.tx('compile');
    expect(removed.stdout).toMatch(/Compiled 2 models/);
    expect(removed.stdout).not.toMatch(UNCHANGED);
    expect(manifest(fx).nodes['model.fresh.c']).toBeUndefined();

    // the manifest deleted
    rmSync(fx.path('target/manifest.json'));
    expect((await fx.tx('compile')).stdout).not.toMatch(UNCHANGED);
    expect(existsSync(fx.path('target/manifest.json'))).toBe(true);
    expect((await fx.tx('compile')).stdout).toMatch(UNCHANGED);
  }, 120_000);

  it('vars and the environment are inputs', async () => {
    const fx = project({ 'models/v.sql': "select '{{ var(\"who\", \"nobody\") }}' as who" });
    await fx.tx('compile', '--vars', '{who: ann}');
    expect((await fx.tx('compile', '--vars', '{who: ann}')).stdout).toMatch(UNCHANGED);
    expect((await fx.tx('compile', '--vars', '{who: bob}')).stdout).not.toMatch(UNCHANGED);
    expect(compiled(fx, 'v')).toBe("select 'bob' as who");
    await fx.tx('compile');
    expect((await fx.tx('compile')).stdout).toMatch(UNCHANGED);
    // any environment variable may reach a template through a package or a profile
    expect((await fx.txWith({ env: { TX_SOME_SETTING: 'x' } }, 'compile')).stdout).not.toMatch(UNCHANGED);
  }, 120_000);

  it('never skips a compile whose templates read the clock or the environment', async () => {
    const clock = project({ 'models/t.sql': "select '{{ run_started_at }}' as at" });
    await clock.tx('compile');
    const again = await clock.tx('compile');
    expect(again.code).toBe(0);
    expect(again.stdout).not.toMatch(UNCHANGED);

    const env = project({ 'models/e.sql': "select '{{ env_var(\"TX_UP_TO_DATE_WHO\", \"none\") }}' as who" });
    await env.tx('compile');
    expect((await env.tx('compile')).stdout).not.toMatch(UNCHANGED);
    expect(compiled(env, 'e')).toBe("select 'none' as who");
    await env.txWith({ env: { TX_UP_TO_DATE_WHO: 'ann' } }, 'compile');
    expect(compiled(env, 'e')).toBe("select 'ann' as who");
  }, 120_000);

  it('a file changed within a clock tick of the compile is not trusted (git\'s racily clean rule)', async () => {
    const fx = project();
    // a time at or after the fingerprint: a second edit in the same tick would keep it
    const soon = new Date(Date.now() + 60_000);
    utimesSync(fx.path('models/a.sql'), soon, soon);
    await fx.tx('compile');
    expect((await fx.tx('compile')).stdout).not.toMatch(UNCHANGED);
  }, 120_000);

  it('a Python environment in the project (a folder with pyvenv.cfg, or with a conda-meta folder) is not walked: a change there is no change', async () => {
    const fx = project({
      'venv/pyvenv.cfg': 'home = /usr/bin\n',
      'venv/lib/python3.11/site-packages/dbt/main.py': 'print(1)\n',
      // a conda environment: its conda-meta folder says so
      'conda-env/conda-meta/history': '==> 2026-12-01 <==\n',
      'conda-env/lib/python3.11/site.py': 'x = 1\n',
      // a file named conda-meta is not a conda environment
      'models/more/conda-meta': 'just a file\n',
      // a pyvenv.cfg elsewhere than at a folder's top is an ordinary file
      'models/notes/pyvenv.cfg/readme.txt': 'a folder by that name\n',
    });
    const { compileInputs } = await import('./up-to-date.js');
    const lines = compileInputs(fx.dir, { argv: ['compile'] })!.lines;
    expect(lines).toContain('venv/');
    expect(lines.some((l) => l.startsWith('venv/lib'))).toBe(false);
    expect(lines).toContain('conda-env/');
    expect(lines.some((l) => l.startsWith('conda-env/lib') || l.startsWith('conda-env/conda-meta'))).toBe(false);
    expect(lines.some((l) => l.startsWith('models/more/conda-meta\u0000'))).toBe(true);
    expect(lines.some((l) => l.startsWith('models/notes/pyvenv.cfg/readme.txt\u0000'))).toBe(true);
    const first = await fx.tx('compile');
    expect(first.code, first.stderr).toBe(0);
    expect((await fx.tx('compile')).stdout).toMatch(UNCHANGED);
    fx.write({ 'venv/lib/python3.11/site-packages/dbt/main.py': 'print(2)  # upgraded\n', 'venv/lib/python3.11/site-packages/new.py': '', 'conda-env/lib/python3.11/site.py': 'x = 2\n' });
    expect((await fx.tx('compile')).stdout).toMatch(UNCHANGED);
    // the project's own files still count
    fx.write({ 'models/a.sql': 'select {{ twice(5) }} as x' });
    expect((await fx.tx('compile')).stdout).not.toMatch(UNCHANGED);
    expect(compiled(fx, 'a')).toBe('select 5 * 2 as x');
  }, 120_000);

  it('--no-write-json never takes the shortcut (there is no manifest to trust)', async () => {
    const fx = project();
    await fx.tx('compile', '--no-write-json');
    expect((await fx.tx('compile', '--no-write-json')).stdout).not.toMatch(UNCHANGED);
  }, 120_000);
});

describe('tx compile --state', () => {
  it('never takes the shortcut: the state folder (here outside the project) is not in the fingerprint', async () => {
    const { mkdtempSync, copyFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const fx = project();
    const prod = mkdtempSync(join(tmpdir(), 'tx-state-'));
    try {
      expect((await fx.tx('compile')).code).toBe(0);
      copyFileSync(fx.path('target/manifest.json'), join(prod, 'manifest.json'));
      const args = ['compile', '--select', 'state:modified', '--state', prod];
      const first = await fx.tx(...args);
      expect(first.stdout).toMatch(/no selected nodes/);
      // the state changes (another production run) while the project does not
      const m = JSON.parse(readFileSync(join(prod, 'manifest.json'), 'utf8')) as { nodes: Record<string, { raw_code: string; checksum: { checksum: string } }> };
      m.nodes['model.fresh.b']!.checksum.checksum = 'different';
      m.nodes['model.fresh.b']!.raw_code = 'select 0';
      writeFileSync(join(prod, 'manifest.json'), JSON.stringify(m));
      const second = await fx.tx(...args);
      expect(second.code).toBe(0);
      expect(second.stdout).not.toMatch(UNCHANGED);
      expect(second.stdout).toMatch(/Compiled 1 model in/);
    } finally {
      rmSync(prod, { recursive: true, force: true });
    }
  });
});

describe('the fingerprint of a first compile, taken while it runs (on the stat worker from STAT_WORKER_MIN files)', () => {
  it('equals the one taken before a compile, line for line (files, folders, a symlinked folder, a missing profile)', async () => {
    const { compileInputs, compileInputsInBackground, compileKey } = await import('./up-to-date.js');
    const { symlinkSync, mkdirSync, writeFileSync } = await import('node:fs');
    const fx = project({ 'models/deep/er/c.sql': 'select 3 as z', 'seeds/s.csv': 'a\n1\n' });
    mkdirSync(fx.path('elsewhere'), { recursive: true });
    writeFileSync(fx.path('elsewhere/d.sql'), 'select 4 as w');
    symlinkSync(fx.path('elsewhere'), fx.path('models/linked'));
    // everything a minute old, so that neither fingerprint is racy by the clock (files just written
    // are, and the two are taken at different moments)
    const { readdirSync, utimesSync } = await import('node:fs');
    const { join } = await import('node:path');
    const old = Date.now() / 1000 - 60;
    for (const f of [...(readdirSync(fx.dir, { recursive: true }) as string[]), '']) utimesSync(join(fx.dir, f), old, old);
    const opts = { argv: ['compile'] };
    const before = compileInputs(fx.dir, opts)!;
    expect(before.racy).toBe(false);
    // on the worker (from 0 files), and on this thread (a small project, below STAT_WORKER_MIN)
    for (const workerMin of [0, undefined]) {
      const background = (await compileInputsInBackground(fx.dir, opts, workerMin))!;
      expect(background).toBeDefined();
      expect(background.lines).toEqual(before.lines);
      expect(background.lines.some((l) => l.startsWith('models/linked/d.sql\u0000'))).toBe(true);
      expect(background.lines.every((l) => l !== '')).toBe(true);
      expect(background.racy).toBe(before.racy);
      expect(compileKey(background)).toBe(compileKey(before));
    }
  });
});
