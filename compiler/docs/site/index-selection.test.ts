/**
 * The site's selection, bundled for the browser as the site's script is (esbuild, platform browser) and run
 * in a bare JavaScript context (no require, no process, no Node API), answers exactly as tx's own selectNodes
 * does on the compiled example project: the site runs the compiler's selector, not a copy of it.
 */
import { build } from 'esbuild';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeManifest } from '../../artifacts/artifacts.js';
import { compileProject, type CompiledProject } from '../../compile/compile-project.js';
import { loadProject } from '../../load/load-project.js';
import { selectNodes } from '../../select/selector.js';
import { BROWSER_BUILD } from '../bundle.js';
import { buildSiteData } from '../build-site-data.js';
import type { Manifest } from '../manifest-types.js';
import type * as IndexSelection from './index-selection.js';
import type { SiteIndex } from './site-data.js';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

let compiled: CompiledProject;
let index: SiteIndex;
let tmp: string;
let site: typeof IndexSelection;
let bundleText: string;

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'tx-sel-'));
  compiled = await compileProject(loadProject(REPO), { target: 'duckdb' });
  writeManifest(compiled, tmp);
  const manifest = JSON.parse(readFileSync(join(tmp, 'manifest.json'), 'utf8')) as Manifest;
  index = buildSiteData({ manifest, runResults: null, catalog: null, warnings: [] }, new Map()).index;
  const r = await build({ ...BROWSER_BUILD, entryPoints: [fileURLToPath(new URL('./index-selection.ts', import.meta.url))], globalName: 'txSelection' });
  bundleText = r.outputFiles[0]!.text;
  site = (runInNewContext(`${bundleText};txSelection`, {}) as typeof IndexSelection);
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const SELECTORS: [string[] | undefined, string[] | undefined][] = [
  [['city_report'], undefined],
  [['+city_report'], undefined],
  [['+city_report+'], undefined],
  [['1+city_report'], undefined],
  [['stg_prescribers+'], undefined],
  [['stg_prescribers+1'], undefined],
  [['@stg_cities'], undefined],
  [['tag:report'], undefined],
  [['tag:staging'], ['resource_type:test']],
  [['path:models/marts'], undefined],
  [['config.materialized:table'], undefined],
  [['source:vendor'], undefined],
  [['source:vendor.us_cities+'], undefined],
  [['resource_type:source'], undefined],
  [['resource_type:test,city_report+'], undefined],
  [['resource_type:unit_test'], undefined],
  [['resource_type:test'], ['test_type:singular']],
  [['test_type:generic'], undefined],
  [['test_type:singular'], undefined],
  [['test_type:unit'], undefined],
  [['test_name:not_null'], undefined],
  [['marts'], undefined],
  [['healthcare.staging.*'], undefined],
  [['stg_*'], undefined],
  [['city_report top_prescribers'], undefined],
  [undefined, ['tag:staging']],
];

describe('selection on the site index (the bundled selector)', () => {
  it.each(SELECTORS)('%j minus %j selects what tx selects', (select, exclude) => {
    const expected = [...selectNodes(compiled.nodes, compiled.dag, compiled.project.name, select, exclude)].sort();
    // exports are nodes of the site only (from a model's config): leave them out of the comparison
    const got = [...site.indexSelector(index)(select, exclude)].map((i) => index.nodes.id[i]!).filter((id) => !id.startsWith('export.')).sort();
    expect(got).toEqual(expected);
    expect(got.length).toBeGreaterThan(0);
  });

  it('rejects what tx rejects, with its message and hint', () => {
    const select = site.indexSelector(index);
    const errorText = (sel: string): string => {
      try {
        select([sel], undefined);
      } catch (e) {
        return site.selectionErrorText(e);
      }
      return 'no error';
    };
    expect(errorText('colour:red')).toMatch(/^unknown selector method `colour` in `colour:red` \(methods: tag, path, /);
    expect(errorText('resource_type:snapshotz')).toBe('unknown resource_type `snapshotz` (did you mean `snapshot`?)');
    expect(errorText('@+city_report')).toMatch(/`@` cannot be combined with `\+`/);
    // the site has no earlier run to compare with
    expect(errorText('state:modified+')).toBe('`state:modified+` compares with an earlier run, but this selection has no --state artifacts');
    expect(() => selectNodes(compiled.nodes, compiled.dag, compiled.project.name, ['colour:red'], undefined)).toThrow(/unknown selector method `colour`/);
  });

  it('selects everything on an empty selection, and nothing but the excluded goes', () => {
    const select = site.indexSelector(index);
    expect(select(undefined, undefined).size).toBe(index.nodes.id.length);
    expect(select(['  '], undefined).size).toBe(index.nodes.id.length);
    expect(select(undefined, ['city_report']).size).toBe(index.nodes.id.length - 1);
  });

  it('bundles without a Node module', () => {
    expect(bundleText).not.toMatch(/\brequire\(|node:/);
  });
});
