import { existsSync, readdirSync, readFileSync, realpathSync, statSync, type Stats } from 'node:fs';
import { hash } from 'node:crypto';
import { homedir } from 'node:os';
import { isAbsolute, join, resolve, sep } from 'node:path';
import { txVersion } from '../load/package-root.js';
import { lineOf } from './fingerprint-line.js';

/**
 * The fingerprint of everything a compile reads, as make decides "nothing changed": every file
 * and folder of the project (by path, size and mtime), the profiles files, tx itself, the
 * environment and the command line. `tx compile` (up-to-date.ts) and `tx ls` (ls-cache.ts) save
 * it beside their output; equal fingerprints mean that output is still exact.
 *
 * It imports nothing but Node and package-root.ts: the bin's `tx ls` shortcut takes it before
 * anything else of tx is loaded. The project file is read as YAML only when it names an output
 * folder (`yaml` is passed in by the callers that have it loaded).
 */

/** Parses the project file's text (yaml's `parse`); throws on a text it cannot read. */
export type ParseYaml = (text: string) => unknown;

/** Environment variables that differ between shells without changing what a compile does. */
const VOLATILE_ENV = /^(PWD|OLDPWD|SHLVL|_|TERM.*|COLUMNS|LINES|SSH_.*|WINDOWID|DISPLAY|XDG_SESSION_.*|PS\d|PROMPT_COMMAND|HIST.*|LS_COLORS|COLORTERM|NO_COLOR|FORCE_COLOR|TMUX.*|STY|INVOCATION_ID|JOURNAL_STREAM)$/;

/** Files a compile never reads though they live in the project: warehouse files and their logs. */
const NOT_READ = /\.(duckdb|duckdb\.wal|db|db\.wal)$/;

interface Where {
  projectDir: string;
  targetDir: string;
  logDir: string;
}

/** The project folder's target and log folders, read from the project file without loading the project. */
function where(projectDir: string, o: { targetPath?: string; logPath?: string }, parseYaml: ParseYaml): Where | undefined {
  const file = ['project.yml', 'dbt_project.yml'].map((f) => join(projectDir, f)).find((f) => existsSync(f));
  if (!file) return undefined;
  let raw: Record<string, unknown>;
  try {
    const text = readFileSync(file, 'utf8');
    // none of the three keys read here (nor a double-quoted escape that could spell one): their defaults, no YAML parser needed
    raw = /target-path|log-path|packages-install-path|\\/.test(text) ? ((parseYaml(text) ?? {}) as Record<string, unknown>) : {};
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

/** The options a fingerprint depends on besides the project folder. */
export interface FingerprintOpts {
  targetPath?: string;
  logPath?: string;
  profilesDir?: string;
  argv: string[];
}

export const statLine = (rel: string, st: Stats | undefined): string => {
  if (st && st.mtimeMs > newestMtime) newestMtime = st.mtimeMs;
  return lineOf(rel, st);
};
export const statOrNone = (p: string): Stats | undefined => {
  try {
    return statSync(p);
  } catch {
    return undefined;
  }
};

/**
 * Every folder and file under the project (symlinks followed once), but its outputs and tooling
 * (target, logs, node_modules, hidden entries, Python environments: a folder holding a pyvenv.cfg
 * file or a conda-meta folder is its line alone): a folder as its line, a file as its path relative
 * to the project (stat-ed by the caller).
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
    // a Python environment (`python -m venv venv`, or a conda env, in a dbt project is common): tens of thousands of files no compile reads
    if (rel && entries.some((e) => (e.name === 'pyvenv.cfg' && !e.isDirectory()) || (e.name === 'conda-meta' && e.isDirectory()))) continue;
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

/**
 * The lines of a fingerprint before the project's files are stat-ed, those files (each a line to
 * fill at `at`), and the newest mtime among the lines so far.
 */
export function startInputs(projectDir: string, o: FingerprintOpts, parseYaml: ParseYaml) {
  const w = where(projectDir, o, parseYaml);
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
  return { w, takenAt, lines, files, newest: newestMtime };
}

/**
 * The fingerprint of what a compile reads, or undefined when it cannot be taken. Taken before a
 * compile, so a file edited while it runs makes the next compile run again.
 */
export function compileInputs(projectDir: string, o: FingerprintOpts, parseYaml: ParseYaml): Inputs | undefined {
  const s = startInputs(projectDir, o, parseYaml);
  if (!s) return undefined;
  for (const f of s.files) s.lines[f.at] = statLine(f.rel, statOrNone(join(s.w.projectDir, f.rel)));
  return { lines: s.lines, targetDir: s.w.targetDir, logDir: s.w.logDir, racy: newestMtime >= s.takenAt - 50 };
}

/** Where the fingerprint's state would be (the project's target folder), without loading the project. */
export function compileTargetDir(projectDir: string, o: { targetPath?: string; logPath?: string }, parseYaml: ParseYaml): string | undefined {
  return where(projectDir, o, parseYaml)?.targetDir;
}

