// The host-enclave channel: one framed request/response protocol over a byte stream (vsock in
// Nitro, loopback TCP or a Unix socket in dev), with message schemas both sides validate, so
// neither trusts the other's bytes and a format changes in one place.
//
// Frame (all integers big-endian):
//
// | offset | size | field                                                      |
// |--------|------|------------------------------------------------------------|
// | 0      | 4    | length of everything after this field, <= maxFrameBytes     |
// | 4      | 1    | protocol version, 1                                        |
// | 5      | 1    | kind: 1 request, 2 response, 3 error                       |
// | 6      | 4    | request id (the response and error echo it; 0 = unknown)   |
// | 10     | 4    | JSON length J                                              |
// | 14     | J    | UTF-8 JSON: `{ "type": ..., ...fields }` (error: code, message, details) |
// | 14+J   | rest | binary attachment (a ciphertext piece, an attestation document) |
//
// A frame whose declared length exceeds the limit is refused before any of it is buffered;
// the receiver answers with an error frame and closes the connection, since it cannot find
// the next frame boundary without reading the oversized one.
//
// Within a frame version, message types are added, never reshaped: every schema below is
// strict (an unknown field is refused), so a changed shape would fail closed on an older peer,
// and a type the peer lacks is answered CHANNEL_UNKNOWN_TYPE. contribution.reissue,
// state.segments, state.ready and credentials were added this way; a change to an existing
// message's fields takes a new frame version. Exceptions, made while host and enclave ship together: job.submit's optional
// featuresNeeded and state, job.finish's state (an older host fails closed on them) and boot's
// optional credentials (an older enclave refuses a boot that carries them).
import type { Address, Hex } from 'viem';
import { AudataError, type AudataErrorOptions, type ErrorDetails } from './errors.ts';
import { parseEnvelopeHeader, type EnvelopeHeaderJson } from './envelope.ts';
import type { ContributionProof } from './eip712.ts';

export const CHANNEL_VERSION = 1;
export const FRAME_PREFIX_BYTES = 4;
export const FRAME_FIXED_BYTES = 10;
/** Default frame limit: large enough for a 16 MiB ciphertext piece plus its JSON. */
export const DEFAULT_MAX_FRAME_BYTES = 16 * 1024 * 1024 + 64 * 1024;
/** JSON is small in every message; a larger one is an attack or a bug. */
export const MAX_JSON_BYTES = 64 * 1024;

export const FrameKind = { request: 1, response: 2, error: 3 } as const;
export type FrameKind = (typeof FrameKind)[keyof typeof FrameKind];

export interface Frame {
  kind: FrameKind;
  id: number;
  json: Record<string, unknown>;
  binary: Uint8Array;
}

export class ChannelError extends AudataError {
  override name = 'ChannelError';
  constructor(code: string, message: string, options: AudataErrorOptions = {}) {
    super(code, message, options);
  }
}

export class ChannelFrameTooLargeError extends ChannelError {
  override name = 'ChannelFrameTooLargeError' as const;
  constructor(limit: number, received: number) {
    super('CHANNEL_FRAME_TOO_LARGE', `A frame declares ${received} bytes, above the limit of ${limit}.`, {
      details: { expected: limit, received },
      hint: 'Send large ciphertexts in pieces (contribution.chunk).',
    });
  }
}

export class ChannelFrameMalformedError extends ChannelError {
  override name = 'ChannelFrameMalformedError' as const;
  constructor(reason: string) {
    super('CHANNEL_FRAME_MALFORMED', `A frame is malformed: ${reason}.`, { details: { reason }, hint: 'Encode frames with encodeFrame from @audata/wire.' });
  }
}

export class ChannelVersionUnsupportedError extends ChannelError {
  override name = 'ChannelVersionUnsupportedError' as const;
  constructor(received: number) {
    super('CHANNEL_VERSION_UNSUPPORTED', `Frame version ${received} is not spoken here; expected ${CHANNEL_VERSION}.`, {
      details: { expected: CHANNEL_VERSION, received },
      hint: 'Run a host and an enclave built from the same wire version.',
    });
  }
}

