/**
 * Differential testing against dbt-core's real base context: a batch of Python expressions is
 * eval'd once by CPython (dbt_reference.py, in the shared dbt-core venv) and once here.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { provisionDbtCore } from '../../../../testing/services/dbt-venvs.js';
import type { Outcome } from './py-expr.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));

/** The outcomes of `cases` in dbt's base context, in order. */
export async function dbtOutcomes(cases: readonly string[]): Promise<Outcome[]> {
  const venv = await provisionDbtCore();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tx-dbt-ref-'));
  try {
    const input = path.join(dir, 'cases.json');
    const output = path.join(dir, 'out.json');
    fs.writeFileSync(input, JSON.stringify(cases));
    execFileSync(venv.python, [path.join(HERE, 'dbt_reference.py'), input, output], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, DO_NOT_TRACK: '1', DBT_SEND_ANONYMOUS_USAGE_STATS: 'false' },
      timeout: 120_000,
    });
    return JSON.parse(fs.readFileSync(output, 'utf8')) as Outcome[];
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** What the comparison looks at: str and repr, or only the exception type. */
export function comparable(o: Outcome): Outcome {
  return o.error !== undefined ? { error: o.error } : { str: o.str, repr: o.repr };
}
