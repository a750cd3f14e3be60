import { TxError } from '../errors.js';
import type { SqlFile } from './project-types.js';

const DOCS_RE = /\{%-?\s*docs\s+([A-Za-z_][A-Za-z0-9_]*)\s*-?%\}([\s\S]*?)\{%-?\s*enddocs\s*-?%\}/g;

/** `{% docs name %}…{% enddocs %}` blocks from .md files, for `{{ doc("name") }}`. */
export function parseDocsBlocks(files: SqlFile[]): Map<string, { text: string; file: string }> {
  const out = new Map<string, { text: string; file: string }>();
  for (const f of files) {
    for (const m of f.text.matchAll(DOCS_RE)) {
      const name = m[1]!;
      const prev = out.get(name);
      if (prev) {
        const line = f.text.slice(0, m.index).split('\n').length;
        throw new TxError('DUPLICATE', `docs block \`${name}\` is defined twice (also in ${prev.file})`, { file: f.path, line });
      }
      out.set(name, { text: m[2]!.trim(), file: f.path });
    }
  }
  return out;
}