export class ChannelMessageInvalidError extends ChannelError {
  override name = 'ChannelMessageInvalidError' as const;
  constructor(type: string, field: string, problem: string) {
    super('CHANNEL_MESSAGE_INVALID', `Message ${type}: ${field} ${problem}.`, { details: { type, field, problem }, hint: 'See the message schemas in wire/src/channel.ts.' });
  }
}

export class ChannelUnknownTypeError extends ChannelError {
  override name = 'ChannelUnknownTypeError' as const;
  constructor(received: string) {
    super('CHANNEL_UNKNOWN_TYPE', `No request type ${JSON.stringify(received)}.`, { details: { received }, hint: `Known types: ${REQUEST_TYPES.join(', ')}.` });
  }
}

export class ChannelClosedError extends ChannelError {
  override name = 'ChannelClosedError' as const;
  constructor(reason: string) {
    super('CHANNEL_CLOSED', `The channel closed: ${reason}.`, { details: { reason }, hint: 'Reconnect; the enclave keeps serving new connections.' });
  }
}

export class ChannelTimeoutError extends ChannelError {
  override name = 'ChannelTimeoutError' as const;
  constructor(type: string, ms: number) {
    super('CHANNEL_TIMEOUT', `No answer to ${type} within ${ms} ms.`, { details: { type, ms }, hint: 'Check that the enclave is running and not overloaded.' });
  }
}

/** An error the other side reported; it keeps that side's code, so callers branch on the cause. */
export class ChannelRemoteError extends ChannelError {
  override name = 'ChannelRemoteError' as const;
  constructor(code: string, message: string, details: ErrorDetails) {
    super(code, message, { details });
  }
}

// ---- framing ----

export function encodeFrame(frame: Frame): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(frame.json));
  const total = FRAME_FIXED_BYTES + json.length + frame.binary.length;
  const out = new Uint8Array(FRAME_PREFIX_BYTES + total);
  const view = new DataView(out.buffer);
  view.setUint32(0, total);
  out[4] = CHANNEL_VERSION;
  out[5] = frame.kind;
  view.setUint32(6, frame.id >>> 0);
  view.setUint32(10, json.length);
  out.set(json, 14);
  out.set(frame.binary, 14 + json.length);
  return out;
}

/** A decoded frame, or why the bytes of one whole frame could not be decoded (the stream stays in sync). */
export type DecodedFrame = { ok: true; frame: Frame } | { ok: false; id: number; error: ChannelError };

/**
 * Splits a byte stream into frames. `push` throws ChannelFrameTooLargeError when a frame
 * declares more than the limit (the stream cannot be resynchronised after that); any other
 * defect is returned per frame, since its length prefix still marks where the next one starts.
 */
export class FrameDecoder {
  readonly #maxFrameBytes: number;
  #pieces: Uint8Array[] = [];
  #buffered = 0;

  constructor(maxFrameBytes = DEFAULT_MAX_FRAME_BYTES) {
    this.#maxFrameBytes = maxFrameBytes;
  }

