/**
 * Parse and validate one entry of a model's `exports:` config into an `ExportSpec`.
 *
 * Pure: no I/O. Templates (`to`, `path`, `file_name`, `table`, `schema`, extra column values)
 * are rendered with the runner's `renderTemplate`; everything else is checked here so a bad
 * entry fails before a byte is written, with a hint.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ExportError, displayUri, registerSecret } from './export-error.js';

export type ExportFormat = 'parquet' | 'csv' | 'json' | 'orc';
export type ExportCompression = 'none' | 'snappy' | 'zstd' | 'gzip' | 'bzip2' | 'zlib';

export type Destination =
  /** An absolute local folder (not yet checked against the export roots). */
  | { kind: 'local'; dir: string }
  | { kind: 's3'; bucket: string; prefix: string }
  /**
   * `account` from an https URL (else from the environment); `sas` from the URL's query string.
   * `serviceUrl` is set for https URLs: `https://ACCOUNT.blob.core.windows.net`.
   */
  | { kind: 'azure'; container: string; prefix: string; account?: string; serviceUrl?: string; sas?: string }
  | { kind: 'target'; target: string };

export interface ExtraColumn {
  name: string;
  /** The rendered value, as text; cast to `type`. */
  value: string;
  /** A logical type (string, date, integer, ...) or a warehouse type name. */
  type: string;
}

export interface ExportSpec {
  /** A label for logs: `name:` or `<model> → <destination>`. */
  label: string;
  /** The destination as shown to users (no query strings, no secrets). */
  display: string;
  destination: Destination;
  format: ExportFormat;
  compression: ExportCompression;
  /** CSV only. */
  header: boolean;
  delimiter: string;
  partitionBy: string[];
  /** Target size of part files; undefined = one file (per partition). */
  fileSizeBytes?: number;
  /** ORC only: a stripe is written when its encoded size passes this (default 64 MiB). */
  stripeSizeBytes?: number;
  /** Base name of data files, without extension. */
  fileName: string;
  /** `target:` only. */
  mode: 'append' | 'replace';
  /** File exports: `mode: overwrite` lets an engine-side export replace a folder holding files tx did not write. */
  overwrite?: boolean;
  table?: string;
  schema?: string;
  extraColumns: ExtraColumn[];
  enabled: boolean;
}

export interface SpecContext {
  projectDir: string;
  /** The model's name, the default file name and folder. */
  nodeName: string;
  renderTemplate(template: string): string;
}

const KEYS = [
  'to',
  'format',
  'compression',
  'path',
  'file_name',
  'partition_by',
  'header',
  'delimiter',
  'file_size_mb',
  'stripe_size_mb',
  'mode',
  'table',
  'schema',
  'extra_columns',
  'enabled',
  'name',
] as const;

const FORMATS: Record<string, ExportFormat> = { parquet: 'parquet', csv: 'csv', json: 'json', jsonl: 'json', ndjson: 'json', orc: 'orc' };

/** Compressions each format can be written with; the first is the default. */
export const COMPRESSIONS: Record<ExportFormat, ExportCompression[]> = {
  parquet: ['snappy', 'zstd', 'gzip', 'none'],
  csv: ['none', 'gzip', 'zstd', 'bzip2'],
  json: ['none', 'gzip', 'zstd', 'bzip2'],
  orc: ['snappy', 'zlib', 'none'],
};

/** File extension of data files. */
export function fileExtension(format: ExportFormat, compression: ExportCompression): string {
  if (format === 'parquet') return '.parquet';
  if (format === 'orc') return '.orc';
  const base = format === 'csv' ? '.csv' : '.json';
  switch (compression) {
    case 'gzip':
      return `${base}.gz`;
    case 'zstd':
      return `${base}.zst`;
    case 'bzip2':
      return `${base}.bz2`;
    default:
      return base;
  }
}

function configError(message: string, hint?: string): ExportError {
  return new ExportError('EXPORT_CONFIG', message, { hint });
}

