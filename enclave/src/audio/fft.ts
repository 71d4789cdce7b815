// A mixed-radix FFT for the short, non-power-of-two frames speech features use (Whisper's
// 400-point frame): the real transform runs as a half-length complex transform (200 =
// 4*2*5*5) with every twiddle factor precomputed and no allocation per call.
//
// Complex part: Stockham autosort, decimation in frequency (C. Van Loan, "Computational
// Frameworks for the Fast Fourier Transform", SIAM 1992, section 1.7), specialised
// butterflies for radix 2, 4 and 5 and a plain DFT butterfly for any other prime. Real
// part: the packing of an N-point real sequence into an N/2-point complex one (Brigham,
// "The Fast Fourier Transform and Its Applications", 1988, section 9.3).

interface Stage {
  radix: number;
  /** Sub-transform length before this stage, and m = length / radix. */
  length: number;
  m: number;
  stride: number;
  /** twiddles[(p*(radix-1) + k-1)*2 + {0,1}] = exp(-2 pi i p k / length). */
  twiddles: Float64Array;
}

function factorize(n: number): number[] {
  const radices: number[] = [];
  while (n % 8 === 0) {
    radices.push(8);
    n /= 8;
  }
  while (n % 4 === 0) {
    radices.push(4);
    n /= 4;
  }
  for (const r of [2, 3, 5]) {
    while (n % r === 0) {
      radices.push(r);
      n /= r;
    }
  }
  for (let r = 7; n > 1; r += 2) {
    while (n % r === 0) {
      radices.push(r);
      n /= r;
    }
  }
  return radices;
}

const C5_1 = Math.cos((2 * Math.PI) / 5);
const C5_2 = Math.cos((4 * Math.PI) / 5);
const S5_1 = Math.sin((2 * Math.PI) / 5);
const S5_2 = Math.sin((4 * Math.PI) / 5);

/** Forward complex FFT of a fixed length over interleaved (re, im) Float64Arrays. */
export class ComplexFft {
  readonly size: number;
  private readonly stages: Stage[];
  private readonly work: Float64Array;
  private readonly dftCos: Float64Array[] = [];
  private readonly dftSin: Float64Array[] = [];

  constructor(size: number) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`FFT size must be a positive integer, received ${size}`);
    this.size = size;
    this.work = new Float64Array(2 * size);
    this.stages = [];
    let length = size;
    let stride = 1;
    for (const radix of factorize(size)) {
      const m = length / radix;
      const twiddles = new Float64Array(m * (radix - 1) * 2);
      for (let p = 0; p < m; p++) {
        for (let k = 1; k < radix; k++) {
          const angle = (-2 * Math.PI * p * k) / length;
          twiddles[(p * (radix - 1) + k - 1) * 2] = Math.cos(angle);
          twiddles[(p * (radix - 1) + k - 1) * 2 + 1] = Math.sin(angle);
        }
      }
      this.stages.push({ radix, length, m, stride, twiddles });
      if (radix > 5 || radix === 3) {
        const cos = new Float64Array(radix * radix);
        const sin = new Float64Array(radix * radix);
        for (let j = 0; j < radix; j++) {
          for (let k = 0; k < radix; k++) {
            cos[j * radix + k] = Math.cos((-2 * Math.PI * ((j * k) % radix)) / radix);
            sin[j * radix + k] = Math.sin((-2 * Math.PI * ((j * k) % radix)) / radix);
          }
        }
        this.dftCos[radix] = cos;
        this.dftSin[radix] = sin;
      }
      length = m;
      stride *= radix;
    }
  }

  /**
   * Transforms `data` (interleaved re, im; 2*size values) in place.
   * X[k] = sum_n x[n] exp(-2 pi i n k / size).
   */
  transform(data: Float64Array): void {
    let x = data;
    let y = this.work;
    for (const stage of this.stages) {
      switch (stage.radix) {
        case 2:
          radix2(stage, x, y);
          break;
        case 4:
          radix4(stage, x, y);
          break;
        case 5:
          radix5(stage, x, y);
          break;
        case 8:
          radix8(stage, x, y);
          break;
        default:
          radixGeneric(stage, x, y, this.dftCos[stage.radix]!, this.dftSin[stage.radix]!);
      }
      const t = x;
      x = y;
      y = t;
    }
    if (x !== data) data.set(x);
  }
}

