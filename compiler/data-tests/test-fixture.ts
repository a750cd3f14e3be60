/**
 * Small tx projects for the test suites of data tests, unit tests, contracts and freshness:
 * files written to a fresh temp folder, the built CLI run on it as a child process, and the
 * resulting DuckDB file read back read-only.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import { cliPath } from '../../testing/fixture-project.js';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
/**
 * The CLI the tests run: a private copy of dist/ (see testing/fixture-project.ts), so a build
 * running beside the tests cannot hand a child process half-written modules.
 */
export const cli = (): string => cliPath();

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** stdout then stderr. */
  output: string;
}

export interface RunResult {
  unique_id: string;
  status: string;
  message: string;
  failures: number | null;
  details?: Record<string, unknown>;
}

/** Strip the common indentation so files can be written indented in tests. */
export function dedent(text: string): string {
  const lines = text.replace(/^\n/, '').split('\n');
  const ind = Math.min(...lines.filter((l) => l.trim()).map((l) => /^ */.exec(l)![0].length));
  return lines.map((l) => l.slice(Number.isFinite(ind) ? ind : 0)).join('\n');
}

export class Fixture {
  readonly dir: string;
  /** Extra environment for the CLI runs. */
  env: Record<string, string> = {};
  constructor(files: Record<string, string>, prefix = 'tx-fx-') {
    this.dir = mkdtempSync(join(tmpdir(), prefix));
    if (!('project.yml' in files)) this.write('project.yml', 'name: fx\n');
    for (const [p, text] of Object.entries(files)) this.write(p, text);
  }

  write(path: string, text: string): void {
    const abs = join(this.dir, path);
    mkdirSync(dirname(abs), { recursive: true });
    writeFileSync(abs, dedent(text));
  }

  remove(path: string): void {
    rmSync(join(this.dir, path), { force: true, recursive: true });
  }

  /** Run `tx <args> --project-dir <dir>`. */
  tx(...args: string[]): CliRun {
    const r = spawnSync(process.execPath, [cli(), ...args, '--project-dir', this.dir], {
      encoding: 'utf8',
      cwd: this.dir,
      env: { ...process.env, ...this.env, NO_COLOR: '1' },
      timeout: 120_000,
    });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr, output: `${r.stdout}\n${r.stderr}` };
  }

  /** target/run_results.json of the last run, by node name (generic tests: `test.<pkg>.<name>.<hash>`). */
  results(): Map<string, RunResult> {
    const body = JSON.parse(readFileSync(join(this.dir, 'target', 'run_results.json'), 'utf8')) as { results: RunResult[] };
    const nameOf = (id: string) => {
      const parts = id.split('.');
      return parts[0] === 'test' && parts.length === 4 && /^[0-9a-f]{10}(_\d+)?$/.test(parts[3]!) ? parts[2]! : parts.pop()!;
    };
    return new Map(body.results.map((r) => [nameOf(r.unique_id), r]));
  }

  read(path: string): string {
    return readFileSync(join(this.dir, path), 'utf8');
  }

  exists(path: string): boolean {
    return existsSync(join(this.dir, path));
  }

  /** Query the project's DuckDB file, read-only. */
  async query(sql: string, db = 'fx.duckdb'): Promise<Record<string, unknown>[]> {
    const inst = await DuckDBInstance.create(join(this.dir, db), { access_mode: 'READ_ONLY' });
    const c = await inst.connect();
    try {
      return (await c.runAndReadAll(sql)).getRowObjectsJS() as Record<string, unknown>[];
    } finally {
      c.closeSync();
      inst.closeSync();
    }
  }

  /** Run statements on the project's DuckDB file (to prepare source tables). */
  async exec(sql: string, db = 'fx.duckdb'): Promise<void> {
    mkdirSync(dirname(join(this.dir, db)), { recursive: true });
    const inst = await DuckDBInstance.create(join(this.dir, db));
    const c = await inst.connect();
    try {
      await c.run(sql);
    } finally {
      c.closeSync();
      inst.closeSync();
    }
  }

  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
