/**
 * A seed's CSV checked before anything runs: an empty (0-byte) file, a file without a header line,
 * a row with more or fewer fields than the header and a quote never closed are errors with the
 * file and line, on every target (the DuckDB, PostgreSQL and Hive loaders all read seeds with
 * DuckDB's reader, which loads an empty file as one `column0` and silently drops a ragged file's
 * rows). A header with no rows is an empty table with those columns, as in dbt.
 */

export interface SeedFileProblem {
  message: string;
  line: number;
}

const preview = (s: string): string => {
  const t = s.replace(/\r?\n$/, '');
  return t.length > 60 ? `${t.slice(0, 57)}...` : t;
};

/** What is wrong with a seed's text, or undefined. `header`: the first row names the columns. */
export function seedFileProblem(text: string, delimiter: string, quote: string, header: boolean): SeedFileProblem | undefined {
  if (text.length === 0) return { message: 'is an empty file (0 bytes); a seed needs at least a header line naming its columns', line: 1 };
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  let line = 1;
  let expected: number | undefined;
  let expectedLine = 1;
  let i = 0;
  const n = text.length;
  while (i < n) {
    // one record, which may span lines inside quotes
    const startLine = line;
    const start = i;
    let fields = 1;
    let blank = true;
    for (;;) {
      if (i >= n) break;
      const ch = text[i]!;
      if (ch === '\n' || ch === '\r') {
        i += ch === '\r' && text[i + 1] === '\n' ? 2 : 1;
        line++;
        break;
      }
      if (ch === quote) {
        blank = false;
        let j = i + 1;
        let closed = false;
        while (j < n) {
          if (text[j] === quote) {
            if (text[j + 1] === quote) {
              j += 2;
              continue;
            }
            closed = true;
            break;
          }
          if (text[j] === '\n') line++;
          j++;
        }
        if (!closed) return { message: `has a quoted field opened on line ${startLine} that is never closed`, line: startLine };
        i = j + 1;
        continue;
      }
      if (ch === delimiter) fields++;
      blank = false;
      i++;
    }
    if (blank) continue; // an empty line is no row
    if (expected === undefined) {
      expected = fields;
      expectedLine = startLine;
      continue;
    }
    if (fields !== expected) {
      return {
        message: `line ${startLine} has ${fields} field${fields === 1 ? '' : 's'} where ${header ? `the header (line ${expectedLine})` : `line ${expectedLine}`} has ${expected}: \`${preview(text.slice(start, i))}\``,
        line: startLine,
      };
    }
  }
  if (expected === undefined) return { message: `has no ${header ? 'header line' : 'rows'} (only empty lines)`, line: 1 };
  return undefined;
}
