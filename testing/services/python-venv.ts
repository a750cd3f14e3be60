/**
 * Python detection and cached virtualenv provisioning (pyspark, moto) in txCacheDir().
 * A venv counts as ready only once its marker file is written, after pip and a probe
 * succeeded; anything else in the folder is thrown away and rebuilt under a lock file.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { txCacheDir, withFileLock } from './cache.js';
import { run } from './run-command.js';

export interface PythonInfo {
  python: string;
  version: string;
  major: number;
  minor: number;
}

/**
 * Finds a Python >= 3.8 that can create venvs (has `venv` and `ensurepip`):
 * `$TX_TEST_PYTHON`, else `python3`, else `python`. Null when none fits.
 */
export async function findPython(): Promise<PythonInfo | null> {
  const candidates = [process.env.TX_TEST_PYTHON, 'python3', 'python'].filter((c): c is string => !!c);
  for (const python of candidates) {
    const r = await run(python, ['-c', 'import sys, venv, ensurepip; print("%d.%d.%d" % sys.version_info[:3])'], 30_000);
    if (r.status !== 0) continue;
    const version = r.stdout.trim();
    const [major, minor] = version.split('.').map(Number) as [number, number];
    if (major === 3 && minor >= 8) return { python, version, major, minor };
  }
  return null;
}

export interface VenvSpec {
  /** Folder name under txCacheDir(), e.g. "spark". */
  name: string;
  /** pip requirement specifiers. */
  requirements: readonly string[];
  /** Python source run with the venv's python; must print one JSON object on its last line. */
  probe: string;
  /** For the log, e.g. "pyspark 3.5 (~317 MB download, built from the sdist)". */
  description: string;
}

export interface Venv {
  dir: string;
  python: string;
  /** What the probe printed. */
  info: Record<string, unknown>;
  /** True when this call installed it; false when a cached venv was reused. */
  installed: boolean;
  /** Wall time of this call. */
  seconds: number;
}

interface Marker {
  requirements: string[];
  info: Record<string, unknown>;
  python: string;
  provisionedAt: string;
}

const MARKER = '.tx-provisioned.json';

function log(msg: string): void {
  console.warn(`[tx services] ${msg}`);
}

async function runProbe(python: string, probe: string): Promise<Record<string, unknown> | null> {
  const r = await run(python, ['-c', probe]);
  if (r.status !== 0) return null;
  const last = r.stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(last) as Record<string, unknown>;
  } catch {
    return null;
  }
}

async function readyVenv(spec: VenvSpec, dir: string): Promise<Record<string, unknown> | null> {
  let marker: Marker;
  try {
    marker = JSON.parse(fs.readFileSync(path.join(dir, MARKER), 'utf8')) as Marker;
  } catch {
    return null;
  }
  if (JSON.stringify(marker.requirements) !== JSON.stringify(spec.requirements)) return null;
  return await runProbe(path.join(dir, 'bin', 'python'), spec.probe);
}

/** Runs a command, echoing each output line to stderr with a prefix. Rejects on non-zero exit. */
async function runLoud(cmd: string, args: readonly string[], prefix: string, env?: NodeJS.ProcessEnv): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: env ?? process.env });
    const tail: string[] = [];
    const onData = (buf: Buffer): void => {
      for (const line of buf.toString('utf8').split(/\r?\n/)) {
        if (line.trim() === '') continue;
        process.stderr.write(`${prefix} ${line}\n`);
        tail.push(line);
        if (tail.length > 40) tail.shift();
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`${cmd} ${args.join(' ')} failed (code ${code}, signal ${signal}):\n${tail.join('\n')}`));
    });
  });
}

/**
 * Returns the ready venv `txCacheDir()/spec.name`, creating it (python -m venv + pip install)
 * when missing, stale (other requirements) or broken. Concurrent callers serialize on
 * `<name>.lock`; the loser of the race reuses the winner's venv.
 */
export async function ensureVenv(spec: VenvSpec): Promise<Venv> {
  const started = Date.now();
  const dir = path.join(txCacheDir(), spec.name);
  const python = path.join(dir, 'bin', 'python');
  const done = (info: Record<string, unknown>, installed: boolean): Venv => ({
    dir,
    python,
    info,
    installed,
    seconds: (Date.now() - started) / 1000,
  });

  const cached = await readyVenv(spec, dir);
  if (cached) return done(cached, false);

  return await withFileLock(path.join(txCacheDir(), `${spec.name}.lock`), async () => {
    const again = await readyVenv(spec, dir); // someone else may have finished while we waited
    if (again) return done(again, false);

    const base = await findPython();
    if (!base) throw new Error('no usable Python >= 3.8 with venv/ensurepip (set TX_TEST_PYTHON)');
    const banner = '#'.repeat(100);
    log(banner);
    log(`PROVISIONING ${spec.description}`);
    log(`into ${dir} with ${base.python} ${base.version}; first time only, later runs reuse it`);
    log(banner);
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(path.dirname(dir), { recursive: true });
    const prefix = `[tx services:${spec.name}]`;
    await runLoud(base.python, ['-m', 'venv', dir], prefix);
    await runLoud(
      python,
      ['-m', 'pip', 'install', '--disable-pip-version-check', '--progress-bar', 'off', ...spec.requirements],
      prefix,
      { ...process.env, PIP_NO_INPUT: '1' },
    );
    const info = await runProbe(python, spec.probe);
    if (!info) throw new Error(`venv ${dir} was installed but its probe failed`);
    const marker: Marker = {
      requirements: [...spec.requirements],
      info,
      python: base.version,
      provisionedAt: new Date().toISOString(),
    };
    fs.writeFileSync(path.join(dir, MARKER), JSON.stringify(marker, null, 2));
    const result = done(info, true);
    log(`${spec.name} venv ready after ${result.seconds.toFixed(1)} s: ${JSON.stringify(info)}`);
    return result;
  });
}
