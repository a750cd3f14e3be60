/**
 * A one-line progress display (bytes, total, rate) on a TTY, for large exports only.
 * Writes nothing when stderr is not a terminal (CI, logs, tests) or the export is small.
 */
export interface Progress {
  /** Add bytes done. */
  add(bytes: number): void;
  /** Clear the line. */
  done(): void;
}

const NOOP: Progress = { add: () => undefined, done: () => undefined };

/** Exports smaller than this show no bar. */
export const PROGRESS_MIN_BYTES = 64 * 1024 * 1024;

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 2 : 1)} ${units[i]}`;
}

export function createProgress(label: string, totalBytes: number, stream: NodeJS.WriteStream = process.stderr): Progress {
  if (!stream.isTTY || totalBytes < PROGRESS_MIN_BYTES) return NOOP;
  const t0 = Date.now();
  let doneBytes = 0;
  let last = 0;
  const draw = (force: boolean): void => {
    const now = Date.now();
    if (!force && now - last < 250) return;
    last = now;
    const secs = Math.max(0.001, (now - t0) / 1000);
    const pct = totalBytes > 0 ? Math.min(100, (doneBytes / totalBytes) * 100) : 0;
    const width = 24;
    const filled = Math.round((pct / 100) * width);
    const bar = '#'.repeat(filled) + '-'.repeat(width - filled);
    const line = `${label} [${bar}] ${pct.toFixed(0).padStart(3)}% ${formatBytes(doneBytes)} / ${formatBytes(totalBytes)} ${formatBytes(doneBytes / secs)}/s`;
    const cols = stream.columns || 120;
    stream.write(`\r${line.slice(0, cols - 1).padEnd(Math.min(cols - 1, line.length))}`);
  };
  return {
    add(bytes: number): void {
      doneBytes += bytes;
      draw(false);
    },
    done(): void {
      draw(true);
      stream.write('\r\x1b[2K');
    },
  };
}
