/** JSON.stringify replacer: bigints as numbers when exact, else strings. */
export function jsonReplacer(_k: string, v: unknown): unknown {
  if (typeof v === 'bigint') return v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(v) : v.toString();
  return v;
}

/**
 * JSON text of an artifact: V8's plain stringify (several times faster than one with a replacer
 * over a 30 MB manifest), and the bigint-aware replacer only when a bigint is in there.
 */
export function artifactJson(v: unknown): string {
  try {
    return JSON.stringify(v);
  } catch (e) {
    if (e instanceof TypeError && /BigInt/i.test(e.message)) return JSON.stringify(v, jsonReplacer);
    throw e;
  }
}
