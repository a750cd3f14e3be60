/**
 * The browser's selector (a port over the site index) answers exactly as tx's own
 * selectNodes does on the compiled example project.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeManifest } from '../../artifacts/artifacts.js';
import { compileProject, type CompiledProject } from '../../compile/compile-project.js';
import { loadProject } from '../../load/load-project.js';
import { selectNodes } from '../../select/selector.js';
import { buildSiteData } from '../build-site-data.js';
import type { Manifest } from '../manifest-types.js';
import { selGraphFromIndex, selectIndexes, SelectorError } from './selector.js';
import type { SiteIndex } from './site-data.js';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

let compiled: CompiledProject;
let index: SiteIndex;
let tmp: string;

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'tx-sel-'));
  compiled = await compileProject(loadProject(REPO), { target: 'duckdb' });
  writeManifest(compiled, tmp);
  const manifest = JSON.parse(readFileSync(join(tmp, 'manifest.json'), 'utf8')) as Manifest;
  index = buildSiteData({ manifest, runResults: null, catalog: null, warnings: [] }, new Map()).index;
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

describe('selector port', () => {
  it.each(SELECTORS)('%j minus %j selects what tx selects', (select, exclude) => {
    const expected = [...selectNodes(compiled.nodes, compiled.dag, compiled.project.name, select, exclude)].sort();
    // exports are nodes of the site only (from a model's config): leave them out of the comparison
    const got = [...selectIndexes(selGraphFromIndex(index), select, exclude)].map((i) => index.nodes.id[i]!).filter((id) => !id.startsWith('export.')).sort();
    expect(got).toEqual(expected);
    expect(got.length).toBeGreaterThan(0);
  });

  it('rejects what tx rejects, with a message', () => {
    const g = selGraphFromIndex(index);
    expect(() => selectIndexes(g, ['colour:red'], undefined)).toThrow(SelectorError);
    expect(() => selectIndexes(g, ['resource_type:snapshotz'], undefined)).toThrow(/unknown resource_type/);
    expect(() => selectNodes(compiled.nodes, compiled.dag, compiled.project.name, ['colour:red'], undefined)).toThrow();
  });
});
