// The host's EnclaveClient over the wire channel (wire/src/channel-client.ts): boots the enclave
// with the dataset key the host keeps wrapped, relays attestation requests and streams stored
// contributions in pieces (or, for a file the enclave finished but whose proof the host never
// kept, asks for the recorded result signed again). It reconnects after the enclave restarts,
// boots it again and tells the integration, which registers the new signer on chain.
import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { toHex, type Address, type Hex } from 'viem';
import {
  connectChannel,
  decodeAttestationBinding,
  envelopeHeaderToJson,
  isAudataError,
  credentialsToJson,
  type AwsCredentialIdentity,
  type ChannelAddress,
  type ChannelClient,
  type ChannelResponses,
  type ContributionProof,
  type EnvelopeHeaderJson,
  type SealedDatasetKeyJson,
  type SealedStateRefJson,
  type JobStatusJson,
} from '@audata/wire';
import { decodeCoseSign1, parseAttestationDocument } from '@audata/verifier';
import type { AttestationResult, EnclaveClient, JobRelay, ScoreRequest, SignedProof } from './deps.ts';
import { HostError } from './errors.ts';

/** The enclave could not be reached or dropped the connection; the work is worth retrying. */
export class EnclaveUnreachableError extends HostError {
  override name = 'EnclaveUnreachableError' as const;
  constructor(reason: string, cause?: unknown) {
    super('HOST_ENCLAVE_UNREACHABLE', `The enclave channel is not available: ${reason}.`, {
      details: { reason },
      hint: 'Check that the enclave runs and listens where AUDATA_ENCLAVE_ADDRESS points; queued files are retried.',
      cause,
    });
  }
}

/** The enclave opened the file but returned no signed proof (it runs without a scoring pipeline). */
export class EnclaveNoProofError extends HostError {
  override name = 'EnclaveNoProofError' as const;
  constructor(fileId: Hex) {
    super('HOST_ENCLAVE_NO_PROOF', `The enclave opened ${fileId} but signed no proof.`, {
      details: { fileId },
      hint: 'Run an enclave build that includes the scoring pipeline.',
    });
  }
}

/** The enclave answered about another file or contributor than the one sent. */
export class EnclaveReplyMismatchError extends HostError {
  override name = 'EnclaveReplyMismatchError' as const;
  constructor(field: string, expected: string, received: string) {
    super('HOST_ENCLAVE_REPLY_MISMATCH', `The enclave's reply names ${field} ${received}, expected ${expected}.`, {
      details: { field, expected, received },
      hint: 'The channel or the enclave is misbehaving; the file stays queued for another try.',
    });
  }
}

/**
 * The host keeps no feature entry for a file a job needs (lost, or never kept), so the enclave
 * starts nothing: the buyer's signed submission stays good once the entry is back.
 */
export class JobFeaturesMissingError extends HostError {
  override name = 'JobFeaturesMissingError' as const;
  constructor(jobId: Hex, fileId: Hex, reason: string) {
    super('HOST_JOB_FEATURES_MISSING', `Job ${jobId} was not started: ${reason} (file ${fileId}).`, {
      details: { jobId, fileId, reason },
      hint: 'Nothing was started or spent. Send the same signed submission again once the operator has restored the entry (feature_entries); the job id stays unused.',
    });
  }
}

/**
 * The host's own AWS credentials could not be resolved for the enclave's KMS calls. Names the
 * resolver's error only: the credentials themselves never go into an error or a log.
 */
export class EnclaveCredentialsUnavailableError extends HostError {
  override name = 'EnclaveCredentialsUnavailableError' as const;
  constructor(cause: unknown) {
    const reason = cause instanceof Error ? `${cause.name}: ${cause.message.slice(0, 200)}` : 'the resolver failed';
    super('HOST_ENCLAVE_CREDENTIALS_UNAVAILABLE', `The host could not resolve AWS credentials to hand the enclave (${reason}).`, {
      details: { reason },
      hint: "Give the parent instance a role (or AWS_* variables), or unset AUDATA_ENCLAVE_AWS_CREDENTIALS for an enclave that does not take them.",
    });
  }
}

/** Longest pause between two credential hand-overs, and the pause after a failed one. */
export const CREDENTIALS_REFRESH_MS = 15 * 60_000;
export const CREDENTIALS_RETRY_MS = 30_000;

