// A minimal DER reader (ITU-T X.690) for the fixed skeleton of an X.509 certificate: it finds
// elements and their exact bytes without building objects, which keeps parsing a leaf
// certificate cheap next to the signature checks. Every length is checked against its parent.

export class DerError extends Error {}

export interface DerElement {
  tag: number;
  /** Offset of the tag byte. */
  start: number;
  /** Offset of the first content byte. */
  contentStart: number;
  /** Offset just past the element. */
  end: number;
}

/** Reads the element at `offset`, which must end at or before `limit`. */
export function readDer(bytes: Uint8Array, offset: number, limit = bytes.length): DerElement {
  if (offset + 2 > limit) throw new DerError(`element header beyond its container at ${offset}`);
  const tag = bytes[offset]!;
  if ((tag & 0x1f) === 0x1f) throw new DerError(`multi-byte tag at ${offset}`);
  let length = bytes[offset + 1]!;
  let contentStart = offset + 2;
  if (length === 0x80) throw new DerError(`indefinite length at ${offset}`);
  if (length > 0x80) {
    const count = length & 0x7f;
    if (count > 3 || contentStart + count > limit) throw new DerError(`bad length at ${offset}`);
    length = 0;
    for (let index = 0; index < count; index += 1) length = length * 256 + bytes[contentStart + index]!;
    contentStart += count;
  }
  const end = contentStart + length;
  if (end > limit) throw new DerError(`element at ${offset} overruns its container`);
  return { tag, start: offset, contentStart, end };
}

/** The elements directly inside a constructed element, which they must fill exactly. */
export function derChildren(bytes: Uint8Array, parent: DerElement): DerElement[] {
  const children: DerElement[] = [];
  let offset = parent.contentStart;
  while (offset < parent.end) {
    const child = readDer(bytes, offset, parent.end);
    children.push(child);
    offset = child.end;
  }
  return children;
}

export function expectTag(element: DerElement | undefined, tag: number, what: string): DerElement {
  if (element === undefined || element.tag !== tag) {
    throw new DerError(`${what}: expected tag 0x${tag.toString(16)}, found ${element === undefined ? 'nothing' : `0x${element.tag.toString(16)}`}`);
  }
  return element;
}

export function derContent(bytes: Uint8Array, element: DerElement): Uint8Array {
  return bytes.subarray(element.contentStart, element.end);
}

export function derWhole(bytes: Uint8Array, element: DerElement): Uint8Array {
  return bytes.subarray(element.start, element.end);
}

/** Dotted form of an OBJECT IDENTIFIER's content (X.690, 8.19). */
export function decodeOid(content: Uint8Array): string {
  if (content.length === 0 || content.length > 64) throw new DerError('bad OBJECT IDENTIFIER length');
  const arcs: number[] = [];
  let value = 0;
  for (let index = 0; index < content.length; index += 1) {
    const byte = content[index]!;
    if (value > 2 ** 45) throw new DerError('OBJECT IDENTIFIER arc too large');
    value = value * 128 + (byte & 0x7f);
    if ((byte & 0x80) === 0) {
      arcs.push(value);
      value = 0;
    } else if (index === content.length - 1) {
      throw new DerError('truncated OBJECT IDENTIFIER');
    }
  }
  const first = arcs[0]!;
  const head = first < 40 ? [0, first] : first < 80 ? [1, first - 40] : [2, first - 80];
  return [...head, ...arcs.slice(1)].join('.');
}

function digits(bytes: Uint8Array, from: number, count: number): number {
  let value = 0;
  for (let index = from; index < from + count; index += 1) {
    const digit = bytes[index]! - 0x30;
    if (digit < 0 || digit > 9) throw new DerError('bad digit in a time');
    value = value * 10 + digit;
  }
  return value;
}

/** UTCTime (YYMMDDHHMMSSZ) or GeneralizedTime (YYYYMMDDHHMMSSZ), as RFC 5280 4.1.2.5 requires. */
export function decodeTime(bytes: Uint8Array, element: DerElement): Date {
  const length = element.end - element.contentStart;
  const start = element.contentStart;
  let year: number;
  let rest: number;
  if (element.tag === 0x17 && length === 13) {
    const short = digits(bytes, start, 2);
    year = short >= 50 ? 1900 + short : 2000 + short;
    rest = start + 2;
  } else if (element.tag === 0x18 && length === 15) {
    year = digits(bytes, start, 4);
    if (year < 1950) throw new DerError(`GeneralizedTime year ${year} out of range`);
    rest = start + 4;
  } else {
    throw new DerError(`unsupported time encoding (tag 0x${element.tag.toString(16)}, ${length} bytes)`);
  }
  if (bytes[element.end - 1] !== 0x5a) throw new DerError('time does not end in Z');
  const month = digits(bytes, rest, 2);
  const day = digits(bytes, rest + 2, 2);
  const hour = digits(bytes, rest + 4, 2);
  const minute = digits(bytes, rest + 6, 2);
  const second = digits(bytes, rest + 8, 2);
  const time = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  if (time.getUTCMonth() !== month - 1 || time.getUTCDate() !== day || hour > 23 || minute > 59 || second > 59) throw new DerError('invalid calendar time');
  return time;
}
