/**
 * The generated docs site of the example project, in headless Chromium (playwright-core +
 * Debian's chromium): the graph shows every model, clicking city_report opens its page with
 * the compiled SQL, its tests' status and the upstream columns of trx_counts. Screenshots go
 * to test-artifacts/docs/.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliPath, copyProject } from '../../testing/fixture-project.js';
import { launchChromium } from './browser-fixture.js';
import type { Manifest } from './manifest-types.js';
import { serveDocs } from './server.js';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SHOTS = join(REPO, 'test-artifacts', 'docs');

let dir: string;
let browser: Browser;
let page: Page;
const problems: string[] = [];

function tx(...args: string[]) {
  const r = spawnSync(process.execPath, [cliPath(), ...args, '--project-dir', dir], { encoding: 'utf8', cwd: dir, env: { ...process.env, NO_COLOR: '1', TX_TARGET: 'duckdb' }, timeout: 180_000 });
  return { code: r.status, output: `${r.stdout}\n${r.stderr}` };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tx-docs-site-'));
  copyProject(dir, REPO);
  const build = tx('build');
  expect(build.code, build.output).toBe(0);
  const gen = tx('docs', 'generate');
  expect(gen.code, gen.output).toBe(0);
  expect(gen.output).toMatch(/catalog: \d+ relations introspected/);
  mkdirSync(SHOTS, { recursive: true });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
  });
}, 300_000);

afterAll(async () => {
  await browser?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const siteUrl = () => pathToFileURL(join(dir, 'target', 'docs', 'index.html')).href;

describe('docs site of the example project (file://, headless Chromium)', () => {
  it('shows test status and source freshness on the overview', async () => {
    await page.goto(siteUrl());
    await page.waitForSelector('html[data-ready="1"]');
    const summary = await page.textContent('#test-summary');
    expect(summary).toMatch(/Tests: \d+ passed, 0 failed, 0 warned, 0 errored/);
    const fresh = await page.textContent('#freshness');
    expect(fresh).toContain('prescribers');
    expect(fresh).toContain('us_cities');
    await page.screenshot({ path: join(SHOTS, 'overview.png'), fullPage: true });
  });

  it('draws every model in the lineage graph; clicking city_report opens its page', async () => {
    const manifest = JSON.parse(readFileSync(join(dir, 'target', 'manifest.json'), 'utf8')) as Manifest;
    const models = Object.values(manifest.nodes).filter((n) => n.resource_type === 'model').map((n) => n.name).sort();
    expect(models).toEqual(expect.arrayContaining(['city_report', 'stg_cities', 'stg_prescribers', 'top_prescribers']));
    await page.goto(`${siteUrl()}#/graph`);
    await page.waitForSelector('canvas.graph');
    // the accessible node list and what the canvas actually placed in view both hold every model
    const listed = await page.$$eval('#graph-nodes li a', (as) => as.map((a) => a.textContent));
    for (const m of models) expect(listed).toContain(m);
    const drawn = (await page.evaluate(() => (window as unknown as { __txDebug: { graph: { visibleNodes(): { name: string; x: number; y: number }[] } } }).__txDebug.graph.visibleNodes())) as {
      name: string;
      x: number;
      y: number;
    }[];
    for (const m of models) expect(drawn.map((d) => d.name)).toContain(m);
    await page.screenshot({ path: join(SHOTS, 'graph.png') });

    // a real click on the canvas where city_report is drawn
    const target = drawn.find((d) => d.name === 'city_report')!;
    const box = (await page.locator('canvas.graph').boundingBox())!;
    await page.mouse.click(box.x + target.x, box.y + target.y);
    await page.waitForFunction(() => location.hash === '#/node/model.healthcare.city_report');
    await page.waitForSelector('#node-name');
    expect(await page.textContent('#node-name')).toBe('city_report');

    // compiled SQL, highlighted
    await page.waitForSelector('#sql[data-showing="compiled"] pre.sql');
    const sql = await page.textContent('#sql');
    expect(sql).toContain('"main"."stg_prescribers"');
    expect(sql).toContain('"main"."stg_cities"');
    expect(await page.locator('#sql pre.sql span.kw').count()).toBeGreaterThan(5);

    // its tests and their last status
    const testRow = await page.textContent('#tests tr[data-test="not_null_city_report_city"]');
    expect(testRow).toContain('pass');
    const columnTests = await page.textContent('#columns tr[data-column="city"]');
    expect(columnTests).toMatch(/not_null\s*pass/);

    // column lineage: trx_counts comes from stg_prescribers.trx_cnt; types come from the catalog
    const trx = page.locator('#columns tr[data-column="trx_counts"]');
    expect(await trx.locator('td[data-lineage] a.upcol').allTextContents()).toEqual(['stg_prescribers.trx_cnt']);
    expect(await trx.textContent()).toContain('BIGINT');
    const city = page.locator('#columns tr[data-column="city"] td[data-lineage] a.upcol');
    expect(await city.allTextContents()).toEqual(['stg_cities.city']);
    // last run facts
    const facts = await page.textContent('#node-facts');
    expect(facts).toMatch(/success/);
    expect(facts).toMatch(/Rows\s*77/);
    await page.screenshot({ path: join(SHOTS, 'city_report.png'), fullPage: true });

    // following the upstream column opens stg_prescribers, whose trx_cnt is used by city_report.trx_counts
    await trx.locator('td[data-lineage] a.upcol').click();
    await page.waitForFunction(() => location.hash === '#/node/model.healthcare.stg_prescribers');
    await page.waitForSelector('#columns');
    expect(await page.textContent('#columns tr[data-column="trx_cnt"]')).toContain('city_report.trx_counts');
  });

  it('filters the graph with selector syntax (+city_report = its ancestors) and searches by name', async () => {
    await page.goto(`${siteUrl()}#/graph?select=${encodeURIComponent('+city_report')}`);
    await page.waitForSelector('#graph-nodes');
    const listed = (await page.$$eval('#graph-nodes li a', (as) => as.map((a) => a.textContent))).sort();
    expect(listed).toEqual(['city_report', 'prescribers', 'stg_cities', 'stg_prescribers', 'us_cities', 'us_states']);
    expect(await page.textContent('#g-info')).toMatch(/6 nodes, 5 edges · dagre layout/);
    await page.screenshot({ path: join(SHOTS, 'graph-focused.png') });

    await page.goto(`${siteUrl()}#/graph?select=${encodeURIComponent('colour:red')}`);
    expect(await page.textContent('#g-info')).toMatch(/unknown selector method `colour`/);

    await page.goto(siteUrl());
    await page.fill('#search', 'top_pre');
    await page.press('#search', 'Enter');
    await page.waitForFunction(() => location.hash === '#/node/model.healthcare.top_prescribers');
    await page.waitForSelector('#node-name');
    expect(await page.textContent('#node-name')).toBe('top_prescribers');
  });

  it('works from a static host: tx docs serve on 127.0.0.1', async () => {
    let server: Server | undefined;
    try {
      const s = await serveDocs({ dir: join(dir, 'target', 'docs'), port: 0 });
      server = s.server;
      expect(s.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
      await page.goto(`${s.url}#/node/${encodeURIComponent('model.healthcare.top_prescribers')}`);
      await page.waitForSelector('#columns');
      expect(await page.textContent('#columns tr[data-column="presc_id"] td[data-lineage]')).toContain('stg_prescribers.presc_id');
      const res = await fetch(`${s.url}../../etc/passwd`);
      expect(res.status).not.toBe(200);
      const manifest = (await (await fetch(`${s.url}manifest.json`)).json()) as Manifest;
      expect(manifest.nodes['model.healthcare.city_report']!.columns.trx_counts).toMatchObject({ depends_on: [{ node: 'model.healthcare.stg_prescribers', column: 'trx_cnt' }] });
      // target/manifest.json, the artifact other tools read, carries the lineage too
      const artifact = JSON.parse(readFileSync(join(dir, 'target', 'manifest.json'), 'utf8')) as Manifest;
      expect(artifact.nodes['model.healthcare.city_report']!.columns.trx_counts).toMatchObject({ depends_on: [{ node: 'model.healthcare.stg_prescribers', column: 'trx_cnt' }] });
      expect(artifact.metadata.generated_at).toBe(manifest.metadata.generated_at);
    } finally {
      await new Promise((r) => (server ? server.close(r) : r(undefined)));
    }
  });

  it('logged no script errors and no Content-Security-Policy violations', () => {
    expect(problems).toEqual([]);
  });
});
