/**
 * Python's string formatting: printf-style `str % args` and str.format / format().
 */
import { PyError } from './values.js';

/** Python's `fmt % args`. */
export function percentFormat(fmt: string, args: unknown): string {
  void args;
  throw new PyError('NotImplementedError', `% formatting of ${fmt}`);
}
