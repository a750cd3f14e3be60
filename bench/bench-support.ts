/**
 * What every benchmark here shares: the machine's load average (printed at start and end, with a
 * warning when it is above the core count), fresh processes measured whole (wall time, peak RSS of
 * the process tree, exit code), and the median of several runs.
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';

/** `load average 1.2 0.8 0.5 (2 cores)`, with a warning when the 1-minute figure is above the cores. */
export function loadLine(when: string): string {
  const [one, five, fifteen] = os.loadavg();
  const cores = os.cpus().length;
  const busy = one! > cores ? `  WARNING: load ${one!.toFixed(1)} is above the ${cores} cores: the machine is busy, figures are not a quiet machine's` : '';
  return `${when}: load average ${one!.toFixed(2)} ${five!.toFixed(2)} ${fifteen!.toFixed(2)} (${cores} cores)${busy}`;
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
