/**
 * A file compressed with bzip2 (level 9, one stream) into another, as exports write `.bz2`.
 *
 * By the system's `bzip2` (libbzip2, C) when one is on the PATH, else by tx's own encoder
 * (bzip2-encoder.ts), as Hadoop uses its native bzip2 library where there is one and its Java
 * codec elsewhere. The bytes are the same: tx's encoder is libbzip2's compress.c step for step
 * (bzip2-encoder-python.test.ts; a block that repeats itself is the one exception, where either
 * decodes to the same data). The C one is 2.5 to 3 times faster: 3.6 MB of the example's
 * city_report JSON in 0.30 s against 0.75 to 0.85 s. It is memory-bound, not CPU-bound: the
 * blocks compressed on two worker threads took twice as long each on this machine's 2 cores, so
 * tx's encoder stays on one thread. `TX_BZIP2=builtin` always uses tx's encoder.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { createBzip2Stream } from './bzip2-encoder.js';

/** Which compressor wrote each file (for tests). */
export const bzip2FileCounts = { system: 0, builtin: 0 };

/** false once the system's bzip2 was found missing (not looked for again in this process). */
let systemBzip2: boolean | undefined;

/** Compress `src` into `dst` (created or truncated). */
export async function bzip2File(src: string, dst: string, signal?: AbortSignal): Promise<void> {
  if (process.env.TX_BZIP2 !== 'builtin' && systemBzip2 !== false && (await bySystem(src, dst, signal))) {
    bzip2FileCounts.system++;
    return;
  }
  await pipeline(fs.createReadStream(src, { highWaterMark: 1 << 20 }), createBzip2Stream(9), fs.createWriteStream(dst), { signal });
  bzip2FileCounts.builtin++;
}

/** `bzip2 -9 -c < src > dst`; false when there is no bzip2 to run. */
async function bySystem(src: string, dst: string, signal?: AbortSignal): Promise<boolean> {
  const input = await fs.promises.open(src, 'r');
  let output: fs.promises.FileHandle | undefined;
  try {
    output = await fs.promises.open(dst, 'w');
    const child = spawn('bzip2', ['-9', '-c'], { stdio: [input.fd, output.fd, 'pipe'], signal });
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      if (stderr.length < 4000) stderr += d;
    });
    const ran = await new Promise<{ code: number | null; signal: NodeJS.Signals | null } | 'missing'>((resolve, reject) => {
      child.once('error', (e: NodeJS.ErrnoException) => (e.code === 'ENOENT' || e.code === 'EACCES' ? resolve('missing') : reject(e)));
      child.once('close', (code, sig) => resolve({ code, signal: sig }));
    });
    if (ran === 'missing') {
      systemBzip2 = false;
      return false;
    }
    if (ran.code !== 0) throw new Error(`bzip2 ${ran.signal ? `was killed by ${ran.signal}` : `exited with code ${ran.code}`}${stderr.trim() ? `: ${stderr.trim()}` : ''}`);
    systemBzip2 = true;
    return true;
  } finally {
    await output?.close();
    await input.close();
  }
}
