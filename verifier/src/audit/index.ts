// Replay and verification of the enclave's hash-chained audit log (the `./audit` entry).
export * from './entry.ts';
export * from './errors.ts';
export * from './verify.ts';
export * from './chain-anchors.ts';
