/**
 * OpenLineage events of `tx build`: a local HTTP receiver on 127.0.0.1 collects them; each event
 * is checked with openlineage-python's event and facet classes (cached venv); the jobs, runs,
 * datasets, column lineage, assertions and exports match the project and tx's run results.
 * A receiver that refuses connections, answers 500 or never answers, a malformed URL and an
 * unknown transport type leave the build's result unchanged and its time within a bound, with
 * one-line warnings, and the API key appears nowhere.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, copyProject, dedent, fixtureProject, type FixtureProject, type TxRun } from '../../testing/fixture-project.js';
import { provisionDbtArtifacts } from '../../testing/services/dbt-venvs.js';
import { findPython } from '../../testing/services/python-venv.js';
import { serviceUnavailable } from '../../testing/services/require.js';


// Python (for the cached venvs) is a test service: skipped loudly without it, unless TX_TEST_REQUIRE names python
const noPython = (await findPython()) === null;
if (noPython) serviceUnavailable('python', 'no Python >= 3.8 with venv and ensurepip (TX_TEST_PYTHON) for dbt-artifacts-parser and openlineage-python');

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const API_KEY = 'ol-api-key-7f3c9a1e-never-written';

interface Receiver {
  url: string;
  events: Obj[];
  auth: (string | undefined)[];
  paths: string[];
  close(): Promise<void>;
}

/** An HTTP receiver on 127.0.0.1: `ok` answers 201, `fail` 500, `hang` never answers. */
async function receiver(mode: 'ok' | 'fail' | 'hang'): Promise<Receiver> {
  const events: Obj[] = [];
  const auth: (string | undefined)[] = [];
  const paths: string[] = [];
  const open = new Set<ServerResponse>();
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.setEncoding('utf8').on('data', (d: string) => (body += d));
    req.on('end', () => {
      paths.push(req.url ?? '');
      auth.push(req.headers.authorization);
      if (mode === 'hang') {
        open.add(res);
        return;
      }
      events.push(JSON.parse(body) as Obj);
      res.writeHead(mode === 'ok' ? 201 : 500).end(mode === 'ok' ? '' : 'receiver broken');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    events,
    auth,
    paths,
    close: async () => {
      for (const res of open) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** A port nothing listens on (a server bound, then closed). */
async function deadPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

const readEvents = (fx: FixtureProject): Obj[] =>
  fx
    .read('target/openlineage.jsonl')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Obj);

function allText(fx: FixtureProject, run: TxRun): string {
  let text = run.output;
  for (const root of ['target', 'logs']) {
    for (const f of readdirSync(fx.path(root), { recursive: true }) as string[]) {
      const p = fx.path(join(root, f));
      if (statSync(p).isFile() && !/\.(duckdb|wal|parquet)$/.test(f)) text += readFileSync(p, 'latin1');
    }
  }
  return text;
}

let python: string;
let rx: Receiver;
let ex: FixtureProject;
let build: TxRun;
let received: Obj[];
let written: Obj[];
let runResults: Obj;
let txRun: Obj;
let docsManifest: Obj;
let validation: Obj;

beforeAll(async () => {
  if (noPython) return;
  python = (await provisionDbtArtifacts()).python;
  rx = await receiver('ok');
  ex = fixtureProject({}, { prefix: 'tx-ol-example-' });
  copyProject(ex.dir);
  build = await ex.txWith({ env: { OPENLINEAGE_URL: rx.url, OPENLINEAGE_API_KEY: API_KEY }, timeoutMs: 240_000 }, 'build');
  received = [...rx.events];
  written = readEvents(ex);
  runResults = ex.json('target/run_results.json');
  txRun = ex.json('target/tx_run.json');
  const docs = await ex.tx('docs', 'generate', '--no-catalog');
  expect(docs.code, docs.output).toBe(0);
  docsManifest = ex.json('target/manifest.json');
  const r = spawnSync(python, [join(REPO_ROOT, 'compiler', 'artifacts', 'python', 'validate_dbt_artifacts.py'), `openlineage=${ex.path('target/openlineage.jsonl')}`], { encoding: 'utf8', maxBuffer: 64 << 20 });
  expect(r.status, r.stderr).toBe(0);
  validation = JSON.parse(r.stdout) as Obj;
}, 600_000);

afterAll(async () => {
  await rx?.close();
  ex?.cleanup();
});

describe.skipIf(noPython)('OpenLineage events of the example project', () => {
  it('are sent to OPENLINEAGE_URL (api/v1/lineage, Bearer key) and written to target/openlineage.jsonl, the same events', () => {
    expect(build.code, build.output).toBe(0);
    expect(build.output).not.toMatch(/OpenLineage/);
    expect(written.length).toBeGreaterThan(90);
    expect(received).toEqual(written);
    expect(new Set(rx.paths)).toEqual(new Set(['/api/v1/lineage']));
    expect(new Set(rx.auth)).toEqual(new Set([`Bearer ${API_KEY}`]));
  });

  it("every event is a valid RunEvent for openlineage-python's models, facets included", () => {
    expect(validation.openlineage).toEqual({ errors: 0, first: [], events: written.length });
  });

  it('each node that ran has one START and one COMPLETE with one run id, under the invocation as parent run', () => {
    const invocation = runResults.metadata.invocation_id;
    const byJob = new Map<string, Obj[]>();
    for (const e of written) byJob.set(e.job.name, [...(byJob.get(e.job.name) ?? []), e]);
    const ran = (txRun.results as Obj[]).filter((r) => r.status !== 'skipped').map((r) => (String(r.unique_id).startsWith('after:') ? `${String(r.unique_id).slice(6)}.export` : r.unique_id));
    expect([...byJob.keys()].sort()).toEqual(['healthcare.build', ...ran].sort());
    for (const job of ran) {
      const evs = byJob.get(job)!;
      expect(evs.map((e) => e.eventType), job).toEqual(['START', 'COMPLETE']);
      expect(evs[0]!.run.runId, job).toBe(evs[1]!.run.runId);
      expect(evs[1]!.run.facets.parent, job).toMatchObject({ job: { namespace: 'healthcare', name: 'healthcare.build' }, run: { runId: invocation } });
    }
    // in the order things happened: the invocation first and last, a node after its parents' COMPLETE
    expect([written[0]!.job.name, written[0]!.eventType]).toEqual(['healthcare.build', 'START']);
    expect([written.at(-1)!.job.name, written.at(-1)!.eventType]).toEqual(['healthcare.build', 'COMPLETE']);
    const at = (job: string, type: string) => written.findIndex((e) => e.job.name === job && e.eventType === type);
    for (const [id, n] of Object.entries(docsManifest.nodes as Record<string, Obj>)) {
      if (n.resource_type !== 'model') continue;
      for (const p of n.depends_on.nodes as string[]) if (at(p, 'COMPLETE') >= 0) expect(at(p, 'COMPLETE'), `${p} before ${id}`).toBeLessThan(at(id, 'START'));
    }
    const parent = byJob.get('healthcare.build')!;
    expect(parent.map((e) => [e.eventType, e.run.runId])).toEqual([
      ['START', invocation],
      ['COMPLETE', invocation],
    ]);
  });

  it('datasets are named from the target and the files; column lineage is the manifest\'s; rows and exports are there', () => {
    const ns = `duckdb://${ex.path('healthcare.duckdb')}`;
    const complete = (job: string) => written.find((e) => e.job.name === job && e.eventType === 'COMPLETE')!;
    const city = complete('model.healthcare.city_report');
    expect(city.inputs.map((i: Obj) => [i.namespace, i.name]).sort()).toEqual([
      [ns, 'healthcare.main.stg_cities'],
      [ns, 'healthcare.main.stg_prescribers'],
    ]);
    expect(city.outputs).toHaveLength(1);
    const out = city.outputs[0];
    expect([out.namespace, out.name]).toEqual([ns, 'healthcare.main.city_report']);
    expect(out.outputFacets.outputStatistics.rowCount).toBe(77);
    expect(city.job.facets.sql.query).toBe(docsManifest.nodes['model.healthcare.city_report'].compiled_code);
    // schema facets: the output's fields are the model's columns, in order, with their descriptions
    const cityNode = docsManifest.nodes['model.healthcare.city_report'];
    expect(out.facets.schema.fields.map((f: Obj) => [f.name, f.description ?? ''])).toEqual(Object.values(cityNode.columns as Record<string, Obj>).map((c) => [c.name, c.description]));
    for (const i of city.inputs) expect(i.facets.schema.fields.length, i.name).toBeGreaterThan(0);
    // every model's column lineage: the manifest's columns[].depends_on, as datasets and fields
    const datasetOf = (id: string) => {
      const n = docsManifest.nodes[id] ?? docsManifest.sources[id];
      return `healthcare.${n.schema}.${n.alias ?? n.identifier}`;
    };
    let checked = 0;
    for (const m of Object.values(docsManifest.nodes as Record<string, Obj>).filter((n) => n.resource_type === 'model')) {
      const fields = complete(m.unique_id).outputs[0].facets.columnLineage.fields as Record<string, Obj>;
      for (const [name, col] of Object.entries(m.columns as Record<string, Obj>)) {
        const want = (col.depends_on as Obj[]).map((d) => [datasetOf(d.node), d.column]).sort();
        expect((fields[name]?.inputFields ?? []).map((f: Obj) => [f.name, f.field]).sort(), `${m.name}.${name}`).toEqual(want);
        checked += want.length;
      }
    }
    expect(checked).toBeGreaterThan(20);
    // a file source reads its file and writes its table
    const src = complete('source.healthcare.vendor.prescribers');
    expect(src.inputs.map((i: Obj) => [i.namespace, i.name])).toEqual([['file://', ex.path('data/USA_Presc_Medicare_Data_2021.csv')]]);
    expect(src.outputs[0].name).toBe('healthcare.vendor.prescribers');
    // exports are output datasets of the model's export job
    const exp = complete('model.healthcare.city_report.export');
    expect(exp.inputs[0].name).toBe('healthcare.main.city_report');
    expect(exp.outputs).toHaveLength(1);
    expect(exp.outputs[0]).toMatchObject({ namespace: 'file://', name: expect.stringContaining(ex.path('output/city_report/')), outputFacets: { outputStatistics: { rowCount: 77, fileCount: 1 } } });
  });

  it("tests are data quality assertions on the tested dataset, with tx's verdict", () => {
    const status = Object.fromEntries((runResults.results as Obj[]).map((r) => [r.unique_id, r.status]));
    const tests = written.filter((e) => e.eventType === 'COMPLETE' && e.job.facets.jobType.jobType === 'TEST');
    expect(tests.length).toBeGreaterThan(20);
    for (const e of tests) {
      const a = e.inputs[0].inputFacets.dataQualityAssertions.assertions;
      expect(a, e.job.name).toHaveLength(1);
      expect(a[0].success, e.job.name).toBe(status[e.job.name] === 'pass');
    }
    const nn = tests.find((e) => /^test\.healthcare\.not_null_stg_prescribers_presc_id\.[0-9a-f]{10}$/.test(e.job.name))!;
    expect(nn.inputs[0].name).toBe('healthcare.main.stg_prescribers');
    expect(nn.inputs[0].inputFacets.dataQualityAssertions.assertions[0]).toMatchObject({ assertion: 'not_null', column: 'presc_id', success: true });
  });

  it('the API key is in no log, no artifact and no event', () => {
    expect(allText(ex, build)).not.toContain(API_KEY);
    expect(JSON.stringify(received)).not.toContain(API_KEY);
  });
});

describe('a receiver or a config that does not work never fails or stalls the build', () => {
  const FILES = {
    'project.yml': 'name: olbad\n',
    'seeds/s.csv': 'id\n1\n2\n',
    'models/a.sql': "{{ config(materialized='table') }}\nselect id from {{ ref('s') }}\n",
    'models/b.sql': "select id * 2 as id2 from {{ ref('a') }}\n",
    'models/c.sql': "select count(*) as n from {{ ref('b') }}\n",
  };
  let fx: FixtureProject;
  let baseline: TxRun;
  beforeAll(async () => {
    fx = fixtureProject(FILES, { prefix: 'tx-ol-bad-' });
    await fx.tx('build'); // warm: the DuckDB file exists, so every timed build does the same work
    baseline = await fx.tx('build');
    expect(baseline.code, baseline.output).toBe(0);
  }, 120_000);
  afterAll(() => fx?.cleanup());

  const warnings = (r: TxRun) => r.output.split('\n').filter((l) => /OpenLineage/.test(l));

  it('a receiver that refuses connections: one warning, same result, no delay', async () => {
    const r = await fx.txWith({ env: { OPENLINEAGE_URL: `http://127.0.0.1:${await deadPort()}`, OPENLINEAGE_API_KEY: API_KEY } }, 'build');
    expect(r.code, r.output).toBe(0);
    const w = warnings(r);
    expect(w[0]).toMatch(/OpenLineage: cannot send events to http:\/\/127\.0\.0\.1:\d+\/api\/v1\/lineage: ECONNREFUSED \(the build goes on/);
    expect(w.filter((l) => /cannot send/.test(l))).toHaveLength(1);
    expect(r.ms).toBeLessThan(baseline.ms + 8000); // (a stall would be a 5 s timeout per event: 50 s)
    expect(allText(fx, r)).not.toContain(API_KEY);
    expect(readEvents(fx).length).toBe(10); // the file still gets every event
  }, 60_000);

  it('a receiver answering 500: one warning naming the status', async () => {
    const bad = await receiver('fail');
    try {
      const r = await fx.txWith({ env: { OPENLINEAGE_URL: bad.url } }, 'build');
      expect(r.code, r.output).toBe(0);
      expect(warnings(r)).toEqual([expect.stringMatching(/cannot send events to .*: HTTP 500 Internal Server Error/)]);
      expect(bad.events.length).toBe(10); // every event was tried
    } finally {
      await bad.close();
    }
  }, 60_000);

  it('a receiver that never answers: the build ends within a bound, says what was not delivered', async () => {
    const hang = await receiver('hang');
    try {
      const r = await fx.txWith({ env: { OPENLINEAGE_URL: hang.url }, timeoutMs: 30_000 }, 'build');
      expect(r.code, r.output).toBe(0);
      expect(r.timedOut).toBe(false);
      // the 3 s close wait (plus noise on a loaded machine) more than a build without a receiver,
      // where waiting for each event's 5 s timeout would add 50 s
      expect(r.ms).toBeLessThan(baseline.ms + 12000);
      expect(warnings(r).join('\n')).toMatch(/event\(s\) not delivered to http:\/\/127\.0\.0\.1:\d+\/api\/v1\/lineage/);
    } finally {
      await hang.close();
    }
  }, 60_000);

  it('a malformed OPENLINEAGE_URL and an unknown transport type are one-line warnings', async () => {
    const r = await fx.txWith({ env: { OPENLINEAGE_URL: `http//broken:${API_KEY}` } }, 'build');
    expect(r.code, r.output).toBe(0);
    expect(warnings(r)).toEqual([expect.stringMatching(/^.*OpenLineage: OPENLINEAGE_URL is not a usable URL .*; no events are sent over HTTP$/)]);
    expect(r.output).not.toContain(API_KEY);

    fx.write({ 'openlineage.yml': dedent(`
      transport:
        type: kafka
        topic: lineage
    `) });
    const k = await fx.tx('build');
    expect(k.code, k.output).toBe(0);
    expect(warnings(k)).toEqual([expect.stringMatching(/unknown transport type `kafka` in .*openlineage\.yml \(use http, file or console\)/)]);

    // a file transport from the config file gets the same events as target/openlineage.jsonl
    fx.write({ 'openlineage.yml': 'transport:\n  type: file\n  log_file_path: target/events-copy.jsonl\n' });
    const f = await fx.tx('build');
    expect(f.code, f.output).toBe(0);
    expect(warnings(f)).toEqual([]);
    expect(fx.read('target/events-copy.jsonl')).toBe(fx.read('target/openlineage.jsonl'));
    fx.remove('openlineage.yml');
  }, 90_000);

  it('OPENLINEAGE_CONFIG names a config file elsewhere; its console transport prints every event on stderr', async () => {
    const cfgDir = mkdtempSync(join(tmpdir(), 'tx-ol-cfg-'));
    try {
      writeFileSync(join(cfgDir, 'ol.yml'), 'transport:\n  type: console\n');
      const r = await fx.txWith({ env: { OPENLINEAGE_CONFIG: join(cfgDir, 'ol.yml') } }, 'build');
      expect(r.code, r.output).toBe(0);
      const printed = r.stderr.split('\n').filter((l) => l.startsWith('{') && l.includes('"eventType"'));
      expect(printed.length).toBeGreaterThan(0);
      expect(printed.join('\n')).toBe(fx.read('target/openlineage.jsonl').trimEnd());
    } finally {
      rmSync(cfgDir, { recursive: true, force: true });
    }
  }, 60_000);

  it('a failing node emits FAIL with its error message, and the invocation FAIL; a node skipped after it emits nothing, as dbt-ol', async () => {
    fx.write({ 'models/c.sql': 'select no_such_column from {{ ref(\'b\') }}\n', 'models/d.sql': "select * from {{ ref('c') }}\n" });
    try {
      const r = await fx.tx('build');
      expect(r.code).toBe(1);
      const evs = readEvents(fx);
      const fail = evs.find((e) => e.job.name === 'model.olbad.c' && e.eventType === 'FAIL')!;
      expect(fail.run.facets.errorMessage).toMatchObject({ programmingLanguage: 'SQL', message: expect.stringMatching(/no_such_column/) });
      expect(evs.filter((e) => e.job.name === 'olbad.build').map((e) => e.eventType)).toEqual(['START', 'FAIL']);
      // skipped: in run_results.json, never started, so no run and no event (dbt-ol passes over skipped results)
      const rr = fx.json<{ results: { unique_id: string; status: string }[] }>('target/run_results.json');
      expect(rr.results.find((x) => x.unique_id === 'model.olbad.d')?.status).toBe('skipped');
      expect(evs.filter((e) => e.job.name === 'model.olbad.d')).toEqual([]);
    } finally {
      fx.remove('models/d.sql');
      fx.write(FILES);
    }
  }, 60_000);
});
