/**
 * The engine's own error cases: each error names its type, file, line and column, and
 * tx's strict mode refuses to print an undefined value. (Rendering itself is proved against
 * jinja2 by differential.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { TxError } from '../../errors.js';
import { TemplateEngine } from '../template-engine.js';
import { Environment, TemplateError } from './environment.js';

function errorOf(src: string, opts: { strict?: boolean; ctx?: Record<string, unknown> } = {}): TemplateError {
  const env = new Environment({ undefinedOutput: opts.strict ? 'error' : 'empty' });
  try {
    env.fromString(src, 'models/m.sql').render(opts.ctx ?? {});
  } catch (e) {
    if (e instanceof TemplateError) return e;
    throw e;
  }
  throw new Error(`no error for ${src}`);
}

describe('template errors carry type, file, line and column', () => {
  const cases: [string, string, string, number, number][] = [
    // [template, type, message (part), line, column]
    ['select 1\n{% if x %}\nwhere y', 'TemplateSyntaxError', "Jinja was looking for the following tags: 'elif' or 'else' or 'endif'", 2, 4],
    ['a\n  {{ 1 + }}', 'TemplateSyntaxError', "unexpected 'end of print statement'", 2, 10],
    ['{% for x in y %}{% endif %}', 'TemplateSyntaxError', "Encountered unknown tag 'endif'", 1, 20],
    ['{% frobnicate %}', 'TemplateSyntaxError', "Encountered unknown tag 'frobnicate'", 1, 4],
    ['{{ x | nosuchfilter }}', 'TemplateAssertionError', "No filter named 'nosuchfilter'", 1, 8],
    ['{{ x is nosuchtest }}', 'TemplateAssertionError', "No test named 'nosuchtest'", 1, 6],
    ['line one\n{{ "a" + 1 }}', 'TypeError', 'can only concatenate str (not "int") to str', 2, 8],
    ['{{ 1 // 0 }}', 'ZeroDivisionError', 'integer division or modulo by zero', 1, 6],
    ['\n\n  {{ foo.bar }}', 'UndefinedError', "'foo' is undefined", 3, 6],
    ['{% macro m(a) %}{{ a }}{% endmacro %}{{ dbt_macro__m(1, b=2) }}', 'TypeError', "macro 'dbt_macro__m' takes no keyword argument 'b'", 1, 41],
    ['{% macro m() %}{% endmacro %}{{ dbt_macro__m(1) }}', 'TypeError', "macro 'dbt_macro__m' takes not more than 0 argument(s)", 1, 33],
    ['{% break %}', 'TemplateSyntaxError', "'break' outside loop", 1, 4],
    ['{% set a, b = [1] %}', 'ValueError', 'not enough values to unpack (expected 2, got 1)', 1, 4],
    ["{{ 'a' < 1 }}", 'TypeError', "'<' not supported between instances of 'str' and 'int'", 1, 4],
    ['{{ none() }}', 'TypeError', "'NoneType' object is not callable", 1, 4],
    ['{% macro m(a, a) %}{% endmacro %}', 'SyntaxError', "duplicate argument 'a' in function definition", 1, 15],
    ['{% include "x.sql" %}', 'TypeError', 'no loader for this environment specified', 1, 4],
    // Python gives a complex number (-1) ** 0.5; tx has none and says so rather than print a wrong value
    ['\n{{ -1 ** 0.5 }}', 'ValueError', "(-1) ** 0.5 is a complex number in Python, which tx's templates do not support", 2, 7],
    ['{% set h = 0.5 %}{{ (n - 3) ** h }}', 'ValueError', '(-1) ** 0.5 is a complex number in Python', 1, 29],
  ];
  for (const [src, type, msg, line, column] of cases) {
    it(`${type}: ${JSON.stringify(src)}`, () => {
      const e = errorOf(src, { ctx: { n: 2 } });
      expect(e.pyType).toBe(type);
      expect(e.message).toContain(msg);
      expect(e.file).toBe('models/m.sql');
      expect({ line: e.line, column: e.column }).toEqual({ line, column });
    });
  }

  it('a JavaScript error in a host function is an InternalError with the place, not a bare JavaScript message', () => {
    const e = errorOf('x\n{{ f() }}', { ctx: { f: () => (null as unknown as { a: number }).a } });
    expect(e.pyType).toBe('InternalError');
    expect(e.message).toMatch(/^tx failed inside a template function \(TypeError: .*\); please report it$/);
    expect({ line: e.line, column: e.column }).toEqual({ line: 2, column: 4 });
  });
});

describe("tx's strict mode", () => {
  it('printing an undefined name is an error; jinja2 prints nothing', () => {
    expect(new Environment({ undefinedOutput: 'empty' }).fromString('[{{ nope }}]').render({})).toBe('[]');
    const e = errorOf('[{{ nope }}]', { strict: true });
    expect(e.pyType).toBe('UndefinedError');
    expect(e.message).toBe("'nope' is undefined");
  });

  it('an inline if without else still prints nothing, and `is defined` and `default` still work', () => {
    const env = new Environment({ undefinedOutput: 'error' });
    expect(env.fromString("[{{ 'x' if false }}][{{ nope is defined }}][{{ nope | default('d') }}][{% if nope %}y{% endif %}]").render({})).toBe('[][False][d][]');
  });

  it('~ with an undefined value is an error in strict mode, empty in jinja2', () => {
    expect(new Environment({ undefinedOutput: 'empty' }).fromString("{{ nope ~ 'x' }}").render({})).toBe('x');
    expect(errorOf("{{ nope ~ 'x' }}", { strict: true }).pyType).toBe('UndefinedError');
  });

  it('the compiler names the undefined name with a did-you-mean, at the model line', () => {
    const engine = new TemplateEngine();
    engine.setGlobal('my_var', 1);
    let err: unknown;
    try {
      engine.render(engine.prepare('select\n  {{ my_vr }}', 'models/a.sql'));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TxError);
    const t = err as TxError;
    expect(t.format()).toBe('models/a.sql:2:6: UndefinedError: `my_vr` is undefined\n  hint: did you mean `my_var`?');
  });

  it('a misspelt value is not offered a macro of a similar name', () => {
    const engine = new TemplateEngine();
    engine.addMacroFile('{% macro test_unique_combination_of_columns(model) %}x{% endmacro %}', 'macros/t.sql');
    let err: unknown;
    try {
      engine.render(engine.prepare('select {{ colum }}', 'models/a.sql'));
    } catch (e) {
      err = e;
    }
    expect((err as TxError).format()).toBe('models/a.sql:1:11: UndefinedError: `colum` is undefined');
  });

  it('an error inside a macro of another file is reported at the model, with the macro place', () => {
    const engine = new TemplateEngine();
    engine.addMacroFile('{% macro boom(x) %}\n  {{ x + 1 }}\n{% endmacro %}', 'macros/boom.sql');
    let err: unknown;
    try {
      engine.render(engine.prepare("select {{ boom('a') }}", 'models/a.sql'));
    } catch (e) {
      err = e;
    }
    expect((err as TxError).format()).toBe('models/a.sql:1:11: TypeError: can only concatenate str (not "int") to str (at macros/boom.sql:2:8)');
  });
});

describe('limits on bad input', () => {
  it('endless recursion stops at a depth limit with a clear error, not a stack overflow', () => {
    const e = errorOf('{% macro f(n) %}{{ dbt_macro__f(n + 1) }}{% endmacro %}{{ dbt_macro__f(0) }}');
    expect(e.pyType).toBe('RecursionError');
    expect(e.message).toMatch(/macros nested more than 200 deep/);
  });

  it('a loop that builds a 1 GB string stops at the size limit', () => {
    const e = errorOf("{% set ns = namespace(s='x' * 1000000) %}{% for i in range(2000) %}{% set ns.s = ns.s ~ 'x' * 1000000 %}{% endfor %}");
    expect(e.pyType).toBe('MemoryError');
    expect(e.message).toMatch(/limit of 200000000 characters/);
  });

  it('output that grows past the limit in a loop stops too', () => {
    const env = new Environment({ maxOutput: 1_000_000 });
    expect(() => env.fromString("{% for i in range(100000) %}{{ 'x' * 100 }}{% endfor %}").render({})).toThrow(/limit of 1000000 characters/);
  });

  it('a 10 MB template parses and renders', () => {
    const line = "select {{ 1 + 1 }} as two, '{{ x }}' as x -- padding padding padding padding\n";
    const src = line.repeat(Math.ceil((10 * 1024 * 1024) / line.length));
    const lines = Math.ceil((10 * 1024 * 1024) / line.length);
    const out = new Environment().fromString(src, 'big.sql').render({ x: 'y' });
    expect(out.split('\n').length).toBe(lines); // the last newline is dropped, as jinja2 does
    expect(out.length).toBe(lines * "select 2 as two, 'y' as x -- padding padding padding padding\n".length - 1);
    expect(out.startsWith("select 2 as two, 'y' as x")).toBe(true);
  });

  it('an unclosed string or comment is a syntax error with the place', () => {
    expect(errorOf('a\n{{ "abc }}').pyType).toBe('TemplateSyntaxError');
    const c = errorOf('a\n{# never closed');
    expect([c.pyType, c.line]).toEqual(['TemplateSyntaxError', 2]);
  });
});
