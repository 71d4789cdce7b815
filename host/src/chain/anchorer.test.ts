import { expect } from 'chai';
import type { Hex } from 'viem';
import type { StateAnchorJson } from '@audata/wire';
import { anchorCadenceFromEnv, defaultAnchorCadence, StateAnchorer } from './anchorer.ts';

const b32 = (n: number): Hex => `0x${n.toString(16).padStart(64, '0')}`;

/** An enclave whose latest state is `counter`, and a chain that records what it is sent. */
function harness(cadence: { everyStates: number; everySeconds: number }) {
  const world = { counter: 1n, now: 0, sent: [] as bigint[], failNext: 0, errors: [] as unknown[] };
  const anchorer = new StateAnchorer({
    cadence,
    clock: () => world.now,
    requestAnchor: async () => {
      const anchor: StateAnchorJson = { datasetKey: b32(1), stateCounter: world.counter.toString(), stateSha256: b32(Number(world.counter) + 100), auditEntries: world.counter.toString(), auditHead: b32(Number(world.counter) + 200) };
      return { anchor, signature: `0x${'11'.repeat(65)}` };
    },
    submit: async (anchor) => {
      if (world.failNext > 0) {
        world.failNext -= 1;
        throw new Error('node down');
      }
      world.sent.push(anchor.stateCounter);
      return { txHash: b32(Number(anchor.stateCounter)) };
    },
    onError: (e) => world.errors.push(e),
  });
  return { world, anchorer };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('host state anchorer', () => {
  it('anchors every K-th state, the latest one at that moment', async () => {
    const { world, anchorer } = harness({ everyStates: 3, everySeconds: 0 });
    for (let c = 1n; c <= 7n; c++) {
      world.counter = c;
      anchorer.noteState(c);
      await settle();
      await anchorer.stop();
    }
    expect(world.sent).to.deep.equal([3n, 6n]);
    expect(anchorer.anchoredCounter).to.equal(6n);
  });

  it('with K = 1 anchors every state', async () => {
    const { world, anchorer } = harness({ everyStates: 1, everySeconds: 0 });
    for (let c = 1n; c <= 4n; c++) {
      world.counter = c;
      anchorer.noteState(c);
      await anchorer.stop();
    }
    expect(world.sent).to.deep.equal([1n, 2n, 3n, 4n]);
  });

  it('anchors a waiting state once T seconds passed, and nothing when no state waits', async () => {
    const { world, anchorer } = harness({ everyStates: 100, everySeconds: 60 });
    world.counter = 2n;
    anchorer.noteState(2n);
    world.now = 59_000;
    anchorer.tick();
    await anchorer.stop();
    expect(world.sent).to.deep.equal([]);
    world.now = 60_000;
    anchorer.tick();
    await anchorer.stop();
    expect(world.sent).to.deep.equal([2n]);
    world.now = 200_000;
    anchorer.tick();
    await anchorer.stop();
    expect(world.sent).to.deep.equal([2n]);
  });

  it('a failed attempt is reported and the next state tries again', async () => {
    const { world, anchorer } = harness({ everyStates: 1, everySeconds: 0 });
    world.failNext = 1;
    anchorer.noteState(1n);
    await anchorer.stop();
    expect(world.sent).to.deep.equal([]);
    expect(world.errors).to.have.length(1);
    world.counter = 2n;
    anchorer.noteState(2n);
    await anchorer.stop();
    expect(world.sent).to.deep.equal([2n]);
  });

  it('runs one anchor at a time; requests meanwhile collapse into one more', async () => {
    const { world, anchorer } = harness({ everyStates: 1, everySeconds: 0 });
    world.counter = 5n;
    const first = anchorer.anchorNow();
    void anchorer.anchorNow();
    void anchorer.anchorNow();
    await first;
    await anchorer.stop();
    expect(world.sent).to.deep.equal([5n, 5n]);
  });

  it('reads its cadence from the environment and refuses a bad one', () => {
    expect(anchorCadenceFromEnv({})).to.deep.equal(defaultAnchorCadence);
    expect(anchorCadenceFromEnv({ AUDATA_ANCHOR_EVERY_STATES: '1', AUDATA_ANCHOR_EVERY_SECONDS: '0' })).to.deep.equal({ everyStates: 1, everySeconds: 0 });
    for (const env of [{ AUDATA_ANCHOR_EVERY_STATES: '0' }, { AUDATA_ANCHOR_EVERY_STATES: '1.5' }, { AUDATA_ANCHOR_EVERY_SECONDS: '-1' }]) {
      expect(() => anchorCadenceFromEnv(env)).to.throw().with.property('code', 'HOST_CONFIG_INVALID');
    }
    expect(() => new StateAnchorer({ cadence: { everyStates: 0, everySeconds: 0 }, requestAnchor: async () => { throw new Error('unused'); }, submit: async () => ({ superseded: true }) })).to.throw().with.property('code', 'HOST_CONFIG_INVALID');
  });
});
