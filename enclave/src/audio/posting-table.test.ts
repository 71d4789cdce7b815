import { expect } from 'chai';
import { PostingTable } from './posting-table.ts';

const list = (table: PostingTable, word: number, most?: number) => {
  const out: number[] = [];
  table.forEach(word, (v) => out.push(v), most);
  return out;
};

describe('PostingTable', () => {
  it('keeps each word\'s postings, newest first, across the edge words 0 and 2^32 - 1', () => {
    const table = new PostingTable();
    table.add(0, 1);
    table.add(0xffffffff, 2);
    table.add(0, 3);
    table.add(0, 2 ** 53 - 1);
    expect(list(table, 0)).to.deep.equal([2 ** 53 - 1, 3, 1]);
    expect(list(table, 0xffffffff)).to.deep.equal([2]);
    expect(list(table, 12345)).to.deep.equal([]);
    expect(table.count(0)).to.equal(3);
    expect(table.count(12345)).to.equal(0);
    expect([table.words, table.size]).to.deep.equal([2, 4]);
  });

  it('visits nothing for a word with more postings than asked for', () => {
    const table = new PostingTable();
    for (let i = 0; i < 5; i++) table.add(7, i);
    expect(list(table, 7, 5)).to.have.length(5);
    expect(list(table, 7, 4)).to.deep.equal([]);
  });

  it('agrees with a Map of arrays over many words, through every growth of its arrays', () => {
    const table = new PostingTable(16, 16);
    const oracle = new Map<number, number[]>();
    let x = 12345;
    for (let i = 0; i < 200_000; i++) {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      // Few distinct words (many collisions and long lists) mixed with many new ones.
      const word = i % 3 === 0 ? x % 97 : x;
      table.add(word, i);
      let l = oracle.get(word);
      if (l === undefined) oracle.set(word, (l = []));
      l.push(i);
    }
    expect(table.words).to.equal(oracle.size);
    expect(table.size).to.equal(200_000);
    for (const [word, values] of oracle) expect(list(table, word)).to.deep.equal([...values].reverse());
  });

  it('costs under 60 bytes per posting at a million distinct words', () => {
    const table = new PostingTable();
    for (let i = 0; i < 1_000_000; i++) table.add(Math.imul(i + 1, 2654435761) >>> 0, i);
    // Typed arrays only: keys, heads and counts at two thirds full at most, values and links with doubling slack.
    expect(table.bytes / table.size).to.be.below(60);
  });
});
