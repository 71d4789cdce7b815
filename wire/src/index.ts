// The formats and conventions every side of Audata shares, so that each changes in one place.
export * from './errors.ts';
export * from './cli.ts';
export * from './eip712.ts';
export * from './job-request-signing.ts';
export * from './envelope.ts';
export * from './merkle.ts';
export * from './channel.ts';
export * from './channel-client.ts';
export * from './channel-state.ts';
export * from './attestation-binding.ts';
export * from './policy.ts';
export * from './registry-abi.ts';
