/**
 * dbt-duckdb's `external` materialization, resolved as dbt-duckdb 1.10 resolves it
 * (materializations/external.sql, utils/external_location.sql, render_write_options and the
 * adapter's external_write_options / external_read_location):
 *
 * - `location` (a template) defaults to `<external_root>/<identifier>.<format or parquet>`, or
 *   `<external_root>/<identifier>` when `options.partition_by` is set; `external_root` is the
 *   profile's key (default `.`), relative to the project folder in tx.
 * - The COPY options are `options` (each value rendered to text), then the top-level `format` and
 *   `delimiter`; without a format, the location's extension, else `csv` when a delimiter is given,
 *   else `parquet`. CSV gets `header 1`; `partition_by a,b` becomes `(a,b)`; delimiter, quote,
 *   escape and null are quoted.
 * - The view reads the location with read_parquet / read_csv / read_json and the model's
 *   `*_read_options` (defaults `union_by_name=False` / `auto_detect=True`); with `partition_by` or
 *   `per_thread_output` the location is a folder, read through `<location>/*[/*…].<format>`.
 *
 * tx writes local paths only, inside the project folder, under the profile's `external_root` or an
 * `export_roots` entry, and
 * refuses what it cannot do (Glue registration, plugins, fsspec, object-store locations) by name.
 */
import { isAbsolute, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TxError } from '../errors.js';
import type { Project } from '../load/project-types.js';
import type { ExternalWrite } from '../../targets/target.js';
import type { GraphNode } from './nodes.js';

const FORMATS = ['csv', 'parquet', 'json'] as const;
const READERS = { parquet: 'read_parquet', csv: 'read_csv', json: 'read_json' } as const;
const READ_DEFAULTS: Record<string, Record<string, unknown>> = { parquet: { union_by_name: false }, csv: { auto_detect: true }, json: { auto_detect: true } };

/** Python's str() of a config value, as Jinja prints it. */
function pyStr(v: unknown): string {
  if (v === null || v === undefined) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (Array.isArray(v)) return `[${v.map((x) => (typeof x === 'string' ? `'${x}'` : pyStr(x))).join(', ')}]`;
  if (typeof v === 'object') return `{${Object.entries(v as Record<string, unknown>).map(([k, x]) => `'${k}': ${typeof x === 'string' ? `'${x}'` : pyStr(x)}`).join(', ')}}`;
  return String(v);
}

const truthy = (v: unknown): boolean => v !== undefined && v !== null && v !== false && v !== '' && v !== 0;

/** os.path.splitext(p)[1]: the extension of the last path component, leading dots not counted. */
function splitextExt(p: string): string {
  const base = p.slice(p.lastIndexOf('/') + 1);
  const stripped = base.replace(/^\.+/, '');
  const i = stripped.lastIndexOf('.');
  return i < 0 ? '' : stripped.slice(i);
}

const inside = (child: string, root: string): boolean => {
  const rel = relative(root, child);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
};

export interface ExternalModelContext {
  project: Project;
  /** The target's config (a dbt-duckdb profile's `external_root` is kept there). */
  target: { type: string; external_root?: unknown };
  renderString(source: string, where: string, thisNode?: GraphNode): string;
  warn(message: string): void;
}

