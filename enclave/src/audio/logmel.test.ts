import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { decodeAudio } from './decode/index.ts';
import { ComplexFft, RealPowerSpectrum, WhisperFramePower } from './fft.ts';
import { log10Positive, logMelSpectrogram, type MelBands } from './logmel.ts';
import { slaneyMelFilterBank } from './mel-filters.ts';

const vectors = new URL('../../test-vectors/audio/', import.meta.url);
interface ReferenceCase {
  input: string;
  samples: number;
  nMels: MelBands;
  frames: number;
  offset: number;
  /** Only the first frames are stored for long inputs. */
  storedFrames?: number;
}
interface FilterChecks {
  sum: number;
  rowSums: number[];
  firstBin: number[];
  lastBin: number[];
  maxValue: number[];
  samples: [number, number, number][];
}
const reference = JSON.parse(readFileSync(new URL('whisper-reference.json', vectors), 'utf8')) as {
  cases: ReferenceCase[];
  filters: Record<string, FilterChecks>;
};
const referenceValues = (() => {
  const bytes = readFileSync(new URL('whisper-reference.f32', vectors));
  const copy = new Uint8Array(bytes.length);
  copy.set(bytes);
  return new Float32Array(copy.buffer);
})();

/** Same signal as `synthetic` in whisper_reference.py. */
function synthetic(n: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const t = i / 16000;
    let x = 0.5 * Math.sin(2 * Math.PI * 440 * t) + 0.2 * Math.sin(2 * Math.PI * (200 + 1500 * t) * t);
    if (i % 1600 < 400) x += 0.05 * Math.sin(2 * Math.PI * 6000 * t);
    out[i] = x;
  }
  return out;
}

async function inputFor(name: string): Promise<Float32Array> {
  if (name === 'speech-16k.wav[0:48000]') {
    const decoded = await decodeAudio(new Uint8Array(readFileSync(new URL('speech-16k.wav', vectors))));
    return decoded.samples.slice(0, 48000);
  }
  if (name === 'twoTones(16000)+zeros(464000)') {
    const out = new Float32Array(480000);
    for (let n = 0; n < 16000; n++) out[n] = 0.5 * Math.sin((2 * Math.PI * 440 * n) / 16000) + 0.25 * Math.sin((2 * Math.PI * 1000 * n) / 16000);
    return out;
  }
  if (name === 'zeros(8000)+synthetic(8000)') {
    const out = new Float32Array(16000);
    out.set(synthetic(8000), 8000);
    return out;
  }
  const match = /^synthetic\((\d+)\)$/.exec(name);
  if (match === null) throw new Error(`unknown reference input ${name}`);
  return synthetic(Number(match[1]));
}

function naiveDft(re: Float64Array, im: Float64Array): [Float64Array, Float64Array] {
  const n = re.length;
  const outRe = new Float64Array(n);
  const outIm = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    for (let j = 0; j < n; j++) {
      const a = (-2 * Math.PI * ((j * k) % n)) / n;
      outRe[k]! += re[j]! * Math.cos(a) - im[j]! * Math.sin(a);
      outIm[k]! += re[j]! * Math.sin(a) + im[j]! * Math.cos(a);
    }
  }
  return [outRe, outIm];
}

describe('fft', () => {
  for (const size of [1, 2, 3, 4, 5, 8, 12, 25, 49, 100, 200, 14 * 11]) {
    it(`complex FFT of size ${size} matches the DFT`, () => {
      const re = new Float64Array(size).map((_, i) => Math.sin(i * 1.3) + (i % 3));
      const im = new Float64Array(size).map((_, i) => Math.cos(i * 0.7));
      const data = new Float64Array(2 * size);
      for (let i = 0; i < size; i++) {
        data[2 * i] = re[i]!;
        data[2 * i + 1] = im[i]!;
      }
      new ComplexFft(size).transform(data);
      const [dr, di] = naiveDft(re, im);
      for (let k = 0; k < size; k++) {
        expect(data[2 * k]).to.be.closeTo(dr[k]!, 1e-9 * size);
        expect(data[2 * k + 1]).to.be.closeTo(di[k]!, 1e-9 * size);
      }
    });
  }

  it('400-point real power spectrum matches the DFT', () => {
    const spectrum = new RealPowerSpectrum(400);
    const x = new Float64Array(400).map((_, i) => Math.sin(i * 0.37) * Math.exp(-i / 300) + ((i * 7919) % 13) / 13);
    spectrum.input.set(x);
    const out = new Float64Array(201);
    spectrum.compute(out);
    const [dr, di] = naiveDft(x, new Float64Array(400));
    for (let k = 0; k <= 200; k++) expect(out[k]).to.be.closeTo(dr[k]! ** 2 + di[k]! ** 2, 1e-8 * (1 + out[k]!));
  });
});

