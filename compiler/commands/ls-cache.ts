/**
 * `tx ls` when nothing changed: the output of the last `tx ls` with the same command line, read
 * from target/cache/ls.json instead of loading, rendering and selecting the project again.
 *
 * An output is saved (by the ls command in cli.ts) under the fingerprint of everything the listing
 * read (fingerprint.ts, the one `tx compile` trusts: every file and folder of the project by path,
 * size and mtime, the profiles files, tx itself, the environment, the command line and the current
 * folder) and of where the project, its target and log folders were. It is served only when the
 * fingerprint taken now is the same. Nothing is saved for a listing that warned or logged anything,
 * that read the clock, the warehouse or an environment variable through a template (`deterministic`),
 * that read artifacts outside the project (`--state`), or that holds a secret; nor when a file
 * changed within a clock tick of the fingerprint (fingerprint.ts's racy rule).
 *
 * The bin (bin.ts) asks here before anything else of tx is loaded, so this file imports nothing but
 * Node and fingerprint.ts; the YAML parser only when the project file names its target or log folder.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { hash } from 'node:crypto';
import { dirname, join, resolve } from 'node:path';
import { compileInputs, type Inputs, type ParseYaml } from '../compile/fingerprint.js';

interface Saved {
  key: string;
  out: string;
}

/** Outputs kept per target folder: one per command line recently listed (`ls`, `ls -s x`, `ls --output json`, ...). */
const KEEP = 8;

const lsFile = (targetDir: string): string => join(targetDir, 'cache', 'ls.json');

/** The key of a listing: the fingerprint, and the folders it was taken for. */
export function lsKey(inputs: Inputs, projectDir: string): string {
  return hash('sha1', ['tx ls 1', `project ${projectDir}`, `target ${inputs.targetDir}`, `logs ${inputs.logDir}`, ...inputs.lines].join('\n'), 'base64');
}

function readSaved(targetDir: string): Saved[] {
  try {
    const v = JSON.parse(readFileSync(lsFile(targetDir), 'utf8')) as { entries?: Saved[] };
    return Array.isArray(v.entries) ? v.entries.filter((e) => typeof e?.key === 'string' && typeof e.out === 'string') : [];
  } catch {
    return [];
  }
}

/** Save a listing's output under its key (the newest first; the oldest beyond KEEP dropped). */
export function saveLs(targetDir: string, key: string, out: string, writeFileAtomic: (file: string, text: string) => void): void {
  const entries = [{ key, out }, ...readSaved(targetDir).filter((e) => e.key !== key)].slice(0, KEEP);
  writeFileAtomic(lsFile(targetDir), JSON.stringify({ entries }));
}

/** The folder holding project.yml or dbt_project.yml, as findProjectDir finds it; undefined where it would fail. */
function projectDirOf(dir: string | undefined): string | undefined {
  const holds = (d: string) => existsSync(join(d, 'project.yml')) !== existsSync(join(d, 'dbt_project.yml')) || undefined;
  const both = (d: string) => existsSync(join(d, 'project.yml')) && existsSync(join(d, 'dbt_project.yml'));
  if (dir !== undefined) {
    const abs = resolve(dir);
    return holds(abs) ? abs : undefined;
  }
  for (let cur = process.cwd(); ; cur = dirname(cur)) {
    if (both(cur)) return undefined;
    if (holds(cur)) return cur;
    if (dirname(cur) === cur) return undefined;
  }
}

/** The last value of an option (`--name value` or `--name=value`), as commander keeps it. */
function optionValue(argv: string[], name: string): string | undefined {
  let v: string | undefined;
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === name) v = argv[++i];
    else if (a.startsWith(`${name}=`)) v = a.slice(name.length + 1);
  }
  return v;
}

/**
 * The fingerprint a missed lookup took, for the ls command to save its output under (see
 * takenInputs). It is kept on globalThis, not in this module: the bin's lookup and the CLI it then
 * loads are two bundles, each with its own copy of this module.
 */
const TAKEN = Symbol.for('tx.ls-cache.taken');
type Taken = { projectDir: string; targetPath?: string; logPath?: string; profilesDir?: string; argv: string[]; inputs: Inputs };
const slot = globalThis as { [TAKEN]?: Taken };

/**
 * The fingerprint lsFromCache took in this process and found nothing saved under (a first `tx ls`,
 * or one after an edit), when it was taken for the same project folder, options and command line
 * as the ls command now read them: taken before the listing, it is as good as one taken while it
 * runs (a file changed since has a newer time, or makes it racy), and taking it again would cost
 * a second walk of the project. Handed out once.
 */
export function takenInputs(projectDir: string, o: { targetPath?: string; logPath?: string; profilesDir?: string }, argv: string[]): Inputs | undefined {
  const t = slot[TAKEN];
  slot[TAKEN] = undefined;
  if (!t || t.projectDir !== projectDir || t.targetPath !== o.targetPath || t.logPath !== o.logPath || t.profilesDir !== o.profilesDir) return undefined;
  return JSON.stringify(t.argv) === JSON.stringify(argv) ? t.inputs : undefined;
}

/**
 * When `argv` (after `tx`) is a `tx ls` whose saved output is still exact: write it and return
 * true. Otherwise false, having written nothing: the command runs in full.
 *
 * The options are read here only to find the folders; the whole command line is part of the key,
 * so a reading that differs from commander's finds no output saved under it.
 */
export async function lsFromCache(argv: string[]): Promise<boolean> {
  if (argv[0] !== 'ls' && argv[0] !== 'list') return false;
  if (argv.some((a) => a === '--state' || a.startsWith('--state='))) return false;
  const projectDir = projectDirOf(optionValue(argv, '--project-dir'));
  if (!projectDir) return false;
  const o = { targetPath: optionValue(argv, '--target-path'), logPath: optionValue(argv, '--log-path'), profilesDir: optionValue(argv, '--profiles-dir'), argv };
  let needsYaml = false;
  const noYaml: ParseYaml = () => {
    needsYaml = true;
    throw new Error('the project file needs the YAML parser');
  };
  let inputs = compileInputs(projectDir, o, noYaml);
  if (!inputs && needsYaml) inputs = compileInputs(projectDir, o, (await import('yaml')).parse);
  if (!inputs) return false;
  const key = lsKey(inputs, projectDir);
  const saved = readSaved(inputs.targetDir).find((e) => e.key === key);
  if (!saved) {
    slot[TAKEN] = { projectDir, targetPath: o.targetPath, logPath: o.logPath, profilesDir: o.profilesDir, argv, inputs };
    return false;
  }
  // as the full command's logger would: the log folder exists after any command
  mkdirSync(inputs.logDir, { recursive: true });
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0);
    throw e;
  });
  process.stdout.write(saved.out);
  return true;
}
