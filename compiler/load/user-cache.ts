/**
 * tx's files in the user's cache folder ($XDG_CACHE_HOME/tx, ~/.cache/tx): the V8 code cache
 * (code-cache.ts) and the parsed YAML files (yaml-cache.ts). This file imports nothing but Node:
 * the bin loads the code cache before anything else of tx.
 */
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

/** A temporary file this old was left by a writer that died (a killed process, a full disk): the next write removes it. */
export const DEAD_TMP_MS = 3600 * 1000;

/** Whether `name` is a temporary file writeCacheFile makes for a file ending in `ext` (`x.json.tmp-123`). */
export function isTempOf(name: string, ext: string): boolean {
  const at = name.lastIndexOf('.tmp-');
  return at > 0 && name.slice(0, at).endsWith(ext) && /^\d+$/.test(name.slice(at + 5));
}

/** The folder `name` of tx's user cache. */
export function userCacheDir(name: string): string {
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'tx', name);
}

/**
 * Write `file` whole or not at all: a temporary file beside it, renamed over it, so a reader sees
 * the old file or the new one. False when it could not be written (a read-only or full home, a
 * folder that is a file): nothing is left behind, and the caller runs without its cache.
 * `private`: the folder and file are the user's alone (0700, 0600).
 */
export function writeCacheFile(file: string, data: string | Buffer, priv = false): boolean {
  const tmp = `${file}.tmp-${process.pid}`;
  try {
    mkdirSync(dirname(file), priv ? { recursive: true, mode: 0o700 } : { recursive: true });
    writeFileSync(tmp, data, priv ? { mode: 0o600 } : undefined);
    renameSync(tmp, file);
    return true;
  } catch {
    try {
      rmSync(tmp, { force: true });
    } catch {
      // (its folder is not one: nothing was written)
    }
    return false;
  }
}