  push(bytes: Uint8Array): DecodedFrame[] {
    if (bytes.length > 0) {
      this.#pieces.push(bytes);
      this.#buffered += bytes.length;
    }
    const out: DecodedFrame[] = [];
    for (;;) {
      if (this.#buffered < FRAME_PREFIX_BYTES) return out;
      const prefix = this.#peek(FRAME_PREFIX_BYTES);
      const length = new DataView(prefix.buffer, prefix.byteOffset, 4).getUint32(0);
      if (length > this.#maxFrameBytes) throw new ChannelFrameTooLargeError(this.#maxFrameBytes, length);
      if (this.#buffered < FRAME_PREFIX_BYTES + length) return out;
      const whole = this.#take(FRAME_PREFIX_BYTES + length);
      out.push(decodeFrameBody(whole.subarray(FRAME_PREFIX_BYTES)));
    }
  }

  #peek(n: number): Uint8Array {
    const first = this.#pieces[0]!;
    if (first.length >= n) return first.subarray(0, n);
    const copy = this.#take(n);
    this.#pieces.unshift(copy);
    this.#buffered += n;
    return copy;
  }

  #take(n: number): Uint8Array {
    const first = this.#pieces[0]!;
    if (first.length >= n) {
      if (first.length === n) this.#pieces.shift();
      else this.#pieces[0] = first.subarray(n);
      this.#buffered -= n;
      return first.subarray(0, n);
    }
    const out = new Uint8Array(n);
    let filled = 0;
    while (filled < n) {
      const piece = this.#pieces[0]!;
      const part = Math.min(piece.length, n - filled);
      out.set(piece.subarray(0, part), filled);
      filled += part;
      if (part === piece.length) this.#pieces.shift();
      else this.#pieces[0] = piece.subarray(part);
    }
    this.#buffered -= n;
    return out;
  }
}

function decodeFrameBody(body: Uint8Array): DecodedFrame {
  if (body.length < FRAME_FIXED_BYTES) return { ok: false, id: 0, error: new ChannelFrameMalformedError(`${body.length} bytes is shorter than the ${FRAME_FIXED_BYTES}-byte frame header`) };
  const view = new DataView(body.buffer, body.byteOffset, body.length);
  const id = view.getUint32(2);
  if (body[0] !== CHANNEL_VERSION) return { ok: false, id, error: new ChannelVersionUnsupportedError(body[0]!) };
  const kind = body[1]!;
  if (kind !== FrameKind.request && kind !== FrameKind.response && kind !== FrameKind.error) return { ok: false, id, error: new ChannelFrameMalformedError(`unknown kind ${kind}`) };
  const jsonLength = view.getUint32(6);
  if (jsonLength > MAX_JSON_BYTES || jsonLength > body.length - FRAME_FIXED_BYTES) {
    return { ok: false, id, error: new ChannelFrameMalformedError(`JSON length ${jsonLength} exceeds the frame or the ${MAX_JSON_BYTES}-byte limit`) };
  }
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body.subarray(FRAME_FIXED_BYTES, FRAME_FIXED_BYTES + jsonLength)));
  } catch {
    return { ok: false, id, error: new ChannelFrameMalformedError('the JSON part does not parse') };
  }
  if (!isRecord(json)) return { ok: false, id, error: new ChannelFrameMalformedError('the JSON part is not an object') };
  return { ok: true, frame: { kind, id, json, binary: body.subarray(FRAME_FIXED_BYTES + jsonLength) } };
}

// ---- messages ----

/** The proof as JSON carries it: ContributionProof with its uint64 deadline as a decimal string. */
export type ProofJson = Omit<ContributionProof, 'deadline'> & { deadline: string };

/** The dataset key wrapped by key release, as the host stores it between boots. */
export interface SealedDatasetKeyJson {
  version: 1;
  /** KMS key the data key belongs to (ARN or id). */
  kmsKeyId: string;
  /** KMS CiphertextBlob of the 32-byte data key, base64. */
  kmsCiphertextBlob: string;
  /** secretbox nonce (24 bytes) and box of the X25519 secret key, 0x-hex. */
  nonce: Hex;
  box: Hex;
  /** The X25519 public key, so the host can show it before the enclave is up. */
  datasetKey: Hex;
}

/**
 * Names the enclave's sealed state (enclave/src/state/segmented-state.ts) carried as a frame's
 * binary attachment, a state bundle (channel-state.ts): the new segments and the new root.
 * Opaque to the host, which stores the segments and keeps the root with the highest counter.
 */
export interface SealedStateRefJson {
  /** The root's counter: strictly increases with every state the enclave emits; decimal. */
  counter: string;
  /** SHA-256 of the sealed root, the state's name for anchoring (the root commits to every segment). */
  sha256: Hex;
  /** Length of the bundle in the attachment. */
  bytes: number;
}

/**
 * The enclave's latest sealed state and where its audit log stood in it, as AuditAnchor's
 * EIP-712 StateAnchor (wire/src/eip712.ts) in JSON: counters decimal strings, hashes hex.
 */
