// The enclave's request handlers, wired to its keys: boot (key release), attestation (a
// document binding this boot's keys), and contribution sessions that stream a ciphertext in,
// open it and, when a scorer is present, sign the proof the enclave itself computed. There is
// no request that signs what the host supplies. What must survive a restart (fingerprint index,
// a record of every finished file with its result, audit head, buyers' privacy ledgers) leaves
// sealed with every reply that changes it (src/state/), and every reply that adds audit entries
// carries a state, with those entries beside it for the host to keep and serve; a job reply that
// spent budget carries its state before its result. From the records a restart rebuilds the job
// catalogue, and a host that lost a finish reply gets the recorded result signed again
// (contribution.reissue).
import { randomBytes as nodeRandomBytes } from 'node:crypto';
import sodium from 'libsodium-wrappers';
import { bytesToHex, hexToBytes, toHex, type Address, type Hex, type TypedDataDomain } from 'viem';
import { AudataError, BindingPurpose, ChannelMessageInvalidError, decodeStateBundle, encodeAttestationBinding, encodeStateBundle, isStateBundle, STATE_BATCH_BYTES, type AwsCredentialsJson, type ChannelResponses, type StateBundle, type ContributionProof, type ProofJson, type SealedDatasetKeyJson, type SealedStateRefJson } from '@audata/wire';
import { AUDIT_KINDS, type AuditEntry, type SignedAuditHead } from '@audata/verifier/audit';
import { AuditLog, type AuditLogOptions } from '../audit/log.ts';
import type { ChannelHandlers } from '../channel/server.ts';
import { openEnvelope, type ManifestLedger, type OpenedContribution } from '../envelope/open.ts';
import { createDatasetKey, openDatasetKey, type DatasetKeyPair } from '../kms/key-release.ts';
import type { Nsm } from '../nsm/nsm.ts';
import { createEnclaveSigner, type EnclaveSigner } from '../signing/enclave-signer.ts';
import { AlreadyBootedError, BusyError, ContributionNotFinishedError, JobsDisabledError, NotBootedError, ResultNotRecordedError, SessionUnknownError } from './errors.ts';
import { checkSignedHeader } from './signed-header.ts';
import { PieceQueue } from './piece-queue.ts';
import { EMPTY_AUDIT, StateSealer, checkAgainstAnchor, sha256Hex, type AuditResume, type EnclaveState, type FileRecord, type RecordedResult, type SealedState, type StateAnchor } from '../state/sealed-state.ts';
import { migrationSegments, SegmentChainReader, SegmentedStateSealer, type SegmentContent } from '../state/segmented-state.ts';
import { splitFingerprintIndex } from '../state/fingerprint-slot.ts';
import type { KMSClient } from '@aws-sdk/client-kms';
import { FeatureStore, MemoryFeatureBackend, featureBlobKey, type FeatureBlobBackend, type LogMelFeatures } from '../feature-store/feature-store.ts';
import { HostFeatureBackend } from '../feature-store/host-backend.ts';
import { FeatureStoreInputError } from '../feature-store/errors.ts';
import { StateCorruptError } from '../state/errors.ts';
import { catalogueEntry, catalogueFileOf, FileCatalogue } from '../jobs/catalogue.ts';
import { JobEngine } from '../jobs/job-engine.ts';
import { FeatureStoreTamperedError } from '../feature-store/errors.ts';
import { jobRequests } from '../jobs/job-requests.ts';
import type { PolicySource } from '../jobs/policy-source.ts';
import { RandomStream, systemRandom } from '../jobs/random.ts';
import { MemoryLedgerStorage } from '../privacy/ledger.ts';
import type { SigningTarget } from '../signing/enclave-signer.ts';

/** 8 MiB: with a state of up to 8 MiB it fits one channel frame (about 4 minutes of 80-band log-mel). */
export const MAX_HOST_FEATURE_ENTRY_BYTES = 8 * 1024 * 1024;
/** Jobs waiting for host-kept entries at once; the oldest one's supplied entries go first. */
const MAX_WAITING_JOBS = 8;

/**
 * Buyers' jobs (src/jobs/): the engine reads policies from the chain through `source` and
 * settles receipts on `escrow`. Files enter the catalogue and the feature store as they are
 * scored. Needs `audit`: every job start, release and receipt is logged.
 */
export interface JobsParams {
  source: PolicySource;
  escrow: SigningTarget;
  /**
   * Where the encrypted feature entries live: 'host' (each leaves with its finish reply, the host
   * keeps it and supplies it again in job.features when a job needs it), a backend of its own, or
   * by default this process's memory (tests; lost with the process).
   */
  featureBackend?: FeatureBlobBackend | 'host';
  random?: RandomStream;
  /** Unix seconds for policy expiry and receipt deadlines (in development: the chain's clock). */
  now?: () => bigint | Promise<bigint>;
}

