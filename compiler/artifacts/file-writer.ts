/**
 * Writes many files off the main thread. A cold compile of 10,000 models writes 10,000 compiled
 * SQL files: the system calls cost about as much as building the manifest, and on a machine with
 * two cores they can run beside it. Below a threshold (or when a worker can't start) files are
 * written in place, synchronously, exactly as before.
 *
 * Files are written in the order they are queued, each with its folder made first; `writeAtomic`
 * writes a temporary name and renames it. After the first failure nothing more is written (a
 * later index file never describes files that are missing), and `done()` throws that failure
 * with its message, `code` and `path`, as the synchronous call would have.
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { Worker } from 'node:worker_threads';

/** [kind, path, text]: kind 0 writes in place, 1 atomically (temp name, then rename). */
type Job = [0 | 1, string, string];

/** Below this many files a worker's start (a few milliseconds) costs more than it saves. */
export const WORKER_THRESHOLD = 500;
const BATCH = 1000;

function writeJob(job: Job, dirs: Set<string>, pid: number): void {
  const [kind, path, text] = job;
  const dir = dirname(path);
  if (!dirs.has(dir)) {
    mkdirSync(dir, { recursive: true });
    dirs.add(dir);
  }
  if (kind === 0) writeFileSync(path, text);
  else {
    const tmp = `${path}.tmp-${pid}`;
    writeFileSync(tmp, text);
    renameSync(tmp, path);
  }
}

// The worker's body: CommonJS source (an `eval` worker), so it runs the same from dist/ and from
// the bundled bin. It repeats writeJob's steps; file-writer.test.ts holds the two to one behaviour.
const WORKER_SOURCE = `
const { mkdirSync, renameSync, writeFileSync } = require('node:fs');
const { dirname } = require('node:path');
const { parentPort, workerData } = require('node:worker_threads');
const dirs = new Set();
let failed = null;
parentPort.on('message', (m) => {
  if (m === 'end') { parentPort.postMessage({ end: true, error: failed }); return; }
  if (failed) return;
  for (const [kind, path, text] of m) {
    try {
      const dir = dirname(path);
      if (!dirs.has(dir)) { mkdirSync(dir, { recursive: true }); dirs.add(dir); }
      if (kind === 0) writeFileSync(path, text);
      else { const tmp = path + '.tmp-' + workerData.pid; writeFileSync(tmp, text); renameSync(tmp, path); }
    } catch (e) {
      failed = { message: String(e && e.message), code: e && e.code, path: e && e.path };
      return;
    }
  }
});
`;

export class FileWriter {
  private worker: Worker | undefined;
  private batch: Job[] = [];
  private readonly dirs = new Set<string>();
  private startError: Error | undefined;
  private exited = false;

  /** `expected`: about how many files will be written (a worker is used from WORKER_THRESHOLD on). */
  constructor(expected: number) {
    if (expected < WORKER_THRESHOLD) return;
    try {
      this.worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { pid: process.pid } });
      // a failure elsewhere must not keep the process alive for an idle writer
      this.worker.unref();
      this.worker.on('error', (e) => (this.startError ??= e));
      this.worker.on('exit', () => (this.exited = true));
    } catch {
      this.worker = undefined; // no worker: write in place
    }
  }

  /** Queue a file (its folder is made first). */
  write(path: string, text: string): void {
    this.queue([0, path, text]);
  }

  /** Queue a file written under a temporary name and renamed, so a reader never sees half of it. */
  writeAtomic(path: string, text: string): void {
    this.queue([1, path, text]);
  }

  private queue(job: Job): void {
    if (!this.worker) {
      writeJob(job, this.dirs, process.pid);
      return;
    }
    this.batch.push(job);
    if (this.batch.length >= BATCH) this.flush();
  }

  private flush(): void {
    if (this.batch.length === 0 || !this.worker) return;
    this.worker.postMessage(this.batch);
    this.batch = [];
  }

  /** Wait until every queued file is written; throws the first failure. */
  async done(): Promise<void> {
    const worker = this.worker;
    if (!worker) return;
    if (this.exited) {
      this.worker = undefined;
      throw this.startError ?? new Error('the file writer stopped before its files were written');
    }
    this.flush();
    worker.ref();
    try {
      const result = await new Promise<{ error: { message: string; code?: string; path?: string } | null }>((resolve, reject) => {
        worker.once('message', resolve);
        worker.once('error', reject);
        worker.once('exit', (code) => reject(this.startError ?? new Error(`the file writer stopped (exit code ${code})`)));
        worker.postMessage('end');
      });
      if (result.error) throw Object.assign(new Error(result.error.message), { code: result.error.code, path: result.error.path });
    } finally {
      this.worker = undefined;
      await worker.terminate();
    }
  }
}