export interface StateAnchorJson {
  datasetKey: Hex;
  stateCounter: string;
  stateSha256: Hex;
  auditEntries: string;
  auditHead: Hex;
}

/**
 * Temporary AWS credentials (an IAM role's) that the host hands an enclave configured to use
 * them for its KMS calls: an enclave has no instance metadata service. They only authorize the
 * call; the attestation (Recipient) is what the key policy checks. Secrets: never logged, never
 * echoed in an error, never sealed.
 */
export interface AwsCredentialsJson {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  /** When they stop working, ISO 8601 (e.g. 2026-12-03T18:00:00Z). */
  expiration?: string;
}

/** The AWS SDK's AwsCredentialIdentity, as its credential providers resolve it: the JSON's live form. */
export interface AwsCredentialIdentity {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  expiration?: Date;
}

export function credentialsToJson(credentials: AwsCredentialIdentity): AwsCredentialsJson {
  return {
    accessKeyId: credentials.accessKeyId,
    secretAccessKey: credentials.secretAccessKey,
    ...(credentials.sessionToken === undefined ? {} : { sessionToken: credentials.sessionToken }),
    ...(credentials.expiration === undefined ? {} : { expiration: credentials.expiration.toISOString() }),
  };
}

export function credentialsFromJson(json: AwsCredentialsJson): AwsCredentialIdentity {
  return {
    accessKeyId: json.accessKeyId,
    secretAccessKey: json.secretAccessKey,
    ...(json.sessionToken === undefined ? {} : { sessionToken: json.sessionToken }),
    ...(json.expiration === undefined ? {} : { expiration: new Date(json.expiration) }),
  };
}

/** Request bodies by type (the `type` field is the key). */
export interface ChannelRequests {
  /**
   * Key release: at genesis without `sealed`, later with what genesis returned. The binary
   * attachment, when not empty, is the last sealed state the enclave returned. `credentials`,
   * when given, are kept before KMS is called.
   */
  boot: { sealed?: SealedDatasetKeyJson; credentials?: AwsCredentialsJson };
  /** Newer credentials before the last ones expire; they replace them for every later KMS call. */
  credentials: AwsCredentialsJson;
  /** An attestation document binding this boot's keys; the binary reply is the document. */
  attestation: { nonce: Hex };
  'contribution.begin': { header: EnvelopeHeaderJson };
  /** The binary attachment is the next piece of ciphertext. */
  'contribution.chunk': { session: string };
  'contribution.finish': { session: string };
  /**
   * The proof of a contribution this enclave already finished, signed again by this boot's key
   * with a fresh deadline, for a host that lost the finish reply (contribution.begin answers
   * ENVELOPE_REPLAYED for it). Only the header: nothing is opened or scored again.
   */
  'contribution.reissue': { header: EnvelopeHeaderJson };
  /**
   * The latest sealed root again, with the segments of this boot the enclave still holds (binary
   * reply, a state bundle), e.g. when a reply carrying them was lost.
   */
  state: Record<string, never>;
  /**
   * After a boot whose reply carried no state (the root named segments the boot attachment did
   * not hold): the next segments, in order, as a state bundle without a root (wire/src/channel-state.ts).
   */
  'state.segments': Record<string, never>;
  /** Ends a segmented restore: the enclave checks the chain against the root and only then counts as booted. */
  'state.ready': Record<string, never>;
  /** The latest sealed state's anchor, signed for AuditAnchor at `contract` on this chain; the host submits it. */
  'state.anchor': { contract: Address };
  /**
   * Buyer jobs (enclave/src/jobs/job-requests.ts). The submission's JSON (with its base64
   * model, larger than the JSON part allows) is the binary attachment, as the host received it.
   */
  'job.submit': Record<string, never>;
  'job.status': { jobId: Hex };
  /** A features or aggregates job's release; the binary reply is the release sealed to the buyer. */
  'job.result': { jobId: Hex };
  /** One DP-SGD step; the attachment is the step's JSON, the binary reply the sealed noisy sum. */
  'job.step': { jobId: Hex };
  /**
   * The attachment is the buyer's signed finish request's JSON (steps, deadline, signature); the
   * binary reply is the answer's JSON (receipt, signature, shares): shares outgrow the JSON part.
   */
  'job.finish': { jobId: Hex };
  /**
   * The encrypted feature entries a job needs (job.submit's reply names them), as the host keeps
   * them. Attachment: per file, its id (32 bytes), the entry's length (u32, big-endian; 0 when
   * the host has none) and the entry. The enclave authenticates each before the job may use it.
   */
  'job.features': { jobId: Hex };
}

