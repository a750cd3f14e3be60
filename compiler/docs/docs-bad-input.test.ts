/**
 * Bad input for the docs site: hostile text in a project (descriptions, SQL, tags) is shown,
 * never run; missing, corrupt or stale artifacts give a clear message instead of a blank page.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliPath } from '../../testing/fixture-project.js';
import { launchChromium } from './browser-fixture.js';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SHOTS = join(REPO, 'test-artifacts', 'docs');

const PAYLOAD_SQL = `select 1 as id, '</script><script>window.__pwned = 4</script>' as payload`;
const PROPS = `version: 2
models:
  - name: evil_model
    description: "Hello <script>window.__pwned = 1</script> <img src=x onerror=\\"window.__pwned = 2\\"> [click me](javascript:window.__pwned=3) **bold** [ok](https://example.com)"
    columns:
      - name: payload
        description: "<svg onload=\\"window.__pwned = 5\\"></svg> \`code\`"
        tests: [not_null]
`;

let dir: string;
let browser: Browser;
let page: Page;
const errors: string[] = [];

function tx(...args: string[]) {
  const r = spawnSync(process.execPath, [cliPath(), ...args, '--project-dir', dir], { encoding: 'utf8', cwd: dir, env: { ...process.env, NO_COLOR: '1', TX_TARGET: 'duckdb' }, timeout: 120_000 });
  return { code: r.status, output: `${r.stdout}\n${r.stderr}` };
}
const site = (hash = '') => `${pathToFileURL(join(dir, 'target', 'docs', 'index.html')).href}${hash}`;
const pwned = () => page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned ?? null);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tx-docs-bad-'));
  mkdirSync(join(dir, 'models'));
  writeFileSync(join(dir, 'project.yml'), 'name: evil\ntarget: duckdb\ntargets:\n  duckdb: {type: duckdb, path: target/evil.duckdb}\n');
  writeFileSync(join(dir, 'models', 'evil_model.sql'), `${PAYLOAD_SQL}\n`);
  writeFileSync(join(dir, 'models', 'props.yml'), PROPS);
  mkdirSync(SHOTS, { recursive: true });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  page.on('pageerror', (e) => errors.push(e.message));
}, 120_000);

afterAll(async () => {
  await browser?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('tx docs with missing artifacts', () => {
  it('says to compile first when there is no manifest, and to generate first when there is no site', () => {
    const g = tx('docs', 'generate', '--no-catalog');
    expect(g.code).toBe(2);
    expect(g.output).toMatch(/no manifest at .*manifest\.json/);
    expect(g.output).toMatch(/run `tx compile` \(or `tx build`\) first/);
    const s = tx('docs', 'serve', '--port', '0');
    expect(s.code).toBe(2);
    expect(s.output).toMatch(/run `tx docs generate` first/);
  });

  it('says so when the manifest is corrupt', () => {
    mkdirSync(join(dir, 'target'), { recursive: true });
    writeFileSync(join(dir, 'target', 'manifest.json'), '{"metadata": {');
    const g = tx('docs', 'generate', '--no-catalog');
    expect(g.code).toBe(2);
    expect(g.output).toMatch(/manifest .* is not valid JSON/);
    rmSync(join(dir, 'target', 'manifest.json'));
  });
});

describe('hostile text in a project', () => {
  it('is escaped: a <script> in a description, SQL or column text never runs', async () => {
    expect(tx('compile').code).toBe(0);
    const g = tx('docs', 'generate', '--no-catalog');
    expect(g.code, g.output).toBe(0);
    expect(g.output).toMatch(/No run results/);

    await page.goto(site('#/node/model.evil.evil_model'));
    await page.waitForSelector('#columns');
    await page.waitForTimeout(300);
    expect(await pwned()).toBeNull();
    const desc = page.locator('main .desc').first();
    expect(await desc.textContent()).toContain('<script>window.__pwned = 1</script>');
    expect(await desc.locator('strong').textContent()).toBe('bold');
    expect(await desc.locator('script, img, svg').count()).toBe(0);
    expect(await page.locator('a[href^="javascript"]').count()).toBe(0);
    expect(await desc.locator('a[href="https://example.com"]').getAttribute('rel')).toBe('noopener noreferrer');
    expect(await page.textContent('#columns tr[data-column="payload"]')).toContain('<svg onload="window.__pwned = 5"></svg>');
    expect(await page.textContent('#sql')).toContain("'</script><script>window.__pwned = 4</script>'");
    // the missing run results are said, not silently blank
    expect(await page.textContent('main')).toMatch(/No run results/);
    await page.screenshot({ path: join(SHOTS, 'xss.png'), fullPage: true });

    // and nowhere else: overview, lists, graph, search
    for (const hash of ['', '#/list/model', '#/graph', '#/graph?select=evil_model%2B&tests=1']) {
      await page.goto(site(hash));
      await page.waitForSelector('html[data-ready="1"]');
    }
    await page.fill('#search', '<script>');
    await page.waitForTimeout(100);
    expect(await pwned()).toBeNull();
    expect(errors).toEqual([]);
  });
});

describe('stale or broken artifacts', () => {
  it('warns when run results predate the manifest or the project changed after the manifest', async () => {
    expect(tx('build').code).toBe(0);
    expect(tx('compile').code).toBe(0); // a newer manifest than the run results
    const future = new Date(Date.now() + 60_000);
    utimesSync(join(dir, 'models', 'evil_model.sql'), future, future);
    const g = tx('docs', 'generate', '--no-catalog');
    expect(g.code, g.output).toBe(0);
    expect(g.output).toMatch(/run results .* are older than the manifest/);
    expect(g.output).toMatch(/older than models\/evil_model\.sql: run `tx compile`/);
    await page.goto(site());
    await page.waitForSelector('html[data-ready="1"]');
    const banners = await page.locator('.banner').allTextContents();
    expect(banners.join('\n')).toMatch(/older than the manifest/);
    expect(banners.join('\n')).toMatch(/older than models\/evil_model\.sql/);
  });

  it('says which file is missing when the site is incomplete, instead of a blank page', async () => {
    rmSync(join(dir, 'target', 'docs', 'data', 'nodes', 'c0.js'));
    await page.goto(site('#/node/model.evil.evil_model'));
    await page.waitForSelector('.banner.error');
    expect(await page.textContent('.banner.error')).toMatch(/data\/nodes\/c0\.js is missing.*tx docs generate/);
    rmSync(join(dir, 'target', 'docs', 'data', 'index.js'));
    await page.goto(site());
    await page.waitForSelector('.banner.error');
    expect(await page.textContent('main')).toMatch(/The docs data did not load/);
    expect(await page.textContent('main')).toMatch(/tx docs generate/);
  });
});
