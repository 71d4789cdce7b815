import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { buildGenerated, compileSources, generatedPath } from './build.ts';
import { ContractsBuildError } from './errors.ts';

describe('contracts build', function () {
  this.timeout(180_000);

  it('rebuilding from source reproduces the committed generated/abi.ts byte for byte', () => {
    expect(buildGenerated() === readFileSync(generatedPath, 'utf8'), 'generated/abi.ts is stale: run `npx tsx contracts/src/build.ts`').to.equal(true);
  });

  it('reports solc errors as CONTRACTS_BUILD_FAILED', () => {
    const broken = { 'solidity/Broken.sol': 'pragma solidity ^0.8.24; contract Broken { function f() { } }' };
    expect(() => compileSources(broken)).to.throw(ContractsBuildError).with.property('code', 'CONTRACTS_BUILD_FAILED');
  });

  it('resolves only OpenZeppelin imports', () => {
    const outside = { 'solidity/Outside.sol': 'pragma solidity ^0.8.24; import "../../package.json"; contract Outside {}' };
    expect(() => compileSources(outside)).to.throw(ContractsBuildError, /not found/);
    const traversal = { 'solidity/T.sol': 'pragma solidity ^0.8.24; import "@openzeppelin/contracts/../../../package.json"; contract T {}' };
    expect(() => compileSources(traversal)).to.throw(ContractsBuildError, /not found/);
  });
});
