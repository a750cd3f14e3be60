import type { Stats } from 'node:fs';

/**
 * A file's line of the compile fingerprint (up-to-date.ts): its path, size (or `d` for a folder)
 * and mtime; `-` when it is missing. Its own module, so the stat worker loads nothing else.
 */
export const lineOf = (rel: string, st: Stats | undefined): string => (st ? `${rel}\u0000${st.isDirectory() ? 'd' : st.size}\u0000${st.mtimeMs}` : `${rel}\u0000-`);