/** A job as the enclave reports it. */
export interface JobStatusJson {
  jobId: Hex;
  kind: 'features' | 'gradients' | 'aggregates';
  status: 'running' | 'finished';
  files: number;
  steps: number;
}

// `state` in a reply names the new sealed state in that reply's binary attachment, a state bundle
// (wire/src/channel-state.ts: the new segments, the new root and the audit entries and heads made
// since the previous state; counter and sha256 are the root's, bytes the bundle's); store it. Every
// reply whose request appended audit entries carries one, so each entry is in a sealed state.
export interface ChannelResponses {
  boot: { genesis: boolean; sealed: SealedDatasetKeyJson; datasetKey: Hex; signer: Address; pipelineVersion: Hex; state?: SealedStateRefJson };
  credentials: Record<string, never>;
  attestation: Record<string, never>;
  'contribution.begin': { session: string };
  'contribution.chunk': { received: number };
  /** The enclave signs only proofs it computed, so there is no "sign this" request. */
  /**
   * With `features`, the binary reply is the sealed state (state.bytes long) followed by the
   * file's encrypted feature entry (features.bytes long): the host stores the entry before the state.
   */
  'contribution.finish': { manifestHash: Hex; contributor: Address; fileId: Hex; audioBytes: number; proof?: ProofJson; signature?: Hex; state?: SealedStateRefJson; features?: { bytes: number } };
  /** The recorded result as a proof; `state` records the re-issue (the audit log moved). */
  'contribution.reissue': { manifestHash: Hex; contributor: Address; fileId: Hex; proof: ProofJson; signature: Hex; state: SealedStateRefJson };
  state: { state: SealedStateRefJson };
  /** Segments taken so far in this restore. */
  'state.segments': { received: number };
  'state.ready': { state: SealedStateRefJson };
  'state.anchor': { anchor: StateAnchorJson; signature: Hex };
  /**
   * With `featuresNeeded` (an enclave whose feature entries the host keeps), the job was checked but
   * not started: the binary reply is that many 32-byte file ids whose entries the enclave lacks, to
   * send in job.features before the same submission is sent again. Without it, the job started:
   * `state` then names the sealed state recording the start (and its audit entry), the binary reply.
   */
  'job.submit': JobStatusJson & { featuresNeeded?: number; state?: SealedStateRefJson };
  'job.status': JobStatusJson;
  /**
   * With `state`, the binary reply is that sealed state (state.bytes long) followed by the
   * sealed result: the host stores the state (the privacy spend) before releasing the result.
   */
  'job.result': { epsilonSpent: number; state?: SealedStateRefJson };
  'job.step': { epsilonSpent: number; state?: SealedStateRefJson };
  /**
   * The binary reply is the sealed state recording the receipt's audit entry (state.bytes long)
   * followed by the enclave's JSON answer (receipt and shares): the host stores the state first.
   */
  'job.finish': { state?: SealedStateRefJson };
  /** Entries accepted, and how many the job still lacks. */
  'job.features': { accepted: number; missing: number };
}

export type RequestType = keyof ChannelRequests;
export const REQUEST_TYPES: readonly RequestType[] = ['boot', 'credentials', 'attestation', 'contribution.begin', 'contribution.chunk', 'contribution.finish', 'contribution.reissue', 'state', 'state.segments', 'state.ready', 'state.anchor', 'job.submit', 'job.status', 'job.result', 'job.step', 'job.finish', 'job.features'];

