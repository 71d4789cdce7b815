// The `audata` subcommands. Each is loaded only when called, so that a quick command does
// not pay for the audio pipeline or the chain client. Commands that check things live in
// the package that owns the check (the verifier, the pipeline); this table only names them.
import type { CliCommand } from '@audata/wire';

export interface CommandEntry {
  summary: string;
  load(): Promise<CliCommand>;
}

export const commands: Record<string, CommandEntry> = {
  contribute: { summary: 'Seal recordings for the attested enclave, upload them, print their proofs', load: async () => (await import('./contribute.ts')).contribute },
  proof: { summary: "Audit a file's proof from the chain and the attestation alone", load: async () => (await import('./proof.ts')).proof },
  revoke: { summary: 'Withdraw one of your recorded files from later jobs', load: async () => (await import('./revoke.ts')).revoke },
  audit: { summary: "Replay the enclave's audit log: hash chain, signed heads, anchors", load: async () => (await import('./audit.ts')).audit },
  claim: { summary: 'Claim your share of a settled job from JobEscrow', load: async () => (await import('./claim.ts')).claim },
  job: { summary: 'Buyer jobs under a DAO policy: keygen, submit, status, result, train, finish', load: async () => (await import('./job.ts')).job },
  'verify-attestation': { summary: 'Verify an AWS Nitro attestation document', load: async () => (await import('@audata/verifier/cli')).verifyAttestationCommand },
  privacy: { summary: 'Privacy accounting: epsilon of DP-SGD steps', load: async () => (await import('@audata/enclave/cli/privacy')).privacy },
  features: { summary: 'Audio features: Whisper-compatible log-mel of a file', load: async () => (await import('@audata/enclave/cli/features')).features },
  score: { summary: 'Score audio files with the proof-of-contribution pipeline', load: async () => (await import('@audata/enclave/cli/score')).score },
};
