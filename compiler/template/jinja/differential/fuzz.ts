/**
 * Part 1 of the corpus, continued: seeded random templates. generated.ts holds each construct,
 * operator, filter, test and method once or in a small matrix; here they are combined at random
 * (operators over filters over methods over subscripts, nested up to a depth, inside `if`, `for`,
 * `set` and macro calls), as real templates combine them, so that the interactions are compared
 * with jinja2 too. The same seed always gives the same templates; TX_DIFF_FUZZ sets how many
 * (FUZZ_CASES by default; more for a longer hunt, e.g. TX_DIFF_FUZZ=20000 with
 * TX_DIFF_FILTER='^fuzz:'), TX_DIFF_FUZZ_SEED another seed.
 *
 * Kept deterministic and bounded in Python itself: repetition and powers take small literal
 * operands, `range()` small bounds, no sets of strings (hash order), no method left uncalled (its
 * repr holds an address), no `random`.
 */
import type { Encoded } from './codec.js';
import { py } from './codec.js';
import type { Case } from './corpus.js';
import { SHARED } from './generated.js';
import { seededRandom } from '../../../../testing/seeded-random.js';

/** How many random templates the suite compares by default. */
export const FUZZ_CASES = 600;

/** generated.ts's shared values, and a few more strings and floats. */
const CONTEXT: Record<string, Encoded> = {
  ...SHARED,
  csv: 'a,b,,c',
  q: 'it\'s "q" <b>&amp;</b>',
  nl: 'a\nb\r\nc\td ',
  title: 'hello wORLD-foo_bar 3rd',
  nf: py.float(-0.5),
  mixed: [1, 'a', null, true, 1.5],
};

