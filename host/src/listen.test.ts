import { expect } from 'chai';
import { listen, PortInUseError } from './listen.ts';

describe('listen', () => {
  it('serves on an ephemeral loopback port and closes', async () => {
    const running = await listen((_req, res) => res.end('ok'), { port: 0, bind: '127.0.0.1' });
    try {
      expect(running.url).to.equal(`http://127.0.0.1:${running.port}`);
      expect(await (await fetch(running.url)).text()).to.equal('ok');
    } finally {
      await running.close();
    }
  });

  it('gives HOST_PORT_IN_USE when the port is taken', async () => {
    const first = await listen((_req, res) => res.end(), { port: 0, bind: '127.0.0.1' });
    try {
      const error = await listen((_req, res) => res.end(), { port: first.port, bind: '127.0.0.1' }).then(
        () => expect.fail('second listen should fail'),
        (e: unknown) => e,
      );
      expect(error).to.be.instanceOf(PortInUseError);
      expect((error as PortInUseError).code).to.equal('HOST_PORT_IN_USE');
      expect((error as PortInUseError).details).to.deep.equal({ bind: '127.0.0.1', port: first.port });
    } finally {
      await first.close();
    }
  });
});
