// Why the enclave refused a sealed state the host handed back: not ours, altered, cut short,
// from an unknown format, or older than one the enclave knows to exist.
import { AudataError, type AudataErrorOptions } from '@audata/wire';

export class StateError extends AudataError {
  override name = 'StateError';
  constructor(code: string, message: string, options: AudataErrorOptions = {}) {
    super(code, message, options);
  }
}

/** Sealed under another dataset key: another deployment's state, or a host mixing them up. */
export class StateWrongKeyError extends StateError {
  override name = 'StateWrongKeyError' as const;
  constructor(expected: string, received: string) {
    super('STATE_WRONG_KEY', `The sealed state belongs to dataset key ${received}, not to this enclave's ${expected}.`, {
      details: { expected, received },
      hint: 'Give the enclave the state it sealed for this dataset; the stored one was left as it is.',
    });
  }
}

/** Authentication failed: some byte of the blob (header, nonce, ciphertext or tag) changed. */
export class StateTamperedError extends StateError {
  override name = 'StateTamperedError' as const;
  constructor(reason: string) {
    super('STATE_TAMPERED', `The sealed state cannot be trusted: ${reason}.`, {
      details: { reason },
      hint: 'Restore the last state the enclave returned; an altered one is never loaded.',
    });
  }
}

/** Shorter than the fixed header and tag: cut off in storage or transit. */
export class StateTruncatedError extends StateError {
  override name = 'StateTruncatedError' as const;
  constructor(expectedAtLeast: number, received: number) {
    super('STATE_TRUNCATED', `The sealed state is ${received} bytes, shorter than the ${expectedAtLeast} bytes any sealed state has.`, {
      details: { expected: expectedAtLeast, received },
      hint: 'Store and send the whole blob the enclave returned.',
    });
  }
}

export class StateVersionUnsupportedError extends StateError {
  override name = 'StateVersionUnsupportedError' as const;
  constructor(expected: number, received: number) {
    super('STATE_VERSION_UNSUPPORTED', `Sealed state format ${received} is not known here; expected ${expected}.`, {
      details: { expected, received },
      hint:
        received === 1
          ? 'A format 1 state holds no privacy ledger, so buyers\' spent budgets cannot be restored from it and it is refused rather than read as unspent; boot the release that wrote it, or start a new dataset (genesis).'
          : 'Run the enclave release that wrote it, or one that reads its format.',
    });
  }
}

/** Authenticated (so written by an enclave holding the key) but not a well-formed payload. */
export class StateCorruptError extends StateError {
  override name = 'StateCorruptError' as const;
  constructor(reason: string) {
    super('STATE_CORRUPT', `The sealed state authenticates but its contents are malformed: ${reason}.`, {
      details: { reason },
      hint: 'An enclave build wrote a state this build cannot read; restore an earlier state.',
    });
  }
}

/**
 * Older than a state the enclave knows of: one it already saw in this boot, or the anchored one.
 * A host that hands back an old snapshot would make the enclave forget duplicates and replays.
 */
export class StateRollbackError extends StateError {
  override name = 'StateRollbackError' as const;
  constructor(expectedAtLeast: bigint, received: bigint | null, source: 'this boot' | 'the anchor') {
    super(
      'STATE_ROLLBACK',
      `The sealed state has counter ${received === null ? 'none (no state was given)' : received.toString()}, below ${expectedAtLeast.toString()} known from ${source}.`,
      {
        details: { expected: expectedAtLeast.toString(), received: received === null ? null : received.toString(), source },
        hint: 'Give the enclave the latest state it returned; older snapshots are refused.',
      },
    );
  }
}

/** The anchor names this counter with another state hash: a fork the host made. */
export class StateAnchorMismatchError extends StateError {
  override name = 'StateAnchorMismatchError' as const;
  constructor(counter: bigint, expected: string, received: string) {
    super('STATE_ANCHOR_MISMATCH', `The anchored state ${counter.toString()} has hash ${expected}; the given one has ${received}.`, {
      details: { counter: counter.toString(), expected, received },
      hint: 'Give the enclave the exact state that was anchored, or a later one.',
    });
  }
}

/** A state past the cap: it could not travel in one channel frame, or is not a state at all. */
export class StateTooLargeError extends StateError {
  override name = 'StateTooLargeError' as const;
  constructor(limit: number, received: number) {
    super('STATE_TOO_LARGE', `A sealed state of ${received} bytes is above the limit of ${limit}.`, {
      details: { expected: limit, received },
      hint: 'A segment or root this large is not one the enclave writes; restore the stored state the enclave returned.',
    });
  }
}

/** The root names more segments than the host handed in before state.ready. */
export class StateSegmentMissingError extends StateError {
  override name = 'StateSegmentMissingError' as const;
  constructor(expected: bigint, received: bigint) {
    super('STATE_SEGMENT_MISSING', `The sealed root names ${expected.toString()} segments; ${received.toString()} were handed in.`, {
      details: { expected: expected.toString(), received: received.toString() },
      hint: 'Hand the enclave every stored segment, in order, before state.ready; the enclave stays unbooted until then.',
    });
  }
}

/** A segment came again (a duplicate) or out of its place (reordered, skipped, or past the root's count). */
export class StateSegmentOrderError extends StateError {
  override name = 'StateSegmentOrderError' as const;
  constructor(expected: bigint, received: bigint, limit: bigint) {
    const duplicate = received < expected;
    super(
      duplicate ? 'STATE_SEGMENT_DUPLICATE' : 'STATE_SEGMENT_OUT_OF_ORDER',
      duplicate
        ? `Segment ${received.toString()} was handed in again; segment ${expected.toString()} is next.`
        : `Segment ${received.toString()} arrived where segment ${expected.toString()} is next (the root names ${limit.toString()}).`,
      {
        details: { expected: expected.toString(), received: received.toString(), segments: limit.toString() },
        hint: 'Hand the segments in sequence order, each once; the restore starts over at the next boot.',
      },
    );
  }
}

/** A segment that does not continue the chain (another chain's, spliced in), or a chain whose end is not the root's head. */
export class StateSegmentChainError extends StateError {
  override name = 'StateSegmentChainError' as const;
  constructor(seq: bigint, expected: string, received: string) {
    super('STATE_SEGMENT_CHAIN_BROKEN', `Segment ${seq.toString()} links to ${received}; the chain needs ${expected}.`, {
      details: { seq: seq.toString(), expected, received },
      hint: 'The segments come from another chain than the root; hand in the ones stored with this root.',
    });
  }
}
