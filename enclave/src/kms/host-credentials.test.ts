import { expect } from 'chai';
import { HostCredentials } from './host-credentials.ts';

describe('HostCredentials', () => {
  const secret = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
  const token = 'IQoJb3JpZ2luX2VjEXAMPLETOKEN';

  it('refuses with ENCLAVE_KMS_CREDENTIALS_MISSING until the host gives credentials, then serves the latest given', async () => {
    const holder = new HostCredentials();
    const missing = await holder.provider().catch((e: { code?: string; hint?: string }) => e);
    expect(missing).to.have.property('code', 'ENCLAVE_KMS_CREDENTIALS_MISSING');
    holder.set({ accessKeyId: 'ASIAFIRST', secretAccessKey: secret, sessionToken: token, expiration: '2030-01-01T00:00:00Z' });
    expect(await holder.provider()).to.deep.equal({ accessKeyId: 'ASIAFIRST', secretAccessKey: secret, sessionToken: token, expiration: new Date('2030-01-01T00:00:00Z') });
    holder.set({ accessKeyId: 'ASIASECOND', secretAccessKey: secret });
    expect(await holder.provider()).to.deep.equal({ accessKeyId: 'ASIASECOND', secretAccessKey: secret });
    // The SDK calls a provider marked memoized on every request instead of caching its first answer.
    expect(holder.provider.memoized).to.equal(true);
  });

  it('refuses expired credentials with ENCLAVE_KMS_CREDENTIALS_EXPIRED, naming the times and no secret', async () => {
    let now = new Date('2026-12-03T10:00:00Z');
    const holder = new HostCredentials({ now: () => now });
    holder.set({ accessKeyId: 'ASIAFIRST', secretAccessKey: secret, sessionToken: token, expiration: '2026-12-03T11:00:00Z' });
    expect((await holder.provider()).accessKeyId).to.equal('ASIAFIRST');
    now = new Date('2026-12-03T11:00:00Z');
    const expired = (await holder.provider().catch((e: unknown) => e)) as { code?: string; message: string; details: unknown; hint: string };
    expect(expired.code).to.equal('ENCLAVE_KMS_CREDENTIALS_EXPIRED');
    expect(expired.details).to.deep.equal({ expiration: '2026-12-03T11:00:00.000Z', now: '2026-12-03T11:00:00.000Z' });
    expect(`${expired.message} ${JSON.stringify(expired.details)} ${expired.hint}`).to.not.include(secret).and.not.include(token);
  });
});
