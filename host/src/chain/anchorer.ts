// Decides when the enclave's state is anchored on chain and sends it: every K-th new sealed
// state, and at least every T seconds while a newer state waits, so gas stays bounded while
// the window a rollback could use stays short. A booting enclave refuses any state older than
// the anchor (enclave/src/audit/anchor-source.ts); states after it are the window left open.
import type { Hex } from 'viem';
import type { StateAnchorJson, StateAnchorMessage } from '@audata/wire';
import { ConfigError } from '../config.ts';

export interface AnchorCadence {
  /** Anchor when the latest state is this many states past the last anchored one (1 = every state). */
  everyStates: number;
  /** Anchor a waiting state at least this often, in seconds (0 = only by count). */
  everySeconds: number;
}

export const defaultAnchorCadence: AnchorCadence = { everyStates: 16, everySeconds: 300 };

/** AUDATA_ANCHOR_EVERY_STATES and AUDATA_ANCHOR_EVERY_SECONDS, each checked, defaults otherwise. */
export function anchorCadenceFromEnv(env: Readonly<Record<string, string | undefined>>): AnchorCadence {
  const read = (name: string, fallback: number, min: number): number => {
    const text = env[name];
    if (text === undefined || text === '') return fallback;
    const value = Number(text);
    if (!/^[0-9]{1,9}$/.test(text) || value < min) throw new ConfigError(name, `an integer >= ${min}`, JSON.stringify(text));
    return value;
  };
  return { everyStates: read('AUDATA_ANCHOR_EVERY_STATES', defaultAnchorCadence.everyStates, 1), everySeconds: read('AUDATA_ANCHOR_EVERY_SECONDS', defaultAnchorCadence.everySeconds, 0) };
}

/** The channel reply to `state.anchor`, turned into the contract's struct. */
export function anchorMessageOf(anchor: StateAnchorJson): StateAnchorMessage {
  return { datasetKey: anchor.datasetKey, stateCounter: BigInt(anchor.stateCounter), stateSha256: anchor.stateSha256, auditEntries: BigInt(anchor.auditEntries), auditHead: anchor.auditHead };
}

export interface StateAnchorerParams {
  cadence: AnchorCadence;
  /** Asks the enclave to sign its latest state for AuditAnchor (channel `state.anchor`). */
  requestAnchor: () => Promise<{ anchor: StateAnchorJson; signature: Hex }>;
  /** Sends it (ViemChainWriter.submitAnchor, which retries a missing node). */
  submit: (anchor: StateAnchorMessage, signature: Hex) => Promise<{ txHash: Hex } | { superseded: true }>;
  /** Unix milliseconds. */
  clock?: () => number;
  onAnchored?: (anchor: StateAnchorMessage, txHash: Hex) => void;
  /** A failed attempt; the next state or tick tries again. */
  onError?: (error: unknown) => void;
}

export class StateAnchorer {
  readonly #p: StateAnchorerParams;
  readonly #clock: () => number;
  #latestSeen = 0n;
  #anchored = 0n;
  #anchoredAt: number;
  #running: Promise<void> | undefined;
  #again = false;
  #timer: NodeJS.Timeout | undefined;

  constructor(params: StateAnchorerParams) {
    if (!Number.isSafeInteger(params.cadence.everyStates) || params.cadence.everyStates < 1) throw new ConfigError('anchor cadence everyStates', 'an integer >= 1', String(params.cadence.everyStates));
    if (!Number.isSafeInteger(params.cadence.everySeconds) || params.cadence.everySeconds < 0) throw new ConfigError('anchor cadence everySeconds', 'an integer >= 0', String(params.cadence.everySeconds));
    this.#p = params;
    this.#clock = params.clock ?? Date.now;
    this.#anchoredAt = this.#clock();
  }

  /** Highest state counter anchored by this host process (0 before any). */
  get anchoredCounter(): bigint {
    return this.#anchored;
  }

  /** Told of every state the host stores; anchors when the count is due. */
  noteState(counter: bigint): void {
    if (counter > this.#latestSeen) this.#latestSeen = counter;
    if (this.#latestSeen - this.#anchored >= BigInt(this.#p.cadence.everyStates)) void this.anchorNow();
  }

  /** The time rule: a state newer than the last anchor waits at most everySeconds. */
  tick(): void {
    const { everySeconds } = this.#p.cadence;
    if (everySeconds > 0 && this.#latestSeen > this.#anchored && this.#clock() - this.#anchoredAt >= everySeconds * 1000) void this.anchorNow();
  }

  start(intervalMs = 1000): void {
    if (this.#timer === undefined) this.#timer = setInterval(() => this.tick(), intervalMs).unref();
  }

  /** Stops the timer and waits for an anchor in flight. */
  async stop(): Promise<void> {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    this.#again = false;
    await this.#running;
  }

  /** Anchors the enclave's latest state now; one at a time, a request meanwhile runs once after. */
  anchorNow(): Promise<void> {
    if (this.#running !== undefined) {
      this.#again = true;
      return this.#running;
    }
    const run = (async () => {
      do {
        this.#again = false;
        try {
          const { anchor, signature } = await this.#p.requestAnchor();
          const message = anchorMessageOf(anchor);
          const result = await this.#p.submit(message, signature);
          if (message.stateCounter > this.#anchored) this.#anchored = message.stateCounter;
          if (message.stateCounter > this.#latestSeen) this.#latestSeen = message.stateCounter;
          this.#anchoredAt = this.#clock();
          if ('txHash' in result) this.#p.onAnchored?.(message, result.txHash);
        } catch (error) {
          this.#p.onError?.(error);
        }
      } while (this.#again);
    })();
    this.#running = run.finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }
}
