/**
 * A watchdog for a service process: a tiny detached `sh` loop that checks every second whether
 * the Node process that started the service is still alive. If the test runner dies without
 * cleaning up (SIGKILL, a worker terminated on timeout, a crash), the watchdog stops the service
 * (`signal`, then SIGKILL after 10 s), so no server outlives its test run. When the service goes
 * away normally the watchdog exits by itself within a second; stop() ends it at once.
 */
import { spawn } from 'node:child_process';

export interface Reaper {
  readonly pid: number | null;
  stop(): void;
}

const SCRIPT = `
parent=$1 target=$2 sig=$3
while kill -0 "$parent" 2>/dev/null && kill -0 "$target" 2>/dev/null; do sleep 1; done
if kill -0 "$target" 2>/dev/null; then
  kill "-$sig" "$target" 2>/dev/null
  i=0; while [ $i -lt 10 ] && kill -0 "$target" 2>/dev/null; do sleep 1; i=$((i+1)); done
  kill -KILL "$target" 2>/dev/null
fi
`;

/**
 * Watches `pid` on behalf of this process. With `group: true` the whole process group `pid` is
 * signalled (the service was started detached, so it leads its own group).
 */
export function startReaper(
  pid: number,
  opts: { group: boolean; signal?: 'TERM' | 'INT' | 'QUIT'; /** default: this process */ parentPid?: number },
): Reaper {
  const target = opts.group ? `-${pid}` : String(pid);
  let child;
  try {
    child = spawn('/bin/sh', ['-c', SCRIPT, 'tx-service-reaper', String(opts.parentPid ?? process.pid), target, opts.signal ?? 'TERM'], {
      detached: true,
      stdio: 'ignore',
    });
  } catch {
    return { pid: null, stop: () => {} };
  }
  child.on('error', () => {});
  child.unref();
  const reaperPid = child.pid ?? null;
  return {
    pid: reaperPid,
    stop: () => {
      if (reaperPid === null) return;
      try {
        process.kill(reaperPid, 'SIGKILL');
      } catch {
        /* already exited */
      }
    },
  };
}
