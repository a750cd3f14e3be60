/**
 * Read-ahead on a worker thread for `readOrcColumnBatches`: the worker (read-worker.ts) decodes
 * some top-level columns of the file batch by batch and sends their vectors (Float64Arrays,
 * moved, not copied) while this thread decodes the others. The worker stays at most `AHEAD`
 * batches in front of the reader, so memory is the worker's stripe plus a few batches.
 *
 * The worker runs the built JavaScript (dist/…/read-worker.js); where it cannot be found, the
 * reader stays on one thread.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { packageRoot } from '../../../compiler/load/package-root.js';
import { OrcError } from './errors.js';
import type { ColVec } from './reader.js';

/** Batches the worker may decode before the reader takes them. */
export const AHEAD = 4;

/** The read worker's file: beside this module when built; from the TypeScript sources (vitest), the built one. */
export function readWorkerFile(): string | undefined {
  const here = fileURLToPath(new URL('./read-worker.js', import.meta.url));
  if (existsSync(here)) return here;
  const built = join(packageRoot(), 'dist', 'targets', 'files', 'orc', 'read-worker.js');
  return existsSync(built) ? built : undefined;
}

/** Read workers started, open now, and batches taken from them (for tests). */
export const readAheadCounts = { started: 0, open: 0, batches: 0 };

export type ReadWorkerMessage = { rows: number; vecs: ColVec[] } | { done: true } | { error: string };

export class ReadAhead {
  private readonly worker: Worker;
  private readonly queue: ReadWorkerMessage[] = [];
  private waiting: ((m: ReadWorkerMessage) => void) | undefined;
  private closed = false;

  /** Starts the worker on `path`: it opens the file and picks its fields itself (`readAheadFields`). */
  constructor(file: string, path: string, batchSize: number, forced: boolean) {
    this.worker = new Worker(file, { workerData: { path, batchSize, ahead: AHEAD, forced } });
    // A reader left unfinished does not keep the process alive.
    this.worker.unref();
    readAheadCounts.started++;
    readAheadCounts.open++;
    const deliver = (m: ReadWorkerMessage): void => {
      const w = this.waiting;
      this.waiting = undefined;
      if (w) w(m);
      else this.queue.push(m);
    };
    this.worker.on('message', deliver);
    this.worker.on('error', (e) => deliver({ error: `${path}: ORC read thread failed: ${e.message}` }));
    this.worker.on('exit', (code) => deliver({ error: `${path}: ORC read thread exited (code ${code})` }));
  }

  /** Whether a message from the worker is waiting. */
  ready(): boolean {
    return this.queue.length > 0;
  }

  /** The worker's next batch (undefined at the end); throws the worker's error. */
  async next(): Promise<{ rows: number; vecs: ColVec[] } | undefined> {
    const m = this.queue.shift() ?? (await new Promise<ReadWorkerMessage>((resolve) => (this.waiting = resolve)));
    if ('error' in m) throw new OrcError(m.error);
    if ('done' in m) return undefined;
    // One more batch may be decoded.
    this.worker.postMessage(1);
    readAheadCounts.batches++;
    return m;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    readAheadCounts.open--;
    this.worker.removeAllListeners('exit');
    this.worker.removeAllListeners('message');
    await this.worker.terminate();
  }
}
