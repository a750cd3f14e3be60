/**
 * Worker thread of the ORC reader's read-ahead (read-ahead.ts): decodes the numeric top-level
 * columns of a file (`readAheadFields`) batch by batch (the same batches as the reader's) and posts their vectors,
 * their buffers moved. Stays at most `ahead` batches in front: each batch the reader takes sends
 * one credit back. Ends with `{ done }`, or `{ error }` (the message names the file and column); the reader
 * then terminates it.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { fieldBatches, openOrcFile, readAheadFields, type ColVec } from './reader.js';

const { path, batchSize, ahead, forced } = workerData as { path: string; batchSize: number; ahead: number; forced: boolean };
let credits = ahead;
let wake: (() => void) | undefined;
parentPort!.on('message', () => {
  credits++;
  const w = wake;
  wake = undefined;
  w?.();
});

async function run(): Promise<void> {
  try {
    // The same choice of fields as the reader's (it ignores this worker when there is none).
    const info = await openOrcFile(path);
    const columns = readAheadFields(info, forced) ?? [];
    for await (const b of columns.length ? fieldBatches(path, { batchSize }, new Set(columns), info) : []) {
      while (credits === 0) await new Promise<void>((resolve) => (wake = resolve));
      credits--;
      const vecs: ColVec[] = columns.map((c) => b.vecs[c]!);
      const transfer = new Set<ArrayBuffer>();
      for (const v of vecs) {
        for (const a of [v.nums, v.present]) if (a && a.buffer instanceof ArrayBuffer && a.byteLength === a.buffer.byteLength) transfer.add(a.buffer);
      }
      parentPort!.postMessage({ rows: b.rows, vecs }, [...transfer]);
    }
    parentPort!.postMessage({ done: true });
  } catch (e) {
    parentPort!.postMessage({ error: (e as Error).message });
  }
  // The reader terminates this worker once it is done.
}

void run();
