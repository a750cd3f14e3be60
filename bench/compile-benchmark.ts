import { execFileSync, spawnSync } from 'node:child_process';
import { appendFileSync, cpSync, existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateProject, generateProperties, generateTests } from './generate-project.js';
import { loadLine } from './bench-support.js';

/**
 * `tx compile` and start-up, as a user runs them: a fresh process per run, wall time and peak RSS
 * from /usr/bin/time, the median of --runs (3). Synthetic projects (bench/generate-project.ts:
 * chains and fan-ins of refs, macro calls, vars, config(), an is_incremental() block, ~30 lines of
 * SQL each):
 *   cold:    no target/ (nothing cached: every model parsed and rendered, every file written)
 *   warm:    nothing changed since the previous compile (tx checks that and does nothing)
 *   1 edit:  one model changed since the previous compile (the content-hash cache serves the rest)
 * The rival: dbt-core 1.10 (`dbt compile`, dbt-duckdb, the cached venv ~/.cache/tx/dbt-core) on the
 * same project as a dbt project, which tx compiles too, in the same run. `--baseline DIR`: another
 * built tx checkout (an earlier release: `git worktree add ../prev <commit> && cd ../prev && npm ci`)
 * compiling the same projects cold, run by run alternating with this one, in the same run.
 *
 * The bin is run as a user's `tx` runs it, an executable whose first line starts node (with the
 * flags it names); `--entry module` runs dist/compiler/cli.js through `node` instead.
 *
 * `--properties N`: N models with a properties file describing each (a description and three described
 * columns: 3 MB of YAML at 10,000), compiled cold with the project's YAML parsed (TX_NO_YAML_CACHE=1)
 * and read back from the cache of parsed YAML files (compiler/load/yaml-cache.ts), run by run alternating.
 *
 * `--tests N`: N models, each with three generic data tests in a properties file (3N tests), compiled
 * cold, and by the baseline too when there is one, run by run alternating.
 *
 *   npm run bench:compile -- [--sizes 1000,10000,50000] [--dbt 2000] [--runs 3] [--entry bin|module] [--baseline DIR] [--properties 10000] [--tests 10000]
 */
const args = process.argv.slice(2);
// every argument is a known `--name value` pair: `-- 50000` alone would silently measure the default sizes
const KNOWN = new Set(['sizes', 'dbt', 'runs', 'entry', 'baseline', 'properties', 'tests']);
for (let i = 0; i < args.length; i += 2) {
  const name = args[i]!.startsWith('--') ? args[i]!.slice(2) : '';
  if (!KNOWN.has(name) || args[i + 1] === undefined) {
    console.error(`compile-benchmark: unexpected argument ${JSON.stringify(args[i])}; usage: [--sizes 1000,10000,50000] [--dbt 2000] [--runs 3] [--entry bin|module] [--baseline DIR] [--properties 10000] [--tests 10000]`);
    process.exit(2);
  }
}
const opt = (name: string, dflt: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1]! : dflt;
};
const sizes = opt('sizes', '1000,10000').split(',').map(Number).filter(Boolean);
const dbtModels = Number(opt('dbt', '0'));
const runs = Number(opt('runs', '3'));
const entry = opt('entry', 'bin');
const root = fileURLToPath(new URL('../..', import.meta.url));
const tx = entry === 'module' ? join(root, 'dist', 'compiler', 'cli.js') : join(root, 'dist', 'bin', 'tx.js');
/** How a tx entry file is started: the bin as an executable (its shebang line), a module through node. */
const txCmd = (file: string): string[] => (file.endsWith(join('bin', 'tx.js')) ? [file] : [process.execPath, file]);
const baselineDir = opt('baseline', '');
/** The baseline's entry: its bin when it has one (releases before the bundled bin have only the module). */
const baseline = baselineDir ? [join(baselineDir, 'dist', 'bin', 'tx.js'), join(baselineDir, 'dist', 'compiler', 'cli.js')].find((f) => existsSync(f)) : undefined;
if (baselineDir && !baseline) throw new Error(`--baseline ${baselineDir}: no dist/bin/tx.js or dist/compiler/cli.js there (build it: npm ci)`);
const work = mkdtempSync(join(process.env.TX_BENCH_DIR ?? tmpdir(), 'tx-bench-compile-'));

interface Run {
  s: number;
  rssMb: number;
  out: string;
}
/** One fresh process: wall time and peak RSS. */
function timed(cmd: string[], cwd?: string, env?: NodeJS.ProcessEnv): Run {
  const t0 = performance.now();
  const r = spawnSync('/usr/bin/time', ['-f', 'TX_RSS_KB=%M', ...cmd], { cwd, env: env ?? process.env, encoding: 'utf8', maxBuffer: 1 << 28 });
  const s = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`${cmd.join(' ')} exited ${r.status}:\n${r.stdout}\n${r.stderr}`);
  return { s, rssMb: Number(/TX_RSS_KB=(\d+)/.exec(r.stderr)?.[1] ?? 0) / 1024, out: r.stdout };
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const f2 = (x: number) => x.toFixed(2);
const txCompile = (dir: string, file = tx, env?: NodeJS.ProcessEnv) => timed([...txCmd(file), 'compile', '--project-dir', dir, '-q'], undefined, env);

