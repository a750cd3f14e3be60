import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TxError } from '../errors.js';

const isGlob = (p: string) => /[*?[\]{}]/.test(p);

function globRegex(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') {
      if (glob[i + 1] === '*') {
        re += '.*';
        i++;
        if (glob[i + 1] === '/') i++;
      } else re += '[^/]*';
    } else if (c === '?') re += '[^/]';
    else if (c === '{') {
      const end = glob.indexOf('}', i);
      re += `(?:${glob.slice(i + 1, end).split(',').map((s) => s.replace(/[.+^$()|\\]/g, '\\$&')).join('|')})`;
      i = end;
    } else re += /[.+^$()|\\]/.test(c) ? `\\${c}` : c;
  }
  return new RegExp(`^${re}$`);
}

/** Spark and Hadoop leave these beside part files. */
const isMarker = (name: string) => name.startsWith('_') || name.startsWith('.') || name.endsWith('.crc');

/**
 * The files of a file source: one file, every data file in a folder (recursively, as Spark
 * writes part files), or a glob. Sorted, so reads and line numbers are reproducible.
 */
export function expandSourceFiles(path: string, projectDir: string, where: { file?: string; line?: number; source: string }): string[] {
  // A URL (hdfs://, s3a://, file://...): an engine that reaches it reads it itself (the Hive
  // target's engine_paths). A file:// path this machine sees is expanded as a local one.
  const url = /^([a-z][a-z0-9+.-]*):\/\//i.exec(path);
  if (url) {
    if (url[1]!.toLowerCase() === 'file') {
      const local = fileURLToPath(path.replace(/^file:\/\/(?!\/)/i, 'file:///'));
      if (isGlob(local) || existsSync(local)) return expandSourceFiles(local, projectDir, where);
    }
    return [path];
  }
  const abs = isAbsolute(path) ? path : resolve(projectDir, path);
  if (!isGlob(abs)) {
    if (!existsSync(abs)) {
      throw new TxError('SOURCE_FILE', `file source ${where.source}: \`${path}\` does not exist`, {
        file: where.file,
        line: where.line,
        hint: isAbsolute(path) ? undefined : `relative paths are read from the project folder (${projectDir})`,
      });
    }
    if (statSync(abs).isFile()) return [abs];
    const files = (readdirSync(abs, { recursive: true }) as string[])
      .filter((f) => !f.split(sep).some(isMarker))
      .map((f) => join(abs, f))
      .filter((f) => statSync(f).isFile())
      .sort();
    if (!files.length) throw new TxError('SOURCE_FILE', `file source ${where.source}: the folder \`${path}\` holds no data files`, { file: where.file, line: where.line });
    return files;
  }
  // Glob: walk from the longest fixed prefix.
  const parts = abs.split('/');
  const fixed: string[] = [];
  for (const p of parts) {
    if (isGlob(p)) break;
    fixed.push(p);
  }
  const base = fixed.join('/') || '/';
  const re = globRegex(relative(base, abs).split(sep).join('/'));
  const files = existsSync(base)
    ? (readdirSync(base, { recursive: true }) as string[])
        .map((f) => f.split(sep).join('/'))
        .filter((f) => re.test(f) && !f.split('/').some(isMarker))
        .map((f) => join(base, f))
        .filter((f) => statSync(f).isFile())
        .sort()
    : [];
  if (!files.length) throw new TxError('SOURCE_FILE', `file source ${where.source}: no file matches \`${path}\``, { file: where.file, line: where.line, hint: existsSync(base) ? undefined : `${dirname(abs)} does not exist` });
  return files;
}
