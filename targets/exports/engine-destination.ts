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
import { errorMessage, ExportError } from './export-error.js';
import type { ExportSpec } from './export-spec.js';
import type { ExportRequest, ExportResult } from './index.js';
import type { EngineWrittenFile } from '../target.js';
import { discardLocal, planLocal, publishLocal } from './local-destination.js';
import { buildManifest, manifestBytes, MANIFEST_NAME } from './manifest.js';
import { sparkCompression } from '../hive/hive-engine-export.js';

/** Why the engine cannot write this export itself, or null when it can. */
export function engineRefusal(req: ExportRequest, spec: ExportSpec, url: string): string | null {
  const s = req.session;
  if (!s.engineReaches || !s.engineWriteFolder) return 'the target has no engine-side writer';
  if (!s.engineReaches(url)) return `${url} is not under the target's engine_paths`;
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
    // The select list (extra_columns replace a column of their name) and a check of partition_by, as tx's own writer does.
    const columns = (await req.session.columns(req.node.relation)).map((c) => c.name);
    for (const p of spec.partitionBy) {
      if (!columns.some((c) => c.toLowerCase() === p.toLowerCase()) && !spec.extraColumns.some((c) => c.name.toLowerCase() === p.toLowerCase())) {
        throw new ExportError('EXPORT_CONFIG', `partition_by column \`${p}\` is not a column of ${req.node.relationName}`, { hint: `columns: ${columns.join(', ')}` });
      }
    }
    // The engine creates the folder itself (its commit protocol needs a folder that is not there).
    await fs.promises.rm(plan.stageDir, { recursive: true, force: true });
    const url = pathToFileURL(plan.stageDir).href;
    let files: EngineWrittenFile[];
    try {
      files = await req.session.engineWriteFolder!({
        relation: req.node.relation,
        url,
        format: spec.format,
        compression: spec.compression,
        header: spec.header,
        delimiter: spec.delimiter,
        columns,
        extraColumns: spec.extraColumns,
        partitionBy: spec.partitionBy,
        fileSizeBytes: spec.fileSizeBytes,
        scratchUrl: pathToFileURL(path.join(plan.scratchDir, 'size-sample')).href,
        node: req.node.uniqueId,
        signal: req.signal,
      });
    } catch (e) {
      if (req.signal?.aborted || e instanceof ExportError) throw e;
      throw new ExportError('EXPORT_IO', `the Spark server could not write ${url} (the previous ${plan.finalDir} is kept): ${errorMessage(e).split('\n')[0]}`, {
        hint: 'check that the server may write the export folder (disk space, permissions, a read-only mount)',
      });
    }
    if (!fs.existsSync(plan.stageDir)) {
      throw new ExportError('EXPORT_PATH', `the Spark server wrote ${url}, but tx does not see that folder on this machine`, {
        hint: 'engine-side exports to file:// need tx and the server on one file system; on a cluster export to a path tx sees, or remove file:// from engine_paths',
      });
    }
    // Hadoop's local file system leaves `.name.crc` checksum files beside each file (in partition folders too): not part of an export.
    for (const f of await fs.promises.readdir(plan.stageDir, { recursive: true })) {
      if (path.basename(f).startsWith('.') && f.endsWith('.crc')) await fs.promises.rm(path.join(plan.stageDir, f), { force: true });
    }
    const manifest = manifestBytes(
      buildManifest({
        model: req.node.uniqueId,
        relation: req.node.relationName,
        destination: plan.finalDir,
        format: spec.format,
        compression: spec.compression,
        partitionBy: spec.partitionBy,
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
    // On a folder that turned read-only the hidden temporaries cannot go: the next export of this folder sweeps them.
    await discardLocal(plan).catch((e: unknown) => req.log.warn(`export ${spec.label}: could not remove the temporary folder beside ${plan.finalDir}: ${errorMessage(e)}`));
  }
}

/** The file:// URL of a local export folder (for the engine_paths check). */
export function localUrl(dir: string): string {
  return pathToFileURL(path.resolve(dir)).href;
}