function suggest(value: string, options: readonly string[]): string | undefined {
  const v = value.toLowerCase();
  const near = options.filter((o) => o.startsWith(v.slice(0, 2)) || v.includes(o) || o.includes(v));
  return near.length ? `did you mean ${near.map((o) => `\`${o}\``).join(' or ')}?` : `one of: ${options.join(', ')}`;
}

function render(ctx: SpecContext, s: string): string {
  return /\{\{|\{%/.test(s) ? ctx.renderTemplate(s) : s;
}

function str(raw: Record<string, unknown>, key: string): string | undefined {
  const v = raw[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw configError(`export \`${key}\` must be a string, got ${typeof v}`);
  return v;
}

/** `a/b/c` with no empty, `.` or `..` segments; refuses anything that climbs. */
function relativeSegments(value: string, what: string): string[] {
  const segs = value.split(/[\\/]+/).filter((s) => s !== '' && s !== '.');
  if (segs.includes('..')) {
    throw new ExportError('EXPORT_PATH', `export ${what} \`${value}\` contains \`..\``, {
      hint: 'export paths may not climb out of their folder; name the folder in `to:` instead',
    });
  }
  return segs;
}

function identifier(value: string, what: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(value)) {
    throw configError(`export ${what} \`${value}\` is not a plain column name`, 'use letters, digits and underscores');
  }
  return value;
}

/** Parse the `to:` string into a destination (after rendering). */
export function parseDestination(to: string, projectDir: string): Destination {
  const t = to.trim();
  if (!t) throw configError('export `to` is empty', 'e.g. `to: output/`, `s3://bucket/prefix`, `azure://container/prefix` or `target:postgres`');
  const lower = t.toLowerCase();
  if (lower.startsWith('target:')) {
    const name = t.slice('target:'.length).trim();
    if (!name) throw configError('export `to: target:` names no target', 'e.g. `to: target:postgres`');
    return { kind: 'target', target: name };
  }
  if (lower.startsWith('s3://') || lower.startsWith('s3a://')) {
    const rest = t.slice(t.indexOf('://') + 3);
    const [bucket, ...segs] = rest.split('/');
    if (!bucket || !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) {
      throw configError(`\`${displayUri(t)}\` has no valid bucket name`, 'S3 bucket names are 3-63 lower-case letters, digits, dots and hyphens');
    }
    return { kind: 's3', bucket, prefix: relativeSegments(segs.join('/'), 'prefix').join('/') };
  }
  if (lower.startsWith('azure://') || lower.startsWith('az://')) {
    const rest = t.slice(t.indexOf('://') + 3);
    const [container, ...segs] = rest.split('/');
    if (!container || !/^[a-z0-9](?:[a-z0-9-]{1,61}[a-z0-9])?$/.test(container)) {
      throw configError(`\`${displayUri(t)}\` has no valid container name`, 'Azure container names are 3-63 lower-case letters, digits and hyphens');
    }
    return { kind: 'azure', container, prefix: relativeSegments(segs.join('/'), 'prefix').join('/') };
  }
  if (lower.startsWith('https://') || lower.startsWith('http://')) {
    let url: URL;
    try {
      url = new URL(t);
    } catch {
      throw configError(`\`${displayUri(t)}\` is not a valid URL`);
    }
    const sas = url.search.length > 1 ? url.search.slice(1) : undefined;
    registerSecret(sas);
    const hostMatch = /^([a-z0-9]{3,24})\.blob\.core\.(?:windows\.net|chinacloudapi\.cn|usgovcloudapi\.net)$/i.exec(url.hostname);
    const segs = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    let account: string | undefined;
    let serviceUrl: string;
    if (hostMatch) {
      account = hostMatch[1]!.toLowerCase();
      serviceUrl = `${url.protocol}//${url.host}`;
    } else {
      // Path-style, as Azurite and other emulators serve: http://host:port/ACCOUNT/container/prefix
      account = segs.shift();
      if (!account) throw configError(`\`${displayUri(t)}\` names no storage account`);
      serviceUrl = `${url.protocol}//${url.host}/${account}`;
    }
    const container = segs.shift();
    if (!container) {
      throw configError(`\`${displayUri(t)}\` names no container`, 'e.g. https://ACCOUNT.blob.core.windows.net/container/prefix');
    }
    return { kind: 'azure', container, prefix: relativeSegments(segs.join('/'), 'prefix').join('/'), account, serviceUrl, sas };
  }
  if (/^(?:hdfs|abfss?|wasbs?|gs|viewfs):\/\//i.test(t)) {
    throw configError(
      `unsupported export destination \`${displayUri(t)}\`: tx does not write ${t.slice(0, t.indexOf('://') + 3)} itself, and Spark writes engine-side exports only to folders tx also sees (tx moves the finished folder into place)`,
      'export to a folder on a mount the Spark server and tx share (a local path or file://… under the hive target\'s engine_paths), or to s3://, azure:// or target:NAME',
    );
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(t) && !lower.startsWith('file://')) {
    throw configError(`unsupported export destination \`${displayUri(t)}\``, 'use a local path, file://, s3://, azure://, https://ACCOUNT.blob.core.windows.net/... or target:NAME');
  }
  const p = lower.startsWith('file://') ? fileURLToPath(t) : t;
  // a file:// URL's `..` is checked as written (its %2e%2e too): fileURLToPath resolves it away
  if (p.split(/[\\/]+/).includes('..') || (p !== t && urlPathSegments(t).includes('..'))) {
    throw new ExportError('EXPORT_PATH', `export path \`${t}\` contains \`..\``, {
      hint: 'local exports write only under the project\'s export_roots (default `output/`)',
    });
  }
  return { kind: 'local', dir: path.resolve(projectDir, p) };
}

