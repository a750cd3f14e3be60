/**
 * The CLI's cache of parsed YAML files (yaml-cache.ts): a file read back from the cache is the file
 * parsed (its value, every node's line, its duplicate keys), on the example project's files and
 * on every YAML file of the dbt projects and packages in ../shared/dbt; what JSON cannot hold is
 * never kept; and through the CLI, an unchanged file is served, an edited one parsed again, a
 * broken cache file ignored, TX_NO_YAML_CACHE honoured, and a profiles file never written.
 */
import { spawnSync } from 'node:child_process';
import { appendFileSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../testing/fixture-project.js';
import { tempDirs } from '../../testing/temp-dirs.js';
import { cachedYaml, enableYamlCache, jsonExact, openYamlCache } from './yaml-cache.js';
import { parseYaml, readYaml, type YamlDialect } from './yaml-file.js';

const tempDir = tempDirs('tx-yaml-cache-');
const CLI = join(REPO_ROOT, 'dist', 'compiler', 'cli.js');
const BIN = join(REPO_ROOT, 'dist', 'bin', 'tx.js');
const SHARED_DBT = join(REPO_ROOT, '..', 'shared', 'dbt');

/** Every YAML file under `dir` (skipping hidden folders, target/ and node_modules). */
function yamlFiles(dir: string): string[] {
  const out: string[] = [];
  if (!existsSync(dir)) return out;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name.startsWith('.') || e.name === 'target' || e.name === 'node_modules' || e.name === 'dist') continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...yamlFiles(p));
    else if (/\.ya?ml$/.test(e.name)) out.push(p);
  }
  return out;
}

/** Every path to a value of `v`, with one key and one index that are not there below each. */
function pathsOf(v: unknown, path: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  out.push(path, [...path, 'zz_not_there'], [...path, 999]);
  if (Array.isArray(v)) v.forEach((x, i) => pathsOf(x, [...path, i], out));
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) pathsOf(x, [...path, k], out);
  return out;
}

