/**
 * A data test naming a column its node lacks, found before anything runs where the columns are
 * known without the warehouse: a seed's header line. Exit 2 with the test's file:line, the same
 * message as at run time. (Tests on a model's undeclared columns, with an enforced contract among
 * them, are checked where tests compile: compile-tests.ts.) Elsewhere the columns are known only once
 * the relation is built: the test then fails as a node (exit 1, execute-test.ts).
 */
import { TxError, didYouMean } from '../errors.js';
import type { SqlFile } from '../load/project-types.js';
import type { GraphNode } from './nodes.js';

/** The first record of a CSV text: its field names (quotes allowed). */
function headerNames(text: string, delimiter: string, quote: string): string[] {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const out: string[] = [];
  let cur = '';
  let inQ = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (inQ) {
      if (ch === quote && text[i + 1] === quote) {
        cur += quote;
        i++;
      } else if (ch === quote) inQ = false;
      else cur += ch;
    } else if (ch === quote) inQ = true;
    else if (ch === delimiter) {
      out.push(cur);
      cur = '';
    } else if (ch === '\n' || ch === '\r') break;
    else cur += ch;
  }
  out.push(cur);
  return out.map((s) => s.trim());
}

/** The columns of `n` known before it is built, or undefined. */
export function knownColumns(n: GraphNode, seeds: readonly SqlFile[]): string[] | undefined {
  if (n.resourceType === 'seed') {
    if (n.config.header === false) return undefined;
    const s = seeds.find((x) => x.path === n.path);
    if (!s) return undefined;
    const names = headerNames(s.text, String(n.config.delimiter ?? (s.path.endsWith('.tsv') ? '\t' : ',')), String(n.config.quote ?? '"'));
    // an unnamed header cell gets a generated name from the loader: not knowable here
    return names.some((x) => !x) ? undefined : names;
  }
  return undefined;
}

/** Throws (exit 2, the test's file:line) for the first data test naming a column its node is known to lack. */
export function checkTestColumns(nodes: ReadonlyMap<string, GraphNode>, seeds: readonly SqlFile[]): void {
  const known = new Map<string, string[] | undefined>();
  for (const t of nodes.values()) {
    if (t.resourceType !== 'test' || !t.test?.columnChecks?.length) continue;
    for (const chk of t.test.columnChecks) {
      const target = nodes.get(chk.nodeId);
      if (!target) continue;
      if (!known.has(chk.nodeId)) known.set(chk.nodeId, knownColumns(target, seeds));
      const names = known.get(chk.nodeId);
      if (!names) continue;
      for (const c of chk.columns) {
        if (names.some((x) => x.toLowerCase() === c.toLowerCase())) continue;
        const spec = t.test.spec;
        throw new TxError('PROJECT', `test \`${spec?.name ?? t.name}\` names column \`${c}\`, which ${target.resourceType} ${target.name} does not have (its header: ${names.join(', ')})`, {
          file: spec?.file ?? t.path,
          line: spec?.line,
          hint: didYouMean(c, names),
        });
      }
    }
  }
}
