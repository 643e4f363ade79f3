"""White, brown and pink noise, generated the way the reference workflow does.

Every generator returns a float32 array of shape ``(n_samples, n_signals)``:
one signal per column, like the reference's ``samples x signals`` matrices.
All of them take a ``seed`` so that a lesson gives the same numbers every run.

The three colours differ only in how their power is spread over frequency:

* white noise: the same power at every frequency (0 dB per decade);
* pink noise: power falls as 1/f (-10 dB per decade, -3 dB per octave);
* brown noise: power falls as 1/f^2 (-20 dB per decade), like a random walk.

:func:`split_reference` splits such a dataset as the reference does (the first K
signals of each class train); it lives here, with the data, so that a notebook can
split without loading TensorFlow.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np
import scipy.signal

from .features import SAMPLE_RATE
from .validation import (
    MAX_SEED,
    LessonError,
    check_audio,
    check_examples_per_class,
    check_int,
    check_labels,
    check_positive,
    check_seed,
)

__all__ = [
    "NOISE_COLORS",
    "SAMPLE_RATE",
    "SIGNAL_SECONDS",
    "Segment",
    "brown_noise",
    "demo_clip",
    "noise_dataset",
    "pink_noise",
    "power_spectrum",
    "siren",
    "spectral_slope",
    "split_reference",
    "white_noise",
]

# every generated signal is at SAMPLE_RATE (16 kHz), the rate YAMNet expects

SIGNAL_SECONDS = 0.98
"""Length of each reference signal, in seconds (15,680 samples: one 96-frame patch)."""

NOISE_COLORS = ("white", "brown", "pink")
"""The class names, in the order the reference stacks them."""

BROWN_POLE = 0.999
"""Pole of the leaky integrator 1 / (1 - 0.999 z^-1) that turns white noise brown."""


MAX_SAMPLES = 2**27
"""The most samples one call generates (512 MB of float32, 2.3 hours at 16 kHz): more is a slip."""


def _check_size(n_samples: int, n_signals: int, what: str = "n_samples x n_signals") -> None:
    """Refuse asking for more than :data:`MAX_SAMPLES` samples at once (memory runs out)."""
    if n_samples * n_signals > MAX_SAMPLES:
        raise LessonError(
            f"{what} must be at most {MAX_SAMPLES:,} (512 MB of float32 audio), got "
            f"{n_samples * n_signals:,}."
        )


def _checked_rng(n_samples: int, n_signals: int, seed: int | None) -> np.random.Generator:
    """Check the shape and seed every generator takes; return the seeded random generator."""
    _check_size(check_int(n_samples, "n_samples", 1), check_int(n_signals, "n_signals", 1))
    return np.random.default_rng(check_seed(seed, optional=True))


def white_noise(n_samples: int, n_signals: int = 1, *, seed: int | None = None) -> np.ndarray:
    """Uniform white noise in [-1, 1], shape ``(n_samples, n_signals)``, float32."""
    rng = _checked_rng(n_samples, n_signals, seed)
    return rng.uniform(-1.0, 1.0, size=(n_samples, n_signals)).astype(np.float32)


def brown_noise(n_samples: int, n_signals: int = 1, *, seed: int | None = None) -> np.ndarray:
    """Brown noise, shape ``(n_samples, n_signals)``, float32.

    White noise from :func:`white_noise` with the same ``seed`` is passed through
    the filter ``1 / (1 - 0.999 z^-1)`` and the whole set is divided by its
    largest absolute value, as the reference does.  So every signal lies in
    [-1, 1] and exactly one sample of the set reaches +-1; quieter signals stay
    quieter than louder ones.
    """
    white = white_noise(n_samples, n_signals, seed=seed).astype(np.float64)
    brown = scipy.signal.lfilter([1.0], [1.0, -BROWN_POLE], white, axis=0)
    return (brown / np.max(np.abs(brown))).astype(np.float32)


def pink_noise(n_samples: int, n_signals: int = 1, *, seed: int | None = None) -> np.ndarray:
    """Pink (1/f) noise, shape ``(n_samples, n_signals)``, float32, each column peak 1.

    Each column is shaped in the frequency domain: random Gaussian spectrum
    components have their amplitude divided by ``sqrt(f)``, so that power falls
    as ``1/f`` (-10 dB per decade).  The columns are independent and each is
    scaled so that its largest absolute value is 1.
    """
    rng = _checked_rng(n_samples, n_signals, seed)
    if n_samples < 2:  # its one frequency would be 0 Hz, which is removed: silence, then 0 / 0
        raise LessonError(
            f"n_samples must be at least 2 for pink noise (one sample has no frequency but "
            f"0 Hz, which pink noise leaves out), got {n_samples}."
        )
    n_bins = n_samples // 2 + 1
    spectrum = rng.standard_normal((n_bins, n_signals)) + 1j * rng.standard_normal(
        (n_bins, n_signals)
    )
    bins = np.arange(n_bins, dtype=np.float64)
    bins[0] = 1.0  # avoid dividing by zero; the DC bin is then removed
    spectrum /= np.sqrt(bins)[:, None]
    spectrum[0] = 0.0
    pink = np.fft.irfft(spectrum, n=n_samples, axis=0)
    return (pink / np.max(np.abs(pink), axis=0, keepdims=True)).astype(np.float32)


def noise_dataset(
    n_per_color: int = 100,
    *,
    seconds: float = SIGNAL_SECONDS,
    sample_rate: int = SAMPLE_RATE,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """The reference data set: ``n_per_color`` white, brown and pink signals.

    Returns
    -------
    audio : float32 array, shape ``(n_samples, 3 * n_per_color)``
        White signals first, then brown, then pink, one per column.
        Brown noise is made from the same white noise, as in the reference; pink
        noise from seed ``seed + 1`` (0 after the largest seed, 2**32 - 1).
    labels : str array, shape ``(3 * n_per_color,)``
        ``"white"``, ``"brown"`` or ``"pink"`` for each column.
    """
    n_per_color = check_int(n_per_color, "n_per_color", 1)
    seed = check_seed(seed)
    sample_rate = check_int(sample_rate, "sample_rate", 1)
    n_samples = round(check_positive(seconds, "seconds") * sample_rate)
    check_int(n_samples, "seconds x sample_rate (samples per signal)", 1)
    _check_size(n_samples, 3 * n_per_color, "seconds x sample_rate x 3 n_per_color")
    audio = np.concatenate(
        [
            white_noise(n_samples, n_per_color, seed=seed),
            brown_noise(n_samples, n_per_color, seed=seed),
            pink_noise(n_samples, n_per_color, seed=(seed + 1) % (MAX_SEED + 1)),
        ],
        axis=1,
    )
    labels = np.repeat(np.array(NOISE_COLORS), n_per_color)
    return audio, labels


def power_spectrum(
    audio: np.ndarray, sample_rate: int = SAMPLE_RATE
) -> tuple[np.ndarray, np.ndarray]:
    """Welch power spectral density averaged over the signals (columns).

    ``audio``: shape ``(samples,)`` or ``(samples, signals)`` (integer PCM is
    scaled to [-1, 1] first).  Returns ``(freqs, psd)``: frequencies in Hz and
    power in units^2/Hz, each of shape ``(2049,)`` (4096-sample segments, or
    shorter for short signals).
    """
    sample_rate = check_int(sample_rate, "sample_rate", 1)
    audio = check_audio(audio, "audio", sample_rate=sample_rate).astype(np.float64)
    freqs, psd = scipy.signal.welch(
        audio, fs=sample_rate, nperseg=min(4096, audio.shape[0]), axis=0
    )
    return freqs, psd.mean(axis=1) if psd.ndim == 2 else psd


def spectral_slope(
    audio: np.ndarray, sample_rate: int = SAMPLE_RATE, f_low: float = 100.0, f_high: float = 5_000.0
) -> float:
    """Slope of the mean power spectrum in dB per decade between ``f_low`` and ``f_high`` Hz.

    A straight line is fitted to ``10 log10(psd)`` against ``log10(f)``:
    white noise gives about 0, pink about -10 and brown about -20.
    """
    sample_rate = check_int(sample_rate, "sample_rate", 1)
    f_low, f_high = check_positive(f_low, "f_low"), check_positive(f_high, "f_high")
    if f_high <= f_low:
        raise LessonError(
            f"f_high must be above f_low, got f_low={f_low:g} Hz and f_high={f_high:g} Hz."
        )
    freqs, psd = power_spectrum(audio, sample_rate)
    band = (freqs >= f_low) & (freqs <= f_high)
    if np.count_nonzero(band) < 2:
        raise LessonError(
            f"the spectrum has {np.count_nonzero(band)} frequencies from f_low={f_low:g} to "
            f"f_high={f_high:g} Hz (resolution {freqs[1] if len(freqs) > 1 else sample_rate:g} "
            f"Hz, up to {sample_rate / 2:g} Hz at {sample_rate:,} Hz) and a slope needs at least "
            "2; widen the band or pass a longer signal."
        )
    if not np.all(psd[band] > 0):
        raise LessonError(
            f"audio is silent somewhere between {f_low:g} and {f_high:g} Hz (zero power), so "
            "its spectrum has no slope in decibels; pass a signal with sound there."
        )
    slope, _ = np.polyfit(np.log10(freqs[band]), 10 * np.log10(psd[band]), 1)
    return float(slope)


# ---------------------------------------------------------------------------
# A clip of real-world-like sounds, made here (no files needed)
# ---------------------------------------------------------------------------


class Segment(NamedTuple):
    """One part of a clip: what plays (``name``) from ``start`` to ``end``, in seconds."""

    name: str
    start: float
    end: float


def siren(n_samples: int, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """A wailing siren, shape ``(n_samples,)``, float32 in [-1, 1].

    A square wave whose pitch sweeps between 600 and 1,400 Hz and back once a
    second (YAMNet hears "Police car (siren)").  Used where no recorded speech
    is available.
    """
    n_samples = check_int(n_samples, "n_samples", 1)
    _check_size(n_samples, 1, "n_samples")
    t = np.arange(n_samples) / check_int(sample_rate, "sample_rate", 1)
    pitch = 1_000.0 + 400.0 * np.sin(2 * np.pi * t)  # Hz
    phase = 2 * np.pi * np.cumsum(pitch) / sample_rate
    return np.sign(np.sin(phase)).astype(np.float32)


def demo_clip(
    speech: np.ndarray | None = None,
    *,
    segment_seconds: float = 2.0,
    level: float = 0.5,
    seed: int = 0,
) -> tuple[np.ndarray, list[Segment]]:
    """One clip that goes speech -> white -> pink -> brown noise -> silence, at 16 kHz.

    Parameters
    ----------
    speech : 1-D array at 16 kHz, or None
        A recording to open the clip with (e.g. :func:`yamnet_lesson.audio.spoken_digits`),
        cut or zero-padded to ``segment_seconds``.  ``None``: a synthesised
        :func:`siren` opens the clip instead, so the clip needs no files at all.
    segment_seconds : float
        Length of each of the five segments, in seconds.
    level : float
        Peak amplitude of each sound segment (the speech is scaled to it too).
    seed : int
        Seed of the three noises.

    Returns
    -------
    waveform : float32 array, shape ``(5 * round(segment_seconds * 16000),)``
        The clip, values in [-level, level].
    segments : list of :class:`Segment`
        What plays when: ``("speech" or "siren", 0, s)``, ``("white noise", s, 2 s)``,
        ``("pink noise", ...)``, ``("brown noise", ...)``, ``("silence", 4 s, 5 s)``
        with ``s = segment_seconds``.
    """
    n = round(check_positive(segment_seconds, "segment_seconds", 60) * SAMPLE_RATE)
    if n == 0:
        raise LessonError(
            f"segment_seconds must be at least 1 / {SAMPLE_RATE} s (one sample), got "
            f"{segment_seconds:g}."
        )
    level = check_positive(level, "level", 1)  # beyond full scale is no sound YAMNet hears
    seed = check_seed(seed)
    if speech is None:
        opening, first = siren(n), "siren"
    else:
        voice = check_audio(speech, "speech")
        if voice.ndim != 1:
            raise LessonError(f"speech must be one 1-D waveform, got shape {voice.shape}.")
        opening, first = np.pad(voice[:n], (0, max(0, n - voice.shape[0]))), "speech"
    parts = {
        first: opening,
        "white noise": white_noise(n, seed=seed)[:, 0],
        "pink noise": pink_noise(n, seed=(seed + 1) % (MAX_SEED + 1))[:, 0],
        "brown noise": brown_noise(n, seed=(seed + 2) % (MAX_SEED + 1))[:, 0],
    }
    pieces = [level * part / max(float(np.max(np.abs(part))), 1e-12) for part in parts.values()]
    pieces.append(np.zeros(n, dtype=np.float32))
    names = [*parts, "silence"]
    segments = [
        Segment(name, i * n / SAMPLE_RATE, (i + 1) * n / SAMPLE_RATE)
        for i, name in enumerate(names)
    ]
    return np.concatenate(pieces).astype(np.float32), segments


def split_reference(
    audio: np.ndarray, labels: Sequence[Any], k: int = 5, *, verbose: bool = True
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Split like the reference: the first ``k`` signals of each class train, the rest validate.

    Parameters
    ----------
    audio : array, shape ``(samples, signals)``
        One signal per column, as :func:`yamnet_lesson.signals.noise_dataset` returns it.
    labels : sequence, length ``signals``
    k : int
        Training examples per class (1 up to one less than the smallest class).

    Returns
    -------
    train_audio, train_labels, validation_audio, validation_labels
        Audio keeps the ``(samples, signals)`` layout; labels are arrays.
    """
    audio = check_audio(audio, "audio")
    labels = check_labels(labels)
    if audio.ndim != 2 or audio.shape[1] != labels.shape[0]:
        raise LessonError(
            f"audio must be (samples, signals) with one label per column; got audio {audio.shape} "
            f"and {labels.size} labels."
        )
    k = check_examples_per_class(k, labels.tolist())
    values = labels.tolist()
    classes = list(dict.fromkeys(values))
    members = {c: [i for i, v in enumerate(values) if v == c] for c in classes}  # tuples too
    smallest = min(len(where) for where in members.values())
    is_train = np.zeros(labels.shape[0], dtype=bool)
    for where in members.values():
        is_train[where[:k]] = True
    if verbose:
        print(f"Number of samples per noise color in train set = {k}")
        print(f"Number of samples per noise color in validation set = {smallest - k}")
    return audio[:, is_train], labels[is_train], audio[:, ~is_train], labels[~is_train]
