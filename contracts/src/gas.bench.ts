// Gas of Audata's hot paths (one proof, one claim, one state anchor) and of the deployment, against a plain
// OpenZeppelin ERC20 transfer measured on the same chain in the same run. Gas is deterministic:
// the same sources and inputs give the same figures on any machine.
import { parseEventLogs, type Hex, type TransactionReceipt } from 'viem';
import { compileSources } from './build.ts';
import { anchorDomain, stateAnchorTypes, type StateAnchorMessage } from '@audata/wire';
import { auditAnchorAbi, contributionRegistryAbi, jobEscrowAbi } from './generated/abi.ts';
import { buildSharesTree, type Share } from './shares.ts';
import { bytes32, startAudata, testKey } from './testing/fixture.ts';

const plainToken = `// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;
import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
contract PlainToken is ERC20 {
    constructor() ERC20("Plain", "PLN") { _mint(msg.sender, 1e24); }
}`;

const f = await startAudata();
try {
  const { anvil, addresses } = f;
  const rows: [string, bigint][] = [];

  // Reference: a plain ERC20 transfer to an account that holds none yet (a fresh balance slot,
  // like the first mint to a new contributor), and to one that already holds some.
  const plain = compileSources({ 'bench/PlainToken.sol': plainToken }).find((c) => c.name === 'PlainToken');
  if (plain === undefined) throw new Error('PlainToken did not compile');
  const deployer = f.wallet(f.users[6]!);
  const hash = await deployer.deployContract({ abi: plain.abi as never, bytecode: plain.bytecode });
  const plainAddress = (await anvil.publicClient.waitForTransactionReceipt({ hash })).contractAddress!;
  const transfer = async (to: Hex) =>
    f.send(deployer, { address: plainAddress, abi: plain.abi as never, functionName: 'transfer', args: [to, 10n ** 18n] });
  const reference = (await transfer(testKey('fresh holder').address)).gasUsed;
  const referenceWarm = (await transfer(testKey('fresh holder').address)).gasUsed;

  const host = f.wallet(f.users[5]!);
  const submit = async (proof: Awaited<ReturnType<typeof f.proof>>): Promise<TransactionReceipt> =>
    f.send(host, { address: addresses.contributionRegistry, abi: contributionRegistryAbi, functionName: 'submitProof', args: [proof, await f.signProof(proof)] });
  const first = await f.proof({ fileId: bytes32('bench file 1') });
  const firstReceipt = await submit(first);
  if (parseEventLogs({ abi: contributionRegistryAbi, logs: firstReceipt.logs, eventName: 'ProofRecorded' }).length !== 1) throw new Error('proof not recorded');
  rows.push(['submitProof (valid, first mint to contributor)', firstReceipt.gasUsed]);
  rows.push(['submitProof (valid, contributor already holds tokens)', (await submit(await f.proof({ fileId: bytes32('bench file 2') }))).gasUsed]);
  rows.push(['submitProof (valid = false, records only)', (await submit(await f.proof({ fileId: bytes32('bench file 3'), valid: false }))).gasUsed]);
  rows.push(['submitProof (identical resubmission, no-op)', (await submit(first)).gasUsed]);

  // One claim from a job settled over 2 shares and over 1024 shares (proof of 10 hashes).
  const price = 10n ** 18n;
  const policyId = await f.createPolicy(await f.policyTerms({ price }));
  const buyer = f.wallet(f.users[3]!);
  const claimGas = async (label: string, count: number): Promise<[bigint, bigint, bigint]> => {
    const jobId = bytes32(`bench job ${label}`);
    const shares: Share[] = Array.from({ length: count }, (_, i) => ({ account: testKey(`${label} claimant ${i}`).address, amount: price / BigInt(count) }));
    const tree = buildSharesTree(shares);
    const paid = await f.send(buyer, { address: addresses.jobEscrow, abi: jobEscrowAbi, functionName: 'pay', args: [jobId, policyId], value: price });
    const receipt = {
      jobId, policyId, buyer: f.users[3]!.address, modelHash: bytes32('model a'), sharesRoot: tree.root,
      filesUsed: count, epsilonSpent: 1_000n, resultHash: bytes32('result'), deadline: (await f.now()) + 600n,
    };
    const settled = await f.send(host, { address: addresses.jobEscrow, abi: jobEscrowAbi, functionName: 'settle', args: [receipt, await f.signReceipt(receipt)] });
    const claimed = await f.send(host, { address: addresses.jobEscrow, abi: jobEscrowAbi, functionName: 'claim', args: [jobId, shares[0]!.account, shares[0]!.amount, tree.proofs[0]!] });
    return [paid.gasUsed, settled.gasUsed, claimed.gasUsed];
  };
  const [payGas, settleGas, claimSmall] = await claimGas('small', 2);
  const [, , claimLarge] = await claimGas('large', 1024);
  rows.push(['claim (2-share tree, proof of 1 hash, fresh account)', claimSmall]);
  rows.push(['claim (1024-share tree, proof of 10 hashes, fresh account)', claimLarge]);
  rows.push(['pay (job under a policy)', payGas]);
  rows.push(['settle (enclave receipt)', settleGas]);

  // One state anchor: the first for a dataset (fresh slots) and a later one (slots rewritten).
  // Anchoring every state costs the second figure per state; every K-th, that over K.
  const anchorGas = async (counter: bigint): Promise<bigint> => {
    const message: StateAnchorMessage = { datasetKey: bytes32('bench dataset'), stateCounter: counter, stateSha256: bytes32(`state ${counter}`), auditEntries: counter * 2n, auditHead: bytes32(`head ${counter}`) };
    const signature = await f.enclave.signTypedData({ domain: anchorDomain(anvil.chain.id, addresses.auditAnchor), types: stateAnchorTypes, primaryType: 'StateAnchor', message });
    return (await f.send(host, { address: addresses.auditAnchor, abi: auditAnchorAbi, functionName: 'anchorState', args: [message, signature] })).gasUsed;
  };
  rows.push(['anchorState (first anchor of a dataset)', await anchorGas(1n)]);
  rows.push(['anchorState (later anchor, slots rewritten)', await anchorGas(2n)]);
  rows.push(['deployAudata (all transactions)', f.deployment.gasUsed]);

  console.log(`reference: plain OpenZeppelin ERC20 transfer = ${reference} gas to a new holder, ${referenceWarm} to an existing one\n`);
  console.log('| operation | gas | x plain ERC20 transfer (new holder) |');
  console.log('|---|---:|---:|');
  for (const [label, gas] of rows) {
    console.log(`| ${label} | ${gas} | ${(Number(gas) / Number(reference)).toFixed(2)} |`);
  }
} finally {
  await f.stop();
}
