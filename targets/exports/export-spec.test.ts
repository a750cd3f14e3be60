import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ExportError, scrubSecrets } from './export-error.js';
import { fileExtension, parseExportSpec, type SpecContext } from './export-spec.js';
import { isTransient } from './retry.js';

const ctx: SpecContext = {
  projectDir: '/proj',
  nodeName: 'city_report',
  renderTemplate: (t) => t.replace('{{ this.name }}', 'city_report').replace(/\{\{ run_started_at[^}]*\}\}/, '2024-05-01-10-00-00'),
};

function fails(raw: Record<string, unknown>, code: string, re: RegExp): ExportError {
  let err: unknown;
  try {
    parseExportSpec(raw, ctx);
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(ExportError);
  expect((err as ExportError).code).toBe(code);
  expect((err as ExportError).message).toMatch(re);
  return err as ExportError;
}

describe('export entries', () => {
  it('defaults: parquet snappy, a folder named after the model, one file', () => {
    const s = parseExportSpec({ to: 'output/' }, ctx);
    expect(s.destination).toEqual({ kind: 'local', dir: path.join('/proj', 'output', 'city_report') });
    expect([s.format, s.compression, s.fileName, s.partitionBy, s.fileSizeBytes, s.enabled]).toEqual(['parquet', 'snappy', 'city_report', [], undefined, true]);
  });

  it('enabled may be a template; a disabled export whose `to` renders empty is skipped, an enabled one is an error', () => {
    const render = { ...ctx, renderTemplate: (t: string) => t.replace("{{ var('s3_uri') }}", '').replace("{{ var('s3_uri') != '' }}", 'False') };
    const off = parseExportSpec({ to: "{{ var('s3_uri') }}", enabled: "{{ var('s3_uri') != '' }}", format: 'json' }, render);
    expect(off.enabled).toBe(false);
    expect(off.display).toBe("{{ var('s3_uri') }} (renders empty)");
    expect(() => parseExportSpec({ to: "{{ var('s3_uri') }}" }, render)).toThrow(ExportError);
    expect(parseExportSpec({ to: 's3://my-bucket/p', enabled: 'True' }, ctx).enabled).toBe(true);
    fails({ to: 's3://my-bucket/p', enabled: 'maybe' }, 'EXPORT_CONFIG', /`enabled` must be true or false/);
  });

  it('parses every kind of destination, rendering templates', () => {
    const p = "{{ this.name }}/{{ run_started_at.strftime('%Y-%m-%d-%H-%M-%S') }}";
    expect(parseExportSpec({ to: 's3://my-bucket/reports/', path: p }, ctx).destination).toEqual({
      kind: 's3',
      bucket: 'my-bucket',
      prefix: 'reports/city_report/2024-05-01-10-00-00',
    });
    expect(parseExportSpec({ to: 'azure://reports/daily', path: p }, ctx).destination).toEqual({
      kind: 'azure',
      container: 'reports',
      prefix: 'daily/city_report/2024-05-01-10-00-00',
    });
    const https = parseExportSpec({ to: 'https://acct.blob.core.windows.net/reports/daily?sv=2024&sig=SECRETSIG123' }, ctx);
    expect(https.destination).toMatchObject({ kind: 'azure', account: 'acct', container: 'reports', prefix: 'daily/city_report', serviceUrl: 'https://acct.blob.core.windows.net' });
    expect(https.display).toBe('https://acct.blob.core.windows.net/reports/daily/city_report');
    expect(https.label).not.toContain('SECRETSIG123');
    expect(parseExportSpec({ to: 'http://127.0.0.1:10000/devstoreaccount1/c1c/x' }, ctx).destination).toMatchObject({
      account: 'devstoreaccount1',
      container: 'c1c',
      serviceUrl: 'http://127.0.0.1:10000/devstoreaccount1',
    });
    expect(parseExportSpec({ to: 'file:///data/out' }, ctx).destination).toEqual({ kind: 'local', dir: '/data/out/city_report' });
    expect(parseExportSpec({ to: 'target:postgres', mode: 'replace', table: 'city_report_hist' }, ctx)).toMatchObject({
      destination: { kind: 'target', target: 'postgres' },
      mode: 'replace',
      table: 'city_report_hist',
    });
  });

  it('knows which compression goes with which format, and names files by it', () => {
    expect(parseExportSpec({ to: 'o/', format: 'jsonl', compression: 'bz2' }, ctx)).toMatchObject({ format: 'json', compression: 'bzip2' });
    expect(parseExportSpec({ to: 'o/', format: 'csv', compression: 'gzip', delimiter: ';', header: false }, ctx)).toMatchObject({ delimiter: ';', header: false });
    fails({ to: 'o/', format: 'parquet', compression: 'bzip2' }, 'EXPORT_CONFIG', /bzip2.*not available for parquet/);
    fails({ to: 'o/', format: 'json', compression: 'snappy' }, 'EXPORT_CONFIG', /snappy.*not available for json/);
    expect(parseExportSpec({ to: 'o/', format: 'orc' }, ctx)).toMatchObject({ format: 'orc', compression: 'snappy', stripeSizeBytes: undefined });
    expect(parseExportSpec({ to: 'o/', format: 'ORC', compression: 'zlib', stripe_size_mb: 8 }, ctx)).toMatchObject({ format: 'orc', compression: 'zlib', stripeSizeBytes: 8 * 1024 * 1024 });
    expect(fileExtension('orc', 'snappy')).toBe('.orc');
    fails({ to: 'o/', format: 'orc', compression: 'gzip' }, 'EXPORT_CONFIG', /gzip.*not available for orc/);
    fails({ to: 'o/', format: 'orc', stripe_size_mb: 0 }, 'EXPORT_CONFIG', /stripe_size_mb/);
    fails({ to: 'o/', format: 'parquet', stripe_size_mb: 8 }, 'EXPORT_CONFIG', /applies to `format: orc` only/);
    fails({ to: 'o/', format: 'parquet', delimiter: ';' }, 'EXPORT_CONFIG', /apply to `format: csv` only/);
  });

  it('extra columns take text, numbers or {value, type}', () => {
    const s = parseExportSpec({ to: 'target:hive', extra_columns: { delivery_date: { value: "{{ run_started_at.strftime('%Y-%m-%d') }}", type: 'date' }, batch: 7 } }, ctx);
    expect(s.extraColumns).toEqual([
      { name: 'delivery_date', value: '2024-05-01-10-00-00', type: 'date' },
      { name: 'batch', value: '7', type: 'string' },
    ]);
    fails({ to: 'o/', extra_columns: { 'bad name': 'x' } }, 'EXPORT_CONFIG', /not a plain column name/);
  });

  it('file exports take mode: overwrite only (an engine-side export may then replace a folder of foreign files)', () => {
    expect(parseExportSpec({ to: 'o/', mode: 'overwrite' }, ctx)).toMatchObject({ overwrite: true, mode: 'append' });
    expect(parseExportSpec({ to: 'o/' }, ctx).overwrite).toBe(false);
    fails({ to: 'o/', mode: 'replace' }, 'EXPORT_CONFIG', /file exports take only `mode: overwrite`/);
    fails({ to: 'target:pg', mode: 'overwrite' }, 'EXPORT_CONFIG', /must be append or replace/);
  });

  it('refuses options that do not fit the destination', () => {
    fails({ to: 'o/', mode: 'append' }, 'EXPORT_CONFIG', /target:/);
    fails({ to: 'target:pg', file_size_mb: 10 }, 'EXPORT_CONFIG', /file_size_mb/);
    fails({ to: 'target:pg', format: 'csv' }, 'EXPORT_CONFIG', /format/);
    fails({ to: 'target:' }, 'EXPORT_CONFIG', /names no target/);
    fails({ to: 's3://B/x' }, 'EXPORT_CONFIG', /bucket/);
    fails({ to: 'o/', file_size_mb: -1 }, 'EXPORT_CONFIG', /positive/);
    fails({ to: 'o/', partition_by: [1] }, 'EXPORT_CONFIG', /partition_by/);
    fails({ format: 'csv' }, 'EXPORT_CONFIG', /needs `to:`/);
    fails({ to: 'o/', file_name: 'a/b' }, 'EXPORT_CONFIG', /plain file name/);
    fails({ to: 's3://bucket/a/../b' }, 'EXPORT_PATH', /\.\./);
    // Cluster file systems: neither tx's uploader nor Spark's engine-side writer (tx renames the finished folder) reaches them.
    const hdfs = fails({ to: 'hdfs:///data/out' }, 'EXPORT_CONFIG', /unsupported export destination `hdfs:\/\/\/data\/out`: tx does not write hdfs:\/\/ itself, and Spark writes engine-side exports only to folders tx also sees/);
    expect(hdfs.hint).toMatch(/engine_paths/);
    fails({ to: 'abfss://c@acct.dfs.core.windows.net/out' }, 'EXPORT_CONFIG', /unsupported export destination `abfss:\/\/.*`: tx does not write abfss:\/\//);
  });
});

describe('secrets and retries', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  it('scrubs keys, connection strings, SAS tokens and signatures', () => {
    process.env.AWS_SECRET_ACCESS_KEY = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
    process.env.AZURE_STORAGE_CONNECTION_STRING = 'DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=c2VjcmV0a2V5c2VjcmV0a2V5;EndpointSuffix=core.windows.net';
    const text = [
      'failed with wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
      'cs: DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=c2VjcmV0a2V5c2VjcmV0a2V5;EndpointSuffix=core.windows.net',
      'key alone c2VjcmV0a2V5c2VjcmV0a2V5',
      'https://acct.blob.core.windows.net/c/x?sv=2024-01-01&se=2030&sp=rw&sig=abcDEF123%2Bxyz',
      'X-Amz-Signature=0123456789abcdef0123 and Credential=AKIAEXAMPLE/20240101/us-east-1/s3/aws4_request',
    ].join('\n');
    const out = scrubSecrets(text);
    for (const secret of ['wJalrXUtnFEMI', 'c2VjcmV0a2V5c2VjcmV0a2V5', 'abcDEF123', '0123456789abcdef0123', 'AKIAEXAMPLE']) expect(out).not.toContain(secret);
    // The whole connection string is a secret when it is the one in the environment.
    expect(out).toContain('cs: ***');
    expect(new ExportError('EXPORT_AUTH', text).message).not.toContain('wJalrXUtnFEMI');
  });

  it('retries throttling, 5xx and dropped connections, not auth or missing things', () => {
    expect(isTransient({ name: 'SlowDown', $metadata: { httpStatusCode: 503 } })).toBe(true);
    expect(isTransient({ name: 'InternalError', $metadata: { httpStatusCode: 500 } })).toBe(true);
    expect(isTransient({ statusCode: 429 })).toBe(true);
    expect(isTransient(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }))).toBe(true);
    expect(isTransient({ name: 'TimeoutError' })).toBe(true);
    expect(isTransient({ name: 'InvalidAccessKeyId', $metadata: { httpStatusCode: 403 } })).toBe(false);
    expect(isTransient({ name: 'NoSuchBucket', $metadata: { httpStatusCode: 404 } })).toBe(false);
    expect(isTransient({ name: 'AbortError' })).toBe(false);
  });
});
