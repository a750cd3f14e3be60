/**
 * The manifest that describes one export folder, and the `_SUCCESS` marker.
 *
 * Order is the contract: data files first, then `_manifest.json`, then `_SUCCESS` (empty, as
 * Hadoop and Spark write it). A reader that sees `_SUCCESS` can trust the manifest, and the
 * manifest lists every data file with its rows, bytes and sha256.
 */
import type { ExportFormat, ExportCompression } from './export-spec.js';

export const MANIFEST_NAME = '_manifest.json';
export const SUCCESS_NAME = '_SUCCESS';

export interface ManifestFile {
  path: string;
  rows: number;
  bytes: number;
  sha256: string;
}

export interface Manifest {
  manifest_version: 1;
  model: string;
  relation: string;
  destination: string;
  format: ExportFormat;
  compression: ExportCompression;
  partition_by: string[];
  created_at: string;
  rows: number;
  bytes: number;
  files: ManifestFile[];
}

export function buildManifest(opts: {
  model: string;
  relation: string;
  destination: string;
  format: ExportFormat;
  compression: ExportCompression;
  partitionBy: string[];
  files: ManifestFile[];
  now?: Date;
}): Manifest {
  const files = opts.files.map(({ path, rows, bytes, sha256 }) => ({ path, rows, bytes, sha256 }));
  return {
    manifest_version: 1,
    model: opts.model,
    relation: opts.relation,
    destination: opts.destination,
    format: opts.format,
    compression: opts.compression,
    partition_by: opts.partitionBy,
    created_at: (opts.now ?? new Date()).toISOString(),
    rows: files.reduce((a, f) => a + f.rows, 0),
    bytes: files.reduce((a, f) => a + f.bytes, 0),
    files,
  };
}

export function manifestBytes(m: Manifest): Buffer {
  return Buffer.from(`${JSON.stringify(m, null, 2)}\n`, 'utf8');
}

/** The marker's content: empty, like Hadoop's. */
export const SUCCESS_BYTES = Buffer.alloc(0);
