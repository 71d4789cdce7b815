// Just enough of the protobuf wire format (protobuf.dev/programming-guides/encoding) to
// read and write ONNX models without a generated codec: varints, fixed32/64 and
// length-delimited fields, with every length checked before a slice.
import { JobModelMalformedError } from '../jobs/errors.ts';

export const WIRE_VARINT = 0;
export const WIRE_FIXED64 = 1;
export const WIRE_LEN = 2;
export const WIRE_FIXED32 = 5;

export interface Field {
  number: number;
  wireType: number;
  /** The varint value (wire type 0), as a bigint so int64 survives. */
  varint: bigint;
  /** The payload of a length-delimited, fixed32 or fixed64 field. */
  bytes: Uint8Array;
}

function readVarint(buf: Uint8Array, pos: number): [bigint, number] {
  let result = 0n;
  for (let i = 0; i < 10; i++) {
    if (pos >= buf.length) throw new JobModelMalformedError('a varint runs past the end of its message');
    const byte = buf[pos++]!;
    result |= BigInt(byte & 0x7f) << BigInt(7 * i);
    if ((byte & 0x80) === 0) return [result, pos];
  }
  throw new JobModelMalformedError('a varint is longer than 10 bytes');
}

/** The fields of one message, in order; groups (wire types 3, 4) and truncation are refused. */
export function* fields(buf: Uint8Array): Generator<Field> {
  let pos = 0;
  while (pos < buf.length) {
    const [key, afterKey] = readVarint(buf, pos);
    pos = afterKey;
    const number = Number(key >> 3n);
    const wireType = Number(key & 7n);
    if (number === 0 || number > 536_870_911) throw new JobModelMalformedError(`field number ${number} is out of range`);
    switch (wireType) {
      case WIRE_VARINT: {
        const [value, next] = readVarint(buf, pos);
        pos = next;
        yield { number, wireType, varint: value, bytes: new Uint8Array(0) };
        break;
      }
      case WIRE_FIXED64:
      case WIRE_FIXED32: {
        const size = wireType === WIRE_FIXED64 ? 8 : 4;
        if (pos + size > buf.length) throw new JobModelMalformedError(`field ${number} is truncated`);
        yield { number, wireType, varint: 0n, bytes: buf.subarray(pos, pos + size) };
        pos += size;
        break;
      }
      case WIRE_LEN: {
        const [length, next] = readVarint(buf, pos);
        if (length > BigInt(buf.length - next)) throw new JobModelMalformedError(`field ${number} declares ${length} bytes, only ${buf.length - next} remain`);
        pos = next + Number(length);
        yield { number, wireType, varint: 0n, bytes: buf.subarray(next, pos) };
        break;
      }
      default:
        throw new JobModelMalformedError(`field ${number} has unsupported wire type ${wireType}`);
    }
  }
}

function expectWire(field: Field, wireType: number, what: string): void {
  if (field.wireType !== wireType) throw new JobModelMalformedError(`${what} (field ${field.number}) has wire type ${field.wireType}, expected ${wireType}`);
}

export function asString(field: Field, what: string): string {
  expectWire(field, WIRE_LEN, what);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(field.bytes);
  } catch {
    throw new JobModelMalformedError(`${what} is not UTF-8`);
  }
}

export function asBytes(field: Field, what: string): Uint8Array {
  expectWire(field, WIRE_LEN, what);
  return field.bytes;
}

/** An int64/int32 varint as a JS number; values beyond 2^53 are refused rather than rounded. */
export function asInt(field: Field, what: string): number {
  expectWire(field, WIRE_VARINT, what);
  const signed = BigInt.asIntN(64, field.varint);
  if (signed > BigInt(Number.MAX_SAFE_INTEGER) || signed < BigInt(Number.MIN_SAFE_INTEGER)) throw new JobModelMalformedError(`${what} ${signed} is out of range`);
  return Number(signed);
}

/** A repeated int64 field, packed or not (ONNX is proto2, where dims are unpacked by default). */
export function pushInts(field: Field, out: number[], what: string): void {
  if (field.wireType === WIRE_VARINT) {
    out.push(asInt(field, what));
    return;
  }
  expectWire(field, WIRE_LEN, what);
  let pos = 0;
  while (pos < field.bytes.length) {
    const [value, next] = readVarint(field.bytes, pos);
    pos = next;
    out.push(asInt({ number: field.number, wireType: WIRE_VARINT, varint: value, bytes: new Uint8Array(0) }, what));
  }
}

export function asFloat(field: Field, what: string): number {
  expectWire(field, WIRE_FIXED32, what);
  return new DataView(field.bytes.buffer, field.bytes.byteOffset, 4).getFloat32(0, true);
}

/** Number of elements in a repeated scalar field (packed or not), without decoding them. */
export function countPacked(field: Field, elementWireType: number): number {
  if (field.wireType === elementWireType) return 1;
  if (field.wireType !== WIRE_LEN) throw new JobModelMalformedError(`field ${field.number} has wire type ${field.wireType}`);
  if (elementWireType === WIRE_FIXED32) return Math.floor(field.bytes.length / 4);
  if (elementWireType === WIRE_FIXED64) return Math.floor(field.bytes.length / 8);
  let count = 0;
  for (const byte of field.bytes) if ((byte & 0x80) === 0) count++;
  return count;
}

/** Appends protobuf fields to a growing byte list. */
export class ProtoWriter {
  readonly #chunks: Uint8Array[] = [];
  #length = 0;

  #push(bytes: Uint8Array): this {
    this.#chunks.push(bytes);
    this.#length += bytes.length;
    return this;
  }

  #varint(value: bigint): Uint8Array {
    let v = BigInt.asUintN(64, value);
    const out: number[] = [];
    do {
      let byte = Number(v & 0x7fn);
      v >>= 7n;
      if (v !== 0n) byte |= 0x80;
      out.push(byte);
    } while (v !== 0n);
    return Uint8Array.from(out);
  }

  #key(number: number, wireType: number): this {
    return this.#push(this.#varint(BigInt((number << 3) | wireType)));
  }

  int(number: number, value: number | bigint): this {
    return this.#key(number, WIRE_VARINT).#push(this.#varint(BigInt(value)));
  }

  bytes(number: number, value: Uint8Array): this {
    return this.#key(number, WIRE_LEN).#push(this.#varint(BigInt(value.length))).#push(value);
  }

  string(number: number, value: string): this {
    return this.bytes(number, new TextEncoder().encode(value));
  }

  message(number: number, build: (w: ProtoWriter) => void): this {
    const inner = new ProtoWriter();
    build(inner);
    return this.bytes(number, inner.finish());
  }

  float(number: number, value: number): this {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, value, true);
    return this.#key(number, WIRE_FIXED32).#push(b);
  }

  packedFloats(number: number, values: ArrayLike<number>): this {
    const b = new Uint8Array(values.length * 4);
    const view = new DataView(b.buffer);
    for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i]!, true);
    return this.bytes(number, b);
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.#length);
    let pos = 0;
    for (const chunk of this.#chunks) {
      out.set(chunk, pos);
      pos += chunk.length;
    }
    return out;
  }
}
