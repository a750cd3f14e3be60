/**
 * The benchmarks' verdict on the machine (bench/bench-support.ts): other processes' CPU, not the
 * load average their own processes raise, decides whether figures are a quiet machine's.
 */
import { spawn, spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { cpuSnapshot, loadLine, loadVerdict, otherCores, OTHER_CORES_BUSY, type CpuSnapshot } from '../bench/bench-support.js';

/** A child that uses `ms` milliseconds of CPU (whatever the load), saying `half` halfway. */
const burn = (ms: number): [string, string[]] => [
  process.execPath,
  ['-e', `const cpu=()=>{const u=process.cpuUsage();return (u.user+u.system)/1000};const b=cpu();let said=false;while(cpu()-b<${ms}){if(!said&&cpu()-b>=${ms / 2}){said=true;process.stdout.write('half\\n')}}`],
];

describe('the benchmarks\' own CPU time', () => {
  it('counts a child that has exited', () => {
    const a = cpuSnapshot()!;
    const [cmd, args] = burn(400);
    expect(spawnSync(cmd, args).status).toBe(0);
    const b = cpuSnapshot()!;
    // the child's 0.4 s of CPU is the benchmark's, and the machine's busy time holds it too
    expect(b.own - a.own).toBeGreaterThanOrEqual(0.38);
    expect(b.busy - a.busy).toBeGreaterThanOrEqual(0.38);
  });

  it('counts a child while it runs, and once it has exited, once', async () => {
    const a = cpuSnapshot()!;
    const [cmd, args] = burn(600);
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'ignore'] });
    const exited = new Promise((done) => child.once('exit', done));
    await new Promise((done) => child.stdout.once('data', done));
    const running = cpuSnapshot()!;
    await exited;
    const after = cpuSnapshot()!;
    // running: its first 0.3 s counted already; exited: the rest, not the whole again
    expect(running.own - a.own).toBeGreaterThanOrEqual(0.28);
    expect(after.own - running.own).toBeGreaterThanOrEqual(0.28);
    expect(after.own - running.own).toBeLessThan(0.5);
    expect(after.own - a.own).toBeLessThan(0.9);
  });
});

describe('other processes\' cores between two snapshots', () => {
  const at = (ms: number, busy: number, own: number): CpuSnapshot => ({ at: ms, busy, own });
  it('is the machine\'s busy time less the benchmark\'s own, over the wall time', () => {
    expect(otherCores(at(0, 10, 3), at(2000, 14, 5))).toBeCloseTo(1);
    expect(otherCores(at(0, 10, 3), at(1000, 12, 5))).toBe(0);
  });
  it('is never negative (ticks read at slightly different moments), nor divided by no time', () => {
    expect(otherCores(at(0, 10, 3), at(1000, 10.5, 4))).toBe(0);
    expect(otherCores(at(5, 10, 3), at(5, 20, 3))).toBe(0);
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
