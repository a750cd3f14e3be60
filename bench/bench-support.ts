/**
 * What every benchmark here shares: the machine's load average (printed at start and end, with a
 * warning when it is above the core count), fresh processes measured whole (wall time, peak RSS of
 * the process tree, exit code), and the median of several runs.
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';

/** One process's CPU time, and whether it is this benchmark's own: this process or a descendant. */
interface ProcCpu {
  /** utime + stime of all its threads, in clock ticks. */
  ticks: number;
  ours: boolean;
}

/** The CPU time of every process at a moment, by `pid:starttime` (a pid can be reused, its start cannot). */
export interface CpuSnapshot {
  /** performance.now() when taken, in ms. */
  at: number;
  procs: Map<string, ProcCpu>;
}

/** Linux reports /proc times in clock ticks of 1/100 s (USER_HZ). */
const TICK = 100;
const PAGE = 4096;

/** A process as /proc/<pid>/stat gives it: its parent, its own CPU ticks (not its children's), its start and its RSS (fields 4, 14, 15, 22 and 24). */
interface ProcStat {
  ppid: number;
  ticks: number;
  start: string;
  rssBytes: number;
}

/** Every process now, by pid (those gone while the folder is read are left out). */
function readProcs(): Map<number, ProcStat> {
  const out = new Map<number, ProcStat>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // f[0] is field 3
      out.set(Number(name), { ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]), start: f[19]!, rssBytes: Number(f[21]) * PAGE });
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** Whether process `pid` is `root` or one of its descendants. */
function within(procs: ReadonlyMap<number, ProcStat>, pid: number, root: number): boolean {
  for (let q: number | undefined = pid; q !== undefined && q > 1; q = procs.get(q)?.ppid) if (q === root) return true;
  return false;
}

/**
 * Processes (`pid:starttime`) seen as the benchmark's: in a snapshot, or in the tree of a process
 * runProcess runs (sampled every 100 ms). They stay the benchmark's once orphaned: PySpark's JVM
 * outlives its Python, which does not wait for it, and was counted as another process's load.
 */
const adopted = new Set<string>();

/**
 * Every process's CPU time now, each marked as this benchmark's own or not (this process, a
 * descendant, or once seen as one); undefined where /proc is not Linux's. Each process counts its
 * own threads only, so nothing counts twice, and a process's time stays with its pid whoever its
 * parent becomes (an orphan's time is in no parent's children's time).
 */
export function cpuSnapshot(): CpuSnapshot | undefined {
  try {
    const all = readProcs();
    if (!all.has(process.pid)) return undefined;
    const procs = new Map<string, ProcCpu>();
    for (const [pid, p] of all) {
      if (!Number.isFinite(p.ticks)) continue;
      const key = `${pid}:${p.start}`;
      const ours = adopted.has(key) || within(all, pid, process.pid);
      if (ours) adopted.add(key);
      procs.set(key, { ticks: p.ticks, ours });
    }
    return { at: performance.now(), procs };
  } catch {
    return undefined;
  }
}

/**
 * The cores that other processes kept busy between two snapshots: the CPU time since `from` of
 * every process that is not the benchmark's at `to`, over the wall time. A process that started
 * and ended between the two is not seen (a busy machine's load is long-lived work), nor is the
 * kernel's interrupt time.
 */
export function otherCores(from: CpuSnapshot, to: CpuSnapshot): number {
  const wall = (to.at - from.at) / 1000;
  if (wall <= 0) return 0;
  let ticks = 0;
  for (const [key, p] of to.procs) if (!p.ours) ticks += Math.max(0, p.ticks - (from.procs.get(key)?.ticks ?? 0));
  return ticks / TICK / wall;
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
  const busy = "the machine is busy, figures are not a quiet machine's";
  if (other === undefined) return loadAverage > cores ? `  WARNING: load ${loadAverage.toFixed(1)} is above the ${cores} cores: ${busy}` : '';
  if (other > OTHER_CORES_BUSY) return `  WARNING: ${busy}`;
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


/** The summed RSS in bytes of `pid` and all its descendants, from /proc; each of them is the benchmark's from now on (cpuSnapshot). */
export function treeRss(pid: number): number {
  const procs = readProcs();
  let sum = 0;
  for (const [p, x] of procs) {
    if (!within(procs, p, pid)) continue;
    sum += x.rssBytes;
    adopted.add(`${p}:${x.start}`);
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
