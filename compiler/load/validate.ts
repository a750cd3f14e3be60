import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Ajv as AjvClass, ErrorObject, ValidateFunction } from 'ajv';
import { TxError, didYouMean } from '../errors.js';
import { requireCached } from './code-cache.js';
import { packageRoot } from './package-root.js';
import type { YamlFile } from './yaml-file.js';

// ajv itself is only needed when running from source without a build (the build precompiles
// every validator): loaded on first use, it stays out of every command's start-up time.
let ajvInstance: AjvClass | undefined;
function ajv(): AjvClass {
  // Stryker disable next-line ConditionalExpression: equivalent (a cache: without it a new Ajv is made per compile, same results)
  if (!ajvInstance) {
    const { Ajv } = createRequire(import.meta.url)('ajv') as typeof import('ajv');
    ajvInstance = new Ajv({ allErrors: true, verbose: true, strict: false, allowUnionTypes: true });
  }
  return ajvInstance;
}
const validators = new Map<string, ValidateFunction>();

/** The JSON Schema shipped in schemas/ (also used by editors through yaml-language-server). */
export function loadSchema(name: 'project' | 'properties'): Record<string, unknown> {
  return JSON.parse(readFileSync(join(packageRoot(), 'schemas', `${name}.schema.json`), 'utf8')) as Record<string, unknown>;
}

/** Validators precompiled by build-validators.ts; absent when running from source without a build. */
let precompiled: Record<string, ValidateFunction> | null | undefined;
// Stryker disable all: equivalent (precompiled validators only save start-up time: without them ajv compiles the same schemas)
function fromBuild(key: string): ValidateFunction | undefined {
  if (precompiled === undefined) {
    const path = join(packageRoot(), 'dist', 'validators.cjs');
    // through the code cache (code-cache.ts): 430 kB of validators, a tenth of a first `tx ls`'s compiling
    precompiled = (requireCached(path) as Record<string, ValidateFunction> | undefined) ?? null;
  }
  return precompiled?.[key];
}
// Stryker restore all

function validator(name: 'project' | 'properties'): ValidateFunction {
  let v = validators.get(name) ?? fromBuild(name);
  if (!v) {
    v = ajv().compile(loadSchema(name));
    validators.set(name, v);
  }
  return v;
}

/** Validate a value against a sub-schema of project.schema.json (e.g. `model_config`). */
export function validateDefinition(def: string, value: unknown, file: string, line: number | undefined, what: string): void {
  const key = `def:${def}`;
  // Stryker disable next-line LogicalOperator,ConditionalExpression: equivalent (a cache: without it the definition is compiled again, same results)
  let v = validators.get(key) ?? fromBuild(key);
  // Stryker disable next-line ConditionalExpression: equivalent (as above)
  if (!v) {
    const schema = loadSchema('project');
    const definitions = schema.definitions as Record<string, unknown>;
    v = ajv().compile({ ...(definitions[def] as object), definitions });
    validators.set(key, v);
  }
  if (!v(value)) throw toTxError(v.errors ?? [], file, () => line, what);
}

/** Validate a whole YAML file against a shipped schema; the first error becomes a TxError with file:line. */
export function validateYaml(name: 'project' | 'properties', file: YamlFile): void {
  const v = validator(name);
  if (!v(file.value)) throw toTxError(v.errors ?? [], file.path, (p) => file.lineOf(p), name === 'project' ? 'project.yml' : 'properties');
}

function pointerToPath(pointer: string): (string | number)[] {
  if (!pointer) return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

function toTxError(errors: ErrorObject[], file: string, lineOf: (p: (string | number)[]) => number | undefined, what: string): TxError {
  // Prefer unknown-key errors: they are the typos users lose data to.
  const sorted = [...errors].sort((a, b) => rank(a) - rank(b));
  const e = sorted[0]!;
  const path = pointerToPath(e.instancePath);
  const where = path.length ? path.join('.') : 'top level';
  if (e.keyword === 'additionalProperties') {
    const key = (e.params as { additionalProperty: string }).additionalProperty;
    const props = Object.keys(((e.parentSchema as { properties?: object })?.properties ?? {}) as object);
    return new TxError('PROJECT', `unknown key \`${key}\` in ${what} (${where})`, {
      file,
      line: lineOf([...path, key]),
      hint: didYouMean(key, props) ?? `allowed keys: ${props.join(', ')}`,
    });
  }
  if (e.keyword === 'enum') {
    const allowed = (e.params as { allowedValues: unknown[] }).allowedValues;
    return new TxError('PROJECT', `invalid value ${JSON.stringify(e.data)} for \`${where}\` in ${what}`, {
      file,
      line: lineOf(path),
      hint: didYouMean(String(e.data), allowed.map(String)) ?? `allowed: ${allowed.join(', ')}`,
    });
  }
  if (e.keyword === 'required') {
    return new TxError('PROJECT', `missing required key \`${(e.params as { missingProperty: string }).missingProperty}\` in ${what} (${where})`, {
      file,
      line: lineOf(path),
    });
  }
  return new TxError('PROJECT', `\`${where}\` ${e.message ?? 'is invalid'} in ${what}`, { file, line: lineOf(path) });
}

function rank(e: ErrorObject): number {
  if (e.keyword === 'additionalProperties') return 0;
  if (e.keyword === 'enum') return 1;
  if (e.keyword === 'required') return 2;
  // Stryker disable next-line all: equivalent for the shipped schemas (their oneOf branches are disjoint types, so ajv
  // always reports a failed branch, ranked 5 or less, before the oneOf itself)
  if (e.keyword === 'oneOf' || e.keyword === 'anyOf') return 9;
  return 5;
}
