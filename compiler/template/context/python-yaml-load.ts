/**
 * PyYAML's yaml.safe_load: the `yaml` package parses (YAML 1.1, every scalar kept as text) and
 * this file constructs Python values as PyYAML's SafeLoader does: its YAML 1.1 implicit resolver
 * (yes/no/on/off booleans, 0o10-style octal 010, sexagesimal 1:30, timestamps to date/datetime),
 * explicit !!tags, merge keys, anchors shared by identity, sets.
 */
import { Alias, isAlias, isMap, isPair, isScalar, isSeq, parseAllDocuments, type Node as YamlNode } from 'yaml';
import { PyError, PyFloat, makeTuple } from '../jinja/values.js';
import { dictSet } from '../jinja/py.js';
import { FixedTimezone, TimeDelta, UTC_TIMEZONE, makeDateTime, date as makeDate } from './python-datetime.js';
import { resolveImplicit } from './python-yaml-dump.js';

const TAG = 'tag:yaml.org,2002:';

/** PyYAML's YAMLError family (ReaderError, ScannerError, ComposerError, ConstructorError). */
export class YamlError extends PyError {}

const NON_PRINTABLE = /[^\x09\x0A\x0D\x20-\x7E\x85\xA0-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

function constructInt(text: string): number {
  let value = text.replace(/_/g, '');
  if (value === '') throw new PyError('IndexError', 'string index out of range');
  let sign = 1;
  if (value[0] === '-') sign = -1;
  if (value[0] === '+' || value[0] === '-') value = value.slice(1);
  if (value === '0') return 0;
  if (value.startsWith('0b')) return sign * parseInt(value.slice(2), 2);
  if (value.startsWith('0x')) return sign * parseInt(value.slice(2), 16);
  if (value[0] === '0') return sign * parseInt(value, 8);
  if (value.includes(':')) {
    const digits = value.split(':').map(Number).reverse();
    let base = 1;
    let n = 0;
    for (const d of digits) {
      n += d * base;
      base *= 60;
    }
    return sign * n;
  }
  return sign * Number(value);
}

function constructFloat(text: string): PyFloat {
  let value = text.replace(/_/g, '').toLowerCase();
  if (value === '') throw new PyError('IndexError', 'string index out of range');
  let sign = 1;
  if (value[0] === '-') sign = -1;
  if (value[0] === '+' || value[0] === '-') value = value.slice(1);
  if (value === '.inf') return new PyFloat(sign * Infinity);
  if (value === '.nan') return new PyFloat(NaN);
  if (value.includes(':')) {
    const digits = value.split(':').map(Number).reverse();
    let base = 1;
    let n = 0;
    for (const d of digits) {
      n += d * base;
      base *= 60;
    }
    return new PyFloat(sign * n);
  }
  return new PyFloat(sign * Number(value));
}

const TIMESTAMP =
  /^([0-9][0-9][0-9][0-9])-([0-9][0-9]?)-([0-9][0-9]?)(?:(?:[Tt]|[ \t]+)([0-9][0-9]?):([0-9][0-9]):([0-9][0-9])(?:\.([0-9]*))?(?:[ \t]*(Z|([-+])([0-9][0-9]?)(?::([0-9][0-9]))?))?)?$/;

function constructTimestamp(text: string): unknown {
  const m = TIMESTAMP.exec(text);
  if (!m) throw new YamlError('ConstructorError', `could not parse timestamp ${text}`);
  const [, y, mo, d, h, mi, s, frac, tz, tzSign, tzHour, tzMinute] = m;
  if (h === undefined) return makeDate(Number(y), Number(mo), Number(d));
  let fraction = 0;
  if (frac) fraction = Number(frac.slice(0, 6).padEnd(6, '0'));
  let tzinfo: FixedTimezone | null = null;
  if (tzSign) {
    let us = (Number(tzHour) * 3600 + Number(tzMinute ?? 0) * 60) * 1_000_000;
    if (tzSign === '-') us = -us;
    tzinfo = us === 0 ? UTC_TIMEZONE : new FixedTimezone(new TimeDelta(BigInt(us)));
  } else if (tz) tzinfo = UTC_TIMEZONE;
  return makeDateTime(Number(y), Number(mo), Number(d), Number(h), Number(mi), Number(s), fraction, tzinfo, 0);
}

function constructScalar(tag: string, text: string): unknown {
  switch (tag) {
    case TAG + 'null':
      return null;
    case TAG + 'bool':
      return ({ yes: true, no: false, true: true, false: false, on: true, off: false } as Record<string, boolean>)[text.toLowerCase()] ?? fail(tag, text);
    case TAG + 'int':
      return constructInt(text);
    case TAG + 'float':
      return constructFloat(text);
    case TAG + 'timestamp':
      return constructTimestamp(text);
    case TAG + 'str':
      return text;
    default:
      return fail(tag, text);
  }
}

function fail(tag: string, _text: string): never {
  throw new YamlError('ConstructorError', `could not determine a constructor for the tag '${tag}'`);
}

function scalarTag(node: YamlNode & { tag?: string; type?: string; value?: unknown }): string {
  const explicit = node.tag;
  if (explicit && explicit !== '!') return explicit;
  if (explicit === '!') return TAG + 'str';
  if (node.type === 'PLAIN') return resolveImplicit(String(node.value ?? ''));
  return TAG + 'str';
}

class Constructor {
  constructor(private readonly source: string) {}
  private readonly anchors = new Map<string, unknown>();
  private readonly nodesByAnchor = new Map<string, YamlNode>();

  construct(node: YamlNode | null | undefined): unknown {
    if (node === null || node === undefined) return null;
    if (isAlias(node)) {
      const name = (node as Alias).source;
      if (!this.anchors.has(name)) throw new YamlError('ComposerError', `found undefined alias '${name}'`);
      return this.anchors.get(name);
    }
    const anchor = (node as { anchor?: string }).anchor;
    if (isScalar(node)) {
      let text = String(node.value ?? '');
      // a block scalar that ends the stream without a line break keeps none (libyaml)
      if ((node.type === 'BLOCK_LITERAL' || node.type === 'BLOCK_FOLDED') && node.range && node.range[1] >= this.source.length && !this.source.endsWith('\n') && text.endsWith('\n'))
        text = text.slice(0, -1);
      const v = constructScalar(scalarTag(node as never), text);
      if (anchor) this.remember(anchor, v, node);
      return v;
    }
    if (isSeq(node)) {
      const tag = node.tag ?? TAG + 'seq';
      if (tag === TAG + 'omap' || tag === TAG + 'pairs') {
        const out: unknown[] = [];
        if (anchor) this.remember(anchor, out, node);
        for (const item of node.items as YamlNode[]) {
          if (!isMap(item) || item.items.length !== 1)
            throw new YamlError('ConstructorError', `expected a mapping of length 1`);
          const pair = item.items[0]!;
          out.push(makeTuple([this.construct(pair.key as YamlNode), this.construct(pair.value as YamlNode)]));
        }
        return out;
      }
      if (tag !== TAG + 'seq') fail(tag, '');
      const out: unknown[] = [];
      if (anchor) this.remember(anchor, out, node);
      for (const item of node.items as YamlNode[]) out.push(this.construct(item));
      return out;
    }
    if (isMap(node)) {
      const tag = node.tag ?? TAG + 'map';
      if (tag === TAG + 'set') {
        const out = new Set<unknown>();
        if (anchor) this.remember(anchor, out, node);
        for (const pair of this.flatten(node)) out.add(this.key(pair[0]));
        return out;
      }
      if (tag !== TAG + 'map') fail(tag, '');
      const out = new Map<unknown, unknown>();
      if (anchor) this.remember(anchor, out, node);
      for (const [k, v] of this.flatten(node)) {
        const key = this.key(k);
        dictSet(out, key, this.construct(v));
      }
      return out;
    }
    throw new YamlError('ConstructorError', 'unknown node');
  }

  private remember(anchor: string, v: unknown, node: YamlNode): void {
    const earlier = this.nodesByAnchor.get(anchor);
    if (earlier !== undefined && earlier !== node) throw new YamlError('ComposerError', `found duplicate anchor '${anchor}'`);
    this.anchors.set(anchor, v);
    this.nodesByAnchor.set(anchor, node);
  }

  private key(k: YamlNode | null): unknown {
    // flatten_mapping retags a `=` key as str
    const v = k !== null && isScalar(k) && scalarTag(k as never) === TAG + 'value' ? '=' : this.construct(k);
    if (Array.isArray(v) || v instanceof Map || v instanceof Set)
      throw new YamlError('ConstructorError', 'found unhashable key');
    return v;
  }

  private resolveAlias(n: YamlNode | null): YamlNode | null {
    if (n && isAlias(n)) {
      const target = this.nodesByAnchor.get((n as Alias).source);
      if (!target) throw new YamlError('ComposerError', `found undefined alias '${(n as Alias).source}'`);
      return target;
    }
    return n;
  }

  /** PyYAML's flatten_mapping: merge keys (<<) first, then the mapping's own pairs. */
  private flatten(node: YamlNode): [YamlNode | null, YamlNode | null][] {
    const own: [YamlNode | null, YamlNode | null][] = [];
    const merge: [YamlNode | null, YamlNode | null][] = [];
    const mergedKeys = new Set<YamlNode | null>();
    if (!isMap(node)) return own;
    for (const pair of node.items) {
      if (!isPair(pair)) continue;
      const k = pair.key as YamlNode | null;
      const v = pair.value as YamlNode | null;
      const isMerge = k !== null && isScalar(k) && scalarTag(k as never) === TAG + 'merge';
      if (!isMerge) {
        own.push([k, v]);
        continue;
      }
      // PyYAML 6.0.4: merged pairs in order, each key node once
      const add = (pairs: [YamlNode | null, YamlNode | null][]): void => {
        for (const pr of pairs) {
          if (mergedKeys.has(pr[0])) continue;
          mergedKeys.add(pr[0]);
          merge.push(pr);
        }
      };
      const target = this.resolveAlias(v);
      if (target && isMap(target)) {
        this.construct(v); // registers anchors defined inside
        add(this.flatten(target));
      } else if (target && isSeq(target)) {
        for (const item of target.items as YamlNode[]) {
          const m = this.resolveAlias(item);
          if (!m || !isMap(m)) throw new YamlError('ConstructorError', 'expected a mapping for merging');
          add(this.flatten(m));
        }
      } else throw new YamlError('ConstructorError', 'expected a mapping or list of mappings for merging');
    }
    return [...merge, ...own];
  }
}

/** The Python value PyYAML's SafeLoader constructs for one node of a document parsed from `source` (YAML 1.1, failsafe schema). */
export function constructPython(node: YamlNode | null | undefined, source: string): unknown {
  return new Constructor(source).construct(node);
}

/** yaml.safe_load(text): Python values, or a YamlError. */
export function yamlSafeLoad(text: string): unknown {
  if (NON_PRINTABLE.test(text)) throw new YamlError('ReaderError', 'unacceptable character');
  const docs = parseAllDocuments(text, { version: '1.1', schema: 'failsafe', uniqueKeys: false, strict: false });
  if (!Array.isArray(docs)) throw new YamlError('YAMLError', 'bad stream');
  for (const d of docs) if (d.errors.length > 0) throw new YamlError('ScannerError', d.errors[0]!.message);
  if (docs.length > 1) throw new YamlError('ComposerError', 'expected a single document in the stream');
  if (docs.length === 0) return null;
  return new Constructor(text).construct(docs[0]!.contents as YamlNode | null);
}
