/** tx's own ORC reader and writer (Apache ORC file version 0.12), see README.md in this folder. */
export { OrcError } from './errors.js';
export { OrcWriter, writeOrcFile, type OrcWriteOptions, type OrcWriteResult } from './writer.js';
export {
  openOrcFile,
  orcColumns,
  readOrcBatches,
  readOrcColumnBatches,
  readOrcFile,
  readOrcRowGroup,
  readOrcRowIndex,
  type OrcColumn,
  type OrcColumnVector,
  type OrcFileInfo,
  type OrcReadOptions,
  type OrcRow,
  type OrcRowIndexEntry,
} from './reader.js';
export type { OrcCompression } from './compression.js';
export type { OrcField, OrcType, OrcKind } from './types.js';
