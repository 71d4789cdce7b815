// A scoring thread for the pool's crash test: the real worker (scoring-worker.ts), except that a
// file starting with CRASH throws outside any handler, as a bug or a native fault would kill it.
import { parentPort } from 'node:worker_threads';

const CRASH = [0x43, 0x52, 0x41, 0x53, 0x48]; // "CRASH"

// Registered before the real worker's listener, so it sees the request first.
parentPort?.on('message', (request: { audio?: Uint8Array }) => {
  if (request.audio !== undefined && CRASH.every((b, i) => request.audio![i] === b)) {
    throw new Error('scoring thread crashed on purpose');
  }
});

await import('../scoring-worker.ts');
