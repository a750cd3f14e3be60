/**
 * Worker thread: write target/compiled/ (artifacts.ts, writeCompileArtifactsAsync) on the other
 * core while the main thread builds and serializes manifest.json. It imports nothing of tx's, so
 * it starts in a few milliseconds. In: batches of files (`paths`, and their UTF-8 bytes one after
 * the other in `bytes`, file i ending at `ends[i]`; already scrubbed), files to write atomically
 * (`atomic`: temp name, then rename), then `end`. Out: one message, `{ ok: true }` or the first
 * error (nothing after it is written, as a sequence of writeFileSync calls would stop at it).
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parentPort } from 'node:worker_threads';

interface Msg {
  paths?: string[];
  ends?: Uint32Array;
  bytes?: ArrayBuffer;
  atomic?: [string, string];
  end?: true;
}

const port = parentPort!;
const dirs = new Set<string>();
let failed: Error | undefined;

function write(path: string, data: string | Uint8Array): void {
  const dir = dirname(path);
  if (!dirs.has(dir)) {
    mkdirSync(dir, { recursive: true });
    dirs.add(dir);
  }
  writeFileSync(path, data);
}

port.on('message', (m: Msg) => {
  if (m.end) {
    if (failed) {
      const e = failed as NodeJS.ErrnoException;
      port.postMessage({ error: { message: e.message, stack: e.stack, code: e.code, errno: e.errno, syscall: e.syscall, path: e.path } });
    } else {
      port.postMessage({ ok: true });
    }
    port.close();
    return;
  }
  if (failed) return;
  try {
    if (m.paths) {
      const bytes = new Uint8Array(m.bytes!);
      let at = 0;
      for (let i = 0; i < m.paths.length; i++) {
        const end = m.ends![i]!;
        write(m.paths[i]!, bytes.subarray(at, end));
        at = end;
      }
    }
    if (m.atomic) {
      const [path, text] = m.atomic;
      mkdirSync(dirname(path), { recursive: true });
      const tmp = `${path}.tmp-${process.pid}`;
      writeFileSync(tmp, text);
      renameSync(tmp, path);
    }
  } catch (e) {
    failed = e as Error;
  }
});
