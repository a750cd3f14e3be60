/**
 * The benchmarks' verdict on the machine (bench/bench-support.ts): other processes' CPU, not the
 * load average their own processes raise, decides whether figures are a quiet machine's.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDirs } from './temp-dirs.js';
import { cpuSnapshot, loadLine, loadVerdict, otherCores, OTHER_CORES_BUSY, runProcess, type CpuSnapshot } from '../bench/bench-support.js';

const tempDir = tempDirs('tx-bench-support-');

/** Node code that uses `ms` milliseconds of CPU (whatever the load), calling `half()` halfway. */
const burnCode = (ms: number, half: string) =>
  `const cpu=()=>{const u=process.cpuUsage();return (u.user+u.system)/1000};const b=cpu();let said=false;while(cpu()-b<${ms}){if(!said&&cpu()-b>=${ms / 2}){said=true;${half}}}`;

/** Wait until `test()` holds, checking every 20 ms. */
async function until(test: () => boolean): Promise<void> {
  while (!test()) await new Promise((r) => setTimeout(r, 20));
}

/**
 * Node code for a parent that starts a detached burner of `ms` ms of CPU and exits `lingerMs`
 * later without waiting for it; `halfway()` waits until the burner is half done and gives its pid.
 */
function orphanBurner(ms: number, lingerMs: number): { parentCode: string; halfway: () => Promise<number> } {
  const dir = tempDir();
  const pidFile = join(dir, 'pid');
  const halfFile = join(dir, 'half');
  const orphan = `require('fs').writeFileSync(${JSON.stringify(pidFile)}, String(process.pid));${burnCode(ms, `require('fs').writeFileSync(${JSON.stringify(halfFile)}, '')`)}`;
  const spawnIt = `require('child_process').spawn(process.execPath, ['-e', ${JSON.stringify(orphan)}], { detached: true, stdio: 'ignore' }).unref()`;
  return {
    parentCode: lingerMs ? `${spawnIt}; setTimeout(() => {}, ${lingerMs})` : spawnIt,
    halfway: async () => {
      await until(() => existsSync(halfFile));
      return Number(readFileSync(pidFile, 'utf8'));
    },
  };
}

/** The snapshot's entry of process `pid`. */
const entryOf = (s: CpuSnapshot, pid: number) => [...s.procs].find(([k]) => k.startsWith(`${pid}:`))?.[1];

describe('whose CPU time a snapshot counts as the benchmark\'s own', () => {
  it('this process and a grandchild, running: ours, with the CPU it used', async () => {
    // node → node → the burner, which prints its pid halfway through
    const burner = burnCode(600, "process.stdout.write(String(process.pid) + '\\n')");
    const child = spawn(process.execPath, ['-e', `require('child_process').spawn(process.execPath, ['-e', ${JSON.stringify(burner)}], { stdio: 'inherit' })`], { stdio: ['ignore', 'pipe', 'ignore'] });
    const exited = new Promise((done) => child.once('exit', done));
    const pid = Number(String(await new Promise((done) => child.stdout.once('data', done))).trim());
    const s = cpuSnapshot()!;
    await exited;
    expect(entryOf(s, process.pid)?.ours).toBe(true);
    expect(entryOf(s, child.pid!)?.ours).toBe(true);
    const grandchild = entryOf(s, pid)!;
    expect(grandchild.ours).toBe(true);
    expect(grandchild.ticks / 100).toBeGreaterThanOrEqual(0.28);
  });

  it('a process orphaned before the benchmark ever saw it as its own: not ours', async () => {
    const b = orphanBurner(600, 0);
    expect(spawnSync(process.execPath, ['-e', b.parentCode]).status).toBe(0);
    const pid = await b.halfway();
    const left = entryOf(cpuSnapshot()!, pid)!;
    expect(left.ours).toBe(false);
    expect(left.ticks / 100).toBeGreaterThanOrEqual(0.28);
  });

  it('a process of a runProcess child, left running when the child exits (as PySpark leaves its JVM): still ours', async () => {
    // the parent lives long enough for runProcess's 100 ms sampling to see the burner in its tree, then exits without waiting for it
    const b = orphanBurner(1200, 500);
    expect((await runProcess(process.execPath, ['-e', b.parentCode])).status).toBe(0);
    const pid = await b.halfway();
    const left = entryOf(cpuSnapshot()!, pid)!;
    expect(left).toBeDefined();
    expect(left.ours).toBe(true);
  });
});

describe('other processes\' cores between two snapshots', () => {
  const snap = (ms: number, procs: [string, number, boolean][]): CpuSnapshot => ({ at: ms, procs: new Map(procs.map(([k, ticks, ours]) => [k, { ticks, ours }])) });
  it('is the CPU time since the first of every process not the benchmark\'s, over the wall time', () => {
    const from = snap(0, [['1:5', 100, false], ['7:9', 50, true], ['8:9', 10, false]]);
    // 1: 100 more ticks (1 s); 7 (ours): ignored; 8: gone; 20: new since, 50 ticks counted whole
    const to = snap(2000, [['1:5', 200, false], ['7:9', 250, true], ['20:30', 50, false]]);
    expect(otherCores(from, to)).toBeCloseTo(0.75);
  });
  it('counts a process of the benchmark orphaned since from its time at the first snapshot', () => {
    expect(otherCores(snap(0, [['7:9', 300, true]]), snap(1000, [['7:9', 350, false]]))).toBeCloseTo(0.5);
  });
  it('tells a reused pid apart by its start, is never negative, nor divided by no time', () => {
    expect(otherCores(snap(0, [['4:1', 500, false]]), snap(1000, [['4:2', 30, false]]))).toBeCloseTo(0.3);
    expect(otherCores(snap(0, [['4:1', 500, false]]), snap(1000, [['4:1', 400, false]]))).toBe(0);
    expect(otherCores(snap(5, [['4:1', 0, false]]), snap(5, [['4:1', 100, false]]))).toBe(0);
  });
});

describe('what a load line says of the machine', () => {
  it('warns when other processes kept more than half a core busy', () => {
    expect(loadVerdict(0.4, 2, OTHER_CORES_BUSY + 0.1)).toMatch(/WARNING: the machine is busy/);
    expect(loadVerdict(0.4, 2, OTHER_CORES_BUSY)).toBe('');
  });
  it('says a load average above the cores from the benchmark alone is its own, without a warning', () => {
    const v = loadVerdict(2.6, 2, 0.03);
    expect(v).toMatch(/this benchmark's own processes/);
    expect(v).not.toMatch(/WARNING/);
  });
  it('falls back on the load average where other processes\' time is unknown', () => {
    expect(loadVerdict(2.6, 2, undefined)).toMatch(/WARNING: load 2.6 is above the 2 cores/);
    expect(loadVerdict(1.2, 2, undefined)).toBe('');
  });
  it('samples half a second on its first line, then measures since the last', () => {
    const first = loadLine('start');
    expect(first).toMatch(/^start: load average [\d.]+ [\d.]+ [\d.]+ \(\d+ cores\); other processes used [\d.]+ cores in the last 0\.5 s/);
    expect(loadLine('end')).toMatch(/^end: .*other processes used [\d.]+ cores since the last line/);
  });
});
