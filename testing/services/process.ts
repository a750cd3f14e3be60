/**
 * Spawning long-running service processes and stopping them by PID / process group.
 *
 * Every service is started with `detached: true`, so it leads its own process group
 * (pgid === pid) and can be stopped as a whole with kill(-pgid) without touching the test
 * runner. Groups that are still alive when this Node process exits are SIGKILLed from an
 * 'exit' hook, and a watchdog (reaper.ts) stops them if this process dies without running it
 * (SIGKILL, a terminated worker), so an interrupted test run does not leave servers behind.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { startReaper } from './reaper.js';

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface SpawnedProcess {
  readonly pid: number;
  /** Combined stdout+stderr of the process. */
  readonly logFile: string;
  /** Null while running. */
  exitInfo(): ExitInfo | null;
  /** Last `maxBytes` of the log, for error messages. */
  logTail(maxBytes?: number): string;
  /** Waits until the log matches `re`; returns the match. Fails when the process exits first. */
  waitForLog(re: RegExp, timeoutMs: number): Promise<RegExpMatchArray>;
  /** SIGTERM the whole group, escalate to SIGKILL, and return once no member is left. */
  stop(graceMs?: number): Promise<void>;
}

export interface SpawnOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Where stdout+stderr go (created/truncated). */
  logFile: string;
}

const liveGroups = new Set<number>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const pgid of liveGroups) {
      try {
        process.kill(-pgid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
  });
}

/** Starts `command` in its own process group with output going to `logFile`. */
export function spawnDetached(command: string, args: readonly string[], opts: SpawnOptions): SpawnedProcess {
  const fd = fs.openSync(opts.logFile, 'w');
  let child;
  try {
    child = spawn(command, args, {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      detached: true,
      stdio: ['ignore', fd, fd],
    });
  } finally {
    fs.closeSync(fd);
  }
  const pid = child.pid;
  if (pid === undefined) {
    throw new Error(`could not spawn ${command}: ${fs.readFileSync(opts.logFile, 'utf8')}`);
  }
  let exit: ExitInfo | null = null;
  child.on('exit', (code, signal) => {
    exit = { code, signal };
  });
  child.on('error', () => {
    /* reported through exitInfo()/the log */
  });
  child.unref();
  installExitHook();
  liveGroups.add(pid);
  const reaper = startReaper(pid, { group: true });

  const logTail = (maxBytes = 4000): string => {
    try {
      const text = fs.readFileSync(opts.logFile, 'utf8');
      return text.length > maxBytes ? '…' + text.slice(-maxBytes) : text;
    } catch {
      return '';
    }
  };

  return {
    pid,
    logFile: opts.logFile,
    exitInfo: () => exit,
    logTail,
    async waitForLog(re: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const m = fs.readFileSync(opts.logFile, 'utf8').match(re);
        if (m) return m;
        const e: ExitInfo | null = exit;
        if (e !== null) {
          throw new Error(`${command} exited (code ${e.code}, signal ${e.signal}) before logging ${re}:\n${logTail()}`);
        }
        if (Date.now() > deadline) {
          throw new Error(`${command} did not log ${re} within ${timeoutMs} ms:\n${logTail()}`);
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async stop(graceMs = 15_000): Promise<void> {
      await stopProcessGroup(pid, graceMs);
      liveGroups.delete(pid);
      reaper.stop();
    },
  };
}

interface ProcStat {
  pid: number;
  state: string;
  ppid: number;
  pgrp: number;
}

function readStat(pid: number): ProcStat | null {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // "pid (comm) state ppid pgrp ..." — comm may contain spaces and parentheses.
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { pid, state: rest[0] ?? '?', ppid: Number(rest[1]), pgrp: Number(rest[2]) };
}

function allStats(): ProcStat[] {
  const out: ProcStat[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const s = readStat(Number(name));
    if (s) out.push(s);
  }
  return out;
}

const hasProc = fs.existsSync('/proc/self/stat');

/** True when `pid` is a live process (zombies count as dead). */
export function pidAlive(pid: number): boolean {
  if (hasProc) {
    const s = readStat(pid);
    return s !== null && s.state !== 'Z' && s.state !== 'X';
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Live (non-zombie) members of process group `pgid`. */
export function processGroupMembers(pgid: number): number[] {
  if (!hasProc) return pidAlive(pgid) ? [pgid] : [];
  return allStats()
    .filter((s) => s.pgrp === pgid && s.state !== 'Z' && s.state !== 'X')
    .map((s) => s.pid);
}

/** Live descendants of `pid` (children, grandchildren, ...), not including `pid`. */
export function descendants(pid: number): number[] {
  if (!hasProc) return [];
  const stats = allStats().filter((s) => s.state !== 'Z' && s.state !== 'X');
  const found = new Set<number>();
  let frontier = [pid];
  while (frontier.length > 0) {
    const next: number[] = [];
    for (const s of stats) {
      if (frontier.includes(s.ppid) && !found.has(s.pid)) {
        found.add(s.pid);
        next.push(s.pid);
      }
    }
    frontier = next;
  }
  return [...found];
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    /* ESRCH: nothing left */
  }
}

async function pollUntil(cond: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
  return true;
}

/**
 * SIGTERMs process group `pgid`, waits up to `graceMs` for every member to exit, then SIGKILLs
 * what is left. Throws if anything in the group is still alive after that.
 */
export async function stopProcessGroup(pgid: number, graceMs = 15_000): Promise<void> {
  const gone = (): boolean => processGroupMembers(pgid).length === 0;
  if (gone()) return;
  signalGroup(pgid, 'SIGTERM');
  if (await pollUntil(gone, graceMs)) return;
  signalGroup(pgid, 'SIGKILL');
  if (await pollUntil(gone, 10_000)) return;
  throw new Error(`process group ${pgid} still has live members after SIGKILL: ${processGroupMembers(pgid).join(', ')}`);
}

/**
 * Stops a single process that is not a group leader (e.g. a postmaster spawned by a library):
 * `signal` first, SIGKILL to it and its descendants after `graceMs`. Throws if it survives.
 */
export async function stopPid(pid: number, signal: NodeJS.Signals = 'SIGTERM', graceMs = 15_000): Promise<void> {
  const kids = descendants(pid);
  const gone = (): boolean => !pidAlive(pid) && kids.every((k) => !pidAlive(k));
  if (gone()) return;
  try {
    process.kill(pid, signal);
  } catch {
    /* gone */
  }
  if (await pollUntil(gone, graceMs)) return;
  for (const p of [pid, ...kids]) {
    try {
      process.kill(p, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  if (await pollUntil(gone, 10_000)) return;
  throw new Error(`process ${pid} (or a descendant) is still alive after SIGKILL`);
}
