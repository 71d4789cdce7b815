import { expect } from 'chai';
import { createCipheriv, pbkdf2Sync, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { keccak256, toHex, hexToBytes, type Hex } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { BindingPurpose, encodeAttestationBinding, type CliIo } from '@audata/wire';
import { createSimulatedNsm } from '../../../enclave/src/nsm/simulated-nsm.ts';
import type { ContributionScorer } from '../../../enclave/src/runtime/enclave-runtime.ts';
import { AudioError } from '../../../enclave/src/audio/errors.ts';
import { publicClientFor } from '../sdk/chain.ts';
import { verifyEnclave } from '../sdk/enclave-trust.ts';
import { awaitRecord } from '../sdk/contribute.ts';
import { HostApi } from '../sdk/host-api.ts';
import { accountFromKeystore } from '../sdk/keys.ts';
import { startStack, type Stack } from '../testing/in-process-stack.ts';
import { main } from './main.ts';

/** Scores by length; a recording made only of zero bytes is refused, as undecodable audio would be. */
const scorer: ContributionScorer = {
  async score(opened) {
    if (opened.audio.every((b) => b === 0)) throw new AudioError('AUDIO_UNDECODABLE', 'no audio in these bytes');
    const quality = 5_000 + (opened.audio.length % 5_000);
    return { valid: true, score: quality, authenticity: 9000, ownership: 10_000, quality, uniqueness: 10_000, detailsHash: keccak256(opened.audio) };
  },
};

function capture(): CliIo & { out: string; err: string } {
  const io = { out: '', err: '', stdout: (t: string) => void (io.out += t), stderr: (t: string) => void (io.err += t) };
  return io;
}
async function run(...argv: string[]) {
  const io = capture();
  const code = await main(argv, io);
  return { code, out: io.out, err: io.err };
}

describe('audata contribute, proof, revoke (in-process stack on anvil)', function () {
  this.timeout(120_000);
  let stack: Stack;
  let audio: string[];

  before(async () => {
    stack = await startStack({ scorer });
    audio = [0, 1].map((i) => {
      const path = join(stack.dir, `clip-${i}.bin`);
      writeFileSync(path, randomBytes(30_000 + i * 7_000));
      return path;
    });
  });
  after(async () => stack?.stop());

  it('contributes two files, prints the verdicts from the chain, and every proof audits clean', async () => {
    const result = await run('contribute', ...audio, '--key', stack.contributorKeys[0]!, '--config', stack.configPath, '--language', 'pt-BR');
    expect(result.err).to.contain('DEVELOPMENT attestation root');
    expect(result.code, result.err).to.equal(0);
    expect(result.out).to.match(/enclave attested: measurement 0x[0-9a-f]{64} approved on chain/);
    const fileIds = [...result.out.matchAll(/sealed on this device, file (0x[0-9a-f]{64})/g)].map((m) => m[1]!);
    expect(fileIds).to.have.length(2);
    expect(result.out.match(/on chain in 0x[0-9a-f]{64}: valid yes, score/g)).to.have.length(2);
    expect(result.err).to.contain('upload');

    for (const fileId of fileIds) {
      const audit = await run('proof', fileId, '--config', stack.configPath);
      expect(audit.code, audit.out + audit.err).to.equal(0);
      expect(audit.out).to.contain(`VERIFIED: ${fileId}`);
      for (const check of ['recorded on chain', 'proof hash', 'enclave signature', 'signer registration', 'attestation document', 'attestation binding']) expect(audit.out).to.contain(`ok   ${check}`);
    }

    // Revocation: only the contributor, only once; the audit then reports it.
    const stranger = await run('revoke', fileIds[0]!, '--key', stack.contributorKeys[1]!, '--config', stack.configPath);
    expect(stranger.err).to.match(/^CLIENT_REVOKE_REFUSED: .*ContributionRegistryUnauthorizedRevoker/);
    const revoked = await run('revoke', fileIds[0]!, '--key', stack.contributorKeys[0]!, '--config', stack.configPath);
    expect(revoked.code, revoked.err).to.equal(0);
    expect((await run('revoke', fileIds[0]!, '--key', stack.contributorKeys[0]!, '--config', stack.configPath)).err).to.match(/ContributionRegistryFileAlreadyRevoked/);
    expect((await run('proof', fileIds[0]!, '--config', stack.configPath)).out).to.contain('REVOKED by its contributor');
  });

  it('says NOT VERIFIED for a file the chain does not hold, and when the registered document is not the one fetched', async () => {
    const unknown = await run('proof', keccak256(toHex('never uploaded')), '--config', stack.configPath);
    expect(unknown.code).to.equal(1);
    expect(unknown.out).to.contain('FAIL recorded on chain');
  });

  it('fails a file the enclave refuses with the enclave code, and refuses keys, configs and roots that do not check out', async () => {
    const zeros = join(stack.dir, 'zeros.bin');
    writeFileSync(zeros, Buffer.alloc(20_000));
    const refused = await run('contribute', zeros, '--key', stack.contributorKeys[2]!, '--config', stack.configPath);
    expect(refused.err).to.match(/^CLIENT_PROOF_NOT_READY: .*failed \(AUDIO_UNDECODABLE\)/m);

    expect((await run('contribute', audio[0]!, '--key', '0x1234', '--config', stack.configPath)).err).to.match(/^CLIENT_KEY_INVALID/);
    expect((await run('contribute', audio[0]!, '--config', stack.configPath)).code).to.equal(2);
    expect((await run('contribute', audio[0]!, '--key', stack.contributorKeys[0]!, '--config', join(stack.dir, 'missing.json'))).err).to.match(/^CLIENT_CONFIG_INVALID/);
    const forged = join(stack.dir, 'forged-root.json');
    writeFileSync(forged, JSON.stringify({ ...stack.config, devRoot: { path: stack.config.devRoot!.path, sha256: '00'.repeat(32) } }));
    expect((await run('contribute', audio[0]!, '--key', stack.contributorKeys[0]!, '--config', forged)).err).to.match(/^CLIENT_DEV_ROOT_MISMATCH/);
    const noDevRoot = join(stack.dir, 'aws-only.json');
    const { devRoot: _, ...awsOnly } = stack.config;
    writeFileSync(noDevRoot, JSON.stringify(awsOnly));
    expect((await run('contribute', audio[0]!, '--key', stack.contributorKeys[0]!, '--config', noDevRoot)).err).to.match(/^ATTESTATION_ROOT_MISMATCH/);
    const badHost = await run('contribute', audio[0]!, '--key', stack.contributorKeys[0]!, '--config', stack.configPath, '--host', `${stack.config.hostUrl}/nowhere`);
    expect(badHost.err).to.match(/^CLIENT_HOST_REQUEST_FAILED: .*HTTP 404/m);
  });

  it('opens a v3 keystore with the password from the environment, and refuses a wrong one', () => {
    const key = generatePrivateKey();
    const salt = randomBytes(32);
    const iv = randomBytes(16);
    const derived = pbkdf2Sync('correct horse', salt, 1000, 32, 'sha256');
    const cipher = createCipheriv('aes-128-ctr', derived.subarray(0, 16), iv);
    const ciphertext = Buffer.concat([cipher.update(hexToBytes(key)), cipher.final()]);
    const mac = keccak256(Buffer.concat([derived.subarray(16, 32), ciphertext])).slice(2);
    const path = join(stack.dir, 'keystore.json');
    writeFileSync(path, JSON.stringify({ version: 3, crypto: { cipher: 'aes-128-ctr', ciphertext: ciphertext.toString('hex'), cipherparams: { iv: iv.toString('hex') }, kdf: 'pbkdf2', kdfparams: { dklen: 32, salt: salt.toString('hex'), c: 1000, prf: 'hmac-sha256' }, mac } }));
    expect(accountFromKeystore(path, 'correct horse').address).to.equal(privateKeyToAccount(key).address);
    expect(() => accountFromKeystore(path, 'wrong')).to.throw().with.property('code', 'CLIENT_KEY_INVALID');
  });

  it('refuses an enclave whose build is not approved, whose signer is not registered, or whose keys disagree', async () => {
    const client = await publicClientFor(stack.anvil.rpcUrl);
    const nonce = new Uint8Array(randomBytes(32));
    const datasetKey = toHex(new Uint8Array(32).fill(9));
    const attest = async (pcr0: Uint8Array, publicKey: Hex) => {
      const nsm = createSimulatedNsm({ ca: stack.ca, pcrs: { ...stack.pcrs, 0: pcr0 }, moduleId: 'i-dev0000000000000000-enc0000000000000000' });
      const userData = encodeAttestationBinding({ purpose: BindingPurpose.client, datasetKey, signer: privateKeyToAccount(generatePrivateKey()).address, pipelineVersion: keccak256(toHex('p')) });
      return nsm.attest({ publicKey: hexToBytes(publicKey), userData, nonce });
    };
    const trust = (document: Uint8Array) => verifyEnclave({ document, nonce, client, enclaveRegistry: stack.config.enclaveRegistry, root: stack.ca.rootDer }).then(() => 'none', (e: { code?: string }) => e.code);
    expect(await trust(await attest(new Uint8Array(48).fill(0x42), datasetKey))).to.equal('CLIENT_MEASUREMENT_NOT_APPROVED');
    expect(await trust(await attest(stack.pcrs[0], datasetKey))).to.equal('CLIENT_SIGNER_NOT_REGISTERED');
    expect(await trust(await attest(stack.pcrs[0], toHex(new Uint8Array(32).fill(1))))).to.equal('CLIENT_BINDING_MISMATCH');
  });

  it('does not take the host at its word: a "submitted" file that the chain does not hold is an error', async () => {
    const client = await publicClientFor(stack.anvil.rpcUrl);
    const fileId = keccak256(toHex('claimed but absent'));
    const liar = new HostApi('http://127.0.0.1:9', async () => new Response(JSON.stringify({ fileId, status: 'submitted', errorCode: null, txHash: null }), { status: 200 }));
    const sealed = { header: { manifest: { ciphertextSha256: fileId } }, manifestHash: fileId } as never;
    const failure = await awaitRecord({ config: stack.config, client, host: liar }, {} as never, sealed).then(() => 'none', (e: { code?: string }) => e.code);
    expect(failure).to.equal('CLIENT_PROOF_CHECK_FAILED');
  });
});
