/**
 * The Hive target's pure parts, without a server: quoting, types, config, error messages,
 * retry safety, and parsing Apache Hive's DESCRIBE output (the server in hive.test.ts is Spark).
 */
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { expandSourceFiles } from '../../compiler/run/file-source-files.js';
import { TargetError } from '../target.js';
import { cleanHiveMessage, retrySafe } from './hive-connection.js';
import { hiveDialect as d, normalizeHiveType } from './hive-dialect.js';
import { sparkCompression } from './hive-engine-export.js';
import { displayPath, engineLocation, formatOfName, sparkTryCast } from './hive-engine-source.js';
import { parseDescribe } from './hive-introspector.js';
import { contractDiff, tableLocation, tableOptions } from './hive-materializations.js';
import { durationMs, hiveSettings } from './index.js';

describe('hive dialect', () => {
  it('quotes identifiers with backticks and names relations db.table', () => {
    expect(d.quoteIdentifier('a`b')).toBe('`a``b`');
    expect(d.relationName({ database: 'ignored', schema: 'prescpipeline', identifier: 'select' })).toBe('`prescpipeline`.`select`');
  });
  it('escapes string literals with backslashes (Spark reads doubled quotes as two literals)', () => {
    expect(d.literal("it's a \\ path\nnext")).toBe("'it\\'s a \\\\ path\\nnext'");
  });
  it('maps logical and foreign types to Hive types', () => {
    expect(['string', 'integer', 'bigint', 'double', 'decimal', 'boolean', 'date', 'timestamp'].map((t) => d.typeName(t))).toEqual([
      'STRING',
      'INT',
      'BIGINT',
      'DOUBLE',
      'DECIMAL(38,9)',
      'BOOLEAN',
      'DATE',
      'TIMESTAMP',
    ]);
    expect(d.typeName('varchar')).toBe('STRING');
    expect(d.typeName('decimal(10, 2)')).toBe('DECIMAL(10, 2)');
    expect(normalizeHiveType('decimal(10, 2)')).toBe('DECIMAL(10,2)');
    expect(d.typeName('array<string>')).toBe('ARRAY<STRING>');
  });
  it('checks contracts with Hive type names', () => {
    expect(contractDiff([{ name: 'id', type: 'INT' }, { name: 'n', type: 'STRING' }], [{ name: 'id', dataType: 'integer' }, { name: 'n', dataType: 'varchar' }])).toBeNull();
    expect(contractDiff([{ name: 'id', type: 'INT' }], [{ name: 'id', dataType: 'bigint' }])).toMatch(/column `id` is INT, the contract says bigint \(BIGINT on Hive\)/);
  });
});

describe('hive config', () => {
  it('reads env_var() strings: port, timeouts, auth in any case', () => {
    const s = hiveSettings('hive', { type: 'hive', host: 'h', port: '10001', auth: 'ldap', user: 'u', password: 'p', connect_timeout: '500ms', query_timeout: '2m', retries: '0' });
    expect(s.connection).toMatchObject({ host: 'h', port: 10001, auth: 'LDAP', user: 'u', password: 'p', connectTimeoutMs: 500, queryTimeoutMs: 120_000, retries: 0 });
    // A remote server with no shared folder: loads go through INSERT ... VALUES.
    expect(s.load.landingDir).toBeNull();
    expect(durationMs(undefined, 'x', 30)).toBe(30_000);
    expect(() => durationMs('soon', 'query_timeout', 0)).toThrow(/query_timeout must be a number of seconds/);
  });
  it('refuses Kerberos, unknown auth modes, bad ports, and parquet loads without a shared folder', () => {
    expect(() => hiveSettings('h', { type: 'hive', auth: 'GSSAPI' })).toThrow(/auth KERBEROS is not supported by tx/);
    expect(() => hiveSettings('h', { type: 'hive', auth: 'CUSTOM' })).toThrow(TargetError);
    expect(() => hiveSettings('h', { type: 'hive', port: '70000' })).toThrow(/port must be 1\.\.65535/);
    expect(() => hiveSettings('h', { type: 'hive', host: 'hive.example', load_method: 'parquet' })).toThrow(/set landing_dir/);
    expect(hiveSettings('h', { type: 'hive', host: 'hive.example', location_root: 'file:///shared/wh' }).load.landingDir).toBe('/shared/wh/_tx_landing');
  });
  it('reads table options from model config', () => {
    const o = tableOptions({ partition_by: { field: 'delivery_date' }, clustered_by: 'a, b', buckets: 4, tblproperties: { k: 1 } }, { fileFormat: 'orc' });
    expect(o).toEqual({ fileFormat: 'orc', partitionBy: ['delivery_date'], clusteredBy: ['a', 'b'], buckets: 4, tblproperties: { k: '1' }, locationRoot: undefined });
    expect(tableLocation('s3a://bucket/wh/', { schema: 'db', identifier: 't' }, 'b1')).toBe('s3a://bucket/wh/db/t/b1');
  });
});

