/**
 * Templates in a dbt project's properties files, rendered when the file is read as dbt-core 1.10
 * renders them (dbt/parser/schemas.py YamlReader.render_entry with SchemaYamlRenderer): every
 * entry under `models`, `seeds`, `snapshots`, `sources`, `macros`, `analyses`, `exposures`,
 * `metrics`, `groups`, `semantic_models`, `saved_queries` and `unit_tests` is rendered value by
 * value (keys never), except what dbt renders later or never: descriptions, data tests and their
 * arguments, `loaded_at_query`, pre/post hooks in `config`, metric and saved-query filters.
 *
 * The context is dbt's SchemaYamlContext: the base context, `var()` (command line vars, then the
 * project's, a package's own vars under the root's), `env_var()` (a secret variable is an error:
 * these values are stored), `target` and `project_name`. A value that is one `{{ expression }}`
 * keeps the expression's type (a list, a number, a boolean), as dbt's native renderer returns it,
 * unless Jinja folds it into constant text (`{{ 1 + 2 }}` is "3"); any other template renders to
 * text. Descriptions are rendered later, with doc(), as for models (compile-project.ts).
 */
import { TemplateEngine } from '../template/template-engine.js';
import { PyError } from '../template/jinja/values.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Date);

/** The top-level keys dbt reads through a YamlReader (rendered). */
const RENDERED_KEYS = ['models', 'seeds', 'snapshots', 'sources', 'macros', 'analyses', 'exposures', 'metrics', 'groups', 'semantic_models', 'saved_queries', 'unit_tests'];

type Keypath = (string | number)[];
const NORENDER = new Set(['tests', 'data_tests', 'description', 'loaded_at_query']);

/** dbt's SchemaYamlRenderer._is_norender_key. */
function isNorenderKey(k: Keypath): boolean {
  if (k.length >= 1 && NORENDER.has(String(k[0]))) return true;
  if (k.length === 2 && NORENDER.has(String(k[1]))) return true;
  if (k.length >= 2 && k[0] === 'config' && ['pre_hook', 'post_hook', 'loaded_at_query'].includes(String(k[1]))) return true;
  if (k.length === 5 && k[4] === 'description') return true;
  if (k.length >= 3 && ['columns', 'dimensions', 'measures', 'entities'].includes(String(k[0])) && ['tests', 'data_tests', 'description'].includes(String(k[2]))) return true;
  return false;
}

/** dbt's SchemaYamlRenderer.should_render_keypath for an entry under `key`. */
export function shouldRenderKeypath(key: string, k: Keypath): boolean {
  if (k.length < 1) return true;
  if (key === 'sources') {
    if (k[0] === 'description' || k[0] === 'loaded_at_query') return false;
    if (k.length >= 2 && k[0] === 'config' && k[1] === 'loaded_at_query') return false;
    if (k[0] === 'tables' && isNorenderKey(k.slice(2))) return false;
  } else if (key === 'macros') {
    if (k[0] === 'arguments') {
      if (isNorenderKey(k.slice(1))) return false;
    } else if (isNorenderKey(k)) return false;
  } else if (key === 'metrics') {
    if (k[k.length - 1] === 'filter' || (k.length > 1 && k[k.length - 2] === 'filter')) return false;
    if (isNorenderKey(k)) return false;
  } else if (key === 'saved_queries') {
    if (k[0] === 'query_params' && k.length > 1 && k[1] === 'where') return false;
    if (isNorenderKey(k)) return false;
  } else if (isNorenderKey(k)) return false;
  return true;
}

