/**
 * What every benchmark here shares: the machine's load average (printed at start and end, with a
 * warning when it is above the core count), fresh processes measured whole (wall time, peak RSS of
 * the process tree, exit code), and the median of several runs.
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';

/** CPU time so far, in seconds: the whole machine's busy time (all cores) and this benchmark's own. */
export interface CpuSnapshot {
  /** performance.now() when taken, in ms. */
  at: number;
  /** Non-idle time of every core summed (user, nice, system, irq, softirq, steal), from /proc/stat. */
  busy: number;
  /** This process's CPU time and that of its descendants, running or exited, from /proc. */
  own: number;
}

/** Linux reports /proc times in clock ticks of 1/100 s (USER_HZ). */
const TICK = 100;

/** A process's parent and its CPU ticks with those of its exited, waited-for children (stat fields 4 and 14 to 17). */
function procCpu(stat: string): { ppid: number; ticks: number } {
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // f[0] is field 3
  return { ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]) };
}

/**
 * The CPU snapshot now; undefined where /proc is not Linux's. Its own time is this process's and
 * its children's: those still running (each with what it has waited for) and those exited (in
 * this process's cutime and cstime once waited for), so a child counts once whether it runs or not.
 */
export function cpuSnapshot(): CpuSnapshot | undefined {
  try {
    const cpu = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).slice(1).map(Number);
    const busy = cpu[0]! + cpu[1]! + cpu[2]! + cpu[5]! + cpu[6]! + (cpu[7] ?? 0);
    const parent = new Map<number, number>();
    const ticks = new Map<number, number>();
    for (const name of readdirSync('/proc')) {
      if (!/^\d+$/.test(name)) continue;
      try {
        const p = procCpu(readFileSync(`/proc/${name}/stat`, 'utf8'));
        parent.set(Number(name), p.ppid);
        ticks.set(Number(name), p.ticks);
      } catch {
        // gone meanwhile
      }
    }
    let own = procCpu(readFileSync('/proc/self/stat', 'utf8')).ticks;
    for (const [pid, t] of ticks) {
      for (let q = parent.get(pid); q !== undefined && q > 1; q = parent.get(q)) {
        if (q === process.pid) {
          own += t;
          break;
        }
      }
    }
    if (![busy, own].every(Number.isFinite)) return undefined;
    return { at: performance.now(), busy: busy / TICK, own: own / TICK };
  } catch {
    return undefined;
  }
}

/** The cores that other processes kept busy between two snapshots: the machine's busy time less the benchmark's own, over the wall time. */
export function otherCores(from: CpuSnapshot, to: CpuSnapshot): number {
  const wall = (to.at - from.at) / 1000;
  if (wall <= 0) return 0;
  return Math.max(0, to.busy - from.busy - (to.own - from.own)) / wall;
}

/** Above this many cores used by other processes, the figures are not a quiet machine's. */
export const OTHER_CORES_BUSY = 0.5;

let lastSnapshot: CpuSnapshot | undefined;

/** Sleep without using the CPU. */
function sleepMs(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * `start: load average 1.2 0.8 0.5 (2 cores); other processes used 0.02 cores since the last line`,
 * with a warning when the machine is busy. The load average counts the benchmark's own processes too (a 2-core
 * PySpark run lifts it above 2 by itself), so the CPU time other processes used since the last
 * line decides: a load average above the cores from the benchmark alone is said to be so, and
 * other processes using more than OTHER_CORES_BUSY cores give the warning. The first line samples
 * half a second. Without Linux's /proc, the load average alone decides.
 */
export function loadLine(when: string): string {
  let from = lastSnapshot;
  let span = 'since the last line';
  if (!from) {
    from = cpuSnapshot();
    if (from) sleepMs(500);
    span = 'in the last 0.5 s';
  }
  const now = cpuSnapshot();
  lastSnapshot = now;
  const other = from && now ? otherCores(from, now) : undefined;
  const [one, five, fifteen] = os.loadavg();
  const cores = os.cpus().length;
  const otherText = other === undefined ? '' : `; other processes used ${other.toFixed(2)} cores ${span}`;
  return `${when}: load average ${one!.toFixed(2)} ${five!.toFixed(2)} ${fifteen!.toFixed(2)} (${cores} cores)${otherText}${loadVerdict(one!, cores, other)}`;
}

