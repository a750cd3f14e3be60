/**
 * The differential test of tx's Jinja2 (issue 11, "How it is proved"): every template of the
 * corpus (differential/corpus.ts: generated constructs, the dbt_utils / dbt_date / dbt macro
 * files and calls, jaffle_shop and the example project) is rendered by Python's jinja2 exactly
 * as dbt-core 1.10 configures it (differential/render.py, one process for the whole corpus, in
 * the cached venv ~/.cache/tx/dbt-core) and by tx, and compared byte for byte. Where jinja2
 * raises, tx must raise the same exception type.
 *
 *   npx vitest run compiler/template/jinja/differential.test.ts
 *   TX_DIFF_FILTER='^gen:filter' npx vitest run compiler/template/jinja/differential.test.ts
 *
 * Every difference is written to $TMPDIR/tx-jinja-differential-<pid>.json (the path is printed), and
 * the first ones are printed, grouped by kind.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureVenv, findPython } from '../../../testing/services/python-venv.js';
import { serviceUnavailable } from '../../../testing/services/require.js';
import { baseContextMembers } from '../context/base-context.js';
import { decodeContext } from './differential/codec.js';
import { buildCorpus, RENDER_PY, type Case, type Corpus } from './differential/corpus.js';
import { stubContext, type Namespaces } from './differential/stubs.js';
import { TxError } from '../../errors.js';
import { makeEnvVar, makeVar } from '../../compile/template-context.js';
import { asDbtMacro } from './compile.js';
import { Environment, Template, TemplateError } from './environment.js';
import { PyError } from './values.js';

/** The same spec as every other user of the dbt-core venv (one install serves them all). */
const DBT_CORE_VENV = {
  name: 'dbt-core',
  requirements: ['dbt-core>=1.10,<1.11', 'dbt-duckdb>=1.10,<1.11', 'dbt-postgres>=1.9,<1.11'],
  description: 'dbt-core 1.10 with dbt-duckdb and dbt-postgres (reference Jinja2 for differential tests)',
  probe: 'import json, jinja2, dbt.version, dbt.context.base\nprint(json.dumps({"dbt": dbt.version.__version__, "jinja2": jinja2.__version__}))',
} as const;

interface PyCaseResult {
  type: 'case';
  id: string;
  ok: boolean;
  output?: string;
  error?: string;
  message?: string;
}

interface PyPackageResult {
  type: 'package';
  name: string;
  macros: Record<string, string[] | { error: string; message: string }>;
}

type Outcome = { ok: true; output: string } | { ok: false; error: string; message: string };

interface Difference {
  id: string;
  part: number;
  source: string;
  expected: Outcome;
  got: Outcome;
}

/**
 * Exception types that are the same failure under two names: jinja2 lets Python's compiler
 * report some template errors (a duplicate macro argument, `break` outside a loop) as
 * SyntaxError, which a template engine without a Python compiler reports as TemplateSyntaxError.
 */
const SAME_ERROR: Record<string, string> = { SyntaxError: 'TemplateSyntaxError' };

function sameError(expected: string, got: string): boolean {
  return expected === got || SAME_ERROR[expected] === got;
}

async function renderWithJinja2(python: string, bytecodeDir: string, corpus: Corpus): Promise<{ cases: Map<string, PyCaseResult>; packages: Map<string, PyPackageResult> }> {
  const input =
    [...corpus.packages.map((p) => JSON.stringify({ type: 'package', ...p })), ...corpus.cases.map((c) => JSON.stringify({ type: 'case', ...c }))].join('\n') + '\n';
  const stdout = await new Promise<string>((resolve, reject) => {
    const child = spawn(python, [RENDER_PY], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: {
        ...process.env,
        PYTHONHASHSEED: '0',
        PYTHONIOENCODING: 'utf-8',
        DBT_SEND_ANONYMOUS_USAGE_STATS: 'false',
        TX_DIFF_BYTECODE_DIR: bytecodeDir,
      },
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(Buffer.concat(out).toString('utf8'));
      else reject(new Error(`render.py exited with ${code}:\n${Buffer.concat(err).toString('utf8').slice(-4000)}`));
    });
    child.stdin.end(input);
  });
  const cases = new Map<string, PyCaseResult>();
  const packages = new Map<string, PyPackageResult>();
  for (const line of stdout.split('\n')) {
    if (line.trim() === '') continue;
    const r = JSON.parse(line) as PyCaseResult | PyPackageResult;
    if (r.type === 'case') cases.set(r.id, r);
    else packages.set(r.name, r);
  }
  return { cases, packages };
}

