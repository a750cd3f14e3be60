/**
 * A project's parsed YAML files kept between runs, by content: the project file, its properties
 * files, packages.yml and the packages' own files (never a profiles file, never --vars). A first
 * `tx ls` or `tx compile` of the example project spent about 50 ms of its ~170 ms parsing 20 kB of
 * YAML with a parser not yet compiled by V8; a file whose text is unchanged is read back here from
 * the JSON the last run wrote (JSON.parse is native).
 *
 * Entries are keyed by the text itself (sha1 of the dialect and the text) and by tx itself (its
 * version and the files running, as the fingerprint of `tx compile` trusts them: a rebuilt tx
 * reads none of the old entries). An entry holds the parsed value, the line of every node (what
 * YamlFile.lineOf answers) and the duplicate keys; a file whose value JSON cannot hold exactly
 * (aliases and merge keys, which share objects; infinities, NaN, -0) is never kept.
 *
 * One file per project folder under $XDG_CACHE_HOME/tx/yaml (~/.cache/tx/yaml), written when the
 * process exits if a run parsed something new, holding the entries that run used; the oldest files
 * go beyond MAX_FILES. Any error reading or writing it is ignored: the files are then parsed.
 * The CLI turns it on (enableYamlCache); TX_NO_YAML_CACHE=1 turns it off.
 */
import { hash } from 'node:crypto';
import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { lineOf } from '../compile/fingerprint-line.js';
import { txVersion } from './package-root.js';
import { DEAD_TMP_MS, isTempOf, userCacheDir, writeCacheFile } from './user-cache.js';

/**
 * The lines of a file's nodes, as a tree mirroring its value: a node's line, or a node with children
 * as [its line (null: none), its children by the JSON of their key or index (`"name"`, `0`)].
 */
export type LineTree = number | null | [number | null, Record<string, LineTree>];

/** A parsed file as kept: its value, its nodes' lines, its duplicate keys. */
export interface YamlEntry {
  value: unknown;
  lines: LineTree;
  duplicateKeys: { key: string; line: number }[];
}

/** Files kept in the folder; the least recently written beyond this are removed. */
const MAX_FILES = 256;

interface Store {
  file: string;
  /** The last run's entries (their JSON text), read on first use. */
  saved: Map<string, string> | undefined;
  /** The entries this run used or made: what is written. */
  used: Map<string, string>;
  dirty: boolean;
}

let enabled = false;
let store: Store | undefined;
let identity: string | undefined;

/** The folder of the cache files. */
export function yamlCacheDir(): string {
  return userCacheDir('yaml');
}

/** Let loadProject keep parsed files (the CLI does; a library caller or a test does not unless it asks). */
export function enableYamlCache(on = true): void {
  enabled = on;
  if (!on) store = undefined;
}

/** Open the store of the project in `projectDir` for this process (loadProject calls it). */
export function openYamlCache(projectDir: string): void {
  if (!enabled || process.env.TX_NO_YAML_CACHE === '1') {
    store = undefined;
    return;
  }
  const file = join(yamlCacheDir(), `${hash('sha1', projectDir, 'hex').slice(0, 32)}.json`);
  if (store?.file === file) return;
  if (store?.dirty) save(store);
  store = { file, saved: undefined, used: new Map(), dirty: false };
}

/** A file as the compile fingerprint sees it (path, size, mtime). */
const statLine = (file: string | undefined): string => lineOf(file ?? '', file ? statSync(file, { throwIfNoEntry: false }) : undefined);

/** tx itself: its version, the file the process runs and this module's file (a rebuilt tx keys every entry anew). */
function txIdentity(): string {
  let self: string | undefined;
  try {
    self = fileURLToPath(import.meta.url);
  } catch {
    self = undefined;
  }
  return (identity ??= ['tx yaml 2', txVersion(), statLine(process.argv[1]), statLine(self)].join('\n'));
}

