/**
 * Every call by plain name in a template, with literal arguments where they are literals,
 * and every other name it reads. Lets the compiler learn a model's refs, sources and
 * config without rendering it. `dynamic` is set when the template could call or rebind
 * those functions in ways a reading of the tree cannot follow (macro definitions, call
 * blocks, assignments to a name that is also called, `*args`/`**kwargs` splats).
 */
import { walk, type Expr, type Stmt, type Target } from './jinja/ast.js';
import { makeTuple, PyFloat } from './jinja/values.js';

export interface StaticCall {
  name: string;
  /** Literal positional arguments, or null when one is not a literal. */
  args: unknown[] | null;
  /** Literal keyword arguments, or null when one is not a literal. */
  kw: Record<string, unknown> | null;
}

/** What literalValue gives for an expression that is not a literal. */
const NOT_LITERAL: unique symbol = Symbol('not a literal');

/** The value of a literal expression, or NOT_LITERAL (no object per call: every call's arguments pass here). */
function literalValue(e: Expr): unknown {
  switch (e.k) {
    case 'const':
      return e.v instanceof PyFloat ? e.v.value : e.v;
    case 'list':
    case 'tuple': {
      const out: unknown[] = [];
      for (const x of e.items) {
        const v = literalValue(x);
        if (v === NOT_LITERAL) return NOT_LITERAL;
        out.push(v);
      }
      return e.k === 'tuple' ? makeTuple(out) : out;
    }
    case 'dict': {
      const out: Record<string, unknown> = {};
      for (const [k, v] of e.items) {
        const a = literalValue(k);
        const b = literalValue(v);
        if (a === NOT_LITERAL || b === NOT_LITERAL || typeof a !== 'string') return NOT_LITERAL;
        out[a] = b;
      }
      return out;
    }
    case 'un':
      if (e.op === '-') {
        const v = literalValue(e.a);
        return typeof v === 'number' ? -v : NOT_LITERAL;
      }
      return NOT_LITERAL;
    default:
      return NOT_LITERAL;
  }
}

export function staticCalls(body: Stmt[]): { calls: StaticCall[]; names: Set<string>; assigned: Set<string>; dynamic: boolean } {
  const calls: StaticCall[] = [];
  const names = new Set<string>();
  const assigned = new Set<string>();
  let dynamic = false;
  // a name that is called is a call, not a read: collect callee nodes to tell them apart
  const callees = new Set<Expr>();
  const visitT = (t: Target): void => {
    if (t.k === 'name') assigned.add(t.n);
    else if (t.k === 'tuple') t.items.forEach(visitT);
  };
  walk(
    body,
    (e) => {
      if (e.k === 'name') {
        if (!callees.has(e)) names.add(e.n);
        return;
      }
      if (e.k !== 'call' && e.k !== 'filter' && e.k !== 'test') return;
      if (e.dynArgs || e.dynKw) dynamic = true;
      if (e.k !== 'call' || e.f.k !== 'name') return;
      callees.add(e.f);
      const args: unknown[] = [];
      let ok = !e.dynArgs;
      for (const a of e.args) {
        const v = literalValue(a);
        if (v === NOT_LITERAL) ok = false;
        args.push(v === NOT_LITERAL ? undefined : v);
      }
      const kw: Record<string, unknown> = {};
      let kwOk = !e.dynKw;
      for (const [k, x] of e.kw) {
        const v = literalValue(x);
        if (v === NOT_LITERAL) kwOk = false;
        kw[k] = v === NOT_LITERAL ? undefined : v;
      }
      calls.push({ name: e.f.n, args: ok ? args : null, kw: kwOk ? kw : null });
    },
    (s) => {
      if (s.k === 'macro' || s.k === 'callblock') {
        dynamic = true;
        return false;
      }
      if (s.k === 'set' || s.k === 'setblock' || s.k === 'for') visitT(s.target);
      else if (s.k === 'with') s.targets.forEach(([t]) => visitT(t));
      return true;
    },
  );
  return { calls, names, assigned, dynamic };
}