console.log(loadLine('start'));
console.log(`tx ${entry === 'module' ? 'dist/compiler/cli.js' : 'dist/bin/tx.js'} on node ${process.version}; ${runs} fresh processes per figure, median; projects under ${work}`);

// ---- start-up
{
  const example = join(work, 'example');
  for (const f of ['project.yml', 'models', 'macros', 'seeds', 'tests', 'data']) if (existsSync(join(root, f))) cpSync(join(root, f), join(example, f), { recursive: true });
  const rows: [string, string[], string | undefined][] = [
    ['node -e 0 (the floor)', [process.execPath, '-e', '0'], undefined],
    ['tx --version', [...txCmd(tx), '--version'], undefined],
    ['tx ls (the example project, nothing changed since the last ls)', [...txCmd(tx), 'ls'], example],
    // its saved listing removed before each run: the project loaded and compiled
    ['tx ls (the example project, first: no saved listing)', [...txCmd(tx), 'ls'], example],
    ['npx tx --version', ['npx', '--no-install', 'tx', '--version'], root],
  ];
  console.log('\n| start-up | wall (s) | peak RSS (MB) |\n|---|---|---|');
  for (const [label, cmd, cwd] of rows) {
    const rs: Run[] = [];
    try {
      const first = label.includes('first:');
      const unsaved = () => first && rmSync(join(cwd!, 'target', 'cache', 'ls.json'), { force: true });
      unsaved();
      timed(cmd, cwd); // the file cache warm, as for a user's second command
      for (let i = 0; i < Math.max(runs, 5); i++) {
        unsaved();
        rs.push(timed(cmd, cwd));
      }
      console.log(`| ${label} | ${f2(median(rs.map((r) => r.s)))} | ${median(rs.map((r) => r.rssMb)).toFixed(0)} |`);
    } catch (e) {
      console.log(`| ${label} | failed: ${(e as Error).message.split('\n')[0]} | |`);
    }
  }
}

// ---- compile
console.log('\n| models | cold (s) | warm: nothing changed (s) | 1 model edited (s) | peak RSS cold / warm / edit (MB) |\n|---|---|---|---|---|');
for (const n of sizes) {
  const dir = join(work, `p${n}`);
  generateProject(dir, n);
  const cold: Run[] = [];
  const warm: Run[] = [];
  const edit: Run[] = [];
  const base: Run[] = [];
  for (let i = 0; i < runs; i++) {
    if (baseline) {
      rmSync(join(dir, 'target'), { recursive: true, force: true });
      base.push(txCompile(dir, baseline));
    }
    rmSync(join(dir, 'target'), { recursive: true, force: true });
    cold.push(txCompile(dir));
    warm.push(txCompile(dir));
    appendFileSync(join(dir, 'models', 'layer', `m${Math.floor(n / 2)}.sql`), `\n-- edit ${i}\n`);
    edit.push(txCompile(dir));
  }
  const m = (rs: Run[]) => f2(median(rs.map((r) => r.s)));
  const r = (rs: Run[]) => median(rs.map((x) => x.rssMb)).toFixed(0);
  console.log(`| ${n.toLocaleString('en')} | ${m(cold)} | ${m(warm)} | ${m(edit)} | ${r(cold)} / ${r(warm)} / ${r(edit)} |`);
  if (baseline) console.log(`|   baseline ${baselineDir}, cold | ${m(base)} | | | ${r(base)} |`);
  rmSync(dir, { recursive: true, force: true });
}

// ---- a documented project: its YAML parsed, or served by the cache of parsed YAML files
const propertiesModels = Number(opt('properties', '0'));
if (propertiesModels) {
  const dir = join(work, `props${propertiesModels}`);
  generateProject(dir, propertiesModels);
  generateProperties(dir, propertiesModels);
  const parsed: Run[] = [];
  const served: Run[] = [];
  rmSync(join(dir, 'target'), { recursive: true, force: true });
  txCompile(dir); // the cache filled
  for (let i = 0; i < runs; i++) {
    rmSync(join(dir, 'target'), { recursive: true, force: true });
    parsed.push(txCompile(dir, tx, { ...process.env, TX_NO_YAML_CACHE: '1' }));
    rmSync(join(dir, 'target'), { recursive: true, force: true });
    served.push(txCompile(dir));
  }
  const m = (rs: Run[]) => f2(median(rs.map((r) => r.s)));
  const r = (rs: Run[]) => median(rs.map((x) => x.rssMb)).toFixed(0);
  console.log(`\n| ${propertiesModels.toLocaleString('en')} models and their properties file, cold | wall (s) | peak RSS (MB) |\n|---|---|---|`);
  console.log(`| YAML parsed (TX_NO_YAML_CACHE=1) | ${m(parsed)} | ${r(parsed)} |`);
  console.log(`| YAML from the cache of parsed files | ${m(served)} | ${r(served)} |`);
  rmSync(dir, { recursive: true, force: true });
}