/** Sub-scores in basis points and the hash of the full details, as the proof carries them. */
export interface ScoredContribution
  extends Pick<ContributionProof, 'valid' | 'score' | 'authenticity' | 'ownership' | 'quality' | 'uniqueness' | 'detailsHash'> {
  /** Seconds of audio, for the job catalogue. */
  durationSec?: number;
  /** The file's log-mel, cached (encrypted) in the feature store so jobs need not recompute it. */
  features?: LogMelFeatures;
}

/** The scoring pipeline, as the runtime sees it; it receives authenticated audio only. */
export interface ContributionScorer {
  score(opened: OpenedContribution): Promise<ScoredContribution>;
}

export interface EnclaveRuntimeParams {
  nsm: Nsm;
  kms: Pick<KMSClient, 'send'>;
  kmsKeyId: string;
  /** Where proofs and manifests are valid: this chain's ContributionRegistry. */
  chainId: number;
  registry: Address;
  pipelineVersion: Hex;
  scorer?: ContributionScorer;
  ledger?: ManifestLedger;
  randomBytes?: (n: number) => Uint8Array;
  now?: () => Date;
  /** How long a signed proof stays acceptable on chain. */
  proofTtlSeconds?: number;
  maxSessions?: number;
  /** A session with no request for this long is dropped when another begins. */
  sessionIdleMs?: number;
  maxPlaintextBytes?: number;
  /**
   * The fingerprint index the scorer uses (FingerprintIndexSlot): each file's entry as it is
   * inserted goes into the next state segment, and a restore rebuilds the index from them all.
   */
  fingerprints?: { takeAdded(): Uint8Array[]; restoreEntries(entries: Uint8Array[]): void };
  /**
   * The latest state anchor from a source the host cannot rewrite (read by the enclave itself).
   * Without one, a restored state is checked only against this boot, and onWarning says so.
   */
  stateAnchor?: (datasetKey: Hex) => Promise<StateAnchor | undefined>;
  /** Keep an audit log (key release at boot, each proof) whose chain continues across restarts. */
  audit?: { domain: TypedDataDomain; signEvery: number; onEntry?: (entry: AuditEntry) => void; onHead?: (head: SignedAuditHead) => void };
  /**
   * Where AWS credentials from the host go (HostCredentials, kms/host-credentials.ts) when the
   * KMS client signs with them; without one, credentials the host sends are ignored.
   */
  credentials?: { set(json: AwsCredentialsJson): void };
  /** Told about accepted-but-weaker conditions; never given keys, state, audio or credentials. */
  onWarning?: (message: string) => void;
  jobs?: JobsParams;
}

export interface EnclaveRuntime {
  handlers: ChannelHandlers;
  signer: Address;
}

/** A boot whose root named segments the attachment did not hold: held until state.ready. */
interface Restore {
  keys: DatasetKeyPair;
  wrapped: SealedDatasetKeyJson;
  genesis: boolean;
  sealer: SegmentedStateSealer;
  reader?: SegmentChainReader;
  root?: { counter: bigint; audit: AuditResume; ledgers: Array<[string, Uint8Array]> };
  legacy?: EnclaveState;
  fingerprints: Uint8Array[];
  records: FileRecord[];
}

interface Session {
  queue: PieceQueue;
  received: number;
  result: Promise<OpenedContribution>;
  lastSeen: number;
}

