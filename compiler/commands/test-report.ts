/**
 * After `tx test` / `tx build`: the CI summary of every failing and warning test (test, model and
 * column, where it is defined, failing rows), the JUnit XML file, and the exit code:
 * 2 when a unit test's fixtures do not fit its model, 1 for an error-severity failure or a test that
 * errors (a data test naming a column the built relation lacks included), 0 when only warnings.
 */
import { resolve } from 'node:path';
import type { NodeResult } from '../artifacts/artifacts.js';
import { writeFileAtomic } from '../artifacts/artifacts.js';
import type { CompiledProject } from '../compile/compile-project.js';
import type { Logger } from '../log/logger.js';
import type { RunOutcome } from '../run/run-project.js';
import { junitCases, junitXml, resultDetailLines } from '../data-tests/junit.js';

export interface TestReportOptions {
  command: string;
  junitXml?: string;
  logger: Logger;
}

function owner(c: CompiledProject, r: NodeResult): string {
  const n = c.nodes.get(r.uniqueId);
  const t = n?.test;
  if (!t) return '';
  const attached = t.attachedTo ? c.nodes.get(t.attachedTo) : undefined;
  const name = attached ? (attached.resourceType === 'source' ? `${attached.fqn[1]}.${attached.name}` : attached.name) : '';
  if (t.kind === 'unit') return ` (unit test of ${name})`;
  return name ? ` on ${name}${t.column ? `.${t.column}` : ''}` : '';
}

/**
 * The failed models, seeds, sources, snapshots and export steps of a run, listed as failed tests are:
 * every run command prints it at the end (`tx build`, `tx test`, `tx run`, `tx seed`, ...).
 */
export function reportFailedNodes(c: CompiledProject, outcome: RunOutcome, logger: Logger): void {
  const failedNodes = outcome.results.filter((r) => c.nodes.get(r.uniqueId)?.resourceType !== 'test' && (r.status === 'error' || r.status === 'cancelled'));
  if (!failedNodes.length) return;
  logger.info('');
  logger.info(`${failedNodes.length} node${failedNodes.length === 1 ? '' : 's'} failed:`);
  for (const r of failedNodes) {
    const exportOf = r.uniqueId.startsWith('after:') ? c.nodes.get(r.uniqueId.slice('after:'.length)) : undefined;
    const n = c.nodes.get(r.uniqueId);
    const what = n ? `${n.resourceType} ${n.name}, ${n.path}` : exportOf ? `exports of ${exportOf.name}, ${exportOf.path}` : r.uniqueId;
    const word = r.status === 'cancelled' ? logger.paint('CANCELLED', 'yellow') : logger.paint('ERROR', 'red');
    logger.line('error', `  ${word} ${what}`, { node: r.uniqueId, status: r.status });
    logger.line('error', `      ${logger.mask(r.message).replace(/\n/g, '\n      ')}`);
  }
}

/** Print the failure summary, write JUnit XML; the exit code of the command. */
export function reportTestRun(c: CompiledProject, outcome: RunOutcome, o: TestReportOptions): number {
  const { logger } = o;
  const tests = outcome.results.filter((r) => c.nodes.get(r.uniqueId)?.resourceType === 'test');
  const bad = tests.filter((r) => r.status === 'fail' || r.status === 'error' || r.status === 'warn');
  if (bad.length) {
    logger.info('');
    logger.info(`${bad.filter((r) => r.status !== 'warn').length} test${bad.filter((r) => r.status !== 'warn').length === 1 ? '' : 's'} failed, ${bad.filter((r) => r.status === 'warn').length} warned:`);
    for (const r of bad) {
      const n = c.nodes.get(r.uniqueId)!;
      const word = r.status === 'warn' ? logger.paint('WARN', 'yellow') : r.status === 'fail' ? logger.paint('FAIL', 'red') : logger.paint('ERROR', 'red');
      const t = r.details?.test as { file?: string; line?: number | null } | undefined;
      const where = t?.file ? `${t.file}${t.line ? `:${t.line}` : ''}` : n.path;
      const what = owner(c, r);
      const level = r.status === 'warn' ? 'warn' : 'error';
      logger.line(level, `  ${word} ${n.name}${what}, ${where}`, { node: r.uniqueId, status: r.status, failures: r.failures ?? null });
      if (r.status === 'error') logger.line(level, `      ${r.message.replace(/\n/g, '\n      ')}`);
      else if (n.test?.kind !== 'unit') logger.line(level, `      ${r.failures ?? 0} failing row${r.failures === 1 ? '' : 's'}${n.test?.severity === 'warn' ? ' (severity warn)' : ''}`);
      for (const l of resultDetailLines(r)) logger.line(level, `      ${l}`);
    }
  }
  reportFailedNodes(c, outcome, logger);
  const skippedTests = tests.filter((r) => r.status === 'skipped').length;
  if (skippedTests) logger.info(`${skippedTests} test${skippedTests === 1 ? '' : 's'} skipped because something upstream failed.`);

  if (o.junitXml) {
    const path = resolve(o.junitXml);
    writeFileAtomic(path, junitXml(`tx ${o.command} (${c.project.name})`, junitCases(c, outcome.results)));
    logger.info(`JUnit XML with ${tests.length} test case${tests.length === 1 ? '' : 's'} written to ${o.junitXml}`);
  }
  const projectError = outcome.results.some((r) => r.status === 'error' && r.details?.exit_code === 2);
  return projectError ? 2 : outcome.exitCode;
}
