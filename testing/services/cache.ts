/**
 * The cache folder for provisioned test tools (Python venvs for pyspark and moto), kept OUTSIDE
 * the repository so a fresh clone / `git clean` does not throw away a 370 MB venv:
 * `$TX_TEST_CACHE_DIR`, else `$XDG_CACHE_HOME/tx`, else `~/.cache/tx`.
 * Plus a cross-process lock file so parallel test workers (or .ci/provision and a test run)
 * never provision the same folder at once.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export function txCacheDir(): string {
  const explicit = process.env.TX_TEST_CACHE_DIR;
  if (explicit) return path.resolve(explicit);
  const xdg = process.env.XDG_CACHE_HOME;
  const base = xdg && path.isAbsolute(xdg) ? xdg : path.join(os.homedir(), '.cache');
  return path.join(base, 'tx');
}

function lockHolderAlive(lockPath: string): { alive: boolean; holder: string } {
  let text = '';
  try {
    text = fs.readFileSync(lockPath, 'utf8');
  } catch {
    return { alive: false, holder: '(vanished)' };
  }
  let pid = NaN;
  let host = '';
  try {
    const j = JSON.parse(text) as { pid?: unknown; host?: unknown };
    pid = Number(j.pid);
    host = String(j.host ?? '');
  } catch {
    // A lock being written right now may be empty; treat it as alive unless it is old.
    const age = Date.now() - (fs.statSync(lockPath, { throwIfNoEntry: false })?.mtimeMs ?? 0);
    return { alive: age < 10_000, holder: '(unreadable)' };
  }
  if (host !== '' && host !== os.hostname()) return { alive: true, holder: `pid ${pid} on ${host}` };
  try {
    process.kill(pid, 0);
    return { alive: true, holder: `pid ${pid}` };
  } catch (err) {
    return { alive: (err as NodeJS.ErrnoException).code === 'EPERM', holder: `pid ${pid}` };
  }
}

/**
 * Runs `fn` while holding the lock file `lockPath` (created with O_EXCL, holding our pid).
 * A lock whose holder process is dead is stale and taken over. Waits up to `timeoutMs`,
 * printing who holds it every 30 s.
 */
export async function withFileLock<T>(lockPath: string, fn: () => Promise<T>, timeoutMs = 45 * 60_000): Promise<T> {
  fs.mkdirSync(path.dirname(lockPath), { recursive: true });
  const start = Date.now();
  let lastNote = 0;
  for (;;) {
    let fd: number | null = null;
    try {
      fd = fs.openSync(lockPath, 'wx');
      fs.writeSync(fd, JSON.stringify({ pid: process.pid, host: os.hostname(), since: new Date().toISOString() }));
      fs.closeSync(fd);
      break;
    } catch (err) {
      if (fd !== null) fs.closeSync(fd);
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const { alive, holder } = lockHolderAlive(lockPath);
    if (!alive) {
      console.warn(`[tx services] removing stale lock ${lockPath} (holder ${holder} is gone)`);
      fs.rmSync(lockPath, { force: true });
      continue;
    }
    const waited = Date.now() - start;
    if (waited > timeoutMs) throw new Error(`timed out after ${waited} ms waiting for lock ${lockPath} held by ${holder}`);
    if (Date.now() - lastNote > 30_000) {
      console.warn(`[tx services] waiting for ${lockPath}: another process (${holder}) is provisioning`);
      lastNote = Date.now();
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  try {
    return await fn();
  } finally {
    fs.rmSync(lockPath, { force: true });
  }
}
