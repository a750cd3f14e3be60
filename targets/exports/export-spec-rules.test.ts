/**
 * Every rule of an `exports:` entry, with its exact message and hint: destinations (local, file://,
 * s3, azure, https and path-style blob URLs, target:), the folder and file name, formats and
 * their compressions, CSV options, partitions, sizes, modes, tables, extra columns, labels.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ExportError } from './export-error.js';
import { fileExtension, joinKey, parseDestination, parseExportSpec, type SpecContext } from './export-spec.js';
import { thrown } from '../../testing/thrown.js';

const VARS: Record<string, string> = { day: '2024-05-01', empty: '', yes: 'True', no: 'FALSE ', tbl: 'hist', sch: 'arch', run: 'r1' };
/** Renders `{{ name }}` from VARS and drops `{% ... %}`; counts its calls. */
let renders = 0;
const ctx: SpecContext = {
  projectDir: '/proj',
  nodeName: 'city',
  renderTemplate: (t) => {
    renders++;
    return t.replace(/\{\{\s*(\w+)\s*\}\}/g, (_, n: string) => VARS[n]!).replace(/\{%.*?%\}/g, '');
  },
};
const spec = (raw: Record<string, unknown>) => parseExportSpec(raw, ctx);

const err = (fn: () => unknown): ExportError => thrown(fn, ExportError);
/** [code, message, hint] of parsing `raw`. */
const fails = (raw: unknown) => {
  const e = err(() => parseExportSpec(raw as Record<string, unknown>, ctx));
  return [e.code, e.message, e.hint];
};
const cfg = (message: string, hint?: string) => ['EXPORT_CONFIG', message, hint];

describe('fileExtension', () => {
  it('names files by format and compression', () => {
    expect(fileExtension('parquet', 'snappy')).toBe('.parquet');
    expect(fileExtension('parquet', 'gzip')).toBe('.parquet');
    expect(fileExtension('orc', 'zlib')).toBe('.orc');
    expect(fileExtension('csv', 'none')).toBe('.csv');
    expect(fileExtension('csv', 'gzip')).toBe('.csv.gz');
    expect(fileExtension('csv', 'zstd')).toBe('.csv.zst');
    expect(fileExtension('csv', 'bzip2')).toBe('.csv.bz2');
    expect(fileExtension('csv', 'snappy')).toBe('.csv');
    expect(fileExtension('json', 'none')).toBe('.json');
    expect(fileExtension('json', 'gzip')).toBe('.json.gz');
    expect(fileExtension('json', 'zstd')).toBe('.json.zst');
    expect(fileExtension('json', 'bzip2')).toBe('.json.bz2');
  });
});

describe('joinKey', () => {
  it('joins object-store key parts without empty segments', () => {
    expect(joinKey('a/', '/b//c', '', 'd')).toBe('a/b/c/d');
    expect(joinKey('', '')).toBe('');
    expect(joinKey('x')).toBe('x');
  });
});

