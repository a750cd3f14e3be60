import { execFile } from 'node:child_process';

export interface RunResult {
  /** Exit code; null when the command could not run or was killed (e.g. timeout). */
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion without blocking the event loop (unlike spawnSync, which would stall other servers' timers in the same process). */
export async function run(cmd: string, args: readonly string[], timeoutMs = 120_000): Promise<RunResult> {
  return await new Promise<RunResult>((resolve) => {
    execFile(cmd, args, { encoding: 'utf8', timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      const status = err === null ? 0 : typeof err.code === 'number' ? err.code : null;
      resolve({ status, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}