describe('hive messages and retries', () => {
  it("keeps Hive's own message, without the Java stack and wrapper classes", () => {
    const raw =
      'org.apache.hive.service.cli.HiveSQLException: Error running query: [TABLE_OR_VIEW_NOT_FOUND] org.apache.spark.sql.AnalysisException: [TABLE_OR_VIEW_NOT_FOUND] The table or view `d1`.`nope` cannot be found.; line 1 pos 14;\n' +
      "'Project [*]\n+- 'UnresolvedRelation [d1, nope], [], false\n\n\tat org.apache.spark.sql.hive.thriftserver.HiveThriftServerErrors$.runningQueryError(HiveThriftServerErrors.scala:43)\n\tat x.y(Z.java:1)\nCaused by: org.apache.spark.sql.AnalysisException: again";
    expect(cleanHiveMessage(raw)).toBe('[TABLE_OR_VIEW_NOT_FOUND] The table or view `d1`.`nope` cannot be found.; line 1 pos 14');
    expect(cleanHiveMessage('Error while compiling statement: FAILED: SemanticException [Error 10001]: Line 1:14 Table not found \'x\'')).toBe(
      "FAILED: SemanticException [Error 10001]: Line 1:14 Table not found 'x'",
    );
  });
  it('repeats only statements that are safe to repeat after a dropped session', () => {
    for (const sql of ['SELECT 1', '  -- c\nshow tables', 'DESCRIBE x', 'SET a=b', 'with a as (select 1) select * from a', 'CREATE OR REPLACE VIEW v AS SELECT 1', 'DROP TABLE IF EXISTS t']) {
      expect(retrySafe(sql), sql).toBe(true);
    }
    for (const sql of ['CREATE TABLE t AS SELECT 1', 'INSERT INTO t SELECT 1', 'with a as (select 1) insert into t select * from a', 'ALTER TABLE a RENAME TO b', 'DROP TABLE t']) {
      expect(retrySafe(sql), sql).toBe(false);
    }
  });
});