type Check = (value: unknown) => string | undefined;
const hex = (min: number, max: number): Check => (v) =>
  typeof v === 'string' && /^0x([0-9a-fA-F]{2})*$/.test(v) && (v.length - 2) / 2 >= min && (v.length - 2) / 2 <= max ? undefined : `is not ${min === max ? min : `${min}..${max}`} bytes of 0x-hex`;
const bytes32 = hex(32, 32);
const address = hex(20, 20);
const str = (max: number, pattern = /^[\x20-\x7e]*$/): Check => (v) => (typeof v === 'string' && v.length > 0 && v.length <= max && pattern.test(v) ? undefined : `is not a printable string of 1..${max} characters`);
const base64 = (max: number): Check => str(max, /^[A-Za-z0-9+/]+={0,2}$/);
const int = (min: number, max: number): Check => (v) => (typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max ? undefined : `is not an integer in ${min}..${max}`);
const bool: Check = (v) => (typeof v === 'boolean' ? undefined : 'is not a boolean');
const decimal: Check = (v) => (typeof v === 'string' && /^[0-9]{1,20}$/.test(v) ? undefined : 'is not a decimal string');
const SESSION = str(64, /^[0-9a-f]+$/);
const optional = (check: Check): Check => (v) => (v === undefined ? undefined : check(v));
const object = (fields: Record<string, Check>): Check => (v) => {
  if (!isRecord(v)) return 'is not an object';
  for (const key of Object.keys(v)) if (!(key in fields)) return `has unknown field ${key}`;
  for (const [key, check] of Object.entries(fields)) {
    const problem = check(v[key]);
    if (problem !== undefined) return `.${key} ${problem}`;
  }
  return undefined;
};
const sealedKey = object({ version: (v) => (v === 1 ? undefined : 'is not 1'), kmsKeyId: str(2048), kmsCiphertextBlob: base64(8192), nonce: hex(24, 24), box: hex(48, 48), datasetKey: bytes32 });
const score = int(0, 10_000);
const proof = object({
  fileId: bytes32, contributor: address, manifestHash: bytes32, valid: bool, score, authenticity: score, ownership: score, quality: score, uniqueness: score,
  pipelineVersion: bytes32, detailsHash: bytes32, deadline: decimal,
});
const oneOf = (values: readonly string[]): Check => (v) => (typeof v === 'string' && values.includes(v) ? undefined : `is not one of ${values.join(', ')}`);
const epsilon: Check = (v) => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? undefined : 'is not a finite number >= 0');
const jobStatus = { jobId: bytes32, kind: oneOf(['features', 'gradients', 'aggregates']), status: oneOf(['running', 'finished']), files: int(0, Number.MAX_SAFE_INTEGER), steps: int(0, Number.MAX_SAFE_INTEGER) };
const stateRef = object({ counter: decimal, sha256: bytes32, bytes: int(0, DEFAULT_MAX_FRAME_BYTES) });
const stateAnchor = object({ datasetKey: bytes32, stateCounter: decimal, stateSha256: bytes32, auditEntries: decimal, auditHead: bytes32 });
// Caps well above AWS's own (access key ids up to 128, STS session tokens a few KB), under MAX_JSON_BYTES.
const awsCredentialFields = {
  accessKeyId: str(128, /^[A-Za-z0-9]+$/),
  secretAccessKey: str(256),
  sessionToken: optional(str(16_384)),
  expiration: optional((v) => (typeof v === 'string' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/.test(v) && Number.isFinite(Date.parse(v)) ? undefined : 'is not an ISO 8601 date-time')),
};
const envelopeHeader: Check = (v) => {
  const parsed = parseEnvelopeHeader(v);
  return parsed.ok ? undefined : `.${parsed.problem.field} ${parsed.problem.problem}`;
};

