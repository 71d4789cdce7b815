// The revenue share tree a job receipt commits to: OpenZeppelin StandardMerkleTree layout over
// (address account, uint256 amount) leaves, so JobEscrow's MerkleProof check accepts its proofs.
// Layout: https://github.com/OpenZeppelin/merkle-tree#standard-merkle-trees
import { concat, encodeAbiParameters, getAddress, keccak256, type Address, type Hex } from 'viem';
import { ContractsError } from './errors.ts';

export interface Share {
  account: Address;
  amount: bigint;
}

export interface SharesTree {
  root: Hex;
  /** The proof for `shares[i]`, in the order the shares were given. */
  proofs: Hex[][];
}

/** leaf = keccak256(bytes.concat(keccak256(abi.encode(account, amount)))), as JobEscrow.shareLeaf. */
export function shareLeaf(share: Share): Hex {
  return keccak256(keccak256(encodeAbiParameters([{ type: 'address' }, { type: 'uint256' }], [share.account, share.amount])));
}

const compare = (a: Hex, b: Hex): number => (BigInt(a) < BigInt(b) ? -1 : BigInt(a) > BigInt(b) ? 1 : 0);
const hashPair = (a: Hex, b: Hex): Hex => keccak256(compare(a, b) <= 0 ? concat([a, b]) : concat([b, a]));

/** Builds the tree; leaves are sorted by hash and laid out as a complete binary tree in an array. */
export function buildSharesTree(shares: readonly Share[]): SharesTree {
  if (shares.length === 0) {
    throw new ContractsError('CONTRACTS_EMPTY_SHARES', 'a shares tree needs at least one share', {
      hint: 'A job that used no files has nobody to pay; do not settle it with an empty tree.',
    });
  }
  const leaves = shares.map((share, index) => ({ hash: shareLeaf(share), index })).sort((a, b) => compare(a.hash, b.hash));
  const tree: Hex[] = new Array<Hex>(2 * leaves.length - 1);
  const position: number[] = new Array<number>(shares.length);
  leaves.forEach((leaf, i) => {
    const at = tree.length - 1 - i;
    tree[at] = leaf.hash;
    position[leaf.index] = at;
  });
  for (let i = tree.length - 1 - leaves.length; i >= 0; i--) {
    tree[i] = hashPair(tree[2 * i + 1] as Hex, tree[2 * i + 2] as Hex);
  }
  const proofs = position.map((start) => {
    const proof: Hex[] = [];
    for (let i = start; i > 0; i = Math.floor((i - 1) / 2)) {
      proof.push(tree[i % 2 === 1 ? i + 1 : i - 1] as Hex);
    }
    return proof;
  });
  return { root: tree[0] as Hex, proofs };
}

/**
 * Splits `total` among accounts in proportion to their weights (for Audata, the scores of the
 * files a job used). Floors each share and gives the rounding remainder to the heaviest account
 * (ties: lowest address), so the shares always sum to exactly `total`.
 */
export function splitRevenue(total: bigint, weights: readonly { account: Address; weight: bigint }[]): Share[] {
  const byAccount = new Map<Address, bigint>();
  for (const { account, weight } of weights) {
    if (weight < 0n) throw new ContractsError('CONTRACTS_NEGATIVE_WEIGHT', `weight of ${account} is ${weight}`, { hint: 'Weights are scores: 0 or more.' });
    const key = getAddress(account);
    byAccount.set(key, (byAccount.get(key) ?? 0n) + weight);
  }
  const entries = [...byAccount].filter(([, weight]) => weight > 0n).sort(([a], [b]) => compare(a, b));
  const sum = entries.reduce((acc, [, weight]) => acc + weight, 0n);
  if (sum === 0n) return [];
  const shares = entries.map(([account, weight]) => ({ account, amount: (total * weight) / sum }));
  let heaviest = 0;
  entries.forEach(([, weight], i) => {
    if (weight > (entries[heaviest]?.[1] ?? 0n)) heaviest = i;
  });
  const remainder = total - shares.reduce((acc, share) => acc + share.amount, 0n);
  const target = shares[heaviest];
  if (target !== undefined) target.amount += remainder;
  return shares;
}
