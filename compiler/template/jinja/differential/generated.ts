/**
 * Part 1 of the corpus: generated templates covering each construct of the Jinja2 language, the
 * Python value semantics, every built-in filter and test, the dbt globals and error cases.
 * Only templates and inputs live here; what they render to comes from jinja2 in the same run.
 *
 * Avoided on purpose (not deterministic in Python itself): printing a set of strings (hash
 * order), `random`, `lipsum`, `now()`, run_started_at, invocation_id, printing functions.
 */
import { py, type Encoded } from './codec.js';
import type { Case } from './corpus.js';

type Ctx = Record<string, Encoded>;

/** Values handed in through the context, shared by many cases. */
export const SHARED: Ctx = {
  s: 'Hello World',
  e: '',
  u: 'naïve café – 日本語 🎉',
  sp: '  padded  ',
  n: 42,
  neg: -7,
  z: 0,
  f: 3.75,
  fi: py.float(2),
  big: 12345678901,
  t: true,
  no: false,
  nil: null,
  l: [3, 1, 2],
  ls: ['b', 'a', 'C', 'a'],
  el: [],
  nested: { a: [1, { b: [2, 3] }], c: { d: null } },
  d: { b: 2, a: 1, c: 3 },
  ed: {},
  tup: py.tuple(1, 'two', 3.5),
  tup1: py.tuple(1),
  intkeys: py.dict([2, 'two'], [1, 'one']),
  obj: py.obj({ name: 'x', size: 3 }),
  users: [
    { name: 'ann', age: 31, city: 'Oslo', admin: true },
    { name: 'bob', age: 25, city: 'Rome', admin: false },
    { name: 'cid', age: 31, city: 'Oslo', admin: false },
    { name: 'dee', age: 19, city: 'Bern', admin: true },
  ],
  words: 'the quick brown fox jumps over the lazy dog',
  html: '<a href="x">Tom & \'Jerry\'</a>',
  multi: 'line one\nline two\n\nline four',
  num_s: '42',
  flt_s: '3.5',
  sets: py.set(3, 1, 2),
};

