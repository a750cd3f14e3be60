import { existsSync, readFileSync } from 'node:fs';
import { hash } from 'node:crypto';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { parse as parseYaml } from 'yaml';
import { writeFileAtomic } from '../artifacts/artifacts.js';
import { packageRoot } from '../load/package-root.js';
import type { CompiledProject } from './compile-project.js';
import * as fingerprint from './fingerprint.js';
import { startInputs, statLine, statOrNone, type FingerprintOpts, type Inputs } from './fingerprint.js';

export type { Inputs } from './fingerprint.js';

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

export interface CompileState {
  key: string;
  /** The last compile's summary, repeated when nothing changed. */
  counts: Record<string, number>;
}

/** The fingerprint (fingerprint.ts) of what a compile reads, taken before it: see there. */
export const compileInputs = (projectDir: string, o: FingerprintOpts): Inputs | undefined => fingerprint.compileInputs(projectDir, o, parseYaml);

/** Where the fingerprint's state would be (the project's target folder), without loading the project. */
export const compileTargetDir = (projectDir: string, o: { targetPath?: string; logPath?: string }): string | undefined => fingerprint.compileTargetDir(projectDir, o, parseYaml);

/** The stat worker's file: beside this module when built; from the TypeScript sources (vitest), the built one. */
function statWorkerFile(): string {
  const here = fileURLToPath(new URL('./stat-worker.js', import.meta.url));
  return existsSync(here) ? here : join(packageRoot(), 'dist', 'compiler', 'compile', 'stat-worker.js');
}

/** From this many files, compileInputsInBackground stats them on a worker thread. */
export const STAT_WORKER_MIN = 1000;

/**
 * The same fingerprint, its files stat-ed on a worker thread (stat-worker.ts) while the compile
 * runs, when no earlier state can make the compile unnecessary, so nothing waits for it. As safe
 * as taking it first: the folders are walked and the clock is read before any file is, so a file
 * changed after that, whether before or after its stat, has a time past it and makes the
 * fingerprint racy (never saved); a file added or removed after the walk differs from the walk's
 * list next time. Undefined when the worker fails (no fingerprint saved, the next compile runs).
 */
export function compileInputsInBackground(projectDir: string, o: FingerprintOpts, workerMin = STAT_WORKER_MIN): Promise<Inputs | undefined> {
  const s = startInputs(projectDir, o, parseYaml);
  if (!s) return Promise.resolve(undefined);
  const { w, takenAt, lines, files } = s;
  const newestBefore = s.newest;
  const finish = (newest: number): Inputs => ({ lines, targetDir: w.targetDir, logDir: w.logDir, racy: newest >= takenAt - 50 });
  if (files.length === 0) return Promise.resolve(finish(newestBefore));
  // A small project is stat-ed here at once: its files take a few milliseconds, less than the
  // worker's start-up, and a compile that finishes first would wait for it.
  if (files.length < workerMin) {
    let newest = newestBefore;
    for (const f of files) {
      const st = statOrNone(join(w.projectDir, f.rel));
      if (st && st.mtimeMs > newest) newest = st.mtimeMs;
      lines[f.at] = statLine(f.rel, st);
    }
    return Promise.resolve(finish(newest));
  }
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
