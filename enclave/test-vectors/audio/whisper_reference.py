#!/usr/bin/env python3
"""Reference log-mel vectors for enclave/src/audio/logmel.ts.

Implements, with numpy only, the algorithm of openai/whisper's `log_mel_spectrogram`
(whisper/audio.py): torch.stft(n_fft=400, hop=160, window=hann_window(400) (periodic),
center=True, pad_mode='reflect'), power of every frame but the last, mel filters from
librosa.filters.mel(sr=16000, n_fft=400, n_mels, htk=False, norm='slaney') in float32 (the
contents of Whisper's mel_filters.npz), log10(clamp(x, 1e-10)), max(x, max - 8), (x + 4) / 4.
Written from the published algorithm; neither torch nor librosa is needed.

Writes whisper-reference.json (cases, filter checksums) and whisper-reference.f32
(the log-mel values of every case, little-endian float32, frame-major).

Run: python3 enclave/test-vectors/audio/whisper_reference.py
"""
import json
import os
import struct
import wave

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
SR, N_FFT, HOP = 16000, 400, 160


def hz_to_mel(f):
    f = np.asarray(f, dtype=np.float64)
    f_sp, min_log_hz = 200.0 / 3, 1000.0
    min_log_mel, logstep = min_log_hz / f_sp, np.log(6.4) / 27.0
    return np.where(f >= min_log_hz, min_log_mel + np.log(np.maximum(f, 1e-300) / min_log_hz) / logstep, f / f_sp)


def mel_to_hz(m):
    m = np.asarray(m, dtype=np.float64)
    f_sp, min_log_hz = 200.0 / 3, 1000.0
    min_log_mel, logstep = min_log_hz / f_sp, np.log(6.4) / 27.0
    return np.where(m >= min_log_mel, min_log_hz * np.exp(logstep * (m - min_log_mel)), f_sp * m)


