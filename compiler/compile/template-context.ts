import { TxError, didYouMean } from '../errors.js';
import type { Dialect, Relation } from '../../targets/target.js';
import { checkEnvVarRead } from '../log/scrub.js';
import { Kwargs, PY_MAPPING, PY_STR, PY_REPR, PyError } from '../template/jinja/values.js';

/** Split the template calling convention: positional args and a trailing Kwargs. */
export function splitArgs(args: unknown[]): { pos: unknown[]; kw: Record<string, unknown> } {
  const last = args[args.length - 1];
  if (last instanceof Kwargs) return { pos: args.slice(0, -1), kw: Object.fromEntries(last.values) };
  return { pos: args, kw: {} };
}

/** What `ref()`, `source()` and `this` return: renders as the quoted name, with attributes. */
export class RelationValue {
  readonly database?: string;
  readonly schema: string;
  readonly identifier: string;
  readonly name: string;
  constructor(
    relation: Relation,
    private readonly rendered: string,
  ) {
    this.database = relation.database;
    this.schema = relation.schema;
    this.identifier = relation.identifier;
    this.name = relation.identifier;
  }
  toString(): string {
    return this.rendered;
  }
  [PY_STR](): string {
    return this.rendered;
  }
  [PY_REPR](): string {
    return `<Relation ${this.rendered}>`;
  }
  render(): string {
    return this.rendered;
  }
  get [PY_MAPPING](): boolean {
    return true;
  }
  /** dbt's relations are mappings: `relation.get('metadata')` names the class (dbt_utils checks it). */
  get(key: unknown, d: unknown = null): unknown {
    if (key === 'metadata') return { type: 'BaseRelation' };
    if (key === 'path') return { database: this.database ?? null, schema: this.schema, identifier: this.identifier };
    if (key === 'quote_policy') return { database: true, schema: true, identifier: true };
    return d;
  }
}

/**
 * dbt's Relation in templates: a RelationValue that also knows its type and answers
 * `incorporate`, `include`, `is_table`, `without_identifier`, ... as dbt's BaseRelation does.
 */
export class DbtRelation extends RelationValue {
  constructor(
    readonly relation: Relation,
    private readonly dialect: Dialect,
    readonly type: string | null = null,
    private readonly parts: { database: boolean; schema: boolean; identifier: boolean } = { database: true, schema: true, identifier: true },
  ) {
    super(relation, DbtRelation.renderOf(relation, dialect, parts));
  }
  private static renderOf(r: Relation, dialect: Dialect, parts: { database: boolean; schema: boolean; identifier: boolean }): string {
    if (parts.database && parts.schema && parts.identifier) return dialect.relationName(r);
    const out: string[] = [];
    if (parts.database && r.database) out.push(dialect.quoteIdentifier(r.database));
    if (parts.schema && r.schema) out.push(dialect.quoteIdentifier(r.schema));
    if (parts.identifier && r.identifier) out.push(dialect.quoteIdentifier(r.identifier));
    return out.join('.');
  }
  get table(): string {
    return this.identifier;
  }
  get is_table(): boolean {
    return this.type === 'table';
  }
  get is_view(): boolean {
    return this.type === 'view';
  }
  get is_cte(): boolean {
    return this.type === 'cte';
  }
  get path(): Record<string, unknown> {
    return { database: this.database ?? null, schema: this.schema, identifier: this.identifier };
  }
  incorporate(...args: unknown[]): DbtRelation {
    const { kw } = splitArgs(args);
    // path={'identifier': ...} is a Jinja dict (a Map); a host object works too
    const given = kw.path;
    const path: Record<string, unknown> = given instanceof Map ? Object.fromEntries([...(given as Map<unknown, unknown>)].map(([k, v]) => [String(k), v])) : ((given ?? {}) as Record<string, unknown>);
    const r: Relation = {
      database: path.database === undefined ? this.database : path.database == null ? undefined : String(path.database),
      schema: path.schema === undefined ? this.schema : String(path.schema),
      identifier: path.identifier === undefined ? this.identifier : String(path.identifier),
    };
    return new DbtRelation(r, this.dialect, kw.type === undefined ? this.type : (kw.type as string | null), this.parts);
  }
  include(...args: unknown[]): DbtRelation {
    const { kw } = splitArgs(args);
    const b = (k: 'database' | 'schema' | 'identifier') => (kw[k] === undefined ? this.parts[k] : Boolean(kw[k]));
    return new DbtRelation(this.relation, this.dialect, this.type, { database: b('database'), schema: b('schema'), identifier: b('identifier') });
  }
  without_identifier(): DbtRelation {
    return new DbtRelation(this.relation, this.dialect, this.type, { ...this.parts, identifier: false });
  }
  quote(): DbtRelation {
    return this;
  }
}

export function relationValue(r: Relation, dialect: Dialect): RelationValue {
  return new DbtRelation(r, dialect);
}

/**
 * `var(name, default)` over CLI vars then project vars. A string value may itself be a
 * template (`"{{ env_var('BUCKET', 'x') }}"`), rendered when read.
 */
export function makeVar(varsOf: Record<string, unknown> | (() => Record<string, unknown>), render?: (s: string, where: string) => string): (...args: unknown[]) => unknown {
  return (...args) => {
    const { pos, kw } = splitArgs(args);
    const name = String(pos[0]);
    const vars = typeof varsOf === 'function' ? varsOf() : varsOf;
    if (Object.prototype.hasOwnProperty.call(vars, name)) {
      const v = vars[name];
      return render && typeof v === 'string' && v.includes('{{') ? render(v, `var ${name}`) : v;
    }
    if (pos.length > 1) return pos[1];
    if ('default' in kw) return kw.default;
    throw new TxError('VAR', `var \`${name}\` has no value and no default`, {
      hint: didYouMean(name, Object.keys(vars)) ?? `set it under \`vars:\` in project.yml or pass --vars '{${name}: ...}'`,
      cause: new PyError('CompilationError', `Required var '${name}' not found in config`),
    });
  };
}

/** `env_var(name, default)`. */
export function makeEnvVar(env: NodeJS.ProcessEnv): (...args: unknown[]) => unknown {
  return (...args) => {
    const { pos, kw } = splitArgs(args);
    const name = String(pos[0]);
    const v = env[name];
    checkEnvVarRead(name, v); // DBT_ENV_SECRET_* / TX_ENV_SECRET_*: only in targets, hooks, exports
    if (v !== undefined) return v;
    if (pos.length > 1) return pos[1];
    if ('default' in kw) return kw.default;
    throw new TxError('VAR', `environment variable \`${name}\` is not set and env_var() gives no default`, {
      hint: `export ${name}=... or write env_var('${name}', 'default')`,
      cause: new PyError('EnvVarMissingError', `Env var required but not provided: '${name}'`),
    });
  };
}