describe('parseDestination', () => {
  it('an empty `to`', () => {
    for (const to of ['', '   ']) {
      const e = err(() => parseDestination(to, '/proj'));
      expect([e.code, e.message, e.hint]).toEqual(cfg('export `to` is empty', 'e.g. `to: output/`, `s3://bucket/prefix`, `azure://container/prefix` or `target:postgres`'));
    }
  });

  it('target:NAME, any case of the prefix, the name trimmed and kept as written', () => {
    expect(parseDestination('target:pg', '/p')).toEqual({ kind: 'target', target: 'pg' });
    expect(parseDestination('  TARGET: Pg_2 ', '/p')).toEqual({ kind: 'target', target: 'Pg_2' });
    const e = err(() => parseDestination('target:  ', '/p'));
    expect([e.code, e.message, e.hint]).toEqual(cfg('export `to: target:` names no target', 'e.g. `to: target:postgres`'));
  });

  it('s3:// and s3a://: a valid bucket and a prefix without empty segments', () => {
    expect(parseDestination('s3://my-bucket', '/p')).toEqual({ kind: 's3', bucket: 'my-bucket', prefix: '' });
    expect(parseDestination('S3://my.bucket/a//b/./c/', '/p')).toEqual({ kind: 's3', bucket: 'my.bucket', prefix: 'a/b/c' });
    expect(parseDestination('s3a://abc/x', '/p')).toEqual({ kind: 's3', bucket: 'abc', prefix: 'x' });
    expect(parseDestination(`s3://${'a'.repeat(63)}/x`, '/p')).toMatchObject({ bucket: 'a'.repeat(63) });
    for (const bad of ['s3://', 's3://ab', 's3://My-Bucket', 's3://-bucket', 's3://bucket-', `s3://${'a'.repeat(64)}`, 's3://buc_ket/x']) {
      const e = err(() => parseDestination(bad, '/p'));
      expect([e.code, e.message, e.hint]).toEqual(cfg(`\`${bad}\` has no valid bucket name`, 'S3 bucket names are 3-63 lower-case letters, digits, dots and hyphens'));
    }
    // the query string never reaches a message
    expect(err(() => parseDestination('s3://B?token=abcdefgh', '/p')).message).toBe('`s3://B` has no valid bucket name');
    const up = err(() => parseDestination('s3://bucket/a/../b', '/p'));
    expect([up.code, up.message, up.hint]).toEqual(['EXPORT_PATH', 'export prefix `a/../b` contains `..`', 'export paths may not climb out of their folder; name the folder in `to:` instead']);
  });

  it('azure:// and az://: a valid container and a prefix', () => {
    expect(parseDestination('azure://reports/daily/x', '/p')).toEqual({ kind: 'azure', container: 'reports', prefix: 'daily/x' });
    expect(parseDestination('AZ://c', '/p')).toEqual({ kind: 'azure', container: 'c', prefix: '' });
    expect(parseDestination('az://abc/', '/p')).toEqual({ kind: 'azure', container: 'abc', prefix: '' });
    for (const bad of ['azure://', 'az://ab', 'azure://Reports', 'azure://-abc', 'azure://abc-', `azure://${'a'.repeat(64)}`]) {
      const e = err(() => parseDestination(bad, '/p'));
      expect([e.code, e.message, e.hint]).toEqual(cfg(`\`${bad}\` has no valid container name`, 'Azure container names are 3-63 lower-case letters, digits and hyphens'));
    }
    expect(err(() => parseDestination('azure://c/..', '/p')).message).toBe('export prefix `..` contains `..`');
  });

  it('https blob URLs: account from the host, SAS from the query, segments decoded', () => {
    expect(parseDestination('https://ACCT.blob.core.windows.net/c1/a%20b/x?sv=1&sig=zz', '/p')).toEqual({
      kind: 'azure',
      container: 'c1',
      prefix: 'a b/x',
      account: 'acct',
      serviceUrl: 'https://acct.blob.core.windows.net',
      sas: 'sv=1&sig=zz',
    });
    expect(parseDestination('http://acct9.blob.core.chinacloudapi.cn/c1', '/p')).toEqual({
      kind: 'azure',
      container: 'c1',
      prefix: '',
      account: 'acct9',
      serviceUrl: 'http://acct9.blob.core.chinacloudapi.cn',
      sas: undefined,
    });
    expect(parseDestination('https://gov1.blob.core.usgovcloudapi.net/c1?', '/p')).toMatchObject({ account: 'gov1', sas: undefined });
    // a host that is not a blob endpoint is path-style: the account is the first segment
    expect(parseDestination('http://127.0.0.1:10000/devacct/c1/p/q', '/p')).toEqual({
      kind: 'azure',
      container: 'c1',
      prefix: 'p/q',
      account: 'devacct',
      serviceUrl: 'http://127.0.0.1:10000/devacct',
      sas: undefined,
    });
    // an account name is 3 to 24 letters and digits: `ab.` is no account, so the URL is path-style
    expect(parseDestination('https://ab.blob.core.windows.net/c1/x', '/p')).toMatchObject({ account: 'c1', container: 'x', serviceUrl: 'https://ab.blob.core.windows.net/c1' });
    expect(parseDestination(`https://${'a'.repeat(25)}.blob.core.windows.net/c1/x`, '/p')).toMatchObject({ account: 'c1', container: 'x' });
    expect(parseDestination(`https://${'a'.repeat(24)}.blob.core.windows.net/c1/x`, '/p')).toMatchObject({ account: 'a'.repeat(24), container: 'c1' });
    expect(parseDestination('https://x.acct.blob.core.windows.net.evil.com/a/c', '/p')).toMatchObject({ account: 'a', container: 'c' });
  });

  it('https URLs that name no account or container, or are no URL', () => {
    let e = err(() => parseDestination('https://acct.blob.core.windows.net/?sig=abcdefgh', '/p'));
    expect([e.code, e.message, e.hint]).toEqual(cfg('`https://acct.blob.core.windows.net/` names no container', 'e.g. https://ACCOUNT.blob.core.windows.net/container/prefix'));
    e = err(() => parseDestination('http://127.0.0.1:10000/', '/p'));
    expect([e.code, e.message, e.hint]).toEqual(cfg('`http://127.0.0.1:10000/` names no storage account', undefined));
    e = err(() => parseDestination('http://127.0.0.1:10000/acct', '/p'));
    expect(e.message).toBe('`http://127.0.0.1:10000/acct` names no container');
    e = err(() => parseDestination('https://', '/p'));
    expect([e.code, e.message, e.hint]).toEqual(cfg('`https://` is not a valid URL', undefined));
  });

  it('other schemes are refused; file:// and paths are local, resolved against the project', () => {
    for (const [bad, scheme] of [['gs://bucket/x', 'gs://'], ['HDFS://nn/x', 'HDFS://'], ['abfss://c@a.dfs.core.windows.net/x', 'abfss://']]) {
      const e = err(() => parseDestination(bad, '/p'));
      expect([e.code, e.message, e.hint]).toEqual(
        cfg(
          `unsupported export destination \`${bad}\`: tx does not write ${scheme} itself, and Spark writes engine-side exports only to folders tx also sees (tx moves the finished folder into place)`,
          "export to a folder on a mount the Spark server and tx share (a local path or file://… under the hive target's engine_paths), or to s3://, azure:// or target:NAME",
        ),
      );
    }
    for (const bad of ['ftp://bucket/x', 'FTP://host/x', 'a+b.c-d://x']) {
      const e = err(() => parseDestination(bad, '/p'));
      expect([e.code, e.message, e.hint]).toEqual(
        cfg(`unsupported export destination \`${bad}\``, 'use a local path, file://, s3://, azure://, https://ACCOUNT.blob.core.windows.net/... or target:NAME'),
      );
    }
    expect(parseDestination('file:///data/out', '/p')).toEqual({ kind: 'local', dir: '/data/out' });
    expect(parseDestination('FILE:///data/out', '/p')).toEqual({ kind: 'local', dir: '/data/out' });
    expect(parseDestination(' output/x ', '/p')).toEqual({ kind: 'local', dir: '/p/output/x' });
    expect(parseDestination('/abs/out', '/p')).toEqual({ kind: 'local', dir: '/abs/out' });
    expect(parseDestination('./out/./x', '/p')).toEqual({ kind: 'local', dir: '/p/out/x' });
    expect(parseDestination('out..x/y', '/p')).toEqual({ kind: 'local', dir: '/p/out..x/y' });
    // a file:// URL's `..` as written, though the URL parser resolves it away (file:///data/../x is /x)
    expect(parseDestination('file:///data/..x/y', '/p')).toEqual({ kind: 'local', dir: '/data/..x/y' });
    for (const bad of ['../x', 'a/../../b', 'a\\..\\b', '..', 'file:///data/../x', 'file:///data/%2e%2e/x', 'file://localhost/data/%2E./x']) {
      const e = err(() => parseDestination(bad, '/p'));
      expect([e.code, e.message, e.hint]).toEqual(['EXPORT_PATH', `export path \`${bad}\` contains \`..\``, "local exports write only under the project's export_roots (default `output/`)"]);
    }
  });
});

