// Revenue shares of a job as a Merkle tree the escrow contract can check with
// OpenZeppelin's MerkleProof: the enclave signs only the root, each contributor claims
// with a proof. Layout of @openzeppelin/merkle-tree's StandardMerkleTree ("standard-v1")
// over (address, uint256) leaves: leaf = keccak256(bytes.concat(keccak256(abi.encode(account, amount)))),
// leaves sorted by hash, tree stored as an array with children of i at 2i+1 and 2i+2, pairs hashed sorted.
import { concatHex, encodeAbiParameters, getAddress, isAddress, keccak256, type Address, type Hex } from 'viem';
import { AudataError } from './errors.ts';

export interface Share {
  account: Address;
  amount: bigint;
}

export class MerkleEmptyError extends AudataError {
  override name = 'MerkleEmptyError' as const;
  constructor() {
    super('MERKLE_EMPTY', 'A shares tree needs at least one share.', { hint: 'A job that used no files pays nobody; do not build a tree for it.' });
  }
}

export class MerkleDuplicateAccountError extends AudataError {
  override name = 'MerkleDuplicateAccountError' as const;
  constructor(account: Address) {
    super('MERKLE_DUPLICATE_ACCOUNT', `Account ${account} appears twice among the shares.`, {
      details: { account },
      hint: 'Aggregate shares per account first (splitRevenue does).',
    });
  }
}

export class MerkleAccountNotFoundError extends AudataError {
  override name = 'MerkleAccountNotFoundError' as const;
  constructor(account: string) {
    super('MERKLE_ACCOUNT_NOT_FOUND', `Account ${account} has no share in this tree.`, { details: { account } });
  }
}

export class MerkleInvalidShareError extends AudataError {
  override name = 'MerkleInvalidShareError' as const;
  constructor(field: string, expected: string, received: string) {
    super('MERKLE_INVALID_SHARE', `${field} must be ${expected}; received ${received}.`, { details: { field, expected, received } });
  }
}

const UINT256_MAX = (1n << 256n) - 1n;

function checkShare(share: Share): void {
  if (!isAddress(share.account, { strict: false })) throw new MerkleInvalidShareError('account', 'a 20-byte hex address', String(share.account));
  if (typeof share.amount !== 'bigint' || share.amount < 0n || share.amount > UINT256_MAX) {
    throw new MerkleInvalidShareError('amount', 'a uint256 bigint', String(share.amount));
  }
}

/** keccak256(bytes.concat(keccak256(abi.encode(account, amount)))): double hashing keeps a leaf from passing as an inner node. */
export function shareLeafHash(share: Share): Hex {
  checkShare(share);
  return keccak256(keccak256(encodeAbiParameters([{ type: 'address' }, { type: 'uint256' }], [share.account, share.amount])));
}

/** keccak256 of the two nodes in ascending byte order, as MerkleProof's commutative hash. */
export function hashPair(a: Hex, b: Hex): Hex {
  return a.toLowerCase() < b.toLowerCase() ? keccak256(concatHex([a, b])) : keccak256(concatHex([b, a]));
}

export class SharesMerkleTree {
  /** Nodes in StandardMerkleTree order: the root at 0, the leaves at the end. */
  readonly tree: readonly Hex[];
  readonly shares: readonly Share[];
  readonly #indexOf: ReadonlyMap<string, number>;

  private constructor(tree: Hex[], shares: Share[], indexOf: Map<string, number>) {
    this.tree = tree;
    this.shares = shares;
    this.#indexOf = indexOf;
  }

  static of(shares: readonly Share[]): SharesMerkleTree {
    if (shares.length === 0) throw new MerkleEmptyError();
    const seen = new Set<string>();
    const hashed = shares.map((share) => {
      const leaf = shareLeafHash(share);
      const key = share.account.toLowerCase();
      if (seen.has(key)) throw new MerkleDuplicateAccountError(getAddress(share.account));
      seen.add(key);
      return { leaf, share: { account: getAddress(share.account), amount: share.amount } };
    });
    hashed.sort((x, y) => (x.leaf < y.leaf ? -1 : x.leaf > y.leaf ? 1 : 0));
    const tree = new Array<Hex>(2 * hashed.length - 1);
    const indexOf = new Map<string, number>();
    hashed.forEach(({ leaf, share }, k) => {
      const index = tree.length - 1 - k;
      tree[index] = leaf;
      indexOf.set(share.account.toLowerCase(), index);
    });
    for (let i = tree.length - 1 - hashed.length; i >= 0; i--) tree[i] = hashPair(tree[2 * i + 1]!, tree[2 * i + 2]!);
    return new SharesMerkleTree(tree, hashed.map((h) => h.share), indexOf);
  }

