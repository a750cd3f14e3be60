/**
 * The corpus of the differential Jinja2 test (see ../differential.test.ts): every case is a
 * template rendered by Python's jinja2 as dbt configures it (render.py) and by tx, compared byte
 * for byte. Expected output is never written here: it comes from jinja2 in the same run.
 *
 *   part 1  generated.ts: templates covering each construct, method, filter and test; fuzz.ts:
 *           seeded random templates combining them
 *   part 2  every macro file of dbt_utils and dbt_date, and of dbt's own global project and the
 *           duckdb and postgres adapters, rendered as a template; their macros called with
 *           representative arguments; dbt_utils' integration-test models and tests
 *   part 3  every model and macro of jaffle_shop and of tx's example project
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Encoded } from './codec.js';
import { GENERATED_MACRO_FILES, generatedCases, generatedMacroCallCases } from './generated.js';
import { fuzzCases } from './fuzz.js';
import { macroCallCases } from './macro-calls.js';

export interface Case {
  id: string;
  /** Which part of the corpus (1 generated, 2 packages, 3 projects). */
  part: 1 | 2 | 3;
  source: string;
  /** Template name for error messages. */
  name?: string;
  context?: Record<string, Encoded>;
  /** Macro packages published as namespaces (the stubs of stubs.ts come with them). */
  packages?: string[];
  /** Packages whose macros are also published at the top level (a root project's macros). */
  toplevel?: string[];
  /** The stub dbt context (adapter, target, ref, var, ...) without any package. */
  stubs?: boolean;
}

export interface PackageFile {
  path: string;
  source: string;
}

export interface Package {
  name: string;
  files: PackageFile[];
}

export interface Corpus {
  packages: Package[];
  cases: Case[];
}

const here = path.dirname(fileURLToPath(import.meta.url));
/** This folder (the test runs from the sources). */
const sourceDir = here;
export const FIXTURES = path.join(sourceDir, 'fixtures');
export const RENDER_PY = path.join(sourceDir, 'render.py');
/** tx's example project (the repository root). */
export const EXAMPLE_PROJECT = path.resolve(sourceDir, '../../../..');

function sqlFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.sql')) out.push(p);
    }
  };
  walk(dir);
  return out;
}

function packageOf(name: string, dirs: string[], root: string): Package {
  const files: PackageFile[] = [];
  for (const d of dirs) {
    for (const p of sqlFiles(d)) files.push({ path: path.relative(root, p), source: fs.readFileSync(p, 'utf8') });
  }
  return { name, files };
}

export function buildCorpus(): Corpus {
  const packages: Package[] = [
    packageOf('dbt', [path.join(FIXTURES, 'dbt/global_project/macros'), path.join(FIXTURES, 'dbt/duckdb/macros')], FIXTURES),
    packageOf('postgres', [path.join(FIXTURES, 'dbt/postgres/macros')], FIXTURES),
    packageOf('dbt_utils', [path.join(FIXTURES, 'dbt_utils/macros')], FIXTURES),
    packageOf('dbt_date', [path.join(FIXTURES, 'dbt_date/macros')], FIXTURES),
    packageOf('dbt_utils_it', [path.join(FIXTURES, 'dbt_utils_integration_tests/macros')], FIXTURES),
    packageOf('project', [path.join(EXAMPLE_PROJECT, 'macros')], EXAMPLE_PROJECT),
    { name: 'gen', files: GENERATED_MACRO_FILES },
  ];
  const cases: Case[] = [...generatedCases(), ...generatedMacroCallCases(), ...fuzzCases()];

  // Part 2: every macro file rendered as a template (the definitions render to whitespace).
  for (const pkg of packages) {
    if (pkg.name === 'gen') continue;
    for (const f of pkg.files) {
      const part = pkg.name === 'project' ? 3 : 2;
      cases.push({
        id: `file:${f.path}`,
        part,
        name: f.path,
        source: f.source,
        packages: [...new Set(['dbt', ...(pkg.name === 'dbt_utils_it' ? ['dbt_utils'] : []), pkg.name])],
        toplevel: pkg.name === 'project' || pkg.name === 'dbt_utils_it' ? [pkg.name] : [],
      });
    }
  }
  cases.push(...macroCallCases());

  // Part 2: dbt_utils' own integration-test models and tests, with dbt_utils as a package and the
  // integration project's macros at the top level (it is the root project there).
  for (const dir of ['models', 'tests']) {
    for (const p of sqlFiles(path.join(FIXTURES, 'dbt_utils_integration_tests', dir))) {
      const rel = path.relative(FIXTURES, p);
      cases.push({
        id: `model:${rel}`,
        part: 2,
        name: rel,
        source: fs.readFileSync(p, 'utf8'),
        packages: ['dbt', 'dbt_utils', 'dbt_utils_it'],
        toplevel: ['dbt_utils_it'],
      });
    }
  }

  // Part 3: the models of jaffle_shop and of the example project.
  const models: { path: string; root: string }[] = [
    ...sqlFiles(path.join(FIXTURES, 'jaffle_shop/models')).map((p) => ({ path: p, root: FIXTURES })),
    ...sqlFiles(path.join(EXAMPLE_PROJECT, 'models')).map((p) => ({ path: p, root: EXAMPLE_PROJECT })),
  ];
  for (const m of models) {
    const rel = path.relative(m.root, m.path);
    cases.push({
      id: `model:${rel}`,
      part: 3,
      name: rel,
      source: fs.readFileSync(m.path, 'utf8'),
      packages: ['dbt', 'project'],
      toplevel: ['project'],
    });
  }
  return { packages, cases };
}
