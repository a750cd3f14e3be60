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
