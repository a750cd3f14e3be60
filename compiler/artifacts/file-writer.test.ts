/**
 * FileWriter: many files written on a worker thread (or in place below the threshold), in order,
 * each with its folder; after a failure nothing more is written and `done()` throws it with its
 * code and path. Real files in a temporary folder.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FileWriter, WORKER_THRESHOLD } from './file-writer.js';

const dirs: string[] = [];
const fresh = () => {
  const d = mkdtempSync(join(tmpdir(), 'tx-file-writer-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const walk = (d: string): string[] => readdirSync(d, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));

describe.each([
  ['on a worker thread', WORKER_THRESHOLD + 700],
  ['in place', 3],
])('FileWriter %s', (_label, expected) => {
  it('writes every file with its folder, in full; atomic files leave no temporary name', async () => {
    const root = fresh();
    const w = new FileWriter(expected);
    const want = new Map<string, string>();
    for (let i = 0; i < 1234; i++) {
      const p = join(root, `f${i % 7}`, `g${i % 3}`, `m${i}.sql`);
      const text = `select ${i} as id -- ünïcode ${'x'.repeat(i % 50)}\n`;
      w.write(p, text);
      want.set(p, text);
    }
    const index = join(root, 'index.json');
    w.writeAtomic(index, '{"n":1234}');
    want.set(index, '{"n":1234}');
    await w.done();
    const files = walk(root).sort();
    expect(files).toEqual([...want.keys()].sort());
    for (const [p, text] of want) expect(readFileSync(p, 'utf8')).toBe(text);
  });

  it('stops at the first failure: later files (the index) are not written, and done() throws its code and path', async () => {
    const root = fresh();
    writeFileSync(join(root, 'blocker'), 'a file where a folder should be');
    const w = new FileWriter(expected);
    const attempt = async () => {
      for (let i = 0; i < 20; i++) w.write(join(root, 'ok', `a${i}.sql`), 'select 1\n');
      w.write(join(root, 'blocker', 'inside', 'b.sql'), 'select 2\n');
      for (let i = 0; i < 20; i++) w.write(join(root, 'later', `c${i}.sql`), 'select 3\n');
      w.writeAtomic(join(root, 'index.json'), '{}');
      await w.done();
    };
    // on the worker, write() only queues and done() rejects; in place, write() throws at once
    const thrown = await attempt().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(thrown).toBeInstanceOf(Error);
    expect((thrown as NodeJS.ErrnoException).code).toMatch(/^(ENOTDIR|EEXIST)$/);
    expect(String((thrown as NodeJS.ErrnoException).path)).toContain(join(root, 'blocker'));
    expect(existsSync(join(root, 'index.json'))).toBe(false);
    expect(existsSync(join(root, 'later'))).toBe(false);
    expect(walk(join(root, 'ok'))).toHaveLength(20); // what came before the failure is written
  });
});