describe('parsed YAML kept by content', () => {
  let cacheHome: string;
  const before = process.env.XDG_CACHE_HOME;
  beforeAll(() => {
    cacheHome = tempDir();
    process.env.XDG_CACHE_HOME = cacheHome;
    enableYamlCache();
    openYamlCache(tempDir());
  });
  afterAll(() => {
    enableYamlCache(false);
    if (before === undefined) delete process.env.XDG_CACHE_HOME;
    else process.env.XDG_CACHE_HOME = before;
  });

  it('reads back every file of the example and of ../shared/dbt as parsing it gives: value, lines, duplicate keys', () => {
    const files: [string, YamlDialect][] = [
      ...yamlFiles(REPO_ROOT)
        .filter((f) => !relative(REPO_ROOT, f).startsWith('..') && !/\/(schemas|bench|compiler|targets|testing|tests\/fixtures)\//.test(f))
        .map((f): [string, YamlDialect] => [f, 'yaml-1.2']),
      ...yamlFiles(SHARED_DBT).map((f): [string, YamlDialect] => [f, 'pyyaml']),
    ];
    let served = 0;
    expect(files.length).toBeGreaterThanOrEqual(15);
    let lines = 0;
    for (const [file, dialect] of files) {
      const text = readFileSync(file, 'utf8');
      let parsed;
      try {
        parsed = parseYaml(text, file, dialect);
      } catch {
        continue; // a file the loader refuses is refused with or without the cache
      }
      const first = readYaml(file, file, dialect, true);
      const kept = cachedYaml(text, dialect);
      if (!kept) continue;
      const again = readYaml(file, file, dialect, true);
      served++;
      expect(again.value, file).toEqual(parsed.value);
      expect(first.value, file).toEqual(parsed.value);
      // the value handed out is this read's own
      expect(again.value === first.value && again.value !== null && typeof again.value === 'object').toBe(false);
      expect(again.duplicateKeys, file).toEqual(parsed.duplicateKeys);
      for (const p of pathsOf(parsed.value)) {
        expect(again.lineOf(p), `${file} ${JSON.stringify(p)}`).toBe(parsed.lineOf(p));
        lines++;
      }
    }
    // not vacuous: the example's files and the dbt projects' and packages' files were served
    expect(served).toBeGreaterThanOrEqual(15);
    expect(lines).toBeGreaterThan(2000);
  });

  it('keeps a file with a key written twice, with the later value and both lines as parsing gives them', () => {
    const dir = tempDir();
    const file = join(dir, 'dup.yml');
    writeFileSync(file, 'models:\n  - name: a\n    description: first\n    description: second\nmodels:\n  - name: b\n');
    const parsed = parseYaml(readFileSync(file, 'utf8'), 'dup.yml', 'pyyaml');
    readYaml(file, 'dup.yml', 'pyyaml', true);
    expect(cachedYaml(readFileSync(file, 'utf8'), 'pyyaml')).toBeDefined();
    const again = readYaml(file, 'dup.yml', 'pyyaml', true);
    expect(again.value).toEqual(parsed.value);
    expect(again.duplicateKeys).toEqual(parsed.duplicateKeys);
    expect(again.duplicateKeys.length).toBe(2);
    for (const p of pathsOf(parsed.value)) expect(again.lineOf(p), JSON.stringify(p)).toBe(parsed.lineOf(p));
  });

  it('never keeps what JSON cannot hold as it is: aliases, merge keys, infinities, NaN, -0', () => {
    const dir = tempDir();
    const cases: [string, YamlDialect][] = [
      ['base: &b {x: 1}\nuse: *b\n', 'yaml-1.2'],
      ['base: &b {x: 1}\nuse:\n  <<: *b\n  y: 2\n', 'pyyaml'],
      ['a: .inf\n', 'yaml-1.2'],
      ['a: .nan\n', 'yaml-1.2'],
      ['a: -0.0\n', 'yaml-1.2'],
      ['a: -.inf\n', 'pyyaml'],
    ];
    cases.forEach(([text, dialect], i) => {
      const file = join(dir, `c${i}.yml`);
      writeFileSync(file, text);
      const got = readYaml(file, 'c.yml', dialect, true);
      expect(cachedYaml(text, dialect), text).toBeUndefined();
      expect(got.value).toEqual(parseYaml(text, 'c.yml', dialect).value);
    });
    expect(jsonExact({ a: [1, 'x', null, true, { b: 2.5 }] })).toBe(true);
    expect(jsonExact([1, , 2])).toBe(false);
    expect(jsonExact({ d: new Date(0) })).toBe(false);
  });

  it('a file not read through the project loader (cached: false) is never kept', () => {
    const dir = tempDir();
    const file = join(dir, 'profiles.yml');
    const text = 'p:\n  outputs:\n    dev: {type: duckdb, password: not-kept-anywhere-0123}\n';
    writeFileSync(file, text);
    readYaml(file, 'profiles.yml', 'pyyaml');
    expect(cachedYaml(text, 'pyyaml')).toBeUndefined();
  });
});

describe('the CLI keeps a project\'s parsed YAML between runs', () => {
  const run = (args: string[], cwd: string, env: NodeJS.ProcessEnv, entry = CLI) => {
    const e: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', ...env };
    delete e.TX_TARGET;
    delete e.TX_NO_YAML_CACHE;
    Object.assign(e, env);
    const r = spawnSync(process.execPath, [entry, ...args], { cwd, env: e, encoding: 'utf8', timeout: 120_000 });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  const example = (): string => {
    const dir = tempDir();
    for (const f of ['project.yml', 'models', 'macros', 'seeds', 'tests', 'data']) {
      if (existsSync(join(REPO_ROOT, f))) cpSync(join(REPO_ROOT, f), join(dir, f), { recursive: true });
    }
    return dir;
  };
  const cacheFiles = (home: string): string[] => {
    const d = join(home, 'tx', 'yaml');
    return existsSync(d) ? readdirSync(d).map((f) => join(d, f)) : [];
  };

  it('serves unchanged files, parses edited ones, ignores a broken cache file and TX_NO_YAML_CACHE', () => {
    const dir = example();
    const home = tempDir();
    const env = { XDG_CACHE_HOME: home };
    const ls = (extra: string[] = [], e: NodeJS.ProcessEnv = env) => {
      rmSync(join(dir, 'target', 'cache', 'ls.json'), { force: true });
      return run(['ls', '--output', 'json', ...extra], dir, e);
    };
    const expected = ls([], { ...env, TX_NO_YAML_CACHE: '1' });
    expect(expected.code).toBe(0);
    expect(cacheFiles(home)).toEqual([]);

    expect(ls().stdout).toBe(expected.stdout);
    const [file] = cacheFiles(home);
    expect(file).toMatch(/[0-9a-f]{32}\.json$/);
    const written = readFileSync(file!, 'utf8');
    // the user's alone
    expect(statSync(file!).mode & 0o777).toBe(0o600);
    // every YAML file of the example: the project file and the properties files
    expect(Object.keys((JSON.parse(written) as { entries: object }).entries).length).toBe(yamlFiles(dir).filter((f) => !f.includes('/target/')).length);
    const mtime = statSync(file!).mtimeMs;

    // served: the same listing, the file not written again
    expect(ls().stdout).toBe(expected.stdout);
    expect(statSync(file!).mtimeMs).toBe(mtime);

    // an edited properties file is parsed again: a new tag selects the model
    const marts = join(dir, 'models', 'marts', 'marts.yml');
    const before = readFileSync(marts, 'utf8');
    const model = /- name: (\w+)/.exec(before)![1]!;
    // (its config: block, the model's first)
    expect(before.indexOf('    config:\n')).toBeGreaterThan(before.indexOf(`- name: ${model}\n`));
    writeFileSync(marts, before.replace('    config:\n', '    config:\n      tags: [yaml_cache_edit]\n'));
    const tagged = ls(['-s', 'tag:yaml_cache_edit']);
    expect(tagged.code).toBe(0);
    expect(tagged.stdout).toContain(`"name":"${model}"`);
    expect(expected.stdout).not.toContain('yaml_cache_edit');
    writeFileSync(marts, before);
    expect(ls().stdout).toBe(expected.stdout);

    // a broken cache file: parsed as if there were none, and written whole again
    writeFileSync(file!, '{"entries": {"x": ');
    expect(ls().stdout).toBe(expected.stdout);
    expect(() => JSON.parse(readFileSync(file!, 'utf8'))).not.toThrow();

    // an entry whose text is not an entry: ignored
    const keys = Object.keys((JSON.parse(readFileSync(file!, 'utf8')) as { entries: object }).entries);
    writeFileSync(file!, JSON.stringify({ entries: Object.fromEntries(keys.map((k) => [k, '"nonsense"'])) }));
    expect(ls().stdout).toBe(expected.stdout);
  }, 240_000);

  it('an error in a served file names the same file and line as when parsed', () => {
    const dir = example();
    const home = tempDir();
    const env = { XDG_CACHE_HOME: home };
    const staging = join(dir, 'models', 'staging', 'staging.yml');
    const text = readFileSync(staging, 'utf8');
    const model = /- name: (\w+)/.exec(text)![1]!;
    writeFileSync(staging, text.replace(`- name: ${model}\n`, `- name: ${model}\n    descripton: typo\n`));
    const first = run(['ls'], dir, env);
    expect(first.code).toBe(2);
    expect(first.stderr).toMatch(/staging\.yml:\d+/);
    expect(cacheFiles(home)).toHaveLength(1);
    const second = run(['ls'], dir, env);
    expect(second.stderr).toBe(first.stderr);
    expect(second.code).toBe(2);
    const third = run(['ls'], dir, { ...env, TX_NO_YAML_CACHE: '1' });
    expect(third.stderr).toBe(first.stderr);
  }, 240_000);

  it('a dbt project: its files are kept, its profiles file never', () => {
    const dir = tempDir();
    const home = tempDir();
    mkdirSync(join(dir, 'models'));
    writeFileSync(join(dir, 'dbt_project.yml'), 'name: cache_probe\nprofile: cache_probe\nconfig-version: 2\nmodels:\n  cache_probe:\n    +materialized: view\n');
    writeFileSync(join(dir, 'models', 'a.sql'), 'select 1 as id\n');
    writeFileSync(join(dir, 'models', 'props.yml'), 'version: 2\nmodels:\n  - name: a\n    description: kept-in-the-cache-7719\n');
    writeFileSync(
      join(dir, 'profiles.yml'),
      `cache_probe:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: ${join(dir, 'dev.duckdb')}\n    other:\n      type: postgres\n      host: 127.0.0.1\n      user: u\n      password: never-in-the-cache-5531\n      port: 5432\n      dbname: d\n      schema: s\n`,
    );
    const r = run(['ls', '--profiles-dir', dir], dir, { XDG_CACHE_HOME: home });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const files = cacheFiles(home);
    expect(files).toHaveLength(1);
    const text = readFileSync(files[0]!, 'utf8');
    expect(text).toContain('kept-in-the-cache-7719');
    expect(text).not.toContain('never-in-the-cache-5531');
    appendFileSync(join(dir, 'models', 'a.sql'), '-- edited\n');
    expect(run(['ls', '--profiles-dir', dir], dir, { XDG_CACHE_HOME: home }).stdout).toBe(r.stdout);
    expect(readFileSync(cacheFiles(home)[0]!, 'utf8')).not.toContain('never-in-the-cache-5531');
  }, 240_000);

  it('a cache folder that cannot be written changes nothing: same listing, no message, exit 0', () => {
    const dir = example();
    const home = tempDir();
    // where the folder should be, a file: mkdir fails
    writeFileSync(join(home, 'tx'), 'not a folder');
    const expected = run(['ls', '--output', 'json'], dir, { XDG_CACHE_HOME: home, TX_NO_YAML_CACHE: '1' });
    rmSync(join(dir, 'target', 'cache', 'ls.json'), { force: true });
    const r = run(['ls', '--output', 'json'], dir, { XDG_CACHE_HOME: home });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(expected.stdout);
    // the bin too, whose code cache (load/code-cache.ts) lives in the same folder
    rmSync(join(dir, 'target', 'cache', 'ls.json'), { force: true });
    const b = run(['ls', '--output', 'json'], dir, { XDG_CACHE_HOME: home }, BIN);
    expect(b.stderr).toBe('');
    expect(b.code).toBe(0);
    expect(b.stdout).toBe(expected.stdout);
    expect(readFileSync(join(home, 'tx'), 'utf8')).toBe('not a folder');
  }, 240_000);

  it('keeps its folder bounded: the oldest files beyond 256 go when one is written, and a killed writer\'s temporary file after an hour', () => {
    const home = tempDir();
    const d = join(home, 'tx', 'yaml');
    mkdirSync(d, { recursive: true });
    for (let i = 0; i < 300; i++) writeFileSync(join(d, `old${String(i).padStart(3, '0')}.json`), '{"entries":{}}');
    // temporary files of writers that died: one two hours old goes, one just written (a writer still at work) stays
    const twoHoursAgo = Date.now() / 1000 - 7200;
    for (const f of ['dead.json.tmp-4242', 'live.json.tmp-4343', 'notes.txt.tmp-4444']) writeFileSync(join(d, f), '{');
    utimesSync(join(d, 'dead.json.tmp-4242'), twoHoursAgo, twoHoursAgo);
    utimesSync(join(d, 'notes.txt.tmp-4444'), twoHoursAgo, twoHoursAgo);
    const dir = example();
    expect(run(['ls'], dir, { XDG_CACHE_HOME: home }).code).toBe(0);
    expect(readdirSync(d).filter((f) => f.endsWith('.json'))).toHaveLength(256);
    expect(readdirSync(d)).not.toContain('dead.json.tmp-4242');
    // (not a cache file's: left alone)
    expect(readdirSync(d)).toEqual(expect.arrayContaining(['live.json.tmp-4343', 'notes.txt.tmp-4444']));
  }, 240_000);
});