function radix2(stage: Stage, x: Float64Array, y: Float64Array): void {
  const { m, stride: s, twiddles: tw } = stage;
  for (let p = 0; p < m; p++) {
    const wr = tw[2 * p]!;
    const wi = tw[2 * p + 1]!;
    for (let q = 0; q < s; q++) {
      const a = 2 * (q + s * p);
      const b = 2 * (q + s * (p + m));
      const ar = x[a]!, ai = x[a + 1]!, br = x[b]!, bi = x[b + 1]!;
      const o0 = 2 * (q + s * 2 * p);
      const o1 = o0 + 2 * s;
      y[o0] = ar + br;
      y[o0 + 1] = ai + bi;
      const dr = ar - br, di = ai - bi;
      y[o1] = dr * wr - di * wi;
      y[o1 + 1] = dr * wi + di * wr;
    }
  }
}

function radix4(stage: Stage, x: Float64Array, y: Float64Array): void {
  const { m, stride: s, twiddles: tw } = stage;
  const sm2 = 2 * s * m;
  for (let p = 0; p < m; p++) {
    const t = 6 * p;
    const w1r = tw[t]!, w1i = tw[t + 1]!, w2r = tw[t + 2]!, w2i = tw[t + 3]!, w3r = tw[t + 4]!, w3i = tw[t + 5]!;
    for (let q = 0; q < s; q++) {
      const i0 = 2 * (q + s * p);
      const a0r = x[i0]!, a0i = x[i0 + 1]!;
      const a1r = x[i0 + sm2]!, a1i = x[i0 + sm2 + 1]!;
      const a2r = x[i0 + 2 * sm2]!, a2i = x[i0 + 2 * sm2 + 1]!;
      const a3r = x[i0 + 3 * sm2]!, a3i = x[i0 + 3 * sm2 + 1]!;
      const t0r = a0r + a2r, t0i = a0i + a2i, t1r = a0r - a2r, t1i = a0i - a2i;
      const t2r = a1r + a3r, t2i = a1i + a3i, t3r = a1r - a3r, t3i = a1i - a3i;
      const o = 2 * (q + s * 4 * p);
      const os = 2 * s;
      y[o] = t0r + t2r;
      y[o + 1] = t0i + t2i;
      // b1 = t1 - i*t3, b2 = t0 - t2, b3 = t1 + i*t3, each times its twiddle.
      const b1r = t1r + t3i, b1i = t1i - t3r;
      const b2r = t0r - t2r, b2i = t0i - t2i;
      const b3r = t1r - t3i, b3i = t1i + t3r;
      y[o + os] = b1r * w1r - b1i * w1i;
      y[o + os + 1] = b1r * w1i + b1i * w1r;
      y[o + 2 * os] = b2r * w2r - b2i * w2i;
      y[o + 2 * os + 1] = b2r * w2i + b2i * w2r;
      y[o + 3 * os] = b3r * w3r - b3i * w3i;
      y[o + 3 * os + 1] = b3r * w3i + b3i * w3r;
    }
  }
}

const SQRT_HALF = Math.SQRT1_2;

