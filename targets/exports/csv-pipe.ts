/**
 * A warehouse's CSV (`COPY … TO STDOUT`) handed to DuckDB while it is still arriving, through a named pipe, so
 * the warehouse producing the rows and DuckDB reading them and writing the export overlap instead of taking
 * turns (csv-stager.ts). For one read only: a pipe cannot be read twice.
 *
 * - The first `PIPE_FROM` bytes are held in memory. A CSV that ends before that is written as a plain file and
 *   read as one: DuckDB's (blocking) open of a pipe whose writer has already gone would never return.
 * - Past it, the bytes go into the pipe, which holds 64 KiB: the writer cannot finish before DuckDB has opened
 *   the pipe and read most of them, so the end of the CSV is the end DuckDB sees.
 * - A placeholder reader keeps the pipe open for the writer until the reading statement has settled; closing it
 *   then makes a writer blocked on a reader that failed fail too (EPIPE), so nothing waits forever.
 * - When the warehouse fails (or is cancelled) mid-way, a plain empty file replaces the pipe's name before the
 *   writer closes: a reader that had not opened the pipe yet opens that instead of blocking, and `onFailure`
 *   interrupts one that had. The caller's `finish` then throws the warehouse's error, so a file written from the
 *   rows that did arrive is never delivered.
 */
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { PassThrough, type Writable } from 'node:stream';

/** Bytes held before the CSV goes into a pipe: more than a pipe can buffer (64 KiB, at most 1 MiB when raised). */
export const PIPE_FROM = 1 << 20;

export type CsvLanding =
  /** The whole CSV, in a plain file. */
  | { kind: 'file'; file: string; rows: number }
  /**
   * The CSV flowing into the named pipe `file`. Call `finish` once the one statement reading it has settled,
   * with its error if it failed: it returns the rows the warehouse sent, or throws the warehouse's error (first)
   * or the reader's.
   */
  | { kind: 'pipe'; file: string; finish(readError?: unknown): Promise<number> };

/** Whether this system has named pipes (mkfifo); when not, the caller lands the CSV in a file as before. */
function makeFifo(file: string): boolean {
  if (process.platform === 'win32') return false;
  try {
    execFileSync('mkfifo', ['-m', '600', file], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * Starts `copyOut` (the warehouse's COPY into a stream) and lands its CSV as `<dir>/<name>.csv`: a file when it is
 * small, else a named pipe fed while the caller reads it. Null (nothing started) where named pipes are not available.
 */
export async function landCsv(opts: {
  copyOut: (dest: Writable) => Promise<number>;
  dir: string;
  name: string;
  /** Called once if the CSV stops before its end: interrupt the reader. */
  onFailure?: () => void;
  pipeFrom?: number;
}): Promise<CsvLanding | null> {
  const file = path.join(opts.dir, `${opts.name}.csv`);
  if (!makeFifo(file)) return null;
  // Large buffers: the warehouse's chunks are a few kB each, and a write (a trip to the thread pool) per chunk was
  // most of this process's own time.
  const pass = new PassThrough({ highWaterMark: 1 << 20 });
  const copying = opts.copyOut(pass);
  let stopped = false;
  let copyFailedFirst = false;
  copying.catch((e: unknown) => {
    if (!stopped) copyFailedFirst = true;
    // A COPY that failed before its stream was piped (no connection) has not ended it: nothing would.
    pass.destroy(e instanceof Error ? e : new Error(String(e)));
  });
  const chunks = pass[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const head: Buffer[] = [];
  let size = 0;
  let ended = false;
  try {
    while (size < (opts.pipeFrom ?? PIPE_FROM)) {
      const r = await chunks.next();
      if (r.done) {
        ended = true;
        break;
      }
      head.push(r.value);
      size += r.value.length;
    }
  } catch (e) {
    fs.rmSync(file, { force: true });
    // the warehouse's own error, not the stream's copy of it
    await copying;
    throw e;
  }
  if (ended) {
    // Small: a plain file in the pipe's place.
    fs.rmSync(file, { force: true });
    fs.writeFileSync(file, Buffer.concat(head, size), { mode: 0o600 });
    return { kind: 'file', file, rows: await copying };
  }

  const placeholder = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  // A reader exists, so this open does not block; writes block while the pipe is full.
  const ws = fs.createWriteStream(file, { fd: fs.openSync(file, fs.constants.O_WRONLY), highWaterMark: 1 << 20 });
  ws.on('error', () => undefined); // seen by the pump (drain and close reject on it)
  let failed = false;
  const fail = (e: unknown): void => {
    if (failed) return;
    failed = true;
    // A reader still to open the name gets an empty plain file, not a pipe without a writer.
    try {
      const empty = `${file}.empty`;
      fs.writeFileSync(empty, '', { mode: 0o600 });
      fs.renameSync(empty, file);
    } catch {
      // the folder is gone: nobody will open the name
    }
    const err = e instanceof Error ? e : new Error(String(e));
    ws.destroy(err);
    pass.destroy(err);
    opts.onFailure?.();
  };
  // The COPY failing stops the pipe at once, even while the pump waits for the reader.
  copying.catch((e: unknown) => fail(e));
  const pumping = (async () => {
    try {
      for (const b of head) if (!ws.write(b)) await once(ws, 'drain');
      head.length = 0;
      for (;;) {
        const r = await chunks.next();
        if (r.done) break;
        if (!ws.write(r.value)) await once(ws, 'drain');
      }
      ws.end();
      await once(ws, 'close');
      if (ws.errored) throw ws.errored;
    } catch (e) {
      fail(e);
      throw e;
    }
  })();
  pumping.catch(() => undefined);
  let closed = false;
  return {
    kind: 'pipe',
    file,
    async finish(readError?: unknown): Promise<number> {
      if (readError !== undefined) {
        stopped = true;
        fail(readError);
      }
      if (!closed) {
        closed = true;
        // No reader left: a write blocked on the full pipe fails now instead of waiting forever.
        fs.closeSync(placeholder);
      }
      const [pumped, copied] = await Promise.allSettled([pumping, copying]);
      fs.rmSync(file, { force: true });
      if (copied.status === 'rejected' && copyFailedFirst) throw copied.reason;
      if (readError !== undefined) throw readError;
      if (copied.status === 'rejected') throw copied.reason;
      if (pumped.status === 'rejected') throw pumped.reason;
      return copied.value;
    },
  };
}
