import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serviceUnavailable } from '../../testing/services/require.js';
import { skipEachWithout } from '../../testing/services/service-suite.js';
import { ExportError, MANIFEST_NAME, SUCCESS_NAME, runExport, type Manifest } from './index.js';
import {
  CITIES,
  TYPED,
  createSampleTables,
  diffRows,
  duckdbFixture,
  listTree,
  request,
  streamOnly,
  type DuckdbFixture,
} from './export-test-support.js';

let fx: DuckdbFixture;
let project: string;

beforeAll(async () => {
  fx = await duckdbFixture();
  await createSampleTables(fx.session);
  project = fs.mkdtempSync(path.join(os.tmpdir(), 'tx-exp-project-'));
});
afterAll(async () => {
  await fx?.close();
  if (project) fs.rmSync(project, { recursive: true, force: true });
});

function manifestOf(dir: string): Manifest {
  return JSON.parse(fs.readFileSync(path.join(dir, MANIFEST_NAME), 'utf8')) as Manifest;
}

function sha256(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

/** Folder entries besides the published ones: staging leftovers would show up here. */
function hiddenLeftovers(dir: string): string[] {
  return fs.existsSync(dir) ? fs.readdirSync(dir).filter((n) => n.startsWith('.tx-')) : [];
}

describe('local exports: round trips', () => {
  it('writes parquet (snappy) that reads back as the same rows, with a manifest and _SUCCESS', async () => {
    const res = await runExport(request(fx, { to: 'output/', path: '{{ this.name }}/{{ run_started_at.strftime("%Y-%m-%d-%H-%M-%S") }}' }, { projectDir: project }));
    const dir = path.join(project, 'output', 'cities', '2024-05-01-10-00-00');
    expect(res.destination).toBe(dir);
    expect(listTree(dir)).toEqual([SUCCESS_NAME, MANIFEST_NAME, 'cities.parquet']);
    expect(res.rows).toBe(28338);
    const d = await diffRows(fx.session, CITIES, [path.join(dir, 'cities.parquet')], 'parquet');
    expect(d).toEqual({ missing: 0, extra: 0, readBack: 28338 });
    const m = manifestOf(dir);
    expect(m.files).toEqual(res.files);
    expect(m.rows).toBe(28338);
    expect(m.files[0]!.sha256).toBe(sha256(path.join(dir, 'cities.parquet')));
    expect(m.files[0]!.bytes).toBe(fs.statSync(path.join(dir, 'cities.parquet')).size);
    expect(fs.statSync(path.join(dir, SUCCESS_NAME)).size).toBe(0);
    expect(hiddenLeftovers(path.dirname(dir))).toEqual([]);
    // _SUCCESS is the last thing written.
    const mtimes = listTree(dir).map((f) => [f, fs.statSync(path.join(dir, f)).mtimeMs] as const);
    const success = mtimes.find(([f]) => f === SUCCESS_NAME)![1];
    for (const [, t] of mtimes) expect(t).toBeLessThanOrEqual(success);
  });

  it('writes bzip2 JSON lines (the original job\'s format) that bzip2 -d reads back as the same rows', async () => {
    const res = await runExport(request(fx, { to: 'output/', format: 'json', compression: 'bzip2', path: 'json_bz2' }, { projectDir: project, relation: TYPED }));
    const file = path.join(project, 'output', 'json_bz2', 'typed.json.bz2');
    expect(res.files.map((f) => f.path)).toEqual(['typed.json.bz2']);
    expect(fs.readFileSync(file).subarray(0, 3).toString()).toBe('BZh');
    expect(await diffRows(fx.session, TYPED, [file], 'json')).toEqual({ missing: 0, extra: 0, readBack: 2500 });
  });

  it('writes gzip CSV with another delimiter and awkward text (quotes, commas, newlines, nulls)', async () => {
    const res = await runExport(
      request(fx, { to: 'output/', format: 'csv', compression: 'gzip', delimiter: '|', path: 'csv' }, { projectDir: project, relation: TYPED }),
    );
    const file = path.join(project, 'output', 'csv', 'typed.csv.gz');
    expect(res.rows).toBe(2500);
    expect(await diffRows(fx.session, TYPED, [file], 'csv', { delimiter: '|' })).toEqual({ missing: 0, extra: 0, readBack: 2500 });
  });

  it('partitions Hive-style (parquet natively, JSON one partition at a time) with per-file row counts', async () => {
    for (const format of ['parquet', 'json'] as const) {
      const res = await runExport(request(fx, { to: 'output/', format, partition_by: 'state', path: `parts_${format}` }, { projectDir: project, relation: TYPED }));
      const dir = path.join(project, 'output', `parts_${format}`);
      const data = listTree(dir).filter((f) => !f.startsWith('_'));
      expect(data.map((f) => f.split('/')[0])).toEqual(['state=CA', 'state=NY', 'state=TX']);
      expect(res.files.map((f) => f.rows)).toEqual([834, 833, 833]);
      expect(res.files.reduce((a, f) => a + f.rows, 0)).toBe(2500);
      const d = await diffRows(fx.session, TYPED, data.map((f) => path.join(dir, f)), format, { hivePartitioning: true });
      expect(d).toEqual({ missing: 0, extra: 0, readBack: 2500 });
    }
  });

  it('splits into parts of about file_size_mb, named after the model', async () => {
    const res = await runExport(request(fx, { to: 'output/', format: 'csv', file_size_mb: 0.25, path: 'sized' }, { projectDir: project }));
    expect(res.files.length).toBeGreaterThan(2);
    expect(res.files.map((f) => f.path)).toEqual(res.files.map((_, i) => `cities-${String(i).padStart(5, '0')}.csv`));
    expect(res.files.reduce((a, f) => a + f.rows, 0)).toBe(28338);
    const dir = path.join(project, 'output', 'sized');
    expect(await diffRows(fx.session, CITIES, res.files.map((f) => path.join(dir, f.path)), 'csv')).toEqual({ missing: 0, extra: 0, readBack: 28338 });
  });

  it('streams rows through a private DuckDB when the session has no file writer, keeping types exact', async () => {
    const res = await runExport(request({ session: streamOnly(fx.session), log: fx.log }, { to: 'output/', path: 'streamed' }, { projectDir: project, relation: TYPED }));
    const file = path.join(project, 'output', 'streamed', 'typed.parquet');
    expect(res.rows).toBe(2500);
    expect(await diffRows(fx.session, TYPED, [file], 'parquet')).toEqual({ missing: 0, extra: 0, readBack: 2500 });
    const types = await fx.session.connection.query(`select column_name, column_type from (describe select * from read_parquet('${file}'))`);
    expect(Object.fromEntries(types.map((r) => [r.column_name, r.column_type]))).toMatchObject({
      id: 'INTEGER',
      big: 'BIGINT',
      amount: 'DECIMAL(12,2)',
      day: 'DATE',
      ts: 'TIMESTAMP',
      flag: 'BOOLEAN',
      note: 'VARCHAR',
    });
  });

  it('adds extra columns (delivery_date) with their types', async () => {
    const res = await runExport(
      request(fx, { to: 'output/', path: 'extra', extra_columns: { delivery_date: { value: '2024-05-01', type: 'date' }, batch: 'b1' } }, { projectDir: project, relation: TYPED }),
    );
    const file = path.join(project, 'output', 'extra', 'typed.parquet');
    const rows = await fx.session.connection.query(`select count(*)::int as n, min(delivery_date)::varchar as d, typeof(min(delivery_date)) as t, min(batch) as b from read_parquet('${file}')`);
    expect(rows[0]).toEqual({ n: 2500, d: '2024-05-01', t: 'DATE', b: 'b1' });
    expect(res.rows).toBe(2500);
  });

  it('replaces an earlier export of the same folder whole (no stale files)', async () => {
    const dir = path.join(project, 'output', 'replace');
    await runExport(request(fx, { to: 'output/', format: 'csv', file_size_mb: 0.25, path: 'replace' }, { projectDir: project }));
    expect(listTree(dir).length).toBeGreaterThan(4);
    await runExport(request(fx, { to: 'output/', path: 'replace' }, { projectDir: project }));
    expect(listTree(dir)).toEqual([SUCCESS_NAME, MANIFEST_NAME, 'cities.parquet']);
    expect(hiddenLeftovers(path.dirname(dir))).toEqual([]);
  });
});

describe('local exports: refusals and failures', () => {
  const expectExportError = async (p: Promise<unknown>, code: string, re: RegExp): Promise<ExportError> => {
    const err = await p.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ExportError);
    expect((err as ExportError).code).toBe(code);
    expect((err as ExportError).message).toMatch(re);
    return err as ExportError;
  };

  it('refuses `..` in to: and path:', async () => {
    await expectExportError(runExport(request(fx, { to: 'output/../escape' }, { projectDir: project })), 'EXPORT_PATH', /\.\./);
    await expectExportError(runExport(request(fx, { to: 'output/', path: '../../etc' }, { projectDir: project })), 'EXPORT_PATH', /\.\./);
    expect(fs.existsSync(path.join(project, 'escape'))).toBe(false);
  });

  it('refuses paths outside the export roots, and the root itself', async () => {
    const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'tx-exp-outside-'));
    try {
      const e = await expectExportError(runExport(request(fx, { to: outside }, { projectDir: project })), 'EXPORT_PATH', /outside every export root/);
      expect(e.hint).toMatch(/export_roots/);
      await expectExportError(runExport(request(fx, { to: 'output', path: '' }, { projectDir: project })), 'EXPORT_PATH', /export root itself/);
      expect(fs.readdirSync(outside)).toEqual([]);
    } finally {
      fs.rmSync(outside, { recursive: true, force: true });
    }
  });

  it('refuses a symlink inside the root that leads outside it', async () => {
    const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'tx-exp-outside-'));
    try {
      fs.mkdirSync(path.join(project, 'output'), { recursive: true });
      fs.symlinkSync(outside, path.join(project, 'output', 'sneaky'));
      await expectExportError(runExport(request(fx, { to: 'output/sneaky/' }, { projectDir: project })), 'EXPORT_PATH', /symlink/);
      await expectExportError(runExport(request(fx, { to: 'output/', path: 'sneaky/deeper' }, { projectDir: project })), 'EXPORT_PATH', /symlink/);
      expect(fs.readdirSync(outside)).toEqual([]);
      // A symlink that stays inside the root is fine.
      fs.mkdirSync(path.join(project, 'output', 'real'), { recursive: true });
      fs.symlinkSync(path.join(project, 'output', 'real'), path.join(project, 'output', 'alias'));
      await runExport(request(fx, { to: 'output/alias/' }, { projectDir: project }));
      expect(listTree(path.join(project, 'output', 'real', 'cities'))).toContain(SUCCESS_NAME);
    } finally {
      fs.rmSync(outside, { recursive: true, force: true });
    }
  });

  it('leaves nothing under the final name when writing fails, and keeps an earlier export intact', async () => {
    const dir = path.join(project, 'output', 'failing');
    await runExport(request(fx, { to: 'output/', path: 'failing' }, { projectDir: project }));
    const before = fs.readFileSync(path.join(dir, 'cities.parquet'));
    // A model whose relation is gone: the writer fails after the staging folder exists.
    const gone = { schema: 'main', identifier: 'no_such_table' };
    await expectExportError(
      runExport(request(fx, { to: 'output/', path: 'failing' }, { projectDir: project, relation: gone })),
      'EXPORT_FAILED',
      /no_such_table/,
    );
    expect(fs.readFileSync(path.join(dir, 'cities.parquet')).equals(before)).toBe(true);
    expect(hiddenLeftovers(path.dirname(dir))).toEqual([]);
    // A first export that fails leaves no folder at all.
    await expectExportError(runExport(request(fx, { to: 'output/', path: 'never' }, { projectDir: project, relation: gone })), 'EXPORT_FAILED', /no_such_table/);
    expect(fs.existsSync(path.join(project, 'output', 'never'))).toBe(false);
    expect(hiddenLeftovers(path.join(project, 'output'))).toEqual([]);
  });

  it('cancelled mid-way (bzip2 running) leaves nothing under the final name', async () => {
    const ac = new AbortController();
    const p = runExport(request(fx, { to: 'output/', format: 'json', compression: 'bzip2', path: 'cancelled' }, { projectDir: project, signal: ac.signal }));
    setTimeout(() => ac.abort(), 150);
    const err = await p.then(
      () => undefined,
      (e: unknown) => e as ExportError,
    );
    expect(err?.code).toBe('EXPORT_CANCELLED');
    expect(fs.existsSync(path.join(project, 'output', 'cancelled'))).toBe(false);
    expect(hiddenLeftovers(path.join(project, 'output'))).toEqual([]);
  });

  it('rejects bad entries before writing anything, with a hint', async () => {
    const bad = async (spec: Record<string, unknown>, re: RegExp, hint?: RegExp) => {
      const e = await expectExportError(runExport(request(fx, spec, { projectDir: project })), 'EXPORT_CONFIG', re);
      if (hint) expect(e.hint).toMatch(hint);
    };
    await bad({ to: 'output/', format: 'xlsx' }, /unknown export format `xlsx`/);
    await bad({ to: 'output/', format: 'orc', compression: 'zstd' }, /compression `zstd` is not available for orc/, /snappy, zlib, none/);
    await bad({ to: 'output/', format: 'parquet', compression: 'bzip2' }, /not available for parquet/, /snappy/);
    await bad({ to: 'output/', format: 'csv', compression: 'lz4' }, /compression `lz4`/);
    await bad({ to: 'output/', fromat: 'csv' }, /unknown export option `fromat`/, /format/);
    await bad({ to: 'gs://bucket/x' }, /unsupported export destination/);
    await bad({ to: 'output/', partition_by: 'nope' }, /partition_by column `nope`/);
    expect(fs.existsSync(path.join(project, 'output', 'cities', 'cities.parquet'))).toBe(false);
  });
});

