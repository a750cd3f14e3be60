import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument, isMap, isSeq, isScalar, type Document, type Node as YamlNode } from 'yaml';
import { TxError } from '../errors.js';

/** A parsed YAML file that can say on which line any value sits. */
export interface YamlFile {
  path: string;
  value: unknown;
  /** 1-based line of the node at `path` (keys and indexes), or of the nearest ancestor. */
  lineOf(path: (string | number)[]): number | undefined;
}

export function parseYaml(text: string, path: string): YamlFile {
  const lineCounter = new LineCounter();
  const doc: Document = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length) {
    const e = doc.errors[0]!;
    // linePos is only filled in with prettyErrors; the offset always is.
    const pos = e.linePos?.[0] ?? (e.pos ? lineCounter.linePos(e.pos[0]) : undefined);
    throw new TxError('YAML', `YAML syntax error: ${e.message.split('\n')[0]}`, {
      file: path,
      line: pos?.line,
      column: pos?.col,
    });
  }
  const value = doc.toJS({ maxAliasCount: 100 }) as unknown;
  const lineOf = (p: (string | number)[]): number | undefined => {
    for (let n = p.length; n >= 0; n--) {
      const sub = p.slice(0, n);
      let node: unknown = sub.length ? doc.getIn(sub, true) : doc.contents;
      // For a map key, prefer the key's own position.
      if (n > 0) {
        const parent = n > 1 ? doc.getIn(p.slice(0, n - 1), true) : doc.contents;
        if (isMap(parent)) {
          const pair = parent.items.find((it) => isScalar(it.key) && it.key.value === p[n - 1]);
          if (pair && isScalar(pair.key) && pair.key.range) node = pair.key;
        }
      }
      const range = (node as YamlNode | undefined)?.range;
      if (range) return lineCounter.linePos(range[0]).line;
      if (node && (isMap(node) || isSeq(node)) && (node as YamlNode).range) return lineCounter.linePos((node as YamlNode).range![0]).line;
    }
    return undefined;
  };
  return { path, value, lineOf };
}

export function readYaml(absPath: string, displayPath: string): YamlFile {
  return parseYaml(readFileSync(absPath, 'utf8'), displayPath);
}