const ONE_EXPRESSION = /^\{\{(?:(?!\{\{|\}\}|\{%|%\}|\{#)[\s\S])*\}\}$/;

/**
 * Whether Jinja's optimizer folds the expression into constant text (literals and operators
 * only, no names): dbt's native render then gives its text (`{{ 1 + 2 }}` is "3", not 3).
 */
function isConstant(expr: string): boolean {
  const bare = expr.replace(/'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"/g, '""').replace(/\b(?:true|false|none|True|False|None|and|or|not|in|is|if|else)\b/g, ' ');
  return !/[A-Za-z_]/.test(bare);
}

/**
 * A string value rendered as dbt's native renderer does: one `{{ expression }}` and nothing else
 * is the expression's value (through tojson, so it is plain data); anything else is text.
 */
export function renderNative(engine: TemplateEngine, value: string, where: string): unknown {
  if (!value.includes('{{') && !value.includes('{%')) return value;
  if (ONE_EXPRESSION.test(value) && !value.startsWith('{{-') && !value.endsWith('-}}') && !isConstant(value.slice(2, -2))) {
    const expr = value.slice(2, -2);
    let json: string | undefined;
    try {
      json = engine.renderString(`{{ (${expr}) | tojson }}`, where);
    } catch {
      json = undefined; // not JSON-able (a date, a relation) or an error: the plain render says which
    }
    if (json !== undefined) {
      try {
        return JSON.parse(json) as unknown;
      } catch {
        /* fall through */
      }
    }
  }
  return engine.renderString(value, where);
}

/**
 * `value` (a properties file's parsed YAML) with its templates rendered as dbt renders them.
 * `engine()` gives the template engine holding the context (made on the first template only).
 */
export function renderPropertiesFile(value: unknown, file: string, engine: () => TemplateEngine): unknown {
  if (!isObj(value)) return value;
  let changed = false;
  const out: Obj = { ...value };
  for (const key of RENDERED_KEYS) {
    const list = value[key];
    if (!Array.isArray(list)) continue;
    const walk = (v: unknown, k: Keypath, where: string): unknown => {
      if (typeof v === 'string') {
        // as dbt's deep_map_render: the rule is asked of each leaf's keypath
        if (!v.includes('{{') && !v.includes('{%')) return v;
        if (!shouldRenderKeypath(key, k)) return v;
        changed = true;
        return renderNative(engine(), v, where);
      }
      if (Array.isArray(v)) return v.map((x, i) => walk(x, [...k, i], `${where}[${i}]`));
      if (isObj(v)) {
        const o: Obj = {};
        for (const [kk, x] of Object.entries(v)) o[kk] = walk(x, [...k, kk], `${where}.${kk}`);
        return o;
      }
      return v;
    };
    out[key] = list.map((entry, i) => {
      if (!isObj(entry)) return entry;
      const name = typeof entry.name === 'string' ? entry.name : String(i);
      return walk(entry, [], `${file} (${key}: ${name})`);
    });
  }
  return changed ? out : value;
}

/**
 * Python's ast.literal_eval on the text a native filter gets, for what dbt's renderers meet:
 * numbers (no leading zeros, `_` separators), True/False/None, quoted strings, and lists, tuples
 * and dicts of them. `undefined` where Python raises (the text is then kept as it is).
 */
export function pyLiteralEval(text: string): unknown {
  const t = text.replace(/^[ \t]+/, '').trimEnd();
  if (t === 'True') return true;
  if (t === 'False') return false;
  if (t === 'None') return null;
  if (/^[-+]?(0|[1-9](_?\d)*)$/.test(t)) return Number(t.replace(/_/g, ''));
  if (/^[-+]?((\d(_?\d)*)?\.\d(_?\d)*|\d(_?\d)*\.?)([eE][-+]?\d+)?$/.test(t) && /[.eE]/.test(t)) return Number(t.replace(/_/g, ''));
  if (/^'(?:[^'\\\n]|\\.)*'$|^"(?:[^"\\\n]|\\.)*"$/.test(t)) {
    try {
      return JSON.parse(`"${t.slice(1, -1).replace(/\\'/g, "'").replace(/(?<!\\)"/g, '\\"')}"`) as unknown;
    } catch {
      return undefined;
    }
  }
  if (/^[[({][\s\S]*[\])}]$/.test(t)) {
    // strings become JSON strings; True/False/None outside strings become JSON's words
    let out = '';
    for (let i = 0; i < t.length; ) {
      const c = t[i]!;
      if (c === "'" || c === '"') {
        let j = i + 1;
        while (j < t.length && t[j] !== c) j += t[j] === '\\' ? 2 : 1;
        const v = pyLiteralEval(t.slice(i, j + 1));
        if (typeof v !== 'string') return undefined;
        out += JSON.stringify(v);
        i = j + 1;
      } else if (/[A-Za-z_]/.test(c)) {
        const w = /^[A-Za-z_]\w*/.exec(t.slice(i))![0];
        const j = { True: 'true', False: 'false', None: 'null' }[w];
        if (!j) return undefined;
        out += j;
        i += w.length;
      } else {
        out += c === '(' ? '[' : c === ')' ? ']' : c;
        i++;
      }
    }
    try {
      return JSON.parse(out.replace(/,\s*([\]}])/g, '$1')) as unknown;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/**
 * dbt's native-mode filters (dbt_common.clients.jinja: as_bool, as_number, as_native): the value
 * read as a Python literal, an error when as_bool/as_number do not get a bool/number; as_text
 * stays text. For the engines of the native renderers (dbt_project.yml, properties files).
 */
export function useNativeFilters(engine: TemplateEngine): void {
  const f = engine.env.filters as Record<string, (env: unknown, value: unknown, args: unknown[], kwargs: Map<string, unknown>) => unknown>;
  const make = (kind: 'bool' | 'number' | 'native') => (_env: unknown, value: unknown): unknown => {
    if (typeof value !== 'string') return value;
    const v = pyLiteralEval(value);
    const result = v === undefined ? value : v;
    if (kind === 'bool' && typeof result !== 'boolean') throw new PyError('JinjaRenderingError', `Could not convert value '${value}' into type 'bool'`);
    if (kind === 'number' && typeof result !== 'number') throw new PyError('JinjaRenderingError', `Could not convert value '${value}' into type 'number'`);
    return result;
  };
  f.as_bool = make('bool');
  f.as_number = make('number');
  f.as_native = make('native');
}
