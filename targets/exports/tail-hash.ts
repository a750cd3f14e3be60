/**
 * The sha256 of an export file taken while DuckDB's COPY writes it, instead of a second pass over
 * the finished file (at 1 GB the second pass was most of what a local export cost beyond DuckDB's
 * own COPY). DuckDB writes an export file front to back with plain write(2) calls, never seeking
 * back (tail-hash.test.ts checks it on every format it writes), so bytes can be hashed as they
 * land. The hash counts only when the reader's last read began after the COPY had returned and the
 * file's final size is what was hashed; otherwise `finish` gives undefined and the caller hashes
 * the file again.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';

export interface FileHash {
  sha256: string;
  bytes: number;
}

const pause = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class TailHash {
  private writerDone = false;
  private readonly result: Promise<FileHash | undefined>;

  /** Start following `file`, which must not exist yet (its writer creates it). */
  constructor(private readonly file: string) {
    this.result = this.follow().catch(() => undefined);
  }

  /** The writer has finished: the hash of the whole file, or undefined (hash it again). */
  finish(): Promise<FileHash | undefined> {
    this.writerDone = true;
    return this.result;
  }

  private async follow(): Promise<FileHash | undefined> {
    let fh: fs.promises.FileHandle | undefined;
    while (!fh) {
      const done = this.writerDone;
      try {
        fh = await fs.promises.open(this.file, 'r');
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT' || done) return undefined;
        await pause(2);
      }
    }
    try {
      const h = createHash('sha256');
      const buf = Buffer.allocUnsafe(1 << 20);
      let pos = 0;
      for (;;) {
        // the end of the file counts only when the read began after the writer had finished
        const done = this.writerDone;
        const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
        if (bytesRead > 0) {
          h.update(buf.subarray(0, bytesRead));
          pos += bytesRead;
          continue;
        }
        if (done) break;
        await pause(2);
      }
      const { size } = await fh.stat();
      return size === pos ? { sha256: h.digest('hex'), bytes: pos } : undefined;
    } finally {
      await fh.close();
    }
  }
}
