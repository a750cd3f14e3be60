/**
 * dbt's global flags pasted onto a tx command line (issue 12): `--no-version-check`,
 * `--no-partial-parse`, `--use-colors`, `--log-format default`, `--fail-fast` on a command without
 * it ... are accepted, before or after the command, and named in one note; those the command has
 * (`--debug`, `--quiet`, `--fail-fast` on build, `--target`; `-d` as --debug) keep working. The
 * flags tx accepts this way are exactly the global options of dbt-core 1.10's `dbt` command. A
 * misspelt flag is still an error, exit 2.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dbtCoreVenv, noPythonFor } from './dbt-reference.js';
import { DBT_GLOBAL_FLAG_NAMES } from '../compiler/dbt-global-flags.js';
import { fixtureProject, runCli, type FixtureProject } from './fixture-project.js';

const noPython = await noPythonFor('dbt-core 1.10');

let fx: FixtureProject;
beforeAll(() => {
  fx = fixtureProject({ 'project.yml': 'name: flags\n', 'models/a.sql': 'select 1 as x\n', 'models/b.sql': "select * from {{ ref('a') }}\n" });
});
afterAll(() => fx.cleanup());

describe("dbt's global flags on tx's command line", () => {
  it('flags tx has no use for: one note naming them, the command runs as without them', async () => {
    const plain = await runCli(['ls'], { cwd: fx.dir });
    expect(plain.code, plain.output).toBe(0);
    const r = await runCli(['--no-version-check', 'ls', '--no-partial-parse', '--use-colors', '--no-use-colors-file', '--log-format', 'default', '--fail-fast', '--printer-width=80', '--log-level', 'debug', '--no-send-anonymous-usage-stats'], { cwd: fx.dir });
    expect(r.code, r.output).toBe(0);
    expect(r.stdout).toBe(plain.stdout);
    const notes = r.stderr.split('\n').filter((l) => l.startsWith('note: dbt flags'));
    expect(notes).toEqual(['note: dbt flags that mean nothing to tx ls, ignored: --no-version-check, --no-partial-parse, --use-colors, --no-use-colors-file, --log-format default (tx prints text), --fail-fast, --printer-width=80, --log-level debug, --no-send-anonymous-usage-stats']);
  });

  it('flags the command has keep their meaning, also before the command name', async () => {
    // --quiet before the command: only errors on the console
    const q = await runCli(['--quiet', '--no-version-check', 'build'], { cwd: fx.dir });
    expect(q.code, q.output).toBe(0);
    expect(q.stdout).not.toMatch(/OK created/);
    expect(q.stderr).toMatch(/ignored: --no-version-check$/m);
    // --log-format json before the command: JSON lines
    const j = await runCli(['--log-format=json', 'build', '--no-use-colors'], { cwd: fx.dir });
    expect(j.code, j.output).toBe(0);
    const lines = j.stdout.split('\n').filter(Boolean);
    expect(lines.length).toBeGreaterThan(0);
    for (const l of lines) expect(() => JSON.parse(l) as unknown, l).not.toThrow();
    // --fail-fast and --target on build are tx's own
    const b = await runCli(['build', '--fail-fast', '--target', 'duckdb', '--no-version-check'], { cwd: fx.dir });
    expect(b.code, b.output).toBe(0);
    expect(b.stderr).toMatch(/ignored: --no-version-check$/m);
    expect(b.stderr).not.toMatch(/--fail-fast|--target/);
    // dbt's -d is --debug
    const d = await runCli(['ls', '-d'], { cwd: fx.dir });
    expect(d.code, d.output).toBe(0);
    expect(d.stderr).not.toMatch(/note: dbt flags/);
  });

  it('a nested command (docs generate) keeps the flags it has (--warn-error) and names itself in the note', async () => {
    const r = await runCli(['docs', 'generate', '--select', 'nothing_here', '--warn-error', '--no-version-check'], { cwd: fx.dir });
    expect(r.code, r.output).toBe(1); // --warn-error kept: the empty selection's warning is an error
    expect(r.stderr).toMatch(/^note: dbt flags that mean nothing to tx docs generate, ignored: --no-version-check$/m);
  });

  it('no dbt flag: no note', async () => {
    const r = await runCli(['ls'], { cwd: fx.dir });
    expect(r.stderr).not.toMatch(/note: dbt flags/);
  });

  it('a misspelt flag is still an error, exit 2', async () => {
    const r = await runCli(['ls', '--no-version-chek'], { cwd: fx.dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown option '--no-version-chek'/);
  });
});

describe.skipIf(noPython)('the flags are dbt-core 1.10\'s', () => {
  const venv = dbtCoreVenv();

  it("the flags tx accepts are exactly dbt's global flags (the cli group's options, --version aside)", () => {
    const py = 'import json\nfrom dbt.cli.main import cli\nprint(json.dumps(sorted({o for p in cli.params for o in [*p.opts, *p.secondary_opts]})))';
    const r = spawnSync(join(venv().dir, 'bin', 'python'), ['-c', py], { encoding: 'utf8', env: { ...process.env, DBT_SEND_ANONYMOUS_USAGE_STATS: 'false' }, timeout: 120_000 });
    expect(r.status, r.stderr).toBe(0);
    const dbt = (JSON.parse(r.stdout) as string[]).filter((f) => !['--version', '-v', '-V'].includes(f));
    expect([...DBT_GLOBAL_FLAG_NAMES].sort()).toEqual(dbt.sort());
    for (const f of ['--no-version-check', '--no-partial-parse', '--use-colors', '--no-use-colors', '--log-format', '--quiet', '--fail-fast']) expect(DBT_GLOBAL_FLAG_NAMES).toContain(f);
  }, 300_000);
});