describe('parseExportSpec', () => {
  it('an entry that is not a mapping, or has no `to:`', () => {
    for (const raw of [null, [], 'output/', 3]) expect(fails(raw)).toEqual(cfg('an export entry must be a mapping with at least `to:`'));
    expect(fails({ format: 'csv' })).toEqual(cfg('an export entry needs `to:`', 'e.g. `to: output/`, `s3://bucket/prefix` or `target:postgres`'));
    expect(fails({ to: null })).toEqual(cfg('an export entry needs `to:`', 'e.g. `to: output/`, `s3://bucket/prefix` or `target:postgres`'));
    expect(fails({ to: 5 })).toEqual(cfg('export `to` must be a string, got number'));
  });

  it('unknown options: the close ones, or every option', () => {
    expect(fails({ to: 'o/', formt: 'csv' })).toEqual(cfg('unknown export option `formt`', 'did you mean `format`?'));
    expect(fails({ to: 'o/', PA: 1 })).toEqual(cfg('unknown export option `PA`', 'did you mean `path` or `partition_by`?'));
    expect(fails({ to: 'o/', table_name: 1 })).toEqual(cfg('unknown export option `table_name`', 'did you mean `table` or `name`?'));
    expect(fails({ to: 'o/', xyz: 1 })).toEqual(
      cfg(
        'unknown export option `xyz`',
        'one of: to, format, compression, path, file_name, partition_by, header, delimiter, file_size_mb, stripe_size_mb, mode, table, schema, extra_columns, enabled, name',
      ),
    );
  });

  it('the defaults of a local export, in full', () => {
    const s = spec({ to: 'output' });
    expect(s).toEqual({
      label: `city → ${path.join('/proj', 'output', 'city')}`,
      display: '/proj/output/city',
      destination: { kind: 'local', dir: '/proj/output/city' },
      format: 'parquet',
      compression: 'snappy',
      header: true,
      delimiter: ',',
      partitionBy: [],
      fileSizeBytes: undefined,
      stripeSizeBytes: undefined,
      fileName: 'city',
      mode: 'append',
      overwrite: false,
      table: undefined,
      schema: undefined,
      extraColumns: [],
      enabled: true,
    });
  });

  it('labels and displays of every destination', () => {
    expect([spec({ to: 's3://bkt/a', name: 'daily' }).label, spec({ to: 's3://bkt/a' }).display]).toEqual(['daily', 's3://bkt/a/city']);
    expect(spec({ to: 's3://bkt/a' }).label).toBe('city → s3://bkt/a/city');
    expect(spec({ to: 'azure://cont/a', path: '' }).display).toBe('azure://cont/a');
    expect(spec({ to: 'azure://cont' }).display).toBe('azure://cont/city');
    const h = spec({ to: 'https://acct.blob.core.windows.net/cont/a?sig=SECRETSIGVALUE' });
    expect([h.display, h.label]).toEqual(['https://acct.blob.core.windows.net/cont/a/city', 'city → https://acct.blob.core.windows.net/cont/a/city']);
    expect(h.destination).toMatchObject({ sas: 'sig=SECRETSIGVALUE', prefix: 'a/city' });
    const t = spec({ to: 'target:pg', path: 'ignored', table: 'x' });
    expect([t.display, t.label, t.destination]).toEqual(['target:pg', 'city → target:pg', { kind: 'target', target: 'pg' }]);
  });

  it('`enabled`: booleans, and templates rendering true, false or nothing', () => {
    expect(spec({ to: 'o/', enabled: false }).enabled).toBe(false);
    expect(spec({ to: 'o/', enabled: true }).enabled).toBe(true);
    expect(spec({ to: 'o/', enabled: '{{ yes }}' }).enabled).toBe(true);
    expect(spec({ to: 'o/', enabled: '{{ no }}' }).enabled).toBe(false);
    expect(spec({ to: 'o/', enabled: ' true ' }).enabled).toBe(true);
    expect(spec({ to: 'o/', enabled: '{{ empty }}' }).enabled).toBe(false);
    expect(spec({ to: 'o/', enabled: '' }).enabled).toBe(false);
    expect(fails({ to: 'o/', enabled: 'yes' })).toEqual(cfg('export `enabled` must be true or false (or a template that renders to one)'));
    expect(fails({ to: 'o/', enabled: 1 })).toEqual(cfg('export `enabled` must be true or false (or a template that renders to one)'));
    expect(fails({ to: 'o/', enabled: null })).toEqual(cfg('export `enabled` must be true or false (or a template that renders to one)'));
  });

  it('a disabled export whose `to` renders empty is skipped as it is; an enabled one is an error', () => {
    expect(spec({ to: ' {{ empty }} ', enabled: false, format: 'xml', compression: 'lz4' })).toEqual({
      label: 'city → {{ empty }} (renders empty)',
      display: '{{ empty }} (renders empty)',
      destination: { kind: 'local', dir: '/proj' },
      format: 'parquet',
      compression: 'none',
      header: true,
      delimiter: ',',
      partitionBy: [],
      fileSizeBytes: undefined,
      fileName: 'city',
      mode: 'append',
      table: undefined,
      schema: undefined,
      extraColumns: [],
      enabled: false,
    });
    expect(spec({ to: '{{ empty }}', enabled: '{{ empty }}', name: 'opt' }).label).toBe('opt');
    expect(fails({ to: '{{ empty }}' })[1]).toBe('export `to` is empty');
    // disabled with a destination: parsed and checked all the same
    expect(spec({ to: 's3://bkt', enabled: false })).toMatchObject({ enabled: false, destination: { kind: 's3', bucket: 'bkt', prefix: 'city' } });
    expect(fails({ to: 's3://bkt', enabled: false, format: 'xml' })[1]).toBe('unknown export format `xml`');
  });

  it('only strings with `{{` or `{%` are rendered', () => {
    renders = 0;
    spec({ to: 'o/', path: 'p', file_name: 'f' });
    expect(renders).toBe(0);
    const s = spec({ to: 'o/{{ run }}', path: '{% if 1 %}a{% endif %}/{{ day }}', file_name: 'f_{{ day }}' });
    expect(renders).toBe(3);
    expect([s.destination, s.fileName]).toEqual([{ kind: 'local', dir: '/proj/o/r1/a/2024-05-01' }, 'f_2024-05-01']);
  });

  it('`path` is the folder under `to` (default: the model name); it may not climb', () => {
    expect(spec({ to: 'o', path: 'a//b/./c' }).destination).toEqual({ kind: 'local', dir: '/proj/o/a/b/c' });
    expect(spec({ to: 'o', path: 'a\\b' }).destination).toEqual({ kind: 'local', dir: '/proj/o/a/b' });
    expect(spec({ to: 'o', path: '' }).destination).toEqual({ kind: 'local', dir: '/proj/o' });
    expect(spec({ to: 'o', path: null }).destination).toEqual({ kind: 'local', dir: '/proj/o/city' });
    expect(spec({ to: 's3://bkt/pre', path: '/x/' }).destination).toEqual({ kind: 's3', bucket: 'bkt', prefix: 'pre/x' });
    expect(spec({ to: 'azure://cnt/pre', path: 'x/y' }).destination).toEqual({ kind: 'azure', container: 'cnt', prefix: 'pre/x/y' });
    expect(fails({ to: 'o', path: 'a/../b' })).toEqual(['EXPORT_PATH', 'export path `a/../b` contains `..`', 'export paths may not climb out of their folder; name the folder in `to:` instead']);
    expect(fails({ to: 'o', path: 3 })).toEqual(cfg('export `path` must be a string, got number'));
  });

  it('`file_name` is a plain name', () => {
    expect(spec({ to: 'o', file_name: 'part' }).fileName).toBe('part');
    for (const bad of ['a/b', 'a\\b', '.', '..', '', '{{ empty }}']) {
      const shown = bad === '{{ empty }}' ? '' : bad;
      expect(fails({ to: 'o', file_name: bad })).toEqual(cfg(`export \`file_name\` \`${shown}\` must be a plain file name`, 'folders go in `path:`'));
    }
    expect(spec({ to: 'o', file_name: '..x' }).fileName).toBe('..x');
  });

  it('formats, by any name and case; unknown ones with the close names', () => {
    expect(spec({ to: 'o', format: 'CSV' }).format).toBe('csv');
    expect(spec({ to: 'o', format: 'jsonl' }).format).toBe('json');
    expect(spec({ to: 'o', format: 'ndjson' }).format).toBe('json');
    expect(spec({ to: 'o', format: 'json' }).format).toBe('json');
    expect(spec({ to: 'o', format: 'Parquet' }).format).toBe('parquet');
    expect(fails({ to: 'o', format: 'parq' })).toEqual(cfg('unknown export format `parq`', 'did you mean `parquet`?'));
    expect(fails({ to: 'o', format: 'JSONX' })).toEqual(cfg('unknown export format `JSONX`', 'did you mean `json`?'));
    expect(fails({ to: 'o', format: 'c' })).toEqual(cfg('unknown export format `c`', 'did you mean `csv` or `orc`?'));
    expect(fails({ to: 'o', format: 'xml' })).toEqual(cfg('unknown export format `xml`', 'one of: parquet, csv, json, orc'));
    expect(fails({ to: 'o', format: 'toString' })).toEqual(cfg('unknown export format `toString`', 'one of: parquet, csv, json, orc'));
  });

  it('target exports take no format but parquet (the default)', () => {
    expect(spec({ to: 'target:pg', format: 'parquet' }).format).toBe('parquet');
    expect(fails({ to: 'target:pg', format: 'json' })).toEqual(cfg('`format` does not apply to `to: target:...` exports', 'rows are copied into a table; remove `format`'));
  });

  it('compressions: the default per format, aliases, and the ones a format refuses', () => {
    expect(['parquet', 'csv', 'json', 'orc'].map((format) => spec({ to: 'o', format }).compression)).toEqual(['snappy', 'none', 'none', 'snappy']);
    expect(spec({ to: 'o', compression: 'Uncompressed' }).compression).toBe('none');
    expect(spec({ to: 'o', format: 'csv', compression: 'GZ' }).compression).toBe('gzip');
    expect(spec({ to: 'o', format: 'csv', compression: 'BZ2' }).compression).toBe('bzip2');
    expect(spec({ to: 'o', format: 'json', compression: 'ZSTD' }).compression).toBe('zstd');
    expect(spec({ to: 'o', format: 'csv', compression: 'none' }).compression).toBe('none');
    expect(fails({ to: 'o', compression: 'lz4' })).toEqual(cfg('compression `lz4` is not available for parquet', 'for parquet use one of: snappy, zstd, gzip, none'));
    expect(fails({ to: 'o', format: 'csv', compression: 'snappy' })).toEqual(cfg('compression `snappy` is not available for csv', 'for csv use one of: none, gzip, zstd, bzip2'));
    expect(fails({ to: 'o', format: 'orc', compression: 'zstd' })).toEqual(cfg('compression `zstd` is not available for orc', 'for orc use one of: snappy, zlib, none'));
    expect(fails({ to: 'o', compression: 7 })).toEqual(cfg('export `compression` must be a string, got number'));
  });

  it('CSV header and delimiter', () => {
    expect(spec({ to: 'o', format: 'csv', header: false, delimiter: '\t' })).toMatchObject({ header: false, delimiter: '\t' });
    expect(fails({ to: 'o', format: 'csv', header: 'no' })).toEqual(cfg('export `header` must be true or false'));
    for (const d of [';;', '', '\n', '\r', '"']) {
      expect(fails({ to: 'o', format: 'csv', delimiter: d })).toEqual(cfg(`export \`delimiter\` must be one character (not a quote or newline), got \`${d}\``));
    }
    expect(fails({ to: 'o', format: 'json', header: true })).toEqual(cfg('`header` and `delimiter` apply to `format: csv` only'));
    expect(fails({ to: 'o', delimiter: ',' })).toEqual(cfg('`header` and `delimiter` apply to `format: csv` only'));
  });

  it('partition_by: a column or a list of plain column names', () => {
    expect(spec({ to: 'o', partition_by: 'day' }).partitionBy).toEqual(['day']);
    expect(spec({ to: 'o', partition_by: ['_a1', 'B'] }).partitionBy).toEqual(['_a1', 'B']);
    expect(spec({ to: 'o', partition_by: null }).partitionBy).toEqual([]);
    for (const bad of [3, { a: 1 }, ['a', 1], true]) expect(fails({ to: 'o', partition_by: bad })).toEqual(cfg('export `partition_by` must be a column name or a list of them'));
    for (const bad of ['1a', 'a-b', 'a b', '']) {
      expect(fails({ to: 'o', partition_by: [bad] })).toEqual(cfg(`export partition_by column \`${bad}\` is not a plain column name`, 'use letters, digits and underscores'));
    }
  });

  it('file_size_mb: a positive number, in bytes, at least one; not for target exports', () => {
    expect(spec({ to: 'o', file_size_mb: 2 }).fileSizeBytes).toBe(2 * 1024 * 1024);
    expect(spec({ to: 'o', file_size_mb: 0.5 }).fileSizeBytes).toBe(524288);
    expect(spec({ to: 'o', file_size_mb: 0.0000001 }).fileSizeBytes).toBe(1);
    expect(spec({ to: 'o', file_size_mb: null }).fileSizeBytes).toBeUndefined();
    for (const bad of [0, -1, '5', Number.NaN]) expect(fails({ to: 'o', file_size_mb: bad })).toEqual(cfg('export `file_size_mb` must be a positive number'));
    expect(fails({ to: 'target:pg', file_size_mb: 1 })).toEqual(cfg('`file_size_mb` does not apply to `to: target:...` exports'));
  });

  it('stripe_size_mb: ORC only, 1 to 1024', () => {
    expect(spec({ to: 'o', format: 'orc', stripe_size_mb: 1 }).stripeSizeBytes).toBe(1048576);
    expect(spec({ to: 'o', format: 'orc', stripe_size_mb: 1024 }).stripeSizeBytes).toBe(1024 * 1048576);
    expect(spec({ to: 'o', format: 'orc', stripe_size_mb: 1.5 }).stripeSizeBytes).toBe(1572864);
    expect(spec({ to: 'o', format: 'orc', stripe_size_mb: null }).stripeSizeBytes).toBeUndefined();
    for (const bad of [0.99, 1025, '8', Number.NaN]) {
      expect(fails({ to: 'o', format: 'orc', stripe_size_mb: bad })).toEqual(cfg('export `stripe_size_mb` must be a number from 1 to 1024', 'ORC writers use 64 by default'));
    }
    expect(fails({ to: 'o', format: 'csv', stripe_size_mb: 8 })).toEqual(cfg('`stripe_size_mb` applies to `format: orc` only'));
  });

  it('mode: append or replace for target exports, overwrite only for file exports', () => {
    expect(spec({ to: 'target:pg' })).toMatchObject({ mode: 'append', overwrite: false });
    expect(spec({ to: 'target:pg', mode: 'append' })).toMatchObject({ mode: 'append', overwrite: false });
    expect(spec({ to: 'target:pg', mode: 'replace' })).toMatchObject({ mode: 'replace', overwrite: false });
    expect(spec({ to: 'o', mode: 'overwrite' })).toMatchObject({ mode: 'append', overwrite: true });
    for (const m of ['append', 'replace', 'Overwrite']) {
      expect(fails({ to: 'o', mode: m })).toEqual(cfg('`mode` applies to `to: target:...` exports only (file exports take only `mode: overwrite`)', 'file exports always write a complete new folder'));
    }
    expect(fails({ to: 'target:pg', mode: 'overwrite' })).toEqual(cfg('export `mode` must be append or replace, got `overwrite`'));
  });

  it('table and schema: rendered, for target exports only', () => {
    expect(spec({ to: 'target:pg', table: 't_{{ tbl }}', schema: '{{ sch }}' })).toMatchObject({ table: 't_hist', schema: 'arch' });
    expect(spec({ to: 'target:pg' })).toMatchObject({ table: undefined, schema: undefined });
    expect(fails({ to: 'o', table: 't' })).toEqual(cfg('`table` and `schema` apply to `to: target:...` exports only'));
    expect(fails({ to: 's3://bkt', schema: 's' })).toEqual(cfg('`table` and `schema` apply to `to: target:...` exports only'));
  });

  it('extra columns: text, numbers, booleans, templates, {value, type}', () => {
    expect(spec({ to: 'o', extra_columns: { a: 'x', b: 5, c: true, d: '{{ day }}', e: { value: 1.5 }, f: { value: '{{ run }}', type: 'decimal(10, 2)' }, g: { value: false, type: 'Bool' } } }).extraColumns).toEqual([
      { name: 'a', value: 'x', type: 'string' },
      { name: 'b', value: '5', type: 'string' },
      { name: 'c', value: 'true', type: 'string' },
      { name: 'd', value: '2024-05-01', type: 'string' },
      { name: 'e', value: '1.5', type: 'string' },
      { name: 'f', value: 'r1', type: 'decimal(10, 2)' },
      { name: 'g', value: 'false', type: 'Bool' },
    ]);
    expect(spec({ to: 'o', extra_columns: null }).extraColumns).toEqual([]);
    expect(spec({ to: 'o', extra_columns: {} }).extraColumns).toEqual([]);
  });

  it('extra columns: every bad entry', () => {
    for (const bad of [['a'], 'a', 3]) expect(fails({ to: 'o', extra_columns: bad })).toEqual(cfg('export `extra_columns` must be a mapping of column name to value'));
    expect(fails({ to: 'o', extra_columns: { 'a-b': 'x' } })).toEqual(cfg('export extra column `a-b` is not a plain column name', 'use letters, digits and underscores'));
    expect(fails({ to: 'o', extra_columns: { d: { value: 'x', typ: 'date' } } })).toEqual(cfg('extra column `d`: unknown key `typ`', 'use `value:` and `type:`'));
    for (const t of ['date; drop table x', 5, '1int', '']) expect(fails({ to: 'o', extra_columns: { d: { value: 'x', type: t } } })).toEqual(cfg('extra column `d`: `type` must be a type name'));
    for (const v of [null, [1], { type: 'date' }, { value: null }, { value: [1] }]) {
      expect(fails({ to: 'o', extra_columns: { d: v } })).toEqual(cfg('extra column `d` needs a value (text, a number or a template)'));
    }
  });
});