// ---- a tested project: three generic data tests per model
const testedModels = Number(opt('tests', '0'));
if (testedModels) {
  const dirs = { tx: join(work, `tests${testedModels}`), baseline: join(work, `tests${testedModels}-baseline`) };
  for (const dir of Object.values(dirs)) {
    generateProject(dir, testedModels);
    generateTests(dir, testedModels);
  }
  const runsOf: Record<'tx' | 'baseline', Run[]> = { tx: [], baseline: [] };
  const sides = baseline ? (['tx', 'baseline'] as const) : (['tx'] as const);
  // (each side its own copy: the cache of parsed YAML files is keyed by tx itself, and filled by a first run)
  for (const side of sides) txCompile(dirs[side], side === 'tx' ? tx : baseline);
  let manifestMb = 0;
  for (let i = 0; i < runs; i++) {
    for (const side of sides) {
      rmSync(join(dirs[side], 'target'), { recursive: true, force: true });
      runsOf[side].push(txCompile(dirs[side], side === 'tx' ? tx : baseline));
      if (side === 'tx') manifestMb = statSync(join(dirs.tx, 'target', 'manifest.json')).size / 1e6;
    }
  }
  const m = (rs: Run[]) => f2(median(rs.map((r) => r.s)));
  const r = (rs: Run[]) => median(rs.map((x) => x.rssMb)).toFixed(0);
  console.log(`\n| ${testedModels.toLocaleString('en')} models and ${(3 * testedModels).toLocaleString('en')} generic tests, cold | wall (s) | peak RSS (MB) |\n|---|---|---|`);
  console.log(`| tx (manifest.json ${manifestMb.toFixed(0)} MB) | ${m(runsOf.tx)} | ${r(runsOf.tx)} |`);
  if (baseline) console.log(`| baseline ${baselineDir} | ${m(runsOf.baseline)} | ${r(runsOf.baseline)} |`);
  for (const dir of Object.values(dirs)) rmSync(dir, { recursive: true, force: true });
}

// ---- dbt-core, same project, same run
if (dbtModels) {
  const dbt = join(process.env.XDG_CACHE_HOME ?? join(process.env.HOME ?? '/root', '.cache'), 'tx', 'dbt-core', 'bin', 'dbt');
  if (!existsSync(dbt)) {
    console.log(`\ndbt-core: no venv at ${dbt} (the test suite provisions it: npx vitest run testing/dbt-jaffle-shop.test.ts)`);
  } else {
    const dir = join(work, `dbt${dbtModels}`);
    generateProject(dir, dbtModels);
    rmSync(join(dir, 'project.yml'));
    writeFileSync(join(dir, 'dbt_project.yml'), `name: bench\nprofile: bench\nconfig-version: 2\nvars:\n  region: us\n  min_amount: 10\nmodels:\n  bench:\n    +materialized: view\n`);
    writeFileSync(join(dir, 'profiles.yml'), `bench:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: ${JSON.stringify(join(dir, 'bench.duckdb'))}\n      threads: 2\n`);
    const env = { ...process.env, DBT_PROFILES_DIR: dir, DBT_SEND_ANONYMOUS_USAGE_STATS: 'false', DO_NOT_TRACK: '1' };
    const version = execFileSync(dbt, ['--version'], { encoding: 'utf8', env }).match(/installed:\s*(\S+)/)?.[1] ?? '?';
    const d: Run[] = [];
    const t: Run[] = [];
    for (let i = 0; i < runs; i++) {
      for (const p of ['target', 'logs', 'bench.duckdb']) rmSync(join(dir, p), { recursive: true, force: true });
      d.push(timed([dbt, 'compile', '--quiet'], dir, env));
      for (const p of ['target', 'logs', 'bench.duckdb']) rmSync(join(dir, p), { recursive: true, force: true });
      t.push(timed([...txCmd(tx), 'compile', '-q'], dir, env));
    }
    const dm = median(d.map((r) => r.s));
    const tm = median(t.map((r) => r.s));
    console.log(`\n| ${dbtModels.toLocaleString('en')} models, cold, one dbt project | wall (s) | peak RSS (MB) |\n|---|---|---|`);
    console.log(`| dbt compile (dbt-core ${version}, dbt-duckdb) | ${f2(dm)} | ${median(d.map((r) => r.rssMb)).toFixed(0)} |`);
    console.log(`| tx compile | ${f2(tm)} | ${median(t.map((r) => r.rssMb)).toFixed(0)} |`);
    console.log(`tx is ${(dm / tm).toFixed(1)}x faster`);
  }
}
console.log(loadLine('end'));
rmSync(work, { recursive: true, force: true });
