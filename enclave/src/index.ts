// The enclave package: what runs inside the enclave. The entry point is src/main.ts.
export { createEnclaveRuntime } from './runtime/enclave-runtime.ts';
export type { ContributionScorer, EnclaveRuntime, EnclaveRuntimeParams, ScoredContribution } from './runtime/enclave-runtime.ts';
export { createChannelServer } from './channel/server.ts';
export { openEnvelope } from './envelope/open.ts';
export { createSimulatedNsm } from './nsm/simulated-nsm.ts';
export { createNitroNsm } from './nsm/nitro-nsm.ts';
export { createEnclaveSigner } from './signing/enclave-signer.ts';
export { createDatasetKey, openDatasetKey } from './kms/key-release.ts';
export { StateSealer, checkAgainstAnchor } from './state/sealed-state.ts';
export type { EnclaveState, SealedState, StateAnchor } from './state/sealed-state.ts';
export { FingerprintIndexSlot } from './state/fingerprint-slot.ts';
