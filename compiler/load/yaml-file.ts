import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument, isAlias, isMap, isSeq, isScalar, type Document, type Node as YamlNode } from 'yaml';
import { TxError } from '../errors.js';
import { constructPython, YamlError } from '../template/context/python-yaml-load.js';
import { PyFloat, isTuple } from '../template/jinja/values.js';
import { pyStr } from '../template/jinja/py.js';
import { cachedYaml, jsonExact, keepYaml, type LineTree, type YamlEntry } from './yaml-cache.js';

/** A parsed YAML file that can say on which line any value sits. */
export interface YamlFile {
  path: string;
  value: unknown;
  /** 1-based line of the node at `path` (keys and indexes), or of the nearest ancestor. */
  lineOf(path: (string | number)[]): number | undefined;
  /**
   * A dbt project's file (PyYAML): keys written twice in one mapping, with the line of the later one.
   * PyYAML keeps the last value and dbt-core 1.10 warns ("Duplicate 'models' key found in yaml file
   * …"), so tx does both; tx's own YAML 1.2 files refuse them.
   */
  duplicateKeys: { key: string; line: number }[];
}

/**
 * How a file's scalars are read: tx's own files as YAML 1.2 (the `yaml` package's core schema); a dbt
 * project's files (dbt_project.yml, properties, packages.yml, profiles.yml) as dbt reads them, with
 * PyYAML's SafeLoader: YAML 1.1's `yes`/`no`/`on`/`off` booleans, `0777` octals, `1_000` ints,
 * sexagesimal `1:30`, `1e3` a string, `<<` merge keys.
 */
export type YamlDialect = 'yaml-1.2' | 'pyyaml';

/**
 * A Python value from PyYAML as tx's loader holds values: dicts as plain objects (non-string keys
 * as Python's str() of them), tuples and sets as arrays, floats as numbers, dates and datetimes as
 * Python's str() of them (what `{{ var(...) }}` prints in dbt).
 */
function plain(v: unknown): unknown {
  if (v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
  if (v instanceof PyFloat) return v.value;
  if (Array.isArray(v) || isTuple(v)) return (v as unknown[]).map(plain);
  if (v instanceof Set) return [...v].map(plain);
  if (v instanceof Map) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of v) out[typeof k === 'string' ? k : pyStr(k)] = plain(x);
    return out;
  }
  return pyStr(v);
}

export function parseYaml(text: string, path: string, dialect: YamlDialect = 'yaml-1.2'): YamlFile {
  return parseDoc(text, path, dialect).file;
}

