/**
 * Python's json.dumps (default arguments: ensure_ascii, ', ' and ': ' separators, NaN allowed,
 * circular check) and json.loads (ints stay ints, floats become PyFloat, objects become dicts),
 * on the evaluator's values.
 */
import { Markup, PyError, PyFloat, isPlainObject } from '../jinja/values.js';
import { compare, floatRepr, typeName } from '../jinja/py.js';

function encodeString(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const ch = s[i]!;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (c === 10) out += '\\n';
    else if (c === 13) out += '\\r';
    else if (c === 9) out += '\\t';
    else if (c === 8) out += '\\b';
    else if (c === 12) out += '\\f';
    else if (c < 0x20 || c > 0x7e) out += '\\u' + c.toString(16).padStart(4, '0');
    else out += ch;
  }
  return out + '"';
}

function floatText(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (n === Infinity) return 'Infinity';
  if (n === -Infinity) return '-Infinity';
  return floatRepr(n);
}

function isIntLike(x: unknown): x is number {
  return typeof x === 'number' && Number.isInteger(x);
}

function keyText(k: unknown): string {
  if (typeof k === 'string') return k;
  if (k instanceof Markup) return k.value;
  if (typeof k === 'boolean') return k ? 'true' : 'false';
  if (k === null || k === undefined) return 'null';
  if (isIntLike(k)) return String(k);
  if (typeof k === 'number' || k instanceof PyFloat) return floatText(typeof k === 'number' ? k : k.value);
  throw new PyError('TypeError', `keys must be str, int, float, bool or None, not ${typeName(k)}`);
}

function entriesOf(d: Map<unknown, unknown> | Record<string, unknown>): [unknown, unknown][] {
  return d instanceof Map ? [...d.entries()] : Object.entries(d);
}

/** Python's sorted() on dict keys: TypeError when they do not compare. */
function sortKeys(entries: [unknown, unknown][]): [unknown, unknown][] {
  return [...entries].sort((a, b) => (compare('<', a[0], b[0]) ? -1 : compare('<', b[0], a[0]) ? 1 : 0));
}

/** json.dumps(value, sort_keys=sortKeys). */
export function jsonDumps(value: unknown, sortKeysFlag: boolean): string {
  const stack = new Set<unknown>();
  const enc = (x: unknown): string => {
    if (typeof x === 'string') return encodeString(x);
    if (x instanceof Markup) return encodeString(x.value);
    if (x === null || x === undefined) return 'null';
    if (x === true) return 'true';
    if (x === false) return 'false';
    if (isIntLike(x)) return String(x);
    if (typeof x === 'number') return floatText(x);
    if (x instanceof PyFloat) return floatText(x.value);
    if (Array.isArray(x)) {
      if (x.length === 0) return '[]';
      if (stack.has(x)) throw new PyError('ValueError', 'Circular reference detected');
      stack.add(x);
      const out = '[' + x.map(enc).join(', ') + ']';
      stack.delete(x);
      return out;
    }
    if (x instanceof Map || isPlainObject(x)) {
      let entries = entriesOf(x);
      if (entries.length === 0) return '{}';
      if (stack.has(x)) throw new PyError('ValueError', 'Circular reference detected');
      stack.add(x);
      if (sortKeysFlag) entries = sortKeys(entries);
      const parts = entries.map(([k, v]) => encodeString(keyText(k)) + ': ' + enc(v));
      stack.delete(x);
      return '{' + parts.join(', ') + '}';
    }
    throw new PyError('TypeError', `Object of type ${shortTypeName(x)} is not JSON serializable`);
  };
  return enc(value);
}

/** The class __name__ (without the module) of a value, as json's message prints it. */
export function shortTypeName(x: unknown): string {
  const t = typeName(x);
  const dot = t.lastIndexOf('.');
  return dot >= 0 ? t.slice(dot + 1) : t;
}

// ---------------------------------------------------------------------------------------------
// loads

class JsonDecodeError extends PyError {
  constructor(msg: string, doc: string, pos: number) {
    const lineno = doc.slice(0, pos).split('\n').length;
    const colno = pos - doc.lastIndexOf('\n', pos - 1);
    super('JSONDecodeError', `${msg}: line ${lineno} column ${colno} (char ${pos})`);
  }
}

const WS = /[ \t\n\r]*/y;
const NUMBER = /(-?(?:0|[1-9][0-9]*))(\.[0-9]+)?([eE][-+]?[0-9]+)?/y;

