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

/** The expressions directly inside an expression (in source order). */
export function childExprs(e: Expr): (Expr | null)[] {
  switch (e.k) {
    case 'const':
    case 'name':
      return [];
    case 'getattr':
      return [e.o];
    case 'getitem':
      return [e.o, e.i];
    case 'slice':
      return [e.start, e.stop, e.step];
    case 'call':
      return [e.f, ...callArgExprs(e)];
    case 'filter':
    case 'test':
      return [e.node, ...callArgExprs(e)];
    case 'list':
    case 'tuple':
      return e.items;
    case 'dict':
      return e.items.flat();
    case 'cond':
      return [e.test, e.a, e.b];
    case 'bin':
      return [e.a, e.b];
    case 'un':
      return [e.a];
    case 'compare':
      return [e.first, ...e.ops.map(([, x]) => x)];
  }
}

function callArgExprs(a: CallArgs): (Expr | null)[] {
  return [...a.args, ...a.kw.map(([, x]) => x), a.dynArgs, a.dynKw];
}

/**
 * Walk statements: `onExpr` sees every expression (outermost first, then its children),
 * `onStmt` every statement before its parts; a false return from `onStmt` skips its parts.
 */
export function walk(stmts: Stmt[], onExpr: (e: Expr) => void, onStmt: (s: Stmt) => boolean | void = () => true): void {
  const visitE = (e: Expr | null): void => {
    if (!e) return;
    onExpr(e);
    for (const c of childExprs(e)) visitE(c);
  };
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
