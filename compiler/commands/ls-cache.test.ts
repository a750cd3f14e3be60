/**
 * `tx ls` with nothing changed answers from target/cache/ls.json (commands/ls-cache.ts) in the
 * bin, before the CLI is loaded: its output is the full listing's, byte for byte, for every output
 * format and selector, and every change a listing could see (a model edited or added, a properties
 * file, the environment, a profiles file, the folder it runs in, --vars, the target folder) makes
 * it list again in full. Listings that warned, had a dbt global flag dropped with a note, read the
 * clock, or used --state are never saved.
 *
 * A saved output is proved to be served by replacing it with a marker: the marker is printed while
 * nothing changed, and never after a change.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { copyProject, REPO_ROOT } from '../../testing/fixture-project.js';
import { tempDirs } from '../../testing/temp-dirs.js';
import { compileInputs } from '../compile/up-to-date.js';
import { lsFromCache, takenInputs } from './ls-cache.js';

const BIN = join(REPO_ROOT, 'dist', 'bin', 'tx.js');
const CLI = join(REPO_ROOT, 'dist', 'compiler', 'cli.js');
const MARK = 'SERVED FROM ls.json\n';
const tempDir = tempDirs('tx-ls-cache-');

/** Every file's mtime moved `secondsAgo` back: a listing right after a copy or edit is not "racy" (fingerprint.ts). */
function age(dir: string, secondsAgo = 10): void {
  const t = Date.now() / 1000 - secondsAgo;
  for (const f of readdirSync(dir, { recursive: true }) as string[]) utimesSync(join(dir, f), t, t);
}

/** A copy of the example project, its files a few seconds old. */
function example(): string {
  const dir = copyProject(tempDir());
  age(dir);
  return dir;
}

/** Write `files` into the project, each then dated a few seconds back (a distinct time per write). */
let ago = 9;
function edit(dir: string, files: Record<string, string>): void {
  for (const [f, text] of Object.entries(files)) {
    mkdirSync(join(dir, f, '..'), { recursive: true });
    writeFileSync(join(dir, f), text);
    const t = Date.now() / 1000 - (ago -= 0.25);
    utimesSync(join(dir, f), t, t);
  }
}

