/** Seed files checked before anything runs: empty, header-only, ragged, an unclosed quote. */
import { describe, expect, it } from 'vitest';
import { compileError, compileFixture } from '../../testing/fixture-project.js';
import { seedFileProblem } from './check-seed-file.js';

describe('seedFileProblem', () => {
  it('an empty (0-byte) file, or only empty lines, is an error on line 1', () => {
    expect(seedFileProblem('', ',', '"', true)).toEqual({ message: expect.stringMatching(/^is an empty file \(0 bytes\)/), line: 1 });
    expect(seedFileProblem('\n\n', ',', '"', true)).toEqual({ message: 'has no header line (only empty lines)', line: 1 });
  });

  it('a header with no rows is fine (an empty table, as in dbt)', () => {
    expect(seedFileProblem('a,b\n', ',', '"', true)).toBeUndefined();
    expect(seedFileProblem('a,b', ',', '"', true)).toBeUndefined();
  });

  it('a row with fewer or more fields than the header names its line and shows it', () => {
    expect(seedFileProblem('a,b\n1,2\n3\n4,5\n', ',', '"', true)).toEqual({ message: 'line 3 has 1 field where the header (line 1) has 2: `3`', line: 3 });
    expect(seedFileProblem('a,b\r\n1,2\r\n3,4,5\r\n', ',', '"', true)).toEqual({ message: 'line 3 has 3 fields where the header (line 1) has 2: `3,4,5`', line: 3 });
    expect(seedFileProblem('1,2\n3\n', ',', '"', false)?.message).toBe('line 2 has 1 field where line 1 has 2: `3`');
  });

  it('quoted delimiters, doubled quotes and newlines inside quotes are one field; lines still count', () => {
    expect(seedFileProblem('a,b\n"x, y","say ""hi"""\n"multi\nline",2\n', ',', '"', true)).toBeUndefined();
    expect(seedFileProblem('a,b\n"multi\nline",2\n3\n', ',', '"', true)).toEqual({ message: 'line 4 has 1 field where the header (line 1) has 2: `3`', line: 4 });
    expect(seedFileProblem('a;b\n1;2\n', ';', '"', true)).toBeUndefined();
    expect(seedFileProblem("a,b\n'1,2',3\n", ',', "'", true)).toBeUndefined();
  });

  it('empty lines between rows are no rows; a BOM is no field', () => {
    expect(seedFileProblem('\ufeffa,b\n\n1,2\n\n', ',', '"', true)).toBeUndefined();
  });

  it('a quote never closed names the line it opened on', () => {
    expect(seedFileProblem('a,b\n1,"open\n2,3\n', ',', '"', true)).toEqual({ message: 'has a quoted field opened on line 2 that is never closed', line: 2 });
  });
});

describe('at compile time', () => {
  it('a ragged seed is exit 2 with the seed file and line', async () => {
    const e = await compileError({ 'seeds/s.csv': 'id,name\n1,a\n2\n' });
    expect(e.format()).toBe('seeds/s.csv:3: seed `s` line 3 has 1 field where the header (line 1) has 2: `2`');
    expect(e.exitCode).toBe(2);
  });

  it('an empty seed is exit 2; the seed config’s delimiter is used', async () => {
    expect((await compileError({ 'seeds/e.csv': '' })).format()).toMatch(/^seeds\/e\.csv:1: seed `e` is an empty file \(0 bytes\)/);
    const c = await compileFixture({ 'seeds/t.csv': 'a|b\n1|2\n', 'seeds/t.yml': 'version: 2\nseeds:\n  - name: t\n    config: {delimiter: "|"}\n' });
    expect(c.nodes.has('seed.fx.t')).toBe(true);
  });
});
