// The host as its own process: HTTP API, enclave channel client, chain writer and scoring
// worker (host/src/worker/service.ts), configured from the environment. Keys come only from
// the environment. Used by `make run`; the same entry serves a real deployment.
import { readFileSync } from 'node:fs';
import { isAddress, type Address, type Hex } from 'viem';
import { anchorCadenceFromEnv } from '../../host/src/chain/anchorer.ts';
import { loadConfig } from '../../host/src/config.ts';
import { enclaveCredentialsFromEnv } from '../../host/src/enclave-credentials.ts';
import { startService } from '../../host/src/worker/service.ts';

function required(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') {
    console.error(`HOST_CONFIG_INVALID: ${name} is not set.`);
    process.exit(1);
  }
  return value;
}
const address = (name: string): Address => {
  const value = required(name);
  if (!isAddress(value)) {
    console.error(`HOST_CONFIG_INVALID: ${name} is not an address.`);
    process.exit(1);
  }
  return value;
};

const enclave = required('AUDATA_ENCLAVE_ADDRESS');
const tcp = /^([0-9.]+|localhost):(\d{1,5})$/.exec(enclave);
const rootPath = process.env.AUDATA_DEV_CA_ROOT;
try {
  // AUDATA_ENCLAVE_AWS_CREDENTIALS=1: the enclave's KMS calls sign with this host's own role.
  const enclaveCredentials = enclaveCredentialsFromEnv(process.env);
  const service = await startService({
    config: loadConfig(process.env, process.argv.slice(2)),
    enclaveAddress: tcp === null ? { path: enclave } : { host: tcp[1]!, port: Number(tcp[2]) },
    chain: {
      rpcUrl: required('AUDATA_RPC_URL'),
      operatorKey: required('AUDATA_OPERATOR_KEY') as Hex,
      enclaveRegistry: address('AUDATA_ENCLAVE_REGISTRY'),
      contributionRegistry: address('AUDATA_CONTRIBUTION_REGISTRY'),
      ...(process.env.AUDATA_ACCESS_POLICY_REGISTRY === undefined ? {} : { accessPolicyRegistry: address('AUDATA_ACCESS_POLICY_REGISTRY') }),
      ...(process.env.AUDATA_AUDIT_ANCHOR === undefined ? {} : { auditAnchor: address('AUDATA_AUDIT_ANCHOR') }),
      measurementId: required('AUDATA_MEASUREMENT_ID') as Hex,
      ...(rootPath === undefined ? {} : { attestationRoot: readFileSync(rootPath, 'utf8') }),
      // Block time of the chain decides how often receipts are worth asking for (anvil mines at once).
      pollingIntervalMs: Number(process.env.AUDATA_CHAIN_POLL_MS ?? '1000'),
    },
    idleMs: Number(process.env.AUDATA_WORKER_IDLE_MS ?? '100'),
    // With AUDATA_AUDIT_ANCHOR: anchor every AUDATA_ANCHOR_EVERY_STATES-th state, or after AUDATA_ANCHOR_EVERY_SECONDS.
    anchorCadence: anchorCadenceFromEnv(process.env),
    ...(enclaveCredentials === undefined ? {} : { enclaveCredentials }),
  });
  console.log(`host: ready on ${service.host.listening.url}, enclave signer ${service.enclave.boot?.signer}`);
  const shutdown = () => void service.close().then(() => process.exit(0));
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
} catch (error) {
  const e = error as { code?: string; message?: string; hint?: string };
  console.error(`${e.code ?? 'INTERNAL'}: ${e.message ?? String(error)}${e.hint === undefined ? '' : ` ${e.hint}`}`);
  process.exit(1);
}
