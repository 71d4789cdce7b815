// Log-mel x-real-time on real speech, beside the straightforward way (a plain DFT per frame
// and a dense mel matrix multiply) measured in the same run, and the ratio between them.
import { cpuSeconds, loadSpeech, median, multiplyAddNanoseconds } from './bench-speech.ts';
import { logMelSpectrogram, periodicHann, type LogMelSpectrogram, type MelBands } from './logmel.ts';
import { slaneyMelFilterBank } from './mel-filters.ts';

/** The straightforward way: padded copy, O(N^2) DFT per frame, dense mel matrix, Math.log10. */
function naiveLogMel(samples: Float32Array, nMels: MelBands): LogMelSpectrogram {
  const nFft = 400;
  const hop = 160;
  const bins = 201;
  const window = periodicHann(nFft);
  const padded = new Float64Array(samples.length + nFft);
  for (let i = 0; i < padded.length; i++) {
    let j = i - nFft / 2;
    if (j < 0) j = -j;
    if (j >= samples.length) j = 2 * (samples.length - 1) - j;
    padded[i] = samples[j]!;
  }
  const cos = new Float64Array(bins * nFft);
  const sin = new Float64Array(bins * nFft);
  for (let k = 0; k < bins; k++) {
    for (let n = 0; n < nFft; n++) {
      cos[k * nFft + n] = Math.cos((2 * Math.PI * k * n) / nFft);
      sin[k * nFft + n] = Math.sin((2 * Math.PI * k * n) / nFft);
    }
  }
  const filters = slaneyMelFilterBank(16000, nFft, nMels).dense;
  const frames = Math.floor(samples.length / hop);
  const data = new Float32Array(frames * nMels);
  let max = Number.NEGATIVE_INFINITY;
  for (let f = 0; f < frames; f++) {
    const frame = new Float64Array(nFft);
    for (let n = 0; n < nFft; n++) frame[n] = padded[f * hop + n]! * window[n]!;
    const power = new Float64Array(bins);
    for (let k = 0; k < bins; k++) {
      let re = 0;
      let im = 0;
      for (let n = 0; n < nFft; n++) {
        re += frame[n]! * cos[k * nFft + n]!;
        im -= frame[n]! * sin[k * nFft + n]!;
      }
      power[k] = re * re + im * im;
    }
    for (let m = 0; m < nMels; m++) {
      let acc = 0;
      for (let k = 0; k < bins; k++) acc += filters[m * bins + k]! * power[k]!;
      const v = Math.log10(Math.max(acc, 1e-10));
      data[f * nMels + m] = v;
      max = Math.max(max, v);
    }
  }
  for (let i = 0; i < data.length; i++) data[i] = (Math.max(data[i]!, Math.fround(max) - 8) + 4) / 4;
  return { nMels, frames, data };
}

const SPEECH_SECONDS = 300;
const NAIVE_SECONDS = 10;
const { samples, source } = await loadSpeech(SPEECH_SECONDS);
const excerpt = samples.subarray(0, NAIVE_SECONDS * 16000);
console.log(`machine yardstick: a plain multiply-add loop takes ${multiplyAddNanoseconds().toFixed(2)} ns of CPU per element now`);
console.log(`speech: ${SPEECH_SECONDS} s from ${source}; x real time = audio seconds / CPU seconds of this process, one core; median and best of 5 interleaved runs (other jobs on the machine only ever add CPU time, through shared caches and cores)\n`);
console.log('| bands | ours (x real time) | ours, best run | CPU us per frame, best run | straightforward (x real time) | ratio (medians) | max |ours - straightforward| |');
console.log('|---|---|---|---|---|---|---|');
for (const nMels of [80, 128] as const) {
  logMelSpectrogram(excerpt, { nMels }); // warm-up
  const ours: number[] = [];
  const naive: number[] = [];
  let check: LogMelSpectrogram | undefined;
  for (let run = 0; run < 5; run++) {
    ours.push(SPEECH_SECONDS / cpuSeconds(() => logMelSpectrogram(samples, { nMels })));
    naive.push(NAIVE_SECONDS / cpuSeconds(() => (check = naiveLogMel(excerpt, nMels))));
  }
  const mine = logMelSpectrogram(excerpt, { nMels });
  let worst = 0;
  for (let i = 0; i < mine.data.length; i++) worst = Math.max(worst, Math.abs(mine.data[i]! - check!.data[i]!));
  const a = median(ours);
  const b = median(naive);
  const best = Math.max(...ours);
  const usPerFrame = (1e6 * SPEECH_SECONDS) / best / Math.floor(samples.length / 160);
  console.log(`| ${nMels} | ${a.toFixed(0)} | ${best.toFixed(0)} | ${usPerFrame.toFixed(2)} | ${b.toFixed(1)} | ${(a / b).toFixed(0)}x | ${worst.toExponential(1)} |`);
}