export type BootInfo = ChannelResponses['boot'];

/** Where the host keeps the KMS-wrapped dataset key between boots. */
export interface SealedKeyStore {
  load(): SealedDatasetKeyJson | undefined;
  save(sealed: SealedDatasetKeyJson): void;
}

/** Where the host keeps the enclave's sealed state (SealedEnclaveStateStore in enclave-state.ts). */
export interface EnclaveStateKeeper {
  /** The latest state's root (a state bundle), handed over at boot; empty at genesis. */
  bootAttachment(): Uint8Array;
  /** The segments that root names, in order, as state bundles under the frame limit (state.segments). */
  segmentBundles?(): Iterable<Uint8Array>;
  /** Stores a state bundle from a reply, durably, before the reply is acted on. */
  save(ref: SealedStateRefJson, blob: Uint8Array): unknown;
}

/** Where the host keeps the enclave's encrypted feature entries (FeatureEntryStore in db/feature-entries.ts). */
export interface FeatureEntryKeeper {
  /** Durable when it resolves. */
  save(fileId: Hex, entry: Uint8Array): Promise<unknown>;
  load(fileId: Hex): Promise<Uint8Array | undefined>;
}

/** Bytes of entries per job.features frame, well under the frame limit. */
const FEATURE_BATCH_BYTES = 8 * 1024 * 1024;
/** Supplies before a submission still naming missing entries is given up (a file scored meanwhile can add one). */
const SUBMIT_ROUNDS = 3;

export interface ChannelEnclaveClientParams {
  address: ChannelAddress;
  sealedKeys: SealedKeyStore;
  /** Without one, the enclave boots with an empty state every time (it forgets its fingerprint index). */
  states?: EnclaveStateKeeper;
  /**
   * Called after every boot (a new signer each time), before any request is served on it;
   * `attest` asks the enclave just booted for a document (to register its signer).
   */
  onBoot?: (boot: BootInfo, attest: (nonce: Uint8Array) => Promise<Uint8Array>) => Promise<void>;
  /**
   * Keeps the feature entries an enclave with host-kept features sends with each finish reply,
   * and hands them back when a job needs them. Without one such entries are dropped.
   */
  features?: FeatureEntryKeeper;
  /** Entry bytes per job.features frame (default 8 MiB). */
  featureBatchBytes?: number;
  /** Ciphertext bytes per contribution.chunk frame (default 1 MiB). */
  pieceBytes?: number;
  /** Told how long each scored file was with the enclave (begin sent to finish answered), in ms. */
  onEnclaveTime?: (ms: number) => void;
  timeoutMs?: number;
  /**
   * How long a contribution.finish (the file's scoring) may take, default 240 s: past the
   * enclave's own per-file limit (180 s for the longest file its scoring threads accept), so the
   * host hears the enclave's verdict (ENCLAVE_SCORING_TIMEOUT, final) rather than timing out
   * first and retrying a file that would only hang again. At least timeoutMs.
   */
  finishTimeoutMs?: number;
  /** Connection attempts per call and the pause between them (default 3, 200 ms). */
  connectAttempts?: number;
  connectBackoffMs?: number;
  /**
   * AWS credentials for an enclave that signs its KMS calls with the host's (a Nitro enclave has
   * no instance metadata service): sent with every boot, and again in a credentials request at
   * 80% of their remaining life or every credentialsRefreshMs (default 15 min), whichever is
   * first. Resolving to undefined sends none.
   */
  credentials?: () => Promise<AwsCredentialIdentity | undefined>;
  credentialsRefreshMs?: number;
  /** After a failed refresh, the next try (default 30 s). */
  credentialsRetryMs?: number;
  /** Told of a failed refresh (a typed error; never the credentials). */
  onCredentialsError?: (error: unknown) => void;
}

const TRANSPORT_CODES = new Set(['CHANNEL_CLOSED', 'CHANNEL_TIMEOUT', 'CHANNEL_FRAME_TOO_LARGE', 'CHANNEL_FRAME_MALFORMED']);

export class ChannelEnclaveClient implements EnclaveClient, JobRelay {
  readonly #p: ChannelEnclaveClientParams;
  #channel: Promise<ChannelClient> | undefined;
  #boot: BootInfo | undefined;
  #closed = false;
  #refreshTimer: NodeJS.Timeout | undefined;
  #bootExpiration: Date | undefined;

