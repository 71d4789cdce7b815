// Shared test material: the real documents and their specs from test-vectors/, and a dev CA
// with helpers that sign documents so each check can be driven both ways. Used by tests only.
import { readFileSync } from 'node:fs';
import { createDevCa, issueLeaf, signAttestationDocument, type AttestationFields, type DevCa, type DevLeaf } from '../dev/index.ts';

const VECTORS = new URL('../../test-vectors/nitro/', import.meta.url);

export interface DocumentSpec {
  name: string;
  file: string;
  at: 'document-time' | 'now' | number;
  expectedPcrs?: Record<string, string>;
  allowDebug?: boolean;
  /** Expected nonce, hex. */
  nonce?: string;
  expect: string;
  debug?: boolean;
}

export function vectorPath(file: string): string {
  return new URL(file, VECTORS).pathname;
}

export function readVector(file: string): Uint8Array {
  return new Uint8Array(readFileSync(vectorPath(file)));
}

/** A vector's document bytes: `.hex` files hold hex text, the others raw CBOR. */
export function readDocument(file: string): Uint8Array {
  const bytes = readVector(file);
  return file.endsWith('.hex') ? new Uint8Array(Buffer.from(Buffer.from(bytes).toString('latin1').trim(), 'hex')) : bytes;
}

export function documentSpecs(): DocumentSpec[] {
  return JSON.parse(readFileSync(vectorPath('specs.json'), 'utf8')) as DocumentSpec[];
}

/** A fixed clock for self-signed documents. */
export const DEV_NOW = new Date('2026-03-01T12:00:00.000Z');

export const PCR0 = new Uint8Array(48).fill(0xa0);
export const PCR1 = new Uint8Array(48).fill(0xa1);

let devCa: DevCa | undefined;
let devLeaf: DevLeaf | undefined;

export function testCa(): DevCa {
  devCa ??= createDevCa({ now: new Date(DEV_NOW.getTime() - 24 * 3600_000), validityDays: 30 });
  return devCa;
}

export function testLeaf(): DevLeaf {
  devLeaf ??= issueLeaf(testCa(), { now: new Date(DEV_NOW.getTime() - 3600_000) });
  return devLeaf;
}

export function devFields(overrides: Partial<AttestationFields> = {}): AttestationFields {
  return {
    moduleId: 'i-0123456789abcdef0-enc0123456789abcdef',
    timestamp: DEV_NOW.getTime() - 1000,
    pcrs: new Map([
      [0, PCR0],
      [1, PCR1],
      [2, new Uint8Array(48).fill(0xa2)],
    ]),
    publicKey: Uint8Array.of(4, 1, 2, 3),
    userData: Uint8Array.of(9, 9),
    nonce: Uint8Array.of(1, 2, 3, 4),
    ...overrides,
  };
}

export function devDocument(overrides: Partial<AttestationFields> = {}, options: { tagged?: boolean; indefiniteMap?: boolean } = {}): Uint8Array {
  return signAttestationDocument(devFields(overrides), { leaf: testLeaf(), caBundle: testCa().caBundle, ...options });
}

/** Runs `fn` and returns the `code` of what it threw; fails when it does not throw. */
export function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (typeof code !== 'string') throw error;
    return code;
  }
  throw new Error('expected an error, nothing was thrown');
}