function radix8(stage: Stage, x: Float64Array, y: Float64Array): void {
  const { m, stride: s, twiddles: tw } = stage;
  const sm2 = 2 * s * m;
  const os = 2 * s;
  for (let p = 0; p < m; p++) {
    const t = 14 * p;
    for (let q = 0; q < s; q++) {
      const i0 = 2 * (q + s * p);
      const a0r = x[i0]!, a0i = x[i0 + 1]!, a1r = x[i0 + sm2]!, a1i = x[i0 + sm2 + 1]!;
      const a2r = x[i0 + 2 * sm2]!, a2i = x[i0 + 2 * sm2 + 1]!, a3r = x[i0 + 3 * sm2]!, a3i = x[i0 + 3 * sm2 + 1]!;
      const a4r = x[i0 + 4 * sm2]!, a4i = x[i0 + 4 * sm2 + 1]!, a5r = x[i0 + 5 * sm2]!, a5i = x[i0 + 5 * sm2 + 1]!;
      const a6r = x[i0 + 6 * sm2]!, a6i = x[i0 + 6 * sm2 + 1]!, a7r = x[i0 + 7 * sm2]!, a7i = x[i0 + 7 * sm2 + 1]!;
      // 4-point DFTs of the even and the odd inputs.
      let t0r = a0r + a4r, t0i = a0i + a4i, t1r = a0r - a4r, t1i = a0i - a4i;
      let t2r = a2r + a6r, t2i = a2i + a6i, t3r = a2r - a6r, t3i = a2i - a6i;
      const e0r = t0r + t2r, e0i = t0i + t2i, e2r = t0r - t2r, e2i = t0i - t2i;
      const e1r = t1r + t3i, e1i = t1i - t3r, e3r = t1r - t3i, e3i = t1i + t3r;
      t0r = a1r + a5r; t0i = a1i + a5i; t1r = a1r - a5r; t1i = a1i - a5i;
      t2r = a3r + a7r; t2i = a3i + a7i; t3r = a3r - a7r; t3i = a3i - a7i;
      const o0r = t0r + t2r, o0i = t0i + t2i, o2r = t0r - t2r, o2i = t0i - t2i;
      const o1r = t1r + t3i, o1i = t1i - t3r, o3r = t1r - t3i, o3i = t1i + t3r;
      // Odd halves times W8^k: W8 = (1 - i)/sqrt 2, W8^2 = -i, W8^3 = -(1 + i)/sqrt 2.
      const u1r = SQRT_HALF * (o1r + o1i), u1i = SQRT_HALF * (o1i - o1r);
      const u2r = o2i, u2i = -o2r;
      const u3r = SQRT_HALF * (o3i - o3r), u3i = -SQRT_HALF * (o3r + o3i);
      const o = 2 * (q + s * 8 * p);
      y[o] = e0r + o0r;
      y[o + 1] = e0i + o0i;
      let br = e1r + u1r, bi = e1i + u1i;
      y[o + os] = br * tw[t]! - bi * tw[t + 1]!;
      y[o + os + 1] = br * tw[t + 1]! + bi * tw[t]!;
      br = e2r + u2r; bi = e2i + u2i;
      y[o + 2 * os] = br * tw[t + 2]! - bi * tw[t + 3]!;
      y[o + 2 * os + 1] = br * tw[t + 3]! + bi * tw[t + 2]!;
      br = e3r + u3r; bi = e3i + u3i;
      y[o + 3 * os] = br * tw[t + 4]! - bi * tw[t + 5]!;
      y[o + 3 * os + 1] = br * tw[t + 5]! + bi * tw[t + 4]!;
      br = e0r - o0r; bi = e0i - o0i;
      y[o + 4 * os] = br * tw[t + 6]! - bi * tw[t + 7]!;
      y[o + 4 * os + 1] = br * tw[t + 7]! + bi * tw[t + 6]!;
      br = e1r - u1r; bi = e1i - u1i;
      y[o + 5 * os] = br * tw[t + 8]! - bi * tw[t + 9]!;
      y[o + 5 * os + 1] = br * tw[t + 9]! + bi * tw[t + 8]!;
      br = e2r - u2r; bi = e2i - u2i;
      y[o + 6 * os] = br * tw[t + 10]! - bi * tw[t + 11]!;
      y[o + 6 * os + 1] = br * tw[t + 11]! + bi * tw[t + 10]!;
      br = e3r - u3r; bi = e3i - u3i;
      y[o + 7 * os] = br * tw[t + 12]! - bi * tw[t + 13]!;
      y[o + 7 * os + 1] = br * tw[t + 13]! + bi * tw[t + 12]!;
    }
  }
}

