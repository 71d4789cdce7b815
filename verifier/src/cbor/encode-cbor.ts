// A minimal CBOR encoder (RFC 8949, preferred serialization for heads) for what this package
// writes: the COSE Sig_structure and, in the dev CA, attestation documents. It can also write
// what a verifier must refuse (repeated keys, any key order), so tests can build such input.
import { CborTagged } from './types.ts';

/** Map entries in the order given, repeated keys allowed; `indefinite` picks the 0xbf form. */
export class CborMapEntries {
  constructor(
    readonly entries: readonly (readonly [Encodable, Encodable])[],
    readonly indefinite = false,
  ) {}
}

export type Encodable =
  | number
  | bigint
  | string
  | Uint8Array
  | boolean
  | null
  | undefined
  | readonly Encodable[]
  | ReadonlyMap<Encodable, Encodable>
  | CborMapEntries
  | CborTagged<Encodable>;

const textEncoder = new TextEncoder();

class Writer {
  private chunks: Uint8Array[] = [];
  private size = 0;

  push(bytes: Uint8Array): void {
    this.chunks.push(bytes);
    this.size += bytes.length;
  }

  head(major: number, argument: number | bigint): void {
    const value = BigInt(argument);
    if (value < 0n || value >= 1n << 64n) throw new RangeError(`CBOR argument out of range: ${value}`);
    const top = major << 5;
    if (value < 24n) this.push(Uint8Array.of(top | Number(value)));
    else if (value < 0x100n) this.push(Uint8Array.of(top | 24, Number(value)));
    else if (value < 0x10000n) this.push(Uint8Array.of(top | 25, Number(value >> 8n), Number(value & 0xffn)));
    else if (value < 0x100000000n) {
      const bytes = new Uint8Array(5);
      bytes[0] = top | 26;
      new DataView(bytes.buffer).setUint32(1, Number(value));
      this.push(bytes);
    } else {
      const bytes = new Uint8Array(9);
      bytes[0] = top | 27;
      new DataView(bytes.buffer).setBigUint64(1, value);
      this.push(bytes);
    }
  }

  result(): Uint8Array {
    const out = new Uint8Array(this.size);
    let offset = 0;
    for (const chunk of this.chunks) {
      out.set(chunk, offset);
      offset += chunk.length;
    }
    return out;
  }
}

function write(writer: Writer, value: Encodable): void {
  if (value === false) writer.push(Uint8Array.of(0xf4));
  else if (value === true) writer.push(Uint8Array.of(0xf5));
  else if (value === null) writer.push(Uint8Array.of(0xf6));
  else if (value === undefined) writer.push(Uint8Array.of(0xf7));
  else if (typeof value === 'number' || typeof value === 'bigint') {
    if (typeof value === 'number' && !Number.isSafeInteger(value)) throw new RangeError(`Only integers are encoded, received ${value}`);
    const big = BigInt(value);
    if (big >= 0n) writer.head(0, big);
    else writer.head(1, -1n - big);
  } else if (typeof value === 'string') {
    const bytes = textEncoder.encode(value);
    writer.head(3, bytes.length);
    writer.push(bytes);
  } else if (value instanceof Uint8Array) {
    writer.head(2, value.length);
    writer.push(value);
  } else if (value instanceof CborTagged) {
    writer.head(6, value.tag);
    write(writer, value.value);
  } else if (value instanceof CborMapEntries) {
    if (value.indefinite) writer.push(Uint8Array.of(0xbf));
    else writer.head(5, value.entries.length);
    for (const [key, item] of value.entries) {
      write(writer, key);
      write(writer, item);
    }
    if (value.indefinite) writer.push(Uint8Array.of(0xff));
  } else if (value instanceof Map) {
    write(writer, new CborMapEntries([...value.entries()]));
  } else if (Array.isArray(value)) {
    writer.head(4, value.length);
    for (const item of value as readonly Encodable[]) write(writer, item);
  } else {
    throw new TypeError('Value cannot be encoded as CBOR');
  }
}

export function encodeCbor(value: Encodable): Uint8Array {
  const writer = new Writer();
  write(writer, value);
  return writer.result();
}
