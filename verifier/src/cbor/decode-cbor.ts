// A small strict CBOR decoder (RFC 8949) for untrusted attestation documents: it refuses
// what a general decoder tolerates (trailing bytes, repeated map keys, indefinite strings,
// floats) and never allocates from a declared length it has not seen the bytes for.
import { CborMalformedError, DuplicateKeyError } from '../errors.ts';
import { CborMap, CborTagged, type CborValue } from './types.ts';

/** Deeper nesting than any attestation document needs; bounds recursion on hostile input. */
const MAX_DEPTH = 16;
const BREAK = Symbol('break');

class Reader {
  offset = 0;
  constructor(readonly bytes: Uint8Array) {}

  fail(reason: string, at = this.offset): never {
    throw new CborMalformedError(reason, at);
  }

  byte(): number {
    if (this.offset >= this.bytes.length) this.fail('unexpected end of input');
    return this.bytes[this.offset++]!;
  }

  take(length: number): Uint8Array {
    if (length > this.bytes.length - this.offset) this.fail(`declared length ${length} exceeds the ${this.bytes.length - this.offset} bytes left`);
    const slice = this.bytes.subarray(this.offset, this.offset + length);
    this.offset += length;
    return slice;
  }

  /** Reads the argument of a head (RFC 8949, 3): a number, or a bigint above 2^53 - 1. */
  argument(info: number): number | bigint {
    if (info < 24) return info;
    if (info === 24) return this.byte();
    if (info === 25) return (this.byte() << 8) | this.byte();
    if (info === 26) return ((this.byte() << 24) >>> 0) + (this.byte() << 16) + (this.byte() << 8) + this.byte();
    if (info === 27) {
      const high = ((this.byte() << 24) >>> 0) + (this.byte() << 16) + (this.byte() << 8) + this.byte();
      const low = ((this.byte() << 24) >>> 0) + (this.byte() << 16) + (this.byte() << 8) + this.byte();
      const value = (BigInt(high) << 32n) | BigInt(low);
      return value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
    }
    return this.fail(`reserved additional information ${info}`, this.offset - 1);
  }

  /** A length or count, which can never exceed the bytes left (each item takes at least one). */
  length(info: number, start: number): number {
    const value = this.argument(info);
    if (typeof value === 'bigint' || value > this.bytes.length - this.offset) {
      this.fail(`declared length ${value} exceeds the ${this.bytes.length - this.offset} bytes left`, start);
    }
    return value;
  }
}

const textDecoder = new TextDecoder('utf-8', { fatal: true });

function readItem(reader: Reader, depth: number): CborValue | typeof BREAK {
  if (depth > MAX_DEPTH) reader.fail(`nesting deeper than ${MAX_DEPTH}`);
  const start = reader.offset;
  const head = reader.byte();
  const major = head >> 5;
  const info = head & 0x1f;

  if (info === 31) {
    if (major === 7) return BREAK;
    if (major === 4) return readArray(reader, depth, null);
    if (major === 5) return readMap(reader, depth, null, start);
    return reader.fail(`indefinite length is not accepted for major type ${major}`, start);
  }

  switch (major) {
    case 0:
      return reader.argument(info);
    case 1: {
      const argument = reader.argument(info);
      return typeof argument === 'bigint' || argument === Number.MAX_SAFE_INTEGER ? -1n - BigInt(argument) : -1 - argument;
    }
    case 2:
      return reader.take(reader.length(info, start)).slice();
    case 3:
      try {
        return textDecoder.decode(reader.take(reader.length(info, start)));
      } catch (error) {
        if (error instanceof CborMalformedError) throw error;
        return reader.fail('text string is not valid UTF-8', start);
      }
    case 4:
      return readArray(reader, depth, reader.length(info, start));
    case 5:
      return readMap(reader, depth, reader.length(info, start), start);
    case 6: {
      const tag = reader.argument(info);
      if (typeof tag === 'bigint') return reader.fail('tag number too large', start);
      return new CborTagged(tag, readValue(reader, depth + 1));
    }
    default:
      return readSimple(reader, info, start);
  }
}

function readSimple(reader: Reader, info: number, start: number): CborValue {
  if (info === 20) return false;
  if (info === 21) return true;
  if (info === 22) return null;
  if (info === 23) return undefined;
  if (info >= 25 && info <= 27) return reader.fail('floating-point values are not accepted', start);
  return reader.fail(`simple value ${info} is not accepted`, start);
}

function readValue(reader: Reader, depth: number): CborValue {
  const start = reader.offset;
  const value = readItem(reader, depth);
  if (value === BREAK) return reader.fail('break outside an indefinite-length item', start);
  return value;
}

function readArray(reader: Reader, depth: number, count: number | null): CborValue[] {
  const items: CborValue[] = [];
  for (let index = 0; count === null || index < count; index += 1) {
    const item = readItem(reader, depth + 1);
    if (item === BREAK) {
      if (count === null) return items;
      reader.fail('break inside a definite-length array', reader.offset - 1);
    }
    items.push(item);
  }
  return items;
}

function readMap(reader: Reader, depth: number, count: number | null, start: number): CborMap {
  const entries = new Map<number | string, CborValue>();
  for (let index = 0; count === null || index < count; index += 1) {
    const keyStart = reader.offset;
    const key = readItem(reader, depth + 1);
    if (key === BREAK) {
      if (count === null) return new CborMap(entries, true);
      reader.fail('break inside a definite-length map', keyStart);
    }
    if (typeof key !== 'number' && typeof key !== 'string') {
      reader.fail('map keys must be integers or text strings', keyStart);
    }
    if (entries.has(key)) throw new DuplicateKeyError(JSON.stringify(key), keyStart);
    entries.set(key, readValue(reader, depth + 1));
  }
  if (count === null) reader.fail('indefinite-length map without break', start);
  return new CborMap(entries, false);
}

/**
 * Decodes exactly one CBOR data item that must fill `bytes`: trailing bytes, truncation and
 * every malformation raise CborMalformedError, repeated map keys DuplicateKeyError.
 */
export function decodeCbor(bytes: Uint8Array): CborValue {
  const reader = new Reader(bytes);
  const value = readValue(reader, 0);
  if (reader.offset !== bytes.length) reader.fail(`${bytes.length - reader.offset} trailing bytes after the data item`);
  return value;
}
