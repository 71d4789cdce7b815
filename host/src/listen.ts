// Starts an HTTP server for a request handler and turns the bind errors an operator can fix
// (a port already taken) into typed errors, instead of an unhandled 'error' event.
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HostError } from './errors.ts';

export class PortInUseError extends HostError {
  override name = 'PortInUseError';
  constructor(bind: string, port: number) {
    super('HOST_PORT_IN_USE', `Port ${port} on ${bind} is already in use.`, {
      details: { bind, port },
      hint: 'Stop the process holding it, or pick another port with --port or AUDATA_HOST_PORT.',
    });
  }
}

export interface Listening {
  server: Server;
  /** Base URL, e.g. http://127.0.0.1:8787 */
  url: string;
  port: number;
  close(): Promise<void>;
}

export function listen(handler: RequestListener, options: { port: number; bind: string }): Promise<Listening> {
  const server = createServer(handler);
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      server.removeListener('listening', onListening);
      reject(error.code === 'EADDRINUSE' ? new PortInUseError(options.bind, options.port) : error);
    };
    const onListening = () => {
      server.removeListener('error', onError);
      const { port } = server.address() as AddressInfo;
      const host = options.bind.includes(':') ? `[${options.bind}]` : options.bind;
      resolve({
        server,
        url: `http://${host}:${port}`,
        port,
        close: () =>
          new Promise<void>((done, fail) => {
            server.close((error) => (error ? fail(error) : done()));
            server.closeAllConnections();
          }),
      });
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(options.port, options.bind);
  });
}
