// Encodes and signs an attestation document exactly as the Nitro Secure Module does (a
// COSE_Sign1 over a CBOR payload map, ES384, RFC 9052), with the dev CA's leaf key. The
// simulated NSM and the tests both produce their documents here.
import { sign, type KeyObject } from 'node:crypto';
import { CborMapEntries, encodeCbor, type Encodable } from '../cbor/encode-cbor.ts';
import { CborTagged } from '../cbor/types.ts';
import { encodeSigStructure } from '../sig-structure.ts';

/** The protected header {1: -35}: alg ES384 (RFC 9053, 2.1), as Nitro encodes it. */
export const ES384_PROTECTED_HEADER = Uint8Array.of(0xa1, 0x01, 0x38, 0x22);
/** CBOR tag of a tagged COSE_Sign1 (RFC 9052, 2). */
export const COSE_SIGN1_TAG = 18;

export interface AttestationFields {
  moduleId: string;
  /** Milliseconds since the Unix epoch. */
  timestamp: number;
  /** PCR index -> value (48 bytes for SHA-384). */
  pcrs: ReadonlyMap<number, Uint8Array>;
  /** "SHA384" unless a test wants a wrong one. */
  digest?: string;
  publicKey?: Uint8Array | null;
  userData?: Uint8Array | null;
  nonce?: Uint8Array | null;
}

export interface PayloadEncoding {
  certificate: Uint8Array;
  caBundle: readonly Uint8Array[];
  /** Encode the top-level map with indefinite length, as some recent Nitro documents do. */
  indefiniteMap?: boolean;
}

/** The payload map in Nitro's field order; absent optional fields are written as null, as NSM does. */
export function encodeAttestationPayload(fields: AttestationFields, encoding: PayloadEncoding): Uint8Array {
  const pcrs = new CborMapEntries([...fields.pcrs.entries()].sort(([a], [b]) => a - b));
  const entries: (readonly [Encodable, Encodable])[] = [
    ['module_id', fields.moduleId],
    ['digest', fields.digest ?? 'SHA384'],
    ['timestamp', fields.timestamp],
    ['pcrs', pcrs],
    ['certificate', encoding.certificate],
    ['cabundle', [...encoding.caBundle]],
    ['public_key', fields.publicKey ?? null],
    ['user_data', fields.userData ?? null],
    ['nonce', fields.nonce ?? null],
  ];
  return encodeCbor(new CborMapEntries(entries, encoding.indefiniteMap ?? false));
}

export interface CoseSignOptions {
  /** The leaf's P-384 private key. */
  privateKey: KeyObject;
  /** Wrap in CBOR tag 18 (Nitro sends untagged). */
  tagged?: boolean;
  /** Bytes of the protected header; ES384's {1: -35} by default (tests pass others). */
  protectedHeader?: Uint8Array;
}

/** Wraps any payload bytes in a COSE_Sign1 signed with ES384 (signature r || s, 96 bytes). */
export function signAttestationPayload(payload: Uint8Array, options: CoseSignOptions): Uint8Array {
  const protectedHeader = options.protectedHeader ?? ES384_PROTECTED_HEADER;
  const signature = sign('sha384', encodeSigStructure(protectedHeader, payload), { key: options.privateKey, dsaEncoding: 'ieee-p1363' });
  const sign1: Encodable = [protectedHeader, new Map(), payload, new Uint8Array(signature)];
  return encodeCbor(options.tagged === true ? new CborTagged(COSE_SIGN1_TAG, sign1) : sign1);
}

export interface SignAttestationOptions {
  /** The signing certificate and its key (from `issueLeaf`). */
  leaf: { certificate: { der: Uint8Array }; privateKey: KeyObject };
  /** Root first, then intermediates (`DevCa.caBundle`). */
  caBundle: readonly Uint8Array[];
  tagged?: boolean;
  indefiniteMap?: boolean;
}

/** A complete attestation document as the simulated NSM returns it. */
export function signAttestationDocument(fields: AttestationFields, options: SignAttestationOptions): Uint8Array {
  const payload = encodeAttestationPayload(fields, {
    certificate: options.leaf.certificate.der,
    caBundle: options.caBundle,
    indefiniteMap: options.indefiniteMap ?? false,
  });
  return signAttestationPayload(payload, { privateKey: options.leaf.privateKey, tagged: options.tagged ?? false });
}
