import { expect } from 'chai';
import { authenticitySignals } from './authenticity.ts';
import { pitchTrack } from './authenticity-pitch.ts';
import { fixtureNames, readFixture, sine, whiteNoise } from './score-fixtures.ts';

// Speech regions are given as the whole file here; the pipeline passes the VAD's segments.
const whole = (s: Float32Array) => [{ start: 0, end: s.length / 16000 }];

describe('audio/authenticity: model-free signals of a natural voice', () => {
  it('tracks the pitch of a tone and of a glide', () => {
    const t = pitchTrack(sine(16000, 200, 0.5), whole(sine(16000, 200, 0.5)));
    const voiced = Array.from(t.f0).filter((f) => f > 0);
    expect(voiced.length).to.be.greaterThan(40);
    for (const f of voiced) expect(f).to.be.closeTo(200, 1);
    // 120 -> 240 Hz over one second.
    const glide = new Float32Array(16000);
    let phase = 0;
    for (let i = 0; i < glide.length; i += 1) {
      phase += (2 * Math.PI * (120 * 2 ** (i / 16000))) / 16000;
      glide[i] = 0.5 * Math.sin(phase);
    }
    const g = pitchTrack(glide, whole(glide));
    const mid = g.f0[25]!;
    expect(mid).to.be.closeTo(120 * 2 ** ((25 * 0.02 + 0.015) / 1), 6);
    expect(Array.from(pitchTrack(whiteNoise(16000, 0.1), whole(glide)).f0).filter((f) => f > 0).length).to.be.lessThan(5);
  });

  it('scores real recordings high and espeak-ng low', () => {
    for (const n of fixtureNames('ast-')) {
      const s = readFixture(n);
      expect(authenticitySignals(s, whole(s)).score, n).to.be.greaterThan(0.7);
    }
    // The alsa clips hold under a second of voiced speech: little evidence, pulled towards 0.5.
    for (const n of [...fixtureNames('alsa-F'), ...fixtureNames('alsa-R'), ...fixtureNames('alsa-S')]) {
      const s = readFixture(n);
      expect(authenticitySignals(s, whole(s)).score, n).to.be.greaterThan(0.5);
    }
    for (const n of ['espeak-1.wav', 'espeak-2.wav', 'espeak-3.wav']) {
      const s = readFixture(n);
      const r = authenticitySignals(s, whole(s));
      expect(r.score, n).to.be.lessThan(0.25);
      expect(r.pitchWobbleCents, n).to.be.lessThan(23);
    }
    // A higher espeak voice wobbles more: it lands just above the gate's zero, not at 0.
    const female = readFixture('espeak-4-female.wav');
    expect(authenticitySignals(female, whole(female)).score).to.be.within(0.15, 0.4);
  });

  it('samples long files evenly and reads about the same', async () => {
    const parts = fixtureNames('ast-').map(readFixture);
    const long = new Float32Array(parts.reduce((n, p) => n + p.length, 0) * 4);
    let o = 0;
    for (let r = 0; r < 4; r += 1) for (const p of parts) { long.set(p, o); o += p.length; }
    const full = authenticitySignals(long, whole(long), { fullAnalysisSeconds: 1e9 });
    const sampled = authenticitySignals(long, whole(long), { fullAnalysisSeconds: 30 });
    expect(sampled.voicedPairs).to.be.lessThan(full.voicedPairs / 3);
    expect(sampled.pitchWobbleCents).to.be.closeTo(full.pitchWobbleCents, 4);
    expect(sampled.score).to.be.closeTo(full.score, 0.1);
  });

  it('a perfectly steady voice is not a natural one; no voice at all is undecided', () => {
    const tone = sine(16000 * 3, 150, 0.3);
    expect(authenticitySignals(tone, whole(tone)).score).to.be.lessThan(0.1);
    const r = authenticitySignals(new Float32Array(48000), whole(tone));
    expect(r.score).to.equal(0.5);
    expect(r.voicedPairs).to.equal(0);
  });

  it('measures digital silence between speech segments', () => {
    const s = new Float32Array(32000);
    s.set(whiteNoise(16000, 0.1), 0);
    const r = authenticitySignals(s, [{ start: 0, end: 1 }]);
    expect(r.digitalSilenceFraction).to.equal(1);
    const floor = whiteNoise(32000, 0.001);
    floor.set(whiteNoise(16000, 0.1), 0);
    expect(authenticitySignals(floor, [{ start: 0, end: 1 }]).digitalSilenceFraction).to.equal(0);
  });
});
