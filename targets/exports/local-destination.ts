/**
 * Local (Linux) export folders: only under the project's `export_roots`, all or nothing.
 *
 * The whole folder — data files, `_manifest.json`, then `_SUCCESS` — is built under a hidden
 * temporary name beside its final place (same file system), then renamed into place in one
 * step. A failure (disk full, cancel, crash) leaves at most a hidden `.tx-tmp-*` folder that the
 * next export of that folder sweeps away, never a partial folder under the final name.
 * A path that climbs (`..`) or resolves through a symlink to outside every root is refused.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ExportError } from './export-error.js';
import { MANIFEST_NAME, SUCCESS_BYTES, SUCCESS_NAME } from './manifest.js';

export interface LocalPlan {
  finalDir: string;
  /** Becomes finalDir: the writer puts data files here. */
  stageDir: string;
  /** Intermediates (stage database, plain files before bzip2); removed at the end. */
  scratchDir: string;
  root: string;
}

function inside(child: string, parent: string): boolean {
  const rel = path.relative(parent, child);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
}

function insideOrSame(child: string, parent: string): boolean {
  return child === parent || inside(child, parent);
}

async function lstatOrNull(p: string): Promise<fs.Stats | null> {
  try {
    return await fs.promises.lstat(p);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

const escapeError = (dir: string, roots: string[], why: string, what = 'folder'): ExportError =>
  new ExportError('EXPORT_PATH', `local export ${what} ${dir} ${why}`, {
    hint: `local exports may only write under export_roots (${roots.join(', ') || 'none configured'}); add a root to project.yml \`export_roots:\` to allow another place`,
  });

/**
 * Check `target` (a folder, or with `file` a file) against the roots, lexically and through
 * symlinks, and create its parent folder. Returns the root it lies under.
 */
async function checkUnderRoot(dir: string, exportRoots: string[], file = false): Promise<{ finalDir: string; root: string }> {
  const finalDir = path.resolve(dir);
  const what = file ? 'file' : 'folder';
  if (dir.split(/[\\/]+/).includes('..')) throw escapeError(dir, exportRoots, 'contains `..`', what);
  const roots = exportRoots.map((r) => path.resolve(r));
  const root = roots.filter((r) => inside(finalDir, r)).sort((a, b) => b.length - a.length)[0];
  if (!root) {
    if (roots.includes(finalDir)) throw escapeError(finalDir, exportRoots, 'is an export root itself: export into a folder below it (set `path:`)', what);
    throw escapeError(finalDir, exportRoots, 'is outside every export root', what);
  }
  await fs.promises.mkdir(root, { recursive: true });
  const realRoot = await fs.promises.realpath(root);
  // Walk down from the root: any existing component must be a real folder, or a symlink that
  // stays inside the root.
  const rel = path.relative(root, finalDir).split(path.sep);
  let cur = root;
  for (let i = 0; i < rel.length; i++) {
    cur = path.join(cur, rel[i]!);
    const st = await lstatOrNull(cur);
    if (!st) break;
    const last = i === rel.length - 1;
    if (st.isSymbolicLink()) {
      if (last) throw escapeError(finalDir, exportRoots, `is a symlink; tx replaces export ${what}s and will not follow one`, what);
      const real = await fs.promises.realpath(cur).catch(() => null);
      if (!real || !insideOrSame(real, realRoot)) throw escapeError(finalDir, exportRoots, `goes through the symlink ${cur}, which leads outside its export root`, what);
    } else if (last && file) {
      if (!st.isFile()) throw new ExportError('EXPORT_PATH', `local export file ${finalDir} exists and is not a file; tx will not replace it`);
    } else if (!st.isDirectory()) {
      throw new ExportError('EXPORT_PATH', `local export ${what} ${finalDir}: ${cur} is a file, not a folder`);
    }
  }
  const parent = path.dirname(finalDir);
  await fs.promises.mkdir(parent, { recursive: true });
  const realParent = await fs.promises.realpath(parent);
  if (!insideOrSame(realParent, realRoot)) throw escapeError(finalDir, exportRoots, 'resolves to outside its export root', what);
  await sweepStale(parent, path.basename(finalDir));
  return { finalDir, root };
}

/** Check `dir` against the roots (lexically and through symlinks) and create its staging folders. */
export async function planLocal(dir: string, exportRoots: string[]): Promise<LocalPlan> {
  const { finalDir, root } = await checkUnderRoot(dir, exportRoots);
  const parent = path.dirname(finalDir);
  const tag = `${path.basename(finalDir)}-${process.pid}-${randomBytes(4).toString('hex')}`;
  const stageDir = path.join(parent, `.tx-tmp-${tag}`);
  const scratchDir = path.join(parent, `.tx-scratch-${tag}`);
  await fs.promises.mkdir(stageDir);
  await fs.promises.mkdir(scratchDir);
  return { finalDir, stageDir, scratchDir, root };
}

/** One file published in place of another: written under a hidden name beside it, then renamed over it. */
export interface LocalFilePlan {
  finalFile: string;
  /** The writer writes here; `publishLocalFile` renames it to finalFile. */
  stageFile: string;
  root: string;
}

/** Check `file` against the roots as planLocal checks a folder; the staged file is a hidden sibling. */
export async function planLocalFile(file: string, exportRoots: string[]): Promise<LocalFilePlan> {
  const { finalDir: finalFile, root } = await checkUnderRoot(file, exportRoots, true);
  const tag = `${path.basename(finalFile)}-${process.pid}-${randomBytes(4).toString('hex')}`;
  // the extension stays last, so a writer that reads it (DuckDB's COPY) sees the same name
  const stageFile = path.join(path.dirname(finalFile), `.tx-tmp-${tag}${path.extname(finalFile)}`);
  return { finalFile, stageFile, root };
}

/** Make the staged file durable and rename it over the final one (one step: readers see the old file or the new). */
export async function publishLocalFile(plan: LocalFilePlan): Promise<void> {
  const fh = await fs.promises.open(plan.stageFile, 'r+');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
  await fs.promises.rename(plan.stageFile, plan.finalFile);
  await syncDir(path.dirname(plan.finalFile));
}

/** Remove the staged file (a no-op after publish). */
export async function discardLocalFile(plan: LocalFilePlan): Promise<void> {
  await fs.promises.rm(plan.stageFile, { force: true });
}

/** Remove leftovers of crashed exports of the same folder (their process is gone). */
async function sweepStale(parent: string, name: string): Promise<void> {
  const re = new RegExp(`^\\.tx-(?:tmp|scratch|old)-${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}-(\\d+)-[0-9a-f]{8}(?:\\.[A-Za-z0-9]+)?$`);
  for (const e of await fs.promises.readdir(parent).catch(() => [] as string[])) {
    const m = re.exec(e);
    if (!m) continue;
    const pid = Number(m[1]);
    let alive = pid === process.pid;
    if (!alive) {
      try {
        process.kill(pid, 0);
        alive = true;
      } catch {
        alive = false;
      }
    }
    if (!alive) await fs.promises.rm(path.join(parent, e), { recursive: true, force: true });
  }
}

async function writeDurable(file: string, data: Buffer): Promise<void> {
  const fh = await fs.promises.open(file, 'w');
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

async function syncDir(dir: string): Promise<void> {
  try {
    const fh = await fs.promises.open(dir, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  } catch {
    /* not supported everywhere; best effort */
  }
}

/**
 * Write the manifest, then `_SUCCESS`, into the staged folder, then move it into place. Without a
 * manifest (dbt-duckdb's external models, whose folders hold data files only) just the move.
 */
export async function publishLocal(plan: LocalPlan, manifest: Buffer | null): Promise<void> {
  if (manifest) {
    await writeDurable(path.join(plan.stageDir, MANIFEST_NAME), manifest);
    await writeDurable(path.join(plan.stageDir, SUCCESS_NAME), SUCCESS_BYTES);
  }
  await syncDir(plan.stageDir);
  const parent = path.dirname(plan.finalDir);
  const existing = await lstatOrNull(plan.finalDir);
  if (!existing) {
    await fs.promises.rename(plan.stageDir, plan.finalDir);
  } else {
    if (!existing.isDirectory() || existing.isSymbolicLink()) {
      throw new ExportError('EXPORT_PATH', `local export folder ${plan.finalDir} exists and is not a folder; tx will not replace it`);
    }
    // Replace: move the old folder aside, move the new one in, then delete the old one.
    const old = path.join(parent, `.tx-old-${path.basename(plan.stageDir).slice('.tx-tmp-'.length)}`);
    await fs.promises.rename(plan.finalDir, old);
    try {
      await fs.promises.rename(plan.stageDir, plan.finalDir);
    } catch (e) {
      await fs.promises.rename(old, plan.finalDir).catch(() => undefined);
      throw e;
    }
    await fs.promises.rm(old, { recursive: true, force: true });
  }
  await syncDir(parent);
}

/** Remove the staging folders (after success, only scratch is left; after failure, both). */
export async function discardLocal(plan: LocalPlan): Promise<void> {
  await fs.promises.rm(plan.scratchDir, { recursive: true, force: true });
  await fs.promises.rm(plan.stageDir, { recursive: true, force: true });
}
