// The buyer's job requests as EIP-712 typed data (types in eip712.ts), built the same way by
// the client that signs them and the enclave that recovers their signer, so that both hash
// exactly the same bytes: the model by SHA-256, the parameters by their canonical JSON, the
// step's parameter vector by its float32 little-endian bytes.
import { keccak256, sha256, toHex, type Hex, type TypedDataDomain } from 'viem';
import { jobFinishTypes, jobStepTypes, jobSubmissionTypes, type JobFinishMessage, type JobStepMessage, type JobSubmissionMessage } from './eip712.ts';

/** Nesting deeper than this is not a job parameter: refused rather than recursed into. */
const MAX_DEPTH = 16;

/**
 * Canonical JSON (RFC 8785, JCS) of plain JSON data: object keys sorted by UTF-16 code
 * units, numbers and strings as ECMAScript's JSON.stringify writes them, no whitespace.
 * Throws a TypeError on anything JSON cannot carry (a non-finite number, undefined, a
 * function) and a RangeError past MAX_DEPTH levels.
 */
export function canonicalJson(value: unknown, depth = 0): string {
  if (depth > MAX_DEPTH) throw new RangeError(`nested deeper than ${MAX_DEPTH} levels`);
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError(`${value} has no JSON form`);
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v, depth + 1)).join(',')}]`;
  if (typeof value === 'object') {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k], depth + 1)}`).join(',')}}`;
  }
  throw new TypeError(`a ${typeof value} has no JSON form`);
}

/** keccak256 of the canonical JSON of a job's parameters; absent parameters hash as `{}`. */
export function jobParamsHash(params: object | undefined): Hex {
  return keccak256(toHex(canonicalJson(params ?? {})));
}

/** keccak256 of a step's parameter vector as sent: float32 little-endian bytes. */
export function jobParametersHash(float32LittleEndian: Uint8Array): Hex {
  return keccak256(float32LittleEndian);
}

/** A mechanism setting as signed: ECMAScript's shortest round-trip decimal (Number.prototype.toString). */
export function mechanismString(value: number): string {
  if (!Number.isFinite(value)) throw new TypeError(`${value} is not a finite number`);
  return String(value);
}

/** `sha256Of` may be a faster SHA-256 (the enclave passes node:crypto's); viem's by default. */
export function jobSubmissionMessage(input: {
  jobId: Hex;
  policyId: bigint;
  kind: string;
  model: Uint8Array;
  buyerKey: Uint8Array;
  params: object | undefined;
  deadline: bigint;
}, sha256Of: (bytes: Uint8Array) => Hex = sha256): JobSubmissionMessage {
  return {
    jobId: input.jobId,
    policyId: input.policyId,
    kind: input.kind,
    modelHash: sha256Of(input.model),
    buyerKey: toHex(input.buyerKey),
    paramsHash: jobParamsHash(input.params),
    deadline: input.deadline,
  };
}

export function jobStepMessage(input: {
  jobId: Hex;
  index: number;
  /** The parameter vector's wire form: float32 little-endian. */
  parameters: Uint8Array;
  sampleRate: number;
  noiseMultiplier: number;
  clipNorm: number;
  deadline: bigint;
}): JobStepMessage {
  return {
    jobId: input.jobId,
    index: input.index,
    parametersHash: jobParametersHash(input.parameters),
    sampleRate: mechanismString(input.sampleRate),
    noiseMultiplier: mechanismString(input.noiseMultiplier),
    clipNorm: mechanismString(input.clipNorm),
    deadline: input.deadline,
  };
}

/** The typed data to sign (`account.signTypedData`) or to recover from (`recoverTypedDataAddress`). */
export const jobSubmissionTypedData = (domain: TypedDataDomain, message: JobSubmissionMessage) => ({ domain, types: jobSubmissionTypes, primaryType: 'JobSubmission' as const, message });
export const jobStepTypedData = (domain: TypedDataDomain, message: JobStepMessage) => ({ domain, types: jobStepTypes, primaryType: 'JobStep' as const, message });
export const jobFinishTypedData = (domain: TypedDataDomain, message: JobFinishMessage) => ({ domain, types: jobFinishTypes, primaryType: 'JobFinish' as const, message });
