/**
 * `tx docs generate`: artifacts → a static site in target/docs/.
 *
 *   target/manifest.json + run_results.json (+ catalog.json) ─▶ column lineage ─▶ site data ─▶ files
 *
 * The output opens from file:// and from any static host: index.html,
 * assets/{app.js,style.css}, data/index.{js,json}, data/nodes/c<k>.js (gzipped JSON);
 * target/manifest.json gets catalog types and columns[].depends_on.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { writeFileAtomic } from '../artifacts/artifacts.js';
import { scrub } from '../log/scrub.js';
import { bundleSiteScript } from './bundle.js';
import { buildSiteData } from './build-site-data.js';
import { computeColumnLineage } from './column-lineage.js';
import type { Catalog } from './manifest-types.js';
import { readArtifacts } from './read-artifacts.js';
import { STYLE_CSS, indexHtml } from './site-assets.js';
import { CHUNK_SIZE, dataScript, packedDataScript } from './site/site-data.js';

export interface GenerateOptions {
  /** Folder with manifest.json / run_results.json / catalog.json. */
  targetDir: string;
  /** Where the site goes (default: <targetDir>/docs). */
  outDir?: string;
  /** For the "manifest older than project files" check. */
  projectDir?: string;
  /** Produces target/catalog.json by introspecting the warehouse; absent = use an existing catalog.json if any. */
  catalog?: () => Promise<Catalog>;
  log?: (msg: string) => void;
  /** Largest whole DAG laid out by dagre (default 200). */
  dagreMax?: number;
}

export interface GenerateReport {
  outDir: string;
  nodes: number;
  warnings: string[];
  timings: Record<string, number>;
  layoutEngine: string;
}

export async function generateDocs(o: GenerateOptions): Promise<GenerateReport> {
  const timings: Record<string, number> = {};
  let t = performance.now();
  const lap = (k: string) => {
    const n = performance.now();
    timings[k] = Math.round(n - t);
    t = n;
  };
  const artifacts = readArtifacts(o.targetDir, o.projectDir);
  lap('read');
  if (o.catalog) {
    artifacts.catalog = await o.catalog();
    lap('catalog');
    if (!Object.keys(artifacts.catalog.nodes).length && !Object.keys(artifacts.catalog.sources ?? {}).length) {
      artifacts.warnings.push(`The warehouse holds none of the project's relations yet${artifacts.catalog.errors?.[0] ? ` (${artifacts.catalog.errors[0]})` : ''}: column types come only from properties files. Run \`tx build\`, then generate again.`);
    }
  } else if (artifacts.catalog) {
    const ct = Date.parse(artifacts.catalog.metadata?.generated_at ?? '');
    const rt = Date.parse(artifacts.runResults?.metadata?.generated_at ?? '');
    if (ct < rt) artifacts.warnings.push(`The catalog (column types, ${artifacts.catalog.metadata.generated_at}) is older than the last run: types may be out of date. Generate without --no-catalog to refresh it.`);
  } else {
    artifacts.warnings.push('No catalog: column types come only from properties files. Run `tx docs generate` with the warehouse reachable to read them.');
  }
  const lineage = await computeColumnLineage({ manifest: artifacts.manifest, catalog: artifacts.catalog });
  lap('lineage');
  const site = buildSiteData(artifacts, lineage, { dagreMax: o.dagreMax });
  lap('site-data');
  timings['(of which layout)'] = Math.round(site.layout.ms);

  const out = o.outDir ?? join(o.targetDir, 'docs');
  rmSync(join(out, 'data'), { recursive: true, force: true });
  mkdirSync(join(out, 'data', 'nodes'), { recursive: true });
  mkdirSync(join(out, 'assets'), { recursive: true });
  const indexJson = scrub(JSON.stringify(site.index));
  writeFileSync(join(out, 'data', 'index.json'), indexJson);
  writeFileSync(join(out, 'data', 'index.js'), dataScript('index', indexJson));
  for (let k = 0; k * CHUNK_SIZE < site.nodes.length; k++) {
    const json = scrub(JSON.stringify(site.nodes.slice(k * CHUNK_SIZE, (k + 1) * CHUNK_SIZE)));
    // gzip level 1: SQL and columns shrink ~10x at a few ms per chunk; the browser inflates them
    writeFileSync(join(out, 'data', 'nodes', `c${k}.js`), packedDataScript(`c${k}`, gzipSync(json, { level: 1 }).toString('base64')));
  }
  // As dbt's docs generate does, target/manifest.json itself gets the column lineage
  // (columns[].depends_on); its metadata, and so every staleness check, stay as they were. The
  // site does not copy it (at 10,000 models it would be most of the site's weight); `tx docs
  // serve` serves it as /manifest.json. A copy left by an older tx is removed.
  rmSync(join(out, 'manifest.json'), { force: true });
  writeFileAtomic(join(o.targetDir, 'manifest.json'), scrub(JSON.stringify(site.manifest)));
  writeFileSync(join(out, 'assets', 'style.css'), STYLE_CSS);
  writeFileSync(join(out, 'assets', 'app.js'), await bundleSiteScript());
  // the page last, so a reader never opens a page whose data is half-written
  writeFileAtomic(join(out, 'index.html'), indexHtml(site.index.meta.project));
  lap('write');
  for (const w of artifacts.warnings) o.log?.(`warning: ${w}`);
  return { outDir: out, nodes: site.nodes.length, warnings: artifacts.warnings, timings, layoutEngine: site.layout.engine };
}
