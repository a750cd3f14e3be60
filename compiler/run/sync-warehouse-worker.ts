/**
 * The worker side of the synchronous warehouse bridge (sync-warehouse.ts): opens its own session
 * on the target and answers one request at a time through a SharedArrayBuffer.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createTarget } from '../../targets/registry.js';
import type { Relation, TargetConfig, TargetSession } from '../../targets/target.js';
import { answerOn } from './warehouse-answers.js';

interface Data {
  name: string;
  config: TargetConfig;
  projectDir: string;
  sab: SharedArrayBuffer;
}
const d = workerData as Data;
const header = new Int32Array(d.sab, 0, 2);
const body = new Uint8Array(d.sab, 8);
const quiet = { statement: () => {}, info: () => {}, warn: () => {} };
const session: Promise<TargetSession> = createTarget(d.name, d.config, d.projectDir).then((t) => t.open({ log: quiet, threads: 1 }));
session.catch(() => {});

parentPort!.on('message', (m: { op: string; sql?: string; relation?: Relation }) => {
  void (async () => {
    let out: string;
    try {
      out = JSON.stringify({ ok: true, value: m.op === 'close' ? await (await session).close() : await answerOn(await session, m) });
    } catch (e) {
      out = JSON.stringify({ ok: false, error: (e as Error)?.message ?? String(e) });
    }
    let bytes = Buffer.from(out, 'utf8');
    if (bytes.length > body.length) bytes = Buffer.from(JSON.stringify({ ok: false, error: `the result is larger than ${body.length} bytes; run_query in a template is for small results` }), 'utf8');
    body.set(bytes);
    Atomics.store(header, 1, bytes.length);
    Atomics.store(header, 0, 1);
    Atomics.notify(header, 0);
  })();
});