const NAMES = Object.keys(CONTEXT);
const LITERALS = ['0', '1', '2', '-1', '3', '10', '0.5', '1.0', '-2.5', '1e3', "''", "'a'", "'ab'", "'Hello'", "'x,y'", "' pad '", "'3'", "'2.5'", "'é'", 'true', 'false', 'none', '[]', '[1, 2]', "['b', 'a']", '(1, 2)', '(1,)', "{'a': 1}", '{}', 'undefined_name'];
/** Globals of jinja2 and of dbt's base context, called. */
const CALLS = [
  'range(3)', 'dict(a=1, b=2)', "namespace(a=1).a", 'zip(l, ls) | list', "cycler('a', 'b').next()", "joiner(', ')()",
  'modules.datetime.date(2024, 1, 31)', 'modules.datetime.date(2024, 1, 31).isoformat()', "modules.datetime.datetime(2024, 2, 29, 13, 5).strftime('%Y-%m-%d %H:%M')",
  'modules.datetime.timedelta(days=3, hours=4)', 'modules.datetime.date(2024, 3, 1) - modules.datetime.timedelta(days=1)', "modules.re.sub('[aeiou]', '_', s)",
  "modules.re.findall('o', s)", "modules.re.split(',', csv)", "tojson({'b': 1, 'a': [1, 2]})", 'fromjson(\'{"a": [1, 2.5, null]}\')', "toyaml({'a': [1, 'x']})",
  "fromyaml('a: [1, 2]')", 'modules.itertools.chain(l, [4]) | list', 'set([3, 1, 2]) | list', "local_md5('x')", "as_bool('true')", "as_number('3')",
  "as_native('[1, 2]')", "as_text(3)", 'modules.itertools.islice(l, 2) | list', "modules.re.match('H(.)', s).group(1)", 'modules.datetime.date(2024, 1, 31).weekday()',
];
const SMALL = ['0', '1', '2', '3', '-1'];
const BASES = ['0', '1', '2', '3', '-1', '-2', '(0 - 3)', '-0.0', '1.5'];
/** Exponents that keep a power small and real (a context name keeps it from being folded). */
const EXPONENTS = ['n', 'z', 'neg', 'fi', 't', '2', '-1', '0', 'no'];
const BINARY = ['+', '-', '*', '/', '//', '%', '**', '~', 'and', 'or', '==', '!=', '<', '<=', '>', '>=', 'in', 'not in'];
const FILTERS = [
  'abs', 'length', 'count', 'upper', 'lower', 'string', 'int', 'float', 'list', 'sort', 'reverse | list', 'first', 'last', 'join', "join(',')", "join('-', 'name')",
  "default('dflt')", 'default(1, true)', 'd', 'round', 'round(1)', "round(1, 'floor')", 'trim', 'title', 'capitalize', 'unique | list', 'sum', 'min', 'max', 'tojson',
  "replace('a', 'b')", "replace('l', 'L', 1)", 'batch(2) | list', 'slice(2) | list', 'e', 'escape', 'safe', 'items | list', 'dictsort', 'wordcount', 'center(9)',
  "indent(2)", 'truncate(5)', "truncate(5, true, '..')", 'list | map("string") | list', "map(attribute='name') | list", "selectattr('age') | list",
  "rejectattr('age', 'gt', 30) | list", "select('odd') | list", "reject('none') | list", "groupby('city') | list", "sort(attribute='age') | map(attribute='name') | join",
  'sum(start=10)', 'float(9)', "int(7)", 'int(0, 16)', 'as_bool', 'as_number', 'as_text', 'as_native', 'xmlattr', 'urlencode', 'striptags', 'format(1)',
  'pprint', 'string | length', "attr('name')", 'filesizeformat', 'wordwrap(5)', 'forceescape', 'min(attribute="age")', 'unique(case_sensitive=true) | list',
  "dictsort(by='value')", "dictsort(true, 'value', true)", "sum(attribute='age')", "batch(2, 'x') | list", 'slice(3, 0) | list', 'indent(2, true)', "indent('> ')",
  'center(2)', "truncate(3, false, '', 0)", 'wordwrap(3, false)', 'filesizeformat(true)', 'round(-1)', 'int(0, 2)', "float('x')", "join(attribute='name')",
  "map('upper') | list", "map('int') | list", "unique(attribute='city') | list", "groupby('age') | map(attribute='grouper') | list", 'tojson(indent=2)',
  'min(case_sensitive=true)', "max(attribute='age')", 'default(none)', "first | default('x')", 'string | list', 'xmlattr(false)', "replace('', '-')",
  "replace('a', '', 0)", 'sort(reverse=true)', 'sort(case_sensitive=true)', "trim('a')", "format('%s')", 'string | wordcount', 'list | first', 'last | string',
  "sort(attribute='name,age') | list", "map('default', 'z') | list", "select('in', [1, 2]) | list", "reject('eq', 'a') | list", "selectattr('city', 'eq', 'Oslo') | list",
];
const TESTS = [
  'defined', 'undefined', 'none', 'number', 'string', 'mapping', 'iterable', 'sequence', 'boolean', 'integer', 'float', 'true', 'false', 'callable',
  'even', 'odd', 'divisibleby(3)', 'lower', 'upper', 'eq(1)', 'ne(1)', 'lt(2)', 'gt(2)', 'le(3)', 'ge(3)', 'in([1, 2, 3])', "in('Hello')", 'sameas(none)', 'escaped',
  'filter', 'test', 'sameas(false)', 'ne(none)', 'in(d)', 'in(l)', '==(2)', '!=(2)', '<(3)',
];
const METHODS = [
  'upper()', 'lower()', 'strip()', "strip('H')", 'split()', "split(',')", "split(',', 1)", 'rsplit()', "startswith('H')", "endswith('d')", "replace('o', '0')",
  "find('o')", "rfind('o')", "count('l')", "index('l')", 'title()', 'capitalize()', 'swapcase()', 'isdigit()', 'isalpha()', 'isupper()', "center(13, '*')",
  "ljust(8, '.')", "rjust(8)", 'zfill(6)', "join(['x', 'y'])", "partition(' ')", "format(1, 2)", 'splitlines()', 'lstrip()', 'casefold()',
  'keys() | list', 'values() | list', 'items() | list', "get('a')", "get('zz', 0)", 'copy()', "pop('a', 9)", "setdefault('q', 1)",
  'index(1)', 'count(1)', 'copy()', 'append(9)', 'extend([7])', 'pop()', 'reverse()', 'sort()', 'insert(0, 5)', 'remove(3)', 'clear()',
  'is_integer()', 'as_integer_ratio()', 'bit_length()', 'conjugate()', 'real', 'imag', 'hex()',
  'split(None, 1)', "rsplit(',', 1)", "strip('lo')", "removeprefix('He')", "removesuffix('ld')", 'expandtabs(4)', 'format(x=1)', "format_map({'x': 1})",
  'ljust(3)', 'zfill(-1)', 'isnumeric()', 'isspace()', 'istitle()', 'isidentifier()', 'isalnum()', 'isdecimal()', "startswith(('a', 'H'))", "endswith('')",
  "find('')", "count('')", "split('')", 'join(l)', "index('zz')", 'splitlines(true)', "center(13, 'ab')", 'index(2, 1)', "count('a')", 'sort(reverse=true)',
  "update({'z': 1})", 'popitem()', "get('a', 0)", "setdefault('a')", '__len__()', "rpartition(',')", "translate({97: 'A'})", 'title()', 'encode()',
];
const SUBSCRIPTS = ['[0]', '[-1]', '[1]', '[1:]', '[:2]', '[::2]', '[::-1]', '[-2:]', "['a']", '.a', '[5]', '[1:-1]', '[0:0]'];
const FORMATS = ["'%s' % X", "'%d' % X", "'%.2f' % X", "'%r' % (X,)", "'%5s|' % X", "'%-4d|' % X", "'%x' % X", "'%s-%s' % (X, X)", "'{}'.format(X)", "'{!r}'.format(X)", "'{:>6}'.format(X)", "'{:.1f}'.format(X)"];