function radix5(stage: Stage, x: Float64Array, y: Float64Array): void {
  const { m, stride: s, twiddles: tw } = stage;
  const sm2 = 2 * s * m;
  for (let p = 0; p < m; p++) {
    const t = 8 * p;
    const w1r = tw[t]!, w1i = tw[t + 1]!, w2r = tw[t + 2]!, w2i = tw[t + 3]!;
    const w3r = tw[t + 4]!, w3i = tw[t + 5]!, w4r = tw[t + 6]!, w4i = tw[t + 7]!;
    for (let q = 0; q < s; q++) {
      const i0 = 2 * (q + s * p);
      const a0r = x[i0]!, a0i = x[i0 + 1]!;
      const a1r = x[i0 + sm2]!, a1i = x[i0 + sm2 + 1]!;
      const a2r = x[i0 + 2 * sm2]!, a2i = x[i0 + 2 * sm2 + 1]!;
      const a3r = x[i0 + 3 * sm2]!, a3i = x[i0 + 3 * sm2 + 1]!;
      const a4r = x[i0 + 4 * sm2]!, a4i = x[i0 + 4 * sm2 + 1]!;
      const t1r = a1r + a4r, t1i = a1i + a4i, t2r = a2r + a3r, t2i = a2i + a3i;
      const t3r = a1r - a4r, t3i = a1i - a4i, t4r = a2r - a3r, t4i = a2i - a3i;
      const m1r = a0r + C5_1 * t1r + C5_2 * t2r, m1i = a0i + C5_1 * t1i + C5_2 * t2i;
      const m2r = a0r + C5_2 * t1r + C5_1 * t2r, m2i = a0i + C5_2 * t1i + C5_1 * t2i;
      const ur = S5_1 * t3r + S5_2 * t4r, ui = S5_1 * t3i + S5_2 * t4i;
      const vr = S5_2 * t3r - S5_1 * t4r, vi = S5_2 * t3i - S5_1 * t4i;
      // b1 = m1 - i*u, b4 = m1 + i*u, b2 = m2 - i*v, b3 = m2 + i*v.
      const b1r = m1r + ui, b1i = m1i - ur, b4r = m1r - ui, b4i = m1i + ur;
      const b2r = m2r + vi, b2i = m2i - vr, b3r = m2r - vi, b3i = m2i + vr;
      const o = 2 * (q + s * 5 * p);
      const os = 2 * s;
      y[o] = a0r + t1r + t2r;
      y[o + 1] = a0i + t1i + t2i;
      if (p === 0) {
        // Every twiddle of p = 0 is 1 (the whole last stage, where m = 1).
        y[o + os] = b1r;
        y[o + os + 1] = b1i;
        y[o + 2 * os] = b2r;
        y[o + 2 * os + 1] = b2i;
        y[o + 3 * os] = b3r;
        y[o + 3 * os + 1] = b3i;
        y[o + 4 * os] = b4r;
        y[o + 4 * os + 1] = b4i;
        continue;
      }
      y[o + os] = b1r * w1r - b1i * w1i;
      y[o + os + 1] = b1r * w1i + b1i * w1r;
      y[o + 2 * os] = b2r * w2r - b2i * w2i;
      y[o + 2 * os + 1] = b2r * w2i + b2i * w2r;
      y[o + 3 * os] = b3r * w3r - b3i * w3i;
      y[o + 3 * os + 1] = b3r * w3i + b3i * w3r;
      y[o + 4 * os] = b4r * w4r - b4i * w4i;
      y[o + 4 * os + 1] = b4r * w4i + b4i * w4r;
    }
  }
}

function radixGeneric(stage: Stage, x: Float64Array, y: Float64Array, cos: Float64Array, sin: Float64Array): void {
  const { radix: r, m, stride: s, twiddles: tw } = stage;
  for (let p = 0; p < m; p++) {
    for (let q = 0; q < s; q++) {
      for (let k = 0; k < r; k++) {
        let br = 0;
        let bi = 0;
        for (let j = 0; j < r; j++) {
          const i = 2 * (q + s * (p + j * m));
          const c = cos[j * r + k]!, sn = sin[j * r + k]!;
          br += x[i]! * c - x[i + 1]! * sn;
          bi += x[i]! * sn + x[i + 1]! * c;
        }
        const o = 2 * (q + s * (r * p + k));
        if (k === 0) {
          y[o] = br;
          y[o + 1] = bi;
        } else {
          const t = (p * (r - 1) + k - 1) * 2;
          y[o] = br * tw[t]! - bi * tw[t + 1]!;
          y[o + 1] = br * tw[t + 1]! + bi * tw[t]!;
        }
      }
    }
  }
}

/** Power spectrum |X[k]|^2, k = 0..N/2, of a real sequence of even length N. */
export class RealPowerSpectrum {
  readonly size: number;
  readonly bins: number;
  private readonly fft: ComplexFft;
  private readonly packed: Float64Array;
  private readonly cos: Float64Array;
  private readonly sin: Float64Array;

  constructor(size: number) {
    if (!Number.isInteger(size) || size < 2 || size % 2 !== 0) throw new RangeError(`real FFT size must be even, received ${size}`);
    this.size = size;
    this.bins = size / 2 + 1;
    this.fft = new ComplexFft(size / 2);
    this.packed = new Float64Array(size);
    this.cos = new Float64Array(this.bins);
    this.sin = new Float64Array(this.bins);
    for (let k = 0; k < this.bins; k++) {
      this.cos[k] = Math.cos((-2 * Math.PI * k) / size);
      this.sin[k] = Math.sin((-2 * Math.PI * k) / size);
    }
  }

  /** The buffer to fill with the N real input samples before `compute` (its contents are overwritten). */
  get input(): Float64Array {
    return this.packed;
  }

