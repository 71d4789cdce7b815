// A Nitro enclave has no instance metadata service, so an enclave that signs its KMS calls with
// the host's credentials (AUDATA_KMS_CREDENTIALS=host) gets them from the parent instance's own
// role, resolved here by the AWS SDK's default chain and handed over by ChannelEnclaveClient.
import { S3Client } from '@aws-sdk/client-s3';
import { ConfigError } from './config.ts';
import type { AwsCredentialIdentity } from '@audata/wire';

/**
 * AUDATA_ENCLAVE_AWS_CREDENTIALS=1: the host's credentials from the SDK's default chain
 * (environment, shared files, instance role via IMDS), memoized and renewed by the SDK before
 * they expire. Unset or 0: none (the enclave finds its own, as the simulated one does).
 */
export function enclaveCredentialsFromEnv(env: Readonly<Record<string, string | undefined>>): (() => Promise<AwsCredentialIdentity>) | undefined {
  const flag = env.AUDATA_ENCLAVE_AWS_CREDENTIALS;
  if (flag === undefined || flag === '' || flag === '0') return undefined;
  if (flag !== '1') throw new ConfigError('AUDATA_ENCLAVE_AWS_CREDENTIALS', '1 or 0', JSON.stringify(flag));
  // Any SDK client carries the default chain; this one is the host's own dependency and sends nothing.
  const client = new S3Client({ region: env.AWS_REGION ?? 'us-east-1' });
  return () => client.config.credentials();
}
