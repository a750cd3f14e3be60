/**
 * The syntax tree of a Jinja2 template, as jinja2's parser builds it (jinja2/nodes.py,
 * reduced to what evaluation needs). `at` is an offset into the normalised source.
 */

export interface CallArgs {
  args: Expr[];
  kw: [string, Expr][];
  /** `*args` */
  dynArgs: Expr | null;
  /** `**kwargs` */
  dynKw: Expr | null;
}

export type Expr =
  | { k: 'const'; v: unknown; at: number }
  | { k: 'name'; n: string; at: number }
  | { k: 'getattr'; o: Expr; n: string; at: number }
  | { k: 'getitem'; o: Expr; i: Expr; at: number }
  | { k: 'slice'; start: Expr | null; stop: Expr | null; step: Expr | null; at: number }
  | ({ k: 'call'; f: Expr; at: number } & CallArgs)
  | ({ k: 'filter'; node: Expr | null; name: string; at: number } & CallArgs)
  | ({ k: 'test'; node: Expr; name: string; at: number } & CallArgs)
  | { k: 'list'; items: Expr[]; at: number }
  | { k: 'tuple'; items: Expr[]; at: number }
  | { k: 'dict'; items: [Expr, Expr][]; at: number }
  | { k: 'cond'; test: Expr; a: Expr; b: Expr | null; at: number }
  | { k: 'bin'; op: string; a: Expr; b: Expr; at: number }
  | { k: 'un'; op: 'not' | '-' | '+'; a: Expr; at: number }
  | { k: 'compare'; first: Expr; ops: [string, Expr][]; at: number };

/** Where an assignment stores: a name, a tuple of targets, or `ns.attr`. */
export type Target =
  | { k: 'name'; n: string; at: number }
  | { k: 'tuple'; items: Target[]; at: number }
  | { k: 'nsref'; ns: string; attr: string; at: number };

export interface Param {
  name: string;
  default: Expr | null;
}

export type Stmt =
  | { k: 'data'; s: string }
  | { k: 'out'; e: Expr; at: number }
  | { k: 'if'; test: Expr; body: Stmt[]; orelse: Stmt[]; at: number }
  | { k: 'for'; target: Target; iter: Expr; filter: Expr | null; recursive: boolean; body: Stmt[]; orelse: Stmt[]; at: number }
  | { k: 'set'; target: Target; e: Expr; at: number }
  | { k: 'setblock'; target: Target; filter: Expr | null; body: Stmt[]; at: number }
  | { k: 'macro'; name: string; params: Param[]; body: Stmt[]; at: number }
  | { k: 'callblock'; call: Expr; params: Param[]; body: Stmt[]; at: number }
  | { k: 'filterblock'; filter: Expr; body: Stmt[]; at: number }
  | { k: 'with'; targets: [Target, Expr][]; body: Stmt[]; at: number }
  | { k: 'do'; e: Expr; at: number }
  | { k: 'break'; at: number }
  | { k: 'continue'; at: number }
  | { k: 'scope'; body: Stmt[]; at: number }
  /** A statement that raises when run (`{% include %}` and friends without a loader). */
  | { k: 'raise'; type: string; message: string; at: number };

export interface TemplateAst {
  body: Stmt[];
  /** The normalised source the offsets point into. */
  source: string;
}

/**
 * Visit `e` and every expression inside it, outermost first, then its parts in source order, without building a list per node: the compiler walks every model's tree.
 */
function visitExpr(e: Expr | null, onExpr: (e: Expr) => void): void {
  if (!e) return;
  onExpr(e);
  switch (e.k) {
    case 'const':
    case 'name':
      return;
    case 'getattr':
      visitExpr(e.o, onExpr);
      return;
    case 'getitem':
      visitExpr(e.o, onExpr);
      visitExpr(e.i, onExpr);
      return;
    case 'slice':
      visitExpr(e.start, onExpr);
      visitExpr(e.stop, onExpr);
      visitExpr(e.step, onExpr);
      return;
    case 'call':
      visitExpr(e.f, onExpr);
      visitCallArgs(e, onExpr);
      return;
    case 'filter':
    case 'test':
      visitExpr(e.node, onExpr);
      visitCallArgs(e, onExpr);
      return;
    case 'list':
    case 'tuple':
      for (const x of e.items) visitExpr(x, onExpr);
      return;
    case 'dict':
      for (const [k, v] of e.items) {
        visitExpr(k, onExpr);
        visitExpr(v, onExpr);
      }
      return;
    case 'cond':
      visitExpr(e.test, onExpr);
      visitExpr(e.a, onExpr);
      visitExpr(e.b, onExpr);
      return;
    case 'bin':
      visitExpr(e.a, onExpr);
      visitExpr(e.b, onExpr);
      return;
    case 'un':
      visitExpr(e.a, onExpr);
      return;
    case 'compare':
      visitExpr(e.first, onExpr);
      for (const [, x] of e.ops) visitExpr(x, onExpr);
      return;
  }
}

function visitCallArgs(a: CallArgs, onExpr: (e: Expr) => void): void {
  for (const x of a.args) visitExpr(x, onExpr);
  for (const [, x] of a.kw) visitExpr(x, onExpr);
  visitExpr(a.dynArgs, onExpr);
  visitExpr(a.dynKw, onExpr);
}

/**
 * Walk statements: `onExpr` sees every expression (outermost first, then its children),
 * `onStmt` every statement before its parts; a false return from `onStmt` skips its parts.
 */
export function walk(stmts: Stmt[], onExpr: (e: Expr) => void, onStmt: (s: Stmt) => boolean | void = () => true): void {
  const visitE = (e: Expr | null): void => visitExpr(e, onExpr);
  for (const s of stmts) {
    if (onStmt(s) === false) continue;
    switch (s.k) {
      case 'out':
      case 'do':
      case 'set':
        visitE(s.e);
        break;
      case 'setblock':
        visitE(s.filter);
        walk(s.body, onExpr, onStmt);
        break;
      case 'if':
        visitE(s.test);
        walk(s.body, onExpr, onStmt);
        walk(s.orelse, onExpr, onStmt);
        break;
      case 'for':
        visitE(s.iter);
        visitE(s.filter);
        walk(s.body, onExpr, onStmt);
        walk(s.orelse, onExpr, onStmt);
        break;
      case 'macro':
        s.params.forEach((p) => visitE(p.default));
        walk(s.body, onExpr, onStmt);
        break;
      case 'callblock':
        visitE(s.call);
        s.params.forEach((p) => visitE(p.default));
        walk(s.body, onExpr, onStmt);
        break;
      case 'filterblock':
        visitE(s.filter);
        walk(s.body, onExpr, onStmt);
        break;
      case 'with':
        s.targets.forEach(([, e]) => visitE(e));
        walk(s.body, onExpr, onStmt);
        break;
      case 'scope':
        walk(s.body, onExpr, onStmt);
        break;
      default:
        break;
    }
  }
}