function errorOutcome(e: unknown): Outcome {
  if (e instanceof TemplateError) return { ok: false, error: e.pyType, message: e.message };
  // tx's own var() and env_var() raise TxError; the Python exception dbt raises is its cause
  if (e instanceof TxError && e.cause instanceof PyError) return { ok: false, error: e.cause.type, message: e.message };
  if (e instanceof PyError) return { ok: false, error: e.type, message: e.message };
  if (e instanceof Error) return { ok: false, error: `JS ${e.constructor.name}`, message: e.message };
  return { ok: false, error: 'JS throw', message: String(e) };
}

/** tx's side: the loaded macro files of each package, and a renderer for one case. */
class TxSide {
  readonly env = new Environment({ undefinedOutput: 'empty' });
  private readonly base = baseContextMembers();
  private readonly files = new Map<string, { path: string; template: Template | null; names: string[] }[]>();

  constructor(corpus: Corpus, packages: Map<string, PyPackageResult>) {
    Object.assign(this.env.globals, this.base);
    // tx's var() and env_var(), over no vars and the empty environment render.py gives dbt
    Object.assign(this.env.globals, { var: makeVar({}), env_var: makeEnvVar({}) });
    for (const pkg of corpus.packages) {
      const macros = packages.get(pkg.name)?.macros ?? {};
      this.files.set(
        pkg.name,
        pkg.files.map((f) => {
          const names = macros[f.path];
          let template: Template | null = null;
          try {
            template = this.env.fromString(f.source, f.path);
          } catch {
            template = null; // the file's own case reports the difference
          }
          return { path: f.path, template, names: Array.isArray(names) ? names : [] };
        }),
      );
    }
  }

  /** The case's context, built in the same order as render.py's build_context. */
  context(c: Case): Record<string, unknown> {
    const ctx: Record<string, unknown> = {};
    const wanted = c.packages ?? [];
    if (wanted.length > 0 || c.stubs) {
      const namespaces: Namespaces = new Map();
      Object.assign(ctx, stubContext(namespaces, c.toplevel ?? []));
      const modules = new Map<Template, Record<string, unknown>>();
      for (const pkg of wanted) {
        const ns = new Map<string, unknown>();
        for (const f of this.files.get(pkg) ?? []) {
          const template = f.template;
          for (const name of f.names) {
            // As dbt's MacroGenerator: the file's module is made with the (finished) context at
            // call time, and the macro is looked up in it.
            ns.set(name, (...args: unknown[]): unknown => {
              if (!template) throw new PyError('TemplateSyntaxError', `${f.path} does not parse`);
              let mod = modules.get(template);
              if (!mod) {
                mod = template.makeModule(ctx);
                modules.set(template, mod);
              }
              const fn = mod[name] ?? mod[`dbt_macro__${name}`];
              if (typeof fn !== 'function') throw new PyError('KeyError', `'dbt_macro__${name}'`);
              // dbt's MacroGenerator catches return(): so does asDbtMacro
              return asDbtMacro(fn as (...a: unknown[]) => unknown)(...args);
            });
          }
        }
        namespaces.set(pkg, ns);
        ctx[pkg] = ns;
      }
      for (const pkg of ['dbt', ...(c.toplevel ?? [])]) {
        for (const [name, fn] of namespaces.get(pkg) ?? []) ctx[name] = fn;
      }
    }
    Object.assign(ctx, decodeContext(c.context));
    // As in dbt (and render.py): `context` is the whole context, the base members included.
    const whole: Record<string, unknown> = { ...this.base, ...ctx };
    whole.context = whole;
    ctx.context = whole;
    return ctx;
  }

  render(c: Case): Outcome {
    try {
      const template = this.env.fromString(c.source, c.name ?? 'case.sql');
      return { ok: true, output: template.render(this.context(c)) };
    } catch (e) {
      return errorOutcome(e);
    }
  }
}

function show(s: string, max = 300): string {
  const j = JSON.stringify(s);
  return j.length > max ? `${j.slice(0, max)}…(${s.length} chars)` : j;
}

function showOutcome(o: Outcome): string {
  return o.ok ? show(o.output) : `raises ${o.error}: ${show(o.message, 160)}`;
}

// Python (for the cached venv) is a test service: skipped loudly without it, unless TX_TEST_REQUIRE names python.
const noPython = (await findPython()) === null;
if (noPython) serviceUnavailable('python', 'no Python >= 3.8 with venv and ensurepip (TX_TEST_PYTHON) for the reference jinja2 of dbt-core 1.10');

