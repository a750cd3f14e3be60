/**
 * JUnit XML for CI systems (GitHub, GitLab, Jenkins, Azure DevOps read it): one <testcase> per
 * data test and unit test; an error-severity failure is a <failure>, a test that could not run an
 * <error>, a test skipped because something upstream failed a <skipped>. Warnings pass, with the
 * warning in <system-out>.
 */
import type { NodeResult } from '../artifacts/artifacts.js';
import type { CompiledProject } from '../compile/compile-project.js';
import type { GraphNode } from '../compile/nodes.js';
import { valueText } from '../../targets/values/value-format.js';

export interface JunitCase {
  classname: string;
  name: string;
  file?: string;
  line?: number;
  /** Seconds. */
  time: number;
  status: 'pass' | 'warn' | 'fail' | 'error' | 'skipped';
  message?: string;
  /** Body of <failure>/<error>/<system-out>. */
  text?: string;
}

// XML 1.0 allows tab, LF, CR and printable characters only.
// eslint-disable-next-line no-control-regex
const INVALID_XML = /[^\x09\x0A\x0D\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;
export function xmlEscape(s: string): string {
  return s.replace(INVALID_XML, '').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}
// eslint-disable-next-line no-control-regex
const strip = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, '');

const fmt = (v: unknown): string => valueText(v);

/** The failing rows, diff and stored-failures table of a result as text lines. */
export function resultDetailLines(r: NodeResult): string[] {
  const lines: string[] = [];
  const d = r.details ?? {};
  if (Array.isArray(d.diff)) lines.push(...(d.diff as string[]));
  else if (Array.isArray(d.sample) && d.sample.length) {
    const rows = d.sample as Record<string, unknown>[];
    lines.push(`first ${rows.length} failing row${rows.length === 1 ? '' : 's'}:`);
    for (const row of rows) lines.push(`  ${Object.entries(row).map(([k, v]) => `${k}=${fmt(v)}`).join(', ')}`);
  }
  if (typeof d.failures_relation === 'string') lines.push(d.failures_as === 'view' ? `failing rows in the view ${d.failures_relation}` : `failing rows stored in ${d.failures_relation}`);
  return lines;
}

/** Test cases of every test that ran (or was skipped) in this invocation. */
export function junitCases(c: CompiledProject, results: NodeResult[]): JunitCase[] {
  const out: JunitCase[] = [];
  for (const r of results) {
    const n: GraphNode | undefined = c.nodes.get(r.uniqueId);
    if (!n || n.resourceType !== 'test') continue;
    const attached = n.test?.attachedTo ? c.nodes.get(n.test.attachedTo) : undefined;
    const owner = attached ? (attached.resourceType === 'source' ? `${attached.fqn[1]}.${attached.name}` : attached.name) : undefined;
    const kind = n.test?.kind === 'unit' ? 'unit_test' : n.test?.kind === 'singular' ? 'singular' : 'data_test';
    const classname = [c.project.name, kind, owner].filter(Boolean).join('.');
    const status: JunitCase['status'] = r.status === 'pass' || r.status === 'success' ? 'pass' : r.status === 'warn' ? 'warn' : r.status === 'fail' ? 'fail' : r.status === 'skipped' ? 'skipped' : 'error';
    const file = n.test?.spec?.file ?? n.test?.unit?.file ?? n.path;
    const line = n.test?.spec?.line ?? n.test?.unit?.line;
    out.push({
      classname,
      name: n.test?.column ? `${n.name} (${owner}.${n.test.column})` : n.name,
      file,
      line,
      time: r.executionTime,
      status,
      message: strip(r.message),
      text: [strip(r.message), ...resultDetailLines(r)].join('\n'),
    });
  }
  return out;
}

export function junitXml(suite: string, cases: JunitCase[], timestamp = new Date()): string {
  const count = (s: JunitCase['status']) => cases.filter((x) => x.status === s).length;
  const time = cases.reduce((a, x) => a + x.time, 0).toFixed(3);
  const attrs = `tests="${cases.length}" failures="${count('fail')}" errors="${count('error')}" skipped="${count('skipped')}" time="${time}"`;
  const lines = ['<?xml version="1.0" encoding="UTF-8"?>', `<testsuites name="${xmlEscape(suite)}" ${attrs}>`];
  lines.push(`  <testsuite name="${xmlEscape(suite)}" ${attrs} timestamp="${timestamp.toISOString().replace(/\.\d+Z$/, '')}">`);
  for (const x of cases) {
    const where = `${x.file ? ` file="${xmlEscape(x.file)}"` : ''}${x.line ? ` line="${x.line}"` : ''}`;
    const open = `    <testcase classname="${xmlEscape(x.classname)}" name="${xmlEscape(x.name)}"${where} time="${x.time.toFixed(3)}"`;
    const msg = xmlEscape(x.message ?? '');
    const text = xmlEscape(x.text ?? '');
    switch (x.status) {
      case 'pass':
        lines.push(`${open}/>`);
        break;
      case 'warn':
        lines.push(`${open}>`, `      <system-out>WARN ${text}</system-out>`, '    </testcase>');
        break;
      case 'fail':
        lines.push(`${open}>`, `      <failure message="${msg}" type="test_failure">${text}</failure>`, '    </testcase>');
        break;
      case 'skipped':
        lines.push(`${open}>`, `      <skipped message="${msg}"/>`, '    </testcase>');
        break;
      default:
        lines.push(`${open}>`, `      <error message="${msg}" type="error">${text}</error>`, '    </testcase>');
    }
  }
  lines.push('  </testsuite>', '</testsuites>', '');
  return lines.join('\n');
}