export function createEnclaveRuntime(params: EnclaveRuntimeParams): EnclaveRuntime {
  if (params.jobs !== undefined && params.audit === undefined) throw new TypeError('createEnclaveRuntime: jobs need an audit log (params.audit)');
  const random = params.randomBytes ?? ((n: number) => new Uint8Array(nodeRandomBytes(n)));
  const now = params.now ?? (() => new Date());
  const ledger = params.ledger ?? new Set<Hex>();
  const maxSessions = params.maxSessions ?? 4;
  const signer: EnclaveSigner = createEnclaveSigner(random);
  const sessions = new Map<string, Session>();
  let dataset: DatasetKeyPair | undefined;
  let sealed: SealedDatasetKeyJson | undefined;
  let booting = false;
  // Contributions that finished, by manifest hash, with the result when scored: the replay set
  // that is sealed. Manifests of sessions still open stay out, so a restart mid-file lets the
  // host retry that file.
  const records = new Map<Hex, FileRecord>();
  let sealer: SegmentedStateSealer | undefined;
  let restore: Restore | undefined;
  // Finished since the last state: they go into the next segment.
  let newRecords: FileRecord[] = [];
  // A migrated format 3 state, sealed as the first segments with the first state of this boot.
  let migrated: SegmentContent[] = [];
  // The segments of this boot, newest last, up to STATE_BATCH_BYTES: a lost reply's are sent again (state).
  let held: Uint8Array[] = [];
  let heldBytes = 0;
  let counter = 0n;
  let latest: SealedState | undefined;
  // Where the audit log stood in `latest`: a state anchor names both, as sealed together.
  let latestAudit: AuditResume = EMPTY_AUDIT;
  let audit: AuditLog | undefined;
  // The highest signed head already sent with a state: later ones ride with the next state.
  let headsSentThrough = -1;
  // Where the restored audit log stood; fingerprints without a live index need no carrying, as
  // the segments that hold them stay with the host.
  let carriedAudit: AuditResume = EMPTY_AUDIT;
  // The privacy ledgers live here and are sealed with every state, so a restart restores each
  // buyer's spend; the store is kept (and carried) even when jobs are off.
  const ledgerStore = new MemoryLedgerStorage();
  const catalogue = new FileCatalogue();
  let features: FeatureStore | undefined;
  const hostFeatures = params.jobs?.featureBackend === 'host' ? new HostFeatureBackend() : undefined;
  // With host-kept entries: which files each running or waiting job needs supplied (lower-case ids).
  const jobNeeds = new Map<string, Set<Hex>>();
  // Jobs not started because entries were missing, oldest first: their supplied entries are held
  // until the same submission comes again, for at most MAX_WAITING_JOBS of them.
  const waiting = new Set<string>();
  let jobs: ReturnType<typeof jobRequests> | undefined;
  const jobsOf = (type: string) => {
    booted(type);
    if (jobs === undefined) throw new JobsDisabledError(type);
    return jobs;
  };

  /**
   * Seals what changed since the last state (a segment, when files were finished or indexed) and
   * a new root under the next counter; synchronous, so counters and segments follow state order.
   * The bundle carries only the new segments, so its cost does not grow with the dataset.
   */
  const emitState = (): { ref: SealedStateRefJson; bytes: Uint8Array } => {
    const contents = migrated;
    migrated = [];
    const added = params.fingerprints?.takeAdded() ?? [];
    if (added.length > 0 || newRecords.length > 0) contents.push({ fingerprints: added, records: newRecords });
    newRecords = [];
    const segments = contents.map((content) => sealer!.sealSegment(content).bytes);
    counter += 1n;
    // The entries this root's audit position adds over the previous root's, taken at the same
    // synchronous point as the seal, so a bundle's entries are exactly those its root covers.
    const from = latestAudit.entries;
    latest = sealer!.sealRoot(counter, (latestAudit = audit?.position() ?? carriedAudit), [...ledgerStore.entries]);
    const entries = audit?.entriesFrom(from, latestAudit.entries) ?? [];
    // Heads are signed as entries are appended: one signed after the last state goes with this one.
    const heads = audit?.headsFrom(headsSentThrough + 1) ?? [];
    headsSentThrough = heads.at(-1)?.seq ?? headsSentThrough;
    for (const segment of segments) {
      held.push(segment);
      heldBytes += segment.length;
    }
    while (heldBytes > STATE_BATCH_BYTES && held.length > 0) heldBytes -= held.shift()!.length;
    const bundle = encodeStateBundle({ segments, root: latest.bytes, audit: auditSection(entries, heads) });
    return { ref: stateRef(latest, bundle), bytes: bundle };
  };

  /** Files finished become records, and go into the next segment. */
  const record = (entry: FileRecord) => {
    records.set(entry.manifestHash, entry);
    newRecords.push(entry);
  };

  /**
   * A release that may have spent privacy budget: the state holding the spend goes first in the
   * attachment (state.bytes long), the sealed result after it, so the host stores the spend
   * before it can hand the result on.
   */
  const withState = (body: { epsilonSpent: number }, sealedBase64: string) => {
    const state = emitState();
    const result = new Uint8Array(Buffer.from(sealedBase64, 'base64'));
    const binary = new Uint8Array(state.bytes.length + result.length);
    binary.set(state.bytes, 0);
    binary.set(result, state.bytes.length);
    return { body: { ...body, state: state.ref }, binary };
  };

  /** A finished job's supplied entries go, unless another running job still needs them. */
  const releaseEntries = (jobId: Hex) => {
    const needs = jobNeeds.get(jobId.toLowerCase());
    if (needs === undefined || hostFeatures === undefined) return;
    jobNeeds.delete(jobId.toLowerCase());
    for (const id of needs) if (![...jobNeeds.values()].some((other) => other.has(id))) hostFeatures.drop(featureBlobKey(id));
  };

  /**
   * The engine asks, before a job is registered, which of its files' entries the host has not
   * supplied; a job missing any waits (not started) and the host supplies them and submits again.
   */
  const featuresMissing = async (jobId: Hex, kind: string, files: readonly { fileId: Hex }[]): Promise<Hex[]> => {
    const key = jobId.toLowerCase();
    if (hostFeatures === undefined || kind === 'aggregates') return [];
    const needed = new Set(files.map((f) => f.fileId.toLowerCase() as Hex));
    const before = jobNeeds.get(key);
    jobNeeds.set(key, needed);
    // A waiting job whose selection changed lets go of entries it no longer needs.
    for (const id of before ?? []) if (!needed.has(id) && ![...jobNeeds.values()].some((other) => other.has(id))) hostFeatures.drop(featureBlobKey(id));
    const missing: Hex[] = [];
    for (const id of needed) if ((await hostFeatures.get(featureBlobKey(id))) === undefined) missing.push(id);
    waiting.delete(key);
    if (missing.length === 0) return missing;
    waiting.add(key);
    for (const oldest of waiting) {
      if (waiting.size <= MAX_WAITING_JOBS) break;
      waiting.delete(oldest);
      releaseEntries(oldest as Hex);
    }
    return missing;
  };

  const booted = (type: string): DatasetKeyPair => {
    if (dataset === undefined) throw new NotBootedError(type);
    return dataset;
  };
  const sessionOf = (id: string): Session => {
    const session = sessions.get(id);
    if (session === undefined) throw new SessionUnknownError(id);
    return session;
  };

  /** Opens the next segment of a restore and keeps what it holds until the chain is confirmed. */
  const take = (pending: Restore, segment: Uint8Array) => {
    const content = pending.reader!.push(segment);
    for (const entry of content.fingerprints) pending.fingerprints.push(entry);
    for (const entry of content.records) pending.records.push(entry);
  };

  /**
   * The end of every boot: the chain is checked against its root, what it holds is loaded, the
   * key release is logged and the first state of this boot is sealed. Only then is the enclave booted.
   */
  const finishBoot = async (pending: Restore) => {
    const { keys, wrapped } = pending;
    pending.reader?.finish();
    let restoredRecords: FileRecord[] = pending.records;
    let ledgers: Array<[string, Uint8Array]> = pending.root?.ledgers ?? [];
    let fingerprintEntries = pending.fingerprints;
    if (pending.legacy !== undefined) {
      const legacy = pending.legacy;
      fingerprintEntries = splitFingerprintIndex(legacy.fingerprintIndex);
      restoredRecords = legacy.records;
      ledgers = legacy.ledgers;
      carriedAudit = legacy.audit;
      pending.sealer.resume(0n, pending.sealer.head, legacy.counter);
      migrated = migrationSegments({ fingerprintIndex: legacy.fingerprintIndex, records: legacy.records }, splitFingerprintIndex);
      counter = legacy.counter;
    } else if (pending.root !== undefined) {
      carriedAudit = pending.root.audit;
      counter = pending.root.counter;
    }
    const seen = new Set<Hex>();
    for (const entry of restoredRecords) {
      if (seen.has(entry.manifestHash)) throw new StateCorruptError(`manifest ${entry.manifestHash} is recorded twice`);
      seen.add(entry.manifestHash);
    }
    params.fingerprints?.restoreEntries(fingerprintEntries);
    for (const [key, value] of ledgers) ledgerStore.entries.set(key, value);
    for (const entry of restoredRecords) {
      records.set(entry.manifestHash, entry);
      ledger.add(entry.manifestHash);
      // As at scoring, only a file whose features were stored can serve a job, and only
      // when the entries outlive a boot: the default in-memory backend died with the last
      // process, and a job selecting its files would fail on the missing entries.
      if (entry.result?.hasFeatures === true && params.jobs?.featureBackend !== undefined) catalogue.add(catalogueFileOf(entry.result));
    }
    if (params.audit !== undefined) {
      // The log asks only for AuditHead signatures, and this adapter can make nothing else.
      const headSigner = { address: signer.address, signTypedData: ({ domain, message }: { domain?: TypedDataDomain; message: { head: Hex; seq: bigint } }) => signer.signAuditHead(domain ?? {}, message) };
      audit = new AuditLog({ ...params.audit, signer: headSigner as unknown as AuditLogOptions['signer'], resume: carriedAudit });
    }
    if (params.jobs !== undefined) {
      const j = params.jobs;
      const store = await FeatureStore.open({ datasetSecretKey: keys.secretKey, backend: hostFeatures ?? (typeof j.featureBackend === 'object' ? j.featureBackend : new MemoryFeatureBackend()), randomBytes: random });
      features = store;
      const engine = new JobEngine({
        source: j.source,
        catalogue: () => catalogue.files(),
        features: async (file) => {
          const cached = await store.get(file.fileId);
          if (cached === undefined) throw new FeatureStoreTamperedError(file.fileId, 'the entry is missing');
          return cached;
        },
        ledgerStorage: ledgerStore,
        featuresMissing,
        signer,
        escrow: j.escrow,
        audit: audit!,
        random: j.random ?? new RandomStream(systemRandom),
        ...(j.now === undefined ? {} : { now: j.now }),
      });
      jobs = jobRequests(engine);
    }
    dataset = keys;
    sealed = wrapped;
    sealer = pending.sealer;
    await audit?.append('key-release', toHex(JSON.stringify({ genesis: pending.genesis, datasetKey: bytesToHex(keys.publicKey), signer: signer.address })));
    const state = emitState();
    return {
      body: { genesis: pending.genesis, sealed: wrapped, datasetKey: bytesToHex(keys.publicKey), signer: signer.address, pipelineVersion: params.pipelineVersion, state: state.ref },
      binary: state.bytes,
    };
  };

  let ignoredCredentials = false;
  const takeCredentials = (json: AwsCredentialsJson) => {
    if (params.credentials !== undefined) return params.credentials.set(json);
    if (!ignoredCredentials) params.onWarning?.('the host sent AWS credentials, but this enclave signs KMS calls with its default credential chain (AUDATA_KMS_CREDENTIALS=default); ignored');
    ignoredCredentials = true;
  };

  const handlers: ChannelHandlers = {
    async boot(body, binary) {
      // Kept before anything else: the KMS call below signs with them, and a host that boots an
      // enclave already booted is still refreshing them.
      if (body.credentials !== undefined) takeCredentials(body.credentials);
      if (dataset !== undefined || booting) throw new AlreadyBootedError();
      booting = true;
      // A boot while a segmented restore waits starts it over (the host reconnected).
      restore = undefined;
      try {
        const release = { kms: params.kms, keyId: params.kmsKeyId, nsm: params.nsm, signer: signer.address, pipelineVersion: params.pipelineVersion, randomBytes: random };
        let keys: DatasetKeyPair;
        let wrapped: SealedDatasetKeyJson;
        if (body.sealed === undefined) {
          const created = await createDatasetKey(release);
          keys = created.keyPair;
          wrapped = created.sealed;
        } else {
          keys = await openDatasetKey(release, body.sealed);
          wrapped = { ...body.sealed, datasetKey: bytesToHex(keys.publicKey) };
        }
        // The state is checked before the enclave counts as booted: a refused state leaves it
        // unbooted, so it never scores against a forgotten index.
        const stateKeys = { datasetSecretKey: keys.secretKey, datasetPublicKey: keys.publicKey, randomBytes: random };
        const pending: Restore = { keys, wrapped, genesis: body.sealed === undefined, sealer: await SegmentedStateSealer.create(stateKeys), fingerprints: [], records: [] };
        let given: { counter: bigint; sha256: Hex } | undefined;
        if (binary.length === 0) given = undefined;
        else if (isStateBundle(binary)) {
          const bundle = decodeStateBundle(binary, 'boot');
          if (bundle.root === undefined) throw new ChannelMessageInvalidError('boot', 'attachment', 'is a state bundle without a root');
          // An audit section (a reply's bundle handed back as it came) is ignored: the log's position is in the root.
          const root = pending.sealer.openRoot(bundle.root);
          given = { counter: root.counter, sha256: sha256Hex(bundle.root) };
          pending.root = root;
          pending.reader = new SegmentChainReader(pending.sealer, root);
          for (const segment of bundle.segments) take(pending, segment);
        } else {
          // A format 2 or 3 blob: read whole, then written again as segments (migration).
          pending.legacy = (await StateSealer.create(stateKeys)).open(binary);
          given = { counter: pending.legacy.counter, sha256: sha256Hex(binary) };
        }
        const anchor = await params.stateAnchor?.(bytesToHex(keys.publicKey));
        if (anchor !== undefined) checkAgainstAnchor(given, anchor);
        else {
          params.onWarning?.(
            `no state anchor: accepted ${given === undefined ? 'an empty state' : `sealed state ${given.counter}`} from the host without checking that it is the latest`,
          );
        }
        if (pending.reader !== undefined && !pending.reader.complete) {
          // The rest of the segments follow in state.segments; nothing is usable before state.ready.
          restore = pending;
          return { body: { genesis: pending.genesis, sealed: wrapped, datasetKey: bytesToHex(keys.publicKey), signer: signer.address, pipelineVersion: params.pipelineVersion } };
        }
        return await finishBoot(pending);
      } finally {
        booting = false;
      }
    },

    async credentials(body) {
      takeCredentials(body);
      return { body: {} };
    },

    async 'state.segments'(_body, binary) {
      const pending = restore;
      if (pending?.reader === undefined || booting) throw new NotBootedError('state.segments');
      const bundle = decodeStateBundle(binary, 'state.segments');
      if (bundle.root !== undefined) throw new ChannelMessageInvalidError('state.segments', 'attachment', 'carries a root; the root comes with boot');
      try {
        for (const segment of bundle.segments) take(pending, segment);
      } catch (error) {
        // A refused segment ends this restore: the host boots again with what it stores.
        restore = undefined;
        throw error;
      }
      return { body: { received: Number(pending.reader.received) } };
    },

    async 'state.ready'() {
      const pending = restore;
      if (pending === undefined || booting) throw new NotBootedError('state.ready');
      restore = undefined;
      booting = true;
      try {
        const { body, binary } = await finishBoot(pending);
        return { body: { state: body.state }, binary };
      } finally {
        booting = false;
      }
    },

    async attestation(body) {
      const keys = booted('attestation');
      const userData = encodeAttestationBinding({ purpose: BindingPurpose.client, datasetKey: bytesToHex(keys.publicKey), signer: signer.address, pipelineVersion: params.pipelineVersion });
      const document = await params.nsm.attest({ publicKey: keys.publicKey, userData, nonce: hexToBytes(body.nonce) });
      return { body: {}, binary: document };
    },

    async 'contribution.begin'(body) {
      const keys = booted('contribution.begin');
      // Abandoned sessions end as truncated streams, which also frees their manifests for a retry.
      for (const [id, session] of sessions) {
        if (now().getTime() - session.lastSeen > (params.sessionIdleMs ?? 600_000)) {
          session.queue.end();
          sessions.delete(id);
          await session.result.then(
            // Opened but never finished: nothing was scored, so the manifest may come again.
            (opened) => {
              sodium.memzero(opened.audio);
              ledger.delete(opened.manifestHash);
            },
            () => undefined,
          );
        }
      }
      if (sessions.size >= maxSessions) throw new BusyError(maxSessions);
      const id = bytesToHex(random(16)).slice(2);
      const queue = new PieceQueue();
      const wanted = queue.wanted();
      const result = openEnvelope({
        header: body.header,
        ciphertext: queue,
        dataset: keys,
        chainId: params.chainId,
        registry: params.registry,
        ledger,
        ...(params.maxPlaintextBytes === undefined ? {} : { maxPlaintextBytes: params.maxPlaintextBytes }),
      });
      // A failure between requests is reported by the next chunk or finish; it must not go unobserved.
      result.catch(() => undefined);
      const session: Session = { queue, received: 0, result, lastSeen: now().getTime() };
      sessions.set(id, session);
      // Header, signature, replay and seal are checked before the first byte is wanted: report them now.
      try {
        await Promise.race([wanted, result]);
      } catch (error) {
        sessions.delete(id);
        throw error;
      }
      return { body: { session: id } };
    },

    async 'contribution.chunk'(body, binary) {
      const session = sessionOf(body.session);
      session.received += binary.length;
      session.lastSeen = now().getTime();
      try {
        await Promise.race([session.queue.push(binary), session.result]);
      } catch (error) {
        sessions.delete(body.session);
        throw error;
      }
      return { body: { received: session.received } };
    },

    async 'contribution.finish'(body) {
      const session = sessionOf(body.session);
      sessions.delete(body.session);
      session.queue.end();
      const opened = await session.result;
      try {
        const reply: ChannelResponses['contribution.finish'] = {
          manifestHash: opened.manifestHash,
          contributor: opened.contributor,
          fileId: opened.manifest.ciphertextSha256,
          audioBytes: opened.audio.length,
        };
        if (params.scorer === undefined) {
          record({ manifestHash: opened.manifestHash });
          const state = emitState();
          return { body: { ...reply, state: state.ref }, binary: state.bytes };
        }
        const { features: mel, durationSec, ...scored } = await params.scorer.score(opened).catch((error: unknown) => {
          // A retryable failure (a scoring thread crashed) judged and recorded nothing: the manifest may come again.
          if (error instanceof AudataError && error.details.retryable === true) ledger.delete(opened.manifestHash);
          throw error;
        });
        const proof: ContributionProof = {
          fileId: opened.manifest.ciphertextSha256,
          contributor: opened.contributor,
          manifestHash: opened.manifestHash,
          ...scored,
          pipelineVersion: params.pipelineVersion,
          deadline: BigInt(Math.floor(now().getTime() / 1000) + (params.proofTtlSeconds ?? 3600)),
        };
        const signature = await signer.signProof({ chainId: params.chainId, contract: params.registry }, proof);
        const entry = catalogueEntry(proof, opened.manifest, durationSec ?? 0);
        // Features first: a catalogued file always has its cached features; a file with no
        // log-mel frames (too short to score) has nothing a job could use. A store that fails
        // costs the file its place in jobs, never its proof.
        let hasFeatures = false;
        let entryOut: Uint8Array | undefined;
        if (params.jobs !== undefined && mel !== undefined) {
          try {
            await features!.put(proof.fileId, mel);
            entryOut = hostFeatures?.take(featureBlobKey(proof.fileId));
            // A host-kept entry must travel in one frame with the state, here and in job.features.
            if (entryOut !== undefined && entryOut.length > MAX_HOST_FEATURE_ENTRY_BYTES) {
              throw new FeatureStoreInputError('features', `an entry of at most ${MAX_HOST_FEATURE_ENTRY_BYTES} bytes to send to the host`, entryOut.length);
            }
            hasFeatures = true;
          } catch (error) {
            entryOut = undefined;
            params.onWarning?.(`the features of ${proof.fileId} were not stored (${error instanceof Error ? error.name : 'unknown error'}); the file stays out of jobs`);
          }
        }
        const result: RecordedResult = { ...entry, ...scored, pipelineVersion: params.pipelineVersion, hasFeatures };
        record({ manifestHash: opened.manifestHash, result });
        await audit?.append('proof', hexToBytes(signature));
        if (hasFeatures) catalogue.add(entry);
        const state = emitState();
        const body = { ...reply, proof: proofToJson(proof), signature, state: state.ref };
        if (entryOut === undefined) return { body, binary: state.bytes };
        // The entry after the state; the host keeps the entry first, so a kept state never names a missing one.
        return { body: { ...body, features: { bytes: entryOut.length } }, binary: concat(state.bytes, entryOut) };
      } finally {
        await sodium.ready;
        sodium.memzero(opened.audio);
      }
    },

    async 'contribution.reissue'(body) {
      booted('contribution.reissue');
      // The signature is checked as contribution.begin checks it: only the contributor's header names a file.
      const header = await checkSignedHeader({ header: body.header, chainId: params.chainId, registry: params.registry });
      const record = records.get(header.manifestHash);
      if (record === undefined) throw new ContributionNotFinishedError(header.manifestHash);
      if (record.result === undefined) throw new ResultNotRecordedError(header.manifestHash);
      const r = record.result;
      // The recorded verdict, never recomputed (scoring again would meet the file's own
      // fingerprint); only the deadline and the signing key are this boot's.
      const proof: ContributionProof = {
        fileId: r.fileId,
        contributor: r.contributor,
        manifestHash: record.manifestHash,
        valid: r.valid,
        score: r.score,
        authenticity: r.authenticity,
        ownership: r.ownership,
        quality: r.quality,
        uniqueness: r.uniqueness,
        pipelineVersion: r.pipelineVersion,
        detailsHash: r.detailsHash,
        deadline: BigInt(Math.floor(now().getTime() / 1000) + (params.proofTtlSeconds ?? 3600)),
      };
      const signature = await signer.signProof({ chainId: params.chainId, contract: params.registry }, proof);
      await audit?.append('proof-reissue', hexToBytes(signature));
      const state = emitState();
      return {
        body: { manifestHash: record.manifestHash, contributor: r.contributor, fileId: r.fileId, proof: proofToJson(proof), signature, state: state.ref },
        binary: state.bytes,
      };
    },

    async state() {
      if (latest === undefined) throw new NotBootedError('state');
      // A lost reply's audit entries come back like its segments: every held one the latest root covers.
      const sealedEntries = latestAudit.entries;
      const section = auditSection(audit?.entriesFrom(0, sealedEntries) ?? [], audit?.headsFrom(0, sealedEntries) ?? []);
      const bundle = encodeStateBundle({ segments: held, root: latest.bytes, audit: section });
      return { body: { state: stateRef(latest, bundle) }, binary: bundle };
    },

    // Signs what was sealed, for whichever AuditAnchor the host submits to: the facts are the
    // same on any contract, and the domain binds the signature to that one.
    async 'state.anchor'(body) {
      const keys = booted('state.anchor');
      if (latest === undefined) throw new NotBootedError('state.anchor');
      const anchor = { datasetKey: bytesToHex(keys.publicKey), stateCounter: latest.counter, stateSha256: latest.sha256, auditEntries: BigInt(latestAudit.entries), auditHead: latestAudit.head };
      const signature = await signer.signStateAnchor({ chainId: params.chainId, contract: body.contract }, anchor);
      return { body: { anchor: { ...anchor, stateCounter: anchor.stateCounter.toString(), auditEntries: anchor.auditEntries.toString() }, signature } };
    },

    // With host-kept entries a job starts only once every entry its files need is supplied: the
    // first submission names the missing ones (featuresNeeded, ids in the attachment) and starts
    // nothing, the host supplies them (job.features) and sends the same submission again. A host
    // that lacks one leaves nothing started, so the buyer's signed submission stays good.
    async 'job.submit'(_body, binary) {
      const json = jsonAttachment('job.submit', binary);
      const requests = jobsOf('job.submit');
      let answer: Awaited<ReturnType<typeof requests.submit>>;
      try {
        answer = await requests.submit(json);
      } catch (error) {
        // A start that failed after its needs were set (the model did not start) holds no entries.
        const key = typeof json['jobId'] === 'string' ? json['jobId'].toLowerCase() : '';
        if (jobNeeds.has(key) && !waiting.has(key) && !requests.has(key as Hex)) releaseEntries(key as Hex);
        throw error;
      }
      // Started: the job's start (recorded so a replay after a restart is refused) and its audit
      // entry are sealed before the host answers the buyer.
      if (!('featuresMissing' in answer)) {
        const state = emitState();
        return { body: { ...answer, state: state.ref }, binary: state.bytes };
      }
      const { featuresMissing: missing, ...status } = answer;
      return { body: { ...status, featuresNeeded: missing.length }, binary: concat(...missing.map((id) => hexToBytes(id))) };
    },
    async 'job.features'(body, binary) {
      booted('job.features');
      const needs = jobNeeds.get(body.jobId.toLowerCase());
      if (hostFeatures === undefined || features === undefined || needs === undefined) throw new ChannelMessageInvalidError('job.features', 'jobId', 'names no job waiting for feature entries');
      const view = new DataView(binary.buffer, binary.byteOffset, binary.length);
      let accepted = 0;
      for (let o = 0; o < binary.length; ) {
        if (o + 36 > binary.length) throw new ChannelMessageInvalidError('job.features', 'attachment', `ends inside an entry header at byte ${o}`);
        const fileId = bytesToHex(binary.subarray(o, o + 32));
        const length = view.getUint32(o + 32);
        o += 36;
        if (!needs.has(fileId)) throw new ChannelMessageInvalidError('job.features', 'attachment', `carries ${fileId}, which the job does not need`);
        if (length === 0) throw new FeatureStoreTamperedError(fileId, 'the entry is missing');
        if (length > features.maxEntryBytes) throw new FeatureStoreTamperedError(fileId, `${length} bytes exceed the ${features.maxEntryBytes}-byte cap`);
        if (o + length > binary.length) throw new ChannelMessageInvalidError('job.features', 'attachment', `declares ${length} bytes for ${fileId}, ${binary.length - o} left`);
        const key = featureBlobKey(fileId);
        hostFeatures.supply(key, binary.subarray(o, o + length));
        o += length;
        try {
          // Authenticated now (and again at every read): a spoiled entry is refused at once.
          await features.get(fileId);
        } catch (error) {
          hostFeatures.drop(key);
          throw error;
        }
        accepted += 1;
      }
      let missing = 0;
      for (const id of needs) if ((await hostFeatures.get(featureBlobKey(id))) === undefined) missing += 1;
      return { body: { accepted, missing } };
    },
    async 'job.status'(body) {
      return { body: await jobsOf('job.status').status(body.jobId) };
    },
    async 'job.result'(body) {
      const { sealed, epsilonSpent } = await jobsOf('job.result').result(body.jobId);
      return withState({ epsilonSpent }, sealed);
    },
    async 'job.step'(body, binary) {
      const { sealed, epsilonSpent } = await jobsOf('job.step').step(body.jobId, jsonAttachment('job.step', binary));
      return withState({ epsilonSpent }, sealed);
    },
    async 'job.finish'(body, binary) {
      const answer = await jobsOf('job.finish').finish(body.jobId, jsonAttachment('job.finish', binary));
      releaseEntries(body.jobId);
      // The receipt's audit entry is sealed first, so a restart continues the log after it.
      const state = emitState();
      return { body: { state: state.ref }, binary: concat(state.bytes, new TextEncoder().encode(JSON.stringify(answer))) };
    },
  };
  return { handlers, signer: signer.address };
}

/** The audit log as a state bundle carries it (wire/src/channel-state.ts): kinds by index. */
function auditSection(entries: AuditEntry[], heads: SignedAuditHead[]): NonNullable<StateBundle['audit']> {
  return { entries: entries.map((e) => ({ ...e, kind: AUDIT_KINDS.indexOf(e.kind) })), heads };
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** A job request's JSON, carried as the attachment; the frame limit already capped its size. */
function jsonAttachment(type: string, binary: Uint8Array): Record<string, unknown> {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(binary));
  } catch {
    throw new ChannelMessageInvalidError(type, 'attachment', 'is not UTF-8 JSON');
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new ChannelMessageInvalidError(type, 'attachment', 'is not a JSON object');
  return json as Record<string, unknown>;
}

/** Names a state by its root (what an anchor names); `bytes` is the bundle's length, as it travels. */
function stateRef(root: SealedState, bundle: Uint8Array): SealedStateRefJson {
  return { counter: root.counter.toString(), sha256: root.sha256, bytes: bundle.length };
}

export function proofToJson(proof: ContributionProof): ProofJson {
  return { ...proof, deadline: proof.deadline.toString() };
}