/** Differences grouped by what tx did: the error it raised (quoted names blanked), or a wrong output. */
function groups(diffs: Difference[]): [string, Difference[]][] {
  const by = new Map<string, Difference[]>();
  for (const d of diffs) {
    let kind: string;
    if (!d.got.ok) {
      const msg = d.got.message.replace(/'[^']*'/g, "'…'").slice(0, 90);
      kind = `tx raises ${d.got.error}: ${msg} (jinja2 ${d.expected.ok ? 'renders' : `raises ${d.expected.error}`})`;
    } else if (!d.expected.ok) kind = `tx renders, jinja2 raises ${d.expected.error}`;
    else kind = 'different output';
    by.set(kind, [...(by.get(kind) ?? []), d]);
  }
  return [...by].sort((a, b) => b[1].length - a[1].length);
}

describe.skipIf(noPython)('Jinja2 differential corpus: tx renders every template byte for byte as jinja2 in dbt', () => {
  let corpus: Corpus;
  let expected: Map<string, PyCaseResult>;
  let packages: Map<string, PyPackageResult>;

  beforeAll(async () => {
    const venv = await ensureVenv(DBT_CORE_VENV);
    const all = buildCorpus();
    const filter = process.env.TX_DIFF_FILTER ? new RegExp(process.env.TX_DIFF_FILTER) : null;
    corpus = filter ? { packages: all.packages, cases: all.cases.filter((c) => filter.test(c.id)) } : all;
    // The templates' compiled Python code is kept inside the venv (thrown away with it), per jinja2
    // version, so that later runs only render.
    const bytecodeDir = path.join(venv.dir, `tx-jinja-bytecode-${String(venv.info.jinja2)}`);
    ({ cases: expected, packages } = await renderWithJinja2(venv.python, bytecodeDir, corpus));
  }, 600_000);

  it('holds at least 1,000 templates, every one rendered by jinja2', () => {
    if (!process.env.TX_DIFF_FILTER) expect(corpus.cases.length).toBeGreaterThanOrEqual(1000);
    const ids = new Set<string>();
    for (const c of corpus.cases) {
      expect(ids.has(c.id), `duplicate case id ${c.id}`).toBe(false);
      ids.add(c.id);
      expect(expected.has(c.id), `jinja2 gave no result for ${c.id}`).toBe(true);
    }
    for (const pkg of corpus.packages) expect(packages.has(pkg.name), `jinja2 did not load ${pkg.name}`).toBe(true);
    // Output that differs from run to run in Python itself (an object's address) cannot be compared.
    const unstable = [...expected.values()].filter((r) => r.ok && / at 0x[0-9a-f]+/.test(r.output ?? '')).map((r) => r.id);
    expect(unstable, 'cases whose jinja2 output holds a memory address').toEqual([]);
  });

  it('renders every case as jinja2 does, or raises where jinja2 raises', () => {
    const tx = new TxSide(corpus, packages);
    const diffs: Difference[] = [];
    const started = Date.now();
    for (const c of corpus.cases) {
      const py = expected.get(c.id)!;
      const want: Outcome = py.ok ? { ok: true, output: py.output ?? '' } : { ok: false, error: py.error ?? '?', message: py.message ?? '' };
      const got = tx.render(c);
      const same = want.ok ? got.ok && got.output === want.output : !got.ok && sameError(want.error, got.error);
      if (!same) diffs.push({ id: c.id, part: c.part, source: c.source, expected: want, got });
    }
    const txMs = Date.now() - started;
    const report = path.join(os.tmpdir(), `tx-jinja-differential-${process.pid}.json`);
    fs.writeFileSync(report, JSON.stringify(diffs, null, 2));
    const byPart = [1, 2, 3].map((p) => `part ${p}: ${diffs.filter((d) => d.part === p).length}/${corpus.cases.filter((c) => c.part === p).length}`);
    const lines = [
      `${diffs.length} of ${corpus.cases.length} cases differ (${byPart.join(', ')}); tx rendered the corpus in ${txMs} ms; all differences in ${report}`,
      'by kind (count, kind, first case):',
      ...groups(diffs).slice(0, 40).map(([kind, ds]) => `  ${String(ds.length).padStart(4)}  ${kind}  (${ds[0]!.id}: ${show(ds[0]!.source, 80)})`),
      'first differences:',
      ...diffs.slice(0, 40).map((d) => `- ${d.id}\n    template: ${show(d.source, 200)}\n    expected: ${showOutcome(d.expected)}\n    got:      ${showOutcome(d.got)}`),
    ];
    console.log(diffs.length > 0 ? lines.join('\n') : `${corpus.cases.length} cases (${byPart.map((b) => b.replace(/^part (\d): 0\//, 'part $1: ')).join(', ')}), no difference; tx rendered them in ${txMs} ms`);
    expect(diffs.length, lines[0]).toBe(0);
  });
});