  /** Transforms `input` and writes N/2+1 powers into `out`. */
  compute(out: Float64Array): void {
    // The real samples, read as interleaved (re, im) pairs, are z[n] = x[2n] + i x[2n+1].
    const z = this.packed;
    this.fft.transform(z);
    const half = this.size / 2;
    const cos = this.cos;
    const sin = this.sin;
    // k = 0 and k = N/2 both pair Z[0] with itself: X[0] = re + im, X[N/2] = re - im.
    const z0 = z[0]! + z[1]!;
    const zh = z[0]! - z[1]!;
    out[0] = z0 * z0;
    out[half] = zh * zh;
    for (let k = 1; k < half; k++) {
      const a = 2 * k;
      const b = 2 * (half - k);
      const zr = z[a]!, zi = z[a + 1]!, cr = z[b]!, ci = -z[b + 1]!;
      // E = (Z[k] + conj Z[N/2-k]) / 2, O = (Z[k] - conj Z[N/2-k]) / 2i, X = E + W^k O.
      const er = (zr + cr) / 2, ei = (zi + ci) / 2;
      const dr = zr - cr, di = zi - ci;
      const or = di / 2, oi = -dr / 2;
      const xr = er + cos[k]! * or - sin[k]! * oi;
      const xi = ei + cos[k]! * oi + sin[k]! * or;
      out[k] = xr * xr + xi * xi;
    }
  }
}

/**
 * Real FFT of even length N with its inverse, on spectra of N/2+1 complex bins stored
 * interleaved (re, im). Used for fast convolution, where the phase matters.
 */
export class RealFft {
  readonly size: number;
  private readonly fft: ComplexFft;
  private readonly z: Float64Array;
  private readonly cos: Float64Array;
  private readonly sin: Float64Array;

  constructor(size: number) {
    if (!Number.isInteger(size) || size < 2 || size % 2 !== 0) throw new RangeError(`real FFT size must be even, received ${size}`);
    this.size = size;
    const half = size / 2;
    this.fft = new ComplexFft(half);
    this.z = new Float64Array(size);
    this.cos = new Float64Array(half + 1);
    this.sin = new Float64Array(half + 1);
    for (let k = 0; k <= half; k++) {
      this.cos[k] = Math.cos((-2 * Math.PI * k) / size);
      this.sin[k] = Math.sin((-2 * Math.PI * k) / size);
    }
  }

  /** spectrum[0 .. N+1] = X[k] (re, im), k = 0..N/2, of the N real values in `input`. */
  forward(input: Float64Array, spectrum: Float64Array): void {
    const z = this.z;
    z.set(input.subarray(0, this.size));
    this.fft.transform(z);
    const half = this.size / 2;
    spectrum[0] = z[0]! + z[1]!;
    spectrum[1] = 0;
    spectrum[2 * half] = z[0]! - z[1]!;
    spectrum[2 * half + 1] = 0;
    for (let k = 1; k < half; k++) {
      const a = 2 * k;
      const b = 2 * (half - k);
      const zr = z[a]!, zi = z[a + 1]!, cr = z[b]!, ci = -z[b + 1]!;
      const er = (zr + cr) / 2, ei = (zi + ci) / 2;
      const or = (zi - ci) / 2, oi = -(zr - cr) / 2;
      spectrum[a] = er + this.cos[k]! * or - this.sin[k]! * oi;
      spectrum[a + 1] = ei + this.cos[k]! * oi + this.sin[k]! * or;
    }
  }

  /** output[0 .. N-1] = the real signal whose spectrum is `spectrum` (scaled by 1/N). */
  inverse(spectrum: Float64Array, output: Float64Array): void {
    const z = this.z;
    const half = this.size / 2;
    // Z[k] = Xe[k] + i Xo[k], Xe = (X[k] + conj X[N/2-k]) / 2, Xo = (X[k] - conj X[N/2-k]) W^-k / 2;
    // the inverse transform is taken as conj(FFT(conj Z)), hence the sign of the imaginary parts.
    for (let k = 0; k < half; k++) {
      const a = 2 * k;
      const b = 2 * (half - k);
      const xr = spectrum[a]!, xi = spectrum[a + 1]!, cr = spectrum[b]!, ci = -spectrum[b + 1]!;
      const er = (xr + cr) / 2, ei = (xi + ci) / 2;
      const dr = (xr - cr) / 2, di = (xi - ci) / 2;
      // times W^-k = cos - i sin of (-2 pi k / N), i.e. (cos[k], -sin[k]).
      const c = this.cos[k]!, s = -this.sin[k]!;
      const or = dr * c - di * s, oi = dr * s + di * c;
      // Z = E + i O
      z[a] = er - oi;
      z[a + 1] = -(ei + or);
    }
    this.fft.transform(z);
    const scale = 1 / half;
    for (let n = 0; n < half; n++) {
      output[2 * n] = z[2 * n]! * scale;
      output[2 * n + 1] = -z[2 * n + 1]! * scale;
    }
  }
}

