// Typed failures of the local devnet (`make run`), each naming what to do.
import { AudataError } from '@audata/wire';

export class DevnetError extends AudataError {
  override name = 'DevnetError';
}

export class DevnetPortInUseError extends DevnetError {
  override name = 'DevnetPortInUseError' as const;
  constructor(service: string, port: number, variable: string) {
    super('DEVNET_PORT_IN_USE', `Port ${port} on 127.0.0.1 (${service}) is already in use.`, {
      details: { service, port, variable },
      hint: `Stop whatever listens there, or pick another port: ${variable}=<port> make run.`,
    });
  }
}

export class DevnetProcessError extends DevnetError {
  override name = 'DevnetProcessError' as const;
  constructor(service: string, reason: string, logFile: string) {
    super('DEVNET_PROCESS_FAILED', `The ${service} process ${reason}.`, {
      details: { service, reason, logFile },
      hint: `Its output is in ${logFile}.`,
    });
  }
}
