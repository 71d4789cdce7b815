// GET /v1/attestation: a fresh attestation document from the enclave, bound to the caller's
// nonce. The host only relays it; the client verifies it against the chain.
import type { Express } from 'express';
import { HttpError, InvalidRequestError, preview } from '../errors.ts';
import type { EnclaveClient } from '../deps.ts';

export class EnclaveUnavailableError extends HttpError {
  override name = 'EnclaveUnavailableError';
  constructor(cause: unknown) {
    super(503, 'HOST_ENCLAVE_UNAVAILABLE', 'The enclave did not answer the attestation request.', {
      hint: 'Retry shortly; if it persists, the operator should check the enclave.',
      cause,
    });
  }
}

export function attestationRoutes(app: Express, deps: { enclave: Pick<EnclaveClient, 'attest'> }): void {
  app.get('/v1/attestation', async (req, res) => {
    const nonce = req.query['nonce'];
    if (typeof nonce !== 'string' || !/^(0x)?[0-9a-fA-F]{64}$/.test(nonce)) {
      throw new InvalidRequestError('query nonce', '32 bytes as 64 hex digits', typeof nonce === 'string' ? preview(nonce, 70) : 'nothing');
    }
    const nonceHex = nonce.replace(/^0x/, '').toLowerCase();
    let result;
    try {
      result = await deps.enclave.attest(Buffer.from(nonceHex, 'hex'));
    } catch (error) {
      throw error instanceof HttpError ? error : new EnclaveUnavailableError(error);
    }
    res.setHeader('Cache-Control', 'no-store');
    res.json({
      document: Buffer.from(result.document).toString('base64'),
      format: 'COSE_Sign1',
      documentBytes: result.document.length,
      nonce: `0x${nonceHex}`,
      // Unverified copies; the document is the authority.
      ...(result.enclaveSigner === undefined ? {} : { enclaveSigner: result.enclaveSigner }),
      ...(result.datasetPublicKey === undefined ? {} : { datasetPublicKey: result.datasetPublicKey }),
      ...(result.pipelineVersion === undefined ? {} : { pipelineVersion: result.pipelineVersion }),
    });
  });
}