/**
 * The transform of one Whisper STFT frame, specialised for its size: power spectrum of 400
 * windowed real samples through a 200-point complex FFT (200 = 8 * 5 * 5, three Stockham
 * passes with the loop bounds and strides fixed). The windowing is fused into the first
 * pass, which reads the samples straight out of the signal: no copy of the frame is made.
 */
export class WhisperFramePower {
  static readonly SIZE = 400;
  static readonly BINS = 201;
  /** exp(-2 pi i p k / 200), p = 0..24, k = 1..7, at [(7p + k - 1) * 2]. */
  private readonly tw8 = new Float64Array(25 * 7 * 2);
  /** exp(-2 pi i p k / 25), p = 0..4, k = 1..4, at [(4p + k - 1) * 2]. */
  private readonly tw5 = new Float64Array(5 * 4 * 2);
  /** exp(-2 pi i k / 400), k = 0..200: the real-from-complex post-processing. */
  private readonly cos = new Float64Array(201);
  private readonly sin = new Float64Array(201);
  private readonly a = new Float64Array(400);
  private readonly b = new Float64Array(400);

  constructor() {
    for (let p = 0; p < 25; p++) {
      for (let k = 1; k < 8; k++) {
        this.tw8[(7 * p + k - 1) * 2] = Math.cos((-2 * Math.PI * p * k) / 200);
        this.tw8[(7 * p + k - 1) * 2 + 1] = Math.sin((-2 * Math.PI * p * k) / 200);
      }
    }
    for (let p = 0; p < 5; p++) {
      for (let k = 1; k < 5; k++) {
        this.tw5[(4 * p + k - 1) * 2] = Math.cos((-2 * Math.PI * p * k) / 25);
        this.tw5[(4 * p + k - 1) * 2 + 1] = Math.sin((-2 * Math.PI * p * k) / 25);
      }
    }
    for (let k = 0; k <= 200; k++) {
      this.cos[k] = Math.cos((-2 * Math.PI * k) / 400);
      this.sin[k] = Math.sin((-2 * Math.PI * k) / 400);
    }
  }

