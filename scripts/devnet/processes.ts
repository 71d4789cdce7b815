// Child processes of the devnet: started with their output in a log file, ready when a line
// matches, stopped by their own pid (SIGTERM, then SIGKILL).
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { DevnetProcessError } from './errors.ts';

export interface ServiceProcess {
  name: string;
  child: ChildProcess;
  logFile: string;
  /** The first line that matched the ready pattern. */
  readyLine: string;
  stop(signal?: NodeJS.Signals): Promise<void>;
  exited: Promise<number | null>;
}

export async function startProcess(params: {
  name: string;
  command: string;
  args: readonly string[];
  env: NodeJS.ProcessEnv;
  logFile: string;
  ready: RegExp;
  timeoutMs?: number;
  cwd?: string;
}): Promise<ServiceProcess> {
  const log = createWriteStream(params.logFile, { flags: 'a' });
  const child = spawn(params.command, [...params.args], { env: params.env, cwd: params.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  // 'close', not 'exit': it fires only after the child's output pipes have drained.
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  // A devnet process never outlives the process that started it, however that one ends.
  const orphanGuard = () => void child.kill('SIGKILL');
  process.once('exit', orphanGuard);
  void exited.then(() => process.removeListener('exit', orphanGuard));
  let buffered = '';
  const readyLine = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new DevnetProcessError(params.name, `did not become ready within ${params.timeoutMs ?? 60_000} ms`, params.logFile));
    }, params.timeoutMs ?? 60_000);
    const onData = (chunk: Buffer) => {
      log.write(chunk);
      buffered += chunk.toString('utf8');
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        if (params.ready.test(line)) {
          clearTimeout(timer);
          resolve(line);
        }
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(new DevnetProcessError(params.name, `could not start (${error.message})`, params.logFile));
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new DevnetProcessError(params.name, `exited with status ${code} before it was ready`, params.logFile));
    });
  });
  // Keep draining output so the child never blocks on a full pipe.
  child.stdout!.removeAllListeners('data');
  child.stderr!.removeAllListeners('data');
  child.stdout!.on('data', (c: Buffer) => log.write(c));
  child.stderr!.on('data', (c: Buffer) => log.write(c));
  const logClosed = exited.then(() => new Promise<void>((resolve) => log.end(resolve)));
  return {
    name: params.name,
    child,
    logFile: params.logFile,
    readyLine,
    exited,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return logClosed;
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      child.kill(signal);
      await exited;
      clearTimeout(timer);
      await logClosed;
    },
  };
}