export function generatedCases(): Case[] {
  const cases: Case[] = [];
  const seen = new Set<string>();
  const add = (group: string, source: string, context?: Ctx): void => {
    let id = `gen:${group}:${cases.filter((c) => c.id.startsWith(`gen:${group}:`)).length}`;
    while (seen.has(id)) id += "'";
    seen.add(id);
    cases.push({ id, part: 1, source, name: `${group}.sql`, context: { ...SHARED, ...(context ?? {}) } });
  };
  const exprs = (group: string, list: string[]): void => {
    for (const x of list) add(group, `{{ ${x} }}`);
  };

  // ------------------------------------------------------------------ literals and rendering
  exprs('literal', [
    '1', '-1', '0', '1.0', '1.5', '-0.0', '1e3', '1E-3', '1_000', '0.1 + 0.2', '1/3', '2/3', '10/4', '1e100', '1e16',
    '1e-5', '123456789.123', '0.000123', '100.0', '12345678901234567890', "'a'", '"b"', "'it\\'s'", '"say \\"hi\\""',
    "'tab\\there'", "'nl\\nhere'", "'uni: \\u00e9'", 'true', 'false', 'True', 'False', 'none', 'None', '[]', '[1]',
    '[1, 2, 3]', "['a', 'b']", "[1, 'a', none, true, 1.5]", '[[1, 2], [3]]', '()', '(1,)', '(1, 2)', "('a', ('b', 'c'))",
    '{}', "{'a': 1}", "{'a': 1, 'b': [1, 2], 'c': {'d': none}}", '{1: 2, 3: 4}', "{'x': (1, 2)}", "{'q': \"it's\"}",
    "{'q': 'say \"x\"'}", "['it\\'s', \"a\\\"b\"]", "['\\n', '\\t', '\\\\']", "['é', '日本']", '[1.0, 2.50, -0.5]',
    "[true, false, none]", '(1, 2,)', '[1, 2,]', "{'a': 1,}", "'a' 'b'", '1 if true', '1 if false',
    "'x' if none else 'y'", '(1)', '((1, 2))', '-(-3)', '+3', 'not true', 'not none', 'not 0', "not ''",
  ]);
  exprs('ctxval', [
    's', 'e', 'u', 'sp', 'n', 'neg', 'z', 'f', 'fi', 'big', 't', 'no', 'nil', 'l', 'ls', 'el', 'nested', 'd', 'ed', 'tup',
    'tup1', 'intkeys', 'obj', 'users[0]', 'nested.a', 'nested.a[1].b', 'nested.c.d', 'nested["a"][1]["b"][-1]',
    'obj.name', "obj['size']", 'd.a', 'd.keys is callable', "d['zz']", 'd.zz', 'tup[1]', 'intkeys[1]', 'intkeys[2]', 'sets|sort',
    'sets|length', '2 in sets', '5 in sets', 'html', 'multi', 'num_s', 'flt_s', 'undefined_name', 'undefined_name.attr',
  ]);

  // ------------------------------------------------------------------ arithmetic and operators
  exprs('arith', [
    '1 + 2', '1 + 2.0', '1.5 + 1.5', '7 - 10', '3 * 4', '3 * 4.0', '2.5 * 2', '7 / 2', '8 / 2', '-7 / 2', '7 // 2',
    '-7 // 2', '7 // -2', '7.5 // 2', '-7.5 // 2', '7 % 3', '-7 % 3', '7 % -3', '7.5 % 2', '-7.5 % 2', '2 ** 10', '2 ** -1',
    '2 ** 0.5', '(-8) ** 2', '-2 ** 2', '2 ** 3 ** 2', '10 ** 20', '2 ** 64', '9007199254740993 + 0', '1 + 2 * 3',
    '(1 + 2) * 3', '10 - 2 - 3', '100 / 10 / 5', '2 * -3', 'n + neg', 'n / z if z else "div0"', 'f * 2', 'fi * 2',
    'fi + 1', 'fi / 2', 'big * 1000', 'n // 5', 'n % 5', '0.1 * 3', '1 / 7', '22 / 7', '1e308 * 10', '-1e308 * 10',
    '3.0 // 1', '3 // 1.0', '5 % 2.5', "'ab' * 3", "3 * 'ab'", "'ab' * 0", "'ab' * -1", '[1, 2] * 2', '[0] * 3',
    "'a' + 'b'", '[1] + [2, 3]', '(1,) + (2,)', "'a' ~ 1 ~ none ~ true ~ 1.0", "1 ~ 2", "'x' ~ [1, 'a']", "l ~ d",
    "'%s' % 'x'", "'%s and %s' % ('a', 'b')", "'%d' % 3.9", "'%5d|' % 42", "'%-5d|' % 42", "'%05d' % 42", "'%.2f' % 3.14159",
    "'%10.3f|' % 3.14159", "'%e' % 12345.678", "'%g' % 0.00001", "'%g' % 123456789", "'%x' % 255", "'%X' % 255", "'%o' % 8",
    "'%r' % 'x'", "'%r' % [1, 'a']", "'%s' % [1, 'a']", "'%s' % none", "'%s' % true", "'%i%%' % 50", "'%c' % 65",
    "'%(a)s-%(b)s' % {'a': 1, 'b': 2}", "'%s' % (1,)", "'%s' % ((1, 2),)", "'%+d' % 5", "'% d' % 5", "'%.3s' % 'abcdef'",
    "'%s %s' % ('only',)", "'%d' % 'x'", "'%s' % 1.0", "'%s' % 1e20", "'%.0f' % 2.5", "'%.0f' % 3.5", "'%5s|%-5s|' % ('a', 'b')",
  ]);
  exprs('compare', [
    '1 == 1', '1 == 1.0', "1 == '1'", '1 != 2', '1 < 2', '2 <= 2', '3 > 2', '3 >= 4', '1 < 2 < 3', '1 < 3 < 2',
    '1 == 1 == 1', '1 < 2 > 1', "'a' < 'b'", "'B' < 'a'", "'abc' < 'abd'", '[1, 2] < [1, 3]', '[1, 2] == [1, 2]',
    '(1, 2) == [1, 2]', "{'a': 1} == {'a': 1}", 'none == none', 'none == false', '0 == false', '1 == true', 'true + true',
    "1 < 'a'", 'none < 1', '1 in [1, 2]', '3 not in [1, 2]', "'a' in 'cat'", "'' in 'cat'", "'x' not in 'cat'", "'a' in {'a': 1}",
    "1 in {'a': 1}", '1 in (1, 2)', "'ell' in s", 'not 1 in [1]', 'not (1 in [1])', 'true and false', 'true or false',
    "0 or 'x'", "'' or none", "1 and 'y'", "0 and 'y'", "none or []", "[] or {}", "'a' and 'b' or 'c'", 'not 1 == 2',
    '1 if 1 > 2 else 2', "'yes' if l else 'no'", "'yes' if el else 'no'", "'yes' if ed else 'no'", "'yes' if e else 'no'",
    "'yes' if z else 'no'", "'yes' if nil else 'no'", "'yes' if undefined_name else 'no'", "'yes' if 0.0 else 'no'",
    "'yes' if tup else 'no'", "'yes' if '0' else 'no'", "'yes' if ' ' else 'no'",
  ]);
  exprs('subscript', [
    "'hello'[0]", "'hello'[-1]", "'hello'[1:3]", "'hello'[::-1]", "'hello'[::2]", "'hello'[1:]", "'hello'[:-2]",
    "'hello'[-3:-1]", "'hello'[10:]", "'hello'[5]", "'hello'[-6]", '[1, 2, 3, 4, 5][1:4]', '[1, 2, 3, 4, 5][::2]',
    '[1, 2, 3, 4, 5][::-2]', '[1, 2, 3, 4, 5][4:1:-1]', '[1, 2, 3, 4, 5][-2:]', '[1, 2, 3][5]', '[1, 2, 3][-1]',
    '[1, 2, 3][-4]', '(1, 2, 3)[1:]', '(1, 2, 3)[::-1]', 'l[0]', 'l[-1]', 'l[1:]', 'ls[::-1]', 'u[0]', 'u[-1]', 'u[:5]',
    'u[::-1]', 'd["a"]', "d['missing']", "d.get('a')", "d.get('missing')", "d.get('missing', 'dflt')", 'users[1].name',
    "users[1]['age']", 'users[9].name', "'abc'[1:2:1]", '[1, 2, 3][0:0]', "'abcdef'[-100:100]", "'abc'.upper()[1]",
    'l[1.0]', "l['a']", 'none[0]', '[[1, 2], [3, 4]][1][0]', "{'a': {'b': 'c'}}.a.b", "{'a': {'b': 'c'}}['a']['b']",
    "{'items': 1}['items']", "{'items': 1}.items is callable", "{'keys': 5}.keys is callable", "{'nokey': 5}.nokey", '"abc".length', "'abcdef'[1:5:2]",
  ]);

  // ------------------------------------------------------------------ constant folding (found by fuzz.ts)
  // jinja2 evaluates a constant expression as it compiles: a constant slice goes through getitem
  // (a failed one is undefined), a `{{ }}` of a constant prints whatever its value, a folded
  // negative number before `**` is written `-2` into Python source (so -(2 ** x)), and an infinite
  // float is written `inf` (a NameError where it runs)
  exprs('fold', [
    '(2)[0:0]', '(1.5)[1:]', 'none[1:]', 'true[:2]', "({'a': 1})[::-1]", '((2)[0:0] is defined) ~ f', '((2)[1:] | string) ~ 1',
    '[(2)[0:0] is undefined, 1]', '(true and (2)[1:]) is defined', '(false)[1:-1] is true', '((false is le(3)) in (2)[::2])',
    '-2 ** fi', '(-2) ** fi', '(0 - 2) ** fi', '-2.5 ** fi', '-2 ** 2', '(-1) ** n', '-1 ** -1', '(-1)|abs ** fi',
    '1e400', '1e400 + 1', '[1e400]', '(1e400).hex()', 'fi + 1e400', '(1e400 - 1e400)', 'n[0:0]', 'l[u:]',
  ]);
  add('fold', '{% set z = 0 %}{{ -0.0 ** z }}|{{ -0.0 ** 0 }}');
  add('fold', '{% set v = (2)[0:0] %}{{ v }}');
  add('fold', '{% set x = [1e400] %}{{ x }}');
  add('fold', '{% set y = 1e400 - 1e400 %}{{ y }}');
  add('fold', '{% for i in range(2) %}{% set x = [1] %}{% do x.append(i) %}{{ x }}{% endfor %}');
  add('fold', '{% macro m(b=[], c={}) %}{% do b.append(1) %}{% do c.update({1: 2}) %}{{ b }}{{ c }}{% endmacro %}{{ dbt_macro__m() }}{{ dbt_macro__m() }}');
  add('fold', '{% if (2)[0:0] is defined %}a{% else %}b{% endif %}|{{ 1 if false }}|{{ false and undefined_name }}');
  exprs('undefop', [
    "'abc' % undefined_name", "'abc' % range(3)", "'%(a)s' % range(3)", "'%(a)s' % undefined_name", "'%x' % undefined_name", "'%o' % undefined_name",
    "'%X' % undefined_name", "'%c' % undefined_name", "'%d' % undefined_name", "'%y' % undefined_name", "'%r' % undefined_name",
    "undefined_name in 'Hello'", "undefined_name is in('abc')", 'undefined_name in [1]', "'a' in undefined_name", '(1, 2)[undefined_name]',
    'd[undefined_name]', "'ab'[undefined_name]", "undefined_name | replace('', '-')", "'' | replace('', '-')", "'ab' | replace('', '-')",
  ]);
  exprs('bigdiv', [
    '1 / -(3 ** 42)', '(3 ** 42) / 7', '(10 ** 30) / (3 ** 20)', '(2 ** 60 + 1) / 3', '(10 ** 400) / 3', '1 / (10 ** 400)', '(10 ** 400) / (10 ** 399)',
    '-(2 ** 70) / 3', '(2 ** 53 + 1) / 1', '12345678901234567890123 / 98765432109876543', '7 / (10 ** 330)', 'true / ((0 - 3) ** n)',
  ]);
  exprs('bigfmt', [
    "''.encode() | last | string", "'ab'.encode() | last", "'ab'.encode() | first", "'ab'.encode() | reverse | list", "'ab'.encode() | sort",
    '(3 ** 42) | tojson', '{(3 ** 42): 1} | tojson', '[-(3 ** 42)] | tojson', "'%d' % (3 ** 42)", "'%05d|%-30d|%+d' % (3 ** 42, -(3 ** 42), 3 ** 42)",
    "'%x' % (3 ** 42)", "'%#X' % -(3 ** 42)", "'%o' % (3 ** 42)", "'%.3e' % (3 ** 42)", "'%f' % (10 ** 400)", "'%c' % (3 ** 42)", "'%.30d' % (3 ** 42)",
  ]);
  exprs('bytesint', [
    "-1 * 'q'.encode()[0:0]", "'ab'.encode() * 2", "2 * 'ab'.encode()", "'a'.encode() + 'b'.encode()", "'a'.encode() + 'b'", '(-1 * false) | float', '-1 * 0',
    "'{:.1f}'.format(false * -1)", '0 * -2.5', "'{:>25}'.format(12345678901 ** 2)", "'{:,}'.format(3 ** 42)", "'{:x}'.format(-(3 ** 42))",
    "'{:.3e}'.format(3 ** 42)", "'{:c}'.format(3 ** 42)", '((0 - 3) ** 42) is integer', "'{:_b}'.format(2 ** 60)",
  ]);
  add('bytesint', "{% if ''.encode() %}y{% else %}n{% endif %}|{% if 'a'.encode() %}y{% endif %}");
  exprs('bytesint', ['+(3 ** n)', '-(3 ** n)', "'1.5'.encode() | float", "' 2 '.encode() | float", "'x'.encode() | float", "'é'.encode() | float(7)",
    "'a\\nb'.encode() | filesizeformat(true)", "'2048'.encode() | filesizeformat", '(3 ** 42) | float', '(10 ** 400) | float', '(3 ** 42) | filesizeformat']);
  exprs('bytesint', ["'%r' % (n,) % u.encode()", "u.encode() | wordwrap(5)", "'' .encode() | wordwrap(5)", "'%(a)s' % 'a'.encode()"]);
  exprs('hostops', [
    '-modules.datetime.timedelta(days=3, hours=4)', '+modules.datetime.timedelta(days=3, hours=4)', 'modules.datetime.timedelta(days=-1) | abs',
    '(-(3 ** 42)) | abs', "'{:.1f}'.format(modules.datetime.date(2024, 1, 31))", "'{:%Y/%m}'.format(modules.datetime.date(2024, 1, 31))",
    "'{:%H:%M}'.format(modules.datetime.datetime(2024, 1, 31, 5, 6))", "'{:%H}'.format(modules.datetime.time(7, 8))", "'{:>5}'.format(modules.datetime.timedelta(days=1))",
    "'{}'.format(modules.datetime.timedelta(days=1))", '-modules.datetime.date(2024, 1, 1)', "'{:%Y}'.format(modules.datetime.datetime(2024, 1, 31)) ~ '!'",
  ]);
  exprs('bigint', [
    "local_md5('x') | int(0, 16)", "'-ffffffffffffffffffff' | int(0, 16)", "'123456789012345678901234567890' | int", '(3 ** 42) | int', "'0x' ~ local_md5('x') | int(0, 0)",
    "'1_000_000_000_000_000_000' | int",
  ]);
  exprs('truncseq', [
    "range(1, 5) | list | truncate(3, false, '', 0)", "range(1, 5) | list | truncate(3, true, '', 0)", "(1, 2, 3, 4, 5) | truncate(3, true, '', 0)",
    "range(9) | truncate(3, false, '', 0)", "{'a': 1, 'b': 2, 'c': 3, 'd': 4} | truncate(3, false, '', 0)", "range(9) | truncate(3, true, '', 0)",
  ]);
  exprs('bytesmarkup', [
    "'a,b'.encode() | list", "'ab'.encode() | sum(start=10)", "'ab'.encode() is sequence", "'abc'.encode()[1]", "'abc'.encode()[-1]",
    "'abc'.encode()[1:]", "'abcd'.encode()[::2]", "'abc'.encode()[5]", "'abc'.encode() | length", "('<a>' | escape)[0]",
    "(('<a>' | escape)[0],)", "(('<a>' | escape)[1:],)",
    '(2.0).hex()', '(-0.5).hex()', '(0.0).hex()', '(-0.0).hex()', '(0.1).hex()', '(5e-324).hex()', '(1e308).hex()',
    '(0.1).as_integer_ratio()', '(-0.5).as_integer_ratio()', '(0.0).as_integer_ratio()', '(1e300).as_integer_ratio()', '(3.0).as_integer_ratio()',
    "(1.5).hex(1)", 'f.as_integer_ratio()', 'fi.hex()',
  ]);

  // ------------------------------------------------------------------ str methods
  const strMethods = [
    "s.upper()", "s.lower()", "s.title()", "'hello world'.capitalize()", "s.swapcase()", "'ß'.upper()", "'İ'.lower()",
    "'ǅ'.title()", "'hello  wORLD'.title()", "\"they're bill's\".title()", "s.casefold()", "sp.strip()", "sp.lstrip()",
    "sp.rstrip()", "'xxhixx'.strip('x')", "'abcba'.strip('ab')", "' \\t\\n x \\n'.strip()", "s.startswith('Hell')",
    "s.startswith(('a', 'H'))", "s.endswith('ld')", "s.endswith('x')", "s.startswith('World', 6)", "s.find('o')",
    "s.find('o', 5)", "s.find('z')", "s.rfind('o')", "s.index('W')", "s.index('z')", "s.rindex('l')", "s.count('l')",
    "s.count('')", "s.replace('l', 'L')", "s.replace('l', 'L', 2)", "s.replace('', '-')", "'a.b.c'.split('.')",
    "'a.b.c'.split('.', 1)", "'a b  c'.split()", "'a b  c'.split(' ')", "'  a b '.split()", "''.split()", "''.split(',')",
    "'a,b,,c'.split(',')", "'a.b.c'.rsplit('.', 1)", "'l1\\nl2\\r\\nl3'.splitlines()", "'l1\\nl2\\n'.splitlines(true)",
    "', '.join(['a', 'b'])", "''.join(ls)", "'-'.join('abc')", "', '.join([])", "'x'.join(('1', '2'))", "s.partition(' ')",
    "s.rpartition('o')", "s.partition('z')", "'abc'.center(9)", "'abc'.center(8, '*')", "'abc'.ljust(6, '.')",
    "'abc'.rjust(6)", "'42'.zfill(5)", "'-42'.zfill(5)", "'abc'.isalpha()", "'abc1'.isalnum()", "'123'.isdigit()",
    "'12.3'.isdigit()", "'  '.isspace()", "'abc'.islower()", "'ABC'.isupper()", "'Title Case'.istitle()",
    "'abc'.isidentifier()", "'١٢٣'.isdecimal()", "'123'.isnumeric()", "''.isalpha()", "'a\\tb'.expandtabs(4)",
    "'{} and {}'.format(1, 'b')", "'{0}{1}{0}'.format('a', 'b')", "'{x}-{y}'.format(x=1, y=2)", "'{:>5}|'.format('ab')",
    "'{:<5}|'.format('ab')", "'{:^7}|'.format('ab')", "'{:*^7}'.format('ab')", "'{:.2f}'.format(3.14159)", "'{:,}'.format(1234567)",
    "'{:05d}'.format(42)", "'{:x}'.format(255)", "'{:b}'.format(5)", "'{:e}'.format(1234.5)", "'{:%}'.format(0.25)",
    "'{!r}'.format('a')", "'{0[0]}'.format(['z'])", "'{0[k]}'.format({'k': 'v'})", "'{{}} {}'.format(1)",
    "'{:+d}'.format(3)", "'{:10.3f}|'.format(2.5)", "'{}'.format(none)", "'{}'.format([1, 'a'])", "'{}'.format(1.0)",
    "'{:>{w}}'.format('a', w=4)", "'{}'.format(true)", "'{:d}'.format('x')", "'{} {}'.format(1)", "'{name}'.format()",
    "'abc'.encode('utf-8')", "'hello'.removeprefix('he')", "'hello'.removesuffix('lo')", "'Hello'.__len__()",
    "'a-b'.translate({45: 95})", "s.lower().replace(' ', '_').upper()", "u.upper()", "u.title()", "u.split(' ')", "u.find('日')",
    "'%s|%s'.__mod__(('a', 'b'))", "'abc'.startswith('')", "'ab'.ljust(1)", "'a'.center(4)", "'ab'.center(5)",
  ];
  exprs('strmethod', strMethods);

  // ------------------------------------------------------------------ list / dict methods (through do and set)
  const stmts = (group: string, list: string[]): void => {
    for (const x of list) add(group, x);
  };
  stmts('listmethod', [
    '{% set x = [1, 2] %}{% do x.append(3) %}{{ x }}',
    '{% set x = [1, 2] %}{{ x.append(3) }}{{ x }}',
    '{% set x = [1] %}{% do x.extend([2, 3]) %}{{ x }}',
    '{% set x = [1] %}{% do x.extend((4, 5)) %}{% do x.extend("ab") %}{{ x }}',
    '{% set x = [1, 2, 3] %}{{ x.pop() }} {{ x }}',
    '{% set x = [1, 2, 3] %}{{ x.pop(0) }} {{ x }}',
    '{% set x = [1, 2, 3] %}{{ x.pop(-2) }} {{ x }}',
    '{% set x = [] %}{{ x.pop() }}',
    '{% set x = [1, 2, 3] %}{% do x.insert(1, "a") %}{% do x.insert(-1, "b") %}{% do x.insert(99, "c") %}{{ x }}',
    '{% set x = [1, 2, 1] %}{% do x.remove(1) %}{{ x }}',
    '{% set x = [1, 2] %}{% do x.remove(5) %}{{ x }}',
    '{% set x = [3, 1, 2] %}{% do x.sort() %}{{ x }}',
    '{% set x = [3, 1, 2] %}{% do x.sort(reverse=true) %}{{ x }}',
    '{% set x = ["b", "A", "c"] %}{% do x.sort() %}{{ x }}',
    '{% set x = [3, 1, 2] %}{% do x.reverse() %}{{ x }}',
    '{% set x = [1, 2, 2, 3] %}{{ x.count(2) }} {{ x.index(2) }} {{ x.index(3) }}',
    '{% set x = [1, 2] %}{{ x.index(9) }}',
    '{% set x = [1, 2] %}{% set y = x.copy() %}{% do y.append(3) %}{{ x }} {{ y }}',
    '{% set x = [1, 2] %}{% do x.clear() %}{{ x }}',
    '{% set x = [1, [2]] %}{% set y = x %}{% do y.append(3) %}{{ x }}',
    '{% set x = [] %}{% for i in range(3) %}{% do x.append(i * i) %}{% endfor %}{{ x }}',
    '{% set x = [] %}{% for i in range(3) %}{% set _ = x.append(i) %}{% endfor %}{{ x | join(",") }}',
    '{{ [1, 2, 3].__len__() }}',
    '{% set x = [1, 2] %}{{ x + [3] }} {{ x }}',
    '{% set x = [1, 2, 3] %}{% set x = x[1:] %}{{ x }}',
    '{{ (1, 2, 1).count(1) }} {{ (1, 2).index(2) }}',
    '{% set x = [[2, "b"], [1, "a"]] %}{% do x.sort() %}{{ x }}',
    '{% set x = [1, "a"] %}{% do x.sort() %}{{ x }}',
  ]);
  stmts('dictmethod', [
    "{% set x = {'a': 1} %}{% do x.update({'b': 2}) %}{{ x }}",
    "{% set x = {'a': 1} %}{% do x.update(c=3) %}{{ x }}",
    "{% set x = {'a': 1} %}{% do x.update([('z', 0)]) %}{{ x }}",
    "{% set x = {'a': 1, 'b': 2} %}{{ x.pop('a') }} {{ x }}",
    "{% set x = {'a': 1} %}{{ x.pop('z', 'dflt') }}",
    "{% set x = {'a': 1} %}{{ x.pop('z') }}",
    "{% set x = {'a': 1} %}{{ x.setdefault('a', 5) }} {{ x.setdefault('b', 6) }} {{ x }}",
    "{% set x = {'a': 1} %}{{ x.get('a') }} {{ x.get('b') }} {{ x.get('b', 0) }}",
    "{% set x = {'b': 1, 'a': 2} %}{{ x.keys() }}",
    "{% set x = {'b': 1, 'a': 2} %}{{ x.values() }}",
    "{% set x = {'b': 1, 'a': 2} %}{{ x.items() }}",
    "{% set x = {'b': 1, 'a': 2} %}{{ x.keys() | list }} {{ x.values() | list }} {{ x.items() | list }}",
    "{% set x = {'b': 1, 'a': 2} %}{% for k, v in x.items() %}{{ k }}={{ v }};{% endfor %}",
    "{% set x = {'b': 1, 'a': 2} %}{% for k in x %}{{ k }};{% endfor %}",
    "{% set x = {'a': 1} %}{% set y = x.copy() %}{% do y.update({'b': 2}) %}{{ x }} {{ y }}",
    "{% set x = {'a': 1} %}{% do x.clear() %}{{ x }}",
    "{% set x = {'a': 1, 'b': 2} %}{{ x.popitem() }} {{ x }}",
    "{% set x = {} %}{% do x.__setitem__('k', 'v') %}{{ x }}",
    "{{ {'a': 1} | length }} {{ {'a': 1}['a'] }}",
    "{% set x = {'a': 1} %}{% set x2 = dict(x, b=2) %}{{ x2 }}",
    "{{ dict(a=1, b='2') }} {{ dict() }} {{ dict([('k', 'v')]) }}",
    "{% set x = {} %}{% for u in users %}{% do x.update({u.name: u.age}) %}{% endfor %}{{ x }}",
    "{% set k = 'dyn' %}{{ {k: 1, 'k': 2} }}",
    "{% set k = 'dyn' %}{{ {k ~ '_x': 1, (1, 2): 'tuple key', none: 0, true: 'b', 1.5: 'f'} }}",
    "{{ {'a': 1, 'a': 2} }}",
    "{{ {1: 'a', 1.0: 'b', true: 'c'} }}",
    "{{ d | dictsort }} {{ d.a }} {{ d['b'] }}",
    "{{ intkeys.items() | list }} {{ intkeys | dictsort }}",
    "{{ obj.keys() | list }} {{ obj.items() | list }}",
    "[{{ fromkeys }}]{{ dict.fromkeys is callable }}",
    "{{ {'a': 1}.nope }}|{{ {'a': 1}.nope() }}",
  ]);

  // ------------------------------------------------------------------ filters
  exprs('filter', [
    '-3|abs', '-3.5|abs', '3|abs', "users[0]|attr('name')", "users[0]|attr('nope')", "obj|attr('name')",
    'range(7)|batch(3)|list', "range(7)|batch(3, 'x')|list", "'hello WORLD'|capitalize", "'abc'|center(9)", "'abc'|center",
    "l|count", "s|count", "undefined_name|default('dflt')", "none|default('dflt')", "''|default('dflt')", "''|default('dflt', true)",
    "0|d('x', true)", "undefined_name|d", "d|dictsort", "d|dictsort(reverse=true)", "d|dictsort(by='value')",
    "{'b': 'B', 'a': 'a', 'C': 'c'}|dictsort", "{'b': 'B', 'a': 'a', 'C': 'c'}|dictsort(true)", "html|e", "html|escape",
    "html|forceescape", "'x'|e|e", "1|e", "none|e", "1000|filesizeformat", "1000000|filesizeformat", "1024|filesizeformat(true)",
    "123456789012|filesizeformat", "1|filesizeformat", "0|filesizeformat", "1.5|filesizeformat", "l|first", "el|first", "s|first",
    "'3.7'|float", "'x'|float", "'x'|float(1.5)", "3|float", "none|float", "'1e3'|float", "'%s-%s'|format(1, 2)",
    "'%(a)s'|format(a=1)", "users|groupby('city')", "users|groupby('city')|map(attribute='grouper')|list",
    "users|groupby('age')|list", "users|groupby('city', default='?')|list", "multi|indent", "multi|indent(2, true)",
    "multi|indent(width='> ')", "multi|indent(4, first=true, blank=true)", "'42'|int", "'42.9'|int", "'x'|int", "'x'|int(7)",
    "'0x1A'|int(0, 16)", "'0b101'|int(base=2)", "'1_000'|int", "3.99|int", "-3.99|int", "true|int", "none|int", "' 12 '|int",
    "d|items|list", "none|items|list", "ls|join", "ls|join(', ')", "users|join(', ', attribute='name')", "[1, 2]|join('-')",
    "l|last", "s|last", "el|last", "l|length", "s|length", "d|length", "u|length", "undefined_name|length", "s|list",
    "d|list", "tup|list", "range(3)|list", "'ABC'|lower", "users|map(attribute='name')|list", "ls|map('upper')|list",
    "users|map(attribute='missing', default='-')|list", "l|map('string')|list", "[1, -2]|map('abs')|list", "l|max", "l|min",
    "ls|max", "ls|min", "ls|max(case_sensitive=true)", "users|max(attribute='age')", "users|min(attribute='age')", "el|max",
    "d|pprint", "l|pprint", "s|pprint", "users|reject('none')|list|length", "l|reject('odd')|list", "users|rejectattr('admin')|map(attribute='name')|list",
    "users|rejectattr('age', 'lt', 30)|map(attribute='name')|list", "s|replace('o', '0')", "s|replace('o', '0', 1)",
    "'aaa'|replace('a', 'bb')", "l|reverse|list", "s|reverse", "tup|reverse|list", "3.14159|round", "3.14159|round(2)",
    "2.5|round", "3.5|round", "-2.5|round", "2.675|round(2)", "3.14159|round(2, 'floor')", "3.14159|round(2, 'ceil')",
    "42|round", "42|round(1, 'ceil')", "'<b>'|safe", "l|select('odd')|list", "l|select|list", "[0, 1, '', 'a', none]|select|list",
    "users|selectattr('admin')|map(attribute='name')|list", "users|selectattr('city', 'equalto', 'Oslo')|map(attribute='name')|list",
    "users|selectattr('age', '>', 20)|list|length", "range(10)|slice(3)|list", "range(10)|slice(3, 'x')|list", "l|sort",
    "l|sort(reverse=true)", "ls|sort", "ls|sort(case_sensitive=true)", "users|sort(attribute='age')|map(attribute='name')|list",
    "users|sort(attribute='age,name')|map(attribute='name')|list", "users|sort(attribute='city', reverse=true)|map(attribute='name')|list",
    "[3, 1.5, 2]|sort", "['b', 1]|sort", "1|string", "none|string", "l|string", "html|striptags", "'  a   b \\n c '|striptags",
    "l|sum", "[1.5, 2]|sum", "users|sum(attribute='age')", "l|sum(start=10)", "el|sum", "s|title", "'hello-world foo_bar'|title",
    "d|tojson", "'<&>'|tojson", "l|tojson", "{'b': [1, none, true, 1.5], 'a': 'é'}|tojson", "d|tojson(indent=2)", "sp|trim",
    "'xxaxx'|trim('x')", "words|truncate(10)", "words|truncate(10, true)", "words|truncate(20, false, '…')", "s|truncate(255)",
    "words|truncate(10, leeway=0)", "'abc'|upper", "'a b&c=d/é'|urlencode", "{'a': 'b c', 'd': 1}|urlencode", "[('k', 'v')]|urlencode",
    "'see https://example.com now'|urlize", "'mail me@example.com'|urlize", "'www.example.org'|urlize(10)", "words|wordcount",
    "''|wordcount", "words|wordwrap(12)", "words|wordwrap(12, wrapstring='|')", "'a verylongwordindeed b'|wordwrap(5)",
    "'a verylongwordindeed b'|wordwrap(5, false)", "{'class': 'x', 'id': none, 'data-v': 'a\"b'}|xmlattr",
    "{'class': 'x'}|xmlattr(false)", "ls|unique|list", "ls|unique(case_sensitive=true)|list", "users|unique(attribute='city')|map(attribute='name')|list",
    "'1'|as_bool", "'1'|as_number", "1|as_text", "'[1]'|as_native", "[1]|is_list", "'x'|is_list", "'a'|list|join('.')",
    "range(5)|map('string')|join", "s|lower|upper|reverse", "'%.1f'|format(2.25)", "[[1, 2], [3]]|sum(start=[])",
    "l|map('int')|sum", "users|map(attribute='age')|unique|sort|list", "'a,b'|split(',')",
    "[[1, 2], [3, 4]]|map(attribute='0')|list", "[[1, 2], [3, 4]]|map(attribute=1)|list", "users|map(attribute='name.0')|list",
    "users|sort(attribute='name.1')|map(attribute='name')|list", "users|sum(attribute='age')", "[{'a': {'b': 2}}, {'a': {'b': 3}}]|sum(attribute='a.b')",
    "[[2, 'b'], [1, 'a']]|groupby(0)|list", "users|selectattr('city', 'in', ['Oslo', 'Bern'])|map(attribute='name')|list",
    "[1, 2, 3, 2]|select('equalto', 2)|list", "[none, 1, none]|reject('sameas', none)|list", "['a', 'b']|map('replace', 'a', 'z')|list",
    "[none, 'x']|map('default', 'd')|list", "[['a', 'b'], ['c']]|map('join', ',')|list", "{'a': 1}|attr('a')", "users|map(attribute='nope')|list",
    "users|sort(attribute='nope')|length", "'abc'|batch(2)|list", "'abcde'|slice(2)|list", "words|truncate(9, leeway=0)", "words|truncate(12, end='')",
    "'a-very-long-hyphenated-word'|wordwrap(6, break_on_hyphens=false)", "'a-very-long-hyphenated-word'|wordwrap(6)",
    "{'a b': 1}|xmlattr", "'１２'|int", "' 1.5 '|float", "2.5|round(0, 'nope')", "users|unique(attribute='age')|map(attribute='name')|list",
    "['B', 'a', 'b']|unique|list", "['B', 'a']|min", "['B', 'a']|min(case_sensitive=true)", "[0, '', []]|map('default', 'd', true)|list",
    "[1, 2, 3]|select('in', [1, 3])|list", "[{'a': none}, {'a': 1}]|selectattr('a')|list|length", "[{'a': none}, {}]|map(attribute='a', default=0)|list",
  ]);
  stmts('filterblock', [
    '{% filter upper %}hello {{ s }}{% endfilter %}',
    '{% filter replace("a", "4")|upper %}banana{% endfilter %}',
    '{% filter indent(2) %}a\nb\n{% endfilter %}',
    '{% filter trim %}   x   {% endfilter %}|',
    '{% filter center(11) %}mid{% endfilter %}|',
    '{% filter truncate(5, true, "") %}abcdefghij{% endfilter %}',
    '{% filter title %}{% for w in ["ab", "cd"] %}{{ w }} {% endfor %}{% endfilter %}',
    '{% filter nope %}x{% endfilter %}',
    '{% set x %}{% filter lower %}ABC{% endfilter %}{% endset %}{{ x }}{{ x|length }}',
    '{% filter wordwrap(5) %}one two three four{% endfilter %}',
  ]);

  // ------------------------------------------------------------------ tests
  const testValues = ['0', '1', '-3', '2.5', '2.0', "''", "'abc'", "'ABC'", "'Abc'", 'none', 'true', 'false', '[]', '[1]', '(1,)', '{}',
    "{'a': 1}", 'undefined_name', 'range(2)', 'l', 'd', 'tup', 'f', 'fi', 'sets', 'obj', 'html|safe'];
  const unaryTests = ['defined', 'undefined', 'none', 'number', 'string', 'mapping', 'iterable', 'sequence', 'integer', 'float',
    'boolean', 'true', 'false', 'even', 'odd', 'lower', 'upper', 'callable', 'escaped'];
  for (const test of unaryTests) {
    add('test', `{% for v in [${testValues.filter((v) => v !== 'undefined_name').join(', ')}] %}{{ v is ${test} }},{% endfor %}|{{ undefined_name is ${test} }}`);
    add('test', `{% for v in [${testValues.filter((v) => v !== 'undefined_name').join(', ')}] %}{{ v is not ${test} }},{% endfor %}`);
  }
  exprs('test', [
    '6 is divisibleby(3)', '7 is divisibleby 3', '6.0 is divisibleby(4)', '1 is sameas(1)', 'none is sameas none', "'a' is sameas('a')",
    '[] is sameas([])', 'true is sameas(1)', '1 is eq 1', '1 is equalto(1.0)', "1 is == 1", '1 is ne 2', '1 is != 1', '1 is lt 2',
    '1 is < 2', '2 is le 2', '2 is <= 1', '3 is gt 2', '3 is > 4', '3 is greaterthan 2', '1 is lessthan 2', '3 is ge 3', '3 is >= 4',
    '1 is in [1, 2]', "'a' is in 'abc'", "'z' is in {'z': 1}", "'upper' is filter", "'nope' is filter", "'odd' is test",
    "'nope' is test", "'as_bool' is filter", "'is_list' is filter", 'd.a is defined', 'd.zz is defined', 'd.zz is undefined',
    'nested.c.d is none', 'nested.c.d is defined', 'users[0].admin is true', 'users[1].admin is false', '1 is true',
    '(l is iterable) and (l is sequence)', 'd is sequence', "'x' is sequence", 'l is not mapping', '1 is number and 1.0 is number',
    'true is number', 'true is integer', '1 is not string', 'undefined_name is not defined', '3 is divisibleby 0',
    '"1" is number', 'nope is nope', 'none is none is true',
  ]);

  // ------------------------------------------------------------------ statements: if / for / loop
  stmts('if', [
    '{% if true %}a{% endif %}', '{% if false %}a{% endif %}', '{% if false %}a{% else %}b{% endif %}',
    '{% if n > 50 %}big{% elif n > 40 %}mid{% elif n > 0 %}small{% else %}neg{% endif %}',
    '{% if undefined_name %}x{% else %}y{% endif %}', '{% if undefined_name.attr %}x{% else %}y{% endif %}',
    '{% if l %}{{ l }}{% endif %}', '{% if not e %}empty{% endif %}', '{% if n is odd %}odd{% else %}even{% endif %}',
    '{% if 1 %}{% if 0 %}a{% elif 2 %}b{% endif %}{% endif %}', '{% if s == "Hello World" and n == 42 %}both{% endif %}',
    '{% if none %}{% elif "" %}{% elif [] %}{% else %}all false{% endif %}',
  ]);
  const forBodies = [
    '{{ loop.index }}', '{{ loop.index0 }}', '{{ loop.revindex }}', '{{ loop.revindex0 }}', '{{ loop.first }}', '{{ loop.last }}',
    '{{ loop.length }}', "{{ loop.cycle('odd', 'even') }}", '{{ loop.previtem }}', '{{ loop.nextitem }}', '{{ loop.depth }}',
    '{{ loop.depth0 }}', "{{ loop.changed(x) }}", "{{ loop.changed(x % 2) }}", '{{ x }}{% if not loop.last %}, {% endif %}',
    '{{ loop }}', '{{ loop.previtem is defined }}', '{{ loop.nextitem is undefined }}',
  ];
  for (const body of forBodies) {
    add('loop', `{% for x in [3, 3, 5, 6, 6, 6] %}${body};{% endfor %}`);
  }
  stmts('for', [
    '{% for x in [] %}a{% else %}empty{% endfor %}', '{% for x in [1] %}a{% else %}empty{% endfor %}',
    '{% for x in undefined_name %}a{% else %}undef{% endfor %}', '{% for x in none %}a{% endfor %}',
    '{% for k, v in d.items() %}{{ k }}:{{ v }} {% endfor %}', '{% for a, b in [(1, 2), (3, 4)] %}{{ a + b }} {% endfor %}',
    '{% for a, (b, c) in [(1, (2, 3))] %}{{ a }}{{ b }}{{ c }}{% endfor %}', '{% for a, b in [(1, 2, 3)] %}{{ a }}{% endfor %}',
    '{% for c in "héllo" %}{{ c }}-{% endfor %}', '{% for x in range(5) if x is odd %}{{ x }}{{ loop.index }}{{ loop.length }} {% endfor %}',
    '{% for x in range(3) %}{% for y in range(2) %}{{ loop.index }}.{{ loop.depth }}/{% endfor %}{{ loop.index }}|{% endfor %}',
    '{% for x in range(10) %}{% if x == 2 %}{% continue %}{% endif %}{% if x == 5 %}{% break %}{% endif %}{{ x }}{% endfor %}',
    '{% for x in range(3) %}{% for y in range(3) %}{% if y == 1 %}{% break %}{% endif %}{{ x }}{{ y }} {% endfor %}{% endfor %}',
    '{% for x in range(3) %}{% break %}{% else %}else{% endfor %}',
    '{% for x in range(3) %}{% set y = x * 2 %}{{ y }}{% endfor %}{{ y }}',
    '{% set y = "outer" %}{% for x in range(3) %}{% set y = x %}{% endfor %}{{ y }}',
    '{% set ns = namespace(total=0, items=[]) %}{% for x in range(4) %}{% set ns.total = ns.total + x %}{% do ns.items.append(x) %}{% endfor %}{{ ns.total }} {{ ns.items }}',
    '{% set ns = namespace(found=false) %}{% for u in users %}{% if u.age < 20 %}{% set ns.found = u.name %}{% endif %}{% endfor %}{{ ns.found }}',
    '{% set ns = namespace() %}{% set ns.a = 1 %}{{ ns.a }} {{ ns.b }}',
    '{% set ns = namespace(a=1, b="x") %}{{ ns }}',
    '{% for x in range(2, 11, 3) %}{{ x }} {% endfor %}', '{% for x in range(5, 0, -2) %}{{ x }} {% endfor %}',
    '{{ range(0) | list }} {{ range(3, 1) | list }}',
    '{% for x in d %}{{ x }}{% endfor %}', '{% for x in tup %}{{ x }}|{% endfor %}', '{% for x in sets|sort %}{{ x }}{% endfor %}',
    '{% for x in intkeys %}{{ x }}{% endfor %}', '{% for x in obj %}{{ x }}{% endfor %}', '{% for x in 5 %}{{ x }}{% endfor %}',
    "{% for item in [{'n': 'a', 'c': [{'n': 'b', 'c': []}, {'n': 'c', 'c': [{'n': 'd', 'c': []}]}]}] recursive %}{{ loop.depth }}{{ item.n }}[{{ loop(item.c) }}]{% endfor %}",
    "{% for item in [[1, [2, [3]]], 4] recursive %}{% if item is iterable %}({{ loop(item) }}){% else %}{{ item }}@{{ loop.depth0 }}{% endif %}{% endfor %}",
    '{% for x in [1, 2, 3] %}{{ loop.cycle() }}{% endfor %}',
    "{% set c = cycler('a', 'b') %}{% for x in range(3) %}{{ c.next() }}{% endfor %}{{ c.current }}{% do c.reset() %}{{ c.next() }}",
    "{% set j = joiner(', ') %}{% for x in range(3) %}{{ j() }}{{ x }}{% endfor %}",
    '{% for x in l|sort %}{{ x }}{% endfor %}{% for x in l %}{{ x }}{% endfor %}',
    '{% for x in range(3) %}{{ x }}{% else %}never{% endfor %}',
    '{% for x, y in d|dictsort %}{{ x }}{{ y }}{% endfor %}',
    '{% for i in range(3) %}{% if loop.first %}[{% endif %}{{ i }}{% if loop.last %}]{% endif %}{% endfor %}',
    '{% for x in [1, 2] %}{{ x }}{% endfor %}{{ x }}',
    '{% for loop in [1] %}{{ loop }}{% endfor %}',
  ]);

  // ------------------------------------------------------------------ set / with / macro / call / raw / comments
  stmts('set', [
    '{% set a = 1 %}{{ a }}', '{% set a, b = 1, 2 %}{{ a }}{{ b }}', '{% set a, b = [3, 4] %}{{ a }}-{{ b }}',
    '{% set (a, b) = (5, 6) %}{{ a }}{{ b }}', '{% set a, b = "xy" %}{{ a }}{{ b }}', '{% set a, b = 1, 2, 3 %}{{ a }}',
    '{% set a = b = 1 %}{{ a }}', '{% set x %}block {{ 1 + 1 }}{% endset %}[{{ x }}]', '{% set x | upper %}shout{% endset %}{{ x }}',
    '{% set x | trim | replace(" ", "_") %}  a b c  {% endset %}{{ x }}', '{% set x %}\n  lines\n{% endset %}[{{ x }}]',
    '{% set a = 1 %}{% set a = a + 1 %}{{ a }}', '{% set l2 = l %}{% set l2 = l2 + [9] %}{{ l }}{{ l2 }}',
    '{% set s = "shadow" %}{{ s }}', '{% set a = [1, 2, 3] %}{% set a = a | reverse | list %}{{ a }}',
    '{% set t = (1, 2) %}{% set x, y = t %}{{ y }}{{ x }}', '{% set x = {"a": 1} %}{% set x.b = 2 %}{{ x }}',
    '{% set x = none %}{{ x }}|{{ x is none }}', '{% set x = undefined_name %}[{{ x }}]{{ x is defined }}',
    '{% set x = 1 %}{% if true %}{% set x = 2 %}{% endif %}{{ x }}',
    '{% set x = 1 %}{% macro m() %}{{ x }}{% endmacro %}{% set x = 2 %}{{ dbt_macro__m() }}',
  ]);
  stmts('with', [
    '{% with a = 1, b = 2 %}{{ a + b }}{% endwith %}{{ a }}', '{% with %}{% set x = 1 %}{{ x }}{% endwith %}[{{ x }}]',
    '{% set x = "out" %}{% with x = "in" %}{{ x }}{% endwith %}{{ x }}', '{% with a = 1 %}{% with b = a + 1 %}{{ a }}{{ b }}{% endwith %}{% endwith %}',
    '{% with a = n, b = a %}{{ b }}{% endwith %}',
  ]);
  stmts('macro', [
    '{% macro m(a, b=2) %}{{ a }}-{{ b }}{% endmacro %}{{ dbt_macro__m(1) }}|{{ dbt_macro__m(1, 3) }}|{{ dbt_macro__m(b=5, a=4) }}',
    '{% macro m(a, b=2) %}{{ a }}-{{ b }}{% endmacro %}{{ m(1) }}',
    '{% macro m() %}{{ varargs }}|{{ kwargs }}{% endmacro %}{{ dbt_macro__m(1, 2, x=3) }}',
    '{% macro m(a) %}{{ a }} {{ varargs }}{% endmacro %}{{ dbt_macro__m(1, 2, 3) }}',
    '{% macro m(a) %}{{ a }} {{ kwargs }}{% endmacro %}{{ dbt_macro__m(1, b=2, c=3) }}',
    '{% macro m(a) %}{{ a }}{% endmacro %}{{ dbt_macro__m(1, 2) }}',
    '{% macro m(a) %}{{ a }}{% endmacro %}{{ dbt_macro__m(1, z=2) }}',
    '{% macro m(a) %}{{ a }}{% endmacro %}{{ dbt_macro__m(1, a=2) }}',
    '{% macro m(a, b) %}[{{ a }}][{{ b }}]{% endmacro %}{{ dbt_macro__m(1) }}',
    '{% macro m(a, b) %}{{ a }}{{ b }}{% endmacro %}{{ dbt_macro__m(*[1, 2]) }}|{{ dbt_macro__m(**{"a": 3, "b": 4}) }}|{{ dbt_macro__m(5, **{"b": 6}) }}',
    '{% macro m() %}{{ varargs | length }}{% for k, v in kwargs | dictsort %}{{ k }}{{ v }}{% endfor %}{% endmacro %}{{ dbt_macro__m(*range(4), **{"z": 1, "a": 2}) }}',
    '{% macro m(a, b=a) %}{{ b }}{% endmacro %}{{ dbt_macro__m(7) }}',
    '{% macro m(a=[]) %}{% do a.append(1) %}{{ a }}{% endmacro %}{{ dbt_macro__m() }}{{ dbt_macro__m() }}',
    '{% macro m() %}  inner  {% endmacro %}[{{ dbt_macro__m() }}]',
    '{% macro m() %}{{ return(5) }}{% endmacro %}[{{ dbt_macro__m() }}]',
    '{% macro m(x) %}{{ x * 2 }}{% endmacro %}{{ dbt_macro__m(3) | int + 1 }}',
    '{% macro m() %}x{% endmacro %}{{ dbt_macro__m.name }}|{{ dbt_macro__m.arguments }}|{{ dbt_macro__m.catch_kwargs }}|{{ dbt_macro__m.catch_varargs }}|{{ dbt_macro__m.caller }}',
    '{% macro m(a, b=1) %}{{ kwargs }}{{ varargs }}{% endmacro %}{{ dbt_macro__m.arguments }}|{{ dbt_macro__m.catch_kwargs }}|{{ dbt_macro__m.catch_varargs }}',
    '{% macro outer() %}{% macro inner() %}in{% endmacro %}[{{ dbt_macro__inner() }}]{% endmacro %}{{ dbt_macro__outer() }}',
    '{% macro fact(n) %}{% if n <= 1 %}1{% else %}{{ n * dbt_macro__fact(n - 1) | int }}{% endif %}{% endmacro %}{{ dbt_macro__fact(6) }}',
    '{% macro m() %}{% set x = 1 %}{{ x }}{% endmacro %}{{ dbt_macro__m() }}[{{ x }}]',
    '{% macro m() %}{{ n }}{% endmacro %}{{ dbt_macro__m() }}',
    '{% macro m(n) %}{{ n }}{% endmacro %}{{ dbt_macro__m("arg") }}',
    '{% macro m(a, b, c) %}{{ a }}{{ b }}{{ c }}{% endmacro %}{{ dbt_macro__m(1, 2, 3, ) }}|{{ dbt_macro__m(1, b=2, c=3,) }}',
    '{% macro m(a, b,) %}{{ a }}{{ b }}{% endmacro %}{{ dbt_macro__m(1, 2) }}',
    '{% macro m(a=1, b) %}{% endmacro %}',
    '{% macro m() %}{{ caller() }}{% endmacro %}{{ dbt_macro__m() }}',
  ]);
  stmts('call', [
    '{% macro wrap() %}<{{ caller() }}>{% endmacro %}{% call dbt_macro__wrap() %}body {{ n }}{% endcall %}',
    '{% macro wrap(x) %}{{ x }}:{{ caller(1, 2) }}{% endmacro %}{% call(a, b) dbt_macro__wrap("w") %}{{ a + b }}{% endcall %}',
    '{% macro each(items) %}{% for i in items %}{{ caller(i) }}{% endfor %}{% endmacro %}{% call(i) dbt_macro__each([1, 2]) %}[{{ i }}]{% endcall %}',
    '{% macro wrap() %}{{ caller() }}{{ caller() }}{% endmacro %}{% call dbt_macro__wrap() %}x{% endcall %}',
    '{% macro wrap() %}{{ caller(k=5) }}{% endmacro %}{% call(k=1) dbt_macro__wrap() %}{{ k }}{% endcall %}',
    '{% macro wrap() %}{{ caller() }}{% endmacro %}{% call(k=1) dbt_macro__wrap() %}{{ k }}{% endcall %}',
    '{% macro wrap() %}{{ caller() | upper }}{% endmacro %}{% call dbt_macro__wrap() %}{% for x in range(3) %}{{ x }}a{% endfor %}{% endcall %}',
    '{% macro outer() %}({{ caller() }}){% endmacro %}{% macro inner() %}[{{ caller() }}]{% endmacro %}{% call dbt_macro__outer() %}{% call dbt_macro__inner() %}deep{% endcall %}{% endcall %}',
    '{% macro wrap() %}{{ caller() }}{% endmacro %}{% set v = "outer" %}{% call dbt_macro__wrap() %}{{ v }}{% endcall %}',
    '{% macro wrap() %}{{ kwargs }}{{ caller() }}{% endmacro %}{% call dbt_macro__wrap(a=1) %}c{% endcall %}',
  ]);
  stmts('raw', [
    '{% raw %}{{ not rendered }} {% if %}{% endraw %}', '{%- raw -%}  {{ x }}  {%- endraw -%}|', '{% raw %}\n{# c #}\n{% endraw %}',
    'a {# comment #} b', 'a {#- comment -#} b', 'a\n{# multi\nline #}\nb', '{# {{ x }} {% if %} #}ok', 'x{#\n#}\ny',
  ]);
  stmts('do', [
    '{% do 1 + 1 %}ok', '{% do [1].append(2) %}ok', '{% set x = [] %}{% do x.append(1) or x.append(2) %}{{ x }}',
    '{% do undefined_name %}ok', '{% do undefined_name.attr %}ok', '{% do print("printed") %}ok',
  ]);

  // ------------------------------------------------------------------ whitespace control
  const wsTags: [string, string, string][] = [
    ['{%S if true S%}', 'IN', '{%S endif S%}'],
    ['{%S for x in [1, 2] S%}', '{{S x S}}', '{%S endfor S%}'],
    ['{%S set x = 1 S%}', '', ''],
    ['{%S macro m() S%}', 'M', '{%S endmacro S%}'],
    ['{#S c S#}', '', ''],
    ['{%S raw S%}', 'R', '{%S endraw S%}'],
    ['{%S filter upper S%}', 'f', '{%S endfilter S%}'],
  ];
  const dashes: [string, string][] = [['', ''], ['-', ''], ['', '-'], ['-', '-']];
  for (const [open, body, close] of wsTags) {
    for (const [l, r] of dashes) {
      const o = open.replace('S', l).replace('S', r);
      const bodyT = body.replace('S', l).replace('S', r);
      const c = close.replace('S', l).replace('S', r);
      add('ws', `a  \n  ${o}\n  ${bodyT}  \n  ${c}  \n  b\n`);
      add('ws', `x ${o}${bodyT}${c} y`);
    }
  }
  stmts('ws', [
    'line\n', 'line\n\n', 'line\r\n', 'line\n\n\n', '\n', '', '  ', 'a\n{% if true %}\nb\n{% endif %}\nc\n',
    '{% for x in range(2) %}\n  {{ x }}\n{% endfor %}\n', '{% for x in range(2) -%}\n  {{ x }}\n{%- endfor %}\n',
    '  {% if true %}x{% endif %}\n', '\t{% if true %}\tx\n\t{% endif %}\n', '{{- "  a  " -}}', '  {{- "a" }}  ', '  {{ "a" -}}  \n b',
    '{%+ if true %}x{% endif %}', '  {%+ if true +%}\nx{% endif %}', 'a {%- if true %} b {% endif -%} c',
    '{% if true %}   \n{% endif %}', 'x\n{% set a = 1 %}\n{% set b = 2 %}\ny{{ a + b }}\n', 'x\r\n{% if true %}\r\ny\r\n{% endif %}\r\n',
    "{% macro m() -%}\n  body\n{%- endmacro %}\n[{{ dbt_macro__m() }}]\n", '{{ "x" }}\n\n', '{# c #}\n\n', '{% raw %}r{% endraw %}\n',
    'select\n    {%- for c in ["a", "b"] %}\n    {{ c }}{{ "," if not loop.last }}\n    {%- endfor %}\nfrom t\n',
  ]);

  // ------------------------------------------------------------------ dbt globals
  stmts('dbt', [
    "{{ modules.datetime.date(2024, 2, 29) }}", "{{ modules.datetime.datetime(2024, 1, 2, 3, 4, 5) }}",
    "{{ modules.datetime.datetime(2024, 1, 2, 3, 4, 5, 6000) }}", "{{ modules.datetime.datetime(2024, 1, 2).strftime('%Y/%m/%d %A %B %j') }}",
    "{{ modules.datetime.date(2024, 1, 31) + modules.datetime.timedelta(days=1) }}", "{{ modules.datetime.timedelta(days=1, hours=2) }}",
    "{{ (modules.datetime.datetime(2024, 3, 1) - modules.datetime.datetime(2024, 2, 1)).days }}",
    "{{ modules.datetime.datetime.strptime('2024-05-06', '%Y-%m-%d') }}", "{{ modules.datetime.date(2024, 5, 6).isoformat() }}",
    "{{ modules.datetime.datetime(2024, 5, 6, 7, 8).isoformat() }}", "{{ modules.datetime.date(2024, 5, 6).weekday() }} {{ modules.datetime.date(2024, 5, 6).isoweekday() }}",
    "{{ modules.datetime.date(2024, 5, 6).year }}-{{ modules.datetime.date(2024, 5, 6).month }}", "{{ modules.datetime.date(2024, 5, 6).replace(day=1) }}",
    "{{ modules.datetime.datetime(2024, 1, 1).date() }}", "{{ modules.datetime.date(2024, 5, 6) > modules.datetime.date(2023, 1, 1) }}",
    "{{ modules.datetime.datetime.fromisoformat('2024-05-06T07:08:09') }}", "{{ modules.datetime.date(2024, 12, 30).isocalendar()[1] }}",
    "{{ modules.datetime.datetime(2024, 1, 1, tzinfo=modules.pytz.utc) }}", "{{ modules.pytz.timezone('US/Eastern').localize(modules.datetime.datetime(2002, 10, 27, 6, 0, 0)) }}",
    "{{ modules.datetime.datetime(2024, 7, 1, 12, tzinfo=modules.pytz.utc).astimezone(modules.pytz.timezone('Europe/Oslo')) }}",
    "{{ modules.re.sub('[aeiou]', '_', 'education') }}", "{{ modules.re.match('(\\\\w+)@(\\\\w+)', 'me@host').groups() }}",
    "{{ modules.re.findall('\\\\d+', 'a1b22c333') }}", "{{ modules.re.search('b+', 'aabbbcc').group(0) }}", "{{ modules.re.search('z', 'abc') }}",
    "{{ modules.re.split(',\\\\s*', 'a, b,c') }}", "{{ modules.re.compile('^x', modules.re.IGNORECASE).match('Xy') is not none }}",
    "{{ modules.re.sub('(a)(b)', '\\\\2\\\\1', 'abab') }}", "{{ modules.re.escape('a.b*c') }}", "{{ modules.re.fullmatch('[0-9]+', '123') is not none }}",
    "{{ modules.itertools.chain([1], [2, 3]) | list }}", "{{ modules.itertools.product([1, 2], 'ab') | list }}",
    "{{ modules.itertools.combinations([1, 2, 3], 2) | list }}", "{{ modules.itertools.permutations('ab') | list }}",
    "{{ modules.itertools.islice(modules.itertools.count(5), 3) | list }}", "{{ modules.itertools.zip_longest([1, 2], ['a'], fillvalue='-') | list }}",
    "{{ modules.itertools.accumulate([1, 2, 3]) | list }}", "{{ modules.itertools.repeat('x', 3) | list }}",
    "{{ tojson({'a': [1, 2.5, none, true], 'é': 'ü'}) }}", "{{ tojson({'b': 1, 'a': 2}, sort_keys=true) }}", "{{ tojson('x') }}",
    "{{ tojson(tup) }}", "{{ tojson(sets) }}", "{{ tojson(sets, 'fallback') }}", "{{ tojson(1.0) }} {{ tojson(fi) }} {{ tojson(big) }}",
    "{{ fromjson('{\"a\": [1, 2.0, null]}') }}", "{{ fromjson('nope') }}", "{{ fromjson('nope', 'dflt') }}", "{{ fromjson('1e2') }}",
    "{{ fromjson('\"\\\\u00e9\"') }}", "{{ toyaml({'a': 1, 'b': [1, 'x'], 'c': {'d': none}}) }}", "{{ toyaml({'b': 1, 'a': 2}, sort_keys=true) }}",
    "{{ toyaml([1.5, true, 'yes', '1', '']) }}", "{{ toyaml('x') }}", "{{ toyaml({'k': 'multi\\nline'}) }}", "{{ toyaml({'u': 'é'}) }}",
    "{{ fromyaml('a: 1\\nb: [x, y]\\nc: 2024-01-01\\nd: yes\\ne: ~') }}", "{{ fromyaml('- 1\\n- 1.5\\n- \"s\"') }}", "{{ fromyaml(': bad: [') }}",
    "{{ fromyaml('') }}", "{{ zip([1, 2], ['a', 'b']) | list }}", "{{ zip([1, 2, 3], 'ab') | list }}", "{{ zip(1, 2) }}", "{{ zip(1, 2, default='d') }}",
    "{{ set([3, 1, 2, 1]) | sort }}", "{{ set([3, 1, 2, 1]) | length }}", "{{ set(5) }}", "{{ set(5, default=[]) }}", "{{ set([1, 2, 3]) }}",
    "{{ local_md5('hello world') }}", "{{ local_md5('') }}", "{{ local_md5('é') }}", "{{ print('to stdout') }}|",
    "{{ return is defined }}", "{{ var('min_years_of_exp', 'x') }}", "{{ env_var('TX_DIFFERENTIAL_SURELY_UNSET', 'dflt') }}",
    "{{ env_var('TX_DIFFERENTIAL_SURELY_UNSET') }}", "{{ zip_strict([1], [2]) | list }}", "{{ set_strict([1, 1]) | list }}",
    "{{ diff_of_two_dicts({'a': ['X', 'y'], 'B': ['z']}, {'A': ['x']}) }}", "{{ dbt_version is string }}",
    "{{ modules.datetime.date(2024, 5, 6).strftime('%d.%m.%y') }}", "{{ modules.datetime.date.fromisoformat('2024-01-02') }}",
    "{{ modules.datetime.timedelta(seconds=90).total_seconds() }}", "{{ modules.datetime.time(13, 5) }}",
  ]);

  // ------------------------------------------------------------------ errors
  stmts('error', [
    '{% if true %}unclosed', '{% for x in l %}unclosed', '{% endif %}', '{{ unclosed', '{{ 1 + }}', '{% set %}', '{% nope %}',
    '{% if true %}{% endfor %}', '{% macro m( %}{% endmacro %}', '{{ a b }}', "{{ 'unterminated }}", '{% block b %}x{% endblock %}',
    '{% extends "base.sql" %}', '{% include "other.sql" %}', '{% import "m.sql" as m %}', '{% from "m.sql" import x %}',
    '{{ 1 + "a" }}', '{{ "a" - 1 }}', '{{ [1] + (2,) }}', '{{ 1 / 0 }}', '{{ 1 // 0 }}', '{{ 1 % 0 }}', '{{ none + 1 }}',
    '{{ undefined_name + 1 }}', '{{ undefined_name.a.b }}', '{{ undefined_name() }}', '{{ undefined_name | upper }}', '{{ undefined_name[0] }}',
    '{{ d.nope.deeper }}', '{{ "abc".nope() }}', '{{ l.nope() }}', '{{ 1() }}', '{{ {}["a"]["b"] }}', '{{ "x" | nofilter }}',
    '{{ 1 is notatest }}', '{{ l | join(1) }}', '{{ 5 | length }}', '{{ 1 | first }}', '{{ "a" < 1 }}', '{{ [1, "a"] | sort }}',
    '{{ {} | min }}', '{{ range(100001) | length }}', '{{ "".__class__ }}', '{{ "".__class__.__mro__ }}', '{{ (1).__class__ }}',
    '{% set x = [] %}{{ x.__len__ }}', '{% for %}', '{% for x %}', '{% for x in %}', '{% else %}', '{% set a, b = 1 %}',
    '{{ dbt_macro__nope() }}', '{% macro m(a, a) %}{% endmacro %}', '{% call nope() %}x{% endcall %}', '{% break %}', '{% continue %}',
    '{{ return(1) }}', '{% filter %}x{% endfilter %}', '{{ }}', '{% %}', '{# unclosed comment', '{% raw %}unclosed raw',
    '{{ "%d" % "x" }}', '{{ "{}{}".format(1) }}', '{{ int("3") }}',
    '{{ [1, 2, 3][::0] }}', '{{ l[1:2:0] }}', '{{ dict(1) }}', '{{ namespace(1) }}', '{% set ns = namespace() %}{% set ns.a.b = 1 %}',
    '{% set x = 1 %}{% set x.y = 2 %}', '{{ exceptions.raise_compiler_error("boom") }}', '{{ var("nope") }}', '{{ fromjson() }}',
    '{{ cycler() .next() }}', '{{ joiner(1, 2, 3) }}', '{{ range() }}', '{{ range(1, 2, 0) | list }}',
  ]);
  // Error cases that need the stubs (exceptions, var) get the stub context.
  for (const c of cases) {
    if (c.id.startsWith('gen:error:') && /exceptions\.|var\(/.test(c.source)) c.stubs = true;
  }

  // ------------------------------------------------------------------ mixed realistic templates
  stmts('sql', [
    "{% set cols = ['id', 'name', 'amount'] %}select\n{% for c in cols %}    {{ c }}{% if not loop.last %},{% endif %}\n{% endfor %}from t\n",
    "{%- set cols = {'id': 'int', 'name': 'text'} -%}\ncreate table t (\n{%- for name, type in cols.items() %}\n  {{ name }} {{ type }}{{ ',' if not loop.last }}\n{%- endfor %}\n)\n",
    "{% set methods = ['credit_card', 'coupon'] %}\n{% for m in methods -%}\nsum(case when pm = '{{ m }}' then amount end) as {{ m }}_amount,\n{% endfor -%}\nsum(amount) as total\n",
    "select * from t\nwhere 1 = 1\n{% if n > 10 %}  and x > {{ n }}\n{% endif %}{% if e %}  and y = '{{ e }}'\n{% endif %}",
    "{% macro quote(s) %}'{{ s | replace(\"'\", \"''\") }}'{% endmacro %}select {{ dbt_macro__quote(\"it's\") }} as q",
    "{%- set parts = [] -%}{%- for u in users if u.admin -%}{%- do parts.append(u.name | upper) -%}{%- endfor -%}\n{{ parts | join(' | ') }}\n",
    "{% set sql %}\nselect {{ n }} as n\n{% endset %}\n{{ sql | trim }};\n{{ sql | length }}",
    "{%- for u in users | sort(attribute='name', reverse=true) -%}\n{{ '%-5s %3d %s' | format(u.name, u.age, u.city) }}\n{% endfor -%}",
    "{% for city, group in users | groupby('city') %}{{ city }}: {{ group | map(attribute='name') | join(',') }}\n{% endfor %}",
    "{{ 'x' if n is divisibleby 2 else 'y' }} {{ '%s' | format(n) }} {{ n ~ '' }} {{ (n / 4) | round(1) }} {{ (n / 4) | int }}",
    "{% set ns = namespace(sep='') %}{% for x in 'abc' %}{{ ns.sep }}{{ x }}{% set ns.sep = ', ' %}{% endfor %}",
    "{%- set relation = {'database': 'db', 'schema': 'sch', 'identifier': 'tbl'} -%}\n{{ relation.database }}.{{ relation.schema }}.{{ relation.identifier }}",
    "{% set x = 'a,b;c' %}{{ x.replace(';', ',').split(',') | map('upper') | join('+') }}",
    "{% for i in range(3) %}{% for j in range(i) %}{{ i }}{{ j }} {% endfor %}{% endfor %}",
    "{{ users | selectattr('admin') | map(attribute='name') | map('title') | list }}",
    "{{ (users | map(attribute='age') | sum) / (users | length) }}",
    "{{ '%.2f' % ((users | map(attribute='age') | sum) / (users | length)) }}",
    "{{ {'k': [1, 2, {'n': none, 't': (1,)}]} }}",
    "{{ [[], [[]], {}, {'': ''}, ('',), (), none] }}",
    "{{ ['single \\' quote', \"double \\\" quote\", 'both \\' \"', 'back\\\\slash', 'nl\\n', 'uni é \\u2603'] }}",
    "{{ [1.0, 1.5, 1e16, 1e-7, 123456789.0, 0.1 + 0.2, -0.0, 2.0 ** 70] }}",
    "{{ {'a': 1.0, 'b': (1.5,)} }} {{ (1.0, 2) }}",
  ]);

  // ------------------------------------------------------------------ dbt's parser extensions
  stmts('dbtext', [
    '{% test my_test(model, column_name) %}select {{ column_name }} from {{ model }}{% endtest %}[{{ dbt_macro__test_my_test("m", "c") }}]',
    '{% test t2(model) %}x{% endtest %}[{{ test_t2 }}]',
    '{% docs my_doc %}Some **markdown** {{ 1 + 1 }}{% enddocs %}[done]',
    '{% materialization my_mat, default %}body{% endmaterialization %}[{{ dbt_macro__materialization_my_mat_default() }}]',
    '{% materialization my_mat, adapter="duckdb" %}body{% endmaterialization %}[{{ dbt_macro__materialization_my_mat_duckdb is defined }}]',
    '{% materialization my_mat, adapter="duckdb", supported_languages=["sql", "python"] %}{{ supported_languages }}{% endmaterialization %}{{ dbt_macro__materialization_my_mat_duckdb() }}',
    '{% materialization m, nope=1 %}{% endmaterialization %}',
    '{% macro typed(a: str, b: int = 1, c: Dict[str, List[int]] = {}) %}{{ a }}{{ b }}{{ c }}{% endmacro %}{{ dbt_macro__typed("x") }}',
    '{% macro typed(a: ) %}{% endmacro %}',
    '{% if true: %}colon if{% endif %}', '{% for x in [1, 2]: %}{{ x }}{% endfor %}', '{% macro m(): %}m{% endmacro %}{{ dbt_macro__m() }}',
    '{% if false %}{% elif true: %}elif colon{% else: %}no{% endif %}', '{% with a = 1: %}{{ a }}{% endwith %}',
    '{% filter upper: %}f{% endfilter %}', '{% set x: %}s{% endset %}{{ x }}',
  ]);

  // ------------------------------------------------------------------ Markup (the safe and escape filters)
  exprs('markup', [
    "('<b>'|safe) + '<i>'", "'<i>' + ('<b>'|safe)", "('<b>'|safe) ~ '<i>'", "('%s'|safe) % '<x>'", "('<b>'|safe)|length",
    "('a&'|safe) * 2", "'<'|e + '<'", "('<b>'|safe).upper()", "('a<b'|safe)|replace('<', '>')", "('<b>'|safe)|escape",
    "('<b>'|safe)|forceescape", "['<b>'|safe]", "('<b>'|safe) == '<b>'", "('<b>'|safe) is string", "('<b>'|safe) is escaped",
    "('<b>x</b>'|safe)|striptags", "('<b>'|safe)|upper", "('<b>'|safe)|list", "('a'|safe).join(['<', '>'])", "'x'|e|string",
    "('{}'|safe).format('<')", "('<a>'|safe)[1:]", "(('<'|safe) ~ '>')|e",
  ]);

  // ------------------------------------------------------------------ floats and their repr
  exprs('float', [
    '1e22', '1e21', '1e15 + 0.5', '123456789012345678.0', '0.1', '1/3 * 3', '2.0 ** 0.5', '1.1 * 1.1', '100 / 3', '5e-324', '1.7976931348623157e308',
    "'nan'|float", "'inf'|float", "-('inf'|float)", "('inf'|float) - ('inf'|float)", "'1e400'|float", "'-0'|float", "0.5|round",
    "1.5|round", "0.125|round(2)", "1234.5678|round(-2)", "(0.1 + 0.2)|round(10)", '3.0|int', '1e10|int', '7.0 / 2', '7.0 // 2',
    '-7.0 % 3', '2 ** 0.0', '0.0 ** 0', '10.0 ** -2', '(2 ** 53) + 1.0', '1.0 == 1', '1.0 in [1]', '{1: "a"}[1.0]', 'l|sum / l|length',
    '[0.1, 0.25, 1e-10, 1.5e300]', '(1.0, 2.5)', "{'f': 0.1}", "'%s' % 0.1", "'%r' % 0.1", "'{}'.format(0.1)", "'{:g}'.format(1e-10)",
    "1.0|string", "2.50|string ~ ''", "[1.0]|join(',')", "3.14|abs", "-0.0|abs", "(1/3)|string|length",
  ]);

  // ------------------------------------------------------------------ scoping
  stmts('scope', [
    '{% set x = "top" %}{% macro m() %}{% for i in [1] %}{{ x }}{% endfor %}{% endmacro %}{{ dbt_macro__m() }}',
    '{% macro m() %}{% set ns = namespace(c=0) %}{% for i in range(3) %}{% set ns.c = ns.c + i %}{% endfor %}{{ ns.c }}{% endmacro %}{{ dbt_macro__m() }}',
    '{% set x = 1 %}{% for i in range(2) %}{{ x }}{% set x = x + 10 %}{{ x }}|{% endfor %}{{ x }}',
    '{% for i in range(2) %}{% set x = i %}{% endfor %}[{{ x }}]',
    '{% set i = "outer" %}{% for i in range(2) %}{{ i }}{% endfor %}{{ i }}',
    '{% with %}{% set y = 1 %}{% endwith %}[{{ y }}]',
    '{% if true %}{% set y = 1 %}{% endif %}[{{ y }}]',
    '{% macro m() %}{% set y = 1 %}{% endmacro %}{{ dbt_macro__m() }}[{{ y }}]',
    '{% macro w() %}{{ caller() }}{% endmacro %}{% call dbt_macro__w() %}{% set z = 5 %}{{ z }}{% endcall %}[{{ z }}]',
    '{% set x = 1 %}{% macro m(x) %}{{ x }}{% endmacro %}{{ dbt_macro__m(2) }}{{ x }}',
    '{% set x = 1 %}{% macro m() %}{% set x = x + 1 %}{{ x }}{% endmacro %}{{ dbt_macro__m() }}',
    '{% for a in range(2) %}{% for b in range(2) %}{% set c = a * b %}{% endfor %}{{ c }}{% endfor %}',
    '{% set l2 = [] %}{% for i in range(3) %}{% do l2.append(i) %}{% endfor %}{{ l2 }}',
    '{% set d2 = {} %}{% for i in range(3) %}{% do d2.update({i: i * i}) %}{% endfor %}{{ d2 }}',
    '{% for x in range(2) %}{{ loop.index }}{% for y in range(2) %}{{ loop.index }}{% endfor %}{{ loop.index }}{% endfor %}',
    '{% for x in range(3) %}{% set outer_loop = loop %}{% for y in range(2) %}{{ outer_loop.index }}{{ loop.index }} {% endfor %}{% endfor %}',
    '{% set n = 5 %}{{ n }}', '{% set n = n + 1 %}{{ n }}', '{% set s = s ~ "!" %}{{ s }}',
    '{% macro m() %}{{ n }}{% set n = 1 %}{% endmacro %}{{ dbt_macro__m() }}',
  ]);

  // ------------------------------------------------------------------ the lexer: literals and escapes
  exprs('lex', [
    "'\\x41\\x7a'", "'\\u00e9\\u4e2d'", "'\\U0001F600'", "'\\N{BULLET}'", "'a\\\\b'", "'\\a\\b\\f\\v\\0'", "'\\q'", "'\\''", '"\\""',
    "'line\nbreak'", "'tab\there'", '0x1F', '0o17', '0b101', '1_000_000', '1_0.5', '1e1_0', '0.5e-3', '007', '0', '1.', '.5',
    "'a' ~ \"b\" ~ '''c'''", "'{{ not a tag }}'", "'{% raw %}'", "'#}'", 'True and False', 'none is None', 'TRUE',
  ]);

  // ------------------------------------------------------------------ Python repr of strings, dict keys
  const reprStrings = ["'\\x00'", "'\\x1f'", "'\\x7f'", "'\\x80'", "'\\xa0'", "'\\xad'", "'\\u200b'", "'\\u2028'", "'\\ufeff'", "'\\U0001F600'",
    '"\'"', "'\"'", "'\\'\"'", "'\\\\'", "'\\n\\r\\t'", "'é'", "'e\\u0301'", "'\\ud7ff'", "'\\U000e0001'", "'\\u0378'", "'日本'", "' '", "''",
    "'\\x1b[0m'", "'\\u00ad'", "'\\u3000'", "'\\U0010ffff'"];
  for (const r of reprStrings) add('repr', `{{ [${r}] }}|{{ ${r} }}|{{ (${r},) }}|{{ {${r}: ${r}} }}`);
  exprs('repr', [
    "{1: 'a', 1.5: 'b', (1, 'x'): 'c', none: 'd', true: 'e', 'k\\'q': 'f'}", "{'a': {'b': {'c': [(), [], {}]}}}", "[[[[[]]]]]",
    "((1,),)", "(((),),)", "[none, true, false, 0, 0.0, -0.0, '']", "range(3)", "range(1, 10, 3)", "[range(2)]", "dict(a=range(2))",
    "'a'.split is callable", "[1, 2].__class__", "cycler(1, 2).current", "joiner()()", "namespace(a=1)", "[namespace(a=1)]", "(undefined_name,)",
    "[undefined_name]", "{'k': undefined_name}", "users|groupby('city')|first", "(users|groupby('city')|first).grouper",
    "(users|groupby('city')|first).list|length", "users|groupby('city')|map('first')|list", "d.items()|first", "zip([1], [2])|list",
  ]);

  // ------------------------------------------------------------------ Undefined, as dbt's default Undefined behaves
  exprs('undef', [
    "undefined_name ~ 'x'", "undefined_name|default('d')", 'undefined_name is none', 'undefined_name|list', 'undefined_name|length',
    'undefined_name|string', 'undefined_name|int', 'undefined_name|join', "undefined_name or 'x'", "undefined_name and 'x'",
    'undefined_name == none', 'undefined_name == undefined_name', 'undefined_name != 1', 'undefined_name in [1]', '1 in undefined_name',
    "'%s' % undefined_name", "'{}'.format(undefined_name)", 'not undefined_name', 'undefined_name|first', 'undefined_name|upper',
    "undefined_name|replace('a', 'b')", 'undefined_name|tojson', 'undefined_name|e', 'undefined_name|trim', 'undefined_name|lower',
    'undefined_name + 1', "undefined_name + 'a'", '-undefined_name', 'undefined_name * 2', 'undefined_name < 1', 'undefined_name[0]',
    'undefined_name.a', 'undefined_name.a.b', "undefined_name['a']", 'undefined_name()', 'undefined_name|sum', 'undefined_name|sort',
    'undefined_name|dictsort', 'undefined_name|abs', 'undefined_name|round', 'undefined_name|float', 'undefined_name|count',
    'undefined_name|reverse|list', 'undefined_name|batch(2)|list', 'undefined_name is iterable', 'undefined_name is string',
    'undefined_name is mapping', 'undefined_name is callable', '[undefined_name]|length', 'd.missing ~ "x"', 'd.missing.deeper',
    'l[10] ~ "x"', 'l[10].x', 'none.x', 'none.x.y', "none['k']", "''.nope", "''.nope.deeper", '(1).real', '(1).nope', '(1.5).is_integer()',
    "undefined_name|map('upper')|list", "undefined_name|select|list", "undefined_name|items|list", "undefined_name|unique|list",
  ]);
  stmts('undef', [
    '{% for x in undefined_name %}{{ x }}{% else %}empty{% endfor %}', '{% if undefined_name.a %}y{% else %}n{% endif %}',
    '{% if undefined_name %}y{% else %}n{% endif %}', '{% set x = undefined_name %}{{ x ~ "" }}{{ x is defined }}',
    '{% for k, v in undefined_name.items() %}{{ k }}{% endfor %}', '{% do undefined_name.append(1) %}ok', '{{ undefined_name }}|',
    '{% set ns = namespace() %}{{ ns.missing }}|{{ ns.missing is defined }}', '{{ loop }}', '{% for x in [1] %}{{ loop.nope }}{% endfor %}',
    '{{ caller }}', '{{ varargs }}{{ kwargs }}',
  ]);

  // ------------------------------------------------------------------ loops, more
  stmts('loop2', [
    '{% for x in range(6) if x is even %}{{ loop.index }}/{{ loop.length }}/{{ loop.revindex }}/{{ loop.previtem }}/{{ loop.nextitem }};{% endfor %}',
    '{% for x in users|map(attribute="age") %}{{ loop.length }}{{ loop.last }};{% endfor %}',
    '{% for x in [] %}{% else %}{{ loop is defined }}{% endfor %}',
    '{% for x in [1, 1, 2, 2, 1] %}{{ loop.changed(x) }},{% endfor %}',
    '{% for a, b in [(1, 1), (1, 2), (1, 2)] %}{{ loop.changed(a, b) }},{% endfor %}',
    '{% for x in [1, 2] %}{{ loop.cycle() }}{% endfor %}',
    '{% for x in range(4) %}{{ loop.cycle(*["a", "b", "c"]) }}{% endfor %}',
    '{% for x in "ab" %}{% for y in "cd" %}{{ loop.depth }}{{ x }}{{ y }}{% endfor %}{% endfor %}',
    "{% for item in [{'c': [{'c': [{'c': []}]}]}] recursive %}{{ loop.depth }}{{ loop.depth0 }}{% if item.c %}<{{ loop(item.c) }}>{% endif %}{% endfor %}",
    "{% for item in [1, [2, [3, [4]]]] recursive %}{% if item is iterable %}{{ loop(item) }}{% else %}{{ item }}:{{ loop.depth }}:{{ loop.index }};{% endif %}{% endfor %}",
    "{% for k, v in {'a': {'b': {}}}.items() recursive %}{{ k }}{{ loop(v.items()) }}{% endfor %}",
    '{% for x in range(3) recursive %}{{ x }}{% endfor %}',
    '{% for x in range(3) %}{% if loop.index > 1 %}{% break %}{% endif %}{{ x }}{% else %}never{% endfor %}',
    '{% for x in range(5) %}{% continue %}{{ x }}{% else %}else{% endfor %}',
    '{% for x in range(3) %}{% for y in range(3) %}{% if y > x %}{% continue %}{% endif %}{{ x }}{{ y }} {% endfor %}{% endfor %}',
    '{% for x in [3, 1, 2]|sort|reverse %}{{ x }}{% endfor %}', '{% for c in "" %}x{% else %}empty str{% endfor %}',
    '{% for x in {} %}x{% else %}empty dict{% endfor %}', '{% for x, in [(1,), (2,)] %}{{ x }}{% endfor %}',
    '{% for x in [1, 2, 3] %}{{ loop.previtem|default("-") }}{% endfor %}',
    '{% for x in range(3) %}{{ loop.index0 * loop.revindex0 }}{% endfor %}',
    '{% set items = [1, 2] %}{% for x in items %}{% do items.append(9) if items|length < 4 %}{{ x }}{% endfor %}{{ items }}',
    '{% for x in range(3) %}{% set loopvar = loop %}{% endfor %}{{ loopvar is defined }}',
  ]);

  // ------------------------------------------------------------------ whitespace matrix
  const wsAround = ['', ' ', '  \t', '\n', ' \n ', 'x ', '\n\n', '\t\n\t'];
  const wsTags2 = ['{%S if true S%}A{%S endif S%}', '{{S "v" S}}', '{#S c S#}', '{%S set q = 1 S%}', '{%S for i in [1] S%}I{%S endfor S%}'];
  for (const tag of wsTags2) {
    for (const [l, r] of [['', ''], ['-', '-'], ['-', ''], ['', '-'], ['+', ''], ['+', '-']] as [string, string][]) {
      if (l === '+' && tag.startsWith('{{')) continue;
      let t = tag;
      while (t.includes('S')) t = t.replace('S', l).replace('S', r);
      for (const before of wsAround) add('ws2', `${before}${t}${before.split('').reverse().join('')}|`);
    }
  }

  // ------------------------------------------------------------------ str method x receiver matrix
  const receivers = ["''", "'abc'", "'ABC'", "'Hello World'", "'  x  '", "'ß'", "'ǅ'", "'İ'", "'ﬁ'", "'ΣΑΣ'", "'straße'", "'123'", "'١٢٣'",
    "'½'", "'a1 b2'", "'hello_world-foo'", "\"they're\"", "'\\t\\n'", "'MiXeD cAsE'", "'x\\u0301y'"];
  const noArgMethods = ['upper', 'lower', 'title', 'capitalize', 'swapcase', 'casefold', 'strip', 'lstrip', 'rstrip', 'split', 'splitlines',
    'isdigit', 'isalpha', 'isalnum', 'isspace', 'islower', 'isupper', 'istitle', 'isnumeric', 'isdecimal'];
  for (const m of noArgMethods) {
    add(`smatrix:${m}`, receivers.map((r) => `{{ ${r}.${m}() }}`).join('|'));
  }
  exprs('sargs', [
    "'a,b,,c'.split(',', 1)", "'a,b,,c'.split(',', -1)", "'a,b,,c'.split(',', 0)", "'a b c'.split(none, 1)", "'a,b'.split(sep=',')",
    "'a,b,c'.rsplit(',', maxsplit=1)", "'  a  '.strip(' a')", "'xyxzx'.lstrip('xy')", "'abc'.rstrip('')", "'aaa'.replace('a', 'b', 0)",
    "'aaa'.replace('a', 'b', -1)", "'aaa'.replace('a', '')", "'abcabc'.find('c', 3)", "'abcabc'.find('c', -2)", "'abcabc'.find('c', 0, 2)",
    "'abcabc'.rfind('a', 0, 3)", "'abcabc'.count('a', 1)", "'abcabc'.index('c', 3, 6)", "'abc'.startswith('b', 1)", "'abc'.startswith('b', 1, 1)",
    "'abc'.endswith(('x', 'c'))", "'abc'.endswith('b', 0, 2)", "'abc'.center(2)", "'abc'.center(-1)", "'abc'.ljust(7, 'é')", "'abc'.rjust(5, '0')",
    "'abc'.center(6, '-')", "'abc'.center(7, '-')", "'7'.zfill(-3)", "'+7'.zfill(4)", "'abc'.zfill(5)", "'a=b=c'.partition('=')",
    "'a=b=c'.rpartition('=')", "'abc'.partition('')", "','.join(['a'])", "','.join('')", "'ab'.join(['1', '2', '3'])", "'x'.join([1, 2])",
    "'abc'.split('')", "'abc'.count('', 1)", "'aaaa'.count('aa')", "'abc'.find('')", "'abc'.rfind('')", "'a\\tb\\tc'.expandtabs()",
    "'abc'.title().swapcase()", "'hello world'.split(' ', 1)[1].upper()", "'%s'.join(['a', 'b'])", "'a b'.split(' ') == ['a', 'b']",
  ]);

  // ------------------------------------------------------------------ format spec matrices
  const fmtValues = ['0', '42', '-42', '3.14159', '-0.5', '1e20', '1234567.891', "'abc'", 'true', 'none'];
  const formatSpecs = ['', '5', '<5', '>5', '^5', '*^7', '+', ' ', '05', ',', '_', '.2f', '.0f', '.3e', '.2%', 'x', 'X', '#x', 'o', 'b',
    'c', 'g', '.3g', 'G', 'n', 's', '10.4s', 'd', '=+8', '>+10.2f'];
  for (const spec of formatSpecs) add('fspec', fmtValues.map((v) => `{{ '{:${spec}}'.format(${v}) }}`).join('|'));
  const percentSpecs = ['%s', '%r', '%a', '%d', '%i', '%5d', '%-5d', '%05d', '%+d', '% d', '%x', '%X', '%#x', '%o', '%e', '%E', '%f',
    '%.2f', '%10.3f', '%-10.1f|', '%g', '%G', '%.3g', '%c', '%5s', '%-5s|', '%.1s', '%%'];
  for (const spec of percentSpecs) for (const v of fmtValues) add('pspec', `{{ '${spec}' % (${v},) }}`);

  // ------------------------------------------------------------------ dbt's `context` (the whole context, a dict)
  for (const source of [
    "{{ context is mapping }}", "{{ 'tojson' in context }}", "{{ 'nope' in context }}", "{{ context.get('nope') }}", "{{ context['tojson']([1]) }}",
    "{{ context.get('dbt_utils') is mapping }}", "{{ context['dbt_utils']['generate_surrogate_key'](['a']) }}", "{{ context.modules.datetime.date(2024, 1, 2) }}",
    "{% set m = context.get('dbt_utils').get('group_by') %}{{ m(2) }}", "{{ context.get('target').type }}", "{{ context['n'] }}",
    "{% set f = context['safe_divide'] if 'safe_divide' in context else none %}{{ f is none }}",
  ]) {
    cases.push({ id: `gen:context:${cases.filter((c) => c.id.startsWith('gen:context:')).length}`, part: 1, source, packages: ['dbt', 'dbt_utils'], context: { n: 42 } });
  }

  // ------------------------------------------------------------------ characters outside the BMP (one code point in Python)
  exprs('astral', [
    "'😀'|length", "'a😀b'|length", "'a😀b'[1]", "'a😀b'[-2]", "'a😀b'[1:2]", "'a😀b'[::-1]", "'a😀b'|reverse", "'a😀b'|list",
    "'😀'|center(5, '*')", "'😀'.ljust(3, '-')", "'😀x'.rjust(4)", "'{:>4}'.format('😀')", "'%3s' % '😀'", "'😀😀😀'|truncate(4, true, '')",
    "'😀 😀 😀'|wordwrap(3)", "'𝒳'.upper()", "'𝒳'.isalpha()", "'😀'.find('b')", "'a😀b'.find('b')", "'a😀b'.index('b')", "'a😀b😀'.rfind('😀')",
    "'😀,b'.split(',')", "'😀'|first", "'😀'|last", "'x😀'|unique|list", "['😀', 'a']|sort", "'😀' < 'ｚ'", "'\\U0001F600' == '😀'",
    "'a😀b'.count('😀')", "'😀'|urlencode", "'😀'|tojson", "('😀',)", "'😀'|wordcount", "'😀a'|title", "'😀'|pprint", "'😀'.encode is defined",
    "'😀x'.partition('x')", "'😀'.zfill(3)", "'😀'.center(4)", "'a😀b'.replace('😀', '-')", "'%c' % 128512", "'😀' in 'a😀b'",
  ]);
  stmts('astral', [
    '{% for c in "a😀b" %}{{ loop.index }}{{ c }}{% endfor %}', '\ufeffselect 1', 'a\u0000b{{ "\\x00"|length }}', '😀 {{ "😀" }} 😀\n',
    '{% set x = "😀" * 3 %}{{ x|length }}{{ x[1:] }}', '{{ "😀" ~ 1 }}{#😀#}', '{% raw %}😀{% endraw %}',
  ]);

  // ------------------------------------------------------------------ operator x operand matrix
  const operands = ['0', '1', '-3', '2.5', 'true', 'none', "''", "'ab'", '[1, 2]', '(1,)', "{'a': 1}"];
  const operators = ['+', '-', '*', '/', '//', '%', '**', '==', '!=', '<', '>=', 'in', 'not in', '~', 'and', 'or'];
  for (const op of operators) {
    for (const a of operands) {
      for (const b of operands) {
        // A negative base to a fractional power is a complex number in Python: not a template's business.
        if (op === '**' && a === '-3' && b === '2.5') continue;
        add(`op${op.replace(/ /g, '_')}`, `{{ (${a}) ${op} (${b}) }}`);
      }
    }
  }

  // ------------------------------------------------------------------ filter x value matrix
  const filterValues = [...operands, "'Hello World'", "' é x '", "['b', 'a', 'b']", '[3, 1.5, 2]', "{'b': 2, 'a': 1}", 'undefined_name'];
  const filterCalls = [
    'abs', 'capitalize', 'count', 'first', 'last', 'length', 'list', 'lower', 'upper', 'title', 'trim', 'string', 'int', 'float',
    'round', 'sum', 'sort', 'unique|list', 'reverse|list', 'max', 'min', 'join', "join('-')", 'e', 'striptags', 'wordcount', 'tojson',
    'pprint', 'dictsort', 'items|list', 'batch(2)|list', 'slice(2)|list', 'center(5)', 'indent', 'truncate(3)', 'urlencode', 'xmlattr',
    'select|list', 'reject|list', "map('string')|list", "default('d')", 'safe', 'filesizeformat', 'wordwrap(3)', 'as_bool',
    'as_number', 'as_native', 'as_text', 'is_list', 'float|int', 'string|length', 'list|length', 'forceescape', "replace('a', 'b')",
    'random|string|length > 0', 'format', "attr('a')", 'urlize',
  ];
  for (const f of filterCalls) {
    for (const v of filterValues) add(`fmatrix:${f.replace(/[^a-z_]/g, '')}`, `{{ (${v})|${f} }}`);
  }

  return cases;
}

/**
 * Macro files of a generated package `gen` (loaded as dbt loads package macros, see corpus.ts),
 * so that macro semantics are compared through dbt's way of calling macros, apart from the
 * `dbt_macro__` name prefix that dbt's parser gives macros defined inline.
 */
export const GENERATED_MACRO_FILES: { path: string; source: string }[] = [
  {
    path: 'gen/args.sql',
    source: [
      '{% macro pair(a, b=2) %}{{ a }}-{{ b }}{% endmacro %}',
      '{% macro var_kw() %}{{ varargs }}|{{ kwargs }}{% endmacro %}',
      '{% macro one_var(a) %}{{ a }} {{ varargs }}{% endmacro %}',
      '{% macro one_kw(a) %}{{ a }} {{ kwargs | dictsort }}{% endmacro %}',
      '{% macro strict(a) %}{{ a }}{% endmacro %}',
      '{% macro two(a, b) %}[{{ a }}][{{ b }}]{% endmacro %}',
      '{% macro dflt_ref(a, b=a) %}{{ b }}{% endmacro %}',
      '{% macro mutable(a=[]) %}{% do a.append(1) %}{{ a }}{% endmacro %}',
      '{% macro spaced() %}  inner  {% endmacro %}',
      '{% macro returns(x) %}ignored {{ return(x) }} ignored{% endmacro %}',
      '{% macro returns_early(x) %}{% if x %}{{ return("early") }}{% endif %}late{% endmacro %}',
      '{% macro do_return(x) %}{% do return([x, x]) %}{% endmacro %}',
      '{% macro fact(n) %}{% if n <= 1 %}{{ return(1) }}{% else %}{{ return(n * fact(n - 1)) }}{% endif %}{% endmacro %}',
      '{% macro calls_sibling() %}<{{ pair(1) }}>{% endmacro %}',
      '{% macro wrap() %}<{{ caller() }}>{% endmacro %}',
      '{% macro wrap_args(x) %}{{ x }}:{{ caller(1, 2) }}{% endmacro %}',
      '{% macro each(items) %}{% for i in items %}{{ caller(i) }}{% endfor %}{% endmacro %}',
      '{% macro maybe_caller() %}{% if caller %}{{ caller() }}{% else %}no caller{% endif %}{% endmacro %}',
      '{% macro uses_global() %}{{ n }}|{{ s }}{% endmacro %}',
      '{% macro recurse(n) %}{{ recurse(n + 1) }}{% endmacro %}',
      '{% macro _private() %}private{% endmacro %}',
      '{% macro calls_private() %}{{ _private() }}{% endmacro %}',
      '{% macro dispatcher(x) %}{{ return(adapter.dispatch("dispatched", "gen")(x)) }}{% endmacro %}',
      '{% macro default__dispatched(x) %}default {{ x }}{% endmacro %}',
      '{% macro duckdb__dispatched(x) %}duckdb {{ x }}{% endmacro %}',
      '{% macro returns_dict() %}{{ return({"a": [1, 2.5, none], "b": (1,)}) }}{% endmacro %}',
      '{% macro returns_macro() %}{{ return(pair) }}{% endmacro %}',
      '{% macro bump(ns) %}{% set ns.count = ns.count + 1 %}{{ ns.count }}{% endmacro %}',
      '{% macro add_to(l, x) %}{% do l.append(x) %}{% endmacro %}',
      '{% macro call_twice() %}{{ caller("a") }}{{ caller("b") }}{% endmacro %}',
      '{% macro pass_caller() %}{{ each([1, 2], caller=caller) }}{% endmacro %}',
      '{% macro nested_call() %}{% call wrap() %}in {{ caller() }}{% endcall %}{% endmacro %}',
      '{% macro loop_in_macro(items) %}{% for i in items %}{{ loop.index }}:{{ i }}{{ "," if not loop.last }}{% endfor %}{% endmacro %}',
      '{% macro default_global(x=n) %}{{ x }}{% endmacro %}',
      '{% macro default_call(x=pair(7)) %}{{ x }}{% endmacro %}',
      '{% macro set_macro_var() %}{% set pair = "shadowed" %}{{ pair }}{% endmacro %}',
      '{% macro caller_args() %}{{ caller(1, b=2) }}{% endmacro %}',
      '{% macro returns_in_loop(items) %}{% for i in items %}{% if i > 1 %}{{ return(i) }}{% endif %}{% endfor %}none found{% endmacro %}',
      '{% macro ws_macro(x) -%}\n  [{{ x }}]\n{%- endmacro %}',
      '{% macro returns_none() %}{{ return(none) }}{% endmacro %}',
      '{% macro returns_empty() %}{{ return("") }}{% endmacro %}',
      '{% macro returns_false() %}{% do return(false) %}{% endmacro %}',
      '',
    ].join('\n'),
  },
];

export function generatedMacroCallCases(): Case[] {
  const calls = [
    '{{ gen.pair(1) }}|{{ gen.pair(1, 3) }}|{{ gen.pair(b=5, a=4) }}|{{ gen.pair(1, b=3) }}',
    '{{ gen.var_kw(1, 2, x=3) }}', '{{ gen.var_kw() }}', '{{ gen.one_var(1, 2, 3) }}', '{{ gen.one_kw(1, z=2, b=3) }}',
    '{{ gen.strict(1, 2) }}', '{{ gen.strict(1, z=2) }}', '{{ gen.strict(1, a=2) }}', '{{ gen.strict() }}', '{{ gen.two(1) }}',
    '{{ gen.two(*[1, 2]) }}|{{ gen.two(**{"a": 3, "b": 4}) }}|{{ gen.two(5, **{"b": 6}) }}', '{{ gen.var_kw(*range(3), **{"z": 1}) }}',
    '{{ gen.dflt_ref(7) }}', '{{ gen.mutable() }}{{ gen.mutable() }}', '[{{ gen.spaced() }}]', '[{{ gen.returns(5) }}]',
    '{{ gen.returns([1, 2]) | length }}', '{{ gen.returns(none) is none }}', '{{ gen.returns("s") ~ "!" }}', '{{ gen.returns_early(1) }}|{{ gen.returns_early(0) }}',
    '{{ gen.do_return(3) }}', '{{ gen.fact(6) }}', '{{ gen.calls_sibling() }}', '{{ gen.pair(1) | upper }}|{{ gen.pair(1) | length }}',
    '{% set x = gen.pair(2) %}{{ x ~ "!" }}|{{ x is string }}',
    '{% call gen.wrap() %}body {{ n }}{% endcall %}', '{% call(a, b) gen.wrap_args("w") %}{{ a + b }}{% endcall %}',
    '{% call(i) gen.each([1, 2]) %}[{{ i }}]{% endcall %}', '{{ gen.maybe_caller() }}', '{% call gen.maybe_caller() %}with{% endcall %}',
    '{{ gen.uses_global() }}', '{{ gen.recurse(0) }}', '{{ gen.calls_private() }}', '{{ gen.dispatcher(1) }}',
    '{{ gen.returns_dict() }}', '{{ gen.returns_dict().a[1] }}', '{{ gen.returns_macro()(9) }}',
    '{{ gen.pair(1, 2, ) }}', '{{ gen.pair is callable }}', '{{ gen.nope() }}', '{{ gen.pair.nope }}',
    '{% set ns = namespace(count=0) %}{{ gen.bump(ns) }}{{ gen.bump(ns) }}|{{ ns.count }}',
    '{% set l = [] %}{{ gen.add_to(l, 1) }}{{ gen.add_to(l, 2) }}{{ l }}',
    '{% call(x) gen.call_twice() %}<{{ x }}>{% endcall %}', '{% call(i) gen.pass_caller() %}({{ i }}){% endcall %}',
    '{% call gen.nested_call() %}deep{% endcall %}', '{{ gen.loop_in_macro("abc") }}', '{{ gen.loop_in_macro([]) }}',
    '{{ gen.default_global() }}|{{ gen.default_global(1) }}', '{{ gen.default_call() }}', '{{ gen.set_macro_var() }}|{{ gen.pair(1) }}',
    '{% call(a, b) gen.caller_args() %}{{ a }}{{ b }}{% endcall %}', '{% call(a) gen.caller_args() %}{{ a }}{% endcall %}',
    '{{ gen.returns_in_loop([1, 2, 3]) }}|{{ gen.returns_in_loop([0]) }}', '[{{ gen.ws_macro(1) }}]',
    '{{ gen.returns_none() }}|{{ gen.returns_none() is none }}', '[{{ gen.returns_empty() }}]', '{{ gen.returns_false() }}|{{ not gen.returns_false() }}',
    '{% for x in range(2) %}{% call gen.wrap() %}{{ x }}{{ loop.index }}{% endcall %}{% endfor %}',
    '{% set r = gen.returns([1, 2]) %}{% do r.append(3) %}{{ r }}', '{{ gen.returns(gen.pair) is callable }}',
    '{{ [1, 2]|map("string")|map("gen.pair")|list }}', "{{ gen['pair'](3) }}", '{{ (gen.pair)(4) }}',
    '{% set p = gen.pair %}{{ p(5) }}',
  ];
  return calls.map((source, i) => ({ id: `gen:macrocall:${i}`, part: 1, source, packages: ['dbt', 'gen'], toplevel: ['gen'], context: { n: 42, s: 'Hello' } }));
}