const requestSchemas: Record<RequestType, Record<string, Check>> = {
  boot: { sealed: optional(sealedKey), credentials: optional(object(awsCredentialFields)) },
  credentials: awsCredentialFields,
  attestation: { nonce: hex(1, 64) },
  'contribution.begin': { header: envelopeHeader },
  'contribution.chunk': { session: SESSION },
  'contribution.finish': { session: SESSION },
  'contribution.reissue': { header: envelopeHeader },
  state: {},
  'state.segments': {},
  'state.ready': {},
  'state.anchor': { contract: address },
  'job.submit': {},
  'job.status': { jobId: bytes32 },
  'job.result': { jobId: bytes32 },
  'job.step': { jobId: bytes32 },
  'job.finish': { jobId: bytes32 },
  'job.features': { jobId: bytes32 },
};
const responseSchemas: Record<RequestType, Record<string, Check>> = {
  boot: { genesis: bool, sealed: sealedKey, datasetKey: bytes32, signer: address, pipelineVersion: bytes32, state: optional(stateRef) },
  credentials: {},
  attestation: {},
  'contribution.begin': { session: SESSION },
  'contribution.chunk': { received: int(0, Number.MAX_SAFE_INTEGER) },
  'contribution.finish': {
    manifestHash: bytes32, contributor: address, fileId: bytes32, audioBytes: int(0, Number.MAX_SAFE_INTEGER), proof: optional(proof), signature: optional(hex(65, 65)), state: optional(stateRef),
    features: optional(object({ bytes: int(1, DEFAULT_MAX_FRAME_BYTES) })),
  },
  'contribution.reissue': { manifestHash: bytes32, contributor: address, fileId: bytes32, proof, signature: hex(65, 65), state: stateRef },
  state: { state: stateRef },
  'state.segments': { received: int(0, Number.MAX_SAFE_INTEGER) },
  'state.ready': { state: stateRef },
  'state.anchor': { anchor: stateAnchor, signature: hex(65, 65) },
  'job.submit': { ...jobStatus, featuresNeeded: optional(int(0, DEFAULT_MAX_FRAME_BYTES / 32)), state: optional(stateRef) },
  'job.status': jobStatus,
  'job.result': { epsilonSpent: epsilon, state: optional(stateRef) },
  'job.step': { epsilonSpent: epsilon, state: optional(stateRef) },
  'job.finish': { state: optional(stateRef) },
  'job.features': { accepted: int(0, Number.MAX_SAFE_INTEGER), missing: int(0, Number.MAX_SAFE_INTEGER) },
};

function validate(schemas: Record<RequestType, Record<string, Check>>, json: Record<string, unknown>): RequestType {
  const type = json.type;
  if (typeof type !== 'string' || !(REQUEST_TYPES as readonly string[]).includes(type)) throw new ChannelUnknownTypeError(String(type));
  const { type: _, ...fields } = json;
  const problem = object(schemas[type as RequestType])(fields);
  if (problem !== undefined) throw new ChannelMessageInvalidError(type, 'body', problem.replace(/^\./, ''));
  return type as RequestType;
}

/** Checks an untrusted request's JSON against its schema; throws a typed ChannelError. */
export function validateRequest(json: Record<string, unknown>): RequestType {
  return validate(requestSchemas, json);
}

/** Checks an untrusted response's JSON against the schema of the request it answers. */
export function validateResponse(type: RequestType, json: Record<string, unknown>): void {
  if (json.type !== type) throw new ChannelMessageInvalidError(type, 'type', `is ${JSON.stringify(json.type)}, expected ${JSON.stringify(type)}`);
  validate(responseSchemas, json);
}

/** The error frame's JSON, parsed defensively: an error from the other side is untrusted too. */
export function remoteErrorOf(json: Record<string, unknown>): ChannelRemoteError {
  const code = typeof json.code === 'string' && /^[A-Z][A-Z0-9_]{0,63}$/.test(json.code) ? json.code : 'CHANNEL_REMOTE_ERROR';
  const message = typeof json.message === 'string' ? json.message.slice(0, 1000) : 'The other side reported an error.';
  const details: Record<string, string | number | boolean | null> = {};
  if (isRecord(json.details)) {
    for (const [key, value] of Object.entries(json.details).slice(0, 16)) {
      if (typeof value === 'string') details[key] = value.slice(0, 200);
      else if (typeof value === 'number' || typeof value === 'boolean' || value === null) details[key] = value;
    }
  }
  return new ChannelRemoteError(code, message, details);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
