/**
 * dbt's artifact flags: `--target-path`, `--log-path` (or `TX_TARGET_PATH`/`DBT_TARGET_PATH`,
 * `TX_LOG_PATH`/`DBT_LOG_PATH`) move `target/` and `logs/`; `--no-write-json` (or
 * `DBT_WRITE_JSON=false`) leaves out the JSON artifacts (manifest.json, run_results.json,
 * tx_run.json, sources.json) while compiled SQL and the database work are unchanged.
 */
import { isAbsolute, relative, resolve } from 'node:path';
import type { Project } from '../load/project-types.js';

export interface ArtifactOptions {
  targetPath?: string;
  logPath?: string;
  /** false with --no-write-json. */
  writeJson?: boolean;
}

let writeJson = true;

/** Whether JSON artifacts are written in this process. */
export function writeJsonEnabled(): boolean {
  return writeJson;
}

const off = (v: string | undefined) => v !== undefined && /^(0|false|no)$/i.test(v.trim());

/** A path given on the command line or in the environment: absolute, or relative to the project. */
function projectRelative(project: Project, p: string): string {
  return relative(project.dir, isAbsolute(p) ? p : resolve(project.dir, p)) || '.';
}

/** Apply the flags (then the environment) to a loaded project and to this process's JSON writing. */
export function applyArtifactOptions(project: Project, o: ArtifactOptions, env: NodeJS.ProcessEnv = process.env): void {
  const targetPath = o.targetPath ?? env.TX_TARGET_PATH ?? env.DBT_TARGET_PATH;
  const logPath = o.logPath ?? env.TX_LOG_PATH ?? env.DBT_LOG_PATH;
  if (targetPath) project.targetPath = projectRelative(project, targetPath);
  if (logPath) project.logPath = projectRelative(project, logPath);
  writeJson = o.writeJson !== false && !off(env.DBT_WRITE_JSON) && !off(env.TX_WRITE_JSON);
}