  constructor(params: ChannelEnclaveClientParams) {
    this.#p = params;
  }

  /** What the last boot reported (signer, dataset key, pipeline); unverified convenience copies. */
  get boot(): BootInfo | undefined {
    return this.#boot;
  }

  /** Connects and boots now, so start-up fails early when the enclave is not there. */
  async ready(): Promise<BootInfo> {
    await this.#connected();
    return this.#boot!;
  }

  async attest(nonce: Uint8Array): Promise<AttestationResult> {
    const ask = () => this.#request((c) => c.request('attestation', { nonce: toHex(nonce) }));
    // A connection that died with a restarted enclave is noticed on use; asking again is harmless.
    const { binary } = await ask().catch((error: unknown) => {
      if (isAudataError(error) && error.code === 'HOST_ENCLAVE_UNREACHABLE') return ask();
      throw error;
    });
    const boot = this.#boot;
    return {
      document: binary.slice(),
      ...(boot === undefined ? {} : { enclaveSigner: boot.signer, datasetPublicKey: boot.datasetKey, pipelineVersion: boot.pipelineVersion }),
    };
  }

  async score(request: ScoreRequest): Promise<SignedProof> {
    try {
      return await this.#score(request);
    } finally {
      // Whatever happened, the stored blob's file handle is released.
      request.ciphertext.destroy();
    }
  }

