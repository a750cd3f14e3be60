/**
 * landCsv (csv-pipe.ts) on its own: a small CSV lands as a file, a large one flows through a named pipe to a
 * reader, and no failure of either end (the producer stopping mid-way, the reader never opening the pipe or
 * stopping mid-way) leaves anything waiting forever. The producer here writes bytes as the warehouse's COPY
 * would into the stream it is given; the reader is a real reader of the pipe (what DuckDB does in exports,
 * postgres-copy-export.test.ts).
 */
import { once } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { landCsv } from './csv-pipe.js';

const pipes = process.platform !== 'win32';
const LINE = Buffer.from('"a","b, c"\n');

/**
 * Writes `lines` lines into `dest` in 4 kB chunks, as a COPY would, then ends it; or fails after `failAfter` lines
 * (once `failWhen` has settled), destroying `dest` as a COPY's pipeline does.
 */
function producer(lines: number, failAfter?: number, failWhen?: Promise<void>): (dest: Writable) => Promise<number> {
  return async (dest) => {
    const per = Math.floor(4096 / LINE.length);
    for (let i = 0; i < lines; i += per) {
      if (failAfter !== undefined && i >= failAfter) {
        await failWhen;
        const e = new Error('the warehouse failed');
        dest.destroy(e);
        throw e;
      }
      const n = Math.min(per, lines - i);
      if (!dest.write(Buffer.concat(Array(n).fill(LINE)))) await once(dest, 'drain');
    }
    dest.end();
    await once(dest, 'finish');
    return lines;
  };
}

/** Reads the whole file or pipe at `file`. */
async function readAll(file: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of fs.createReadStream(file)) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

const dir = () => fs.mkdtempSync(path.join(os.tmpdir(), 'tx-csv-pipe-'));

/** A long CSV (22 MB) landed in a pipe; `stopped` gives the producer's error once it was stopped, else undefined. */
async function landLong(): Promise<{ r: Awaited<ReturnType<typeof landCsv>>; stopped: () => unknown }> {
  let stoppedWith: unknown;
  const produce = producer(2_000_000);
  const r = await landCsv({
    copyOut: (dest) =>
      produce(dest).catch((e: unknown) => {
        stoppedWith = e;
        throw e;
      }),
    dir: dir(),
    name: 'rows',
    pipeFrom: 64 * 1024,
  });
  return { r, stopped: () => stoppedWith };
}
const within = <T>(p: Promise<T>, ms: number): Promise<T> =>
  Promise.race([p, new Promise<T>((_, rej) => setTimeout(() => rej(new Error(`still waiting after ${ms} ms`)), ms))]);

describe.skipIf(!pipes)('landCsv', () => {
  it('a CSV smaller than the threshold lands as a plain file with every byte', async () => {
    const d = dir();
    const r = await landCsv({ copyOut: producer(1000), dir: d, name: 'rows', pipeFrom: 64 * 1024 });
    expect(r?.kind).toBe('file');
    expect(fs.statSync(r!.file).isFile()).toBe(true);
    expect(fs.readFileSync(r!.file).equals(Buffer.concat(Array(1000).fill(LINE)))).toBe(true);
    expect(r!.kind === 'file' && r!.rows).toBe(1000);
  });

  it('a larger CSV flows through a named pipe: the reader gets every byte, finish gives the rows and removes the pipe', async () => {
    const d = dir();
    const lines = 200_000;
    const r = await landCsv({ copyOut: producer(lines), dir: d, name: 'rows', pipeFrom: 64 * 1024 });
    expect(r?.kind).toBe('pipe');
    expect(fs.statSync(r!.file).isFIFO()).toBe(true);
    const got = await within(readAll(r!.file), 20_000);
    expect(got.length).toBe(lines * LINE.length);
    expect(got.subarray(0, LINE.length * 3).toString()).toBe(LINE.toString().repeat(3));
    expect(r!.kind === 'pipe' && (await within(r!.finish(), 5_000))).toBe(lines);
    expect(fs.existsSync(r!.file)).toBe(false);
  });

  it('the producer failing before the reader opened the pipe: the reader opens an empty file instead of blocking, and finish throws the producer\'s error', async () => {
    const d = dir();
    let failures = 0;
    let go = (): void => undefined;
    const failWhen = new Promise<void>((res) => (go = res));
    // more held than a pipe takes: the writer is blocked on the full pipe when the producer fails
    const r = await landCsv({ copyOut: producer(400_000, 300_000, failWhen), dir: d, name: 'rows', pipeFrom: 2 << 20, onFailure: () => failures++ });
    expect(r?.kind).toBe('pipe');
    go();
    // let the producer run into its failure while nobody reads
    for (let i = 0; i < 100 && failures === 0; i++) await new Promise((res) => setTimeout(res, 10));
    expect(failures).toBe(1);
    expect((await within(readAll(r!.file), 5_000)).length).toBe(0);
    await expect(within(r!.kind === 'pipe' ? r!.finish() : Promise.resolve(0), 5_000)).rejects.toThrow('the warehouse failed');
  });

  it('a reader that never opens the pipe: finish with its error returns at once, with that error, and stops the producer', async () => {
    const { r, stopped } = await landLong();
    expect(r?.kind).toBe('pipe');
    await expect(within(r!.kind === 'pipe' ? r!.finish(new Error('the reader failed')) : Promise.resolve(0), 5_000)).rejects.toThrow('the reader failed');
    expect(stopped()).toBeDefined();
    expect(fs.existsSync(r!.file)).toBe(false);
  });

  it('a reader that stops part-way: finish with its error throws it and the producer is stopped, not left blocked', async () => {
    const { r, stopped } = await landLong();
    expect(r?.kind).toBe('pipe');
    // read 256 kB, then close the pipe (reading on the thread pool: the producer runs on this thread)
    const rs = fs.createReadStream(r!.file);
    await new Promise<void>((res, rej) => {
      let got = 0;
      rs.on('error', rej);
      rs.on('data', (c) => {
        got += (c as Buffer).length;
        if (got >= 256 * 1024) rs.destroy();
      });
      rs.on('close', () => res());
    });
    await expect(within(r!.kind === 'pipe' ? r!.finish(new Error('the reader stopped')) : Promise.resolve(0), 5_000)).rejects.toThrow('the reader stopped');
    expect(stopped()).toBeDefined();
  });

  it('a producer failing before it wrote anything (no connection) fails landCsv instead of leaving it waiting', async () => {
    const d = dir();
    const r = landCsv({ copyOut: () => Promise.reject(new Error('cannot connect')), dir: d, name: 'rows' });
    await expect(within(r, 5_000)).rejects.toThrow('cannot connect');
    expect(fs.readdirSync(d)).toEqual([]);
  });

  it('the producer failing within the threshold: landCsv throws its error and leaves nothing', async () => {
    const d = dir();
    await expect(landCsv({ copyOut: producer(200_000, 1000), dir: d, name: 'rows', pipeFrom: 1 << 20 })).rejects.toThrow('the warehouse failed');
    expect(fs.readdirSync(d)).toEqual([]);
  });
});
