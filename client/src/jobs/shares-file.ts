// The shares file a settled job publishes: its id, the Merkle root the receipt carried and
// every (account, amount) share. Anyone can rebuild the tree from it; a contributor needs it
// to claim. Amounts are decimal strings (wei), since JSON numbers cannot hold uint256.
import { getAddress, isAddress, type Hex } from 'viem';
import { SharesMerkleTree, type Share } from '@audata/wire';
import { JobInputError, ShareNotFoundError } from './errors.ts';

export interface SharesFile {
  jobId: Hex;
  sharesRoot: Hex;
  shares: Share[];
}

const MAX_SHARES = 1_000_000;
const isBytes32 = (v: unknown): v is Hex => typeof v === 'string' && /^0x[0-9a-fA-F]{64}$/.test(v);

export function serializeSharesFile(file: SharesFile): string {
  return `${JSON.stringify({ jobId: file.jobId, sharesRoot: file.sharesRoot, shares: file.shares.map((s) => ({ account: s.account, amount: s.amount.toString() })) }, null, 2)}\n`;
}

/** Parses and checks a shares file: the root must be the root of the shares it lists. */
export function parseSharesFile(text: string, what = 'The shares file'): SharesFile {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new JobInputError(what, 'is not JSON');
  }
  if (typeof raw !== 'object' || raw === null) throw new JobInputError(what, 'is not a JSON object');
  const r = raw as Record<string, unknown>;
  if (!isBytes32(r['jobId'])) throw new JobInputError(what, 'has no 32-byte hex "jobId"');
  if (!isBytes32(r['sharesRoot'])) throw new JobInputError(what, 'has no 32-byte hex "sharesRoot"');
  const list = r['shares'];
  if (!Array.isArray(list) || list.length === 0 || list.length > MAX_SHARES) throw new JobInputError(what, `has no list of 1..${MAX_SHARES} "shares"`);
  const shares = list.map((s: unknown, i) => {
    const e = s as Record<string, unknown>;
    if (typeof e !== 'object' || e === null || typeof e['account'] !== 'string' || !isAddress(e['account'])) throw new JobInputError(what, `has shares[${i}] without an address`);
    if (typeof e['amount'] !== 'string' || !/^[0-9]{1,78}$/.test(e['amount'])) throw new JobInputError(what, `has shares[${i}] without a decimal amount`);
    return { account: getAddress(e['account']), amount: BigInt(e['amount']) };
  });
  let root: Hex;
  try {
    root = SharesMerkleTree.of(shares).root;
  } catch (error) {
    throw new JobInputError(what, `does not make a shares tree (${(error as Error).message})`);
  }
  if (root.toLowerCase() !== (r['sharesRoot'] as string).toLowerCase()) throw new JobInputError(what, `lists shares whose root is ${root}, not its sharesRoot ${r['sharesRoot'] as string}`);
  return { jobId: r['jobId'] as Hex, sharesRoot: root, shares };
}

/** The account's share and its Merkle proof. */
export function shareProof(file: SharesFile, account: string): { share: Share; proof: Hex[] } {
  const tree = SharesMerkleTree.of(file.shares);
  const share = file.shares.find((s) => s.account.toLowerCase() === account.toLowerCase());
  if (share === undefined) throw new ShareNotFoundError(file.jobId, account);
  return { share, proof: tree.proof(share.account) };
}
