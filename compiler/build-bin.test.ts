/**
 * The `tx` users install is the bundled CLI in dist/bin/ (package.json `bin`), not the module tree
 * the other suites run: it must answer exactly as dist/compiler/cli.js does, and load the chunks
 * and drivers it keeps apart (DuckDB for build, esbuild and the site script for docs) when a
 * command needs them.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../testing/fixture-project.js';
import { tempDirs } from '../testing/temp-dirs.js';

const BIN = join(REPO_ROOT, 'dist', 'bin', 'tx.js');
const CLI = join(REPO_ROOT, 'dist', 'compiler', 'cli.js');
const tempDir = tempDirs('tx-bin-');

/** A copy of the example project at the repository root. */
function exampleProject(): string {
  const dir = tempDir();
  for (const f of ['project.yml', 'models', 'macros', 'seeds', 'tests', 'data']) {
    if (existsSync(join(REPO_ROOT, f))) cpSync(join(REPO_ROOT, f), join(dir, f), { recursive: true });
  }
  return dir;
}

const run = (entry: string, args: string[], cwd: string, extraEnv: NodeJS.ProcessEnv = {}) => {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', ...extraEnv };
  delete env.TX_TARGET;
  const r = spawnSync(process.execPath, [entry, ...args], { cwd, env, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};

describe('the bundled bin (dist/bin/tx.js)', () => {
  it('is the package bin and is executable', () => {
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string>; version: string };
    expect(pkg.bin.tx).toBe('dist/bin/tx.js');
    const r = spawnSync(BIN, ['--version'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe(pkg.version);
  });

  it('lists, compiles, builds and documents the example project as the module CLI does', () => {
    const a = exampleProject();
    const b = exampleProject();
    const lsBin = run(BIN, ['ls', '--output', 'json'], a);
    const lsCli = run(CLI, ['ls', '--output', 'json'], b);
    expect(lsBin.code).toBe(0);
    expect(lsBin.stdout).toBe(lsCli.stdout);
    expect(lsBin.stdout.split('\n').length).toBeGreaterThan(20);

    expect(run(BIN, ['compile', '-q'], a).code).toBe(0);
    expect(run(CLI, ['compile', '-q'], b).code).toBe(0);
    const nodes = (d: string) => {
      const m = JSON.parse(readFileSync(join(d, 'target', 'manifest.json'), 'utf8')) as { nodes: Record<string, { compiled_code?: string; checksum: unknown }> };
      return Object.fromEntries(Object.entries(m.nodes).map(([k, v]) => [k, [v.compiled_code ?? null, v.checksum]]));
    };
    expect(nodes(a)).toEqual(nodes(b));

    // build loads the DuckDB driver from node_modules; a bad selector is the same usage error
    const build = run(BIN, ['build'], a);
    expect(build.stderr).toBe('');
    expect(build.code).toBe(0);
    expect(build.stdout).toMatch(/^Finished build of \d+ nodes .* ERROR=0 SKIP=0$/m);
    expect(run(BIN, ['build', '--select', 'nosuch_model'], a).code).toBe(run(CLI, ['build', '--select', 'nosuch_model'], b).code);

    // docs bundles the site script, which the bin finds where tsc put it
    const docs = run(BIN, ['docs', 'generate'], a);
    expect(docs.stderr).toBe('');
    expect(docs.code).toBe(0);
    expect(readFileSync(join(a, 'target', 'docs', 'index.html'), 'utf8')).toContain('<script');
  }, 240_000);

  it('runs the CLI through a code cache per command, written once, and ignores data V8 rejects', () => {
    const a = exampleProject();
    const cache = tempDir();
    const env = { XDG_CACHE_HOME: cache };
    const dir = join(cache, 'tx', 'code-cache');
    const files = () => (existsSync(dir) ? readdirSync(dir).sort() : []);
    const expected = run(CLI, ['ls', '--output', 'json'], exampleProject()).stdout;
    // the saved listing removed: every ls runs the CLI
    const ls = () => {
      rmSync(join(a, 'target', 'cache', 'ls.json'), { force: true });
      return run(BIN, ['ls', '--output', 'json'], a, env);
    };

    expect(run(BIN, ['ls', '--output', 'json'], a, { ...env, TX_NO_CODE_CACHE: '1' }).stdout).toBe(expected);
    expect(files()).toEqual([]);
    expect(ls().stdout).toBe(expected);
    // the CLI's and the validators' (dist/validators.cjs), each named by its text's hash and the command
    expect(files()).toHaveLength(2);
    const lsFile = files().find((f) => f.startsWith('cli-'));
    expect(lsFile).toMatch(/^cli-[0-9a-f]{32}-ls\.bin$/);
    expect(files().find((f) => f.startsWith('validators-'))).toMatch(/^validators-[0-9a-f]{32}-ls\.bin$/);
    const written = readFileSync(join(dir, lsFile!));
    expect(written.length).toBeGreaterThan(1000);

    // read, not written again
    expect(ls().stdout).toBe(expected);
    expect(readFileSync(join(dir, lsFile!)).equals(written)).toBe(true);

    // another command has its own file
    expect(run(BIN, ['compile', '-q'], a, env).code).toBe(0);
    expect(files().filter((f) => f.startsWith('cli-'))).toEqual([lsFile!.replace(/-ls\.bin$/, '-compile.bin'), lsFile]);

    // data V8 rejects (not a code cache at all) is ignored and written again
    writeFileSync(join(dir, lsFile!), 'not a code cache');
    const r = ls();
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(expected);
    expect(readFileSync(join(dir, lsFile!)).length).toBeGreaterThan(1000);

    // when a file is written: another bundle's unused for 30 days, and a dead writer's temporary file, go;
    // a recent temporary file (a writer still at it) and a recently used file stay
    const old = Date.now() / 1000 - 31 * 24 * 3600;
    const hourAgo = Date.now() / 1000 - 2 * 3600;
    for (const [f, t] of [['cli-0000-ls.bin', old], ['cli-1111-ls.bin', Date.now() / 1000], ['cli-2222-ls.bin.tmp-4242', hourAgo], ['cli-3333-ls.bin.tmp-4343', Date.now() / 1000]] as const) {
      writeFileSync(join(dir, f), 'x');
      utimesSync(join(dir, f), t, t);
    }
    writeFileSync(join(dir, lsFile!), 'not a code cache');
    expect(ls().stdout).toBe(expected);
    expect(files()).toEqual(expect.arrayContaining(['cli-1111-ls.bin', 'cli-3333-ls.bin.tmp-4343', lsFile]));
    expect(files()).not.toContain('cli-0000-ls.bin');
    expect(files()).not.toContain('cli-2222-ls.bin.tmp-4242');
  }, 240_000);
});
