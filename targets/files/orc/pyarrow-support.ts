/**
 * Test support: pyarrow (PyPI) in a cached venv, the independent ORC reader and writer the
 * ORC tests check tx against. Not imported by tx itself.
 */
import { spawn } from 'node:child_process';
import { ensureVenv, type Venv } from '../../../testing/services/python-venv.js';

export const PYARROW_VERSION = '25.0.1';

let venv: Promise<Venv> | undefined;

export function pyarrowVenv(): Promise<Venv> {
  venv ??= ensureVenv({
    name: 'pyarrow',
    requirements: [`pyarrow==${PYARROW_VERSION}`],
    probe: 'import json, pyarrow, pyarrow.orc; print(json.dumps({"pyarrow": pyarrow.__version__}))',
    description: `pyarrow ${PYARROW_VERSION} (ORC reader and writer for the ORC cross-checks)`,
  });
  return venv;
}

/** Runs a Python script with the pyarrow venv; resolves stdout, rejects with stderr on failure. */
export async function runPython(script: string, args: string[] = []): Promise<string> {
  const v = await pyarrowVenv();
  return new Promise((resolve, reject) => {
    const child = spawn(v.python, ['-c', script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`python failed (${code}):\n${err}`))));
  });
}