describe('DESCRIBE output of Apache Hive (padded, partition columns apart, facts with colons)', () => {
  const row = (a: string | null, b: string | null, c: string | null) => ({ col_name: a, data_type: b, comment: c });
  it('parses DESCRIBE FORMATTED of a partitioned external Parquet table', () => {
    const rows = [
      row('# col_name            ', 'data_type           ', 'comment             '),
      row('', null, null),
      row('id                  ', 'int                 ', ''),
      row('name                ', 'string              ', ''),
      row('', null, null),
      row('# Partition Information', null, null),
      row('# col_name            ', 'data_type           ', 'comment             '),
      row('', null, null),
      row('dt                  ', 'string              ', ''),
      row('', null, null),
      row('# Detailed Table Information', null, null),
      row('Database:           ', 'default             ', null),
      row('Location:           ', 'hdfs://nn:8020/wh/t ', null),
      row('Table Type:         ', 'EXTERNAL_TABLE      ', null),
      row('Table Parameters:', null, null),
      row('', 'EXTERNAL            ', 'TRUE                '),
      row('', 'numFiles            ', '1                   '),
      row('', null, null),
      row('# Storage Information', null, null),
      row('SerDe Library:      ', 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe', null),
      row('InputFormat:        ', 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat', null),
    ];
    const p = parseDescribe(rows);
    expect(p.columns).toEqual([
      { name: 'id', type: 'INT' },
      { name: 'name', type: 'STRING' },
      { name: 'dt', type: 'STRING' },
    ]);
    expect(p.partitionColumns).toEqual(['dt']);
    expect(p).toMatchObject({ type: 'EXTERNAL_TABLE', provider: 'parquet', external: true, location: 'hdfs://nn:8020/wh/t' });
  });
  it('parses plain DESCRIBE, which lists partition columns twice', () => {
    const rows = [
      row('id                  ', 'int                 ', ''),
      row('dt                  ', 'string              ', ''),
      row('', null, null),
      row('# Partition Information', null, null),
      row('# col_name            ', 'data_type           ', 'comment             '),
      row('', null, null),
      row('dt                  ', 'string              ', ''),
    ];
    expect(parseDescribe(rows).columns).toEqual([
      { name: 'id', type: 'INT' },
      { name: 'dt', type: 'STRING' },
    ]);
  });
  it('tells a Hive view by its table type', () => {
    const p = parseDescribe([row('x', 'int', ''), row('', null, null), row('# Detailed Table Information', null, null), row('Table Type:', 'VIRTUAL_VIEW', null)]);
    expect(p.type).toBe('VIRTUAL_VIEW');
  });
});

describe('engine-side routes (engine_paths)', () => {
  it('reads engine_paths as a list or a comma-separated string, and refuses an entry that is not a URL prefix', () => {
    const base = { type: 'hive', host: 'h' };
    expect(hiveSettings('hive', { ...base, engine_paths: ['hdfs://', 's3a://drops/'] }).enginePaths).toEqual(['hdfs://', 's3a://drops/']);
    expect(hiveSettings('hive', { ...base, engine_paths: 'file://, hdfs://' }).enginePaths).toEqual(['file://', 'hdfs://']);
    expect(hiveSettings('hive', { ...base, engine_paths: '' }).enginePaths).toEqual([]);
    expect(() => hiveSettings('hive', { ...base, engine_paths: ['/data'] })).toThrow(/engine_paths entries are URL prefixes such as hdfs:\/\//);
    expect(hiveSettings('hive', { ...base, scratch_dir: 'hdfs:///tmp/tx' }).scratchDir).toBe('hdfs:///tmp/tx');
    expect(hiveSettings('hive', { ...base, scratch_dir: '/srv/scratch' }).scratchDir).toBe('file:///srv/scratch');
  });
  it('a source goes to the engine only when its path as written starts with an engine path', () => {
    expect(engineLocation({ location: 'hdfs:///drops/x.csv' }, ['hdfs://'])).toBe('hdfs:///drops/x.csv');
    expect(engineLocation({ location: 'HDFS:///drops/x.csv' }, ['hdfs://'])).toBe('HDFS:///drops/x.csv');
    expect(engineLocation({ location: '/drops/x.csv' }, ['hdfs://', 'file://'])).toBeNull();
    expect(engineLocation({ location: 'file:///other/x.csv' }, ['file:///data/'])).toBeNull();
    expect(engineLocation({ location: 'file:///data/x.csv' }, ['file:///data/'])).toBe('file:///data/x.csv');
    expect(engineLocation({ location: 'hdfs:///drops/x.csv' }, [])).toBeNull();
  });
  it('names a file’s format from its extension, compression suffixes aside', () => {
    expect(['a.csv', 'a.csv.gz', 'part-0.snappy.parquet', 'x.json.bz2', 'x.jsonl', 'p.orc', 'r.avro', 'README', 'x.txt'].map(formatOfName)).toEqual([
      'csv',
      'csv',
      'parquet',
      'json',
      'json',
      'orc',
      'avro',
      undefined,
      undefined,
    ]);
    expect(displayPath('file:///tmp/a b.csv')).toBe('/tmp/a b.csv');
    expect(displayPath('file:/tmp/a.csv')).toBe('/tmp/a.csv');
    expect(displayPath('hdfs:///a.csv')).toBe('hdfs:///a.csv');
  });
  it('casts to integral types as DuckDB does (rounding through DECIMAL), others with a plain try_cast', () => {
    expect(sparkTryCast('`x`', 'BIGINT')).toBe('try_cast(round(try_cast(`x` AS DECIMAL(38,10)), 0) AS BIGINT)');
    expect(sparkTryCast('`x`', 'DOUBLE')).toBe('try_cast(`x` AS DOUBLE)');
    expect(sparkTryCast('`x`', 'DATE')).toBe('try_cast(`x` AS DATE)');
  });
  it('Spark codecs per export format; none is uncompressed for Parquet; unknown pairs are left to tx', () => {
    expect(sparkCompression('parquet', 'snappy')).toBe('snappy');
    expect(sparkCompression('parquet', 'none')).toBe('uncompressed');
    expect(sparkCompression('json', 'bzip2')).toBe('bzip2');
    expect(sparkCompression('parquet', 'bzip2')).toBeUndefined();
    expect(sparkCompression('orc', 'zlib')).toBe('zlib');
  });
  it('a URL source path is kept as written (the engine reads it); a file:// path this machine sees is expanded locally', () => {
    const where = { source: 'vendor.x' };
    expect(expandSourceFiles('hdfs:///drops/2026/', '/proj', where)).toEqual(['hdfs:///drops/2026/']);
    expect(expandSourceFiles('file:///nowhere-on-this-machine/x.csv', '/proj', where)).toEqual(['file:///nowhere-on-this-machine/x.csv']);
    const here = fileURLToPath(import.meta.url);
    expect(expandSourceFiles(pathToFileURL(here).href, '/proj', where)).toEqual([here]);
  });
});