  /**
   * power[k] = |X[k]|^2, k = 0..200, of x[n] = signal[start + n] * window[n], n = 0..399.
   * The caller guarantees start >= 0 and start + 400 <= signal.length.
   */
  compute(signal: Float32Array, start: number, window: Float64Array, power: Float64Array): void {
    const a = this.a;
    const b = this.b;
    // Pass 1, radix 8 (length 200, m = 25, stride 1): z[n] = x[2n] + i x[2n+1].
    const tw = this.tw8;
    for (let p = 0; p < 25; p++) {
      const n0 = 2 * p;
      const s0 = start + n0;
      const a0r = signal[s0]! * window[n0]!, a0i = signal[s0 + 1]! * window[n0 + 1]!;
      const a1r = signal[s0 + 50]! * window[n0 + 50]!, a1i = signal[s0 + 51]! * window[n0 + 51]!;
      const a2r = signal[s0 + 100]! * window[n0 + 100]!, a2i = signal[s0 + 101]! * window[n0 + 101]!;
      const a3r = signal[s0 + 150]! * window[n0 + 150]!, a3i = signal[s0 + 151]! * window[n0 + 151]!;
      const a4r = signal[s0 + 200]! * window[n0 + 200]!, a4i = signal[s0 + 201]! * window[n0 + 201]!;
      const a5r = signal[s0 + 250]! * window[n0 + 250]!, a5i = signal[s0 + 251]! * window[n0 + 251]!;
      const a6r = signal[s0 + 300]! * window[n0 + 300]!, a6i = signal[s0 + 301]! * window[n0 + 301]!;
      const a7r = signal[s0 + 350]! * window[n0 + 350]!, a7i = signal[s0 + 351]! * window[n0 + 351]!;
      // 8-point DFT as two 4-point DFTs (even and odd inputs) and the W8 combination.
      let t0r = a0r + a4r, t0i = a0i + a4i, t1r = a0r - a4r, t1i = a0i - a4i;
      let t2r = a2r + a6r, t2i = a2i + a6i, t3r = a2r - a6r, t3i = a2i - a6i;
      const e0r = t0r + t2r, e0i = t0i + t2i, e2r = t0r - t2r, e2i = t0i - t2i;
      const e1r = t1r + t3i, e1i = t1i - t3r, e3r = t1r - t3i, e3i = t1i + t3r;
      t0r = a1r + a5r; t0i = a1i + a5i; t1r = a1r - a5r; t1i = a1i - a5i;
      t2r = a3r + a7r; t2i = a3i + a7i; t3r = a3r - a7r; t3i = a3i - a7i;
      const o0r = t0r + t2r, o0i = t0i + t2i, o2r = t0r - t2r, o2i = t0i - t2i;
      const o1r = t1r + t3i, o1i = t1i - t3r, o3r = t1r - t3i, o3i = t1i + t3r;
      const u1r = SQRT_HALF * (o1r + o1i), u1i = SQRT_HALF * (o1i - o1r);
      const u3r = SQRT_HALF * (o3i - o3r), u3i = -SQRT_HALF * (o3r + o3i);
      const o = 16 * p;
      const t = 14 * p;
      a[o] = e0r + o0r;
      a[o + 1] = e0i + o0i;
      let br = e1r + u1r, bi = e1i + u1i;
      a[o + 2] = br * tw[t]! - bi * tw[t + 1]!;
      a[o + 3] = br * tw[t + 1]! + bi * tw[t]!;
      br = e2r + o2i; bi = e2i - o2r;
      a[o + 4] = br * tw[t + 2]! - bi * tw[t + 3]!;
      a[o + 5] = br * tw[t + 3]! + bi * tw[t + 2]!;
      br = e3r + u3r; bi = e3i + u3i;
      a[o + 6] = br * tw[t + 4]! - bi * tw[t + 5]!;
      a[o + 7] = br * tw[t + 5]! + bi * tw[t + 4]!;
      br = e0r - o0r; bi = e0i - o0i;
      a[o + 8] = br * tw[t + 6]! - bi * tw[t + 7]!;
      a[o + 9] = br * tw[t + 7]! + bi * tw[t + 6]!;
      br = e1r - u1r; bi = e1i - u1i;
      a[o + 10] = br * tw[t + 8]! - bi * tw[t + 9]!;
      a[o + 11] = br * tw[t + 9]! + bi * tw[t + 8]!;
      br = e2r - o2i; bi = e2i + o2r;
      a[o + 12] = br * tw[t + 10]! - bi * tw[t + 11]!;
      a[o + 13] = br * tw[t + 11]! + bi * tw[t + 10]!;
      br = e3r - u3r; bi = e3i - u3i;
      a[o + 14] = br * tw[t + 12]! - bi * tw[t + 13]!;
      a[o + 15] = br * tw[t + 13]! + bi * tw[t + 12]!;
    }
    // Pass 2, radix 5 (length 25, m = 5, stride 8): inputs q + 8(p + 5j), outputs q + 8(5p + k).
    const tv = this.tw5;
    for (let p = 0; p < 5; p++) {
      const t = 8 * p;
      const w1r = tv[t]!, w1i = tv[t + 1]!, w2r = tv[t + 2]!, w2i = tv[t + 3]!;
      const w3r = tv[t + 4]!, w3i = tv[t + 5]!, w4r = tv[t + 6]!, w4i = tv[t + 7]!;
      for (let q = 0; q < 8; q++) {
        const i0 = 2 * (q + 8 * p);
        const a0r = a[i0]!, a0i = a[i0 + 1]!, a1r = a[i0 + 80]!, a1i = a[i0 + 81]!;
        const a2r = a[i0 + 160]!, a2i = a[i0 + 161]!, a3r = a[i0 + 240]!, a3i = a[i0 + 241]!;
        const a4r = a[i0 + 320]!, a4i = a[i0 + 321]!;
        const t1r = a1r + a4r, t1i = a1i + a4i, t2r = a2r + a3r, t2i = a2i + a3i;
        const t3r = a1r - a4r, t3i = a1i - a4i, t4r = a2r - a3r, t4i = a2i - a3i;
        const m1r = a0r + C5_1 * t1r + C5_2 * t2r, m1i = a0i + C5_1 * t1i + C5_2 * t2i;
        const m2r = a0r + C5_2 * t1r + C5_1 * t2r, m2i = a0i + C5_2 * t1i + C5_1 * t2i;
        const ur = S5_1 * t3r + S5_2 * t4r, ui = S5_1 * t3i + S5_2 * t4i;
        const vr = S5_2 * t3r - S5_1 * t4r, vi = S5_2 * t3i - S5_1 * t4i;
        const b1r = m1r + ui, b1i = m1i - ur, b4r = m1r - ui, b4i = m1i + ur;
        const b2r = m2r + vi, b2i = m2i - vr, b3r = m2r - vi, b3i = m2i + vr;
        const o = 2 * (q + 40 * p);
        b[o] = a0r + t1r + t2r;
        b[o + 1] = a0i + t1i + t2i;
        b[o + 16] = b1r * w1r - b1i * w1i;
        b[o + 17] = b1r * w1i + b1i * w1r;
        b[o + 32] = b2r * w2r - b2i * w2i;
        b[o + 33] = b2r * w2i + b2i * w2r;
        b[o + 48] = b3r * w3r - b3i * w3i;
        b[o + 49] = b3r * w3i + b3i * w3r;
        b[o + 64] = b4r * w4r - b4i * w4i;
        b[o + 65] = b4r * w4i + b4i * w4r;
      }
    }
    // Pass 3, radix 5 (length 5, m = 1, stride 40; every twiddle is 1): natural order out.
    for (let q = 0; q < 40; q++) {
      const i0 = 2 * q;
      const a0r = b[i0]!, a0i = b[i0 + 1]!, a1r = b[i0 + 80]!, a1i = b[i0 + 81]!;
      const a2r = b[i0 + 160]!, a2i = b[i0 + 161]!, a3r = b[i0 + 240]!, a3i = b[i0 + 241]!;
      const a4r = b[i0 + 320]!, a4i = b[i0 + 321]!;
      const t1r = a1r + a4r, t1i = a1i + a4i, t2r = a2r + a3r, t2i = a2i + a3i;
      const t3r = a1r - a4r, t3i = a1i - a4i, t4r = a2r - a3r, t4i = a2i - a3i;
      const m1r = a0r + C5_1 * t1r + C5_2 * t2r, m1i = a0i + C5_1 * t1i + C5_2 * t2i;
      const m2r = a0r + C5_2 * t1r + C5_1 * t2r, m2i = a0i + C5_2 * t1i + C5_1 * t2i;
      const ur = S5_1 * t3r + S5_2 * t4r, ui = S5_1 * t3i + S5_2 * t4i;
      const vr = S5_2 * t3r - S5_1 * t4r, vi = S5_2 * t3i - S5_1 * t4i;
      a[i0] = a0r + t1r + t2r;
      a[i0 + 1] = a0i + t1i + t2i;
      a[i0 + 80] = m1r + ui;
      a[i0 + 81] = m1i - ur;
      a[i0 + 160] = m2r + vi;
      a[i0 + 161] = m2i - vr;
      a[i0 + 240] = m2r - vi;
      a[i0 + 241] = m2i + vr;
      a[i0 + 320] = m1r - ui;
      a[i0 + 321] = m1i + ur;
    }
    // Real spectrum from the half-length complex one (Brigham 1988, 9.3), bins k and 200 - k
    // together since both use Z[k] and Z[200 - k]: X[k] = E + W^k O, X[200-k] = conj(E - W^k O)
    // with E = (Z[k] + conj Z[200-k]) / 2, O = (Z[k] - conj Z[200-k]) / 2i, W = exp(-2 pi i / 400).
    const cos = this.cos;
    const sin = this.sin;
    const z0 = a[0]! + a[1]!;
    const zh = a[0]! - a[1]!;
    power[0] = z0 * z0;
    power[200] = zh * zh;
    for (let k = 1; k <= 100; k++) {
      const i = 2 * k;
      const j = 400 - i;
      const zr = a[i]!, zi = a[i + 1]!, cr = a[j]!, ci = -a[j + 1]!;
      const er = 0.5 * (zr + cr), ei = 0.5 * (zi + ci);
      const or = 0.5 * (zi - ci), oi = -0.5 * (zr - cr);
      const c = cos[k]!, s = sin[k]!;
      const wr = c * or - s * oi, wi = c * oi + s * or;
      const xr = er + wr, xi = ei + wi;
      power[k] = xr * xr + xi * xi;
      const yr = er - wr, yi = ei - wi;
      power[200 - k] = yr * yr + yi * yi;
    }
  }
}
