import { expect } from 'chai';
import { logMelSpectrogram } from './logmel.ts';
import { naiveLogMel } from './pipeline-reference.ts';
import { readFixture } from './score-fixtures.ts';

describe('audio/pipeline-reference: the benchmark\'s straightforward log-mel', () => {
  it('agrees with the production log-mel to 1e-4 (80 and 128 bands)', () => {
    const s = readFixture('ast-vm-sorry.wav').subarray(0, 16000);
    for (const nMels of [80, 128] as const) {
      const a = naiveLogMel(s, nMels);
      const b = logMelSpectrogram(s, { nMels });
      expect(a.frames).to.equal(b.frames);
      let max = 0;
      for (let i = 0; i < a.data.length; i += 1) max = Math.max(max, Math.abs(a.data[i]! - b.data[i]!));
      expect(max, `${nMels} bands`).to.be.lessThan(1e-4);
    }
  });
});
