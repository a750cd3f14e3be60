/**
 * PyYAML's yaml.safe_dump(data, sort_keys=...) with its other defaults (block style, width 80,
 * indent 2, allow_unicode=False), reimplemented: SafeRepresenter (values to nodes, anchors for
 * objects met twice), Serializer (nodes to events, implicit tags from the YAML 1.1 resolver) and
 * Emitter (events to text, PyYAML's scalar style choice, quoting, escaping and line folding).
 */
import { PyError, PyFloat, isPlainObject, isTuple } from '../jinja/values.js';
import { compare, floatRepr, typeName } from '../jinja/py.js';
import { PyDate, PyDateTime } from './python-datetime.js';

const TAG = 'tag:yaml.org,2002:';

type YNode =
  | { kind: 'scalar'; tag: string; value: string; style: string | null }
  | { kind: 'seq'; tag: string; value: YNode[]; flowStyle: boolean }
  | { kind: 'map'; tag: string; value: [YNode, YNode][]; flowStyle: boolean };

/** PyYAML's RepresenterError (a YAMLError). */
export class RepresenterError extends PyError {
  constructor(data: unknown) {
    super('RepresenterError', `('cannot represent an object', ${typeName(data)})`);
  }
}

// ---------------------------------------------------------------------------------------------
// Representer

class Representer {
  private readonly represented = new Map<unknown, YNode>();
  constructor(private readonly sortKeys: boolean) {}

  private ignoreAliases(data: unknown): boolean {
    return (
      data === null ||
      data === undefined ||
      typeof data === 'string' ||
      typeof data === 'number' ||
      typeof data === 'boolean' ||
      data instanceof PyFloat ||
      (isTuple(data) && data.length === 0)
    );
  }

  represent(data: unknown): YNode {
    const alias = !this.ignoreAliases(data);
    if (alias && this.represented.has(data)) return this.represented.get(data)!;
    const remember = (n: YNode): YNode => {
      if (alias) this.represented.set(data, n);
      return n;
    };
    if (data === null || data === undefined) return remember(scalar('null', 'null'));
    if (typeof data === 'string') return remember(scalar('str', data));
    if (typeof data === 'boolean') return remember(scalar('bool', data ? 'true' : 'false'));
    if (typeof data === 'number' && Number.isInteger(data)) return remember(scalar('int', String(data)));
    if (typeof data === 'number' || data instanceof PyFloat) return remember(scalar('float', floatValue(typeof data === 'number' ? data : data.value)));
    if (Array.isArray(data)) {
      const items: YNode[] = [];
      const node: YNode = { kind: 'seq', tag: TAG + 'seq', value: items, flowStyle: false };
      remember(node);
      for (const item of data as unknown[]) items.push(this.represent(item));
      return node;
    }
    if (data instanceof Map || isPlainObject(data)) {
      const entries: [unknown, unknown][] = data instanceof Map ? [...data.entries()] : Object.entries(data);
      return this.mapping(TAG + 'map', entries, remember);
    }
    if (data instanceof Set) {
      return this.mapping(TAG + 'set', [...data].map((k) => [k, null] as [unknown, unknown]), remember);
    }
    if (data instanceof PyDateTime) return remember(scalar('timestamp', data.isoformat(' ')));
    if (data instanceof PyDate) return remember(scalar('timestamp', data.isoformat()));
    // Markup, Undefined, functions and other objects: SafeRepresenter.represent_undefined
    throw new RepresenterError(data);
  }

  private mapping(tag: string, entries: [unknown, unknown][], remember: (n: YNode) => YNode): YNode {
    const node: YNode = { kind: 'map', tag, value: [], flowStyle: false };
    remember(node);
    let items = entries;
    if (this.sortKeys) {
      try {
        items = pySortedPairs(entries);
      } catch (e) {
        if (!(e instanceof PyError && e.type === 'TypeError')) throw e;
      }
    }
    for (const [k, v] of items) node.value.push([this.represent(k), this.represent(v)]);
    return node;
  }
}

