/**
 * Every call by plain name in a template, with literal arguments where they are literals,
 * and every other name it reads. Lets the compiler learn a model's refs, sources and
 * config without rendering it. `dynamic` is set when the template could call or rebind
 * those functions in ways a reading of the tree cannot follow (macro definitions, call
 * blocks, assignments to a name that is also called, `*args`/`**kwargs` splats).
 */
import type { CallArgs, Expr, Stmt, Target } from './jinja/ast.js';
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
  const visitArgs = (a: CallArgs): void => {
    a.args.forEach(visitE);
    a.kw.forEach(([, v]) => visitE(v));
    if (a.dynArgs || a.dynKw) dynamic = true;
    visitE(a.dynArgs);
    visitE(a.dynKw);
  };
  const visitE = (e: Expr | null): void => {
    if (!e) return;
    switch (e.k) {
      case 'name':
        names.add(e.n);
        return;
      case 'call':
        if (e.f.k === 'name') {
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
        } else visitE(e.f);
        visitArgs(e);
        return;
      case 'getattr':
        return visitE(e.o);
      case 'getitem':
        visitE(e.o);
        return visitE(e.i);
      case 'slice':
        visitE(e.start);
        visitE(e.stop);
        return visitE(e.step);
      case 'list':
      case 'tuple':
        return e.items.forEach(visitE);
      case 'dict':
        return e.items.forEach(([k, v]) => (visitE(k), visitE(v)));
      case 'un':
        return visitE(e.a);
      case 'bin':
        visitE(e.a);
        return visitE(e.b);
      case 'compare':
        visitE(e.first);
        return e.ops.forEach(([, x]) => visitE(x));
      case 'filter':
        visitE(e.node);
        return visitArgs(e);
      case 'test':
        visitE(e.node);
        return visitArgs(e);
      case 'cond':
        visitE(e.test);
        visitE(e.a);
        return visitE(e.b);
      case 'const':
        return;
    }
  };
  const visitT = (t: Target): void => {
    if (t.k === 'name') assigned.add(t.n);
    else if (t.k === 'tuple') t.items.forEach(visitT);
  };
  const visitS = (ss: Stmt[]): void => {
    for (const s of ss) {
      switch (s.k) {
        case 'out':
        case 'do':
          visitE(s.e);
          break;
        case 'set':
          visitT(s.target);
          visitE(s.e);
          break;
        case 'setblock':
          visitT(s.target);
          visitE(s.filter);
          visitS(s.body);
          break;
        case 'if':
          visitE(s.test);
          visitS(s.body);
          visitS(s.orelse);
          break;
        case 'for':
          visitT(s.target);
          visitE(s.iter);
          visitE(s.filter);
          visitS(s.body);
          visitS(s.orelse);
          break;
        case 'with':
          s.targets.forEach(([t, e]) => (visitT(t), visitE(e)));
          visitS(s.body);
          break;
        case 'filterblock':
          visitE(s.filter);
          visitS(s.body);
          break;
        case 'scope':
          visitS(s.body);
          break;
        case 'macro':
        case 'callblock':
          dynamic = true;
          break;
        default:
          break;
      }
    }
  };
  visitS(body);
  return { calls, names, assigned, dynamic };
}