/**
 * What a load line says of the machine: a warning when other processes used more than
 * OTHER_CORES_BUSY cores (or, not known, when the 1-minute load average is above the cores); a
 * note when the load average is above the cores from the benchmark's own processes alone.
 */
export function loadVerdict(loadAverage: number, cores: number, other: number | undefined): string {
  const busy = "  WARNING: the machine is busy, figures are not a quiet machine's";
  if (other === undefined) return loadAverage > cores ? `  WARNING: load ${loadAverage.toFixed(1)} is above the ${cores} cores: the machine is busy, figures are not a quiet machine's` : '';
  if (other > OTHER_CORES_BUSY) return busy;
  return loadAverage > cores ? ` (the load average above the ${cores} cores is this benchmark's own processes)` : '';
}

/** The highest 1-minute load average seen by `sampleLoad` calls (for "under load X"). */
let maxLoad = 0;
export function sampleLoad(): number {
  maxLoad = Math.max(maxLoad, os.loadavg()[0]!);
  return maxLoad;
}

export interface ProcessRun {
  /** Wall seconds of the whole process. */
  s: number;
  /** Peak RSS in MB of the whole process tree (the process and its descendants, summed; sampled every 100 ms). */
  rssMb: number;
  status: number;
  /** stdout + stderr, last 64 kB. */
  output: string;
  /** stdout alone, last 64 kB. */
  stdout: string;
}

const PAGE = 4096;

/** The summed RSS in bytes of `pid` and all its descendants, from /proc. */
export function treeRss(pid: number): number {
  const parent = new Map<number, number>();
  const rss = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      parent.set(Number(name), Number(f[1]));
      rss.set(Number(name), Number(f[21]) * PAGE);
    } catch {
      // gone meanwhile
    }
  }
  let sum = 0;
  for (const [p, bytes] of rss) {
    for (let q: number | undefined = p; q !== undefined && q > 1; q = parent.get(q)) {
      if (q === pid) {
        sum += bytes;
        break;
      }
    }
  }
  return sum;
}

/** Runs `cmd args` as a fresh process, sampling its tree's RSS; never throws on a non-zero exit. */
export async function runProcess(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<ProcessRun> {
  const t0 = performance.now();
  const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  let stdout = '';
  const keep = (b: Buffer) => {
    output = (output + b.toString('utf8')).slice(-65536);
  };
  child.stdout.on('data', (b: Buffer) => {
    keep(b);
    stdout = (stdout + b.toString('utf8')).slice(-65536);
  });
  child.stderr.on('data', keep);
  let peak = 0;
  const sample = () => {
    if (child.pid) peak = Math.max(peak, treeRss(child.pid));
  };
  const timer = setInterval(sample, 100);
  const status = await new Promise<number>((resolve) => {
    child.on('error', () => resolve(-1));
    child.on('close', (code) => resolve(code ?? -1));
  });
  clearInterval(timer);
  const s = (performance.now() - t0) / 1000;
  sampleLoad();
  return { s, rssMb: peak / 2 ** 20, status, output, stdout };
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** `--name value` from argv, or the default. */
export function argValue(args: string[], name: string, dflt: string): string {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : dflt;
}

/** A comma-separated list of row counts (`5000000,10M,1e6`). */
export function rowList(text: string): number[] {
  return text
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean)
    .map((x) => {
      const m = /^([\d.e+]+)\s*([kKmM]?)$/.exec(x);
      if (!m) throw new Error(`not a row count: ${x}`);
      return Math.round(Number(m[1]) * (m[2]?.toLowerCase() === 'm' ? 1e6 : m[2]?.toLowerCase() === 'k' ? 1e3 : 1));
    });
}