class Gen {
  constructor(private readonly r: () => number) {}
  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.r() * xs.length)]!;
  }
  chance(p: number): boolean {
    return this.r() < p;
  }
  atom(): string {
    const k = this.r();
    return k < 0.55 ? this.pick(NAMES) : k < 0.9 ? this.pick(LITERALS) : this.pick(CALLS);
  }
  expr(depth: number): string {
    if (depth <= 0) return this.atom();
    const k = this.r();
    const sub = () => this.expr(depth - 1);
    if (k < 0.18) {
      const op = this.pick(BINARY);
      // repetition and powers stay small in Python too; a negative base under a fractional
      // power would be a complex number (Python's, which tx leaves out: it raises there)
      if (op === '*') return this.chance(0.5) ? `(${sub()} * ${this.pick(SMALL)})` : `(${this.pick(SMALL)} * ${sub()})`;
      if (op === '**') return this.chance(0.5) ? `(${sub()} ** ${this.pick(SMALL)})` : `(${this.pick(BASES)} ** ${this.pick(EXPONENTS)})`;
      return `(${sub()} ${op} ${sub()})`;
    }
    if (k < 0.36) return `(${sub()} | ${this.pick(FILTERS)})`;
    if (k < 0.46) return `(${sub()} is ${this.chance(0.2) ? 'not ' : ''}${this.pick(TESTS)})`;
    if (k < 0.58) return `${this.pick(NAMES)}.${this.pick(METHODS)}`;
    if (k < 0.68) return `${this.chance(0.5) ? this.pick(NAMES) : `(${sub()})`}${this.pick(SUBSCRIPTS)}`;
    if (k < 0.74) return `(${sub()} if ${sub()} else ${sub()})`;
    if (k < 0.8) return this.pick(FORMATS).replace(/X/g, () => sub());
    if (k < 0.85) return `(${this.pick(['-', 'not ', '+'])}${sub()})`;
    if (k < 0.9) return `[${sub()}, ${sub()}]`;
    if (k < 0.93) return `{${this.pick(["'k'", '1', 'n', 's'])}: ${sub()}}`;
    if (k < 0.96) return `range(${this.pick(SMALL)}, ${this.pick(['4', '5', '-2'])}) | list`;
    return `(${sub()}, ${sub()})`;
  }
  template(): string {
    const e = () => this.expr(1 + Math.floor(this.r() * 3));
    const k = this.r();
    if (k < 0.55) return `{{ ${e()} }}`;
    if (k < 0.65) return `{% if ${e()} %}yes{% elif ${e()} %}elif{% else %}no{% endif %}`;
    if (k < 0.75) return `{% for x in ${e()} %}{{ loop.index }}:{{ x }}{% if not loop.last %},{% endif %}{% else %}empty{% endfor %}`;
    if (k < 0.83) return `{% set v = ${e()} %}{{ v }}|{{ v | string | length }}`;
    if (k < 0.9) return `{% macro m(a, b=${this.atom()}) %}[{{ a }}|{{ b }}|{{ varargs }}|{{ kwargs }}]{% endmacro %}{{ dbt_macro__m(${e()}${this.chance(0.5) ? `, b=${e()}` : ''}${this.chance(0.3) ? `, ${e()}` : ''}) }}`;
    if (k < 0.95) return `{% set ns = namespace(acc=${e()}) %}{% for i in range(2) %}{% set ns.acc = ns.acc ~ i %}{% endfor %}{{ ns.acc }}`;
    if (k < 0.97) return `{%- filter upper -%} {{ ${e()} }} {%- endfilter %}|{{ ${e()} }}`;
    return this.statement(e);
  }
  /** Loops, their variables, unpacking, with, call and set blocks, whitespace control. */
  statement(e: () => string): string {
    const k = this.r();
    if (k < 0.2) return `{% for x in ${e()} %}{{ loop.index0 }}{{ loop.revindex }}{{ loop.first }}{{ loop.length }}{{ loop.cycle('a', 'b') }}{{ loop.changed(x) }}[{{ loop.previtem }}|{{ loop.nextitem }}]{% endfor %}`;
    if (k < 0.3) return `{% for a, b in ${e()} %}{{ a }}={{ b }};{% else %}none{% endfor %}`;
    if (k < 0.4) return `{% for x in ${e()} if x %}{{ x }}{% if loop.last %}.{% endif %}{% endfor %}`;
    if (k < 0.5) return `{% for x in ${e()} recursive %}<{{ x }}{% if x is iterable and x is not string %}{{ loop(x) }}{% endif %}>{{ loop.depth }}{% endfor %}`;
    if (k < 0.6) return `{% with a = ${e()}, b = ${e()} %}{{ a }}|{{ b }}{% endwith %}`;
    if (k < 0.7) return `{% macro w(v) %}<{{ caller(v) }}>{% endmacro %}{% call(x) dbt_macro__w(${e()}) %}[{{ x }}]{% endcall %}`;
    if (k < 0.8) return `{% set a, b = ${e()} %}{{ a }}/{{ b }}`;
    if (k < 0.9) return `{% set blk | trim %}  {{ ${e()} }}  {% endset %}[{{ blk }}]`;
    return `a  {{- ${e()} -}}  b\n  {%- if ${e()} %} c {% endif -%}\n d {# c #} {{ ${e()} }}`;
  }
}

/** `count` random templates from `seed`, as cases of part 1. */
export function fuzzCases(count = Number(process.env.TX_DIFF_FUZZ ?? FUZZ_CASES), seed = Number(process.env.TX_DIFF_FUZZ_SEED ?? 20261208)): Case[] {
  const g = new Gen(seededRandom(seed));
  const cases: Case[] = [];
  for (let i = 0; i < count; i++) cases.push({ id: `fuzz:${i}`, part: 1, name: 'fuzz.sql', source: g.template(), context: CONTEXT });
  return cases;
}
