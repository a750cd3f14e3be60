/**
 * Engine-side file exports: when the model's engine writes the destination itself (the Hive
 * target's `engine_paths`), Spark writes the files and tx only moves the finished folder into
 * place; no row passes through tx. Otherwise (and for options Spark's writer cannot honour) the
 * export is streamed through tx as before. The choice is logged per export.
 *
 * All or nothing, as local exports: the engine writes into a hidden `.tx-tmp-*` folder beside the
 * final one (same file system), tx adds `_manifest.json` (from the engine's listing) and
 * `_SUCCESS`, then renames the folder into place. A failed or cancelled write leaves only the hidden
 * folder, removed at once (or swept by the next export of that folder).
 */
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ExportError } from './export-error.js';
import type { ExportSpec } from './export-spec.js';
import type { ExportRequest, ExportResult } from './index.js';
import { discardLocal, planLocal, publishLocal } from './local-destination.js';
import { buildManifest, manifestBytes, MANIFEST_NAME } from './manifest.js';
import { sparkCompression } from '../hive/hive-engine-export.js';

/** Why the engine cannot write this export itself, or null when it can. */
export function engineRefusal(req: ExportRequest, spec: ExportSpec, url: string): string | null {
  const s = req.session;
  if (!s.engineReaches || !s.engineWriteFolder) return 'the target has no engine-side writer';
  if (!s.engineReaches(url)) return `${url} is not under the target's engine_paths`;
  if (spec.partitionBy.length) return 'partition_by is written by tx (Spark\u2019s INSERT OVERWRITE DIRECTORY has no partitioning)';
  if (spec.fileSizeBytes !== undefined) return 'file_size_mb is applied by tx';
  if (!sparkCompression(spec.format, spec.compression)) return `Spark has no ${spec.compression} codec for ${spec.format}`;
  return null;
}

/** Whether a folder holds anything other than what a tx export leaves (its manifest marks it as tx's). */
async function holdsForeignFiles(dir: string): Promise<string[] | null> {
  const entries = await fs.promises.readdir(dir).catch(() => null);
  if (!entries || !entries.length) return null;
  if (entries.includes(MANIFEST_NAME)) return null;
  return entries.slice(0, 3);
}

/** A local export folder written by the engine. */
export async function toLocalByEngine(req: ExportRequest, spec: ExportSpec, dir: string, t0: number): Promise<ExportResult> {
  const plan = await planLocal(dir, req.exportRoots);
  try {
    const foreign = await holdsForeignFiles(plan.finalDir);
    if (foreign && !spec.overwrite) {
      throw new ExportError('EXPORT_PATH', `local export folder ${plan.finalDir} already holds files tx did not write (${foreign.join(', ')}…); refused`, {
        hint: 'set `mode: overwrite` on the export to replace the folder, or choose another path',
      });
    }
    // The engine creates the folder itself (its commit protocol needs a folder that is not there).
    await fs.promises.rm(plan.stageDir, { recursive: true, force: true });
    const url = pathToFileURL(plan.stageDir).href;
    const files = await req.session.engineWriteFolder!({
      relation: req.node.relation,
      url,
      format: spec.format,
      compression: spec.compression,
      header: spec.header,
      delimiter: spec.delimiter,
      node: req.node.uniqueId,
      signal: req.signal,
    });
    if (!fs.existsSync(plan.stageDir)) {
      throw new ExportError('EXPORT_PATH', `the Spark server wrote ${url}, but tx does not see that folder on this machine`, {
        hint: 'engine-side exports to file:// need tx and the server on one file system; on a cluster export to a path tx sees, or remove file:// from engine_paths',
      });
    }
    // Hadoop's local file system leaves `.name.crc` checksum files beside each file: not part of an export.
    for (const f of await fs.promises.readdir(plan.stageDir)) if (f.startsWith('.') && f.endsWith('.crc')) await fs.promises.rm(path.join(plan.stageDir, f), { force: true });
    const manifest = manifestBytes(
      buildManifest({
        model: req.node.uniqueId,
        relation: req.node.relationName,
        destination: plan.finalDir,
        format: spec.format,
        compression: spec.compression,
        partitionBy: [],
        files,
      }),
    );
    await publishLocal(plan, manifest);
    const rows = files.reduce((a, f) => a + f.rows, 0);
    return {
      destination: plan.finalDir,
      files: files.map((f) => ({ ...f, path: f.path })),
      rows,
      bytes: files.reduce((a, f) => a + f.bytes, 0),
      ms: Date.now() - t0,
    };
  } finally {
    await discardLocal(plan);
  }
}

/** The file:// URL of a local export folder (for the engine_paths check). */
export function localUrl(dir: string): string {
  return pathToFileURL(path.resolve(dir)).href;
}
