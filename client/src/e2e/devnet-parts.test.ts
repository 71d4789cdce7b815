import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensurePortFree, freePort, portsFromEnv } from '../../../scripts/devnet/ports.ts';
import { startProcess } from '../../../scripts/devnet/processes.ts';

const code = (p: Promise<unknown>) => p.then(() => 'none', (e: { code?: string }) => e.code ?? String(e));

describe('devnet parts: ports and child processes', () => {
  let dir: string;
  before(() => void (dir = mkdtempSync(join(tmpdir(), 'audata-devnet-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('reads ports from the environment with defaults, and refuses a malformed one', () => {
    expect(portsFromEnv({})).to.deep.equal({ anvil: 8545, kms: 4599, enclave: 7100, host: 8787 });
    expect(portsFromEnv({ AUDATA_HOST_PORT: '9000' }).host).to.equal(9000);
    expect(() => portsFromEnv({ AUDATA_ANVIL_PORT: '70000' })).to.throw().with.property('code', 'DEVNET_CONFIG_INVALID');
  });

  it('names the service and the variable when a port is taken', async () => {
    const port = await freePort();
    await ensurePortFree('host', port);
    const server = createServer().listen(port, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    try {
      const error = await ensurePortFree('host', port).then(() => undefined, (e: { code: string; hint: string }) => e);
      expect(error?.code).to.equal('DEVNET_PORT_IN_USE');
      expect(error?.hint).to.contain('AUDATA_HOST_PORT');
    } finally {
      server.close();
    }
  });

  it('waits for a ready line, logs the output, and reports a process that dies first', async () => {
    const ok = await startProcess({ name: 'echo', command: process.execPath, args: ['-e', "console.log('warming'); console.log('ready now'); setTimeout(() => {}, 10000)"], env: process.env, logFile: join(dir, 'ok.log'), ready: /ready now/ });
    expect(ok.readyLine).to.equal('ready now');
    await ok.stop();
    expect(readFileSync(join(dir, 'ok.log'), 'utf8')).to.contain('warming');
    expect(await code(startProcess({ name: 'dies', command: process.execPath, args: ['-e', 'process.exit(3)'], env: process.env, logFile: join(dir, 'dies.log'), ready: /never/ }))).to.equal('DEVNET_PROCESS_FAILED');
  });
});