const baseEnv = (): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  for (const k of ['TX_TARGET', 'TX_TARGET_PATH', 'DBT_TARGET_PATH', 'TX_LOG_PATH', 'DBT_LOG_PATH', 'DBT_PROFILES_DIR']) delete env[k];
  return env;
};
function run(entry: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = baseEnv()) {
  const r = spawnSync(process.execPath, [entry, ...args], { cwd, env, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const lsFile = (dir: string, target = 'target') => join(dir, target, 'cache', 'ls.json');
const saved = (dir: string, target = 'target'): { key: string; out: string }[] => (existsSync(lsFile(dir, target)) ? (JSON.parse(readFileSync(lsFile(dir, target), 'utf8')) as { entries: { key: string; out: string }[] }).entries : []);
/** Every saved output replaced by the marker. */
function mark(dir: string, target = 'target'): void {
  writeFileSync(lsFile(dir, target), JSON.stringify({ entries: saved(dir, target).map((e) => ({ key: e.key, out: MARK })) }));
}

/** The bin's listing (marked outputs saved first) and the module CLI's, which never reads ls.json, in the same state. */
function both(dir: string, args: string[], o: { cwd?: string; env?: NodeJS.ProcessEnv; target?: string } = {}) {
  mark(dir, o.target);
  const bin = run(BIN, args, o.cwd ?? dir, o.env);
  const cli = run(CLI, args, o.cwd ?? dir, o.env);
  expect(bin.stderr).toBe(cli.stderr);
  expect(bin.code).toBe(cli.code);
  return { bin: bin.stdout, cli: cli.stdout };
}

const COMMANDS: string[][] = [
  ['ls'],
  ['list'],
  ['ls', '--output', 'json'],
  ['ls', '--output', 'name'],
  ['ls', '--output', 'path'],
  ['ls', '--resource-type', 'model'],
  ['ls', '--resource-type', 'test', '--output', 'name'],
  ['ls', '-s', '+top_prescribers', '--output', 'json'],
  ['ls', '--select', 'source:vendor+', '--exclude', 'resource_type:test'],
  ['ls', '--select=path:models/marts', '--output=path'],
];

describe.concurrent('tx ls from its saved output', () => {
  it('answers as the full listing does, for every format and selector, and serves the saved output while nothing changed', () => {
    const dir = example();
    for (const args of COMMANDS) {
      const cli = run(CLI, args, dir);
      expect(cli.code, args.join(' ')).toBe(0);
      const first = run(BIN, args, dir);
      const second = run(BIN, args, dir);
      expect(first, args.join(' ')).toEqual(cli);
      expect(second, args.join(' ')).toEqual(cli);
    }
    expect(saved(dir).length).toBe(8); // the most recent command lines are kept
    expect(run(BIN, ['ls', '--output', 'json'], dir).stdout.split('\n').length).toBeGreaterThan(20);
    // the second run of a command line was served, not listed again: the marker proves it
    mark(dir);
    expect(run(BIN, ['ls', '--output', 'json'], dir).stdout).toBe(MARK);
    // the log folder, as the full command leaves it
    rmSync(join(dir, 'logs'), { recursive: true, force: true });
    expect(run(BIN, ['ls', '--output', 'json'], dir).stdout).toBe(MARK);
    expect(existsSync(join(dir, 'logs'))).toBe(true);
  }, 300_000);

  it('lists again after every change a listing could see', () => {
    const dir = example();
    const profiles = tempDir();
    const cmd = ['ls', '--output', 'json', '--profiles-dir', profiles];
    const fresh = (o: Parameters<typeof both>[2] = {}, args = cmd) => {
      const { bin, cli } = both(dir, args, o);
      expect(bin).not.toBe(MARK);
      expect(bin).toBe(cli);
      return bin;
    };
    const served = (o: Parameters<typeof both>[2] = {}, args = cmd) => expect(both(dir, args, o).bin).toBe(MARK);
    run(BIN, cmd, dir);
    served();

    // a model edited (same size: its mtime alone tells)
    const model = join(dir, 'models', 'marts', 'city_report.sql');
    const text = readFileSync(model, 'utf8');
    edit(dir, { 'models/marts/city_report.sql': text.replace(/select/i, 'SELECT') });
    expect(statSync(model).size).toBe(text.length);
    fresh();
    run(BIN, cmd, dir);
    served();

    // a model added: it is listed
    edit(dir, { 'models/marts/extra_report.sql': "select * from {{ ref('city_report') }}" });
    expect(fresh()).toContain('"name":"extra_report"');
    // a properties file: a tag and a materialization
    edit(dir, { 'models/marts/extra.yml': 'version: 2\nmodels:\n  - name: extra_report\n    config:\n      materialized: table\n      tags: [fresh_tag]\n' });
    expect(fresh()).toMatch(/"name":"extra_report".*"tags":\[[^\]]*"fresh_tag"\].*"materialized":"table"/);
    run(BIN, cmd, dir);
    served();
    expect(fresh({}, ['ls', '--select', 'tag:fresh_tag', '--profiles-dir', profiles])).toBe('healthcare.marts.extra_report\n');

    // the environment
    fresh({ env: { ...baseEnv(), TX_SOME_SETTING: 'x' } });
    // a profiles file in --profiles-dir appearing
    edit(profiles, { 'profiles.yml': 'default: {}\n' });
    fresh();
    // --vars: another command line
    run(BIN, cmd, dir);
    served();
    fresh({}, [...cmd, '--vars', '{top_ranks: 3}']);
    // another folder inside the project: paths are the same, the listing is its own
    run(BIN, cmd, dir);
    fresh({ cwd: join(dir, 'models') });
    // another target folder (the environment's): nothing saved there yet
    run(BIN, cmd, dir);
    served();
    const env = { ...baseEnv(), TX_TARGET_PATH: 'elsewhere' };
    const inElsewhere = run(BIN, cmd, dir, env);
    expect(inElsewhere.stdout).not.toBe(MARK);
    expect(saved(dir, 'elsewhere').length).toBe(1);
    served({ env, target: 'elsewhere' });
    // a model removed
    rmSync(join(dir, 'models', 'marts', 'extra_report.sql'));
    expect(fresh()).not.toContain('extra_report');
  }, 300_000);

  it('never saves a listing that warned, had a dbt flag dropped, read the clock, or read --state', () => {
    const dir = example();
    const nothing = run(BIN, ['ls', '--select', 'no_such_model'], dir);
    expect(nothing.code).toBe(0);
    expect(nothing.stdout + nothing.stderr).toMatch(/no_such_model/);
    expect(run(BIN, ['ls', '--select', 'no_such_model'], dir)).toEqual(nothing);
    expect(saved(dir)).toEqual([]);

    // a dbt global flag tx ignores: the note on stderr every time
    const flagged = run(BIN, ['ls', '--no-use-colors'], dir);
    expect(flagged.stderr).toMatch(/ignored: --no-use-colors/);
    expect(run(BIN, ['ls', '--no-use-colors'], dir)).toEqual(flagged);
    expect(saved(dir)).toEqual([]);

    edit(dir, { 'models/marts/clock.sql': "select '{{ run_started_at }}' as t" });
    expect(run(BIN, ['ls'], dir).stdout).toContain('clock');
    expect(saved(dir)).toEqual([]);
    rmSync(join(dir, 'models', 'marts', 'clock.sql'));

    expect(run(BIN, ['compile', '-q'], dir).code).toBe(0);
    const state = tempDir();
    writeFileSync(join(state, 'manifest.json'), readFileSync(join(dir, 'target', 'manifest.json')));
    const args = ['ls', '--select', 'state:modified', '--state', state];
    const a = run(BIN, args, dir);
    expect(a.code).toBe(0);
    expect(saved(dir)).toEqual([]);
    // the state's manifest changes, the project does not: the listing follows the state
    const m = JSON.parse(readFileSync(join(state, 'manifest.json'), 'utf8')) as { nodes: Record<string, { raw_code: string }> };
    m.nodes['model.healthcare.city_report']!.raw_code = 'select 1';
    writeFileSync(join(state, 'manifest.json'), JSON.stringify(m));
    const b = run(BIN, args, dir);
    expect(b).toEqual(run(CLI, args, dir));
    expect(b.stdout).toContain('city_report');
    expect(b.stdout).not.toBe(a.stdout);
  }, 300_000);

  it('answers --version and -v as the CLI does', () => {
    const dir = tempDir();
    for (const flag of ['--version', '-v']) expect(run(BIN, [flag], dir)).toEqual(run(CLI, [flag], dir));
  });
});

describe('the fingerprint a missed lookup took', () => {
  it('is handed to the ls command once, for the same folder, options and command line only, and equals one taken afresh', async () => {
    const dir = example();
    const argv = ['ls', '--project-dir', dir, '--output', 'name'];
    expect(await lsFromCache(argv)).toBe(false); // nothing saved yet: nothing written, the fingerprint kept
    const taken = takenInputs(dir, {}, argv);
    expect(taken).toBeDefined();
    expect(taken).toEqual(compileInputs(dir, { argv }));
    expect(takenInputs(dir, {}, argv)).toBeUndefined(); // once
    // options or a command line read otherwise by commander: not this fingerprint
    for (const [o, a] of [
      [{ profilesDir: dir }, argv],
      [{ targetPath: 'elsewhere' }, argv],
      [{ logPath: 'l' }, argv],
      [{}, [...argv, '-q']],
    ] as const) {
      expect(await lsFromCache(argv)).toBe(false);
      expect(takenInputs(dir, o, [...a]), JSON.stringify(o)).toBeUndefined();
    }
    expect(await lsFromCache(argv)).toBe(false);
    expect(takenInputs(join(dir, 'models'), {}, argv)).toBeUndefined();
  });

  it('reaches the ls command through the bin, whose lookup and CLI are two bundles: the project is not walked twice', () => {
    // 1,100 more files, so that a fingerprint taken by the ls command stats them on a worker thread;
    // a preload notes each worker started (the stat worker is the only one a listing starts)
    const dir = example();
    mkdirSync(join(dir, 'assets'));
    for (let i = 0; i < 1100; i++) writeFileSync(join(dir, 'assets', `f${i}.txt`), 'x');
    age(dir);
    const log = join(tempDir(), 'workers.log');
    const preload = join(tempDir(), 'note-workers.cjs');
    writeFileSync(
      preload,
      `const wt = require('node:worker_threads'); const fs = require('node:fs'); const W = wt.Worker;
wt.Worker = class extends W { constructor(file, o) { fs.appendFileSync(${JSON.stringify(log)}, String(file) + '\\n'); super(file, o); } };
require('node:module').syncBuiltinESMExports();
`,
    );
    const env = { ...baseEnv(), NODE_OPTIONS: `--require ${preload}` };
    const workers = () => (existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean) : []);
    // the module CLI has no lookup: its ls takes the fingerprint itself, on the stat worker
    const cli = run(CLI, ['ls'], dir, env);
    expect(cli.code, cli.stderr).toBe(0);
    expect(workers().filter((w) => w.includes('stat-worker'))).toHaveLength(1);
    rmSync(log);
    rmSync(lsFile(dir), { force: true });
    // the bin's lookup finds nothing saved and hands its fingerprint to the ls command: no second walk
    const bin = run(BIN, ['ls'], dir, env);
    expect(bin.code, bin.stderr).toBe(0);
    expect(bin.stdout).toBe(cli.stdout);
    expect(workers()).toEqual([]);
    // and the listing was saved under it: the next ls is served from ls.json
    expect(saved(dir).length).toBe(1);
    mark(dir);
    expect(run(BIN, ['ls'], dir, env).stdout).toBe(MARK);
  });
});
