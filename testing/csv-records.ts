/**
 * A small streaming RFC 4180 CSV parser for tests and the reference pipeline.
 *
 * - Fields are separated by a one-byte ASCII delimiter (default `,`); records end with LF,
 *   CRLF or a lone CR.
 * - A field that starts with `"` is quoted: it may contain delimiters, line breaks and `""`
 *   (an escaped quote). Anything but a delimiter or a line break after the closing quote is
 *   an error, as are a quote inside an unquoted field and an unterminated quote (errors carry
 *   the 1-based line number).
 * - A UTF-8 BOM at the start is skipped. Input is UTF-8.
 * - Empty lines (outside quotes) are skipped.
 *
 * It works on bytes: delimiter, quote, CR and LF are ASCII and never occur inside a UTF-8
 * multi-byte sequence, so scanning bytes is exact, and each field is decoded on its own into
 * a fresh string (no slices of a big chunk string that would keep whole chunks alive).
 * Memory is bounded by the read chunk size plus the longest record; the file is never read
 * whole, and the stream is only read as fast as the consumer pulls.
 *
 * `csvRows` yields raw fields (`string[]`; quoted and unquoted empty both `''`),
 * `csvRowsDetailed` adds which fields were quoted and the line, `csvRecords` yields objects
 * keyed by the header with empty fields as `null` (the pipeline's "empty fields are nulls"),
 * and the `*Batches` variants yield arrays (one per read chunk) for speed.
 */
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';

export interface CsvOptions {
  delimiter?: string;
  /** Read chunk size in bytes when reading a path (default 1 MiB). */
  highWaterMark?: number;
}

export interface CsvRecordOptions extends CsvOptions {
  /** Empty fields (quoted or not) become null. Default true. */
  emptyAsNull?: boolean;
  /** Only these columns go into the records (others are not even decoded). Unknown names are an error. */
  columns?: readonly string[];
}

export type CsvSource = string | Readable | AsyncIterable<string | Buffer | Uint8Array>;

export class CsvParseError extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(`CSV line ${line}: ${message}`);
    this.name = 'CsvParseError';
  }
}

/** A record with, per field, whether it was quoted in the file. */
export interface DetailedRow {
  fields: string[];
  quoted: boolean[];
  /** 1-based physical line on which the record starts. */
  line: number;
}

const QUOTE = 0x22;
const LF = 0x0a;
const CR = 0x0d;

function openSource(source: CsvSource, opts: CsvOptions): AsyncIterable<string | Buffer | Uint8Array> {
  if (typeof source === 'string') {
    return createReadStream(source, { highWaterMark: opts.highWaterMark ?? 1 << 20 });
  }
  return source;
}

const INCOMPLETE = -1;
/** Shared (never written) `quoted` array for records parsed without quote tracking. */
const NO_QUOTED: boolean[] = [];

type Utf8Sliceable = { utf8Slice?: (start: number, end: number) => string };
/** Decodes bytes [start, end) into a fresh string (Buffer#utf8Slice when present: no argument juggling). */
const decode: (b: Buffer, start: number, end: number) => string =
  typeof (Buffer.prototype as unknown as Utf8Sliceable).utf8Slice === 'function'
    ? (b, start, end) => (b as unknown as Required<Utf8Sliceable>).utf8Slice(start, end)
    : (b, start, end) => b.toString('utf8', start, end);

/**
 * Parses records from `data` starting at `start`. Complete records are pushed to `out`;
 * returns the offset of the first byte not consumed (the start of an incomplete record, or
 * data.length). With `final`, the end of data ends the last record.
 */
