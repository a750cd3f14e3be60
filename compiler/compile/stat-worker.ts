/**
 * Worker thread: stat the project's files for the fingerprint of a first compile (up-to-date.ts),
 * on the other core while the compile runs. In: the project folder and the files' paths relative
 * to it. Out: each file's fingerprint line, in the same order, and the newest mtime seen.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { lineOf } from './fingerprint-line.js';

const { dir, rels } = workerData as { dir: string; rels: string[] };
const lines: string[] = new Array(rels.length);
let newest = 0;
for (let i = 0; i < rels.length; i++) {
  const st = statSync(join(dir, rels[i]!), { throwIfNoEntry: false });
  if (st && st.mtimeMs > newest) newest = st.mtimeMs;
  lines[i] = lineOf(rels[i]!, st);
}
parentPort!.postMessage({ lines, newest });