/** Resolve an `external` model's write and view; exit 2 (TxError naming the model's file) on what tx cannot do. */
export function externalModel(n: GraphNode, ctx: ExternalModelContext): ExternalWrite {
  const c = n.config as Record<string, unknown>;
  const fail = (msg: string, hint?: string): never => {
    throw new TxError('PROJECT', `model \`${n.name}\` (materialized external): ${msg}`, { file: n.path, hint });
  };
  if (ctx.target.type !== 'duckdb') fail(`the external materialization is dbt-duckdb's and runs on DuckDB only (target type ${ctx.target.type})`, 'materialize it as a table and add `exports:` to write its files');
  if (truthy(c.glue_register)) fail('`glue_register` (registering the files in the AWS Glue catalog) is not supported by tx', 'remove `glue_register`; register the files with your catalog after the build');
  if (c.plugin != null) fail(`\`plugin: ${pyStr(c.plugin)}\` is not supported: tx runs no dbt-duckdb plugins, so it cannot write through one`, 'remove `plugin` to write the files with DuckDB itself');
  if (truthy(c.use_fsspec)) fail('`use_fsspec` is not supported: tx writes external files to the local file system only');
  const render = (v: unknown, what: string): string => (typeof v === 'string' && /\{\{|\{%/.test(v) ? ctx.renderString(v, `${n.path} (${what} of ${n.name})`, n) : typeof v === 'string' ? v : pyStr(v));
  const opts = c.options ?? {};
  if (typeof opts !== 'object' || opts === null || Array.isArray(opts)) return fail('The options argument must be a dictionary');
  // render_write_options: every option as text, then the legacy top-level format and delimiter
  const options: Record<string, string> = {};
  for (const [k, v] of Object.entries(opts as Record<string, unknown>)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) fail(`option \`${k}\` is not a COPY option name`);
    options[k] = render(v, `options.${k}`);
  }
  if (truthy(c.format)) options.format = render(c.format, 'format');
  if (truthy(c.delimiter)) options.delimiter = render(c.delimiter, 'delimiter');
  if (c.partition_by != null && !('partition_by' in options)) {
    ctx.warn(`${n.path}: model \`${n.name}\`: a top-level \`partition_by\` is not read by dbt-duckdb's external materialization, nor by tx: the file is written whole; put it under \`options: {partition_by: …}\` to write partition folders`);
  }

  // the location (utils/external_location.sql): external_root is the profile's, relative to the project
  const root = typeof ctx.target.external_root === 'string' && ctx.target.external_root !== '' ? ctx.target.external_root : '.';
  const rawOptions = opts as Record<string, unknown>;
  const defaultLocation = rawOptions.partition_by == null ? `${root}/${n.relation!.identifier}.${c.format == null ? 'parquet' : pyStr(c.format)}` : `${root}/${n.relation!.identifier}`;
  if (c.location != null && typeof c.location !== 'string') fail('`location` must be a path');
  const location = (c.location == null ? defaultLocation : render(c.location, 'location')).trim();
  if (!location) fail('`location` renders empty');
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(location) && !/^file:\/\//i.test(location)) {
    fail(`location \`${location}\`: tx writes external models to local paths only`, 'write the model locally, or materialize it as a table with `exports:` (s3://, azure:// and target: destinations)');
  }

  // the format the view reads (external.sql) and the one COPY writes (external_write_options)
  let readFormat: string;
  if (truthy(c.format)) {
    const f = String(c.format);
    if (!(FORMATS as readonly string[]).includes(f)) fail(`Invalid format: ${f}. Allowed formats are: ${FORMATS.join(', ')}`);
    readFormat = f;
  } else {
    const ext = location.includes('.') ? location.split('.').pop()!.toLowerCase() : 'parquet';
    readFormat = (FORMATS as readonly string[]).includes(ext) ? ext : 'parquet';
  }
  if (!('format' in options)) {
    const ext = splitextExt(location).toLowerCase();
    options.format = ext ? ext.slice(1) : 'delimiter' in options ? 'csv' : 'parquet';
  }
  const writeFormat = options.format!.toLowerCase();
  if (!(FORMATS as readonly string[]).includes(writeFormat)) {
    fail(`format \`${options.format}\`${'format' in rawOptions || truthy(c.format) ? '' : ` (from the extension of \`${location}\`)`} is not one tx writes: use ${FORMATS.join(', ')}`, 'set `format:` to parquet, csv or json');
  }
  if (writeFormat !== readFormat) {
    fail(`the file would be written as ${writeFormat} but read back as ${readFormat} (dbt-duckdb reads the format from \`format:\` or the location's extension)`, `set \`format: ${writeFormat}\` on the model`);
  }
  if (writeFormat === 'csv' && !('header' in options)) options.header = '1';
  if ('partition_by' in options) {
    const v = options.partition_by!;
    if (v.includes(',') && !v.startsWith('(')) options.partition_by = `(${v})`;
  }
  const copyOptions = Object.entries(options)
    .map(([k, v]) => (['delimiter', 'quote', 'escape', 'null'].includes(k.toLowerCase()) && !v.startsWith("'") ? `${k} '${v.replace(/'/g, "''")}'` : `${k} ${v}`))
    .join(', ');

  // a local path, under external_root or an export root
  const projectDir = ctx.project.dir;
  const abs = resolve(projectDir, /^file:\/\//i.test(location) ? fileURLToPath(location) : location);
  const roots = [...new Set([projectDir, resolve(projectDir, root), ...ctx.project.exportRoots.map((r) => resolve(projectDir, r))])];
  if (!roots.some((r) => inside(abs, r))) {
    fail(`location \`${location}\` (${abs}) is outside the project folder, external_root (${resolve(projectDir, root)})${ctx.project.exportRoots.length ? ` and every export root (${ctx.project.exportRoots.join(', ')})` : ''}`, "set the profile's `external_root` to a folder that holds it, or write inside the project");
  }

  const folder = truthy(options.partition_by) || truthy(options.per_thread_output);
  let readLocation = abs;
  if (folder) {
    const globs = [abs, '*'];
    if (truthy(options.partition_by)) globs.push(...options.partition_by!.split(',').map(() => '*'));
    readLocation = `${globs.join('/')}.${writeFormat}`;
  }
  const readRaw = c[`${readFormat}_read_options`] ?? READ_DEFAULTS[readFormat];
  if (typeof readRaw !== 'object' || readRaw === null || Array.isArray(readRaw)) return fail(`\`${readFormat}_read_options\` must be a mapping`);
  const readOptions = Object.entries(readRaw as Record<string, unknown>)
    .map(([k, v]) => `, ${k}=${typeof v === 'string' ? `'${v}'` : pyStr(v)}`)
    .join('');
  return { location: abs, folder, copyOptions, readFunction: READERS[readFormat as keyof typeof READERS], readLocation, readOptions, roots };
}
