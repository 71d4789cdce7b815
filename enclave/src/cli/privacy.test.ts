import { expect } from 'chai';
import { privacy } from './privacy.ts';

async function run(argv: string[]) {
  let out = '';
  let err = '';
  const code = await privacy(argv, { stdout: (t) => void (out += t), stderr: (t) => void (err += t) });
  return { code, out, err };
}

describe('cli/privacy', () => {
  const args = ['epsilon', '--sample-rate', '0.04', '--noise-multiplier', '1.5', '--steps', '2250', '--delta', '1e-5'];

  it('prints epsilon, and {epsilon, order} with --json', async () => {
    const plain = await run(args);
    expect(plain.code).to.equal(0);
    expect(Number(plain.out)).to.be.closeTo(7.329, 1e-3);
    const json = await run([...args, '--json']);
    expect(json.code).to.equal(0);
    const parsed = JSON.parse(json.out) as { epsilon: number; order: number };
    expect(Object.keys(parsed)).to.deep.equal(['epsilon', 'order']);
    expect(parsed.epsilon).to.be.closeTo(7.329, 1e-3);
    expect(parsed.order).to.be.greaterThan(1);
  });

  it('exits 2 on usage errors', async () => {
    for (const argv of [[], ['epsilon'], ['eps', ...args.slice(1)], [...args, '--bogus'], args.map((a) => (a === '0.04' ? '1.5' : a)), args.map((a) => (a === '2250' ? 'x' : a))]) {
      const result = await run(argv);
      expect(result.code, argv.join(' ')).to.equal(2);
      expect(result.err).to.match(/^CLI_USAGE: /);
    }
  });
});
