/** tx's own ORC reader and writer (Apache ORC file version 0.12), see README.md in this folder. */
export { OrcError } from './errors.js';
export { OrcWriter, writeOrcFile, type OrcWriteOptions, type OrcWriteResult } from './writer.js';
export { openOrcFile, orcColumns, readOrcBatches, readOrcFile, type OrcColumn, type OrcFileInfo, type OrcReadOptions, type OrcRow } from './reader.js';
export type { OrcCompression } from './compression.js';
export type { OrcField, OrcType, OrcKind } from './types.js';
