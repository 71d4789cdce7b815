import { expect } from 'chai';
import { spectralStatistics } from './authenticity-spectral.ts';
import { logMelSpectrogram } from './logmel.ts';
import { concat, readFixture, sine, whiteNoise } from './score-fixtures.ts';

const all = (frames: number) => Array.from({ length: frames }, (_, i) => i);

describe('audio/authenticity-spectral: flatness and flux of speech frames', () => {
  it('reads noise as flat and a tone as peaked; a steady sound barely changes', () => {
    const noise = logMelSpectrogram(whiteNoise(32000, 0.1, 2), { nMels: 80 });
    const tone = logMelSpectrogram(sine(32000, 440, 0.5), { nMels: 80 });
    const n = spectralStatistics(noise, all(noise.frames));
    const t = spectralStatistics(tone, all(tone.frames));
    expect(n.flatnessMedian).to.be.greaterThan(0.3);
    expect(t.flatnessMedian).to.be.lessThan(0.01);
    expect(t.fluxMedian).to.be.lessThan(0.05);
  });

  it('a sound that holds and jumps has a wide flux spread; human speech a narrower one', () => {
    // 100 ms of one tone, then another: steady frames with a jump between.
    const parts: Float32Array[] = [];
    for (let i = 0; i < 20; i += 1) parts.push(sine(1600, i % 2 === 0 ? 300 : 2000, 0.3));
    const steps = logMelSpectrogram(concat(parts), { nMels: 80 });
    const speech = logMelSpectrogram(readFixture('ast-vm-sorry.wav'), { nMels: 80 });
    const s = spectralStatistics(steps, all(steps.frames));
    const h = spectralStatistics(speech, all(speech.frames).slice(20, 250));
    expect(s.fluxIqr).to.be.greaterThan(h.fluxIqr);
    // Only consecutive frames count as a flux pair.
    expect(spectralStatistics(speech, [10, 12, 14]).fluxMedian).to.equal(0);
  });
});
