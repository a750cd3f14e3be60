/**
 * A dbt project's YAML files read as dbt reads them (issue 12): dbt loads dbt_project.yml,
 * properties files, packages.yml, profiles.yml and selectors.yml with PyYAML's (C) SafeLoader,
 * YAML 1.1. Every document here is loaded by tx's `pyyaml` dialect and by PyYAML itself
 * (`yaml.load(text, Loader=yaml.CSafeLoader)`, dbt's loader, from dbt-core 1.10's venv); the values
 * are equal. tx's own project.yml stays YAML 1.2 (`yes` is text there).
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dbtCoreVenv, noPythonFor } from '../../testing/dbt-reference.js';
import { parseYaml } from './yaml-file.js';

const noPython = await noPythonFor('PyYAML from dbt-core 1.10');

const SCALARS = [
  'yes', 'Yes', 'YES', 'no', 'No', 'NO', 'on', 'On', 'ON', 'off', 'Off', 'OFF', 'y', 'n', 'Y', 'N', 'true', 'False',
  '0777', '010', '08', '0o17', '0x1F', '0b101', '1_000', '+12', '-0', '1:30', '-1:30:00', '1e3', '1.5e3', '1.0e+3', '.5', '1_0.5',
  '.inf', '-.Inf', '.NaN', '~', 'null', 'Null', 'NULL', '', '2024-01-01', '2024-01-01 10:00:00', '2024-01-01T10:00:00Z', '2024-1-1',
  "'yes'", '"0777"', '!!str yes', '!!int "12"', 'yes please', '<<x', 'on_schema_change',
];

const DOCS = [
  SCALARS.map((s, i) => `k${i}: ${s}`).join('\n') + '\n',
  // dbt_project.yml: configs, vars, hooks
  "name: p\nversion: '1.0'\nconfig-version: 2\nmodels:\n  p:\n    legacy:\n      +enabled: no\n    +persist_docs: {relation: yes, columns: on}\nvars:\n  flag: off\n  mode: 0777\n  big: 1_000\n  when: 2024-03-01\non-run-start: []\n",
  // properties: anchors, merge keys, quote: yes
  "version: 2\n_defaults: &defaults\n  config:\n    enabled: yes\n    tags: [a]\nmodels:\n  - name: m\n    <<: *defaults\n    columns:\n      - name: Id\n        quote: yes\n        data_tests: [not_null]\n  - <<: [*defaults]\n    name: n\nsources:\n  - name: raw\n    quoting: {identifier: yes, schema: no}\n    tables:\n      - name: t\n",
  // keys that are not strings in YAML 1.1
  'yes: 1\n1: one\n1.5: f\nnull: z\n2024-01-01: d\n',
  // lists, flow and block scalars
  'a: [yes, no, 0777, "yes"]\nb: |\n  yes\n  no\nc: >-\n  folded\n  text\nd: {e: on, f: [off]}\n',
  '',
  '# only a comment\n',
  'just text\n',
];

/** PyYAML's values as JSON: non-finite floats, dates and non-string keys as Python's str(). */
const PY = `
import json, sys, math, datetime, yaml
def norm(v):
    if isinstance(v, dict):
        return {k if isinstance(k, str) else str(k): norm(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [norm(x) for x in v]
    if isinstance(v, float) and not math.isfinite(v):
        return str(v)
    if isinstance(v, (datetime.date, datetime.datetime)):
        return str(v)
    return v
print(json.dumps([norm(yaml.load(d, Loader=yaml.CSafeLoader)) for d in json.loads(sys.stdin.read())]))
`;

/** tx's values as the same JSON. */
const txNorm = (v: unknown): unknown => {
  if (typeof v === 'number' && !Number.isFinite(v)) return Number.isNaN(v) ? 'nan' : v > 0 ? 'inf' : '-inf';
  if (Array.isArray(v)) return v.map(txNorm);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, txNorm(x)]));
  return v;
};

describe.skipIf(noPython)('dbt project YAML: tx equals PyYAML (yaml.CSafeLoader)', () => {
  const venv = dbtCoreVenv();

  it('every document loads to the same values', () => {
    const py = spawnSync(join(venv().dir, 'bin', 'python'), ['-c', PY], { input: JSON.stringify(DOCS), encoding: 'utf8' });
    expect(py.status, py.stderr).toBe(0);
    const ref = JSON.parse(py.stdout) as unknown[];
    const got = DOCS.map((d) => JSON.parse(JSON.stringify(txNorm(parseYaml(d, 'x.yml', 'pyyaml').value))) as unknown);
    for (let i = 0; i < DOCS.length; i++) expect(got[i], DOCS[i]).toEqual(ref[i]);
    // spelled out: what changes a dbt project's meaning
    const project = ref[1] as { models: { p: Record<string, unknown> }; vars: Record<string, unknown> };
    expect(project.models.p).toEqual({ legacy: { '+enabled': false }, '+persist_docs': { relation: true, columns: true } });
    expect(project.vars).toEqual({ flag: false, mode: 511, big: 1000, when: '2024-03-01' });
    expect((ref[2] as { models: unknown[] }).models).toEqual([
      { name: 'm', config: { enabled: true, tags: ['a'] }, columns: [{ name: 'Id', quote: true, data_tests: ['not_null'] }] },
      { name: 'n', config: { enabled: true, tags: ['a'] } },
    ]);
  }, 600_000);
});

describe("tx's own YAML 1.2", () => {
  it('keeps yes/no/on/off as text, 0777 decimal, and has no merge keys', () => {
    expect(parseYaml('a: yes\nb: off\nc: 0777\nd: 1_000\n', 'project.yml').value).toEqual({ a: 'yes', b: 'off', c: 777, d: '1_000' });
  });
  it('a dbt YAML error names the file and line', () => {
    expect(() => parseYaml('a: [1, 2\n', 'models/x.yml', 'pyyaml')).toThrow(/YAML syntax error/);
    expect(() => parseYaml('a: *nope\n', 'models/x.yml', 'pyyaml')).toThrow(/models\/x\.yml|alias/);
  });
});