function parseRecords(
  data: Buffer,
  start: number,
  final: boolean,
  DELIM: number,
  out: DetailedRow[],
  lineRef: { line: number },
  want: Uint8Array | null,
  maxRecords = Infinity,
  trackQuoted = true,
): number {
  const n = data.length;
  let pos = start;
  let count = 0;
  while (pos < n && count < maxRecords) {
    // Skip blank lines.
    const c0 = data[pos]!;
    if (c0 === LF) {
      pos++;
      lineRef.line++;
      continue;
    }
    if (c0 === CR) {
      if (pos + 1 < n) {
        pos += data[pos + 1] === LF ? 2 : 1;
        lineRef.line++;
        continue;
      }
      if (!final) return pos;
      lineRef.line++;
      return n;
    }
    const recordLine = lineRef.line;
    let extraLines = 0;
    const fields: string[] = [];
    const quoted: boolean[] = trackQuoted ? [] : NO_QUOTED;
    let i = pos;
    let fi = 0; // field index
    let end = INCOMPLETE; // offset after the record's line break
    for (;;) {
      // One field starting at i.
      if (i < n && data[i] === QUOTE) {
        let value = '';
        let j = i + 1;
        let closed = -1;
        for (;;) {
          const q = data.indexOf(QUOTE, j);
          if (q < 0) break; // unterminated so far
          if (q + 1 < n && data[q + 1] === QUOTE) {
            value += decode(data, j, q + 1);
            j = q + 2;
            continue;
          }
          if (q + 1 >= n && !final) break; // cannot tell `""` from a closing quote yet
          value += decode(data, j, q);
          closed = q;
          break;
        }
        if (closed < 0) {
          if (!final) return pos;
          throw new CsvParseError('unterminated quoted field', recordLine);
        }
        for (let k = i + 1; k < closed; k++) if (data[k] === LF) extraLines++;
        fields.push(want === null || want[fi] === 1 ? value : '');
        fi++;
        if (trackQuoted) quoted.push(true);
        i = closed + 1;
        if (i >= n) {
          if (!final) return pos;
          end = n;
          break;
        }
        const c = data[i]!;
        if (c === DELIM) {
          i++;
          continue;
        }
        if (c !== LF && c !== CR) {
          throw new CsvParseError(`unexpected character after a closing quote`, recordLine + extraLines);
        }
      } else {
        let j = i;
        while (j < n) {
          const c = data[j]!;
          if (c === DELIM || c === LF || c === CR) break;
          if (c === QUOTE) throw new CsvParseError('quote inside an unquoted field', recordLine + extraLines);
          j++;
        }
        if (j >= n && !final) return pos;
        fields.push(j > i && (want === null || want[fi] === 1) ? decode(data, i, j) : '');
        fi++;
        if (trackQuoted) quoted.push(false);
        i = j;
        if (i >= n) {
          end = n;
          break;
        }
        if (data[i] === DELIM) {
          i++;
          if (i >= n) {
            if (!final) return pos;
            fields.push('');
            if (trackQuoted) quoted.push(false);
            end = n;
            break;
          }
          continue;
        }
      }
      // data[i] is CR or LF: end of record.
      if (data[i] === CR) {
        if (i + 1 < n) end = data[i + 1] === LF ? i + 2 : i + 1;
        else if (final) end = n;
        else return pos; // need the next byte to see a CRLF
      } else end = i + 1;
      break;
    }
    out.push({ fields, quoted, line: recordLine });
    count++;
    lineRef.line = recordLine + extraLines + 1;
    pos = end;
  }
  return pos;
}

/**
 * Streaming parser yielding the records of each read chunk as one batch.
 */
export async function* csvRowBatchesDetailed(
  source: CsvSource,
  opts: CsvOptions & {
    /**
     * Called with the first record (the header); the returned field positions are the only
     * ones decoded in later records (the others come back as ''). Saves time and garbage.
     */
    project?: (header: string[]) => readonly number[];
    /** Fill `quoted` (default true); when false every record shares an empty array. */
    trackQuoted?: boolean;
  } = {},
): AsyncGenerator<DetailedRow[]> {
  let want: Uint8Array | null = null;
  const trackQuoted = opts.trackQuoted ?? true;
  let headerSeen = !opts.project;
  const setHeader = (header: string[]): void => {
    const idx = opts.project!(header);
    want = new Uint8Array(Math.max(0, ...idx) + 1);
    for (const k of idx) want[k] = 1;
    headerSeen = true;
  };
  const delimiter = opts.delimiter ?? ',';
  if (delimiter.length !== 1 || delimiter.charCodeAt(0) > 0x7f || '"\r\n'.includes(delimiter)) {
    throw new Error(`unsupported delimiter ${JSON.stringify(delimiter)}`);
  }
  const DELIM = delimiter.charCodeAt(0);
  const lineRef = { line: 1 };
  let carry: Buffer | null = null;
  let first = true;
  for await (const chunk of openSource(source, opts)) {
    let data: Buffer =
      typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
    if (carry && carry.length > 0) data = Buffer.concat([carry, data]);
    carry = null;
    if (first && data.length > 0) {
      if (data.length < 3 && data[0] === 0xef) {
        carry = data; // wait for enough bytes to recognize a BOM
        continue;
      }
      first = false;
      if (data[0] === 0xef && data[1] === 0xbb && data[2] === 0xbf) data = data.subarray(3);
    }
    const out: DetailedRow[] = [];
    let consumed = 0;
    if (!headerSeen) {
      // Parse the header record whole, then switch to the projection.
      consumed = parseRecords(data, 0, false, DELIM, out, lineRef, null, 1);
      if (out.length === 0) {
        carry = Buffer.from(data.subarray(consumed)); // header not complete yet
        continue;
      }
      setHeader(out[0]!.fields);
    }
    consumed = parseRecords(data, consumed, false, DELIM, out, lineRef, want, Infinity, trackQuoted);
    if (consumed < data.length) carry = Buffer.from(data.subarray(consumed)); // own copy: frees the chunk
    if (out.length > 0) yield out;
  }
  if (carry && carry.length > 0) {
    let data = carry;
    if (first && data[0] === 0xef && data[1] === 0xbb && data[2] === 0xbf) data = data.subarray(3);
    const out: DetailedRow[] = [];
    let from = 0;
    if (!headerSeen) {
      from = parseRecords(data, 0, true, DELIM, out, lineRef, null, 1);
      if (out.length > 0) setHeader(out[0]!.fields);
    }
    parseRecords(data, from, true, DELIM, out, lineRef, want, Infinity, trackQuoted);
    if (out.length > 0) yield out;
  }
}

