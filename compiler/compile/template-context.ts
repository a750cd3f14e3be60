import { TxError, didYouMean } from '../errors.js';
import type { Dialect, Relation } from '../../targets/target.js';
import { checkEnvVarRead } from '../log/scrub.js';
import { Kwargs, PY_STR, PY_REPR, PyError } from '../template/jinja/values.js';

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
}

export function relationValue(r: Relation, dialect: Dialect): RelationValue {
  return new RelationValue(r, dialect.relationName(r));
}

/**
 * `var(name, default)` over CLI vars then project vars. A string value may itself be a
 * template (`"{{ env_var('BUCKET', 'x') }}"`), rendered when read.
 */
export function makeVar(vars: Record<string, unknown>, render?: (s: string, where: string) => string): (...args: unknown[]) => unknown {
  return (...args) => {
    const { pos, kw } = splitArgs(args);
    const name = String(pos[0]);
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
