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

function literalValue(e: Expr): { ok: boolean; v?: unknown } {
  switch (e.k) {
    case 'const':
      return { ok: true, v: e.v instanceof PyFloat ? e.v.value : e.v };
    case 'list':
    case 'tuple': {
      const out: unknown[] = [];
      for (const x of e.items) {
        const r = literalValue(x);
        if (!r.ok) return { ok: false };
        out.push(r.v);
      }
      return { ok: true, v: e.k === 'tuple' ? makeTuple(out) : out };
    }
    case 'dict': {
      const out: Record<string, unknown> = {};
      for (const [k, v] of e.items) {
        const a = literalValue(k);
        const b = literalValue(v);
        if (!a.ok || !b.ok || typeof a.v !== 'string') return { ok: false };
        out[a.v] = b.v;
      }
      return { ok: true, v: out };
    }
    case 'un':
      if (e.op === '-') {
        const r = literalValue(e.a);
        return r.ok && typeof r.v === 'number' ? { ok: true, v: -r.v } : { ok: false };
      }
      return { ok: false };
    default:
      return { ok: false };
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
        const r = literalValue(a);
        if (!r.ok) ok = false;
        args.push(r.v);
      }
      const kw: Record<string, unknown> = {};
      let kwOk = !e.dynKw;
      for (const [k, v] of e.kw) {
        const r = literalValue(v);
        if (!r.ok) kwOk = false;
        kw[k] = r.v;
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
