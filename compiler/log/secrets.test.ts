/**
 * Secrets never reach a file, through the built CLI: a secret environment variable read by a
 * hook, a target password rendered into a model's SQL, and a failing statement whose error
 * message quotes a secret; then every file under target/ (the docs site included) and logs/,
 * and every line the CLI printed, are searched for each secret in every form it could take.
 * And a secret variable read where its value would be stored is an error naming the place.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dedent, fixtureProject, type FixtureProject, type TxRun } from '../../testing/fixture-project.js';

// Regex characters, a newline, unicode, quotes and a backslash: each must still be found.
const HOOK_SECRET = 'hook-s3cret.*+?^$|()[]{}\\-line\nnext-ünï-🔑';
const TARGET_PW = 'tgt-pw-7Q9x-"quoted"-naïve';
const SECRETS = { HOOK_SECRET, TARGET_PW };

/** Every form a value takes in a text file tx writes. */
function formsOf(s: string): string[] {
  const json = JSON.stringify(s).slice(1, -1);
  return [...new Set([s, json, json.replace(/</g, '\\u003c'), s.replace(/'/g, "''"), encodeURIComponent(s), ...s.split('\n').filter((p) => p.length >= 8)])];
}

function filesUnder(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir, { recursive: true }) as string[];
  } catch {
    return [];
  }
  return names.map((f) => join(dir, f)).filter((f) => statSync(f).isFile());
}

const FILES = {
  'project.yml': dedent(`
    name: sec
    on-run-start:
      - "{{ log('run starts with ' ~ env_var('TX_ENV_SECRET_HOOK'), info=true) }}"
    targets:
      duckdb:
        type: duckdb
        path: warehouse/sec.duckdb
        password: "{{ env_var('TX_FX_TARGET_PW') }}"
  `),
  'models/props.yml': dedent(`
    version: 2
    models:
      - name: hooked
        description: A model whose post-hook reads a secret variable.
        config:
          post_hook: "select '{{ env_var('TX_ENV_SECRET_HOOK') }}' as s"
  `),
  'models/hooked.sql': "{{ config(materialized='table') }}\nselect 1 as id\n",
  // a model that renders the target's password (read through a plain variable)
  'models/leaky.sql': "{{ config(materialized='table') }}\nselect '{{ env_var('TX_FX_TARGET_PW') }}' as pw\n",
  // a failing statement whose error message quotes the password
  'models/failing.sql': "{{ config(materialized='table') }}\nselect cast('{{ env_var('TX_FX_TARGET_PW') }}' as integer) as n\n",
};
const ENV = { TX_ENV_SECRET_HOOK: HOOK_SECRET, TX_FX_TARGET_PW: TARGET_PW };

let fx: FixtureProject;
const runs: Record<string, TxRun> = {};

beforeAll(async () => {
  fx = fixtureProject(FILES);
  runs.compile = await fx.txWith({ env: ENV }, 'compile');
  runs.build = await fx.txWith({ env: ENV }, 'build', '--debug');
  runs.docs = await fx.txWith({ env: ENV }, 'docs', 'generate');
}, 300_000);
afterAll(() => fx?.cleanup());

describe('secrets never reach a file', () => {
  it('the runs did what the secrets were planted for', () => {
    expect(runs.compile!.code, runs.compile!.output).toBe(0);
    // the failing model fails; the hooked and leaky models were built
    expect(runs.build!.code, runs.build!.output).toBe(1);
    expect(runs.build!.output).toMatch(/OK created table main\.hooked/);
    expect(runs.build!.output).toMatch(/OK created table main\.leaky/);
    expect(runs.build!.output).toMatch(/ERROR model failing: .*Conversion Error/);
    expect(runs.build!.output).toContain('run starts with *****');
    expect(runs.docs!.code, runs.docs!.output).toBe(0);
    // what was masked is really there: the warehouse has the password, the docs site and artifacts the mask
    expect(fx.exists('target/docs/index.html')).toBe(true);
    expect(fx.read('target/compiled/sec/models/leaky.sql')).toContain("select '*****' as pw");
    expect(fx.read('target/run/sec/models/leaky.sql')).toContain("select '*****' as pw");
  });

  it('no file under target/ (docs site included) or logs/ holds a secret, in any form', () => {
    const files = [...filesUnder(fx.path('target')), ...filesUnder(fx.path('logs'))];
    expect(files.some((f) => f.endsWith('manifest.json'))).toBe(true);
    expect(files.some((f) => f.endsWith('run_results.json'))).toBe(true);
    expect(files.some((f) => f.endsWith('tx.log'))).toBe(true);
    expect(files.some((f) => f.includes(`docs${'/'}data`))).toBe(true);
    const leaks: string[] = [];
    let inflated = 0;
    for (const f of files) {
      let text = readFileSync(f, 'utf8');
      // the docs site's node chunks hold gzipped JSON as base64: check what the browser reads
      const gz = /\{gz:"([A-Za-z0-9+/=]*)"\}/.exec(text)?.[1];
      if (gz !== undefined) {
        text = gunzipSync(Buffer.from(gz, 'base64')).toString('utf8');
        inflated++;
      }
      for (const [name, s] of Object.entries(SECRETS)) for (const form of formsOf(s)) if (text.includes(form)) leaks.push(`${name} in ${f.slice(fx.dir.length + 1)} as ${JSON.stringify(form)}`);
    }
    expect(leaks).toEqual([]);
    expect(inflated).toBeGreaterThan(0);
  });

  it('the failing statement, the hook statement and the log() line are in the log file, masked', () => {
    const log = fx.read('logs/tx.log');
    expect(log).toContain("select '*****' as s");
    expect(log).toContain('run starts with *****');
    const results = JSON.parse(fx.read('target/run_results.json')) as { results: { unique_id: string; status: string; message: string }[] };
    const failing = results.results.find((r) => r.unique_id === 'model.sec.failing')!;
    expect(failing.status).toBe('error');
    expect(failing.message).toContain('*****');
  });

  it('nothing the CLI printed holds a secret', () => {
    for (const r of Object.values(runs)) for (const s of Object.values(SECRETS)) for (const form of formsOf(s)) expect(r.output).not.toContain(form);
  });
});

describe('a secret variable where its value would be stored is an error naming the place', () => {
  it("in a model's SQL", async () => {
    const bad = fixtureProject({ 'models/m.sql': "select 1 as id,\n  '{{ env_var('TX_ENV_SECRET_HOOK') }}' as s\n" });
    try {
      const r = await bad.txWith({ env: ENV }, 'compile');
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/models\/m\.sql:2/);
      expect(r.stderr).toContain('TX_ENV_SECRET_HOOK');
      for (const form of formsOf(HOOK_SECRET)) expect(r.output).not.toContain(form);
      expect(bad.exists('target/manifest.json')).toBe(false);
    } finally {
      bad.cleanup();
    }
  });

  it('in a var', async () => {
    const bad = fixtureProject({
      'project.yml': dedent(`
        name: badvar
        vars:
          api_key: "{{ env_var('DBT_ENV_SECRET_API_KEY') }}"
      `),
      'models/m.sql': "select '{{ var('api_key') }}' as k\n",
    });
    try {
      const r = await bad.txWith({ env: { DBT_ENV_SECRET_API_KEY: 'the-api-key-value' } }, 'compile');
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('var api_key');
      expect(r.stderr).toContain('DBT_ENV_SECRET_API_KEY');
      expect(r.output).not.toContain('the-api-key-value');
    } finally {
      bad.cleanup();
    }
  });
});
