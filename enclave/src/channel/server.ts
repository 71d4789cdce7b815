// The enclave's end of the channel (wire/src/channel.ts): it decodes frames, validates each
// request against its schema, dispatches it to a handler and answers with a response or a
// typed error frame. A bad frame costs its sender the request or the connection, never the
// enclave: nothing a peer sends can throw out of this server.
import { createServer, type Server, type Socket } from 'node:net';
import {
  ChannelFrameMalformedError,
  DEFAULT_MAX_FRAME_BYTES,
  FrameDecoder,
  FrameKind,
  encodeFrame,
  isAudataError,
  validateRequest,
  type ChannelRequests,
  type DecodedFrame,
  type ChannelResponses,
  type RequestType,
} from '@audata/wire';

/** Requests in hand (running or waiting for their lane) on one connection before it stops being read. */
const MAX_QUEUED_FRAMES = 4;

/**
 * Requests that must be handled in the order they came: a session's chunks and its finish, a
 * job's requests, the boot-time state restore. Anything else has a lane of its own, so one
 * connection can carry several files' scoring at once (the enclave scores on several threads)
 * and an attestation or an anchor does not wait behind a file. Replies carry their request's
 * id, so the host matches them whatever order they come in.
 */
function laneOf(json: Record<string, unknown>): string | undefined {
  const type = json['type'];
  if (type === 'contribution.chunk' || type === 'contribution.finish') return `session ${String(json['session'])}`;
  if (typeof type === 'string' && type.startsWith('job.')) return typeof json['jobId'] === 'string' ? `job ${json['jobId'].toLowerCase()}` : 'job.submit';
  if (type === 'boot' || type === 'state' || type === 'state.segments' || type === 'state.ready') return 'state';
  return undefined;
}

export interface HandlerResult<T extends RequestType> {
  body: ChannelResponses[T];
  binary?: Uint8Array;
}

export type ChannelHandlers = {
  [T in RequestType]: (body: ChannelRequests[T], binary: Uint8Array) => Promise<HandlerResult<T>>;
};

export interface ChannelServerOptions {
  handlers: ChannelHandlers;
  maxFrameBytes?: number;
  /** Told about failures that are the enclave's own bugs; never given request bytes. */
  onInternalError?: (error: unknown) => void;
}

/** A net.Server; the caller chooses where it listens (a port, a Unix socket path). */
export function createChannelServer(options: ChannelServerOptions): Server {
  return createServer((socket) => serveConnection(socket, options));
}

function serveConnection(socket: Socket, options: ChannelServerOptions): void {
  const decoder = new FrameDecoder(options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES);
  // The tail of each ordered lane; a lane is forgotten once its last request is done.
  const lanes = new Map<string, Promise<void>>();
  let waiting = 0;
  const send = (kind: FrameKind, id: number, json: Record<string, unknown>, binary: Uint8Array = new Uint8Array(0)) => {
    if (!socket.destroyed) socket.write(encodeFrame({ kind, id, json, binary }));
  };
  const sendError = (id: number, error: unknown) => {
    if (isAudataError(error)) send(FrameKind.error, id, { code: error.code, message: error.message, details: error.details });
    else {
      options.onInternalError?.(error);
      send(FrameKind.error, id, { code: 'INTERNAL', message: 'The enclave failed to handle the request.', details: {} });
    }
  };
  socket.on('error', () => socket.destroy());
  socket.on('data', (data: Buffer) => {
    let frames;
    try {
      frames = decoder.push(new Uint8Array(data.buffer, data.byteOffset, data.length));
    } catch (error) {
      // Oversized: the next frame boundary is lost, so answer once and hang up.
      sendError(0, error);
      socket.end();
      socket.removeAllListeners('data');
      return;
    }
    for (const decoded of frames) {
      // Backpressure: a peer that pipelines faster than the enclave answers stops being read,
      // so frames in hand (up to the frame limit each) cannot pile up in memory.
      waiting += 1;
      if (waiting >= MAX_QUEUED_FRAMES) socket.pause();
      const lane = decoded.ok ? laneOf(decoded.frame.json) : undefined;
      const run = (lane === undefined ? Promise.resolve() : (lanes.get(lane) ?? Promise.resolve())).then(async () => {
        try {
          await handle(decoded);
        } finally {
          waiting -= 1;
          if (waiting < MAX_QUEUED_FRAMES && socket.isPaused()) socket.resume();
        }
      });
      if (lane !== undefined) {
        lanes.set(lane, run);
        void run.then(() => {
          if (lanes.get(lane) === run) lanes.delete(lane);
        });
      }
    }
  });
  const handle = async (decoded: DecodedFrame) => {
    if (!decoded.ok) return sendError(decoded.id, decoded.error);
    const { frame } = decoded;
    if (frame.kind !== FrameKind.request) {
      return sendError(frame.id, new ChannelFrameMalformedError(`the enclave accepts requests only, received kind ${frame.kind}`));
    }
    try {
      const type = validateRequest(frame.json);
      const { type: _, ...body } = frame.json;
      const handler = options.handlers[type] as (body: unknown, binary: Uint8Array) => Promise<HandlerResult<RequestType>>;
      const result = await handler(body, frame.binary);
      send(FrameKind.response, frame.id, { type, ...result.body }, result.binary);
    } catch (error) {
      sendError(frame.id, error);
    }
  };
}
