import { expect } from 'chai';
import { concat, fixtureNames, readFixture, whiteNoise } from './score-fixtures.ts';
import { InvalidSamplesError, VadModelHashError, VadModelUnreadableError } from './score-errors.ts';
import { audibleWindows, DEFAULT_VAD_RUN, SILERO_VAD_SHA256, SileroVad } from './vad.ts';
import { voiceActivity } from './vad-segments.ts';

describe('audio/vad: Silero VAD through onnxruntime-node', () => {
  let vad: SileroVad;
  before(async () => {
    vad = await SileroVad.load();
  });
  after(async () => vad.release());

  it('loads only the pinned model file', async () => {
    expect(vad.sha256).to.equal(SILERO_VAD_SHA256);
    try {
      await SileroVad.load({ expectedSha256: '00'.repeat(32) });
      expect.fail('a model with another hash was loaded');
    } catch (error) {
      expect(error).to.be.instanceOf(VadModelHashError);
      expect((error as VadModelHashError).code).to.equal('VAD_MODEL_HASH_MISMATCH');
      expect((error as VadModelHashError).details['received']).to.equal(SILERO_VAD_SHA256);
    }
    try {
      await SileroVad.load({ modelPath: '/nonexistent/silero_vad.onnx' });
      expect.fail('a missing model loaded');
    } catch (error) {
      expect((error as VadModelUnreadableError).code).to.equal('VAD_MODEL_UNREADABLE');
    }
  });

  it('finds speech in real recordings, none in silence, little in white noise', async () => {
    for (const name of [...fixtureNames('ast-'), 'alsa-Front_Center.wav']) {
      const s = readFixture(name);
      const va = voiceActivity(await vad.speechProbabilities(s), 1024 / 16000, s.length / 16000);
      expect(va.speechRatio, name).to.be.greaterThan(0.4);
      expect(va.segments.length, name).to.be.greaterThan(0);
    }
    const silence = new Float32Array(16000 * 5);
    const vs = voiceActivity(await vad.speechProbabilities(silence), 0.064, 5);
    expect(vs.speechSeconds).to.equal(0);
    const noise = whiteNoise(16000 * 5, 0.1, 7);
    const vn = voiceActivity(await vad.speechProbabilities(noise), 0.064, 5);
    expect(vn.speechRatio).to.be.lessThan(0.1);
  });

  for (const window of [512, 1024] as const) {
    it(`batched lanes agree with one call per window (${window} samples)`, async () => {
      const speech = concat(fixtureNames('ast-').map(readFixture));
      const seq = await vad.speechProbabilitiesSequential(speech, window);
      const lanes = await vad.speechProbabilities(speech, { window, maxLanes: 16 });
      expect(lanes.length).to.equal(seq.length);
      // The lanes start from a warmed-up but not identical LSTM state, so a few windows near the
      // 0.5 threshold may flip; what is measured (speech seconds) must barely move.
      let diff = 0;
      let flips = 0;
      for (let i = 0; i < seq.length; i += 1) {
        diff += Math.abs(seq[i]! - lanes[i]!);
        if (seq[i]! >= 0.5 !== lanes[i]! >= 0.5) flips += 1;
      }
      expect(diff / seq.length).to.be.lessThan(0.05);
      expect(flips / seq.length).to.be.lessThan(0.02);
      const d = speech.length / 16000;
      const a = voiceActivity(seq, window / 16000, d);
      const b = voiceActivity(lanes, window / 16000, d);
      expect(Math.abs(a.speechSeconds - b.speechSeconds)).to.be.lessThan(0.02 * a.speechSeconds);
    });
  }

  it('64 ms windows measure the same speech as 32 ms ones, within 2 %', async () => {
    const speech = concat(fixtureNames('ast-').map(readFixture));
    const d = speech.length / 16000;
    const a = voiceActivity(await vad.speechProbabilitiesSequential(speech, 512), 0.032, d);
    const b = voiceActivity(await vad.speechProbabilities(speech), 0.064, d);
    expect(Math.abs(a.speechSeconds - b.speechSeconds)).to.be.lessThan(0.02 * a.speechSeconds);
  });

  it('skips the model inside long silences without changing what it finds', async () => {
    const speech = fixtureNames('ast-').map(readFixture);
    const quiet = (n: number, seed: number) => whiteNoise(n, 1, seed).map((v) => Math.max(-5e-5, Math.min(5e-5, v * 3e-5)));
    const parts: Float32Array[] = [new Float32Array(16000 * 3)];
    speech.forEach((s, k) => parts.push(s, k % 2 === 0 ? new Float32Array(16000 * 4) : quiet(16000 * 4, k)));
    const gappy = concat(parts);
    const d = gappy.length / 16000;
    const audible = audibleWindows(gappy, 1024, DEFAULT_VAD_RUN.silenceFloor, 8, 16);
    expect(audible).to.not.equal(null);
    expect(audible!.length).to.be.lessThan(0.75 * Math.ceil(gappy.length / 1024)); // a third of the windows skipped
    const gated = await vad.speechProbabilities(gappy);
    const full = await vad.speechProbabilities(gappy, { silenceFloor: -1 });
    const a = voiceActivity(gated, 0.064, d);
    const b = voiceActivity(full, 0.064, d);
    expect(a.segments.length).to.equal(b.segments.length);
    a.segments.forEach((s, i) => {
      expect(Math.abs(s.start - b.segments[i]!.start)).to.be.at.most(0.0641);
      expect(Math.abs(s.end - b.segments[i]!.end)).to.be.at.most(0.0641);
    });
    expect(Math.abs(a.speechSeconds - b.speechSeconds)).to.be.lessThan(0.005 * b.speechSeconds);
    const seen = new Set(audible);
    for (let w = 0; w < full.length; w += 1) {
      if (!seen.has(w)) {
        expect(gated[w]).to.equal(0);
        expect(full[w]!, `window ${w}`).to.be.lessThan(0.35); // skipped: the model would not call it speech
      }
    }
  });

  it('sees every window when nothing is below the floor (speech in a noise floor: identical output)', async () => {
    const speech = concat(fixtureNames('ast-').map(readFixture));
    const noisy = speech.map((v, i) => v + 0.001 * Math.sin(i * 0.7));
    expect(audibleWindows(noisy, 1024, DEFAULT_VAD_RUN.silenceFloor, 8, 16)).to.equal(null);
    expect(await vad.speechProbabilities(noisy)).to.deep.equal(await vad.speechProbabilities(noisy, { silenceFloor: -1 }));
  });

  it('refuses non-finite samples', async () => {
    const s = new Float32Array(1024);
    s[100] = Number.NaN;
    try {
      await vad.speechProbabilities(s);
      expect.fail('NaN accepted');
    } catch (error) {
      expect(error).to.be.instanceOf(InvalidSamplesError);
      expect((error as InvalidSamplesError).code).to.equal('AUDIO_SAMPLES_INVALID');
    }
  });
});

