"""The log-mel front end: shapes, constants and behaviour.

Parity with the official TF Lite graph's own log-mel tensor is checked in test_parity.py.
"""

import librosa
import numpy as np
import pytest

from yamnet_lesson import features, signals
from yamnet_lesson.validation import LessonError


def test_one_reference_signal_is_one_patch():
    audio, _ = signals.noise_dataset(2)
    batch = features.log_mel_spectrogram(audio)
    assert batch.shape == (6, 96, 64) and batch.dtype == np.float32
    single = features.log_mel_spectrogram(audio[:, 4])
    np.testing.assert_allclose(single, batch[4], atol=1e-5)


def test_matches_a_direct_computation_of_the_definition():
    """Frame at 400 samples, periodic Hann, |rFFT 512|, HTK mel 125-7500 Hz, log(x + 0.001)."""
    x = signals.pink_noise(4000, seed=0)[:, 0].astype(np.float64)
    n_frames = 1 + (len(x) - 400) // 160
    window = np.hanning(401)[:400]  # periodic Hann
    frames = np.stack([x[160 * i : 160 * i + 400] * window for i in range(n_frames)])
    magnitude = np.abs(np.fft.rfft(frames, n=512, axis=1))
    bank = librosa.filters.mel(
        sr=16000, n_fft=512, n_mels=64, fmin=125, fmax=7500, htk=True, norm=None
    )
    expected = np.log(magnitude @ bank.T + 0.001)
    got = features.log_mel_spectrogram(x)
    assert got.shape == (n_frames, 64)
    np.testing.assert_allclose(got, expected, atol=2e-4)


def test_other_rates_are_resampled_with_anti_aliasing():
    t = np.arange(44_100) / 44_100
    in_band = np.sin(2 * np.pi * 1_000 * t).astype(np.float32)
    above_nyquist = np.sin(2 * np.pi * 12_000 * t).astype(np.float32)  # above 8 kHz
    ref = features.log_mel_spectrogram(np.sin(2 * np.pi * 1_000 * np.arange(16_000) / 16_000))
    got = features.log_mel_spectrogram(in_band, sample_rate=44_100)
    assert got.shape == ref.shape
    np.testing.assert_allclose(got[2:-2], ref[2:-2], atol=0.05)
    # a 12 kHz tone must not fold back into the 125-7500 Hz bands: all near log(0.001)
    aliased = features.log_mel_spectrogram(above_nyquist, sample_rate=44_100)
    assert aliased[2:-2].max() < np.log(0.01)


def test_patches_every_0_48_s_and_padding_like_yamnet():
    assert features.PATCH_SAMPLES == 15_600 and features.PATCH_HOP_SAMPLES == 7_680
    assert features.pad_for_patches(np.ones(100)).shape == (15_600,)
    assert features.pad_for_patches(np.ones(15_600)).shape == (15_600,)
    assert features.pad_for_patches(np.ones(15_601)).shape == (15_600 + 7_680,)
    assert features.pad_for_patches(np.ones(15_680), whole_hops=False).shape == (15_680,)
    assert features.pad_for_patches(np.ones(9_000), whole_hops=False).shape == (15_600,)
    one, _ = features.waveform_to_patches(np.ones(15_680, np.float32), whole_hops=False)
    assert one.shape == (1, 96, 64)
    log_mel = np.arange(200 * 64, dtype=np.float32).reshape(200, 64)
    cut = features.patches(log_mel)
    assert cut.shape == (3, 96, 64)
    np.testing.assert_array_equal(cut[1], log_mel[48:144])
    five_seconds, frames = features.waveform_to_patches(np.zeros(5 * 16_000, np.float32))
    assert five_seconds.shape == (10, 96, 64) and frames.shape[1] == 64


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (np.zeros(100), "at least 400"),
        (np.array([0.0, np.nan] * 300), "NaN"),
        (np.zeros((2, 2, 2)), "1-D"),
        ("not audio", "array of numbers"),
    ],
)
def test_bad_input_gets_one_clear_message(bad, message):
    with pytest.raises(LessonError, match=message):
        features.log_mel_spectrogram(bad)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: features.pad_for_patches(np.ones((100, 2))), "one 1-D waveform"),
        (lambda: features.pad_for_patches([0.0] * 10), None),  # a list is a waveform too
        (lambda: features.patches(np.zeros((100, 3))), r"need a \(frames, 64\)"),
        (lambda: features.patches(np.zeros((100, 64)), hop_frames=0), "hop_frames must be"),
        (lambda: features.waveform_to_patches(np.ones((16_000, 2))), "one 1-D waveform"),
    ],
)
def test_patch_helpers_check_their_input(call, message):
    if message is None:
        assert call().shape == (15_600,)
        return
    with pytest.raises(LessonError, match=message):
        call()


def test_long_clips_are_transformed_in_chunks_with_the_same_numbers(monkeypatch):
    """Chunks of frames give exactly the frames of one whole transform (memory: benchmarks/)."""
    clip = signals.pink_noise(16_000 * 30 + 123, seed=4)[:, 0]  # 30 s, not a whole hop
    whole = features.log_mel_spectrogram(clip)  # 3,000 frames: one chunk
    assert whole.shape == (1 + (clip.shape[0] - 400) // 160, 64)
    for chunk in (1_024, 999):  # 1,024 + 1,024 + 952 frames; 999 + 999 + (999 + 3)
        monkeypatch.setattr(features, "CHUNK_FRAMES", chunk)
        np.testing.assert_array_equal(features.log_mel_spectrogram(clip), whole)
    assert features._chunks(3_000, 999) == [(0, 999), (999, 1_998), (1_998, 3_000)]
    assert features._chunks(96, 54) == [(0, 96)]  # never under 64 frames: the same rounding
    patches, log_mel = features.waveform_to_patches(clip)
    np.testing.assert_array_equal(log_mel[: whole.shape[0]], whole)
    assert patches.shape == (62, 96, 64)  # padded to whole 0.48 s hops, as YAMNet does
    batch = np.stack([clip, clip[::-1]], axis=1)  # a batch is chunked too: 999 frames in all
    np.testing.assert_array_equal(features.log_mel_spectrogram(batch)[0], whole)
