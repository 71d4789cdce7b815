import { expect } from 'chai';
import { hashTypedData, keccak256, recoverTypedDataAddress, sha256, toHex, type Hex } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { jobFinishTypes, jobRequestDomain, jobStepTypes, jobSubmissionTypes } from './eip712.ts';
import { canonicalJson, jobFinishTypedData, jobParamsHash, jobStepMessage, jobStepTypedData, jobSubmissionMessage, jobSubmissionTypedData, mechanismString } from './job-request-signing.ts';

const escrow = '0x00000000000000000000000000000000000000e5';
/** EIP-712 encodeType of a struct with no nested structs. */
const encodeType = ({ primaryType, types }: { primaryType: string; types: Record<string, readonly { name: string; type: string }[]> }) =>
  `${primaryType}(${types[primaryType]!.map((f) => `${f.type} ${f.name}`).join(',')})`;

describe('job request signing (EIP-712)', () => {
  it('writes canonical JSON (RFC 8785): sorted keys at every level, no whitespace, JSON numbers', () => {
    expect(canonicalJson({ b: [1, { d: 'x', c: null }], a: 0.5, é: true })).to.equal('{"a":0.5,"b":[1,{"c":null,"d":"x"}],"é":true}');
    expect(canonicalJson({ big: 1e21, small: 1e-7 })).to.equal('{"big":1e+21,"small":1e-7}');
    expect(jobParamsHash({ parameters: 162, classes: ['en', 'de'], melBands: 80 })).to.equal(keccak256(toHex('{"classes":["en","de"],"melBands":80,"parameters":162}')));
    expect(jobParamsHash(undefined)).to.equal(keccak256(toHex('{}')));
  });

  it('refuses what JSON cannot carry and nesting past 16 levels', () => {
    expect(() => canonicalJson({ a: Number.NaN })).to.throw(TypeError);
    expect(() => canonicalJson({ a: undefined })).to.throw(TypeError);
    let deep: unknown = 1;
    for (let i = 0; i < 17; i++) deep = [deep];
    expect(() => canonicalJson(deep)).to.throw(RangeError);
    expect(() => mechanismString(Number.POSITIVE_INFINITY)).to.throw(TypeError);
    expect(mechanismString(0.1)).to.equal('0.1');
  });

  it('pins the type strings the enclave and the client hash', () => {
    expect(encodeType({ primaryType: 'JobSubmission', types: jobSubmissionTypes })).to.equal(
      'JobSubmission(bytes32 jobId,uint256 policyId,string kind,bytes32 modelHash,bytes32 buyerKey,bytes32 paramsHash,uint64 deadline)',
    );
    expect(encodeType({ primaryType: 'JobStep', types: jobStepTypes })).to.equal(
      'JobStep(bytes32 jobId,uint32 index,bytes32 parametersHash,string sampleRate,string noiseMultiplier,string clipNorm,uint64 deadline)',
    );
    expect(encodeType({ primaryType: 'JobFinish', types: jobFinishTypes })).to.equal('JobFinish(bytes32 jobId,uint32 steps,uint64 deadline)');
  });

  it('a signed submission and step recover the buyer; any other job, step, parameters, chain or escrow does not', async () => {
    const buyer = privateKeyToAccount(generatePrivateKey());
    const domain = jobRequestDomain(31337, escrow);
    const jobId = keccak256(toHex('job'));
    const submission = jobSubmissionMessage({ jobId, policyId: 1n, kind: 'gradients', model: new Uint8Array([1, 2]), buyerKey: new Uint8Array(32).fill(7), params: { melBands: 80 }, deadline: 100n });
    expect(submission.modelHash).to.equal(sha256(new Uint8Array([1, 2])));
    const signature = await buyer.signTypedData(jobSubmissionTypedData(domain, submission));
    expect(await recoverTypedDataAddress({ ...jobSubmissionTypedData(domain, submission), signature })).to.equal(buyer.address);
    const other = await recoverTypedDataAddress({ ...jobSubmissionTypedData(domain, { ...submission, jobId: keccak256(toHex('other')) }), signature });
    expect(other).to.not.equal(buyer.address);

    const step = jobStepMessage({ jobId, index: 0, parameters: new Uint8Array(8), sampleRate: 1, noiseMultiplier: 0.5, clipNorm: 1, deadline: 100n });
    expect(step).to.include({ sampleRate: '1', noiseMultiplier: '0.5', clipNorm: '1' });
    const stepSignature = await buyer.signTypedData(jobStepTypedData(domain, step));
    const recover = (message: typeof step, d = domain) => recoverTypedDataAddress({ ...jobStepTypedData(d, message), signature: stepSignature });
    expect(await recover(step)).to.equal(buyer.address);
    expect(await recover({ ...step, index: 1 })).to.not.equal(buyer.address);
    expect(await recover({ ...step, noiseMultiplier: '0.25' })).to.not.equal(buyer.address);
    expect(await recover(step, jobRequestDomain(1, escrow))).to.not.equal(buyer.address);
    expect(await recover(step, jobRequestDomain(31337, '0x00000000000000000000000000000000000000e6'))).to.not.equal(buyer.address);
    // One type per request: a finish never hashes like a step of the same job.
    const finish: Hex = hashTypedData(jobFinishTypedData(domain, { jobId, steps: 0, deadline: 100n }));
    expect(finish).to.not.equal(hashTypedData(jobStepTypedData(domain, step)));
  });
});
