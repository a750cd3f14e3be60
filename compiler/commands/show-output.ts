import type { Row } from '../../targets/target.js';

export type OutputFormat = 'text' | 'json' | 'csv';

/** A value as text: bigints exact, dates ISO, null as NULL (text) or empty (csv). */
export function cellText(v: unknown, nullText: string): string {
  if (v === null || v === undefined) return nullText;
  if (typeof v === 'bigint') return v.toString();
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'object') return JSON.stringify(v, (_, x) => (typeof x === 'bigint' ? x.toString() : x));
  return String(v);
}

/** JSON-safe value: bigints become numbers when exact, strings otherwise. */
export function jsonValue(v: unknown): unknown {
  if (typeof v === 'bigint') return v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(v) : v.toString();
  if (v instanceof Date) return v.toISOString();
  if (Array.isArray(v)) return v.map(jsonValue);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, jsonValue(x)]));
  return v;
}

function csvCell(s: string): string {
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Write streamed rows as a text table, a JSON array, or CSV. Text buffers (to size columns); json and csv stream. */
export async function formatRows(batches: AsyncIterable<Row[]>, format: OutputFormat, out: NodeJS.WritableStream): Promise<number> {
  let n = 0;
  if (format === 'json') {
    out.write('[');
    for await (const b of batches) for (const r of b) out.write(`${n++ ? ',' : ''}\n  ${JSON.stringify(jsonValue(r))}`);
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
        out.write(`${header.map((k) => csvCell(cellText(r[k], ''))).join(',')}\n`);
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
  const cells = rows.map((r) => cols.map((c) => cellText(r[c], 'NULL')));
  const widths = cols.map((c, i) => Math.min(60, Math.max(c.length, ...cells.map((x) => x[i]!.length))));
  const fmt = (xs: string[]) => `| ${xs.map((x, i) => (x.length > widths[i]! ? `${x.slice(0, widths[i]! - 1)}…` : x.padEnd(widths[i]!))).join(' | ')} |`;
  out.write(`${fmt(cols)}\n|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|\n`);
  for (const c of cells) out.write(`${fmt(c)}\n`);
  return rows.length;
}
