/**
 * The checks every target makes on a CSV file source before reading it: what the file is,
 * and whether its header is the declared columns. One place, so every target gives the
 * same message for the same bad file.
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { TargetError, type FileSourceLoad, type LoadColumn } from '../target.js';

/** The first line of a (possibly gzipped) text file, without BOM and CR. */
export function readHeaderLine(path: string): string | null {
  const fd = openSync(path, 'r');
  try {
    const size = Math.min(statSync(path).size, 1 << 20);
    const buf = Buffer.alloc(size);
    readSync(fd, buf, 0, size, 0);
    let text: string;
    if (buf[0] === 0x1f && buf[1] === 0x8b) {
      try {
        text = gunzipSync(buf, { finishFlush: 2 }).toString('utf8');
      } catch {
        text = '';
      }
    } else text = buf.toString('utf8');
    if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    if (!text.length) return null;
    const nl = text.indexOf('\n');
    return (nl === -1 ? text : text.slice(0, nl)).replace(/\r$/, '');
  } finally {
    closeSync(fd);
  }
}

/** A name for binary content that a text reader would choke on, or null for text. */
export function sniffBinary(path: string): string | null {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(4096);
    const n = readSync(fd, buf, 0, buf.length, 0);
    const head = buf.subarray(0, n);
    if (head.subarray(0, 4).toString('latin1') === 'PAR1') return 'it is a Parquet file';
    if (head.subarray(0, 3).toString('latin1') === 'ORC') return 'it is an ORC file';
    if (head.subarray(0, 4).toString('latin1') === 'Obj\x01') return 'it is an Avro file';
    if (head[0] === 0x1f && head[1] === 0x8b) return null; // gzip: DuckDB decompresses it
    if (head[0] === 0x50 && head[1] === 0x4b) return 'it is a ZIP archive';
    if (head.includes(0)) return 'it holds binary data';
    return null;
  } finally {
    closeSync(fd);
  }
}

/** Split a CSV header line (quotes allowed). */
export function splitHeader(line: string, delim: string, quote: string): string[] {
  const out: string[] = [];
  let cur = '';
  let inQ = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (inQ) {
      if (ch === quote && line[i + 1] === quote) {
        cur += quote;
        i++;
      } else if (ch === quote) inQ = false;
      else cur += ch;
    } else if (ch === quote) inQ = true;
    else if (ch === delim) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out.map((s) => s.trim());
}

/**
 * Each file must be text, not empty, and start with exactly the declared column names
 * (case-insensitive); otherwise a TargetError naming the file, line 1 and the differences.
 */
export function checkCsvHeaders(l: Pick<FileSourceLoad, 'files' | 'uniqueId'>, cols: LoadColumn[], delim: string, quote: string): void {
  for (const f of l.files) {
    const kind = sniffBinary(f);
    if (kind) throw new TargetError(`${f}: this is not a CSV file (${kind}); check the path or set the source's format`);
    const line = readHeaderLine(f);
    if (line === null) throw new TargetError(`${f}: the file is empty; expected a header line with ${cols.length} columns`);
    checkHeaderNames(f, line, l.uniqueId, cols, delim, quote);
  }
}

/**
 * A header line must be exactly the declared column names (case-insensitive); otherwise a
 * TargetError naming the file, line 1 and the differences. Also used for files the engine reads
 * (the Spark server's first line), so the message is the same wherever the file is read.
 */
export function checkHeaderNames(f: string, line: string, uniqueId: string, cols: LoadColumn[], delim: string, quote: string): void {
  const got = splitHeader(line, delim, quote);
  const want = cols.map((c) => c.name);
  if (got.length !== want.length || got.some((g, i) => g.toLowerCase() !== want[i]!.toLowerCase())) {
    const missing = want.filter((w) => !got.some((g) => g.toLowerCase() === w.toLowerCase()));
    const extra = got.filter((g) => !want.some((w) => w.toLowerCase() === g.toLowerCase()));
    const parts = [];
    if (missing.length) parts.push(`missing columns: ${missing.join(', ')}`);
    if (extra.length) parts.push(`unexpected columns: ${extra.join(', ')}`);
    if (!parts.length) parts.push(`columns in another order: got ${got.join(', ')}`);
    throw new TargetError(`${f}:1: the header does not match the declared columns of ${uniqueId} (${parts.join('; ')})`);
  }
}
