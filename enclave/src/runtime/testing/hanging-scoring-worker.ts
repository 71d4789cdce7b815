// A scoring thread for the pool's time-limit test: the real worker (scoring-worker.ts), except
// that a file starting with HANG spins before it is decoded, and a file ending with HANG spins
// once it is decoded, as a decoder or an analysis caught in a loop would.
import { parentPort } from 'node:worker_threads';

const HANG = [0x48, 0x41, 0x4e, 0x47]; // "HANG"

function spin(): never {
  for (;;) {
    // Never yields to the event loop: only terminate() ends it.
  }
}

if (parentPort !== null) {
  const port = parentPort;
  const afterDecode = new Set<number>();
  // Registered before the real worker's listener, so it sees (and may trim) the request first.
  port.on('message', (request: { id?: number; audio?: Uint8Array }) => {
    const audio = request.audio;
    if (request.id === undefined || audio === undefined) return;
    if (HANG.every((b, i) => audio[i] === b)) spin();
    if (HANG.every((b, i) => audio[audio.length - HANG.length + i] === b)) {
      afterDecode.add(request.id);
      request.audio = audio.subarray(0, audio.length - HANG.length);
    }
  });
  const post = port.postMessage.bind(port);
  port.postMessage = (message: unknown, transfer?: Parameters<typeof post>[1]) => {
    post(message, transfer);
    const m = message as { id?: number; decodedSeconds?: number };
    if (m.decodedSeconds !== undefined && m.id !== undefined && afterDecode.has(m.id)) spin();
  };
}

await import('../scoring-worker.ts');