/** sorted() of (key, value) pairs: by key, then by value for equal keys. */
function pySortedPairs(entries: [unknown, unknown][]): [unknown, unknown][] {
  const lt = (a: [unknown, unknown], b: [unknown, unknown]): boolean => {
    if (compare('<', a[0], b[0])) return true;
    if (compare('<', b[0], a[0])) return false;
    return compare('<', a[1], b[1]);
  };
  // a stable merge sort calling only <, as Python's sort does
  const arr = [...entries];
  const sort = (xs: [unknown, unknown][]): [unknown, unknown][] => {
    if (xs.length <= 1) return xs;
    const mid = xs.length >> 1;
    const a = sort(xs.slice(0, mid));
    const b = sort(xs.slice(mid));
    const out: [unknown, unknown][] = [];
    let i = 0;
    let j = 0;
    while (i < a.length && j < b.length) {
      if (lt(b[j]!, a[i]!)) out.push(b[j++]!);
      else out.push(a[i++]!);
    }
    return out.concat(a.slice(i), b.slice(j));
  };
  return sort(arr);
}

function scalar(tag: string, value: string): YNode {
  return { kind: 'scalar', tag: TAG + tag, value, style: null };
}

function floatValue(n: number): string {
  if (Number.isNaN(n)) return '.nan';
  if (n === Infinity) return '.inf';
  if (n === -Infinity) return '-.inf';
  let v = floatRepr(n).toLowerCase();
  if (!v.includes('.') && v.includes('e')) v = v.replace('e', '.0e');
  return v;
}

// ---------------------------------------------------------------------------------------------
// Resolver (YAML 1.1 implicit tags, as PyYAML's Resolver)