/** A tiny tmpfs as the export root (needs root, as on CI and the dev machines); false when mounting is not allowed. */
function mountTinyDisk(dir: string, size: string): boolean {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: 'pipe' });
    return true;
  } catch (e) {
    // a loud skip, or a failure when TX_TEST_REQUIRE names disk-full (.ci/run does)
    serviceUnavailable('disk-full', `cannot mount a 2 MB tmpfs for the disk-full test (not root?): ${String((e as { stderr?: unknown }).stderr ?? (e as Error).message).trim()}`);
    return false;
  }
}

describe('local exports: a full disk', () => {
  let disk = '';
  let mounted = false;
  beforeAll(() => {
    disk = fs.mkdtempSync(path.join(os.tmpdir(), 'tx-exp-full-'));
    mounted = mountTinyDisk(disk, '2m');
  });
  skipEachWithout(() => (mounted ? true : null));
  afterAll(() => {
    if (mounted) execFileSync('umount', [disk]);
    if (disk) fs.rmSync(disk, { recursive: true, force: true });
  });

  it('fails with a clear disk-full error and leaves nothing behind', async () => {
    fs.writeFileSync(path.join(disk, 'keep.txt'), 'x');
    const err = (await runExport(request(fx, { to: disk, format: 'csv' }, { projectDir: project, exportRoots: [disk] })).catch((e: unknown) => e)) as ExportError;
    expect(err).toBeInstanceOf(ExportError);
    expect(err.code).toBe('EXPORT_IO');
    expect(err.hint).toMatch(/disk is full/);
    expect(fs.readdirSync(disk)).toEqual(['keep.txt']);
  });
});