/** The path segments of a file:// URL as written, percent escapes decoded (`%2e%2e` is `..`). */
function urlPathSegments(url: string): string[] {
  const path = url.slice('file://'.length).replace(/^[^/]*/, '').replace(/[?#].*$/, '');
  return path.split(/[\\/]+/).map((seg) => {
    try {
      return decodeURIComponent(seg);
    } catch {
      return seg;
    }
  });
}

/** Join an object-store prefix and a relative path. */
export function joinKey(...parts: string[]): string {
  return parts
    .flatMap((p) => p.split('/'))
    .filter((s) => s !== '')
    .join('/');
}

/** The spec of a disabled export whose `to` renders empty: shown as skipped, never run. */
function disabledWithoutDestination(ctx: SpecContext, name: string | undefined, toRaw: string): ExportSpec {
  const display = `${toRaw.trim()} (renders empty)`;
  return {
    label: name ?? `${ctx.nodeName} → ${display}`,
    display,
    destination: { kind: 'local', dir: ctx.projectDir },
    format: 'parquet',
    compression: 'none',
    header: true,
    delimiter: ',',
    partitionBy: [],
    fileSizeBytes: undefined,
    fileName: ctx.nodeName,
    mode: 'append',
    table: undefined,
    schema: undefined,
    extraColumns: [],
    enabled: false,
  };
}

/** Validate one `exports:` entry. Throws ExportError (code EXPORT_CONFIG or EXPORT_PATH). */
export function parseExportSpec(raw: Record<string, unknown>, ctx: SpecContext): ExportSpec {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw configError('an export entry must be a mapping with at least `to:`');
  for (const k of Object.keys(raw)) {
    if (!(KEYS as readonly string[]).includes(k)) throw configError(`unknown export option \`${k}\``, suggest(k, KEYS));
  }
  const toRaw = str(raw, 'to');
  if (toRaw === undefined) throw configError('an export entry needs `to:`', 'e.g. `to: output/`, `s3://bucket/prefix` or `target:postgres`');
  // `enabled` may be a template, e.g. "{{ env_var('TX_S3_URI', '') != '' }}", so one project serves laptops and production.
  let enabled: unknown = raw.enabled === undefined ? true : raw.enabled;
  if (typeof enabled === 'string') {
    const v = render(ctx, enabled).trim().toLowerCase();
    enabled = v === 'true' ? true : v === 'false' || v === '' ? false : v;
  }
  if (typeof enabled !== 'boolean') throw configError('export `enabled` must be true or false (or a template that renders to one)');
  const to = render(ctx, toRaw).trim();
  // A disabled export whose destination comes from an unset variable has nowhere to point: skipped as it is.
  if (!enabled && to === '') return disabledWithoutDestination(ctx, str(raw, 'name'), toRaw);
  let destination = parseDestination(to, ctx.projectDir);

  // Folder under `to` (default: the model's name) and base file name.
  const folderRaw = str(raw, 'path');
  const folder = relativeSegments(folderRaw === undefined ? ctx.nodeName : render(ctx, folderRaw), 'path');
  const fileName = render(ctx, str(raw, 'file_name') ?? ctx.nodeName);
  if (!fileName || /[\\/]/.test(fileName) || fileName === '.' || fileName === '..') {
    throw configError(`export \`file_name\` \`${fileName}\` must be a plain file name`, 'folders go in `path:`');
  }
  if (destination.kind === 'local') destination = { kind: 'local', dir: path.join(destination.dir, ...folder) };
  else if (destination.kind === 's3' || destination.kind === 'azure') destination = { ...destination, prefix: joinKey(destination.prefix, ...folder) };

  const isTarget = destination.kind === 'target';
  const formatRaw = str(raw, 'format');
  let format: ExportFormat = 'parquet';
  if (formatRaw !== undefined) {
    const f = FORMATS[formatRaw.toLowerCase()];
    if (!f) throw configError(`unknown export format \`${formatRaw}\``, suggest(formatRaw, ['parquet', 'csv', 'json', 'orc']));
    format = f;
  }
  if (isTarget && formatRaw !== undefined && format !== 'parquet') {
    throw configError('`format` does not apply to `to: target:...` exports', 'rows are copied into a table; remove `format`');
  }
  const compRaw = str(raw, 'compression');
  const allowed = COMPRESSIONS[format];
  let compression = allowed[0]!;
  if (compRaw !== undefined) {
    const c = compRaw.toLowerCase() === 'uncompressed' ? 'none' : compRaw.toLowerCase() === 'bz2' ? 'bzip2' : compRaw.toLowerCase() === 'gz' ? 'gzip' : compRaw.toLowerCase();
    if (!(allowed as string[]).includes(c)) {
      throw configError(`compression \`${compRaw}\` is not available for ${format}`, `for ${format} use one of: ${allowed.join(', ')}`);
    }
    compression = c as ExportCompression;
  }

  const header = raw.header === undefined ? true : raw.header;
  if (typeof header !== 'boolean') throw configError('export `header` must be true or false');
  const delimiter = str(raw, 'delimiter') ?? ',';
  if (delimiter.length !== 1 || delimiter === '\n' || delimiter === '\r' || delimiter === '"') {
    throw configError(`export \`delimiter\` must be one character (not a quote or newline), got \`${delimiter}\``);
  }
  if (format !== 'csv' && (raw.header !== undefined || raw.delimiter !== undefined)) {
    throw configError('`header` and `delimiter` apply to `format: csv` only');
  }

  const pb = raw.partition_by;
  const partitionBy = pb === undefined || pb === null ? [] : typeof pb === 'string' ? [pb] : Array.isArray(pb) ? pb : null;
  if (partitionBy === null || partitionBy.some((c) => typeof c !== 'string')) throw configError('export `partition_by` must be a column name or a list of them');
  (partitionBy as string[]).forEach((c) => identifier(c, 'partition_by column'));

  let fileSizeBytes: number | undefined;
  if (raw.file_size_mb !== undefined && raw.file_size_mb !== null) {
    const mb = raw.file_size_mb;
    if (typeof mb !== 'number' || !(mb > 0)) throw configError('export `file_size_mb` must be a positive number');
    if (isTarget) throw configError('`file_size_mb` does not apply to `to: target:...` exports');
    fileSizeBytes = Math.max(1, Math.round(mb * 1024 * 1024));
  }
  let stripeSizeBytes: number | undefined;
  if (raw.stripe_size_mb !== undefined && raw.stripe_size_mb !== null) {
    const mb = raw.stripe_size_mb;
    if (format !== 'orc') throw configError('`stripe_size_mb` applies to `format: orc` only');
    if (typeof mb !== 'number' || !(mb >= 1 && mb <= 1024)) throw configError('export `stripe_size_mb` must be a number from 1 to 1024', 'ORC writers use 64 by default');
    stripeSizeBytes = Math.round(mb * 1024 * 1024);
  }

  const modeRaw = str(raw, 'mode');
  // File exports: only `overwrite` (replace a folder that holds files tx did not write, where that is refused).
  const overwrite = !isTarget && modeRaw === 'overwrite';
  if (modeRaw !== undefined && !isTarget && !overwrite) throw configError('`mode` applies to `to: target:...` exports only (file exports take only `mode: overwrite`)', 'file exports always write a complete new folder');
  if (modeRaw !== undefined && isTarget && modeRaw !== 'append' && modeRaw !== 'replace') throw configError(`export \`mode\` must be append or replace, got \`${modeRaw}\``);
  const mode = (isTarget ? (modeRaw ?? 'append') : 'append') as 'append' | 'replace';

  const tableRaw = str(raw, 'table');
  const schemaRaw = str(raw, 'schema');
  if (!isTarget && (tableRaw !== undefined || schemaRaw !== undefined)) throw configError('`table` and `schema` apply to `to: target:...` exports only');
  const table = tableRaw === undefined ? undefined : render(ctx, tableRaw);
  const schema = schemaRaw === undefined ? undefined : render(ctx, schemaRaw);

  const extraColumns: ExtraColumn[] = [];
  const ec = raw.extra_columns;
  if (ec !== undefined && ec !== null) {
    if (typeof ec !== 'object' || Array.isArray(ec)) throw configError('export `extra_columns` must be a mapping of column name to value');
    for (const [name, v] of Object.entries(ec as Record<string, unknown>)) {
      identifier(name, 'extra column');
      let value: unknown = v;
      let type = 'string';
      if (v && typeof v === 'object' && !Array.isArray(v)) {
        const o = v as Record<string, unknown>;
        for (const k of Object.keys(o)) if (k !== 'value' && k !== 'type') throw configError(`extra column \`${name}\`: unknown key \`${k}\``, 'use `value:` and `type:`');
        value = o.value;
        if (o.type !== undefined) {
          if (typeof o.type !== 'string' || !/^[A-Za-z][A-Za-z0-9_ (),]*$/.test(o.type)) throw configError(`extra column \`${name}\`: \`type\` must be a type name`);
          type = o.type;
        }
      }
      if (typeof value === 'number' || typeof value === 'boolean') value = String(value);
      if (typeof value !== 'string') throw configError(`extra column \`${name}\` needs a value (text, a number or a template)`);
      extraColumns.push({ name, value: render(ctx, value), type });
    }
  }

  const display =
    destination.kind === 'local'
      ? destination.dir
      : destination.kind === 's3'
        ? `s3://${destination.bucket}/${destination.prefix}`
        : destination.kind === 'azure'
          ? destination.serviceUrl
            ? `${destination.serviceUrl}/${destination.container}/${destination.prefix}`
            : `azure://${destination.container}/${destination.prefix}`
          : `target:${destination.target}`;
  const nameRaw = str(raw, 'name');
  return {
    label: nameRaw ?? `${ctx.nodeName} → ${displayUri(display)}`,
    display: displayUri(display),
    destination,
    format,
    compression,
    header,
    delimiter,
    partitionBy: partitionBy as string[],
    fileSizeBytes,
    stripeSizeBytes,
    fileName,
    mode,
    overwrite,
    table,
    schema,
    extraColumns,
    enabled,
  };
}
