// `audata job`: a buyer's jobs under a DAO policy, through the host: keygen (the X25519 key
// releases are sealed to), submit, status, result (features, aggregates), train (a DP-SGD
// loop) and finish (the enclave-signed receipt and the shares file contributors claim with).
// Submit, train and finish are signed with the policy buyer's wallet key (--key/--keystore)
// for this chain's JobEscrow; the enclave refuses them from anyone else.
import { readFileSync, writeFileSync } from 'node:fs';
import { isAddress, type Hex } from 'viem';
import { CliUsageError, EXIT_OK, parseCli, runCliCommand, type CliCommand, type CliIo } from '@audata/wire';
import { generateBuyerKey, openRelease, readBuyerKey, writeBuyerKey } from '../jobs/buyer-key.ts';
import { JobInputError } from '../jobs/errors.ts';
import { serializeSharesFile } from '../jobs/shares-file.ts';
import { createBuyerSigner, finishJob, submitJob, type BuyerRequestSigner } from '../jobs/sign.ts';
import { trainJob } from '../jobs/train.ts';
import { HttpJobTransport, type JobKind } from '../jobs/transport.ts';
import { createWalletClient, http } from 'viem';
import { publicClientFor } from '../sdk/chain.ts';
import { payForJob } from '../jobs/pay.ts';
import { resolveAccount, resolveConfig } from './options.ts';

const USAGE = [
  'audata job keygen --out FILE',
  'audata job pay --job-id HEX --policy ID --escrow ADDR --key HEX|--keystore FILE [--rpc URL]',
  'audata job submit --job-id HEX --policy ID --kind features|gradients|aggregates --model FILE --key-file FILE [--params JSON] SIGNING [--host URL]',
  'audata job status JOB_ID [--host URL]',
  'audata job result JOB_ID --key-file FILE [--out FILE] [--host URL]',
  'audata job train JOB_ID --key-file FILE --parameters P --steps N --lr X --sample-rate Q --noise-multiplier S --clip C [--init FILE] [--out FILE] SIGNING [--host URL]',
  'audata job finish JOB_ID [--shares-out FILE] SIGNING [--host URL]',
  'SIGNING: --key HEX|--keystore FILE (the policy buyer) --escrow ADDR [--rpc URL | --chain-id N] [--ttl SECONDS]',
].join('\n       ');

