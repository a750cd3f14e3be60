/**
 * writeCompileArtifactsAsync (a worker thread writes target/compiled/ while manifest.json is built)
 * writes the same bytes as the one-thread writeCompileArtifacts, reports a write error of the
 * worker with its code, and then leaves manifest.json as it was.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadProject } from '../load/load-project.js';
import { compileProject } from '../compile/compile-project.js';
import { registerSecret, resetSecrets } from '../log/scrub.js';
import { writeCompileArtifacts, writeCompileArtifactsAsync } from './artifacts.js';

function project(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'tx-write-async-'));
  for (const [p, text] of Object.entries(files)) {
    mkdirSync(join(dir, p, '..'), { recursive: true });
    writeFileSync(join(dir, p), text);
  }
  return dir;
}

/** Every file under `dir`, relative path → bytes. */
function tree(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const f of (readdirSync(dir, { recursive: true }) as string[]).sort()) {
    const abs = join(dir, f);
    if (statSync(abs).isFile()) out.set(f.split('\\').join('/'), readFileSync(abs));
  }
  return out;
}

const long = (s: string) => `${s}\n${'-- padding so that the text is long enough to be left to the worker\n'.repeat(2)}`;
const FILES: Record<string, string> = {
  'project.yml': 'name: wa\n',
  'macros/m.sql': '{% macro twice(x) %}{{ x }} * 2{% endmacro %}',
  'seeds/s.csv': 'id,label\n1,one\n',
  'models/props.yml': 'version: 2\nmodels:\n  - name: a\n    columns:\n      - name: id\n        tests: [not_null]\n',
  // escapes JSON must write: quotes, backslashes, tabs, control characters, non-ASCII, a lone surrogate's text, a NUL
  'models/a.sql': long("{{ config(materialized='table') }}\nselect id, 'a \"quoted\" \\\\ back\tslash' as q, 'ünï€ode 😀' as u, '\\u0000tx-splice-0' as lookalike, '\u0001' as c1 from {{ ref('s') }}"),
  'models/b.sql': long("select {{ twice('1') }} as x from {{ ref('a') }}\n-- \u0000 a NUL in a comment"),
  'models/e.sql': "{{ config(materialized='ephemeral') }}select 10 as x",
  'models/c.sql': long("select * from {{ ref('e') }}"),
  'models/short.sql': 'select 1 as y',
};

const dirs: string[] = [];
afterEach(() => {
  resetSecrets();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function both(files: Record<string, string>): Promise<{ sync: Map<string, Buffer>; async: Map<string, Buffer>; dir: string }> {
  const dir = project(files);
  dirs.push(dir);
  const c = await compileProject(loadProject(dir), { noCache: true });
  // one compiled project for both: manifestOf() is built once, so its clock and invocation id are the same
  writeCompileArtifacts(c, join(dir, 'sync'));
  await writeCompileArtifactsAsync(c, join(dir, 'async'), 1); // the worker even for a few nodes
  return { sync: tree(join(dir, 'sync')), async: tree(join(dir, 'async')), dir };
}

describe('writeCompileArtifactsAsync', () => {
  it('writes target/compiled/ and manifest.json byte for byte as writeCompileArtifacts does', async () => {
    const { sync, async } = await both(FILES);
    expect([...async.keys()]).toEqual([...sync.keys()]);
    expect([...sync.keys()]).toContain('manifest.json');
    expect([...sync.keys()].filter((k) => k.startsWith('compiled/')).length).toBeGreaterThanOrEqual(5);
    for (const [k, v] of sync) expect(async.get(k)!.equals(v), k).toBe(true);
    const m = JSON.parse(async.get('manifest.json')!.toString('utf8'));
    expect(m.nodes['model.wa.a'].raw_code).toBe(FILES['models/a.sql']);
    expect(m.nodes['model.wa.a'].compiled_code).toContain('ünï€ode 😀');
    expect(m.nodes['model.wa.b'].raw_code).toContain('\u0000 a NUL');
    expect(m.nodes['model.wa.short'].raw_code).toBe('select 1 as y');
  });

  it('masks a secret as the one-thread writer does', async () => {
    registerSecret('s3cr3t-value-zz', 'test');
    const files = { ...FILES, 'models/leak.sql': long("select 's3cr3t-value-zz' as oops") };
    const { sync, async } = await both(files);
    for (const [k, v] of sync) expect(async.get(k)!.equals(v), k).toBe(true);
    const text = async.get('manifest.json')!.toString('utf8');
    expect(text).not.toContain('s3cr3t-value-zz');
    expect(text).toContain('*****');
  });

  it('reports a write error of the worker with its code, and leaves manifest.json as it was', async () => {
    const dir = project(FILES);
    dirs.push(dir);
    const c = await compileProject(loadProject(dir), { noCache: true });
    const target = join(dir, 'target');
    mkdirSync(join(target, 'compiled', 'wa'), { recursive: true });
    writeFileSync(join(target, 'manifest.json'), 'the previous manifest');
    // a file where the models folder must be: the compiled files cannot be written
    writeFileSync(join(target, 'compiled', 'wa', 'models'), 'in the way');
    await expect(writeCompileArtifactsAsync(c, target, 1)).rejects.toMatchObject({ code: expect.stringMatching(/^(EEXIST|ENOTDIR)$/) });
    expect(readFileSync(join(target, 'manifest.json'), 'utf8')).toBe('the previous manifest');
    expect(readdirSync(target).filter((f) => f.includes('.tmp-'))).toEqual([]);
    // the one-thread writer fails the same way
    expect(() => writeCompileArtifacts(c, target)).toThrow(expect.objectContaining({ code: expect.stringMatching(/^(EEXIST|ENOTDIR)$/) }));
  });

  it('a manifest.json that cannot be replaced (a folder in its place) is an error that leaves no temporary file, in both writers', async () => {
    const dir = project(FILES);
    dirs.push(dir);
    const c = await compileProject(loadProject(dir), { noCache: true });
    for (const [name, write] of [
      ['async', (t: string) => writeCompileArtifactsAsync(c, t, 1)],
      ['sync', async (t: string) => writeCompileArtifacts(c, t)],
    ] as const) {
      const target = join(dir, `target-${name}`);
      mkdirSync(join(target, 'manifest.json', 'in-the-way'), { recursive: true });
      await expect(write(target), name).rejects.toMatchObject({ syscall: 'rename' });
      expect(readdirSync(target).filter((f) => f.includes('.tmp-')), name).toEqual([]);
      expect(readdirSync(join(target, 'manifest.json')), name).toEqual(['in-the-way']);
    }
  });
});