/** The key of a text read in a dialect. */
function keyOf(text: string, dialect: string): string {
  return hash('sha1', `${txIdentity()}\n${dialect}\n${text}`, 'base64');
}

function readSaved(s: Store): Map<string, string> {
  if (s.saved) return s.saved;
  s.saved = new Map();
  try {
    const v = JSON.parse(readFileSync(s.file, 'utf8')) as { entries?: Record<string, unknown> };
    for (const [k, e] of Object.entries(v.entries ?? {})) if (typeof e === 'string') s.saved.set(k, e);
  } catch {
    // none yet, or unreadable: parse
  }
  return s.saved;
}

/** The kept entry of `text`, a fresh copy (undefined when there is none or the cache is off). */
export function cachedYaml(text: string, dialect: string): YamlEntry | undefined {
  const s = store;
  if (!s) return undefined;
  const key = keyOf(text, dialect);
  const json = s.used.get(key) ?? readSaved(s).get(key);
  if (json === undefined) return undefined;
  try {
    const e = JSON.parse(json) as YamlEntry;
    if (!e || typeof e !== 'object' || !validTree(e.lines) || !Array.isArray(e.duplicateKeys)) return undefined;
    // (a file gone from the project leaves with the next write, when something new is kept)
    s.used.set(key, json);
    return e;
  } catch {
    return undefined;
  }
}

/** Whether `t` looks like a tree of lines at its root (lineInTree reads a damaged one as no lines below). */
function validTree(t: unknown): t is LineTree {
  return t === null || typeof t === 'number' || (Array.isArray(t) && t.length === 2 && (t[0] === null || typeof t[0] === 'number') && !!t[1] && typeof t[1] === 'object');
}

/** Keep a newly parsed file's entry (nothing when the cache is off). */
export function keepYaml(text: string, dialect: string, entry: YamlEntry): void {
  const s = store;
  if (!s) return;
  s.used.set(keyOf(text, dialect), JSON.stringify(entry));
  markDirty(s);
}

function markDirty(s: Store): void {
  if (s.dirty) return;
  s.dirty = true;
  process.once('exit', () => {
    if (s.dirty) save(s);
  });
}

function save(s: Store): void {
  s.dirty = false;
  // (the user's alone, as the project files it copies may not be everyone's to read; a read-only or full home: no cache)
  if (!writeCacheFile(s.file, JSON.stringify({ entries: Object.fromEntries(s.used) }), true)) return;
  try {
    const dir = yamlCacheDir();
    const names = readdirSync(dir);
    const now = Date.now();
    // a killed process's temporary file
    for (const f of names) if (isTempOf(f, '.json') && now - statSync(join(dir, f)).mtimeMs > DEAD_TMP_MS) rmSync(join(dir, f), { force: true });
    const files = names.filter((f) => f.endsWith('.json'));
    if (files.length > MAX_FILES) {
      const byAge = files.map((f) => ({ f, t: statSync(join(dir, f)).mtimeMs })).sort((a, b) => a.t - b.t);
      for (const { f } of byAge.slice(0, files.length - MAX_FILES)) rmSync(join(dir, f), { force: true });
    }
  } catch {
    // another process removing the same files: theirs to finish
  }
}

/** Whether JSON holds `v` exactly: finite numbers but -0, strings, booleans, null, dense arrays and plain objects of those. */
export function jsonExact(v: unknown, depth = 0): boolean {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return true;
  if (typeof v === 'number') return Number.isFinite(v) && !Object.is(v, -0);
  if (typeof v !== 'object' || depth > 200) return false;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) if (!(i in v) || !jsonExact(v[i], depth + 1)) return false;
    return true;
  }
  if (Object.getPrototypeOf(v) !== Object.prototype) return false;
  for (const k of Object.keys(v)) if (!jsonExact((v as Record<string, unknown>)[k], depth + 1)) return false;
  return true;
}
