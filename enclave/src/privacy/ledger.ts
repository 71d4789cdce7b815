// The persisted privacy spend of one buyer under one policy: every DP step is checked
// against the policy's (epsilon, delta) and recorded here BEFORE its result is released,
// so a crash after release can never let the same budget be spent twice.
import { DEFAULT_ORDERS, computeRdp, rdpToEpsilon, type PrivacySpent } from './rdp.ts';
import {
  PrivacyBudgetExceededError,
  PrivacyLedgerCorruptError,
  PrivacyLedgerMismatchError,
  PrivacyParameterError,
} from './errors.ts';

/** Where ledgers live (the enclave's sealed store in production); keys are opaque strings. */
export interface LedgerStorage {
  load(key: string): Promise<Uint8Array | undefined>;
  save(key: string, bytes: Uint8Array): Promise<void>;
}

export interface PrivacyBudget {
  epsilon: number;
  delta: number;
}

/** One or more identical steps of the sampled Gaussian mechanism. */
export interface DpStep {
  sampleRate: number;
  noiseMultiplier: number;
  /** How many such steps; 1 unless given. */
  steps?: number;
}

export interface LedgerIdentity {
  policyId: string;
  buyer: string;
  budget: PrivacyBudget;
}

interface HistoryEntry {
  sampleRate: number;
  noiseMultiplier: number;
  steps: number;
}

export interface SpendCheck extends PrivacySpent {
  allowed: boolean;
}

const FORMAT_VERSION = 1;
/** A ledger is a few hundred bytes per distinct (q, sigma); anything near this is not one. */
const MAX_LEDGER_BYTES = 1 << 20;
const MAX_HISTORY = 10_000;

export function ledgerKey(policyId: string, buyer: string): string {
  return `privacy-ledger/${policyId}/${buyer.toLowerCase()}`;
}

function checkBudget(budget: PrivacyBudget): void {
  if (!(budget.epsilon > 0) || !Number.isFinite(budget.epsilon)) {
    throw new PrivacyParameterError('budget.epsilon', 'a finite number > 0', budget.epsilon);
  }
  if (!(budget.delta > 0 && budget.delta < 1)) throw new PrivacyParameterError('budget.delta', 'in (0, 1)', budget.delta);
}

function checkStep(step: DpStep): HistoryEntry {
  const steps = step.steps ?? 1;
  if (!Number.isSafeInteger(steps) || steps < 1) throw new PrivacyParameterError('steps', 'an integer >= 1', steps);
  if (!(step.sampleRate > 0 && step.sampleRate <= 1)) throw new PrivacyParameterError('sampleRate', 'in (0, 1]', step.sampleRate);
  if (!(step.noiseMultiplier > 0) || !Number.isFinite(step.noiseMultiplier)) {
    throw new PrivacyParameterError('noiseMultiplier', 'a finite number > 0', step.noiseMultiplier);
  }
  return { sampleRate: step.sampleRate, noiseMultiplier: step.noiseMultiplier, steps };
}

export class PrivacyLedger {
  readonly policyId: string;
  readonly buyer: string;
  readonly budget: PrivacyBudget;
  readonly #history: HistoryEntry[];
  readonly #storage: LedgerStorage;
  #queue: Promise<unknown> = Promise.resolve();

  private constructor(identity: LedgerIdentity, history: HistoryEntry[], storage: LedgerStorage) {
    this.policyId = identity.policyId;
    this.buyer = identity.buyer.toLowerCase();
    this.budget = { ...identity.budget };
    this.#history = history;
    this.#storage = storage;
  }

  /** Loads the (policy, buyer) ledger, or starts an empty one; a stored ledger must match the identity exactly. */
  static async open(storage: LedgerStorage, identity: LedgerIdentity): Promise<PrivacyLedger> {
    checkBudget(identity.budget);
    const bytes = await storage.load(ledgerKey(identity.policyId, identity.buyer));
    if (bytes === undefined) return new PrivacyLedger(identity, [], storage);
    const stored = deserializeLedger(bytes);
    const expected = { ...identity, buyer: identity.buyer.toLowerCase() };
    if (stored.policyId !== expected.policyId) throw new PrivacyLedgerMismatchError('policyId', expected.policyId, stored.policyId);
    if (stored.buyer !== expected.buyer) throw new PrivacyLedgerMismatchError('buyer', expected.buyer, stored.buyer);
    for (const field of ['epsilon', 'delta'] as const) {
      if (stored.budget[field] !== expected.budget[field]) {
        throw new PrivacyLedgerMismatchError(`budget.${field}`, String(expected.budget[field]), String(stored.budget[field]));
      }
    }
    return new PrivacyLedger(identity, stored.history, storage);
  }

  /** Epsilon spent so far at the budget's delta (0 before any step). */
  spent(): PrivacySpent {
    return this.#epsilonOf(this.#history);
  }

  /** Whether `step` fits the budget, and the epsilon the ledger would show after it. Records nothing. */
  canSpend(step: DpStep): SpendCheck {
    const entry = checkStep(step);
    const after = this.#epsilonOf([...this.#history, entry]);
    return { ...after, allowed: after.epsilon <= this.budget.epsilon };
  }

