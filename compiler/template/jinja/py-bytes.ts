/** Python's bytes, as far as templates meet them: `'x'.encode()`, its repr, `.decode()`, len and ==. */
import { PY_REPR, PY_STR, PyError, splitArgs } from './values.js';

export class PyBytes {
  constructor(readonly data: Uint8Array) {}
  get size(): number {
    return this.data.length;
  }
  [PY_STR](): string {
    return this[PY_REPR]();
  }
  [PY_REPR](): string {
    const d = this.data;
    const quote = d.includes(39) && !d.includes(34) ? '"' : "'";
    let out = 'b' + quote;
    for (const c of d) {
      if (c === 92) out += '\\\\';
      else if (c === quote.charCodeAt(0)) out += '\\' + quote;
      else if (c === 9) out += '\\t';
      else if (c === 10) out += '\\n';
      else if (c === 13) out += '\\r';
      else if (c < 32 || c >= 127) out += '\\x' + c.toString(16).padStart(2, '0');
      else out += String.fromCharCode(c);
    }
    return out + quote;
  }
  decode(...args: unknown[]): string {
    const { pos, kw } = splitArgs(args);
    const enc = normEncoding(String(pos[0] ?? kw.get('encoding') ?? 'utf-8'));
    if (enc === 'utf-8') {
      try {
        return new TextDecoder('utf-8', { fatal: true }).decode(this.data);
      } catch {
        throw new PyError('UnicodeDecodeError', "'utf-8' codec can't decode bytes: invalid data");
      }
    }
    if (enc === 'ascii') {
      const bad = this.data.findIndex((c) => c > 127);
      if (bad >= 0) throw new PyError('UnicodeDecodeError', `'ascii' codec can't decode byte 0x${this.data[bad]!.toString(16)} in position ${bad}: ordinal not in range(128)`);
    }
    return String.fromCharCode(...this.data);
  }
}

function normEncoding(e: string): string {
  const n = e.toLowerCase().replace(/[-_ ]/g, '');
  if (n === 'utf8') return 'utf-8';
  if (n === 'ascii' || n === 'usascii') return 'ascii';
  if (n === 'latin1' || n === 'iso88591' || n === 'l1') return 'latin-1';
  throw new PyError('LookupError', `unknown encoding: ${e}`);
}

/** str.encode(encoding='utf-8', errors='strict'). */
export function encodeStr(s: string, args: unknown[]): PyBytes {
  const { pos, kw } = splitArgs(args);
  const enc = normEncoding(String(pos[0] ?? kw.get('encoding') ?? 'utf-8'));
  if (enc === 'utf-8') {
    if (/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s)) throw new PyError('UnicodeEncodeError', "'utf-8' codec can't encode character: surrogates not allowed");
    return new PyBytes(new TextEncoder().encode(s));
  }
  const limit = enc === 'ascii' ? 128 : 256;
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= limit) throw new PyError('UnicodeEncodeError', `'${enc === 'ascii' ? 'ascii' : 'latin-1'}' codec can't encode character '\\u${c.toString(16).padStart(4, '0')}' in position ${i}: ordinal not in range(${limit})`);
    out[i] = c;
  }
  return new PyBytes(out);
}