describe('WhisperFramePower', () => {
  it('gives the power spectrum of a windowed 400-sample slice of a longer signal, as the DFT does', () => {
    const signal = new Float32Array(1000).map((_, i) => Math.sin(i * 0.37) * Math.exp(-i / 700) + ((i * 7919) % 13) / 13 - 0.5);
    const window = new Float64Array(400).map((_, i) => 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / 400) + (i % 7) / 50);
    const out = new Float64Array(201);
    for (const start of [0, 123, 600]) {
      new WhisperFramePower().compute(signal, start, window, out);
      const x = new Float64Array(400).map((_, i) => signal[start + i]! * window[i]!);
      const [dr, di] = naiveDft(x, new Float64Array(400));
      for (let k = 0; k <= 200; k++) expect(out[k], `bin ${k} at ${start}`).to.be.closeTo(dr[k]! ** 2 + di[k]! ** 2, 1e-9 * (1 + out[k]!));
    }
  });
});

describe('mel filters', () => {
  for (const nMels of [80, 128] as const) {
    it(`${nMels} Slaney filters match librosa's (whisper_reference.py)`, () => {
      const bank = slaneyMelFilterBank(16000, 400, nMels);
      const checks = reference.filters[String(nMels)]!;
      let total = 0;
      for (let m = 0; m < nMels; m++) {
        const row = bank.dense.subarray(m * 201, (m + 1) * 201);
        const sum = row.reduce((a, b) => a + b, 0);
        total += sum;
        expect(sum, `row ${m}`).to.be.closeTo(checks.rowSums[m]!, 1e-9);
        expect(Math.max(...row)).to.be.closeTo(checks.maxValue[m]!, 1e-9);
        const filter = bank.sparse[m]!;
        expect(filter.start).to.equal(checks.firstBin[m]);
        expect(filter.start + filter.weights.length - 1).to.equal(checks.lastBin[m]);
      }
      expect(total).to.be.closeTo(checks.sum, 1e-7);
      for (const [r, c, v] of checks.samples) expect(bank.dense[r * 201 + c]).to.be.closeTo(v, 1e-9);
    });
  }
});

describe('logMelSpectrogram', () => {
  for (const testCase of reference.cases) {
    it(`matches Whisper's reference to 1e-4: ${testCase.input}, ${testCase.nMels} bands`, async () => {
      const result = logMelSpectrogram(await inputFor(testCase.input), { nMels: testCase.nMels });
      expect(result.nMels).to.equal(testCase.nMels);
      expect(result.frames).to.equal(testCase.frames);
      const stored = testCase.storedFrames ?? testCase.frames;
      const expected = referenceValues.subarray(testCase.offset, testCase.offset + stored * testCase.nMels);
      let worst = 0;
      for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(result.data[i]! - expected[i]!));
      expect(worst).to.be.below(1e-4);
    });
  }

  it('gives floor(samples / 160) frames and nothing for under one hop', () => {
    expect(logMelSpectrogram(new Float32Array(159), { nMels: 80 }).frames).to.equal(0);
    expect(logMelSpectrogram(synthetic(16000 * 2 + 159), { nMels: 80 }).frames).to.equal(200);
  });

  it('floors everything at 8 orders of magnitude below the loudest value', () => {
    const { data } = logMelSpectrogram(new Float32Array(3200), { nMels: 80 });
    // All silence: log10(1e-10) everywhere, equal to the maximum: (-10 + 4) / 4.
    for (const v of data) expect(v).to.be.closeTo(-1.5, 1e-6);
  });

  it('refuses band counts Whisper does not use', () => {
    expect(() => logMelSpectrogram(new Float32Array(1000), { nMels: 64 as MelBands })).to.throw(RangeError);
  });
});

describe('log10Positive', () => {
  it('agrees with Math.log10 to 2e-13 over every positive normal double', () => {
    // Log-uniform over the whole normal range, so every exponent and table entry is reached,
    // plus the decades the features use (1e-10 after the clamp up to the largest mel power).
    let seed = 12345;
    const random = (): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed / 2 ** 32;
    };
    let worst = 0;
    for (let i = 0; i < 400_000; i++) {
      const x = i % 2 === 0 ? 10 ** (-307 + 615 * random()) : 10 ** (-10 + 16 * random());
      worst = Math.max(worst, Math.abs(log10Positive(x) - Math.log10(x)));
    }
    const edges = [1e-10, 1, 2, 0.5, Math.SQRT2, 1 + 2 ** -52, 2 - 2 ** -52, 2.2250738585072014e-308, Number.MAX_VALUE];
    for (const x of edges) worst = Math.max(worst, Math.abs(log10Positive(x) - Math.log10(x)));
    expect(worst).to.be.below(2e-13);
    expect(log10Positive(Number.POSITIVE_INFINITY)).to.equal(Number.POSITIVE_INFINITY);
  });
});
