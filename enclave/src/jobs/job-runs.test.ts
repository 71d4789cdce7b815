import { expect } from 'chai';
import { keccak256, toHex } from 'viem';
import { MemoryLedgerStorage } from '../privacy/ledger.ts';
import { JOB_RUNS_KEY, JobRuns } from './job-runs.ts';

const id = (n: number) => keccak256(toHex(`job ${n}`));
const code = (p: Promise<unknown>) => p.then(() => 'OK', (e: { code?: string }) => e.code ?? String(e));

describe('JobRuns (started jobs in the sealed ledger storage)', () => {
  it('round-trips through storage: started, advanced, finished', async () => {
    const storage = new MemoryLedgerStorage();
    const runs = await JobRuns.open(storage);
    await runs.start(id(1), 2_000n, 1_000n);
    await runs.advance(id(1), 3);
    await runs.start(id(2), 2_000n, 1_000n);
    await runs.finish(id(2));
    const again = await JobRuns.open(storage);
    expect(again.get(id(1))).to.deep.equal({ deadline: 2_000n, releases: 3, finished: false });
    expect(again.get(id(2).toUpperCase().replace('0X', '0x') as `0x${string}`)).to.deep.equal({ deadline: 2_000n, releases: 0, finished: true });
    expect(again.get(id(3))).to.equal(undefined);
  });

  it('refuses a new job at the cap until the earliest submission expires (JOB_RUNS_FULL)', async () => {
    const runs = await JobRuns.open(new MemoryLedgerStorage(), 2);
    await runs.start(id(1), 1_500n, 1_000n);
    await runs.start(id(2), 1_800n, 1_000n);
    const full = await runs.start(id(3), 2_000n, 1_000n).then(() => undefined, (e: { code: string; details: Record<string, unknown> }) => e);
    expect(full?.code).to.equal('JOB_RUNS_FULL');
    expect(full?.details).to.deep.include({ max: 2, earliestExpiry: '1500' });
    await runs.start(id(3), 2_000n, 1_501n);
    expect([runs.get(id(1)), runs.size]).to.deep.equal([undefined, 2]);
  });

  it('refuses stored records that are not exactly well formed (PRIVACY_LEDGER_CORRUPT), and oversized ones before parsing', async () => {
    const bad = [
      'not json',
      '{"v":2,"runs":[]}',
      '{"v":1,"runs":{}}',
      `{"v":1,"runs":[["${id(1).toUpperCase()}","5",0,false]]}`,
      `{"v":1,"runs":[["${id(1)}",5,0,false]]}`,
      `{"v":1,"runs":[["${id(1)}","5",-1,false]]}`,
      `{"v":1,"runs":[["${id(1)}","5",0,"no"]]}`,
      `{"v":1,"runs":[["${id(1)}","5",0,false],["${id(1)}","6",0,false]]}`,
      ' '.repeat(256 * 1024 + 1),
    ];
    for (const text of bad) {
      const storage = new MemoryLedgerStorage();
      storage.entries.set(JOB_RUNS_KEY, new TextEncoder().encode(text));
      expect(await code(JobRuns.open(storage)), text.slice(0, 60)).to.equal('PRIVACY_LEDGER_CORRUPT');
    }
  });
});