  /**
   * Records `step` and persists the ledger, or throws PrivacyBudgetExceededError and
   * changes nothing. Release the step's result only after this resolves.
   */
  spend(step: DpStep): Promise<PrivacySpent> {
    const run = this.#queue.then(async () => {
      const check = this.canSpend(step);
      if (!check.allowed) {
        throw new PrivacyBudgetExceededError({
          policyId: this.policyId,
          buyer: this.buyer,
          budgetEpsilon: this.budget.epsilon,
          epsilonAfter: check.epsilon,
          delta: this.budget.delta,
        });
      }
      const next = mergeHistory(this.#history, checkStep(step));
      if (next.length > MAX_HISTORY) throw new PrivacyParameterError('history', `at most ${MAX_HISTORY} distinct (q, sigma) pairs`, next.length);
      await this.#storage.save(ledgerKey(this.policyId, this.buyer), serializeLedger({ ...this.#identity(), history: next }));
      this.#history.splice(0, this.#history.length, ...next);
      return { epsilon: check.epsilon, order: check.order };
    });
    this.#queue = run.catch(() => undefined);
    return run;
  }

  #identity(): LedgerIdentity {
    return { policyId: this.policyId, buyer: this.buyer, budget: this.budget };
  }

  #epsilonOf(history: readonly HistoryEntry[]): PrivacySpent {
    const total = DEFAULT_ORDERS.map(() => 0);
    for (const entry of history) {
      computeRdp({ ...entry, orders: DEFAULT_ORDERS }).forEach((r, k) => (total[k]! += r));
    }
    return rdpToEpsilon({ orders: DEFAULT_ORDERS, rdp: total, delta: this.budget.delta });
  }
}

function mergeHistory(history: readonly HistoryEntry[], entry: HistoryEntry): HistoryEntry[] {
  const next = history.map((e) => ({ ...e }));
  const same = next.find((e) => e.sampleRate === entry.sampleRate && e.noiseMultiplier === entry.noiseMultiplier);
  if (same === undefined) next.push(entry);
  else same.steps += entry.steps;
  return next;
}

export interface StoredLedger extends LedgerIdentity {
  history: HistoryEntry[];
}

export function serializeLedger(ledger: StoredLedger): Uint8Array {
  const body = {
    version: FORMAT_VERSION,
    policyId: ledger.policyId,
    buyer: ledger.buyer,
    budget: { epsilon: ledger.budget.epsilon, delta: ledger.budget.delta },
    history: ledger.history.map((e) => ({ sampleRate: e.sampleRate, noiseMultiplier: e.noiseMultiplier, steps: e.steps })),
  };
  return new TextEncoder().encode(JSON.stringify(body));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Parses stored ledger bytes, refusing anything that is not exactly a well-formed ledger. */
export function deserializeLedger(bytes: Uint8Array): StoredLedger {
  if (bytes.length > MAX_LEDGER_BYTES) throw new PrivacyLedgerCorruptError(`${bytes.length} bytes exceed the ${MAX_LEDGER_BYTES}-byte cap`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    throw new PrivacyLedgerCorruptError('not UTF-8 JSON');
  }
  if (!isRecord(parsed)) throw new PrivacyLedgerCorruptError('not a JSON object');
  if (parsed['version'] !== FORMAT_VERSION) throw new PrivacyLedgerCorruptError(`version ${String(parsed['version'])}, expected ${FORMAT_VERSION}`);
  const { policyId, buyer, budget, history } = parsed;
  if (typeof policyId !== 'string' || policyId.length === 0) throw new PrivacyLedgerCorruptError('policyId is not a non-empty string');
  if (typeof buyer !== 'string' || buyer.length === 0) throw new PrivacyLedgerCorruptError('buyer is not a non-empty string');
  if (!isRecord(budget)) throw new PrivacyLedgerCorruptError('budget is not an object');
  const epsilon = budget['epsilon'];
  const delta = budget['delta'];
  if (typeof epsilon !== 'number' || !(epsilon > 0) || !Number.isFinite(epsilon)) throw new PrivacyLedgerCorruptError('budget.epsilon is not a finite number > 0');
  if (typeof delta !== 'number' || !(delta > 0 && delta < 1)) throw new PrivacyLedgerCorruptError('budget.delta is not in (0, 1)');
  if (!Array.isArray(history) || history.length > MAX_HISTORY) throw new PrivacyLedgerCorruptError('history is not a list of bounded length');
  const entries: HistoryEntry[] = history.map((raw: unknown, index) => {
    if (!isRecord(raw)) throw new PrivacyLedgerCorruptError(`history[${index}] is not an object`);
    const { sampleRate, noiseMultiplier, steps } = raw;
    if (typeof sampleRate !== 'number' || !(sampleRate > 0 && sampleRate <= 1)) throw new PrivacyLedgerCorruptError(`history[${index}].sampleRate is not in (0, 1]`);
    if (typeof noiseMultiplier !== 'number' || !(noiseMultiplier > 0) || !Number.isFinite(noiseMultiplier)) {
      throw new PrivacyLedgerCorruptError(`history[${index}].noiseMultiplier is not a finite number > 0`);
    }
    if (typeof steps !== 'number' || !Number.isSafeInteger(steps) || steps < 1) throw new PrivacyLedgerCorruptError(`history[${index}].steps is not an integer >= 1`);
    return { sampleRate, noiseMultiplier, steps };
  });
  return { policyId, buyer, budget: { epsilon, delta }, history: entries };
}

/** A LedgerStorage in memory, for tests and for a host-less simulation. */
export class MemoryLedgerStorage implements LedgerStorage {
  readonly entries = new Map<string, Uint8Array>();
  async load(key: string): Promise<Uint8Array | undefined> {
    const bytes = this.entries.get(key);
    return bytes === undefined ? undefined : bytes.slice();
  }
  async save(key: string, bytes: Uint8Array): Promise<void> {
    this.entries.set(key, bytes.slice());
  }
}
