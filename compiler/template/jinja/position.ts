/** Offset into a text → 1-based line and column. */
export function lineCol(source: string, offset: number): { line: number; column: number } {
  let line = 1;
  let last = -1;
  const end = Math.min(offset, source.length);
  let i = source.indexOf('\n');
  while (i >= 0 && i < end) {
    line++;
    last = i;
    i = source.indexOf('\n', i + 1);
  }
  return { line, column: offset - last };
}
