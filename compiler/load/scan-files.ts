import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';

/** Relative paths of the files under `root`, skipping hidden entries; dirents avoid a stat per file. */
function walk(root: string): string[] {
  const out: string[] = [];
  const stack = [''];
  while (stack.length) {
    const rel = stack.pop()!;
    for (const e of readdirSync(rel ? join(root, rel) : root, { withFileTypes: true })) {
      if (e.name.startsWith('.')) continue;
      const r = rel ? `${rel}${sep}${e.name}` : e.name;
      if (e.isDirectory()) stack.push(r);
      else if (e.isFile() || (e.isSymbolicLink() && statSync(join(root, r)).isFile())) out.push(r);
    }
  }
  return out;
}
import { join, relative, sep } from 'node:path';
import { TxError } from '../errors.js';
import type { SqlFile } from './project-types.js';

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** A file's text; bytes that are not UTF-8 are an error naming the file, line and byte. */
export function readUtf8(absPath: string, displayPath: string): string {
  // the fast path: Node's own UTF-8 read; bad bytes would have become U+FFFD
  const text = readFileSync(absPath, 'utf8');
  if (!text.includes('\uFFFD')) return text;
  const buf = readFileSync(absPath);
  try {
    return utf8.decode(buf);
  } catch {
    // find the first bad sequence: decode growing prefixes line by line
    let line = 1;
    let start = 0;
    for (let i = 0; i <= buf.length; i++) {
      if (i === buf.length || buf[i] === 10) {
        try {
          utf8.decode(buf.subarray(start, i));
        } catch {
          throw new TxError('ENCODING', `${displayPath} is not valid UTF-8 (line ${line}, near byte ${findBad(buf, start, i)})`, {
            file: displayPath,
            line,
            hint: 'save the file as UTF-8 (iconv -f latin1 -t utf-8 is the usual fix)',
          });
        }
        line++;
        start = i + 1;
      }
    }
    throw new TxError('ENCODING', `${displayPath} is not valid UTF-8`, { file: displayPath });
  }
}

function findBad(buf: Buffer, start: number, end: number): number {
  for (let j = start + 1; j <= end; j++) {
    try {
      utf8.decode(buf.subarray(start, j));
    } catch (e) {
      // an incomplete sequence at the end also throws; keep going until a hard error
      if (j === end) return j - 1;
      try {
        utf8.decode(buf.subarray(start, Math.min(end, j + 3)));
      } catch {
        return j - 1;
      }
    }
  }
  return start;
}

/**
 * Every file under `roots` (relative to `dir`) whose name ends with one of `exts`, sorted by path.
 * `walked` shares folder listings between calls of one load (models/ is scanned for .sql, .yml
 * and .md): each folder is listed once.
 */
export function scanFiles(dir: string, roots: string[], exts: string[], walked: Map<string, string[]> = new Map()): SqlFile[] {
  const out: SqlFile[] = [];
  for (const root of roots) {
    const absRoot = join(dir, root);
    let files = walked.get(absRoot);
    if (!files) {
      files = existsSync(absRoot) && statSync(absRoot).isDirectory() ? walk(absRoot) : [];
      walked.set(absRoot, files);
    }
    // Paths are built by hand: path.relative and path.join per file were a tenth of loading 10k models.
    const relRoot = relative(dir, absRoot).split(sep).join('/');
    const folder0 = root.replace(/\/+$/, '');
    for (const rel of files) {
      const ext = exts.find((e) => rel.endsWith(e));
      if (!ext) continue;
      const parts = rel.split(sep);
      const absPath = `${absRoot}${sep}${rel}`;
      const base = parts[parts.length - 1]!;
      out.push({
        name: base.slice(0, base.length - ext.length),
        path: relRoot ? `${relRoot}/${parts.join('/')}` : parts.join('/'),
        absPath,
        text: readUtf8(absPath, relRoot ? `${relRoot}/${parts.join('/')}` : parts.join('/')),
        folders: [folder0, ...parts.slice(0, -1)],
      });
    }
  }
  out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return out;
}
