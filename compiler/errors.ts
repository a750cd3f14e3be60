/**
 * One error family for everything a user can act on. The CLI prints these
 * without a stack trace (unless --debug) and exits with `exitCode`.
 */
export type ErrorCode =
  | 'PROJECT' // project.yml or a properties file is wrong
  | 'YAML' // YAML syntax
  | 'TEMPLATE' // template syntax or render error
  | 'ENCODING' // a project file that is not UTF-8
  | 'REF' // ref/source to something that does not exist
  | 'DUPLICATE' // two nodes with one name
  | 'CYCLE' // the DAG has a cycle
  | 'SELECTOR' // invalid --select/--exclude
  | 'TARGET' // unknown or misconfigured target
  | 'VAR' // var/env_var with no value and no default
  | 'USAGE' // bad command-line usage
  | 'SOURCE_FILE' // a file source that does not exist or cannot be read
  | 'LOCK' // another tx holds the warehouse
  | 'EXECUTION'; // a node failed in the warehouse

export interface ErrorLocation {
  file?: string;
  line?: number;
  column?: number;
}

export class TxError extends Error {
  readonly code: ErrorCode;
  readonly location: ErrorLocation;
  readonly hint?: string;
  /** 2 for project/usage errors (nothing ran), 1 for execution failures. */
  readonly exitCode: number;

  constructor(code: ErrorCode, message: string, opts: ErrorLocation & { hint?: string; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'TxError';
    this.code = code;
    this.location = { file: opts.file, line: opts.line, column: opts.column };
    this.hint = opts.hint;
    this.exitCode = code === 'EXECUTION' ? 1 : 2;
  }

  /** `file:line:col: message (hint)` as the CLI prints it. */
  format(): string {
    const { file, line, column } = this.location;
    const where = file ? `${file}${line ? `:${line}${column ? `:${column}` : ''}` : ''}: ` : '';
    return `${where}${this.message}${this.hint ? `\n  hint: ${this.hint}` : ''}`;
  }
}

/** Damerau-free Levenshtein distance, small and fast enough for name suggestions. */
export function editDistance(a: string, b: string): number {
  if (a === b) return 0;
  const prev = new Array<number>(b.length + 1);
  for (let j = 0; j <= b.length; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j]!;
      prev[j] = Math.min(prev[j]! + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length]!;
}

/** The closest names to `name` among `candidates` (at most `max`), for "did you mean". */
export function closest(name: string, candidates: Iterable<string>, max = 3): string[] {
  const lower = name.toLowerCase();
  const scored: [number, string][] = [];
  // a name listed twice (a macro and a global, two namespaces) is offered once
  for (const c of new Set(candidates)) {
    const d = editDistance(lower, c.toLowerCase());
    const limit = Math.max(2, Math.floor(Math.max(name.length, c.length) / 3));
    // one name inside the other counts when it is not a mere letter or two of it (`m` is in every `stg_customer`)
    const shorter = Math.min(lower.length, c.length);
    const contained = shorter >= 3 && shorter * 2 >= Math.max(lower.length, c.length) && (c.toLowerCase().includes(lower) || lower.includes(c.toLowerCase()));
    if (d <= limit || contained) scored.push([d, c]);
  }
  scored.sort((x, y) => x[0] - y[0] || x[1].localeCompare(y[1]));
  return scored.slice(0, max).map((s) => s[1]);
}

/** "did you mean `x`?" or undefined. */
export function didYouMean(name: string, candidates: Iterable<string>): string | undefined {
  const c = closest(name, candidates);
  return c.length ? `did you mean ${c.map((x) => `\`${x}\``).join(' or ')}?` : undefined;
}
