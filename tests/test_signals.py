"""The noise generators: shapes, ranges, seeding and, above all, their spectral slopes."""

import numpy as np
import pytest
import scipy.signal

from yamnet_lesson import signals
from yamnet_lesson.validation import LessonError

FS = signals.SAMPLE_RATE


def residuals_db(audio: np.ndarray, f_lo: float, f_hi: float, slope: float) -> np.ndarray:
    """Deviation (dB) of the mean PSD from the best line of the given slope."""
    freqs, psd = signals.power_spectrum(audio, FS)
    band = (freqs >= f_lo) & (freqs <= f_hi)
    y = 10 * np.log10(psd[band]) - slope * np.log10(freqs[band])
    return y - y.mean()


@pytest.fixture(scope="module")
def dataset():
    return signals.noise_dataset(seed=0)


@pytest.mark.parametrize(("color", "expected"), [("white", 0.0), ("pink", -10.0), ("brown", -20.0)])
def test_spectral_slopes(dataset, color, expected):
    audio, labels = dataset
    slope = signals.spectral_slope(audio[:, labels == color], FS, 100.0, 5_000.0)
    assert slope == pytest.approx(expected, abs=2.0)


def test_pink_noise_follows_one_over_f_within_1_5_db():
    audio = signals.pink_noise(FS * 4, 50, seed=3)
    assert signals.spectral_slope(audio, FS, 50.0, 7_000.0) == pytest.approx(-10.0, abs=0.5)
    # the mean PSD stays within 1.5 dB of a -10 dB/decade line
    assert np.max(np.abs(residuals_db(audio, 50.0, 7_000.0, -10.0))) < 1.5


def test_reference_shapes_labels_and_ranges(dataset):
    audio, labels = dataset
    assert audio.shape == (15_680, 300) and audio.dtype == np.float32
    assert list(labels[[0, 100, 200]]) == ["white", "brown", "pink"]
    assert np.all(np.abs(audio) <= 1.0)
    white, brown, pink = (audio[:, labels == c] for c in signals.NOISE_COLORS)
    assert white.min() >= -1 and white.max() <= 1 and white.std() == pytest.approx(1 / 3**0.5, 0.02)
    # brown: normalised by the peak of the whole set, so exactly one set-wide peak of 1
    assert np.max(np.abs(brown)) == pytest.approx(1.0)
    assert np.max(np.abs(brown), axis=0).min() < 0.9
    # pink: every column independently reaches its own peak of 1
    np.testing.assert_allclose(np.max(np.abs(pink), axis=0), 1.0, rtol=1e-6)


def test_brown_noise_is_filtered_white_noise_with_the_same_seed():
    white = signals.white_noise(1000, 3, seed=7).astype(np.float64)
    brown = signals.brown_noise(1000, 3, seed=7)
    expected = scipy.signal.lfilter([1], [1, -0.999], white, axis=0)
    np.testing.assert_allclose(brown, expected / np.abs(expected).max(), atol=1e-6)


def test_seeded_and_independent_columns():
    a = signals.pink_noise(4000, 4, seed=1)
    np.testing.assert_array_equal(a, signals.pink_noise(4000, 4, seed=1))
    assert not np.array_equal(a, signals.pink_noise(4000, 4, seed=2))
    correlation = np.corrcoef(a.T)[np.triu_indices(4, 1)]
    assert np.max(np.abs(correlation)) < 0.3


@pytest.mark.parametrize("bad", [0, -5, 2.5, "10", True])
def test_bad_sizes_are_refused_clearly(bad):
    with pytest.raises(LessonError, match="n_samples"):
        signals.white_noise(bad, 2)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: signals.pink_noise(100, seed=1.5), "seed must be a whole number"),
        (lambda: signals.white_noise(100, seed=-1), "seed must be a whole number from 0 to 4,"),
        (lambda: signals.noise_dataset(2, seconds=float("nan")), "seconds must be a number above"),
        (lambda: signals.noise_dataset(2, seconds="1"), "seconds must be a number"),
        (lambda: signals.noise_dataset(2, sample_rate=0), "sample_rate must be at least 1"),
    ],
)
def test_bad_seeds_and_lengths_are_refused_clearly(call, message):
    with pytest.raises(LessonError, match=message):
        call()


# --------------------------------------------------------------------------- the demo clip


def test_demo_clip_plays_five_segments_in_order():
    clip, segments = signals.demo_clip(segment_seconds=1.0, level=0.5)
    assert clip.shape == (5 * FS,) and clip.dtype == np.float32
    assert [s.name for s in segments] == [
        "siren",
        "white noise",
        "pink noise",
        "brown noise",
        "silence",
    ]
    assert [(s.start, s.end) for s in segments] == [(i, i + 1.0) for i in range(5)]
    parts = clip.reshape(5, FS)
    assert np.abs(parts[:4]).max(axis=1) == pytest.approx([0.5] * 4)  # each at the level
    assert not parts[4].any()  # silence is digital silence
    # each noise segment is the colour it says: its slope in dB per decade
    slopes = [signals.spectral_slope(part[:, None]) for part in parts[1:4]]
    assert slopes == pytest.approx([0.0, -10.0, -20.0], abs=3.0)


def test_demo_clip_opens_with_the_speech_it_is_given():
    speech = 0.1 * np.sin(np.arange(FS // 2) / 5.0)  # half a second, quiet
    clip, segments = signals.demo_clip(speech, segment_seconds=1.0)
    assert segments[0].name == "speech"
    np.testing.assert_allclose(clip[: FS // 2], 5 * speech, rtol=1e-5)  # scaled to 0.5
    assert not clip[FS // 2 : FS].any()  # padded with silence to the segment's length
    long, _ = signals.demo_clip(np.ones(3 * FS), segment_seconds=1.0)
    assert long.shape == (5 * FS,)  # cut to the segment's length
    with pytest.raises(LessonError, match="speech must be one 1-D waveform"):
        signals.demo_clip(np.zeros((FS, 2)))


def test_the_siren_wails_between_600_and_1400_hz():
    wail = signals.siren(FS)
    assert set(np.unique(wail)) <= {-1.0, 0.0, 1.0}  # a square wave
    freqs, power = scipy.signal.welch(wail, fs=FS, nperseg=1024)
    fundamental = (freqs > 500) & (freqs < 1_500)
    assert freqs[np.argmax(power)] == pytest.approx(1_000, abs=450)
    assert power[fundamental].sum() > 0.5 * power.sum()
