import { expect } from 'chai';
import { MemoryLedgerStorage, PrivacyLedger, deserializeLedger, ledgerKey, serializeLedger, type LedgerStorage } from './ledger.ts';
import { epsilonFor } from './rdp.ts';
import { PrivacyBudgetExceededError, PrivacyLedgerCorruptError, PrivacyLedgerMismatchError, PrivacyParameterError } from './errors.ts';

const buyer = '0x00000000000000000000000000000000000000Aa';
const identity = { policyId: '7', buyer, budget: { epsilon: 2, delta: 1e-5 } };
const step = { sampleRate: 0.04, noiseMultiplier: 1.5 };

async function rejects(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

describe('privacy/ledger', () => {
  it('starts empty, accumulates steps and matches the accountant', async () => {
    const storage = new MemoryLedgerStorage();
    const ledger = await PrivacyLedger.open(storage, identity);
    expect(ledger.spent().epsilon).to.equal(0);
    await ledger.spend({ ...step, steps: 40 });
    await ledger.spend(step);
    const expected = epsilonFor({ ...step, steps: 41, delta: 1e-5 }).epsilon;
    expect(ledger.spent().epsilon).to.be.closeTo(expected, 1e-12);
    const reopened = await PrivacyLedger.open(storage, identity);
    expect(reopened.spent().epsilon).to.be.closeTo(expected, 1e-12);
  });

  it('refuses the step that would exceed the budget, before recording or persisting anything', async () => {
    const storage = new MemoryLedgerStorage();
    const ledger = await PrivacyLedger.open(storage, identity);
    // Find the last whole step count under budget, spend up to it, then one more must fail.
    let allowed = 0;
    while (epsilonFor({ ...step, steps: allowed + 1, delta: 1e-5 }).epsilon <= 2) allowed++;
    expect(allowed).to.be.greaterThan(10);
    await ledger.spend({ ...step, steps: allowed });
    expect(ledger.canSpend(step).allowed).to.equal(false);
    const before = storage.entries.get(ledgerKey('7', buyer))!.slice();
    const spentBefore = ledger.spent().epsilon;
    const error = await rejects(ledger.spend(step));
    expect(error).to.be.instanceOf(PrivacyBudgetExceededError);
    expect((error as PrivacyBudgetExceededError).code).to.equal('PRIVACY_BUDGET_EXCEEDED');
    expect(storage.entries.get(ledgerKey('7', buyer))).to.deep.equal(before);
    expect(ledger.spent().epsilon).to.equal(spentBefore);
    // A cheaper step (more noise) may still fit.
    expect(ledger.canSpend({ sampleRate: 0.001, noiseMultiplier: 50 }).allowed).to.equal(true);
  });

  it('records nothing when storage fails', async () => {
    const failing: LedgerStorage = { load: async () => undefined, save: async () => Promise.reject(new Error('disk full')) };
    const ledger = await PrivacyLedger.open(failing, identity);
    await rejects(ledger.spend(step));
    expect(ledger.spent().epsilon).to.equal(0);
  });

  it('serialises concurrent spends so the budget cannot be overrun by racing steps', async () => {
    const storage = new MemoryLedgerStorage();
    const ledger = await PrivacyLedger.open(storage, { ...identity, budget: { epsilon: 0.75, delta: 1e-5 } });
    const results = await Promise.allSettled(Array.from({ length: 200 }, () => ledger.spend(step)));
    const ok = results.filter((r) => r.status === 'fulfilled').length;
    expect(ok).to.be.greaterThan(0).and.lessThan(200);
    expect(ledger.spent().epsilon).to.be.at.most(0.75);
    expect(epsilonFor({ ...step, steps: ok + 1, delta: 1e-5 }).epsilon).to.be.greaterThan(0.75);
  });

  it('round-trips its bytes and refuses corrupt ones with a typed error', () => {
    const stored = { ...identity, history: [{ sampleRate: 0.1, noiseMultiplier: 1, steps: 3 }] };
    expect(deserializeLedger(serializeLedger(stored))).to.deep.equal(stored);
    const bad = [
      new Uint8Array([0xff, 0xfe]),
      new TextEncoder().encode('[]'),
      new TextEncoder().encode('{"version":2}'),
      new TextEncoder().encode(JSON.stringify({ ...JSON.parse(new TextDecoder().decode(serializeLedger(stored))), history: [{ sampleRate: 2, noiseMultiplier: 1, steps: 1 }] })),
      new TextEncoder().encode(JSON.stringify({ version: 1, policyId: '7', buyer, budget: { epsilon: -1, delta: 1e-5 }, history: [] })),
      new TextEncoder().encode(JSON.stringify({ version: 1, policyId: '7', buyer, budget: { epsilon: 1, delta: 1e-5 }, history: [{ sampleRate: 0.1, noiseMultiplier: 1, steps: 0.5 }] })),
      new Uint8Array((1 << 20) + 1),
    ];
    for (const bytes of bad) expect(() => deserializeLedger(bytes)).to.throw(PrivacyLedgerCorruptError).with.property('code', 'PRIVACY_LEDGER_CORRUPT');
  });

  it('refuses a stored ledger of another policy, buyer or budget', async () => {
    const storage = new MemoryLedgerStorage();
    await (await PrivacyLedger.open(storage, identity)).spend(step);
    // Planting policy 8's ledger under policy 7's key.
    storage.entries.set(ledgerKey('7', buyer), serializeLedger({ ...identity, policyId: '8', history: [] }));
    const error = await rejects(PrivacyLedger.open(storage, identity));
    expect(error).to.be.instanceOf(PrivacyLedgerMismatchError).with.property('code', 'PRIVACY_LEDGER_MISMATCH');
    storage.entries.set(ledgerKey('7', buyer), serializeLedger({ ...identity, budget: { epsilon: 3, delta: 1e-5 }, history: [] }));
    expect(await rejects(PrivacyLedger.open(storage, identity))).to.be.instanceOf(PrivacyLedgerMismatchError);
  });

  it('refuses malformed steps and budgets', async () => {
    const ledger = await PrivacyLedger.open(new MemoryLedgerStorage(), identity);
    expect(() => ledger.canSpend({ sampleRate: 0, noiseMultiplier: 1 })).to.throw(PrivacyParameterError);
    expect(() => ledger.canSpend({ ...step, steps: 0 })).to.throw(PrivacyParameterError);
    expect(await rejects(PrivacyLedger.open(new MemoryLedgerStorage(), { ...identity, budget: { epsilon: 1, delta: 1 } }))).to.be.instanceOf(PrivacyParameterError);
  });
});
