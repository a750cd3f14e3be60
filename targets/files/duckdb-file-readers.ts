/**
 * How tx reads vendor files with DuckDB, shared by every target's loader (DuckDB loads in
 * place; PostgreSQL and Hive read with an in-process DuckDB): the untyped reader query for a
 * source without declared columns, and Avro records staged as text for typing.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { duckdbDialect as d } from '../duckdb/duckdb-dialect.js';
import { TargetError, type FileSourceLoad } from '../target.js';
import { avroColumns, readAvroBatches, type AvroColumn } from './avro-reader.js';

const fileList = (files: string[]): string => `[${files.map(d.literal).join(', ')}]`;

/** `select * from read_…(files)` for a source whose columns are not declared. */
export function untypedReaderSql(l: Pick<FileSourceLoad, 'files' | 'format' | 'options'>): string {
  const files = fileList(l.files);
  switch (l.format) {
    case 'csv': {
      const o = l.options;
      const opts = [`header = ${o.header === false ? 'false' : 'true'}`];
      if (o.delimiter) opts.push(`delim = ${d.literal(o.delimiter)}`);
      if (o.quote) opts.push(`quote = ${d.literal(o.quote)}`);
      return `select * from read_csv(${files}, ${opts.join(', ')})`;
    }
    case 'parquet':
      return `select * from read_parquet(${files})`;
    case 'json':
      return `select * from read_json_auto(${files})`;
    default:
      throw new TargetError(`format ${l.format} is not readable in place by DuckDB (csv, parquet, json)`);
  }
}

/** The columns of the first Avro file, or a clear error when it is not one. */
export async function avroSourceColumns(l: Pick<FileSourceLoad, 'files'>): Promise<AvroColumn[]> {
  return avroColumns(l.files[0]!).catch((e: unknown) => {
    throw new TargetError(`${l.files[0]}: not a readable Avro file: ${(e as Error).message}`, { cause: e });
  });
}

/**
 * Stream every record of the Avro files (avsc, bounded memory) into `table` (created here) as
 * text values plus `__tx_file` and `__tx_line` (record number), ready to be typed like any source.
 */
export async function stageAvroRecords(
  c: DuckDBConnection,
  table: { schema: string; identifier: string },
  names: string[],
  l: Pick<FileSourceLoad, 'files' | 'signal'>,
  opts: { create?: string; run?: (sql: string) => Promise<unknown> } = {},
): Promise<void> {
  const q = d.quoteIdentifier;
  const run = opts.run ?? ((sql: string) => c.run(sql));
  const create = opts.create ?? 'create or replace table';
  await run(`${create} ${q(table.schema)}.${q(table.identifier)} (${[...names.map((n) => `${q(n)} varchar`), '__tx_file varchar', '__tx_line bigint'].join(', ')})`);
  const appender = await c.createAppender(table.identifier, table.schema);
  try {
    for (const f of l.files) {
      let line = 0;
      for await (const batch of readAvroBatches(f, { batchSize: 5000, signal: l.signal })) {
        for (const row of batch) {
          line++;
          for (const n of names) {
            const v = row[n];
            if (v === null || v === undefined) appender.appendNull();
            else appender.appendVarchar(v instanceof Date ? v.toISOString() : typeof v === 'object' ? JSON.stringify(v) : String(v));
          }
          appender.appendVarchar(f);
          appender.appendVarchar(String(line));
          appender.endRow();
        }
      }
    }
    appender.flushSync();
  } catch (e) {
    throw new TargetError(`cannot read Avro source ${l.files[0]}: ${(e as Error).message}`, { cause: e });
  } finally {
    appender.closeSync();
  }
}
