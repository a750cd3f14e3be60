/**
 * Binding a Python call's arguments (positional, then a trailing Kwargs) to a host function's
 * parameters, with Python's TypeError messages for what does not fit.
 */
import { PyError, splitArgs } from '../jinja/values.js';

export const REQUIRED: unique symbol = Symbol('required');

export interface Param {
  name: string;
  /** The default, or REQUIRED. */
  dflt: unknown;
  /** Keyword-only (after `*` in Python). */
  kwOnly?: boolean;
}

/** p('year'), p('hour', 0), p('fold', 0, true). */
export function p(name: string, ...rest: [] | [unknown] | [unknown, boolean]): Param {
  return { name, dflt: rest.length > 0 ? rest[0] : REQUIRED, kwOnly: rest[1] === true };
}

/**
 * Binds args to params: returns one value per param. `fn` names the function in messages
 * ("datetime.datetime()" style names are passed as they should print).
 */
export function bind(fn: string, params: readonly Param[], args: unknown[]): unknown[] {
  const { pos, kw } = splitArgs(args);
  const positional = params.filter((x) => !x.kwOnly);
  if (pos.length > positional.length) {
    const req = positional.filter((x) => x.dflt === REQUIRED).length;
    const takes = req === positional.length ? `${positional.length}` : `from ${req} to ${positional.length}`;
    throw new PyError(
      'TypeError',
      `${fn}() takes ${takes} positional argument${positional.length === 1 ? '' : 's'} but ${pos.length} ${pos.length === 1 ? 'was' : 'were'} given`,
    );
  }
  const out: unknown[] = new Array(params.length).fill(REQUIRED);
  pos.forEach((v, i) => {
    out[params.indexOf(positional[i]!)] = v;
  });
  for (const [k, v] of kw) {
    const i = params.findIndex((x) => x.name === k);
    if (i < 0) throw new PyError('TypeError', `${fn}() got an unexpected keyword argument '${k}'`);
    if (out[i] !== REQUIRED) throw new PyError('TypeError', `argument for ${fn}() given by name ('${k}') and position (${i + 1})`);
    out[i] = v;
  }
  const missing: string[] = [];
  params.forEach((x, i) => {
    if (out[i] === REQUIRED) {
      if (x.dflt === REQUIRED) missing.push(x.name);
      else out[i] = x.dflt;
    }
  });
  if (missing.length > 0) {
    const names = missing.map((m) => `'${m}'`);
    const list = names.length === 1 ? names[0] : names.slice(0, -1).join(', ') + ' and ' + names[names.length - 1];
    throw new PyError(
      'TypeError',
      `${fn}() missing ${missing.length} required positional argument${missing.length === 1 ? '' : 's'}: ${list}`,
    );
  }
  return out;
}