export async function* csvRowsDetailed(source: CsvSource, opts: CsvOptions = {}): AsyncGenerator<DetailedRow> {
  for await (const batch of csvRowBatchesDetailed(source, opts)) yield* batch;
}

/** Raw fields of each record (header included, as the first record). */
export async function* csvRows(source: CsvSource, opts: CsvOptions = {}): AsyncGenerator<string[]> {
  for await (const batch of csvRowBatchesDetailed(source, { ...opts, trackQuoted: false })) for (const r of batch) yield r.fields;
}

/**
 * Batches of records keyed by the header's column names (empty fields → null unless
 * `emptyAsNull: false`). A record whose field count differs from the header's is an error.
 */
export async function* csvRecordBatches(
  source: CsvSource,
  opts: CsvRecordOptions = {},
): AsyncGenerator<Record<string, string | null>[]> {
  const emptyAsNull = opts.emptyAsNull ?? true;
  let header: string[] | undefined;
  let template: Record<string, string | null> = {};
  let picks: number[] = [];
  let names: string[] = [];
  const project = (h: string[]): number[] => {
    if (opts.columns) {
      const missing = opts.columns.filter((c) => !h.includes(c));
      if (missing.length > 0) throw new CsvParseError(`columns not in the header: ${missing.join(', ')}`, 1);
      return opts.columns.map((c) => h.indexOf(c));
    }
    return h.map((_, i) => i);
  };
  for await (const batch of csvRowBatchesDetailed(source, { ...opts, project, trackQuoted: false })) {
    const out: Record<string, string | null>[] = [];
    for (const r of batch) {
      if (!header) {
        header = r.fields;
        if (new Set(header).size !== header.length) throw new CsvParseError('duplicate column names in the header', r.line);
        picks = project(header);
        names = picks.map((i) => header![i]!);
        // All records share one object shape (fast property access, compact memory).
        template = Object.fromEntries(names.map((h) => [h, null]));
        continue;
      }
      const f = r.fields;
      if (f.length !== header.length) {
        throw new CsvParseError(`expected ${header.length} fields, got ${f.length}`, r.line);
      }
      const rec = { ...template };
      for (let k = 0; k < picks.length; k++) {
        const v = f[picks[k]!]!;
        rec[names[k]!] = emptyAsNull && v === '' ? null : v;
      }
      out.push(rec);
    }
    if (out.length > 0) yield out;
  }
}

/** Records keyed by the header's column names; see `csvRecordBatches`. */
export async function* csvRecords(
  source: CsvSource,
  opts: CsvRecordOptions = {},
): AsyncGenerator<Record<string, string | null>> {
  for await (const batch of csvRecordBatches(source, opts)) yield* batch;
}

/** The header's column names (reads only as far as the first record). */
export async function csvHeader(source: CsvSource, opts: CsvOptions = {}): Promise<string[]> {
  for await (const r of csvRowsDetailed(source, opts)) return r.fields;
  return [];
}
