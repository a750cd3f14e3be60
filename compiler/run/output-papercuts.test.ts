/**
 * The output papercuts of issue 13: failed models listed in the end-of-run summary as failed tests
 * are; the ephemeral line names its model; a cancelled model says so, with the time it ran (never
 * `[0.00s]`); a did-you-mean never offers a name twice, nor the model holding the broken ref, nor a
 * one-letter name that happens to be inside the wrong one.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { didYouMean } from '../errors.js';
import { cliPath, compileError, fixtureProject, type FixtureProject } from '../../testing/fixture-project.js';

const fixtures: FixtureProject[] = [];
const project = (files: Record<string, string>) => {
  const fx = fixtureProject(files);
  fixtures.push(fx);
  return fx;
};
afterAll(() => fixtures.forEach((f) => f.cleanup()));

describe('end-of-run summary and node lines', () => {
  it('a failed model is listed in the summary with its file and error; the ephemeral line names its model', async () => {
    const fx = project({
      'models/eph.sql': "{{ config(materialized='ephemeral') }}select 1 as id\n",
      'models/good.sql': "select * from {{ ref('eph') }}\n",
      'models/bad.sql': "{{ config(materialized='table') }}select no_such_column from {{ ref('good') }}\n",
      'models/after_bad.sql': "select * from {{ ref('bad') }}\n",
      'models/p.yml': 'version: 2\nmodels:\n  - name: good\n    columns:\n      - name: id\n        data_tests: [not_null]\n',
    });
    const r = await fx.tx('build');
    expect(r.code, r.output).toBe(1);
    expect(r.stdout).toMatch(/^\d+ of \d+ OK ephemeral model eph \(inlined where used\)$/m);
    // skipped nodes did not run: no timing
    expect(r.stdout).toMatch(/^\d+ of \d+ SKIP model after_bad: skipped because bad did not succeed$/m);
    // the summary: its heading on stdout, the failures on stderr as every error line
    expect(r.stdout.slice(r.stdout.indexOf('Finished build'))).toMatch(/\n1 node failed:\n/);
    expect(r.stderr).toMatch(/^ {2}ERROR model bad, models\/bad\.sql\n {6}.*no_such_column/m);
  });

  it('tx run and tx seed end with the same list of failed nodes as tx build', async () => {
    const fx = project({
      'models/good.sql': 'select 1 as id\n',
      'models/bad.sql': "{{ config(materialized='table') }}select no_such_column from {{ ref('good') }}\n",
      'seeds/codes.csv': 'code\n1\nnot a number\n',
      'seeds/props.yml': 'version: 2\nseeds:\n  - name: codes\n    config:\n      column_types: {code: integer}\n',
    });
    const run = await fx.tx('run');
    expect(run.code, run.output).toBe(1);
    expect(run.stdout.slice(run.stdout.indexOf('Finished run'))).toMatch(/\n1 node failed:\n/);
    expect(run.stderr).toMatch(/^ {2}ERROR model bad, models\/bad\.sql\n {6}.*no_such_column/m);
    const seed = await fx.tx('seed');
    expect(seed.code, seed.output).toBe(1);
    expect(seed.stdout.slice(seed.stdout.indexOf('Finished seed'))).toMatch(/\n1 node failed:\n/);
    expect(seed.stderr).toMatch(/^ {2}ERROR seed codes, seeds\/codes\.csv\n {6}[^]*?could not convert string "not a number"/im);
    // nothing failed, no list
    const ok = await fx.tx('run', '--select', 'good');
    expect(ok.code, ok.output).toBe(0);
    expect(ok.output).not.toMatch(/failed:/);
  });

  it('a model cancelled by Ctrl-C is CANCELLED with the time it ran, in its line and in the summary', async () => {
    const fx = project({
      'models/big.sql': "{{ config(materialized='table') }}select sum(i) as s from range(40000000000) t(i)\n",
      'models/after_big.sql': "select * from {{ ref('big') }}\n",
    });
    const child = spawn(process.execPath, [cliPath(), 'build', '--project-dir', fx.dir, '--threads', '1'], { cwd: fx.dir, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
    let out = '';
    child.stdout.on('data', (d) => (out += String(d)));
    child.stderr.on('data', (d) => (out += String(d)));
    const log = join(fx.dir, 'logs', 'tx.log');
    const t0 = Date.now();
    // statements are logged when they end: the first one of big (a drop of its side table) means the long one runs now
    while (!(existsSync(log) && readFileSync(log, 'utf8').includes('"node":"model.fx.big"')) && Date.now() - t0 < 60_000) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 500));
    child.kill('SIGINT');
    const code = await new Promise<number | null>((r) => child.on('close', r));
    expect(code, out).toBe(130);
    expect(out).toMatch(/^\d+ of 2 CANCELLED model big: .* \.\.\. \[cancelled after \d+\.\d\ds\]$/m);
    expect(out).not.toMatch(/\[0\.00s\]/);
    expect(out).toMatch(/^1 node failed:$/m);
    expect(out).toMatch(/^ {2}CANCELLED model big, models\/big\.sql$/m);
  }, 120_000);
});

describe('did-you-mean', () => {
  it('offers a name once even when the candidates list it twice', () => {
    expect(didYouMean('cents_to_dollar', ['cents_to_dollars', 'cents_to_dollars', 'ref'])).toBe('did you mean `cents_to_dollars`?');
  });

  it('does not offer a one-letter name because it is inside the wrong one', () => {
    expect(didYouMean('stg_customer', ['m', 'stg', 'orders'])).toBeUndefined();
    // a real containment still counts
    expect(didYouMean('customers', ['stg_customers'])).toBe('did you mean `stg_customers`?');
  });

  it('a missing ref never suggests the model that holds it', async () => {
    const e = await compileError({ 'models/stg_customers.sql': "select * from {{ ref('stg_customer') }}\n", 'models/m.sql': 'select 1 as id\n' });
    expect(e.message).toBe('model `stg_customers` refers to `stg_customer`, which does not exist');
    expect(e.hint).toBeUndefined();
    const e2 = await compileError({
      'models/stg_customers.sql': "select * from {{ ref('stg_customer') }}\n",
      'models/stg_customerz.sql': 'select 1 as id\n',
    });
    expect(e2.hint).toBe('did you mean `stg_customerz`?');
  });
});