describe('audio/vad-segments: hysteresis and minimum durations', () => {
  const w = 0.032;
  it('bridges short dips, drops blips, pads and merges', () => {
    const p = new Float32Array(100);
    for (let i = 10; i < 40; i += 1) p[i] = 0.9;
    p[20] = 0.4; // above negThreshold: no break
    p[25] = 0.1; // one window below: shorter than min silence (0.1 s)
    p[60] = 0.9; // blip shorter than min speech
    for (let i = 70; i < 90; i += 1) p[i] = 0.8;
    const va = voiceActivity(p, w, 100 * w);
    expect(va.segments).to.have.length(2);
    expect(va.segments[0]!.start).to.be.closeTo(10 * w - 0.03, 1e-9);
    expect(va.segments[0]!.end).to.be.closeTo(40 * w + 0.03, 1e-9);
    expect(va.speechSeconds).to.be.closeTo(30 * w + 20 * w + 0.12, 1e-9);
  });
  it('handles empty input and speech up to the end', () => {
    expect(voiceActivity(new Float32Array(0), w, 0).speechRatio).to.equal(0);
    const p = new Float32Array(20).fill(0.99);
    const va = voiceActivity(p, w, 20 * w);
    expect(va.speechRatio).to.be.closeTo(1, 1e-9);
  });
});
