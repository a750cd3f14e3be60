import { existsSync, readdirSync, readFileSync, realpathSync, statSync, type Stats } from 'node:fs';
import { hash } from 'node:crypto';
import { homedir } from 'node:os';
import { isAbsolute, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { parse as parseYaml } from 'yaml';
import { writeFileAtomic } from '../artifacts/artifacts.js';
import { packageRoot, txVersion } from '../load/package-root.js';
import { lineOf } from './fingerprint-line.js';
import type { CompiledProject } from './compile-project.js';

/**
 * Whether `tx compile` has nothing to do, as make decides it: a fingerprint of everything a
 * compile reads (every file and folder of the project, by path, size and mtime; the profiles
 * files; tx itself; the environment; the command line) and of what it wrote (the manifest and the
 * compiled SQL index). When the fingerprint equals the one saved by the last compile, that
 * compile's output is still exact and nothing is read, rendered or written again.
 *
 * A compile whose output depends on more than its inputs (the clock, `run_query`, a model the
 * compile cache may not keep) saves no fingerprint, so the next compile runs in full.
 */

/** Environment variables that differ between shells without changing what a compile does. */
const VOLATILE_ENV = /^(PWD|OLDPWD|SHLVL|_|TERM.*|COLUMNS|LINES|SSH_.*|WINDOWID|DISPLAY|XDG_SESSION_.*|PS\d|PROMPT_COMMAND|HIST.*|LS_COLORS|COLORTERM|NO_COLOR|FORCE_COLOR|TMUX.*|STY|INVOCATION_ID|JOURNAL_STREAM)$/;

/** Files a compile never reads though they live in the project: warehouse files and their logs. */
const NOT_READ = /\.(duckdb|duckdb\.wal|db|db\.wal)$/;

export interface CompileState {
  key: string;
  /** The last compile's summary, repeated when nothing changed. */
  counts: Record<string, number>;
}

interface Where {
  projectDir: string;
  targetDir: string;
  logDir: string;
}

/** The project folder's target and log folders, read from the project file without loading the project. */
function where(projectDir: string, o: { targetPath?: string; logPath?: string }): Where | undefined {
  const file = ['project.yml', 'dbt_project.yml'].map((f) => join(projectDir, f)).find((f) => existsSync(f));
  if (!file) return undefined;
  let raw: Record<string, unknown>;
  try {
    raw = (parseYaml(readFileSync(file, 'utf8')) ?? {}) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  const pick = (flag: string | undefined, env: (string | undefined)[], key: string, dflt: string): string | undefined => {
    const v = flag ?? env.find((e) => e) ?? raw[key] ?? dflt;
    return typeof v === 'string' && !v.includes('{') ? resolve(projectDir, v) : undefined;
  };
  const targetDir = pick(o.targetPath, [process.env.TX_TARGET_PATH, process.env.DBT_TARGET_PATH], 'target-path', 'target');
  const logDir = pick(o.logPath, [process.env.TX_LOG_PATH, process.env.DBT_LOG_PATH], 'log-path', 'logs');
  // packages installed outside the project are not walked: no shortcut then
  const pkgs = raw['packages-install-path'];
  if (pkgs !== undefined && (typeof pkgs !== 'string' || !resolve(projectDir, pkgs).startsWith(projectDir + sep))) return undefined;
  return targetDir && logDir ? { projectDir, targetDir, logDir } : undefined;
}

let newestMtime = 0;
const statLine = (rel: string, st: Stats | undefined): string => {
  if (st && st.mtimeMs > newestMtime) newestMtime = st.mtimeMs;
  return lineOf(rel, st);
};
const statOrNone = (p: string): Stats | undefined => {
  try {
    return statSync(p);
  } catch {
    return undefined;
  }
};

/**
 * Every folder and file under the project (symlinks followed once), but its outputs and tooling:
 * a folder as its line, a file as its path relative to the project (stat-ed by the caller).
 */
function walkProject(w: Where, out: string[], files: { at: number; rel: string }[]): void {
  const skip = new Set([w.targetDir, w.logDir, join(w.projectDir, 'node_modules')]);
  const seen = new Set<string>();
  const stack = [''];
  while (stack.length) {
    const rel = stack.pop()!;
    const abs = rel ? join(w.projectDir, rel) : w.projectDir;
    const real = realpathSync(abs);
    if (seen.has(real)) continue;
    seen.add(real);
    const entries = readdirSync(abs, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    // a folder is its entries (each a line below): its own mtime moves when target/ or logs/ appear
    out.push(`${rel || '.'}/`);
    for (const e of entries) {
      if (e.name.startsWith('.')) continue;
      const r = rel ? `${rel}/${e.name}` : e.name;
      const p = join(w.projectDir, r);
      if (skip.has(p)) continue;
      const st = e.isSymbolicLink() ? statOrNone(p) : undefined;
      if (e.isDirectory() || st?.isDirectory()) stack.push(r);
      else if (!NOT_READ.test(e.name)) {
        files.push({ at: out.length, rel: r });
        out.push(''); // the file's line, once stat-ed
      }
    }
  }
}

export interface Inputs {
  lines: string[];
  targetDir: string;
  logDir: string;
  /**
   * A file changed within a clock tick of the fingerprint (file times move in ticks of a few
   * ms): a second change in the same tick would keep its time, so no state is saved (git's
   * "racily clean" rule).
   */
  racy: boolean;
}

/** The lines of a fingerprint before the project's files are stat-ed, and those files. */
function startInputs(projectDir: string, o: { targetPath?: string; logPath?: string; profilesDir?: string; argv: string[] }) {
  const w = where(projectDir, o);
  if (!w) return undefined;
  const takenAt = Date.now();
  newestMtime = 0;
  const lines: string[] = [`tx ${txVersion()}`, statLine('tx', statOrNone(process.argv[1] ?? '')), `argv ${JSON.stringify(o.argv)}`, `cwd ${process.cwd()}`];
  const env = Object.entries(process.env)
    .filter(([k]) => !VOLATILE_ENV.test(k))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  lines.push(`env ${hash('sha1', JSON.stringify(env), 'base64')}`);
  const profileDirs = [o.profilesDir, process.env.DBT_PROFILES_DIR, projectDir, join(homedir(), '.dbt')].filter((d): d is string => !!d);
  for (const d of profileDirs) for (const f of ['profiles.yml', 'profiles.yaml']) lines.push(statLine(join(isAbsolute(d) ? d : resolve(d), f), statOrNone(join(resolve(d), f))));
  const files: { at: number; rel: string }[] = [];
  try {
    walkProject(w, lines, files);
  } catch {
    return undefined;
  }
  return { w, takenAt, lines, files };
}

/**
 * The fingerprint of what a compile reads, or undefined when it cannot be taken. Taken before a
 * compile, so a file edited while it runs makes the next compile run again.
 */
export function compileInputs(projectDir: string, o: { targetPath?: string; logPath?: string; profilesDir?: string; argv: string[] }): Inputs | undefined {
  const s = startInputs(projectDir, o);
  if (!s) return undefined;
  for (const f of s.files) s.lines[f.at] = statLine(f.rel, statOrNone(join(s.w.projectDir, f.rel)));
  return { lines: s.lines, targetDir: s.w.targetDir, logDir: s.w.logDir, racy: newestMtime >= s.takenAt - 50 };
}

/** The stat worker's file: beside this module when built; from the TypeScript sources (vitest), the built one. */
function statWorkerFile(): string {
  const here = fileURLToPath(new URL('./stat-worker.js', import.meta.url));
  return existsSync(here) ? here : join(packageRoot(), 'dist', 'compiler', 'compile', 'stat-worker.js');
}

/**
 * The same fingerprint, its files stat-ed on a worker thread (stat-worker.ts) while the compile
 * runs, when no earlier state can make the compile unnecessary, so nothing waits for it. As safe
 * as taking it first: the folders are walked and the clock is read before any file is, so a file
 * changed after that, whether before or after its stat, has a time past it and makes the
 * fingerprint racy (never saved); a file added or removed after the walk differs from the walk's
 * list next time. Undefined when the worker fails (no fingerprint saved, the next compile runs).
 */
export function compileInputsInBackground(projectDir: string, o: { targetPath?: string; logPath?: string; profilesDir?: string; argv: string[] }): Promise<Inputs | undefined> {
  const s = startInputs(projectDir, o);
  if (!s) return Promise.resolve(undefined);
  const { w, takenAt, lines, files } = s;
  const newestBefore = newestMtime;
  const finish = (newest: number): Inputs => ({ lines, targetDir: w.targetDir, logDir: w.logDir, racy: newest >= takenAt - 50 });
  if (files.length === 0) return Promise.resolve(finish(newestBefore));
  return new Promise((done) => {
    let worker: Worker;
    try {
      worker = new Worker(statWorkerFile(), { workerData: { dir: w.projectDir, rels: files.map((f) => f.rel) } });
    } catch {
      return done(undefined);
    }
    worker.once('message', (m: { lines: string[]; newest: number }) => {
      for (let i = 0; i < files.length; i++) lines[files[i]!.at] = m.lines[i]!;
      done(finish(Math.max(newestBefore, m.newest)));
    });
    worker.once('error', () => done(undefined));
    worker.once('exit', () => done(undefined)); // a no-op after the message
  });
}

/** Whether a saved state exists, so that a fingerprint could make this compile unnecessary. */
export function hasCompileState(targetDir: string): boolean {
  return existsSync(statePath(targetDir));
}

/** Where the fingerprint's state would be (the project's target folder), without loading the project. */
export function compileTargetDir(projectDir: string, o: { targetPath?: string; logPath?: string }): string | undefined {
  return where(projectDir, o)?.targetDir;
}

/** The key of inputs and of what the compile wrote (gone or touched since, and it runs again). */
export function compileKey(inputs: Inputs): string {
  const lines = [...inputs.lines];
  for (const f of ['manifest.json', join('compiled', '.index.json')]) lines.push(statLine(f, statOrNone(join(inputs.targetDir, f))));
  return hash('sha1', lines.join('\n'), 'base64');
}

/**
 * Names whose value is not a function of the project's files: the clock, the invocation, the
 * warehouse. A compile whose templates mention one saves no fingerprint (a blunt test: a false
 * alarm costs only the shortcut).
 */
const VOLATILE_NAMES = /\b(run_started_at|invocation_id|modules|run_query|statement|load_result|graph|adapter\.get_\w+|thread_id|local_md5)\b/;

/** Whether the compile's output follows from its inputs alone. */
export function deterministic(c: CompiledProject): boolean {
  if (c.renderStats.volatile) return false;
  const p = c.project;
  for (const f of [...p.models, ...p.macros, ...p.singularTests]) if (VOLATILE_NAMES.test(f.text)) return false;
  return true;
}

const statePath = (targetDir: string) => join(targetDir, 'cache', 'compile-state.json');

/** The saved state when its fingerprint equals `key`. */
export function upToDate(targetDir: string, key: string): CompileState | undefined {
  try {
    const s = JSON.parse(readFileSync(statePath(targetDir), 'utf8')) as CompileState;
    return s.key === key ? s : undefined;
  } catch {
    return undefined;
  }
}

/** Save the fingerprint after a compile wrote its output (so it covers what was written). */
export function saveCompileState(targetDir: string, key: string, counts: Record<string, number>): void {
  writeFileAtomic(statePath(targetDir), JSON.stringify({ key, counts } satisfies CompileState));
}
