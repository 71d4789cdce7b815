// Runs the dev KMS on loopback for local work: its policy allows the PCR0 of the last
// `make measure`, and it trusts the dev CA root the simulated enclave writes. Dev only.
// Usage: npx tsx enclave/src/kms/dev-kms-main.ts  (env: AUDATA_DEV_KMS_PORT, AUDATA_KMS_KEY_ID,
// AUDATA_DEV_CA_ROOT, AUDATA_MEASUREMENT, AUDATA_DEV_KMS_MASTER_KEY, AUDATA_DEV_KMS_ACCESS_KEY_ID:
// when set, only requests signed with that access key id are served)
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { createDevKmsServer } from './dev-kms-server.ts';

const env = process.env;
const port = Number(env.AUDATA_DEV_KMS_PORT ?? '4599');
const keyId = env.AUDATA_KMS_KEY_ID ?? 'arn:aws:kms:us-east-1:000000000000:key/dev';
const rootPath = env.AUDATA_DEV_CA_ROOT ?? '.data/dev-ca-root.pem';
const measurementPath = env.AUDATA_MEASUREMENT ?? 'build/enclave/measurement.json';
const masterKeyPath = env.AUDATA_DEV_KMS_MASTER_KEY ?? '.data/dev-kms-master.key';

for (const [path, what] of [[rootPath, 'the dev CA root (start the simulated enclave once)'], [measurementPath, 'the measurement (run make measure)']] as const) {
  if (!existsSync(path)) {
    console.error(`DEV_KMS_CONFIG_INVALID: ${path} is missing: ${what}.`);
    process.exit(1);
  }
}
if (!existsSync(masterKeyPath)) {
  mkdirSync(dirname(masterKeyPath), { recursive: true });
  writeFileSync(masterKeyPath, randomBytes(32), { mode: 0o600 });
}
const { pcr0 } = JSON.parse(readFileSync(measurementPath, 'utf8')) as { pcr0: string };
const server = createDevKmsServer({
  keyId,
  masterKey: new Uint8Array(readFileSync(masterKeyPath)),
  policy: { imageSha384: [pcr0] },
  attestationRoot: readFileSync(rootPath, 'utf8'),
  ...(env.AUDATA_DEV_KMS_ACCESS_KEY_ID === undefined || env.AUDATA_DEV_KMS_ACCESS_KEY_ID === '' ? {} : { accessKeyId: env.AUDATA_DEV_KMS_ACCESS_KEY_ID }),
});
server.listen(port, '127.0.0.1', () => console.log(`dev KMS on http://127.0.0.1:${port}, key ${keyId}, allows PCR0 ${pcr0.slice(0, 16)}...`));
