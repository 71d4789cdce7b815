// The dev stand-in for the Nitro Secure Module: documents in NSM's exact format (COSE_Sign1,
// ES384, CBOR payload) signed by a dev CA chain, with PCR0 the SHA-384 of the enclave bundle
// that runs. A verifier accepts them only when given the dev root.
import { issueLeaf, signAttestationDocument, type DevCa, type DevLeaf } from '@audata/verifier/dev';
import { checkAttestRequest, type AttestRequest, type Nsm, type NsmDescription } from './nsm.ts';

/** Nitro reports 16 PCRs of 48 bytes (SHA-384). */
export const PCR_COUNT = 16;
export const PCR_BYTES = 48;

export interface SimulatedNsmParams {
  ca: DevCa;
  /** PCR0, PCR1, PCR2 as `measureEnclave` computes them (enclave/build.ts); the rest are zero. */
  pcrs: { 0: Uint8Array; 1: Uint8Array; 2: Uint8Array };
  /** e.g. "i-dev0000000000000000-enc0000000000000000", shaped like Nitro's. */
  moduleId: string;
  now?: () => Date;
}

export function createSimulatedNsm(params: SimulatedNsmParams): Nsm {
  const now = params.now ?? (() => new Date());
  const pcrs = new Map<number, Uint8Array>();
  for (let index = 0; index < PCR_COUNT; index += 1) pcrs.set(index, new Uint8Array(PCR_BYTES));
  for (const index of [0, 1, 2] as const) {
    const value = params.pcrs[index];
    if (value.length !== PCR_BYTES) throw new RangeError(`PCR${index} must be ${PCR_BYTES} bytes, received ${value.length}`);
    pcrs.set(index, value);
  }
  let leaf: DevLeaf | undefined;
  // Like Nitro, a leaf lives a few hours; a new one is issued when the last is about to expire.
  const currentLeaf = (at: Date): DevLeaf => {
    if (leaf === undefined || leaf.notAfter.getTime() - at.getTime() < 60_000 || leaf.notBefore.getTime() > at.getTime()) {
      leaf = issueLeaf(params.ca, { now: at, commonName: `${params.moduleId}.audata-dev.invalid` });
    }
    return leaf;
  };
  return {
    async attest(request: AttestRequest) {
      checkAttestRequest(request);
      const at = now();
      return signAttestationDocument(
        { moduleId: params.moduleId, timestamp: at.getTime(), pcrs, publicKey: request.publicKey ?? null, userData: request.userData ?? null, nonce: request.nonce ?? null },
        { leaf: currentLeaf(at), caBundle: params.ca.caBundle },
      );
    },
    async describe(): Promise<NsmDescription> {
      return { moduleId: params.moduleId, digest: 'SHA384', pcrs: new Map(pcrs) };
    },
  };
}
