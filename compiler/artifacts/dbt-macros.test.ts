/**
 * macroCalls: which known macros a piece of Jinja calls (the manifest's depends_on.macros).
 */
import { describe, expect, it } from 'vitest';
import { macroBlocks, macroCalls } from './dbt-macros.js';

const known = new Set(['cents', 'safe_div', 'ref', 'x1']);

describe('macroCalls', () => {
  it('finds calls inside {{ }} and {% %} only, first use first, each once', () => {
    expect(macroCalls("select cents(a) from t -- {{ safe_div('a', 'b') }} {% set y = cents(1) %} {{ safe_div(1,2) }}", known)).toEqual(['safe_div', 'cents']);
  });
  it('a name after a dot or inside a longer word is not a call; spaces before ( are', () => {
    expect(macroCalls('{{ dbt.cents(1) }} {{ mycents(2) }} {{ cents_x(3) }} {{ 9cents(4) }}', known)).toEqual([]);
    expect(macroCalls('{{ cents  (1) }} {{ x1\n(2) }}', known)).toEqual(['cents', 'x1']);
    // every character JavaScript's \s matches may stand before the parenthesis: tab, CR, form feed, no-break and ideographic spaces
    expect(macroCalls('{{ cents\t(1) }} {{ x1\r\n(2) }} {{ safe_div\f\u00a0\u3000(3) }} {{ ref\u200b(4) }}', known)).toEqual(['cents', 'x1', 'safe_div']);
  });
  it('a name not followed by ( or not known is not listed; an unclosed tag does not hide later ones', () => {
    expect(macroCalls('{{ cents }} {{ other(1) }} {{ ref }}', known)).toEqual([]);
    expect(macroCalls('{ cents(1) } {{ a {% safe_div(1) %}', known)).toEqual(['safe_div']);
    expect(macroCalls('{{ ref("m") }}{%- if cents(2) -%}{%- endif -%}', known)).toEqual(['ref', 'cents']);
  });
});

describe('macroBlocks', () => {
  it('lists macro and test blocks with their argument names', () => {
    const b = macroBlocks("{% macro m(a, b=1) %}x{% endmacro %}\n{%- test t(model, column_name) -%}y{%- endtest -%}");
    expect(b.map((x) => [x.name, x.args])).toEqual([
      ['m', ['a', 'b']],
      ['test_t', ['model', 'column_name']],
    ]);
  });
});
