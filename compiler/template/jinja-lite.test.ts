import nunjucks from 'nunjucks';
import { describe, expect, it } from 'vitest';
import { TxError } from '../errors.js';
import { parseLite, staticCalls } from './jinja-lite.js';
import { TemplateEngine } from './template-engine.js';

/** Render with the lite path (through TemplateEngine) and with nunjucks alone; both must agree. */
function bothWays(src: string, globals: Record<string, unknown>): { lite: string; nj: string } {
  const engine = new TemplateEngine();
  engine.addMacroFile(`{% macro cents(col, scale=100) -%}({{ col }} * {{ scale }}){%- endmacro %}{% macro upper_it(x) %}{{ x | upper }}{% endmacro %}`, 'm.sql');
  for (const [k, v] of Object.entries(globals)) engine.setGlobal(k, v);
  const prepared = engine.prepare(src, 'model.sql');
  expect(prepared.lite, `expected the fast path for: ${src}`).not.toBeNull();
  const lite = engine.render(prepared);
  const nj = new nunjucks.Template(src, engine.env, 'model.sql', true).render({});
  return { lite, nj };
}

const globals = {
  ref: (n: string) => `"main"."${n}"`,
  var: (n: string, d?: unknown) => ({ region: 'us', limit: 5, cols: ['a', 'b', 'c'], flags: { x: 1 } } as Record<string, unknown>)[n] ?? d,
  is_incremental: () => true,
  items: [1, 2, 3],
  obj: { a: 1, b: 'two', nested: { c: [10, 20] } },
  none_val: null,
  empty: [],
};

const CASES: [string, string][] = [
  ['plain text', 'select 1 as x\nfrom t'],
  ['ref call', 'select * from {{ ref("orders") }}'],
  ['macro with kwargs', "select {{ cents('amount', scale=1000) }} from x"],
  ['macro with default', "select {{ cents('amount') }} from x"],
  ['var with default', "select '{{ var(\"missing\", 'dflt') }}', {{ var('limit') }}"],
  ['if/elif/else', '{% if var("limit") > 10 %}big{% elif var("limit") > 3 %}mid{% else %}small{% endif %}'],
  ['if is_incremental', 'select 1\n{% if is_incremental() %}where x > 1{% endif %}'],
  ['for with loop vars', '{% for c in var("cols") %}{{ c }}{% if not loop.last %}, {% endif %}{% endfor %}'],
  ['for index', '{% for c in items %}{{ loop.index }}:{{ loop.index0 }}:{{ loop.first }}:{{ loop.last }};{% endfor %}'],
  ['for over dict items', '{% for k, v in obj.nested | dictsort %}{{ k }}={{ v }}{% endfor %}'],
  ['for else', '{% for c in empty %}x{% else %}none{% endfor %}'],
  ['set and use', '{% set n = 3 * 4 + 1 %}{{ n }} {{ n // 5 }} {{ n % 5 }} {{ 2 ** 3 }}'],
  ['string concat', "{{ 'a' ~ 1 ~ 'b' }}"],
  ['filters', "{{ 'Hello' | upper }} {{ ' x ' | trim }} {{ items | join(',') }} {{ items | length }} {{ 'a-b' | replace('-', '_') }}"],
  ['attr and index', '{{ obj.a }} {{ obj["b"] }} {{ obj.nested.c[1] }} {{ items[0] }}'],
  ['inline if', "{{ 'yes' if obj.a == 1 else 'no' }} {{ 'y' if none_val else 'n' }}"],
  ['boolean ops', '{{ true and false }} {{ true or false }} {{ not true }} {{ 1 in items }} {{ 5 not in items }}'],
  ['none renders empty', '[{{ none_val }}][{{ undefined_name }}]'],
  ['is tests', '{{ none_val is none }} {{ undefined_name is defined }} {{ items is iterable }} {{ 4 is divisibleby(2) }}'],
  ['comparisons', '{{ 1 < 2 }} {{ 2 <= 2 }} {{ 3 != 3 }} {{ "a" == "a" }}'],
  ['whitespace control', 'a\n  {%- if true -%}\n  b\n  {%- endif -%}\n  c {{- " d " -}} e'],
  ['comments', 'a{# hidden {{ ref("x") }} #}b'],
  ['list and dict literals', "{{ [1, 2, 3] | join('-') }} {{ {'k': 'v'}['k'] }}"],
  ['nested macro output', "{{ upper_it('abc') }}"],
  ['unary minus', '{{ -3 + 5 }} {{ -obj.a }}'],
  ['escaped quotes', "{{ 'it\\'s' }} {{ \"say \\\"hi\\\"\" }}"],
];

