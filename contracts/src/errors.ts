// The contracts package's typed errors: failures of the build, of a local chain, of a deployment.
import { AudataError, type AudataErrorOptions } from '@audata/wire';

export class ContractsError extends AudataError {
  override name = 'ContractsError';
}

/** solc reported errors, or a source or import could not be read. */
export class ContractsBuildError extends ContractsError {
  override name = 'ContractsBuildError' as const;
  constructor(message: string, options: AudataErrorOptions = {}) {
    super('CONTRACTS_BUILD_FAILED', message, {
      hint: 'Fix the Solidity errors listed above and rebuild with `npx tsx contracts/src/build.ts`.',
      ...options,
    });
  }
}

/** The local anvil process did not start or did not answer in time. */
export class AnvilStartError extends ContractsError {
  override name = 'AnvilStartError' as const;
  constructor(message: string, options: AudataErrorOptions = {}) {
    super('CONTRACTS_ANVIL_START_FAILED', message, {
      hint: 'Check that `npx anvil --version` runs (npm package @foundry-rs/anvil) and that loopback ports are free.',
      ...options,
    });
  }
}

/** A deployment or wiring transaction of deployAudata failed. */
export class DeploymentError extends ContractsError {
  override name = 'DeploymentError' as const;
  constructor(message: string, options: AudataErrorOptions = {}) {
    super('CONTRACTS_DEPLOY_FAILED', message, {
      hint: 'Check the deployment parameters (the cause names the reverting contract and error).',
      ...options,
    });
  }
}