def mel_filters(n_mels):
    """librosa.filters.mel(sr=16000, n_fft=400, n_mels=n_mels) with its defaults (float32)."""
    weights = np.zeros((n_mels, 1 + N_FFT // 2), dtype=np.float32)
    fftfreqs = np.fft.rfftfreq(n=N_FFT, d=1.0 / SR)
    mel_f = mel_to_hz(np.linspace(hz_to_mel(0.0), hz_to_mel(SR / 2.0), n_mels + 2))
    fdiff = np.diff(mel_f)
    ramps = np.subtract.outer(mel_f, fftfreqs)
    for i in range(n_mels):
        lower = -ramps[i] / fdiff[i]
        upper = ramps[i + 2] / fdiff[i + 1]
        weights[i] = np.maximum(0, np.minimum(lower, upper))
    enorm = 2.0 / (mel_f[2 : n_mels + 2] - mel_f[:n_mels])
    weights *= enorm[:, np.newaxis]
    return weights


def log_mel(audio, n_mels):
    audio = np.asarray(audio, dtype=np.float32).astype(np.float64)
    window = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(N_FFT) / N_FFT)  # periodic Hann
    padded = np.pad(audio, (N_FFT // 2, N_FFT // 2), mode="reflect")
    n_frames = 1 + (len(padded) - N_FFT) // HOP
    frames = np.stack([padded[i * HOP : i * HOP + N_FFT] * window for i in range(n_frames)])
    stft = np.fft.rfft(frames, axis=1).T  # (freq, frames), as torch.stft returns it
    magnitudes = np.abs(stft[..., :-1]) ** 2
    mel_spec = mel_filters(n_mels).astype(np.float64) @ magnitudes
    log_spec = np.log10(np.maximum(mel_spec, 1e-10))
    log_spec = np.maximum(log_spec, log_spec.max() - 8.0)
    log_spec = (log_spec + 4.0) / 4.0
    return log_spec.T.astype(np.float32)  # frame-major


def read_wav_16k(path):
    with wave.open(path, "rb") as w:
        assert w.getframerate() == SR and w.getnchannels() == 1 and w.getsampwidth() == 2
        pcm = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
    return pcm.astype(np.float32) / 32768.0


def synthetic(n):
    """Must match `synthetic` in logmel.test.ts: two tones, a chirp and a decaying click train."""
    t = np.arange(n, dtype=np.float64) / SR
    x = 0.5 * np.sin(2 * np.pi * 440.0 * t) + 0.2 * np.sin(2 * np.pi * (200.0 + 1500.0 * t) * t)
    x += 0.05 * np.sin(2 * np.pi * 6000.0 * t) * (np.arange(n) % 1600 < 400)
    return x.astype(np.float32)


def two_tones_padded():
    """1 s of 440 Hz + 1 kHz, zero-padded to Whisper's 30 s window (pad_or_trim)."""
    n = np.arange(16000, dtype=np.float64)
    x = np.zeros(30 * SR, dtype=np.float64)
    x[:16000] = 0.5 * np.sin(2 * np.pi * 440 * n / SR) + 0.25 * np.sin(2 * np.pi * 1000 * n / SR)
    return x.astype(np.float32)


def main():
    speech = read_wav_16k(os.path.join(HERE, "speech-16k.wav"))
    silence_then_tone = np.concatenate([np.zeros(8000), synthetic(8000)]).astype(np.float32)
    cases = [
        ("speech-16k.wav[0:48000]", speech[:48000], 80),
        ("speech-16k.wav[0:48000]", speech[:48000], 128),
        ("synthetic(16000)", synthetic(16000), 80),
        ("synthetic(16000)", synthetic(16000), 128),
        ("zeros(8000)+synthetic(8000)", silence_then_tone, 80),
        ("synthetic(161)", synthetic(161), 80),
        ("synthetic(401)", synthetic(401), 128),
        ("synthetic(1999)", synthetic(1999), 80),
        ("twoTones(16000)+zeros(464000)", two_tones_padded(), 80),
    ]
    # Long cases keep only their first frames (the floor still comes from the whole file).
    keep = {"twoTones(16000)+zeros(464000)": 150}
    blob = bytearray()
    out_cases = []
    for name, audio, n_mels in cases:
        spec = log_mel(audio, n_mels)
        case = {"input": name, "samples": int(len(audio)), "nMels": n_mels, "frames": int(spec.shape[0]), "offset": len(blob) // 4}
        if name in keep:
            spec = spec[: keep[name]]
            case["storedFrames"] = keep[name]
        out_cases.append(case)
        blob += spec.astype("<f4").tobytes()
    filters = {}
    for n_mels in (80, 128):
        f = mel_filters(n_mels)
        nz = [np.nonzero(row)[0] for row in f]
        filters[str(n_mels)] = {
            "sum": float(f.astype(np.float64).sum()),
            "rowSums": [float(r) for r in f.astype(np.float64).sum(axis=1)],
            "firstBin": [int(z[0]) if len(z) else -1 for z in nz],
            "lastBin": [int(z[-1]) if len(z) else -1 for z in nz],
            "maxValue": [float(v) for v in f.max(axis=1)],
            "samples": [[r, c, float(f[r, c])] for r, c in [(0, 1), (1, 2), (10, 12), (40, 60), (n_mels - 1, 190), (n_mels // 2, int(nz[n_mels // 2][0]) + 1)]],
        }
    meta = {
        "generator": "whisper_reference.py (numpy %s)" % np.__version__,
        "algorithm": "openai/whisper whisper/audio.py log_mel_spectrogram, librosa slaney mel filters",
        "cases": out_cases,
        "filters": filters,
    }
    with open(os.path.join(HERE, "whisper-reference.f32"), "wb") as fh:
        fh.write(blob)
    with open(os.path.join(HERE, "whisper-reference.json"), "w") as fh:
        json.dump(meta, fh, indent=1)
        fh.write("\n")
    print("wrote %d cases, %d bytes" % (len(out_cases), len(blob)))


if __name__ == "__main__":
    main()
