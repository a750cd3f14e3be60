/**
 * bzip2File: the system's bzip2 where there is one, tx's encoder otherwise or when told, the same
 * bytes either way; a bzip2 that fails or is interrupted is an error, not a silent fallback; a full
 * disk is the export's disk-full error with either.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { serviceUnavailable } from '../../testing/services/require.js';
import { skipEachWithout } from '../../testing/services/service-suite.js';
import { toExportError } from './export-error.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tx-bz2-file-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const saved = { PATH: process.env.PATH, TX_BZIP2: process.env.TX_BZIP2 };
afterEach(() => {
  process.env.PATH = saved.PATH;
  if (saved.TX_BZIP2 === undefined) delete process.env.TX_BZIP2;
  else process.env.TX_BZIP2 = saved.TX_BZIP2;
});

/** The module afresh (it remembers a missing bzip2 for the rest of the process). */
async function fresh(): Promise<typeof import('./bzip2-file.js')> {
  vi.resetModules();
  return import('./bzip2-file.js');
}

// three blocks at level 9 (900 kB each) of report-like JSON lines
const input = path.join(dir, 'in.json');
fs.writeFileSync(
  input,
  Array.from({ length: 24_000 }, (_, i) => JSON.stringify({ city: `CITY ${i % 977}`, state_name: ['TEXAS', 'OHIO', 'UTAH'][i % 3], population: (i * 7919) % 100000, presc_counts: i % 41 })).join('\n'),
);
const plain = fs.readFileSync(input);
const hasBzip2 = (() => {
  try {
    execFileSync('bzip2', ['--help'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
const bunzip2 = (file: string): Buffer => execFileSync('python3', ['-c', 'import bz2,sys; sys.stdout.buffer.write(bz2.decompress(open(sys.argv[1],"rb").read()))', file], { maxBuffer: 1 << 26 });

describe('bzip2File', () => {
  it('the system bzip2 and tx encoder write the same bytes, which decompress to the input', async () => {
    expect(plain.length).toBeGreaterThan(2 * 900_000);
    expect(hasBzip2).toBe(true); // this machine has bzip2 (apt): the system path is the one tested here
    const m = await fresh();
    await m.bzip2File(input, path.join(dir, 'system.bz2'));
    expect(m.bzip2FileCounts).toEqual({ system: 1, builtin: 0 });
    process.env.TX_BZIP2 = 'builtin';
    await m.bzip2File(input, path.join(dir, 'builtin.bz2'));
    expect(m.bzip2FileCounts).toEqual({ system: 1, builtin: 1 });
    const a = fs.readFileSync(path.join(dir, 'system.bz2'));
    const b = fs.readFileSync(path.join(dir, 'builtin.bz2'));
    expect(a.equals(b)).toBe(true);
    expect(bunzip2(path.join(dir, 'system.bz2')).equals(plain)).toBe(true);
  });

  it('no bzip2 on the PATH: tx encoder, and the system is not looked for again', async () => {
    const m = await fresh();
    process.env.PATH = path.join(dir, 'nowhere');
    await m.bzip2File(input, path.join(dir, 'nopath.bz2'));
    process.env.PATH = saved.PATH;
    await m.bzip2File(input, path.join(dir, 'nopath2.bz2'));
    expect(m.bzip2FileCounts).toEqual({ system: 0, builtin: 2 });
    expect(bunzip2(path.join(dir, 'nopath2.bz2')).equals(plain)).toBe(true);
  });

  it('a bzip2 that fails is an error naming it (no fallback that would hide it)', async () => {
    const bin = path.join(dir, 'bad-bin');
    fs.mkdirSync(bin, { recursive: true });
    fs.writeFileSync(path.join(bin, 'bzip2'), '#!/bin/sh\necho "bzip2: I/O or other error, bailing out." >&2\nexit 1\n', { mode: 0o755 });
    const m = await fresh();
    process.env.PATH = `${bin}${path.delimiter}${saved.PATH}`;
    await expect(m.bzip2File(input, path.join(dir, 'bad.bz2'))).rejects.toThrow('bzip2 exited with code 1: bzip2: I/O or other error, bailing out.');
    expect(m.bzip2FileCounts).toEqual({ system: 0, builtin: 0 });
  });

  it('cancelled: the bzip2 is stopped and the call rejects', async () => {
    const m = await fresh();
    const ac = new AbortController();
    const p = m.bzip2File(input, path.join(dir, 'cancelled.bz2'), ac.signal);
    setTimeout(() => ac.abort(), 20);
    await expect(p).rejects.toMatchObject({ name: 'AbortError' });
    expect(m.bzip2FileCounts.system + m.bzip2FileCounts.builtin).toBe(0);
  });

  it('a missing input is an error, with both compressors', async () => {
    for (const how of ['system', 'builtin']) {
      const m = await fresh();
      if (how === 'builtin') process.env.TX_BZIP2 = 'builtin';
      await expect(m.bzip2File(path.join(dir, 'gone.json'), path.join(dir, 'gone.bz2'))).rejects.toMatchObject({ code: 'ENOENT' });
    }
  });
});

describe('bzip2File on a full disk', () => {
  const disk = path.join(dir, 'tiny');
  let mounted = false;
  beforeAll(() => {
    fs.mkdirSync(disk, { recursive: true });
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=100k', 'tmpfs', disk], { stdio: 'pipe' });
      mounted = true;
    } catch (e) {
      // a loud skip, or a failure when TX_TEST_REQUIRE names disk-full (.ci/run does)
      serviceUnavailable('disk-full', `cannot mount a 100 kB tmpfs for the bzip2 disk-full test (not root?): ${String((e as { stderr?: unknown }).stderr ?? (e as Error).message).trim()}`);
    }
  });
  skipEachWithout(() => (mounted ? true : null));
  afterAll(() => {
    if (mounted) execFileSync('umount', [disk]);
  });

  it("is the export's disk-full error with either compressor", async () => {
    for (const how of ['system', 'builtin']) {
      const m = await fresh();
      if (how === 'builtin') process.env.TX_BZIP2 = 'builtin';
      const err = await m.bzip2File(input, path.join(disk, `${how}.bz2`)).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err, how).toBeDefined();
      const x = toExportError(err, 'export cities');
      expect(x.code, how).toBe('EXPORT_IO');
      expect(x.hint, how).toMatch(/the disk is full/);
      fs.rmSync(path.join(disk, `${how}.bz2`), { force: true });
    }
  });
});
