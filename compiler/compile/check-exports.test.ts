/**
 * Exports are checked at compile time: a `..`, a folder outside the export roots, an unknown
 * target or a malformed entry is exit 2 at `tx compile` (and at `tx build`, before anything runs).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { compileError, compileFixture, fixtureProject, type FixtureProject } from '../../testing/fixture-project.js';

const props = (exportYaml: string) => `version: 2\nmodels:\n  - name: m\n    config:\n      exports:\n${exportYaml}`;
const base = { 'models/m.sql': 'select 1 as id\n' };

describe('exports checked at compile time', () => {
  it.each([
    ['a `..` in `to`', '        - {to: "output/../../elsewhere", format: csv}\n', /export 1 of model `m`: export path `output\/\.\.\/\.\.\/elsewhere` contains `\.\.`/],
    ['a `..` in `path`', '        - {to: output/, path: "a/../../b", format: csv}\n', /export 1 of model `m`: export path `a\/\.\.\/\.\.\/b` contains `\.\.`/],
    ['a `..` rendered from a var', '        - {to: "output/{{ var(\'sub\', \'..\') }}/x", format: csv}\n', /contains `\.\.`/],
    ['a folder outside the export roots', '        - {to: /tmp/somewhere, format: csv}\n', /export 1 of model `m`: local export folder \/tmp\/somewhere\/m is outside every export root/],
    ['an export root itself', '        - {to: output/, path: "", format: csv}\n', /is an export root itself/],
    ['an unknown target', '        - {to: "target:postgress"}\n', /export 1 of model `m`: `to: target:postgress` names no configured target/],
    ['a compression the format lacks', '        - {to: output/, format: csv, compression: snappy}\n', /export 1 of model `m`: compression `snappy` is not available for csv/],
  ])('%s is an error naming the properties file', async (_what, entry, message) => {
    const e = await compileError({ ...base, 'models/m.yml': props(entry) });
    expect(e.message).toMatch(message);
    expect(e.location.file).toBe('models/m.yml');
    expect(e.exitCode).toBe(2);
  });

  it('a valid export, a disabled one with a bad path, and one whose destination renders empty compile', async () => {
    const c = await compileFixture({
      ...base,
      'models/m.yml': props('        - {to: output/, format: csv}\n        - {to: "../x", enabled: false}\n        - {to: "{{ var(\'s3\', \'\') }}", enabled: "{{ var(\'s3\', \'\') != \'\' }}"}\n'),
    });
    expect(c.nodes.get('model.fx.m')!.config.exports).toHaveLength(3);
  });

  it('a second entry is named by its position', async () => {
    const e = await compileError({ ...base, 'models/m.yml': props('        - {to: output/}\n        - {to: output/, path: "../up"}\n') });
    expect(e.message).toMatch(/^export 2 of model `m`: /);
  });
});

describe('tx compile and tx build refuse a bad export before anything runs', () => {
  const fixtures: FixtureProject[] = [];
  afterAll(() => fixtures.forEach((f) => f.cleanup()));

  it('exit 2, file:line, and no table, no folder written', async () => {
    const fx = fixtureProject({ ...base, 'models/m.yml': props('        - {to: output/, path: "../../../escape", format: csv}\n') });
    fixtures.push(fx);
    for (const command of ['compile', 'build']) {
      const r = await fx.tx(command);
      expect(r.code, r.output).toBe(2);
      expect(r.stderr).toMatch(/models\/m\.yml:3: export 1 of model `m`: export path `\.\.\/\.\.\/\.\.\/escape` contains `\.\.`/);
      expect(r.stdout).not.toMatch(/OK created/);
    }
    expect(fx.exists('output')).toBe(false);
    expect(fx.exists('fx.duckdb')).toBe(false);
  });
});