  async #score(request: ScoreRequest): Promise<SignedProof> {
    const contributor = request.contributor;
    const length = request.ciphertextLength;
    if (contributor === undefined || contributor === null || length === undefined) {
      throw new EnclaveReplyMismatchError('request', 'a contributor and a ciphertext length', 'neither');
    }
    const header = envelopeHeaderToJson({
      version: 1,
      manifest: request.manifest,
      signature: request.manifestSignature,
      contributor,
      sealedKey: toHex(request.sealedKey),
      ciphertextLength: length,
    });
    return this.#request(async (channel) => {
      let begun: ChannelResponses['contribution.begin'];
      const started = performance.now();
      try {
        ({ body: begun } = await channel.request('contribution.begin', { header }));
      } catch (error) {
        // Finished by the enclave before, but the reply with its proof never reached the queue
        // (the host stopped first): the recorded result, signed again, completes the file.
        if (isAudataError(error) && error.code === 'ENVELOPE_REPLAYED') return this.#reissue(channel, header, request.fileId);
        throw error;
      }
      for await (const piece of pieces(request.ciphertext, this.#p.pieceBytes ?? 1 << 20)) {
        await channel.request('contribution.chunk', { session: begun.session }, piece);
      }
      const finishTimeoutMs = Math.max(this.#p.finishTimeoutMs ?? 240_000, this.#p.timeoutMs ?? 60_000);
      const { body, binary } = await channel.request('contribution.finish', { session: begun.session }, undefined, { timeoutMs: finishTimeoutMs });
      this.#p.onEnclaveTime?.(performance.now() - started);
      const stateBytes = body.state?.bytes ?? 0;
      const entryBytes = body.features?.bytes ?? 0;
      if (stateBytes + entryBytes !== binary.length) throw new EnclaveReplyMismatchError('attachment', `${stateBytes + entryBytes} bytes (state and feature entry)`, String(binary.length));
      // The feature entry first, then the state that names the file as having one; the state that
      // remembers this file is kept before its proof is used anywhere.
      if (body.features !== undefined) await this.#p.features?.save(body.fileId, binary.slice(stateBytes));
      if (body.state !== undefined) await this.#p.states?.save(body.state, binary.subarray(0, stateBytes));
      if (body.fileId.toLowerCase() !== request.fileId.toLowerCase()) throw new EnclaveReplyMismatchError('fileId', request.fileId, body.fileId);
      if (body.proof === undefined || body.signature === undefined) throw new EnclaveNoProofError(request.fileId);
      const proof: ContributionProof = { ...body.proof, deadline: BigInt(body.proof.deadline) };
      return { proof, signature: body.signature };
    });
  }

  async #reissue(channel: ChannelClient, header: EnvelopeHeaderJson, fileId: Hex): Promise<SignedProof> {
    const { body, binary } = await channel.request('contribution.reissue', { header });
    // The re-issue moved the audit log: its state is kept before the proof is used, as after finish.
    await this.#p.states?.save(body.state, binary);
    if (body.fileId.toLowerCase() !== fileId.toLowerCase()) throw new EnclaveReplyMismatchError('fileId', fileId, body.fileId);
    if (body.proof.fileId.toLowerCase() !== fileId.toLowerCase()) throw new EnclaveReplyMismatchError('proof.fileId', fileId, body.proof.fileId);
    return { proof: { ...body.proof, deadline: BigInt(body.proof.deadline) }, signature: body.signature };
  }

  /**
   * With host-kept entries the enclave starts a job only once it holds every entry the job needs:
   * a reply naming missing ones (featuresNeeded) started nothing, so the host supplies them and
   * sends the same submission again. One the host lacks ends it with JobFeaturesMissingError.
   */
  async submit(body: Uint8Array): Promise<JobStatusJson> {
    return this.#request(async (channel) => {
      for (let round = 0; ; round++) {
        const reply = await channel.request('job.submit', {}, body);
        const { featuresNeeded, state, ...status } = reply.body;
        if (featuresNeeded === undefined || featuresNeeded === 0) {
          // A started job: the state recording the start and its audit entry is kept before the buyer hears of it.
          if (state !== undefined) {
            if (state.bytes !== reply.binary.length) throw new EnclaveReplyMismatchError('state.bytes', String(reply.binary.length), String(state.bytes));
            await this.#p.states?.save(state, reply.binary);
          }
          return status;
        }
        const first = toHex(reply.binary.subarray(0, 32));
        if (round === SUBMIT_ROUNDS) throw new JobFeaturesMissingError(status.jobId, first, `the enclave still lacks ${featuresNeeded} entries after ${SUBMIT_ROUNDS} supplies`);
        await this.#supplyFeatures(channel, status.jobId, reply.binary, featuresNeeded);
      }
    });
  }

  /** Hands the enclave the entries a job needs, in frames of about featureBatchBytes; stops at one the host lacks. */
  async #supplyFeatures(channel: ChannelClient, jobId: Hex, ids: Uint8Array, count: number): Promise<void> {
    if (ids.length !== count * 32) throw new EnclaveReplyMismatchError('job.submit attachment', `${count * 32} bytes (${count} file ids)`, String(ids.length));
    let batch: Uint8Array[] = [];
    let size = 0;
    const send = async () => {
      if (batch.length > 0) await channel.request('job.features', { jobId }, Buffer.concat(batch));
      batch = [];
      size = 0;
    };
    for (let i = 0; i < count; i++) {
      const fileId = toHex(ids.subarray(i * 32, (i + 1) * 32));
      const entry = await this.#p.features?.load(fileId);
      if (entry === undefined) throw new JobFeaturesMissingError(jobId, fileId, 'the host keeps no feature entry for a file it needs');
      const head = new Uint8Array(36);
      head.set(ids.subarray(i * 32, (i + 1) * 32), 0);
      new DataView(head.buffer).setUint32(32, entry.length);
      if (size > 0 && size + head.length + entry.length > (this.#p.featureBatchBytes ?? FEATURE_BATCH_BYTES)) await send();
      batch.push(head, entry);
      size += head.length + entry.length;
    }
    await send();
  }

  async status(jobId: Hex): Promise<JobStatusJson> {
    return (await this.#request((c) => c.request('job.status', { jobId }))).body;
  }

  async result(jobId: Hex): Promise<{ sealed: Uint8Array; epsilonSpent: number }> {
    const reply = await this.#request((c) => c.request('job.result', { jobId }));
    return { sealed: await this.#keepState(reply), epsilonSpent: reply.body.epsilonSpent };
  }

  async step(jobId: Hex, body: Uint8Array): Promise<{ sealed: Uint8Array; epsilonSpent: number }> {
    const reply = await this.#request((c) => c.request('job.step', { jobId }, body));
    return { sealed: await this.#keepState(reply), epsilonSpent: reply.body.epsilonSpent };
  }

  /** The enclave's answer (receipt and shares), once the state recording the receipt's audit entry is kept. */
  async finish(jobId: Hex, body: Uint8Array): Promise<Uint8Array> {
    return this.#keepState(await this.#request((c) => c.request('job.finish', { jobId }, body)));
  }

  /** The enclave's latest sealed state and audit head, signed for AuditAnchor at `contract`. */
  async stateAnchor(contract: Address): Promise<ChannelResponses['state.anchor']> {
    return (await this.#request((c) => c.request('state.anchor', { contract }))).body;
  }

  /**
   * A job release that carries the state recording its privacy spend: the state (first
   * state.bytes of the attachment) is stored before the result (the rest) is returned.
   */
  async #keepState(reply: { body: { state?: SealedStateRefJson }; binary: Uint8Array }): Promise<Uint8Array> {
    const { state } = reply.body;
    if (state === undefined) return reply.binary.slice();
    if (state.bytes > reply.binary.length) throw new EnclaveReplyMismatchError('state.bytes', `at most ${reply.binary.length}`, String(state.bytes));
    await this.#p.states?.save(state, reply.binary.slice(0, state.bytes));
    return reply.binary.slice(state.bytes);
  }

  /**
   * Hands the enclave the current credentials now (the timer does this before they expire);
   * resolves to their expiration. Without a credentials source it does nothing.
   */
  async refreshCredentials(): Promise<Date | undefined> {
    const credentials = await this.#resolveCredentials();
    if (credentials === undefined) return undefined;
    await this.#request((c) => c.request('credentials', credentialsToJson(credentials)));
    return credentials.expiration;
  }

  async #resolveCredentials(): Promise<AwsCredentialIdentity | undefined> {
    if (this.#p.credentials === undefined) return undefined;
    try {
      return await this.#p.credentials();
    } catch (error) {
      throw new EnclaveCredentialsUnavailableError(error);
    }
  }

  #scheduleRefresh(expiration: Date | undefined): void {
    if (this.#p.credentials === undefined || this.#closed) return;
    const most = this.#p.credentialsRefreshMs ?? CREDENTIALS_REFRESH_MS;
    // 80% of the remaining life leaves a fifth of it for retries; never a busy loop on expired ones.
    const delay = expiration === undefined ? most : Math.max(1000, Math.min(most, 0.8 * (expiration.getTime() - Date.now())));
    this.#armRefresh(delay);
  }

  #armRefresh(delayMs: number): void {
    clearTimeout(this.#refreshTimer);
    this.#refreshTimer = setTimeout(() => {
      this.refreshCredentials().then(
        (expiration) => this.#scheduleRefresh(expiration),
        (error: unknown) => {
          this.#p.onCredentialsError?.(error);
          if (!this.#closed) this.#armRefresh(this.#p.credentialsRetryMs ?? CREDENTIALS_RETRY_MS);
        },
      );
    }, delayMs);
    this.#refreshTimer.unref();
  }

  close(): void {
    clearTimeout(this.#refreshTimer);
    this.#refreshTimer = undefined;
    this.#closed = true;
    void this.#channel?.then((c) => c.close(), () => undefined);
    this.#channel = undefined;
  }

  async #request<T>(run: (channel: ChannelClient) => Promise<T>): Promise<T> {
    const channel = await this.#connected();
    try {
      return await run(channel);
    } catch (error) {
      if (isAudataError(error) && TRANSPORT_CODES.has(error.code)) {
        this.#drop(channel);
        throw new EnclaveUnreachableError(error.message, error);
      }
      throw error;
    }
  }

  #drop(channel: ChannelClient): void {
    channel.close();
    this.#channel = undefined;
  }

  #connected(): Promise<ChannelClient> {
    if (this.#closed) return Promise.reject(new EnclaveUnreachableError('the client was closed'));
    this.#channel ??= this.#connect().catch((error: unknown) => {
      this.#channel = undefined;
      throw error;
    });
    return this.#channel;
  }

  async #connect(): Promise<ChannelClient> {
    const attempts = this.#p.connectAttempts ?? 3;
    let last: unknown;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      let channel: ChannelClient | undefined;
      try {
        channel = await connectChannel(this.#p.address, { ...(this.#p.timeoutMs === undefined ? {} : { timeoutMs: this.#p.timeoutMs }) });
        await this.#bootOn(channel);
        this.#scheduleRefresh(this.#bootExpiration);
        return channel;
      } catch (error) {
        channel?.close();
        if (isAudataError(error) && !TRANSPORT_CODES.has(error.code)) throw error;
        last = error;
        if (attempt < attempts) await new Promise((resolve) => setTimeout(resolve, this.#p.connectBackoffMs ?? 200));
      }
    }
    throw new EnclaveUnreachableError(last instanceof Error ? last.message : String(last), last);
  }

  /** Boots a fresh enclave; one that is already booted (the host reconnected) keeps its keys and signer. */
  async #bootOn(channel: ChannelClient): Promise<void> {
    const sealed = this.#p.sealedKeys.load();
    // Resolved per boot, so a reconnect hands over fresh ones; an enclave already booted keeps them too.
    const credentials = await this.#resolveCredentials();
    this.#bootExpiration = credentials?.expiration;
    try {
      const request = { ...(sealed === undefined ? {} : { sealed }), ...(credentials === undefined ? {} : { credentials: credentialsToJson(credentials) }) };
      const { body, binary } = await channel.request('boot', request, this.#p.states?.bootAttachment() ?? new Uint8Array(0));
      if (body.genesis) this.#p.sealedKeys.save(body.sealed);
      let state = body.state === undefined ? undefined : { ref: body.state, binary };
      if (state === undefined) {
        // The root names segments: they follow in frames under the limit, and the enclave counts
        // itself booted only at state.ready, once the chain ends where the root says.
        for (const bundle of this.#p.states?.segmentBundles?.() ?? []) await channel.request('state.segments', {}, bundle);
        const ready = await channel.request('state.ready', {});
        state = { ref: ready.body.state, binary: ready.binary };
      }
      this.#p.states?.save(state.ref, state.binary);
      this.#boot = body;
      await this.#p.onBoot?.(body, async (nonce) => (await channel.request('attestation', { nonce: toHex(nonce) })).binary.slice());
    } catch (error) {
      if (!isAudataError(error) || error.code !== 'ENCLAVE_ALREADY_BOOTED') throw error;
      // The enclave kept running, so a reply lost with the last connection may have carried a
      // segment the host lacks (its later roots would then never be usable): the enclave sends
      // its latest root again with the segments of this boot it still holds.
      if (this.#p.states !== undefined) {
        const latest = await channel.request('state', {});
        await this.#p.states.save(latest.body.state, latest.binary);
      }
      if (this.#boot !== undefined) return;
      // This host process is new but the enclave kept running: learn its keys from a document.
      const attest = async (nonce: Uint8Array) => (await channel.request('attestation', { nonce: toHex(nonce) })).binary.slice();
      const document = await attest(new Uint8Array(randomBytes(32)));
      const binding = decodeAttestationBinding(parseAttestationDocument(decodeCoseSign1(document).fields).userData);
      if (sealed === undefined) throw new EnclaveReplyMismatchError('boot', 'a genesis boot by this host', 'an enclave booted by someone else');
      this.#boot = { genesis: false, sealed, datasetKey: binding.datasetKey, signer: binding.signer, pipelineVersion: binding.pipelineVersion };
      await this.#p.onBoot?.(this.#boot, attest);
    }
  }
}


/** The host's EnclaveStateStore as a SealedKeyStore: the wrapped key as JSON bytes. */
export function sealedKeyStore(store: { sealedDatasetKey(): Uint8Array | undefined; saveSealedDatasetKey(sealed: Uint8Array): void }): SealedKeyStore {
  return {
    load() {
      const bytes = store.sealedDatasetKey();
      return bytes === undefined ? undefined : (JSON.parse(Buffer.from(bytes).toString('utf8')) as SealedDatasetKeyJson);
    },
    save(sealed) {
      store.saveSealedDatasetKey(new Uint8Array(Buffer.from(JSON.stringify(sealed), 'utf8')));
    },
  };
}

/** Re-cuts a byte stream into pieces of exactly `size` bytes (the last one shorter). */
async function* pieces(stream: Readable | AsyncIterable<Uint8Array>, size: number): AsyncGenerator<Uint8Array> {
  let buffer = new Uint8Array(size);
  let filled = 0;
  for await (const chunk of stream as AsyncIterable<Uint8Array>) {
    let offset = 0;
    while (offset < chunk.length) {
      const take = Math.min(size - filled, chunk.length - offset);
      buffer.set(chunk.subarray(offset, offset + take), filled);
      filled += take;
      offset += take;
      if (filled === size) {
        yield buffer;
        buffer = new Uint8Array(size);
        filled = 0;
      }
    }
  }
  if (filled > 0) yield buffer.subarray(0, filled);
}

