/**
 * A Python iterator object (zip, itertools.chain, ...): lazily iterable once, with __next__ and
 * __iter__, and the repr Python gives such objects ("<zip object at 0x...>").
 */
import { PY_REPR, PyError } from '../jinja/values.js';

let nextAddress = 0x7f3a5c000000;

export class PyIterator implements IterableIterator<unknown> {
  private readonly address = (nextAddress += 0x40);
  constructor(
    private readonly pyType: string,
    private readonly source: Iterator<unknown>,
  ) {
    // typeName() reads constructor.name: give each iterator its Python type name
    Object.defineProperty(this, 'constructor', { value: { name: pyType }, enumerable: false });
  }
  next(): IteratorResult<unknown> {
    return this.source.next();
  }
  [Symbol.iterator](): this {
    return this;
  }
  __iter__(): this {
    return this;
  }
  __next__(): unknown {
    const r = this.source.next();
    if (r.done) throw new PyError('StopIteration', '');
    return r.value;
  }
  [PY_REPR](): string {
    return `<${this.pyType} object at 0x${this.address.toString(16)}>`;
  }
}

/** A PyIterator over a generator function's output. */
export function pyIterator(pyType: string, gen: () => Generator<unknown>): PyIterator {
  return new PyIterator(pyType, gen());
}
