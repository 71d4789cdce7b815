// The data model the strict CBOR decoder produces and the encoder accepts (RFC 8949),
// limited to what COSE_Sign1 attestation documents use.

/** A tagged item (RFC 8949, 3.4), e.g. tag 18 around a COSE_Sign1. */
export class CborTagged<T = unknown> {
  constructor(
    readonly tag: number,
    readonly value: T,
  ) {}
}

/** A decoded map: keys are integers or text, never repeated; remembers its length encoding. */
export class CborMap {
  constructor(
    readonly entries: ReadonlyMap<number | string, CborValue>,
    readonly indefinite: boolean,
  ) {}
}

export type CborValue =
  | number
  | bigint
  | string
  | Uint8Array
  | boolean
  | null
  | undefined
  | readonly CborValue[]
  | CborMap
  | CborTagged<CborValue>;

/** Names the CBOR type of a decoded value, for error messages. */
export function describeCbor(value: CborValue): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (value instanceof Uint8Array) return `byte string (${value.length} bytes)`;
  if (value instanceof CborMap) return `map (${value.entries.size} entries)`;
  if (value instanceof CborTagged) return `tag ${value.tag}`;
  if (Array.isArray(value)) return `array (${value.length} items)`;
  if (typeof value === 'string') return 'text string';
  if (typeof value === 'number' || typeof value === 'bigint') return value < 0 ? 'negative integer' : 'unsigned integer';
  return typeof value === 'boolean' ? 'boolean' : typeof value;
}