/** parseYaml, with the document and its line counter. */
function parseDoc(text: string, path: string, dialect: YamlDialect): { file: YamlFile; doc: Document; lineCounter: LineCounter } {
  const lineCounter = new LineCounter();
  const py = dialect === 'pyyaml';
  const doc: Document = parseDocument(text, py ? { lineCounter, prettyErrors: false, uniqueKeys: false, version: '1.1', schema: 'failsafe' } : { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length) {
    const e = doc.errors[0]!;
    // linePos is only filled in with prettyErrors; the offset always is.
    const pos = e.linePos?.[0] ?? (e.pos ? lineCounter.linePos(e.pos[0]) : undefined);
    throw new TxError('YAML', `YAML syntax error: ${e.message.split('\n')[0]}`, {
      file: path,
      line: pos?.line,
      column: pos?.col,
    });
  }
  let value: unknown;
  if (py) {
    try {
      value = plain(constructPython(doc.contents as YamlNode | null, text));
    } catch (e) {
      if (!(e instanceof YamlError)) throw e;
      throw new TxError('YAML', `YAML error: ${e.message}`, { file: path });
    }
  } else value = doc.toJS({ maxAliasCount: 100 }) as unknown;
  const lineOf = (p: (string | number)[]): number | undefined => {
    for (let n = p.length; n >= 0; n--) {
      const sub = p.slice(0, n);
      let node: unknown = sub.length ? doc.getIn(sub, true) : doc.contents;
      // For a map key, prefer the key's own position.
      if (n > 0) {
        const parent = n > 1 ? doc.getIn(p.slice(0, n - 1), true) : doc.contents;
        if (isMap(parent)) {
          const pair = parent.items.find((it) => isScalar(it.key) && it.key.value === p[n - 1]);
          if (pair && isScalar(pair.key) && pair.key.range) node = pair.key;
        }
      }
      const range = (node as YamlNode | undefined)?.range;
      if (range) return lineCounter.linePos(range[0]).line;
      if (node && (isMap(node) || isSeq(node)) && (node as YamlNode).range) return lineCounter.linePos((node as YamlNode).range![0]).line;
    }
    return undefined;
  };
  return { file: { path, value, lineOf, duplicateKeys: py ? duplicateKeysOf(doc, lineCounter) : [] }, doc, lineCounter };
}

/**
 * What yaml-cache.ts keeps of a parsed file: its value, and the line lineOf answers for each path
 * to a node, as a tree mirroring the value (lineOf of a longer path is then its longest prefix's).
 * Undefined when JSON cannot hold it as it is: aliases and merge keys (shared objects), or a value
 * JSON changes (an infinity, NaN, -0).
 */
export function yamlEntry(f: YamlFile, doc: Document, lineCounter: LineCounter): YamlEntry | undefined {
  if (!jsonExact(f.value)) return undefined;
  let shared = false;
  const at = (n: unknown): number | undefined => {
    const range = (n as YamlNode | undefined)?.range;
    return range ? lineCounter.linePos(range[0]).line : undefined;
  };
  // `line`: a map value's key line, which lineOf gives for the value's path (yaml's getIn finds a key's first pair)
  const walk = (node: unknown, line: number | undefined): LineTree | undefined => {
    if (shared) return undefined;
    if (isAlias(node)) {
      shared = true;
      return undefined;
    }
    const own = line ?? at(node) ?? null;
    const children: Record<string, LineTree> = {};
    let any = false;
    if (isMap(node)) {
      for (const it of node.items) {
        if (isAlias(it.key) || (isScalar(it.key) && it.key.value === '<<')) {
          shared = true;
          return undefined;
        }
        // a scalar key's own line (a parsed key always has one); the first of two equal keys
        const k = isScalar(it.key) ? it.key.value : undefined;
        if (typeof k !== 'string' && typeof k !== 'number') continue;
        const key = JSON.stringify(k);
        const keyLine = at(it.key);
        if (keyLine === undefined || key in children) continue;
        children[key] = walk(it.value, keyLine) ?? keyLine;
        any = true;
      }
    } else if (isSeq(node)) {
      node.items.forEach((it, i) => {
        const sub = walk(it, undefined);
        if (sub !== undefined) {
          children[String(i)] = sub;
          any = true;
        }
      });
    }
    if (shared) return undefined;
    return any ? [own, children] : own === null ? undefined : own;
  };
  const lines = walk(doc.contents, undefined);
  if (shared) return undefined;
  return { value: f.value, lines: lines ?? null, duplicateKeys: f.duplicateKeys };
}

/**
 * The line of `path` in a tree of lines (yamlEntry): that of the longest prefix of the path whose
 * node has one. A step is the JSON of a key or index, as a path's own JSON spells it.
 */
export function lineInTree(tree: LineTree, path: readonly (string | number)[]): number | undefined {
  const lineOfNode = (n: LineTree): number | undefined => {
    const line = Array.isArray(n) ? n[0] : n;
    return typeof line === 'number' ? line : undefined;
  };
  let node = tree;
  let best = lineOfNode(node);
  for (const step of path) {
    const children = Array.isArray(node) ? node[1] : undefined;
    const key = JSON.stringify(step);
    const child = children && typeof children === 'object' && Object.hasOwn(children, key) ? children[key] : undefined;
    if (child === undefined) break;
    best = lineOfNode(child) ?? best;
    node = child;
  }
  return best;
}

/** A YamlFile from a kept entry: lineOf answers from its tree of lines as the document would. */
function fromEntry(path: string, e: YamlEntry): YamlFile {
  return { path, value: e.value, lineOf: (p) => lineInTree(e.lines, p), duplicateKeys: e.duplicateKeys };
}

/** Keys written twice in one mapping anywhere in the document (scalar keys, compared as written). */
function duplicateKeysOf(doc: Document, lineCounter: LineCounter): { key: string; line: number }[] {
  const out: { key: string; line: number }[] = [];
  const seen = new Set<YamlNode>();
  const walk = (node: unknown): void => {
    if (!node || typeof node !== 'object' || seen.has(node as YamlNode)) return;
    seen.add(node as YamlNode);
    if (isMap(node)) {
      const keys = new Set<string>();
      for (const it of node.items) {
        if (isScalar(it.key)) {
          const k = String(it.key.value);
          if (keys.has(k) && k !== '<<') out.push({ key: k, line: it.key.range ? lineCounter.linePos(it.key.range[0]).line : 0 });
          keys.add(k);
        }
        walk(it.value);
      }
    } else if (isSeq(node)) for (const it of node.items) walk(it);
  };
  walk(doc.contents);
  return out;
}

/** dbt-core 1.10's warning for each key written twice in a dbt project's file. */
export function duplicateKeyNotes(yf: YamlFile): string[] {
  return yf.duplicateKeys.map((d) => `Duplicate '${d.key}' key found in yaml file ${yf.path} (line ${d.line}): the last one is used, as dbt does`);
}

/**
 * A YAML file, read and parsed. `cached`: a project's own file (never a profiles file), which the
 * CLI's cache of parsed files (yaml-cache.ts) may serve when its text is unchanged.
 */
export function readYaml(absPath: string, displayPath: string, dialect: YamlDialect = 'yaml-1.2', cached = false): YamlFile {
  const text = readFileSync(absPath, 'utf8');
  if (!cached) return parseYaml(text, displayPath, dialect);
  const kept = cachedYaml(text, dialect);
  if (kept) return fromEntry(displayPath, kept);
  const { file, doc, lineCounter } = parseDoc(text, displayPath, dialect);
  const entry = yamlEntry(file, doc, lineCounter);
  // kept as JSON text: the value handed out now stays this run's own
  if (entry) keepYaml(text, dialect, entry);
  return file;
}
