/**
 * dbt-duckdb's external sources: a source table whose `meta` or `config` holds
 * `external_location` renders, in `source()`, as that location formatted with the
 * source's fields (dbt-duckdb's DuckDBRelation.create_from_source): `{name}`,
 * `{identifier}`, `{schema}`, `{database}`, `{tags}` and every meta/config key;
 * `formatter: newstyle` (str.format_map, the default), `oldstyle` (`%(name)s`) or
 * `template` (`$name`). A value holding `(` (a `read_csv(...)` call) or starting with
 * a quote is used as it is; any other is quoted as a path.
 */
import { TxError } from '../errors.js';
import type { SourceTable } from '../load/project-types.js';

/** dbt-core 1.10's SourceConfig fields: every other `config:` key is `config.extra`, which dbt-duckdb merges over meta. */
const SOURCE_CONFIG_FIELDS = new Set(['enabled', 'event_time', 'freshness', 'loaded_at_field', 'loaded_at_query', 'meta', 'tags']);

/** Python's str() of a value, as format_map writes it. */
function pyStr(v: unknown): string {
  if (v === null || v === undefined) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (Array.isArray(v)) return `[${v.map(pyRepr).join(', ')}]`;
  if (typeof v === 'object') return `{${Object.entries(v as Record<string, unknown>).map(([k, x]) => `${pyRepr(k)}: ${pyRepr(x)}`).join(', ')}}`;
  return String(v);
}
function pyRepr(v: unknown): string {
  if (typeof v === 'string') return v.includes("'") && !v.includes('"') ? `"${v}"` : `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  return pyStr(v);
}

/** The mapping dbt-duckdb formats the location with (SourceConfig.as_dict). */
export function externalSourceValues(s: SourceTable, database: string | undefined): Record<string, unknown> {
  const cfg = s.config ?? {};
  const meta: Record<string, unknown> = { ...s.meta, ...(cfg.meta && typeof cfg.meta === 'object' ? (cfg.meta as Record<string, unknown>) : {}) };
  for (const [k, v] of Object.entries(cfg)) if (!SOURCE_CONFIG_FIELDS.has(k)) meta[k] = v;
  return { name: s.name, identifier: s.identifier, schema: s.schema, database: database ?? null, tags: s.tags, ...meta };
}

/** What `source()` renders for an external source on DuckDB, or undefined when the table has no `external_location`. */
export function externalSourceSql(s: SourceTable, database: string | undefined): string | undefined {
  const values = externalSourceValues(s, database);
  if (!('external_location' in values) || 'plugin' in values) return undefined;
  const where = { file: s.file, line: s.line };
  const what = `source \`${s.sourceName}.${s.name}\`: external_location`;
  const template = values.external_location;
  if (typeof template !== 'string') throw new TxError('PROJECT', `${what} must be a string`, where);
  const formatter = values.formatter ?? 'newstyle';
  const lookup = (key: string): unknown => {
    if (!(key in values)) throw new TxError('PROJECT', `${what} \`${template}\` names \`${key}\`, which the source does not have`, { ...where, hint: `known: ${Object.keys(values).join(', ')}` });
    return values[key];
  };
  let loc: string;
  if (formatter === 'newstyle') {
    loc = template.replace(/\{\{|\}\}|\{([^{}]*)\}/g, (m, field: string | undefined) => {
      if (m === '{{') return '{';
      if (m === '}}') return '}';
      if (!/^[A-Za-z_]\w*$/.test(field!)) throw new TxError('PROJECT', `${what}: tx formats plain \`{field}\` names; \`{${field}}\` is not supported`, where);
      return pyStr(lookup(field!));
    });
  } else if (formatter === 'oldstyle') {
    loc = template.replace(/%%|%\(([^)]*)\)s/g, (m, field: string | undefined) => (m === '%%' ? '%' : pyStr(lookup(field!))));
  } else if (formatter === 'template') {
    loc = template.replace(/\$\$|\$\{([A-Za-z_]\w*)\}|\$([A-Za-z_]\w*)/g, (m, a: string | undefined, b: string | undefined) => (m === '$$' ? '$' : pyStr(lookup((a ?? b)!))));
  } else {
    throw new TxError('PROJECT', `source \`${s.sourceName}.${s.name}\`: formatter \`${pyStr(formatter)}\` is not one of newstyle, oldstyle, template`, where);
  }
  return loc.includes('(') || loc.startsWith("'") ? loc : `'${loc}'`;
}
