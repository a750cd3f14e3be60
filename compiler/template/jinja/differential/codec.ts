/**
 * The context codec of the differential Jinja2 test: JSON with tags for the Python values JSON
 * cannot say, decoded alike by render.py (into Python values) and by decode() here (into tx's
 * value model, see ../values.ts):
 *
 *   JSON                          Python            tx
 *   1, "a", true, null, [..]      int/str/bool/None/list, the same in JS
 *   1.5                           float             PyFloat
 *   {"$float": 1}                 1.0               PyFloat(1)
 *   {"$tuple": [..]}              tuple             makeTuple([..])
 *   {"$set": [..]}                set               Set
 *   {"$dict": [[k, v], ..]}       dict (any keys)   Map
 *   {"$obj": {..}}                dict              a plain JS object (a dict handed in by host code)
 *   {..} (any other object)       dict              Map (insertion order kept, as Python's dict)
 */
import { makeTuple, PyFloat } from '../values.js';

export type Encoded = null | boolean | number | string | Encoded[] | { [key: string]: Encoded };

/** Helpers to write encoded values in the corpus. */
export const py = {
  float: (x: number): Encoded => ({ $float: x }),
  tuple: (...items: Encoded[]): Encoded => ({ $tuple: items }),
  set: (...items: Encoded[]): Encoded => ({ $set: items }),
  dict: (...pairs: [Encoded, Encoded][]): Encoded => ({ $dict: pairs }),
  obj: (o: Record<string, Encoded>): Encoded => ({ $obj: o }),
};

function tag(v: { [key: string]: Encoded }): [string, Encoded] | null {
  const keys = Object.keys(v);
  if (keys.length !== 1 || !keys[0]!.startsWith('$')) return null;
  return [keys[0]!, v[keys[0]!]!];
}

/** Decodes an encoded value into tx's value model. */
export function decode(v: Encoded): unknown {
  if (v === null || typeof v === 'boolean' || typeof v === 'string') return v;
  if (typeof v === 'number') return Number.isInteger(v) ? v : new PyFloat(v);
  if (Array.isArray(v)) return v.map(decode);
  const t = tag(v);
  if (t) {
    const [k, x] = t;
    if (k === '$float') return new PyFloat(x as number);
    if (k === '$tuple') return makeTuple((x as Encoded[]).map(decode));
    if (k === '$set') return new Set((x as Encoded[]).map(decode));
    if (k === '$dict') return new Map((x as [Encoded, Encoded][]).map(([a, b]) => [decode(a), decode(b)]));
    if (k === '$obj') {
      const o: Record<string, unknown> = {};
      for (const [a, b] of Object.entries(x as Record<string, Encoded>)) o[a] = decode(b);
      return o;
    }
  }
  return new Map(Object.entries(v).map(([a, b]) => [a, decode(b)]));
}

/** Decodes an encoded context (a JSON object) into a record of template variables. */
export function decodeContext(ctx: Record<string, Encoded> | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(ctx ?? {})) out[k] = decode(v);
  return out;
}
