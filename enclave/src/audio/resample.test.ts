import { expect } from 'chai';
import { StreamingResampler, resample } from './resample.ts';

function tone(freq: number, rate: number, seconds: number, amplitude = 0.5): Float32Array {
  const out = new Float32Array(Math.round(rate * seconds));
  for (let i = 0; i < out.length; i++) out[i] = amplitude * Math.sin((2 * Math.PI * freq * i) / rate);
  return out;
}

/** RMS over the middle of a signal, away from the filter's start and end transients. */
function middleRms(x: Float32Array): number {
  const from = Math.floor(x.length * 0.2);
  const to = Math.floor(x.length * 0.8);
  let sum = 0;
  for (let i = from; i < to; i++) sum += x[i]! * x[i]!;
  return Math.sqrt(sum / (to - from));
}

const db = (ratio: number): number => 20 * Math.log10(ratio);

describe('resample', () => {
  for (const rate of [48000, 44100, 22050, 32000, 8000, 11025, 44101, 96000, 192000]) {
    it(`keeps pass-band tones at unit gain from ${rate} Hz`, () => {
      const { passHz } = new StreamingResampler(rate).design;
      for (const freq of [100, 1000, 3000, Math.min(passHz * 0.98, 6500)]) {
        const out = resample(tone(freq, rate, 0.5), rate);
        expect(out.length).to.equal(StreamingResampler.outputLength(Math.round(rate * 0.5), rate));
        // Compare with the ideal tone at 16 kHz, sample by sample (phase must be kept too).
        const ideal = tone(freq, 16000, 0.5);
        const from = 400;
        let err = 0;
        for (let i = from; i < out.length - 400; i++) err = Math.max(err, Math.abs(out[i]! - ideal[i]!));
        expect(err, `${freq} Hz`).to.be.below(0.5 * 0.002);
      }
    });
  }

  for (const rate of [48000, 44100, 22050, 44101, 32000, 192000]) {
    it(`attenuates tones above 8 kHz by at least 60 dB from ${rate} Hz`, () => {
      for (const freq of [8050, 8500, 9000, 12000, Math.floor(rate / 2) - 50]) {
        const input = tone(freq, rate, 0.5);
        const out = resample(input, rate);
        const attenuation = db(middleRms(out) / middleRms(input));
        expect(attenuation, `${freq} Hz`).to.be.below(-60);
      }
    });
  }

  it('attenuates the images of an 8 kHz input above 4 kHz', () => {
    const input = tone(1000, 8000, 0.5);
    const out = resample(input, 8000);
    // Remove the wanted 1 kHz tone and measure what is left (images at 7 kHz and 9 kHz folded).
    const ideal = tone(1000, 16000, 0.5);
    const residual = out.map((v, i) => v - ideal[i]!);
    expect(db(middleRms(residual) / middleRms(input))).to.be.below(-55);
  });

  it('keeps a constant exactly constant', () => {
    const out = resample(new Float32Array(44100).fill(0.25), 44100);
    for (let i = 200; i < out.length - 200; i++) expect(Math.abs(out[i]! - 0.25)).to.be.below(1e-6);
  });

  it('passes 16 kHz through unchanged', () => {
    const input = tone(440, 16000, 0.1);
    expect(Array.from(resample(input, 16000))).to.deep.equal(Array.from(input));
  });

  for (const rate of [48000, 44100, 8000, 44101]) {
    it(`gives the one-shot output when streamed in random blocks from ${rate} Hz`, () => {
      const input = tone(523, rate, 0.3);
      for (let i = 0; i < input.length; i++) input[i]! += 0.1 * Math.sin(i * i * 1e-5);
      const whole = resample(input, rate);
      const streamer = new StreamingResampler(rate);
      const parts: number[] = [];
      let seed = 7;
      for (let at = 0; at < input.length; ) {
        seed = (seed * 1103515245 + 12345) % 2147483648;
        const size = seed % 3000;
        parts.push(...streamer.push(input.subarray(at, at + size)));
        at += size;
      }
      parts.push(...streamer.flush());
      expect(parts.length).to.equal(whole.length);
      expect(parts).to.deep.equal(Array.from(whole));
    });
  }

  it('rejects nonsensical rates', () => {
    expect(() => new StreamingResampler(0)).to.throw(RangeError);
    expect(() => new StreamingResampler(44100.5)).to.throw(RangeError);
  });
});