const options = {
  host: { type: 'string' },
  config: { type: 'string' },
  out: { type: 'string' },
  'job-id': { type: 'string' },
  policy: { type: 'string' },
  kind: { type: 'string' },
  model: { type: 'string' },
  'key-file': { type: 'string' },
  params: { type: 'string' },
  parameters: { type: 'string' },
  steps: { type: 'string' },
  lr: { type: 'string' },
  'sample-rate': { type: 'string' },
  'noise-multiplier': { type: 'string' },
  clip: { type: 'string' },
  init: { type: 'string' },
  'shares-out': { type: 'string' },
  escrow: { type: 'string' },
  rpc: { type: 'string' },
  key: { type: 'string' },
  keystore: { type: 'string' },
  'chain-id': { type: 'string' },
  ttl: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

const isBytes32 = (v: string | undefined): v is Hex => v !== undefined && /^0x[0-9a-fA-F]{64}$/.test(v);

function need(value: string | undefined, flag: string): string {
  if (value === undefined) throw new CliUsageError(`--${flag} is required.`, USAGE);
  return value;
}

function num(value: string | undefined, flag: string, ok: (x: number) => boolean, expected: string): number {
  const x = Number(need(value, flag));
  if (!ok(x)) throw new CliUsageError(`--${flag} must be ${expected}; received "${value}".`, USAGE);
  return x;
}

function readBytes(path: string, what: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(path));
  } catch (error) {
    throw new JobInputError(`${what} ${path}`, `cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

function output(io: CliIo, path: string | undefined, text: string): void {
  if (path === undefined) io.stdout(text);
  else writeFileSync(path, text);
}

/**
 * The buyer's request signer. Deadlines follow the chain's latest block time read over the RPC
 * (the enclave's clock); with --chain-id no RPC is asked and this machine's clock is used.
 */
async function buyerSigner(values: { key?: string | undefined; keystore?: string | undefined; escrow?: string | undefined; rpc?: string | undefined; config?: string | undefined; host?: string | undefined; 'chain-id'?: string | undefined; ttl?: string | undefined }): Promise<BuyerRequestSigner> {
  const account = resolveAccount(values, USAGE);
  const escrow = need(values.escrow, 'escrow');
  if (!isAddress(escrow)) throw new CliUsageError('--escrow must be the JobEscrow address.', USAGE);
  const ttl = values.ttl === undefined ? {} : { ttlSeconds: BigInt(num(values.ttl, 'ttl', (x) => Number.isSafeInteger(x) && x >= 1, 'a positive integer of seconds')) };
  if (values['chain-id'] !== undefined) {
    const chainId = num(values['chain-id'], 'chain-id', (x) => Number.isSafeInteger(x) && x >= 1, 'a positive integer');
    return createBuyerSigner({ account, chainId, jobEscrow: escrow, ...ttl });
  }
  const client = await publicClientFor(values.rpc ?? resolveConfig(values).rpcUrl);
  return createBuyerSigner({ account, chainId: client.chain.id, jobEscrow: escrow, now: async () => (await client.getBlock({ blockTag: 'latest' })).timestamp, ...ttl });
}

export const job: CliCommand = (argv, io) =>
  runCliCommand(io, async () => {
    const { values, positionals } = parseCli(argv, options, USAGE);
    if (values.help === true || positionals.length === 0) {
      io.stdout(`Usage: ${USAGE}\n\nThe buyer pays JobEscrow for --job-id under the policy before submitting. Every release is sealed\nto the key from keygen; the host relays but cannot read it.\n`);
      return EXIT_OK;
    }
    const [sub, jobIdArg] = positionals;
    if (sub === 'keygen') {
      const key = await generateBuyerKey();
      writeBuyerKey(need(values.out, 'out'), key);
      io.stdout(`wrote a new X25519 buyer key to ${values.out!}\n`);
      return EXIT_OK;
    }
    if (sub === 'pay') {
      const jobId = need(values['job-id'], 'job-id');
      if (!isBytes32(jobId)) throw new CliUsageError('--job-id must be 32 bytes of hex.', USAGE);
      const policy = need(values.policy, 'policy');
      if (!/^[0-9]+$/.test(policy)) throw new CliUsageError('--policy must be a decimal policy id.', USAGE);
      const escrow = need(values.escrow, 'escrow');
      if (!isAddress(escrow)) throw new CliUsageError('--escrow must be the JobEscrow address.', USAGE);
      const account = resolveAccount(values, USAGE);
      const rpcUrl = values.rpc ?? resolveConfig(values).rpcUrl;
      const client = await publicClientFor(rpcUrl);
      const wallet = createWalletClient({ chain: client.chain, transport: http(rpcUrl), account });
      const { price, txHash } = await payForJob({ client, wallet, escrow, jobId, policyId: BigInt(policy) });
      io.stdout(`paid ${price} wei for job ${jobId} under policy ${policy} in ${txHash}\n`);
      return EXIT_OK;
    }
    const transport = new HttpJobTransport((values.host ?? resolveConfig(values).hostUrl).replace(/\/+$/, ''));
    if (sub === 'submit') {
      const jobId = need(values['job-id'], 'job-id');
      if (!isBytes32(jobId)) throw new CliUsageError('--job-id must be 32 bytes of hex.', USAGE);
      const policy = need(values.policy, 'policy');
      if (!/^[0-9]+$/.test(policy)) throw new CliUsageError('--policy must be a decimal policy id.', USAGE);
      const kind = need(values.kind, 'kind') as JobKind;
      if (!['features', 'gradients', 'aggregates'].includes(kind)) throw new CliUsageError('--kind must be features, gradients or aggregates.', USAGE);
      let params: Record<string, unknown> | undefined;
      if (values.params !== undefined) {
        try {
          params = JSON.parse(values.params) as Record<string, unknown>;
        } catch {
          throw new CliUsageError('--params must be JSON.', USAGE);
        }
      }
      const key = await readBuyerKey(need(values['key-file'], 'key-file'));
      const model = readBytes(need(values.model, 'model'), 'The model file');
      const signer = await buyerSigner(values);
      const view = await submitJob(transport, signer, { jobId, policyId: BigInt(policy), buyer: signer.address, kind, model, buyerKey: key.publicKey, ...(params === undefined ? {} : { params }) });
      io.stdout(`${JSON.stringify(view)}\n`);
      return EXIT_OK;
    }
    if (!isBytes32(jobIdArg) || positionals.length !== 2) throw new CliUsageError(`Expected: ${sub ?? ''} JOB_ID (32 bytes of hex).`, USAGE);
    const jobId = jobIdArg;
    switch (sub) {
      case 'status':
        io.stdout(`${JSON.stringify(await transport.status(jobId))}\n`);
        return EXIT_OK;
      case 'result': {
        const key = await readBuyerKey(need(values['key-file'], 'key-file'));
        output(io, values.out, `${JSON.stringify(await openRelease(await transport.result(jobId), key))}\n`);
        return EXIT_OK;
      }
      case 'train': {
        const key = await readBuyerKey(need(values['key-file'], 'key-file'));
        const P = num(values.parameters, 'parameters', (x) => Number.isSafeInteger(x) && x >= 1, 'a positive integer');
        let initial = new Float64Array(P);
        if (values.init !== undefined) {
          const raw = JSON.parse(new TextDecoder().decode(readBytes(values.init, 'The initial parameters file'))) as unknown;
          if (!Array.isArray(raw) || raw.length !== P || !raw.every((v) => typeof v === 'number' && Number.isFinite(v))) throw new JobInputError(`The initial parameters file ${values.init}`, `is not a JSON list of ${P} numbers`);
          initial = Float64Array.from(raw as number[]);
        }
        const signer = await buyerSigner(values);
        const result = await trainJob(transport, signer, key, jobId, initial, {
          steps: num(values.steps, 'steps', (x) => Number.isSafeInteger(x) && x >= 1, 'a positive integer'),
          learningRate: num(values.lr, 'lr', (x) => x > 0 && Number.isFinite(x), 'a number > 0'),
          sampleRate: num(values['sample-rate'], 'sample-rate', (x) => x > 0 && x <= 1, 'in (0, 1]'),
          noiseMultiplier: num(values['noise-multiplier'], 'noise-multiplier', (x) => x > 0 && Number.isFinite(x), 'a number > 0'),
          clipNorm: num(values.clip, 'clip', (x) => x > 0 && Number.isFinite(x), 'a number > 0'),
          onStep: (step, _p, epsilon) => io.stderr(`step ${step}: epsilon spent ${epsilon.toFixed(4)}\n`),
        });
        output(io, values.out, `${JSON.stringify(Array.from(result.parameters))}\n`);
        return EXIT_OK;
      }
      case 'finish': {
        const finished = await finishJob(transport, await buyerSigner(values), jobId);
        const r = finished.receipt;
        io.stdout(`${JSON.stringify({ receipt: { ...r, policyId: r.policyId.toString(), epsilonSpent: r.epsilonSpent.toString(), deadline: r.deadline.toString() }, signature: finished.signature })}\n`);
        if (values['shares-out'] !== undefined && finished.shares.length > 0) writeFileSync(values['shares-out'], serializeSharesFile({ jobId, sharesRoot: r.sharesRoot, shares: finished.shares }));
        return EXIT_OK;
      }
      default:
        throw new CliUsageError(`Unknown job subcommand "${sub ?? ''}".`, USAGE);
    }
  });
