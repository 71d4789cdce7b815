// The host's end of the enclave channel (wire/src/channel.ts): it sends typed requests over
// one connection and validates every answer, since the enclave's bytes cross a boundary too.
import { connect, type Socket } from 'node:net';
import {
  ChannelClosedError,
  ChannelTimeoutError,
  DEFAULT_MAX_FRAME_BYTES,
  FrameDecoder,
  FrameKind,
  encodeFrame,
  remoteErrorOf,
  validateResponse,
  type ChannelError,
  type ChannelRequests,
  type ChannelResponses,
  type RequestType,
} from './channel.ts';
import type { EnvelopeHeaderJson } from './envelope.ts';

/** Where the enclave listens: a Unix socket path or a TCP port (loopback in dev; socat bridges vsock in Nitro). */
export type ChannelAddress = { path: string } | { host?: string; port: number };

export interface ChannelReply<T extends RequestType> {
  body: ChannelResponses[T];
  binary: Uint8Array;
}

export interface ChannelClient {
  /** `options.timeoutMs` overrides the connection's timeout for this request alone. */
  request<T extends RequestType>(type: T, body: ChannelRequests[T], binary?: Uint8Array, options?: { timeoutMs?: number }): Promise<ChannelReply<T>>;
  close(): void;
}

interface Pending {
  type: RequestType;
  resolve(reply: ChannelReply<RequestType>): void;
  reject(error: unknown): void;
  timer: NodeJS.Timeout;
}

export async function connectChannel(address: ChannelAddress, options: { timeoutMs?: number; maxFrameBytes?: number } = {}): Promise<ChannelClient> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const socket: Socket = await new Promise((resolve, reject) => {
    const s = 'path' in address ? connect(address.path) : connect(address.port, address.host ?? '127.0.0.1');
    s.once('connect', () => resolve(s));
    s.once('error', (error) => reject(new ChannelClosedError(`cannot connect (${error.message})`)));
  });
  const decoder = new FrameDecoder(options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES);
  const pending = new Map<number, Pending>();
  let nextId = 1;
  let closed: ChannelError | undefined;

  const failAll = (error: ChannelError) => {
    closed ??= error;
    for (const [id, p] of pending) {
      clearTimeout(p.timer);
      p.reject(error);
      pending.delete(id);
    }
  };
  socket.on('data', (data: Buffer) => {
    let frames;
    try {
      frames = decoder.push(new Uint8Array(data.buffer, data.byteOffset, data.length));
    } catch (error) {
      failAll(error as ChannelError);
      socket.destroy();
      return;
    }
    for (const decoded of frames) {
      if (!decoded.ok) {
        const p = pending.get(decoded.id);
        if (p !== undefined) {
          pending.delete(decoded.id);
          clearTimeout(p.timer);
          p.reject(decoded.error);
        }
        continue;
      }
      const { frame } = decoded;
      const p = pending.get(frame.id);
      if (p === undefined) {
        // An error about a frame the enclave could not attribute ends every request on this connection.
        if (frame.kind === FrameKind.error && frame.id === 0) failAll(remoteErrorOf(frame.json));
        continue;
      }
      pending.delete(frame.id);
      clearTimeout(p.timer);
      if (frame.kind === FrameKind.error) p.reject(remoteErrorOf(frame.json));
      else if (frame.kind !== FrameKind.response) p.reject(new ChannelClosedError('the enclave sent a request frame'));
      else {
        try {
          validateResponse(p.type, frame.json);
          const { type: _, ...body } = frame.json;
          p.resolve({ body: body as ChannelResponses[RequestType], binary: frame.binary });
        } catch (error) {
          p.reject(error);
        }
      }
    }
  });
  socket.on('error', (error) => failAll(new ChannelClosedError(error.message)));
  socket.on('close', () => failAll(new ChannelClosedError('the connection ended')));

  return {
    request<T extends RequestType>(type: T, body: ChannelRequests[T], binary: Uint8Array = new Uint8Array(0), options: { timeoutMs?: number } = {}): Promise<ChannelReply<T>> {
      if (closed !== undefined) return Promise.reject(closed);
      const id = nextId;
      nextId = nextId >= 0xffff_fffe ? 1 : nextId + 1;
      const waitMs = options.timeoutMs ?? timeoutMs;
      return new Promise<ChannelReply<T>>((resolve, reject) => {
        const timer = setTimeout(() => {
          pending.delete(id);
          reject(new ChannelTimeoutError(type, waitMs));
        }, waitMs);
        pending.set(id, { type, resolve: resolve as Pending['resolve'], reject, timer });
        socket.write(encodeFrame({ kind: FrameKind.request, id, json: { type, ...body }, binary }));
      });
    },
    close() {
      failAll(new ChannelClosedError('closed by this side'));
      socket.end();
    },
  };
}

/** Bytes per contribution.chunk: well under the default frame limit. */
export const DEFAULT_PIECE_BYTES = 8 * 1024 * 1024;

/**
 * Streams one sealed contribution to the enclave (begin, chunks, finish) and returns the
 * enclave's answer. Pieces of any size are regrouped so no frame exceeds `pieceBytes`.
 */
export async function submitContribution(
  client: ChannelClient,
  header: EnvelopeHeaderJson,
  ciphertext: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  pieceBytes = DEFAULT_PIECE_BYTES,
): Promise<ChannelResponses['contribution.finish']> {
  const { body } = await client.request('contribution.begin', { header });
  const send = (piece: Uint8Array) => client.request('contribution.chunk', { session: body.session }, piece);
  let pending: Uint8Array[] = [];
  let size = 0;
  for await (const part of ciphertext) {
    let offset = 0;
    while (offset < part.length) {
      const take = Math.min(pieceBytes - size, part.length - offset);
      pending.push(part.subarray(offset, offset + take));
      size += take;
      offset += take;
      if (size === pieceBytes) {
        await send(Buffer.concat(pending));
        pending = [];
        size = 0;
      }
    }
  }
  if (size > 0) await send(Buffer.concat(pending));
  return (await client.request('contribution.finish', { session: body.session })).body;
}
