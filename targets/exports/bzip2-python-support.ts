/**
 * Shared by the bzip2 encoder's comparisons with libbzip2 (`bzip2-encoder-python*.test.ts`):
 * seeded inputs, the encoder driven in chunks, and libbzip2's bytes from Python's `bz2.compress`
 * (the cached venv the S3 tests use), one Python process for all the inputs of a suite.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { provisionMoto } from '../../testing/services/provision.js';
import { serviceUnavailable } from '../../testing/services/require.js';
import { Bzip2Encoder } from './bzip2-encoder.js';

/** Deterministic pseudo-random bytes, each below `alphabet`, from `base`. */
export function noise(len: number, seed: number, alphabet = 256, base = 0): Buffer {
  const b = Buffer.alloc(len);
  let x = seed >>> 0;
  for (let i = 0; i < len; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    b[i] = base + ((x >>> 16) % alphabet);
  }
  return b;
}
export const text = (rows: number): Buffer =>
  Buffer.from(Array.from({ length: rows }, (_, i) => `${i},CITY ${i % 97},${['CA', 'NY', 'TX'][i % 3]},${(i * 7919) % 100000}\n`).join(''));
export const run = (len: number, byte = 0x61): Buffer => Buffer.alloc(len, byte);
export const cat = (...parts: (Buffer | string)[]): Buffer => Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : p)));

/** The encoder's whole stream for `data`, written `chunk` bytes at a time. */
export function compress(data: Buffer, level = 9, chunk = data.length || 1): Buffer {
  const enc = new Bzip2Encoder(level);
  const parts: Uint8Array[] = [];
  for (let i = 0; i < data.length; i += chunk) {
    enc.write(data.subarray(i, i + chunk));
    parts.push(enc.take());
  }
  parts.push(enc.end());
  return Buffer.concat(parts);
}

/** Where two streams first differ ('same' if they do not), for a readable failure. */
export function firstDiff(a: Buffer, b: Buffer): string {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i === a.length && i === b.length ? 'same' : `differ at byte ${i} of ${a.length} / ${b.length}`;
}

/**
 * libbzip2's bytes for each [data, level], from one Python process; null (after
 * serviceUnavailable, which throws when TX_TEST_REQUIRE names python) without the cached venv.
 * The answer is kept in the temp dir under the SHA-256 of the request, so that the suites'
 * reruns (a mutation run reruns them ~740 times) ask Python once per machine, not each time:
 * the venv's start-up probe imports moto, seconds on a loaded machine.
 */
export async function libbzip2Bytes(inputs: [Buffer, number][]): Promise<Buffer[] | null> {
  const input = JSON.stringify(inputs.map(([d, l]) => [d.toString('base64'), l]));
  const key = createHash('sha256').update(input).digest('hex').slice(0, 32);
  const cache = path.join(os.tmpdir(), `tx-libbzip2-${key}.json`);
  const parse = (json: string): Buffer[] => (JSON.parse(json) as string[]).map((s) => Buffer.from(s, 'base64'));
  try {
    return parse(fs.readFileSync(cache, 'utf8'));
  } catch {
    // not computed on this machine yet (or unreadable): ask libbzip2
  }
  let python: string | null = null;
  try {
    python = (await provisionMoto()).venv.python;
  } catch (e) {
    serviceUnavailable('python', `no cached Python venv with bz2 for the bzip2 comparison: ${(e as Error).message.split('\n')[0]}`);
  }
  if (python === null) return null;
  const script = [
    'import base64, bz2, json, sys',
    'out = [base64.b64encode(bz2.compress(base64.b64decode(d), l)).decode() for d, l in json.load(sys.stdin)]',
    'json.dump(out, sys.stdout)',
  ].join('\n');
  const json = execFileSync(python, ['-c', script], { input, maxBuffer: 1 << 28 }).toString();
  const out = parse(json);
  const tmp = `${cache}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, json);
  fs.renameSync(tmp, cache);
  return out;
}
