/**
 * macroCalls: which known macros a piece of Jinja calls (the manifest's depends_on.macros).
 */
import { describe, expect, it } from 'vitest';
import { macroBlocks, macroCalls, macroCallsInOrder } from './dbt-macros.js';

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
  it('gives what a forward scan of every word of every tag gives, on 20,000 random texts', () => {
    // the reference: each word of a tag, in order, counted when ( follows it (after spaces) and neither . nor a word character precedes it
    const wordStart = (c: string | undefined) => !!c && /[A-Za-z_]/.test(c);
    const word = (c: string | undefined) => !!c && /[A-Za-z0-9_]/.test(c);
    const forward = (text: string): string[] => {
      const out: string[] = [];
      let i = 0;
      for (;;) {
        const open = text.indexOf('{', i);
        if (open < 0) break;
        const k0 = text[open + 1];
        const close = k0 === '{' || k0 === '%' ? text.indexOf(k0 === '{' ? '}}' : '%}', open + 2) : -1;
        if (close < 0) {
          i = open + 1;
          continue;
        }
        for (let j = open + 2; j < close; j++) {
          if (!wordStart(text[j])) continue;
          let k = j + 1;
          while (k < close && word(text[k])) k++;
          let s = k;
          while (s < close && /\s/.test(text[s]!)) s++;
          if (text[j - 1] !== '.' && !word(text[j - 1]) && text[s] === '(') {
            const name = text.slice(j, k);
            if (known.has(name) && !out.includes(name)) out.push(name);
          }
          j = k - 1;
        }
        i = close + 2;
      }
      return out;
    };
    const pieces = ['{', '{{', '{%', '}}', '%}', '}', '%', '(', ')', ' ', '  ', '.', '9', '_', '\n', '\u00a0', '\u200b', 'é', 'a', 'cents', 'safe_div', 'ref', 'x1', 'my', "'", '{{ ', '{% ', ' }}', ' %}', 'cents(', 'ref (', '.x1('];
    let seed = 7;
    const rnd = (n: number) => ((seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff) % n);
    let found = 0;
    for (let t = 0; t < 20_000; t++) {
      let text = '';
      for (let k = rnd(40); k > 0; k--) text += pieces[rnd(pieces.length)];
      const want = forward(text);
      found += want.length;
      expect(macroCalls(text, known), JSON.stringify(text)).toEqual(want);
    }
    expect(found).toBeGreaterThan(1000);
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
  it("reads defaults holding parentheses, brackets, quotes and commas (dbt_utils' get_column_values was missed)", () => {
    const text = [
      "{% macro get_column_values(table, column, order_by='count(*) desc', max_records=none) -%}a{% endmacro %}",
      "{% macro m2(values=['a, b', \"c)\"], opts={'k': (1, 2)}, q='it\\'s') %}b{% endmacro %}",
      '{% macro broken(a %}never closed',
    ].join('\n');
    const b = macroBlocks(text);
    expect(b.map((x) => [x.name, x.args])).toEqual([
      ['get_column_values', ['table', 'column', 'order_by', 'max_records']],
      ['m2', ['values', 'opts', 'q']],
    ]);
    expect(b[0]!.sql).toBe("{% macro get_column_values(table, column, order_by='count(*) desc', max_records=none) -%}a{% endmacro %}");
  });
});

describe('macroCallsInOrder', () => {
  // a bare name: the project's or dbt's; `ns.name`: that package's (dbt's, dbt_utils')
  const known: Record<string, string> = { safe_cast: 'macro.dbt.safe_cast', type_string: 'macro.dbt.type_string', mine: 'macro.p.mine' };
  const spaces: Record<string, Record<string, string>> = { dbt: { dateadd: 'macro.dbt.dateadd', current_timestamp: 'macro.dbt.current_timestamp', type_timestamp: 'macro.dbt.type_timestamp' }, dbt_utils: { star: 'macro.dbt_utils.star' } };
  const resolve = (ns: string | null, name: string) => (ns === null ? known[name] : spaces[ns]?.[name]);

  it('lists calls as Jinja finishes them: arguments first, then the call; each once', () => {
    expect(macroCallsInOrder("cast({{ dbt.dateadd('hour', -23, dbt.current_timestamp()) }} as {{ dbt.type_timestamp() }})", resolve)).toEqual(['macro.dbt.current_timestamp', 'macro.dbt.dateadd', 'macro.dbt.type_timestamp']);
    expect(macroCallsInOrder(`{{ safe_cast("'a'", type_string()) }}, {{ safe_cast("'b'", type_string()) }}, {{ mine() }}`, resolve)).toEqual(['macro.dbt.type_string', 'macro.dbt.safe_cast', 'macro.p.mine']);
    // a call inside a set block's tag, a namespaced one across lines
    expect(macroCallsInOrder("{% set cols = dbt_utils.star(\n  from=ref('a')\n) %}select {{ mine() }}", resolve)).toEqual(['macro.dbt_utils.star', 'macro.p.mine']);
  });

  it("leaves out what is no macro: ref(), an attribute's method, text outside tags, a parenthesis inside a string", () => {
    expect(macroCallsInOrder("select mine() from {{ ref('x') }} where {{ x.mine() }} and {{ a.dbt.dateadd() }}", resolve)).toEqual([]);
    // the `)` inside the string does not end safe_cast's arguments early
    expect(macroCallsInOrder(`{{ safe_cast("f(')')", type_string()) }}`, resolve)).toEqual(['macro.dbt.type_string', 'macro.dbt.safe_cast']);
    expect(macroCallsInOrder('{{ unknown(mine()) }} {{ nope.star() }}', resolve)).toEqual(['macro.p.mine']);
    expect(macroCallsInOrder('{{ mine( }}', resolve)).toEqual(['macro.p.mine']);
  });
});
