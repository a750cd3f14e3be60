/**
 * The test gate itself: rules every test file keeps, checked on the files, so a new suite
 * cannot quietly open a hole again.
 * - every skip for want of a service goes through serviceUnavailable() (TX_TEST_REQUIRE makes
 *   it a failure), never through a console line of its own;
 * - no server starts at import time (collecting or listing the tests must not start one);
 * - no test or hook may run longer than 10 minutes;
 * - `.only` fails CI, and CI requires every service.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from './fixture-project.js';
import { SERVICE_NAMES } from './services/require.js';

const TEN_MINUTES = 600_000;

function testFiles(): string[] {
  const out: string[] = [];
  for (const top of ['compiler', 'targets', 'testing']) {
    for (const f of readdirSync(join(REPO_ROOT, top), { recursive: true }) as string[]) {
      if (f.endsWith('.test.ts') && !f.includes('node_modules')) out.push(join(top, f));
    }
  }
  return out.sort();
}

const files = testFiles();
const source = (f: string): string => readFileSync(join(REPO_ROOT, f), 'utf8');
const num = (s: string): number => Number(s.replace(/_/g, ''));

/** Every `file:line: text` of the test files where `re` matches a line. */
function linesMatching(re: RegExp, keep: (m: RegExpExecArray, line: string) => boolean = () => true): string[] {
  const hits: string[] = [];
  for (const f of files) {
    source(f)
      .split('\n')
      .forEach((line, i) => {
        const m = re.exec(line);
        if (m && keep(m, line)) hits.push(`${f}:${i + 1}: ${line.trim()}`);
      });
  }
  return hits;
}

describe('the test gate', () => {
  it('finds the test files', () => {
    expect(files.length).toBeGreaterThan(30);
    expect(files).toContain(relative(REPO_ROOT, join(REPO_ROOT, 'testing', 'test-gate.test.ts')));
  });

  it('no per-test, per-hook or child-process time limit above 10 minutes', () => {
    const over = [
      // it(..., fn, N) / beforeAll(fn, N): a line `}, N)`
      ...linesMatching(/^\s*\}\s*,\s*([\d_]+)\s*\)/, (m) => num(m[1]!) > TEN_MINUTES),
      // { timeout: N } / timeoutMs: N / testTimeout / hookTimeout
      ...linesMatching(/\b(?:timeout|timeoutMs|testTimeout|hookTimeout)\s*:\s*([\d_]+)/i, (m) => num(m[1]!) > TEN_MINUTES),
    ];
    expect(over).toEqual([]);
  });

  it('vitest itself: default limits within 10 minutes, .only refused under CI', () => {
    const config = readFileSync(join(REPO_ROOT, 'vitest.config.ts'), 'utf8');
    expect(num(/testTimeout:\s*([\d_]+)/.exec(config)![1]!)).toBeLessThanOrEqual(TEN_MINUTES);
    expect(num(/hookTimeout:\s*([\d_]+)/.exec(config)![1]!)).toBeLessThanOrEqual(TEN_MINUTES);
    expect(config).toMatch(/allowOnly:\s*!process\.env\.CI/);
  });

  it('CI sets CI=true and requires every service, so a skip there is a failure', () => {
    const run = readFileSync(join(REPO_ROOT, '.ci', 'run'), 'utf8');
    expect(run).toMatch(/^export CI=true$/m);
    const required = /TX_TEST_REQUIRE:-([^}"]+)/.exec(run)![1]!.split(',');
    expect([...required].sort()).toEqual([...SERVICE_NAMES].sort());
    expect(run).toMatch(/^npm test$/m);
  });

  it('no server starts at import time', () => {
    // a service start or fixture at the top level of a file (not inside a hook or a test),
    // also inside a top-level try block
    const start = /await\s+(?:start\w+|pgFixture|scratchDatabase|createTestDatabase|ensureVenv|provision\w+)\s*\(/;
    expect(linesMatching(/^(?!\s)(?!\/\/|\*).*/, (_m, line) => start.test(line))).toEqual([]);
    expect(linesMatching(/^try\s*\{/)).toEqual([]);
  });

  it('every skip goes through serviceUnavailable: no skip announced by a console line of its own', () => {
    expect(linesMatching(/console\.(?:warn|log|error)\([^\n]*(?:\b[Ss]kipping\b|SKIPP)/)).toEqual([]);
  });

  it('no test reports passed for work it did not do: after serviceUnavailable, a test skips (ctx.skip), never just returns', () => {
    const hits: string[] = [];
    for (const f of files) {
      const lines = source(f).split('\n');
      lines.forEach((line, i) => {
        if (!line.includes('serviceUnavailable(') || /^\s*(?:import|\*|\/\/)/.test(line)) return;
        const next = lines.slice(i + 1, i + 3).find((l) => l.trim() !== '');
        if (next && /^\s*return;\s*$/.test(next)) hits.push(`${f}:${i + 2}: ${next.trim()}`);
      });
    }
    expect(hits).toEqual([]);
  });

  it('no .only is committed', () => {
    expect(linesMatching(/\b(?:it|test|describe)\.only\s*\(/)).toEqual([]);
  });
});
