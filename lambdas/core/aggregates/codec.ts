/**
 * A tiny binary writer/reader for aggregate states: unsigned varints (exact up to 2^53),
 * float64 and length-prefixed bytes/strings. Readers check bounds and throw
 * {@link AggregateDecodeError} on truncated or malformed input.
 */

/** Bytes that are not a serialized aggregate (truncated, corrupted or from another format). */
export class AggregateDecodeError extends Error {
  constructor(why: string) {
    super(`Cannot decode the aggregate state: ${why}`);
    this.name = 'AggregateDecodeError';
  }
}

/** Appends values to a growing buffer. */
export class ByteWriter {
  private buf = new Uint8Array(256);
  private view = new DataView(this.buf.buffer);
  private pos = 0;

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  /** A non-negative integer <= 2^53 as a LEB128 varint. */
  varint(value: number): void {
    // Most varints (kinds, counts, bin deltas) fit one byte: skip the checks' float work for them.
    if (value >= 0 && value < 0x80 && (value | 0) === value) {
      this.ensure(1);
      this.buf[this.pos++] = value;
      return;
    }
    if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`varint needs a safe integer >= 0: ${value}`);
    this.ensure(8);
    let v = value;
    while (v >= 0x80) {
      this.buf[this.pos++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.buf[this.pos++] = v;
  }

  /** One byte. */
  byte(value: number): void {
    this.ensure(1);
    this.buf[this.pos++] = value & 0xff;
  }

  /** A float64 (little endian). */
  f64(value: number): void {
    this.ensure(8);
    this.view.setFloat64(this.pos, value, true);
    this.pos += 8;
  }

  /** Raw bytes with a varint length prefix. */
  bytes(value: Uint8Array): void {
    this.varint(value.length);
    this.raw(value);
  }

  /** Raw bytes, no prefix. */
  raw(value: Uint8Array): void {
    this.ensure(value.length);
    this.buf.set(value, this.pos);
    this.pos += value.length;
  }

  /** A UTF-8 string with a varint length prefix. */
  string(value: string): void {
    // KPI keys are ASCII: write them in place instead of allocating a Buffer per key.
    const n = value.length;
    if (n < 0x80) {
      this.ensure(n + 1);
      const start = this.pos;
      this.buf[this.pos++] = n;
      let i = 0;
      for (; i < n; i++) {
        const c = value.charCodeAt(i);
        if (c >= 0x80) break;
        this.buf[this.pos++] = c;
      }
      if (i === n) return;
      this.pos = start;
    }
    this.bytes(Buffer.from(value, 'utf8'));
  }

  /** The bytes written so far. */
  finish(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }
}

/** Reads values written by {@link ByteWriter}. */
export class ByteReader {
  private pos = 0;
  private readonly view: DataView;
  constructor(private readonly buf: Uint8Array) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  /** Whether every byte was read. */
  done(): boolean {
    return this.pos === this.buf.length;
  }

  private need(n: number): void {
    if (this.pos + n > this.buf.length) throw new AggregateDecodeError('unexpected end of data');
  }

  /** See {@link ByteWriter.varint}. */
  varint(): number {
    if (this.pos < this.buf.length && this.buf[this.pos]! < 0x80) return this.buf[this.pos++]!;
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 8; i++) {
      this.need(1);
      const b = this.buf[this.pos++]!;
      result += (b & 0x7f) * mul;
      if (b < 0x80) {
        if (!Number.isSafeInteger(result)) throw new AggregateDecodeError('varint out of range');
        return result;
      }
      mul *= 0x80;
    }
    throw new AggregateDecodeError('varint too long');
  }

  /** One byte. */
  byte(): number {
    this.need(1);
    return this.buf[this.pos++]!;
  }

  /** A float64. */
  f64(): number {
    this.need(8);
    const v = this.view.getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }

  /** Length-prefixed bytes (a view, not a copy). */
  bytes(): Uint8Array {
    return this.raw(this.varint());
  }

  /** `n` raw bytes (a view). */
  raw(n: number): Uint8Array {
    this.need(n);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** A length-prefixed UTF-8 string. */
  string(): string {
    const b = this.bytes();
    // Short ASCII (every KPI key) decodes faster by char codes than through a Buffer.
    if (b.length <= 64) {
      let s = '';
      for (let i = 0; i < b.length; i++) {
        const c = b[i]!;
        if (c >= 0x80) return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('utf8');
        s += String.fromCharCode(c);
      }
      return s;
    }
    return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('utf8');
  }
}
