import { expect } from 'chai';
import { RealFft } from './fft.ts';
import { FftFirFilter } from './fft-filter.ts';

describe('RealFft', () => {
  for (const size of [2, 8, 400, 1024]) {
    it(`forward matches the DFT and inverse undoes it (N = ${size})`, () => {
      const fft = new RealFft(size);
      const x = new Float64Array(size).map((_, i) => Math.sin(i * 0.7) + (i % 5) * 0.1);
      const spectrum = new Float64Array(size + 2);
      fft.forward(x, spectrum);
      for (let k = 0; k <= size / 2; k++) {
        let re = 0;
        let im = 0;
        for (let j = 0; j < size; j++) {
          re += x[j]! * Math.cos((2 * Math.PI * j * k) / size);
          im -= x[j]! * Math.sin((2 * Math.PI * j * k) / size);
        }
        expect(spectrum[2 * k]).to.be.closeTo(re, 1e-9 * size);
        expect(spectrum[2 * k + 1]).to.be.closeTo(im, 1e-9 * size);
      }
      const back = new Float64Array(size);
      fft.inverse(spectrum, back);
      for (let i = 0; i < size; i++) expect(back[i]).to.be.closeTo(x[i]!, 1e-12);
    });
  }
});

describe('FftFirFilter', () => {
  const taps = new Float64Array(31).map((_, i) => Math.exp(-((i - 15) ** 2) / 20));
  const x = new Float64Array(5000).map((_, i) => Math.sin(i * 0.05) + ((i * 7919) % 13) / 13);
  /** Direct, centred convolution with silence outside the signal. */
  const direct = x.map((_, n) => {
    let acc = 0;
    for (let k = 0; k < taps.length; k++) {
      const j = n + 15 - k;
      if (j >= 0 && j < x.length) acc += taps[k]! * x[j]!;
    }
    return acc;
  });

  it('equals direct centred convolution, however the input is pushed', () => {
    let reference: number[] | undefined;
    for (const block of [5000, 1, 77, 333]) {
      const filter = new FftFirFilter(taps, 128);
      const out: number[] = [];
      for (let at = 0; at < x.length; at += block) out.push(...filter.push(x.subarray(at, at + block)));
      out.push(...filter.flush());
      expect(out).to.have.length(x.length);
      for (let i = 0; i < x.length; i++) expect(out[i]).to.be.closeTo(direct[i]!, 1e-12);
      if (reference === undefined) reference = out;
      else expect(out).to.deep.equal(reference);
    }
  });

  it('refuses even tap counts and blocks too small for the filter', () => {
    expect(() => new FftFirFilter(new Float64Array(4))).to.throw(RangeError);
    expect(() => new FftFirFilter(taps, 40)).to.throw(RangeError);
  });
});
