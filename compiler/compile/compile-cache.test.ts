import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadProject } from '../load/load-project.js';
import { writeCompiledSql } from '../artifacts/artifacts.js';
import { resetSecrets } from '../log/scrub.js';
import { compileProject } from './compile-project.js';

/** The compile cache must never serve SQL that a fresh compile would not produce. */
function project(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'tx-cache-'));
  for (const [p, text] of Object.entries(files)) {
    mkdirSync(join(dir, p, '..'), { recursive: true });
    writeFileSync(join(dir, p), text);
  }
  return dir;
}

async function compiled(dir: string, vars: Record<string, unknown> = {}): Promise<Record<string, string>> {
  const c = await compileProject(loadProject(dir), { vars });
  const out: Record<string, string> = {};
  for (const n of c.nodes.values()) if (n.resourceType === 'model') out[n.name] = n.compiledSql!;
  return out;
}

async function fresh(dir: string, vars: Record<string, unknown> = {}): Promise<Record<string, string>> {
  const c = await compileProject(loadProject(dir), { vars, noCache: true });
  const out: Record<string, string> = {};
  for (const n of c.nodes.values()) if (n.resourceType === 'model') out[n.name] = n.compiledSql!;
  return out;
}

describe('compile cache', () => {
  it('is used: a warm compile renders no model, a changed model renders only itself and what refers to it by a changed name', async () => {
    const dir = project({
      'project.yml': 'name: c\n',
      'macros/m.sql': '{% macro twice(x) %}{{ x }} * 2{% endmacro %}',
      'models/a.sql': "{{ config(alias='a_v1') }}select {{ twice('1') }} as x",
      'models/b.sql': "select * from {{ ref('a') }}",
      'models/c.sql': 'select 2 as y',
    });
    const stats = async () => (await compileProject(loadProject(dir))).renderStats;
    expect(await stats()).toEqual({ rendered: 3, cached: 0, volatile: 0 }); // cold
    expect(await stats()).toEqual({ rendered: 0, cached: 3, volatile: 0 }); // warm: nothing rendered
    writeFileSync(join(dir, 'models', 'c.sql'), 'select 3 as y');
    expect(await stats()).toEqual({ rendered: 1, cached: 2, volatile: 0 }); // only c
    writeFileSync(join(dir, 'models', 'a.sql'), "{{ config(alias='a_v2') }}select {{ twice('1') }} as x");
    expect(await stats()).toEqual({ rendered: 2, cached: 1, volatile: 0 }); // a, and b that refers to its new name
    expect((await compileProject(loadProject(dir), { noCache: true })).renderStats).toEqual({ rendered: 3, cached: 0, volatile: 0 });
  });

  it('is written, then reused, and matches a fresh compile', async () => {
    const dir = project({
      'project.yml': 'name: c\nvars:\n  k: 1\n',
      'macros/m.sql': '{% macro plus(x) %}{{ x }} + {{ var("k") }}{% endmacro %}',
      'models/a.sql': "{{ config(alias='a_v1') }}select {{ plus('1') }} as x",
      'models/b.sql': "select * from {{ ref('a') }}",
    });
    const first = await compiled(dir);
    const cacheFile = join(dir, 'target', 'cache', 'compile.json');
    const cache = JSON.parse(readFileSync(cacheFile, 'utf8')) as { models: Record<string, unknown> };
    expect(Object.keys(cache.models).sort()).toEqual(['models/a.sql', 'models/b.sql']);
    expect(await compiled(dir)).toEqual(first);
    expect(first).toEqual(await fresh(dir));
  });

  it('never caches SQL holding a secret (the cache file is scrubbed, and would serve *****)', async () => {
    resetSecrets();
    const dir = project({
      'project.yml': 'name: c\ntargets:\n  duckdb:\n    type: duckdb\n    password: literal-in-sql-pw\n',
      'models/a.sql': "select 'literal-in-sql-pw' as p",
      'models/b.sql': 'select 1 as x',
    });
    try {
      const sql = async () => (await compileProject(loadProject(dir))).nodes.get('model.c.a')!.compiledSql;
      expect(await sql()).toBe("select 'literal-in-sql-pw' as p");
      const file = readFileSync(join(dir, 'target', 'cache', 'compile.json'), 'utf8');
      expect(file).not.toContain('literal-in-sql-pw');
      expect(Object.keys((JSON.parse(file) as { models: Record<string, unknown> }).models)).toEqual(['models/b.sql']);
      expect(await sql()).toBe("select 'literal-in-sql-pw' as p"); // warm: rendered again, not *****
    } finally {
      resetSecrets();
    }
  });

  it('recompiles a model whose text changed only in the whitespace around it (its dbt checksum did not change)', async () => {
    const dir = project({ 'project.yml': 'name: c\n', 'models/a.sql': 'select 1 as x', 'models/w.sql': '   ' });
    for (const [a, w] of [['\n\nselect 1 as x\n', ' \t'], ['select 1 as x\n', '\n'], ['\tselect 1 as x', '   '], ['select 1 as x', '']]) {
      writeFileSync(join(dir, 'models', 'a.sql'), a!);
      writeFileSync(join(dir, 'models', 'w.sql'), w!);
      const got = await compiled(dir);
      expect(got).toEqual(await fresh(dir));
    }
  });

  it('recompiles a model when a dependency with a long relation name is renamed (its key is hashed)', async () => {
    const long = (v: string) => `a_${'x'.repeat(140)}_${v}`;
    const dir = project({
      'project.yml': 'name: c\n',
      'models/a.sql': `{{ config(alias='${long('v1')}') }}select 1 as x`,
      'models/b.sql': "select * from {{ ref('a') }}",
    });
    expect((await compiled(dir)).b).toContain(long('v1'));
    writeFileSync(join(dir, 'models', 'a.sql'), `{{ config(alias='${long('v2')}') }}select 1 as x`);
    const after = await compiled(dir);
    expect(after.b).toContain(long('v2'));
    expect(after).toEqual(await fresh(dir));
  });

  it('recompiles a model when what it refers to is renamed, though its own text did not change', async () => {
    const dir = project({
      'project.yml': 'name: c\n',
      'models/a.sql': "{{ config(alias='a_v1') }}select 1 as x",
      'models/b.sql': "select * from {{ ref('a') }}",
    });
    expect((await compiled(dir)).b).toContain('"a_v1"');
    writeFileSync(join(dir, 'models', 'a.sql'), "{{ config(alias='a_v2') }}select 1 as x");
    const after = await compiled(dir);
    expect(after.b).toContain('"a_v2"');
    expect(after).toEqual(await fresh(dir));
  });

  it('is dropped when a macro, a var or project.yml changes', async () => {
    const dir = project({
      'project.yml': 'name: c\nvars:\n  k: 1\n',
      'macros/m.sql': '{% macro plus(x) %}{{ x }} + 1{% endmacro %}',
      'models/a.sql': "select {{ plus('1') }} as x, {{ var('k') }} as k",
    });
    expect((await compiled(dir)).a).toContain('1 + 1');
    writeFileSync(join(dir, 'macros', 'm.sql'), '{% macro plus(x) %}{{ x }} + 2{% endmacro %}');
    expect((await compiled(dir)).a).toContain('1 + 2');
    expect((await compiled(dir, { k: 7 })).a).toContain('7 as k');
    writeFileSync(join(dir, 'project.yml'), 'name: c\nvars:\n  k: 3\n');
    expect((await compiled(dir)).a).toContain('3 as k');
  });

  it('recompiles a model whose var is a template reading the environment', async () => {
    const dir = project({
      'project.yml': "name: c\nvars:\n  bucket: \"{{ env_var('TX_CACHE_BUCKET', 'one') }}\"\n",
      'models/m.sql': "select '{{ var('bucket') }}' as b",
    });
    delete process.env.TX_CACHE_BUCKET;
    expect((await compiled(dir)).m).toContain("'one'");
    process.env.TX_CACHE_BUCKET = 'two';
    try {
      expect((await compiled(dir)).m).toContain("'two'");
    } finally {
      delete process.env.TX_CACHE_BUCKET;
    }
  });

  it('never caches a model that reads the environment or the clock', async () => {
    const dir = project({
      'project.yml': 'name: c\n',
      'models/e.sql': "select '{{ env_var('TX_CACHE_TEST', 'none') }}' as v, '{{ run_started_at.strftime('%Y') }}' as y",
    });
    process.env.TX_CACHE_TEST = 'one';
    expect((await compiled(dir)).e).toContain("'one'");
    process.env.TX_CACHE_TEST = 'two';
    expect((await compiled(dir)).e).toContain("'two'");
    delete process.env.TX_CACHE_TEST;
    const cache = JSON.parse(readFileSync(join(dir, 'target', 'cache', 'compile.json'), 'utf8')) as { models: Record<string, unknown> };
    expect(cache.models['models/e.sql']).toBeUndefined();
  });

  it('keeps target/compiled/ equal to a fresh compile across warm compiles (file hashes come from the cache)', async () => {
    const dir = project({
      'project.yml': 'name: c\n',
      'models/a.sql': "{{ config(alias='a_v1') }}select 1 as x",
      'models/b.sql': "select * from {{ ref('a') }}",
      'models/c.sql': 'select 2 as y',
    });
    const onDisk = async () => {
      const c = await compileProject(loadProject(dir));
      writeCompiledSql(c, join(dir, 'target'));
      return Object.fromEntries(['a', 'b', 'c'].map((m) => [m, readFileSync(join(dir, 'target', 'compiled', 'c', 'models', `${m}.sql`), 'utf8')]));
    };
    const expected = async () => Object.fromEntries(Object.entries(await fresh(dir)).map(([k, v]) => [k, `${v}\n`]));
    expect(await onDisk()).toEqual(await expected());
    expect(await onDisk()).toEqual(await expected()); // warm: every model from the cache
    writeFileSync(join(dir, 'models', 'a.sql'), "{{ config(alias='a_v2') }}select 1 as x");
    writeFileSync(join(dir, 'models', 'c.sql'), 'select 3 as y');
    const after = await onDisk();
    expect(after.b).toContain('"a_v2"');
    expect(after.c).toContain('3 as y');
    expect(after).toEqual(await expected());
    expect(await onDisk()).toEqual(await expected());
  });
});