/** json.loads(s): Python values (dicts as Map). */
export function jsonLoads(s: unknown): unknown {
  if (typeof s !== 'string' && !(s instanceof Markup))
    throw new PyError('TypeError', `the JSON object must be str, bytes or bytearray, not ${typeName(s)}`);
  const doc = typeof s === 'string' ? s : s.value;
  if (doc.startsWith('\ufeff')) throw new JsonDecodeError('Unexpected UTF-8 BOM (decode using utf-8-sig)', doc, 0);
  let i = 0;
  const ws = (): void => {
    WS.lastIndex = i;
    WS.exec(doc);
    i = WS.lastIndex;
  };
  const value = (): unknown => {
    const c = doc[i];
    if (c === '"') return str();
    if (c === '{') return obj();
    if (c === '[') return arr();
    if (doc.startsWith('null', i)) {
      i += 4;
      return null;
    }
    if (doc.startsWith('true', i)) {
      i += 4;
      return true;
    }
    if (doc.startsWith('false', i)) {
      i += 5;
      return false;
    }
    if (doc.startsWith('NaN', i)) {
      i += 3;
      return new PyFloat(NaN);
    }
    if (doc.startsWith('Infinity', i)) {
      i += 8;
      return new PyFloat(Infinity);
    }
    if (doc.startsWith('-Infinity', i)) {
      i += 9;
      return new PyFloat(-Infinity);
    }
    NUMBER.lastIndex = i;
    const m = NUMBER.exec(doc);
    if (m) {
      i = NUMBER.lastIndex;
      if (m[2] !== undefined || m[3] !== undefined) return new PyFloat(Number(m[0]));
      return Number(m[1]);
    }
    throw new JsonDecodeError('Expecting value', doc, i);
  };
  const str = (): string => {
    const start = i;
    i++;
    let out = '';
    for (;;) {
      if (i >= doc.length) throw new JsonDecodeError('Unterminated string starting at', doc, start);
      const c = doc[i]!;
      if (c === '"') {
        i++;
        return out;
      }
      if (c === '\\') {
        const e = doc[i + 1];
        if (e === undefined) throw new JsonDecodeError('Unterminated string starting at', doc, start);
        const simple: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
        if (e in simple) {
          out += simple[e];
          i += 2;
          continue;
        }
        if (e === 'u') {
          const hex = doc.slice(i + 2, i + 6);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) throw new JsonDecodeError('Invalid \\uXXXX escape', doc, i + 1);
          out += String.fromCharCode(parseInt(hex, 16));
          i += 6;
          continue;
        }
        throw new JsonDecodeError('Invalid \\escape', doc, i);
      }
      if (c.charCodeAt(0) < 0x20) throw new JsonDecodeError('Invalid control character at', doc, i);
      out += c;
      i++;
    }
  };
  const obj = (): Map<unknown, unknown> => {
    const start = i;
    i++;
    const out = new Map<unknown, unknown>();
    ws();
    if (doc[i] === '}') {
      i++;
      return out;
    }
    for (;;) {
      if (doc[i] !== '"') throw new JsonDecodeError('Expecting property name enclosed in double quotes', doc, i);
      const k = str();
      ws();
      if (doc[i] !== ':') throw new JsonDecodeError("Expecting ':' delimiter", doc, i);
      i++;
      ws();
      const v = value();
      out.set(k, v);
      ws();
      if (doc[i] === '}') {
        i++;
        return out;
      }
      if (doc[i] !== ',') throw new JsonDecodeError("Expecting ',' delimiter", doc, i);
      i++;
      ws();
      if (doc[i] === '}' && start >= 0) throw new JsonDecodeError('Illegal trailing comma before end of object', doc, i);
    }
  };
  const arr = (): unknown[] => {
    i++;
    const out: unknown[] = [];
    ws();
    if (doc[i] === ']') {
      i++;
      return out;
    }
    for (;;) {
      out.push(value());
      ws();
      if (doc[i] === ']') {
        i++;
        return out;
      }
      if (doc[i] !== ',') throw new JsonDecodeError("Expecting ',' delimiter", doc, i);
      i++;
      ws();
      if (doc[i] === ']') throw new JsonDecodeError('Illegal trailing comma before end of array', doc, i);
    }
  };
  ws();
  const v = value();
  ws();
  if (i !== doc.length) throw new JsonDecodeError('Extra data', doc, i);
  return v;
}

export function isJsonDecodeError(e: unknown): boolean {
  return e instanceof PyError && (e.type === 'JSONDecodeError' || e.type === 'ValueError');
}