const RESOLVERS: [string, RegExp, string][] = [
  ['bool', /^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$/, 'yYnNtTfFoO'],
  [
    'float',
    /^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/,
    '-+0123456789.',
  ],
  ['int', /^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$/, '-+0123456789'],
  ['merge', /^(?:<<)$/, '<'],
  ['null', /^(?:~|null|Null|NULL|)$/, '~nN'],
  [
    'timestamp',
    /^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]|[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?(?:[Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$/,
    '0123456789',
  ],
  ['value', /^(?:=)$/, '='],
];

/** The tag PyYAML's resolver gives a plain scalar `value` (str when none matches). */
export function resolveImplicit(value: string): string {
  const first = value === '' ? '' : value[0]!;
  for (const [tag, re, firsts] of RESOLVERS) {
    const applies = value === '' ? tag === 'null' : firsts.includes(first);
    if (applies && re.test(value)) return TAG + tag;
  }
  return TAG + 'str';
}

// ---------------------------------------------------------------------------------------------
// Serializer: nodes to events

type Ev =
  | { t: 'StreamStart' }
  | { t: 'StreamEnd' }
  | { t: 'DocStart' }
  | { t: 'DocEnd' }
  | { t: 'Alias'; anchor: string }
  | { t: 'Scalar'; anchor: string | null; tag: string; implicit: [boolean, boolean]; value: string; style: string | null }
  | { t: 'SeqStart'; anchor: string | null; tag: string; implicit: boolean; flowStyle: boolean }
  | { t: 'SeqEnd' }
  | { t: 'MapStart'; anchor: string | null; tag: string; implicit: boolean; flowStyle: boolean }
  | { t: 'MapEnd' };

function serialize(root: YNode): Ev[] {
  const anchors = new Map<YNode, string | null>();
  let lastId = 0;
  const anchorNode = (n: YNode): void => {
    if (anchors.has(n)) {
      if (anchors.get(n) === null) anchors.set(n, `id${String(++lastId).padStart(3, '0')}`);
      return;
    }
    anchors.set(n, null);
    if (n.kind === 'seq') n.value.forEach(anchorNode);
    else if (n.kind === 'map')
      for (const [k, v] of n.value) {
        anchorNode(k);
        anchorNode(v);
      }
  };
  anchorNode(root);
  const events: Ev[] = [{ t: 'StreamStart' }, { t: 'DocStart' }];
  const done = new Set<YNode>();
  const ser = (n: YNode): void => {
    const alias = anchors.get(n) ?? null;
    if (done.has(n)) {
      events.push({ t: 'Alias', anchor: alias! });
      return;
    }
    done.add(n);
    if (n.kind === 'scalar') {
      const detected = resolveImplicit(n.value);
      events.push({ t: 'Scalar', anchor: alias, tag: n.tag, implicit: [n.tag === detected, n.tag === TAG + 'str'], value: n.value, style: n.style });
    } else if (n.kind === 'seq') {
      events.push({ t: 'SeqStart', anchor: alias, tag: n.tag, implicit: n.tag === TAG + 'seq', flowStyle: n.flowStyle });
      n.value.forEach(ser);
      events.push({ t: 'SeqEnd' });
    } else {
      events.push({ t: 'MapStart', anchor: alias, tag: n.tag, implicit: n.tag === TAG + 'map', flowStyle: n.flowStyle });
      for (const [k, v] of n.value) {
        ser(k);
        ser(v);
      }
      events.push({ t: 'MapEnd' });
    }
  };
  ser(root);
  events.push({ t: 'DocEnd' }, { t: 'StreamEnd' });
  return events;
}

// ---------------------------------------------------------------------------------------------
// Emitter

interface Analysis {
  scalar: string[];
  empty: boolean;
  multiline: boolean;
  allowFlowPlain: boolean;
  allowBlockPlain: boolean;
  allowSingleQuoted: boolean;
  allowDoubleQuoted: boolean;
  allowBlock: boolean;
}

const BREAKS = '\n\x85\u2028\u2029';
const WS_BREAK = '\0 \t\r\n\x85\u2028\u2029';

function analyzeScalar(text: string): Analysis {
  const scalar = Array.from(text);
  if (scalar.length === 0)
    return { scalar, empty: true, multiline: false, allowFlowPlain: false, allowBlockPlain: true, allowSingleQuoted: true, allowDoubleQuoted: true, allowBlock: false };
  let blockIndicators = false;
  let flowIndicators = false;
  let lineBreaks = false;
  let specialCharacters = false;
  let leadingSpace = false;
  let leadingBreak = false;
  let trailingSpace = false;
  let trailingBreak = false;
  let breakSpace = false;
  let spaceBreak = false;
  if (text.startsWith('---') || text.startsWith('...')) {
    blockIndicators = true;
    flowIndicators = true;
  }
  let precededByWhitespace = true;
  let followedByWhitespace = scalar.length === 1 || WS_BREAK.includes(scalar[1]!);
  let previousSpace = false;
  let previousBreak = false;
  let index = 0;
  while (index < scalar.length) {
    const ch = scalar[index]!;
    if (index === 0) {
      if ('#,[]{}&*!|>\'"%@`'.includes(ch)) {
        flowIndicators = true;
        blockIndicators = true;
      }
      if (ch === '?' || ch === ':') {
        flowIndicators = true;
        if (followedByWhitespace) blockIndicators = true;
      }
      if (ch === '-' && followedByWhitespace) {
        flowIndicators = true;
        blockIndicators = true;
      }
    } else {
      if (',?[]{}'.includes(ch)) flowIndicators = true;
      if (ch === ':') {
        flowIndicators = true;
        if (followedByWhitespace) blockIndicators = true;
      }
      if (ch === '#' && precededByWhitespace) {
        flowIndicators = true;
        blockIndicators = true;
      }
    }
    if (BREAKS.includes(ch)) lineBreaks = true;
    const c = ch.codePointAt(0)!;
    if (!(ch === '\n' || (c >= 0x20 && c <= 0x7e))) {
      const printable =
        (c === 0x85 || (c >= 0xa0 && c <= 0xd7ff) || (c >= 0xe000 && c <= 0xfffd) || (c >= 0x10000 && c < 0x10ffff)) && c !== 0xfeff;
      // allow_unicode is False: every non-ASCII character is special
      void printable;
      specialCharacters = true;
    }
    if (ch === ' ') {
      if (index === 0) leadingSpace = true;
      if (index === scalar.length - 1) trailingSpace = true;
      if (previousBreak) breakSpace = true;
      previousSpace = true;
      previousBreak = false;
    } else if (BREAKS.includes(ch)) {
      if (index === 0) leadingBreak = true;
      if (index === scalar.length - 1) trailingBreak = true;
      if (previousSpace) spaceBreak = true;
      previousSpace = false;
      previousBreak = true;
    } else {
      previousSpace = false;
      previousBreak = false;
    }
    index += 1;
    precededByWhitespace = WS_BREAK.includes(ch);
    followedByWhitespace = index + 1 >= scalar.length || WS_BREAK.includes(scalar[index + 1]!);
  }
  let allowFlowPlain = true;
  let allowBlockPlain = true;
  let allowSingleQuoted = true;
  const allowDoubleQuoted = true;
  let allowBlock = true;
  if (leadingSpace || leadingBreak || trailingSpace || trailingBreak) allowFlowPlain = allowBlockPlain = false;
  if (trailingSpace) allowBlock = false;
  if (breakSpace) allowFlowPlain = allowBlockPlain = allowSingleQuoted = false;
  if (spaceBreak || specialCharacters) allowFlowPlain = allowBlockPlain = allowSingleQuoted = allowBlock = false;
  if (lineBreaks) allowFlowPlain = allowBlockPlain = false;
  if (flowIndicators) allowFlowPlain = false;
  if (blockIndicators) allowBlockPlain = false;
  return { scalar, empty: false, multiline: lineBreaks, allowFlowPlain, allowBlockPlain, allowSingleQuoted, allowDoubleQuoted, allowBlock };
}

const ESCAPES: Record<string, string> = {
  '\0': '0',
  '\x07': 'a',
  '\x08': 'b',
  '\x09': 't',
  '\x0A': 'n',
  '\x0B': 'v',
  '\x0C': 'f',
  '\x0D': 'r',
  '\x1B': 'e',
  '"': '"',
  '\\': '\\',
  '\x85': 'N',
  '\xA0': '_',
  '\u2028': 'L',
  '\u2029': 'P',
};

class Emitter {
  private out = '';
  private readonly states: (() => void)[] = [];
  private state: () => void;
  private event: Ev | null = null;
  private pos = 0;
  private readonly indents: (number | null)[] = [];
  private indent: number | null = null;
  private flowLevel = 0;
  private rootContext = false;
  private mappingContext = false;
  private simpleKeyContext = false;
  private column = 0;
  private whitespace = true;
  private indention = true;
  private openEnded = false;
  private readonly bestIndent = 2;
  private readonly bestWidth = 80;
  private analysis: Analysis | null = null;
  private style: string | null = null;

  /** `indentSequences`: block sequences inside mappings indented (a Dumper whose increase_indent passes indentless=False, as dbt's package-lock dumper). */
  constructor(
    private readonly events: Ev[],
    private readonly indentSequences = false,
  ) {
    this.state = () => this.expectStreamStart();
  }

  run(): string {
    while (this.pos < this.events.length) {
      this.event = this.events[this.pos++]!;
      this.state();
      this.event = null;
    }
    return this.out;
  }

  private peek(): Ev | undefined {
    return this.events[this.pos];
  }

  private increaseIndent(flow = false, indentless = false): void {
    this.indents.push(this.indent);
    if (this.indent === null) this.indent = flow ? this.bestIndent : 0;
    else if (!indentless) this.indent += this.bestIndent;
  }

  private popIndent(): void {
    this.indent = this.indents.pop() ?? null;
  }

  private popState(): void {
    this.state = this.states.pop()!;
  }

  private expectStreamStart(): void {
    this.state = () => this.expectDocumentStart(true);
  }

  private expectDocumentStart(first: boolean): void {
    const ev = this.event!;
    if (ev.t === 'DocStart') {
      const implicit = first && !this.checkEmptyDocument();
      if (!implicit) {
        this.writeIndent();
        this.writeIndicator('---', true);
      }
      this.state = () => this.expectDocumentRoot();
    } else if (ev.t === 'StreamEnd') {
      if (this.openEnded) {
        this.writeIndicator('...', true);
        this.writeIndent();
      }
      this.state = () => {
        throw new Error('expected nothing');
      };
    }
  }

  private expectDocumentEnd(): void {
    this.writeIndent();
    this.state = () => this.expectDocumentStart(false);
  }

  private expectDocumentRoot(): void {
    this.states.push(() => this.expectDocumentEnd());
    this.expectNode(true);
  }

  private expectNode(root = false, sequence = false, mapping = false, simpleKey = false): void {
    this.rootContext = root;
    void sequence;
    this.mappingContext = mapping;
    this.simpleKeyContext = simpleKey;
    const ev = this.event!;
    if (ev.t === 'Alias') {
      this.writeIndicator('*' + ev.anchor, true);
      this.popState();
      return;
    }
    if (ev.t === 'Scalar' || ev.t === 'SeqStart' || ev.t === 'MapStart') {
      if (ev.anchor !== null) this.writeIndicator('&' + ev.anchor, true);
      this.processTag();
      if (ev.t === 'Scalar') {
        this.increaseIndent(true);
        this.processScalar();
        this.popIndent();
        this.popState();
      } else if (ev.t === 'SeqStart') {
        if (this.flowLevel || ev.flowStyle || this.checkEmptySequence()) this.expectFlowSequence();
        else this.expectBlockSequence();
      } else {
        if (this.flowLevel || ev.flowStyle || this.checkEmptyMapping()) this.expectFlowMapping();
        else this.expectBlockMapping();
      }
    }
  }

  private expectFlowSequence(): void {
    this.writeIndicator('[', true, true);
    this.flowLevel++;
    this.increaseIndent(true);
    this.state = () => this.expectFlowSequenceItem(true);
  }

  private expectFlowSequenceItem(first: boolean): void {
    if (this.event!.t === 'SeqEnd') {
      this.popIndent();
      this.flowLevel--;
      this.writeIndicator(']', false);
      this.popState();
      return;
    }
    if (!first) this.writeIndicator(',', false);
    if (this.column > this.bestWidth) this.writeIndent();
    this.states.push(() => this.expectFlowSequenceItem(false));
    this.expectNode(false, true);
  }

  private expectFlowMapping(): void {
    this.writeIndicator('{', true, true);
    this.flowLevel++;
    this.increaseIndent(true);
    this.state = () => this.expectFlowMappingKey(true);
  }

  private expectFlowMappingKey(first: boolean): void {
    if (this.event!.t === 'MapEnd') {
      this.popIndent();
      this.flowLevel--;
      this.writeIndicator('}', false);
      this.popState();
      return;
    }
    if (!first) this.writeIndicator(',', false);
    if (this.column > this.bestWidth) this.writeIndent();
    if (this.checkSimpleKey()) {
      this.states.push(() => this.expectFlowMappingSimpleValue());
      this.expectNode(false, false, true, true);
    } else {
      this.writeIndicator('?', true);
      this.states.push(() => this.expectFlowMappingValue());
      this.expectNode(false, false, true);
    }
  }

  private expectFlowMappingSimpleValue(): void {
    this.writeIndicator(':', false);
    this.states.push(() => this.expectFlowMappingKey(false));
    this.expectNode(false, false, true);
  }

  private expectFlowMappingValue(): void {
    if (this.column > this.bestWidth) this.writeIndent();
    this.writeIndicator(':', true);
    this.states.push(() => this.expectFlowMappingKey(false));
    this.expectNode(false, false, true);
  }

  private expectBlockSequence(): void {
    const indentless = this.mappingContext && !this.indention && !this.indentSequences;
    this.increaseIndent(false, indentless);
    this.state = () => this.expectBlockSequenceItem(true);
  }

  private expectBlockSequenceItem(first: boolean): void {
    if (!first && this.event!.t === 'SeqEnd') {
      this.popIndent();
      this.popState();
      return;
    }
    this.writeIndent();
    this.writeIndicator('-', true, false, true);
    this.states.push(() => this.expectBlockSequenceItem(false));
    this.expectNode(false, true);
  }

  private expectBlockMapping(): void {
    this.increaseIndent(false);
    this.state = () => this.expectBlockMappingKey(true);
  }

  private expectBlockMappingKey(first: boolean): void {
    if (!first && this.event!.t === 'MapEnd') {
      this.popIndent();
      this.popState();
      return;
    }
    this.writeIndent();
    if (this.checkSimpleKey()) {
      this.states.push(() => this.expectBlockMappingSimpleValue());
      this.expectNode(false, false, true, true);
    } else {
      this.writeIndicator('?', true, false, true);
      this.states.push(() => this.expectBlockMappingValue());
      this.expectNode(false, false, true);
    }
  }

  private expectBlockMappingSimpleValue(): void {
    this.writeIndicator(':', false);
    this.states.push(() => this.expectBlockMappingKey(false));
    this.expectNode(false, false, true);
  }

  private expectBlockMappingValue(): void {
    this.writeIndent();
    this.writeIndicator(':', true, false, true);
    this.states.push(() => this.expectBlockMappingKey(false));
    this.expectNode(false, false, true);
  }

  private checkEmptySequence(): boolean {
    return this.event!.t === 'SeqStart' && this.peek()?.t === 'SeqEnd';
  }

  private checkEmptyMapping(): boolean {
    return this.event!.t === 'MapStart' && this.peek()?.t === 'MapEnd';
  }

  private checkEmptyDocument(): boolean {
    // PyYAML's check needs a scalar without a tag; the representer always gives one
    return false;
  }

  private checkSimpleKey(): boolean {
    const ev = this.event!;
    let length = 0;
    if ((ev.t === 'Scalar' || ev.t === 'SeqStart' || ev.t === 'MapStart') && ev.anchor !== null) length += ev.anchor.length;
    if (ev.t === 'Alias') length += ev.anchor.length;
    if (ev.t === 'Scalar' || ev.t === 'SeqStart' || ev.t === 'MapStart') length += this.preparedTag().length;
    if (ev.t === 'Scalar') {
      if (this.analysis === null) this.analysis = analyzeScalar(ev.value);
      length += this.analysis.scalar.length;
    }
    return (
      length < 128 &&
      (ev.t === 'Alias' || (ev.t === 'Scalar' && !this.analysis!.empty && !this.analysis!.multiline) || this.checkEmptySequence() || this.checkEmptyMapping())
    );
  }

  private preparedTag(): string {
    const ev = this.event as { tag: string };
    if (ev.tag.startsWith(TAG) && ev.tag.length > TAG.length) return '!!' + ev.tag.slice(TAG.length);
    return '!<' + ev.tag + '>';
  }

  private processTag(): void {
    const ev = this.event!;
    if (ev.t === 'Scalar') {
      if (this.style === null) this.style = this.chooseScalarStyle();
      if ((this.style === '' && ev.implicit[0]) || (this.style !== '' && ev.implicit[1])) return;
    } else if ((ev.t === 'SeqStart' || ev.t === 'MapStart') && ev.implicit) return;
    this.writeIndicator(this.preparedTag(), true);
  }

  private chooseScalarStyle(): string {
    const ev = this.event as Extract<Ev, { t: 'Scalar' }>;
    if (this.analysis === null) this.analysis = analyzeScalar(ev.value);
    const a = this.analysis;
    if (ev.style === '"') return '"';
    if (!ev.style && ev.implicit[0]) {
      if (!(this.simpleKeyContext && (a.empty || a.multiline)) && ((this.flowLevel && a.allowFlowPlain) || (!this.flowLevel && a.allowBlockPlain)))
        return '';
    }
    if (ev.style && '|>'.includes(ev.style)) {
      if (!this.flowLevel && !this.simpleKeyContext && a.allowBlock) return ev.style;
    }
    if (!ev.style || ev.style === "'") {
      if (a.allowSingleQuoted && !(this.simpleKeyContext && a.multiline)) return "'";
    }
    return '"';
  }

  private processScalar(): void {
    const ev = this.event as Extract<Ev, { t: 'Scalar' }>;
    if (this.analysis === null) this.analysis = analyzeScalar(ev.value);
    if (this.style === null) this.style = this.chooseScalarStyle();
    const split = !this.simpleKeyContext;
    const text = this.analysis.scalar;
    if (this.style === '"') this.writeDoubleQuoted(text, split);
    else if (this.style === "'") this.writeSingleQuoted(text, split);
    else this.writePlain(text, split);
    this.analysis = null;
    this.style = null;
  }

  // writers

  private write(data: string, width = Array.from(data).length): void {
    this.out += data;
    this.column += width;
  }

  private writeIndicator(indicator: string, needWhitespace: boolean, whitespace = false, indention = false): void {
    const data = this.whitespace || !needWhitespace ? indicator : ' ' + indicator;
    this.whitespace = whitespace;
    this.indention = this.indention && indention;
    this.openEnded = false;
    this.write(data);
  }

  private writeIndent(): void {
    const indent = this.indent ?? 0;
    if (!this.indention || this.column > indent || (this.column === indent && !this.whitespace)) this.writeLineBreak();
    if (this.column < indent) {
      this.whitespace = true;
      this.out += ' '.repeat(indent - this.column);
      this.column = indent;
    }
  }

  private writeLineBreak(data = '\n'): void {
    this.whitespace = true;
    this.indention = true;
    this.column = 0;
    this.out += data;
  }

  private writeSingleQuoted(text: string[], split: boolean): void {
    this.writeIndicator("'", true);
    let spaces = false;
    let breaks = false;
    let start = 0;
    let end = 0;
    while (end <= text.length) {
      const ch = end < text.length ? text[end]! : null;
      if (spaces) {
        if (ch === null || ch !== ' ') {
          if (start + 1 === end && this.column > this.bestWidth && split && start !== 0 && end !== text.length) this.writeIndent();
          else this.write(text.slice(start, end).join(''), end - start);
          start = end;
        }
      } else if (breaks) {
        if (ch === null || !BREAKS.includes(ch)) {
          if (text[start] === '\n') this.writeLineBreak();
          for (const br of text.slice(start, end)) this.writeLineBreak(br === '\n' ? '\n' : br);
          this.writeIndent();
          start = end;
        }
      } else if (ch === null || ' \n\x85\u2028\u2029'.includes(ch) || ch === "'") {
        if (start < end) {
          this.write(text.slice(start, end).join(''), end - start);
          start = end;
        }
      }
      if (ch === "'") {
        this.write("''", 2);
        start = end + 1;
      }
      if (ch !== null) {
        spaces = ch === ' ';
        breaks = BREAKS.includes(ch);
      }
      end += 1;
    }
    this.writeIndicator("'", false);
  }

  private writeDoubleQuoted(text: string[], split: boolean): void {
    this.writeIndicator('"', true);
    let start = 0;
    let end = 0;
    while (end <= text.length) {
      const ch = end < text.length ? text[end]! : null;
      const c = ch === null ? -1 : ch.codePointAt(0)!;
      if (ch === null || '"\\\x85\u2028\u2029\uFEFF'.includes(ch) || !(c >= 0x20 && c <= 0x7e)) {
        if (start < end) {
          this.write(text.slice(start, end).join(''), end - start);
          start = end;
        }
        if (ch !== null) {
          let data: string;
          if (ch in ESCAPES) data = '\\' + ESCAPES[ch];
          else if (c <= 0xff) data = '\\x' + c.toString(16).toUpperCase().padStart(2, '0');
          else if (c <= 0xffff) data = '\\u' + c.toString(16).toUpperCase().padStart(4, '0');
          else data = '\\U' + c.toString(16).toUpperCase().padStart(8, '0');
          this.write(data, data.length);
          start = end + 1;
        }
      }
      if (end > 0 && end < text.length - 1 && (ch === ' ' || start >= end) && this.column + (end - start) > this.bestWidth && split) {
        const data = text.slice(start, end).join('') + '\\';
        const w = end - start + 1;
        if (start < end) start = end;
        this.write(data, w);
        this.writeIndent();
        this.whitespace = false;
        this.indention = false;
        if (text[start] === ' ') this.write('\\', 1);
      }
      end += 1;
    }
    this.writeIndicator('"', false);
  }

  private writePlain(text: string[], split: boolean): void {
    if (this.rootContext) this.openEnded = true;
    if (text.length === 0) return;
    if (!this.whitespace) this.write(' ', 1);
    this.whitespace = false;
    this.indention = false;
    let spaces = false;
    let breaks = false;
    let start = 0;
    let end = 0;
    while (end <= text.length) {
      const ch = end < text.length ? text[end]! : null;
      if (spaces) {
        if (ch !== ' ') {
          if (start + 1 === end && this.column > this.bestWidth && split) {
            this.writeIndent();
            this.whitespace = false;
            this.indention = false;
          } else this.write(text.slice(start, end).join(''), end - start);
          start = end;
        }
      } else if (breaks) {
        if (ch === null || !BREAKS.includes(ch)) {
          if (text[start] === '\n') this.writeLineBreak();
          for (const br of text.slice(start, end)) this.writeLineBreak(br === '\n' ? '\n' : br);
          this.writeIndent();
          this.whitespace = false;
          this.indention = false;
          start = end;
        }
      } else if (ch === null || ' \n\x85\u2028\u2029'.includes(ch)) {
        this.write(text.slice(start, end).join(''), end - start);
        start = end;
      }
      if (ch !== null) {
        spaces = ch === ' ';
        breaks = BREAKS.includes(ch);
      }
      end += 1;
    }
  }
}

/** yaml.safe_dump(data, sort_keys=sortKeys): PyYAML's text, or RepresenterError. */
export function yamlSafeDump(data: unknown, sortKeys: boolean, opts: { indentSequences?: boolean } = {}): string {
  const node = new Representer(sortKeys).represent(data);
  return new Emitter(serialize(node), opts.indentSequences ?? false).run();
}
