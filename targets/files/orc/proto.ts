/**
 * The small part of protobuf that ORC's file tail and stripe footers need, hand-written:
 * varints (uint64, zigzag sint64), length-delimited fields, packed repeated varints, doubles.
 * Decoding is bounds-checked and never allocates more than the input it was given.
 */
import { OrcError } from './errors.js';

// ---------------------------------------------------------------------------
// Writing
// ---------------------------------------------------------------------------

export class ProtoWriter {
  private bytes: number[] = [];

  private varint(v: number | bigint): void {
    let n = BigInt(v);
    if (n < 0n) n = BigInt.asUintN(64, n);
    while (n >= 0x80n) {
      this.bytes.push(Number(n & 0x7fn) | 0x80);
      n >>= 7n;
    }
    this.bytes.push(Number(n));
  }

  private tag(field: number, wire: number): void {
    this.varint((field << 3) | wire);
  }

  uint(field: number, v: number | bigint | undefined): this {
    if (v === undefined) return this;
    this.tag(field, 0);
    this.varint(v);
    return this;
  }

  sint(field: number, v: number | bigint | undefined): this {
    if (v === undefined) return this;
    const n = BigInt(v);
    this.tag(field, 0);
    this.varint(BigInt.asUintN(64, (n << 1n) ^ (n >> 63n)));
    return this;
  }

  bool(field: number, v: boolean | undefined): this {
    return v === undefined ? this : this.uint(field, v ? 1 : 0);
  }

  double(field: number, v: number | undefined): this {
    if (v === undefined) return this;
    this.tag(field, 1);
    const b = Buffer.alloc(8);
    b.writeDoubleLE(v, 0);
    for (const x of b) this.bytes.push(x);
    return this;
  }

  bytesField(field: number, v: Uint8Array | undefined): this {
    if (v === undefined) return this;
    this.tag(field, 2);
    this.varint(v.length);
    for (const x of v) this.bytes.push(x);
    return this;
  }

  string(field: number, v: string | undefined): this {
    return v === undefined ? this : this.bytesField(field, Buffer.from(v, 'utf8'));
  }

  message(field: number, m: ProtoWriter | undefined): this {
    return m === undefined ? this : this.bytesField(field, m.finish());
  }

  packed(field: number, values: readonly (number | bigint)[]): this {
    if (!values.length) return this;
    const inner = new ProtoWriter();
    for (const v of values) inner.varint(v);
    return this.bytesField(field, inner.finish());
  }

  finish(): Buffer {
    return Buffer.from(this.bytes);
  }
}

// ---------------------------------------------------------------------------
// Reading
// ---------------------------------------------------------------------------

/** Raw fields of one message: varints as bigint, length-delimited as byte views, fixed as byte views. */
export class ProtoMessage {
  constructor(
    readonly fields: Map<number, (bigint | Uint8Array)[]>,
    private readonly what: string,
  ) {}

  static parse(buf: Uint8Array, what: string): ProtoMessage {
    const fields = new Map<number, (bigint | Uint8Array)[]>();
    let pos = 0;
    const fail = (why: string): never => {
      throw new OrcError(`corrupt ${what}: ${why}`);
    };
    const varint = (): bigint => {
      let result = 0n;
      let shift = 0n;
      for (let i = 0; i < 10; i++) {
        if (pos >= buf.length) fail('truncated varint');
        const b = buf[pos++]!;
        result |= BigInt(b & 0x7f) << shift;
        if (!(b & 0x80)) return result;
        shift += 7n;
      }
      return fail('varint longer than 10 bytes');
    };
    while (pos < buf.length) {
      const key = varint();
      const field = Number(key >> 3n);
      const wire = Number(key & 7n);
      let v: bigint | Uint8Array;
      if (wire === 0) v = varint();
      else if (wire === 1 || wire === 5) {
        const n = wire === 1 ? 8 : 4;
        if (pos + n > buf.length) fail('truncated fixed field');
        v = buf.subarray(pos, pos + n);
        pos += n;
      } else if (wire === 2) {
        const len = varint();
        if (len > BigInt(buf.length - pos)) fail(`field ${field} claims ${len} bytes, ${buf.length - pos} left`);
        v = buf.subarray(pos, pos + Number(len));
        pos += Number(len);
      } else return fail(`unsupported wire type ${wire}`);
      let list = fields.get(field);
      if (!list) fields.set(field, (list = []));
      list.push(v);
    }
    return new ProtoMessage(fields, what);
  }

  private fail(why: string): never {
    throw new OrcError(`corrupt ${this.what}: ${why}`);
  }

  has(field: number): boolean {
    return this.fields.has(field);
  }

  big(field: number): bigint | undefined {
    const l = this.fields.get(field);
    if (!l) return undefined;
    const v = l[l.length - 1]!;
    if (typeof v !== 'bigint') this.fail(`field ${field} is not a varint`);
    return v;
  }

  /** A uint field as a number (throws if beyond 2^53). */
  num(field: number): number | undefined {
    const v = this.big(field);
    if (v === undefined) return undefined;
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) this.fail(`field ${field} is too large (${v})`);
    return Number(v);
  }

  sint(field: number): bigint | undefined {
    const v = this.big(field);
    return v === undefined ? undefined : (v >> 1n) ^ -(v & 1n);
  }

  bytes(field: number): Uint8Array | undefined {
    const l = this.fields.get(field);
    if (!l) return undefined;
    const v = l[l.length - 1]!;
    if (typeof v === 'bigint') this.fail(`field ${field} is not length-delimited`);
    return v;
  }

  string(field: number): string | undefined {
    const b = this.bytes(field);
    return b === undefined ? undefined : Buffer.from(b.buffer, b.byteOffset, b.length).toString('utf8');
  }

  strings(field: number): string[] {
    return (this.fields.get(field) ?? []).map((v) => {
      if (typeof v === 'bigint') this.fail(`field ${field} is not a string`);
      return Buffer.from(v.buffer, v.byteOffset, v.length).toString('utf8');
    });
  }

  double(field: number): number | undefined {
    const b = this.bytes(field);
    if (b === undefined) return undefined;
    if (b.length !== 8) this.fail(`field ${field} is not a double`);
    return Buffer.from(b.buffer, b.byteOffset, 8).readDoubleLE(0);
  }

  message(field: number, what: string): ProtoMessage | undefined {
    const b = this.bytes(field);
    return b === undefined ? undefined : ProtoMessage.parse(b, what);
  }

  messages(field: number, what: string): ProtoMessage[] {
    return (this.fields.get(field) ?? []).map((v) => {
      if (typeof v === 'bigint') this.fail(`field ${field} is not a message`);
      return ProtoMessage.parse(v, what);
    });
  }

  /** Repeated varints, packed or not. */
  packed(field: number): bigint[] {
    const out: bigint[] = [];
    for (const v of this.fields.get(field) ?? []) {
      if (typeof v === 'bigint') out.push(v);
      else {
        let pos = 0;
        while (pos < v.length) {
          let result = 0n;
          let shift = 0n;
          for (;;) {
            if (pos >= v.length) this.fail('truncated packed varint');
            const b = v[pos++]!;
            result |= BigInt(b & 0x7f) << shift;
            if (!(b & 0x80)) break;
            shift += 7n;
            if (shift > 63n) this.fail('packed varint too long');
          }
          out.push(result);
        }
      }
    }
    return out;
  }
}