  get root(): Hex {
    return this.tree[0]!;
  }

  /** The leaf's position in `tree` (StandardMerkleTree's treeIndex). */
  treeIndex(account: string): number {
    const index = this.#indexOf.get(account.toLowerCase());
    if (index === undefined) throw new MerkleAccountNotFoundError(account);
    return index;
  }

  share(account: string): Share {
    const index = this.treeIndex(account);
    const leaf = this.tree[index];
    return this.shares.find((s) => shareLeafHash(s) === leaf)!;
  }

  /** Sibling hashes from the leaf up, as MerkleProof.verify(proof, root, leaf) expects. */
  proof(account: string): Hex[] {
    let index = this.treeIndex(account);
    const proof: Hex[] = [];
    while (index > 0) {
      proof.push(this.tree[index % 2 === 1 ? index + 1 : index - 1]!);
      index = Math.floor((index - 1) / 2);
    }
    return proof;
  }
}

/** MerkleProof.verify for a share; false for any malformed input rather than a throw. */
export function verifyShareProof(root: Hex, share: Share, proof: readonly Hex[]): boolean {
  const isNode = (h: unknown): h is Hex => typeof h === 'string' && /^0x[0-9a-fA-F]{64}$/.test(h);
  if (!isNode(root) || !proof.every(isNode)) return false;
  let node: Hex;
  try {
    node = shareLeafHash(share);
  } catch {
    return false;
  }
  for (const sibling of proof) node = hashPair(node, sibling);
  return node.toLowerCase() === root.toLowerCase();
}

export interface WeightedAccount {
  account: Address;
  /** A non-negative integer, e.g. a file's score in basis points; an account's weights add up. */
  weight: bigint | number;
}

/**
 * Splits `total` among accounts in proportion to their summed weights, exactly: each gets
 * floor(total * w / W), and the units left over go one each to the largest remainders
 * (ties to the lower address), so the parts always sum to `total`. Accounts whose part is
 * zero are left out, since a zero claim is of no use on chain. Sorted by address.
 */
export function splitRevenue(total: bigint, weights: readonly WeightedAccount[]): Share[] {
  if (typeof total !== 'bigint' || total < 0n || total > UINT256_MAX) throw new MerkleInvalidShareError('total', 'a uint256 bigint', String(total));
  const byAccount = new Map<string, { account: Address; weight: bigint }>();
  for (const { account, weight } of weights) {
    if (!isAddress(account, { strict: false })) throw new MerkleInvalidShareError('account', 'a 20-byte hex address', String(account));
    if (typeof weight === 'number' && !Number.isSafeInteger(weight)) throw new MerkleInvalidShareError('weight', 'a non-negative integer', String(weight));
    const w = BigInt(weight);
    if (w < 0n) throw new MerkleInvalidShareError('weight', 'a non-negative integer', String(weight));
    const key = account.toLowerCase();
    const entry = byAccount.get(key) ?? { account: getAddress(account), weight: 0n };
    entry.weight += w;
    byAccount.set(key, entry);
  }
  const entries = [...byAccount.values()].sort((a, b) => (a.account.toLowerCase() < b.account.toLowerCase() ? -1 : 1));
  const sum = entries.reduce((s, e) => s + e.weight, 0n);
  if (sum === 0n) {
    if (total === 0n) return [];
    throw new MerkleInvalidShareError('weights', 'a positive sum when there is revenue to split', '0');
  }
  const parts = entries.map((e, order) => ({ account: e.account, amount: (total * e.weight) / sum, remainder: (total * e.weight) % sum, order }));
  let left = total - parts.reduce((s, p) => s + p.amount, 0n);
  const byRemainder = [...parts].sort((a, b) => (a.remainder === b.remainder ? a.order - b.order : a.remainder > b.remainder ? -1 : 1));
  for (const part of byRemainder) {
    if (left === 0n) break;
    part.amount += 1n;
    left -= 1n;
  }
  return parts.filter((p) => p.amount > 0n).map(({ account, amount }) => ({ account, amount }));
}
