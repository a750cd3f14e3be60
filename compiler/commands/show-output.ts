import type { Row } from '../../targets/target.js';
import { valueJson, valueText } from '../../targets/values/value-format.js';

export type OutputFormat = 'text' | 'json' | 'csv';

function csvCell(s: string): string {
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/**
 * Write streamed rows as a text table, a JSON array, or CSV. Text buffers (to size columns); json and
 * csv stream. Values print as targets/values/value-format.ts says (dates as dates, DECIMAL with its scale).
 */
export async function formatRows(batches: AsyncIterable<Row[]>, format: OutputFormat, out: NodeJS.WritableStream): Promise<number> {
  let n = 0;
  if (format === 'json') {
    out.write('[');
    for await (const b of batches) for (const r of b) out.write(`${n++ ? ',' : ''}\n  ${JSON.stringify(valueJson(r))}`);
    out.write(n ? '\n]\n' : ']\n');
    return n;
  }
  if (format === 'csv') {
    let header: string[] | undefined;
    for await (const b of batches) {
      for (const r of b) {
        if (!header) {
          header = Object.keys(r);
          out.write(`${header.map(csvCell).join(',')}\n`);
        }
        out.write(`${header.map((k) => csvCell(valueText(r[k], ''))).join(',')}\n`);
        n++;
      }
    }
    return n;
  }
  const rows: Row[] = [];
  for await (const b of batches) rows.push(...b);
  if (!rows.length) {
    out.write('(no rows)\n');
    return 0;
  }
  const cols = Object.keys(rows[0]!);
  const cells = rows.map((r) => cols.map((c) => valueText(r[c], 'NULL')));
  const widths = cols.map((c, i) => Math.min(60, Math.max(c.length, ...cells.map((x) => x[i]!.length))));
  const fmt = (xs: string[]) => `| ${xs.map((x, i) => (x.length > widths[i]! ? `${x.slice(0, widths[i]! - 1)}…` : x.padEnd(widths[i]!))).join(' | ')} |`;
  out.write(`${fmt(cols)}\n|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|\n`);
  for (const c of cells) out.write(`${fmt(c)}\n`);
  return rows.length;
}