describe('fast template path agrees with nunjucks', () => {
  for (const [name, src] of CASES) {
    it(name, () => {
      const { lite, nj } = bothWays(src, globals);
      expect(lite).toBe(nj);
    });
  }
});

describe('fast template path', () => {
  it('falls back to nunjucks for what it does not handle', () => {
    expect(parseLite('{% macro m() %}x{% endmacro %}{{ m() }}')).toBeNull();
    expect(parseLite('{% raw %}{{ x }}{% endraw %}')).toBeNull();
    expect(parseLite('{% call m() %}x{% endcall %}')).toBeNull();
    expect(parseLite('{% set x %}block{% endset %}')).toBeNull();
    expect(parseLite('select {{ ref("a") }}')).not.toBeNull();
  });

  it('a fallback template still renders through nunjucks', () => {
    const engine = new TemplateEngine();
    const t = engine.prepare('{% macro twice(x) %}{{ x }}{{ x }}{% endmacro %}{{ twice("ab") }}', 'f.sql');
    expect(t.lite).toBeNull();
    expect(engine.render(t)).toBe('abab');
  });

  it('reports syntax errors with file, line and column', () => {
    const engine = new TemplateEngine();
    try {
      engine.prepare('select 1\nfrom {{ ref("a" }}\n', 'models/bad.sql');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(TxError);
      const err = e as TxError;
      expect(err.location.file).toBe('models/bad.sql');
      expect(err.location.line).toBe(2);
      expect(err.location.column).toBeGreaterThan(1);
    }
  });

  it('reports an unclosed block with its position', () => {
    const engine = new TemplateEngine();
    expect(() => engine.prepare('a\n{% if x %}b', 'm.sql')).toThrow(/endif/);
  });

  it('names an undefined macro with a suggestion and its line', () => {
    const engine = new TemplateEngine();
    engine.addMacroFile('{% macro cents(c) %}{{ c }}{% endmacro %}', 'macros/m.sql');
    const t = engine.prepare('select\n  {{ cent("x") }}', 'models/m.sql');
    try {
      engine.render(t);
      expect.unreachable();
    } catch (e) {
      const err = e as TxError;
      expect(err.message).toMatch(/undefined macro or function `cent`/);
      expect(err.hint).toMatch(/cents/);
      expect(err.location.line).toBe(2);
    }
  });

  it('lets a macro return a value with return()', () => {
    const engine = new TemplateEngine();
    engine.addMacroFile('{% macro cols() %}{{ return(["a", "b"]) }}{% endmacro %}', 'macros/m.sql');
    expect(engine.render(engine.prepare('{{ cols() | join("+") }}', 'x.sql'))).toBe('a+b');
  });

  it('finds refs, sources and config statically', () => {
    const t = parseLite("{{ config(materialized='table', tags=['a']) }}select * from {{ ref('x') }} join {{ source('s', 't') }}{% if is_incremental() %}{{ ref('y') }}{% endif %}")!;
    const { calls } = staticCalls(t);
    expect(calls.map((c) => c.name)).toEqual(['config', 'ref', 'source', 'is_incremental', 'ref']);
    expect(calls[0]!.kw).toEqual({ materialized: 'table', tags: ['a'] });
    expect(calls[4]!.args).toEqual(['y']);
  });
});
