"""Log-mel spectrograms exactly as YAMNet was trained on them.

YAMNet does not listen to raw samples: it looks at a picture of the sound, a
log-mel spectrogram.  To reuse its knowledge we must draw that picture the way
Google did when training it:

========================  ==========================================
sample rate               16 kHz (other rates are resampled first)
window                    25 ms = 400 samples, periodic Hann
hop                       10 ms = 160 samples
FFT                       512 points, magnitude (not power)
mel bands                 64, from 125 Hz to 7,500 Hz (HTK mel scale,
                          triangles not normalised)
log                       ``log(mel + 0.001)`` (natural log; the offset
                          avoids log(0) in silence)
patch                     96 frames x 64 bands = 0.96 s
========================  ==========================================

A 0.98 s signal at 16 kHz (15,680 samples) gives exactly 96 frames: one patch.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

import librosa
import numpy as np
from threadpoolctl import ThreadpoolController

from .validation import (
    LessonError,
    _short_repr,
    check_audio,
    check_int,
    check_waveform,
    peak_checked,
    warn_at_caller,
)

__all__ = [
    "CHUNK_FRAMES",
    "FMAX",
    "FMIN",
    "HOP_SAMPLES",
    "LOG_OFFSET",
    "MAX_SAMPLE_RATE",
    "MIN_SAMPLE_RATE",
    "N_FFT",
    "N_MELS",
    "PATCH_FRAMES",
    "PATCH_HOP_FRAMES",
    "PATCH_SAMPLES",
    "PATCH_HOP_SAMPLES",
    "SAMPLE_RATE",
    "WINDOW_SAMPLES",
    "as_clips",
    "check_rate",
    "clip_average",
    "clip_patches",
    "log_mel_spectrogram",
    "mel_band_groups",
    "mel_filter_bank",
    "pad_for_patches",
    "patches",
    "resample",
    "waveform_to_patches",
]

SAMPLE_RATE = 16_000  # Hz
WINDOW_SAMPLES = 400  # 25 ms
HOP_SAMPLES = 160  # 10 ms
N_FFT = 512
N_MELS = 64
FMIN = 125.0  # Hz
FMAX = 7_500.0  # Hz
LOG_OFFSET = 0.001
PATCH_FRAMES = 96  # 0.96 s of frames per patch
PATCH_HOP_FRAMES = 48  # patches start every 0.48 s
PATCH_SAMPLES = WINDOW_SAMPLES + (PATCH_FRAMES - 1) * HOP_SAMPLES  # 15,600 = 0.975 s
PATCH_HOP_SAMPLES = PATCH_HOP_FRAMES * HOP_SAMPLES  # 7,680 = 0.48 s
VERY_SHORT_SECONDS = 0.05  # clips shorter than this are warned about: nearly all padding

# librosa frames at n_fft (512) and centres the 400-sample window inside each
# frame; padding the signal by 56 samples on both sides makes frame i start
# its window at sample 160 * i, exactly where TensorFlow's 400-sample frames are.
_FRAME_PAD = (N_FFT - WINDOW_SAMPLES) // 2


@lru_cache(maxsize=1)
def mel_filter_bank() -> np.ndarray:
    """YAMNet's mel filter bank, shape ``(64, 257)``: mel band x FFT bin, float32."""
    bank = librosa.filters.mel(
        sr=SAMPLE_RATE, n_fft=N_FFT, n_mels=N_MELS, fmin=FMIN, fmax=FMAX, htk=True, norm=None
    )
    return bank.astype(np.float32)


def mel_band_groups(groups: int) -> tuple[list[np.ndarray], np.ndarray]:
    """The 64 mel bands cut into ``groups`` neighbouring groups, low to high, and their edges.

    Parameters
    ----------
    groups : int
        How many groups, 1 to 64.  Where 64 does not divide evenly, the first
        groups get one band more (``np.array_split``): 8 groups hold 8 bands
        each, 5 groups hold 13, 13, 13, 13 and 12.

    Returns
    -------
    bands : list of ``groups`` int arrays
        The band indices (0 = lowest, 63 = highest) of each group.
    edges : float array, shape ``(groups + 1,)``
        Where each group starts and ends, in Hz: halfway (on the mel scale)
        between the centres of the last band of one group and the first of
        the next; the first group starts at 125 Hz, the last ends at 7,500 Hz.
        (Neighbouring mel triangles overlap, so a group also hears a little
        beyond its edges.)
    """
    groups = check_int(groups, "groups", 1, N_MELS)
    bands = np.array_split(np.arange(N_MELS), groups)
    points = librosa.hz_to_mel(  # band b's centre is points[b + 1]
        librosa.mel_frequencies(N_MELS + 2, fmin=FMIN, fmax=FMAX, htk=True), htk=True
    )
    inner = [(points[group[0]] + points[group[0] + 1]) / 2 for group in bands[1:]]
    edges = np.array([FMIN, *librosa.mel_to_hz(np.array(inner), htk=True), FMAX])
    return bands, edges


MIN_SAMPLE_RATE = 250
"""The lowest rate YAMNet's features take: its mel bands start at 125 Hz, so a slower
recording holds nothing it hears (and resampling it to 16 kHz would make it 64 times longer)."""

MAX_SAMPLE_RATE = 1_000_000
"""The highest rate taken (sound cards stop at 768 kHz): more is a slip."""


def check_rate(sample_rate: Any, name: str = "sample_rate") -> int:
    """Return a sampling rate in Hz as an ``int`` from :data:`MIN_SAMPLE_RATE` to
    :data:`MAX_SAMPLE_RATE`; else raise :class:`LessonError` with the range."""
    if (
        isinstance(sample_rate, bool)
        or not isinstance(sample_rate, (int, np.integer))
        or not MIN_SAMPLE_RATE <= sample_rate <= MAX_SAMPLE_RATE
    ):
        raise LessonError(
            f"{name} must be a whole number of Hz from {MIN_SAMPLE_RATE} to "
            f"{MAX_SAMPLE_RATE:,} (YAMNet hears 125 to 7,500 Hz), got {_short_repr(sample_rate)}."
        )
    return int(sample_rate)


def resample(
    signals: np.ndarray, sample_rate: int, new_sample_rate: int = SAMPLE_RATE
) -> np.ndarray:
    """Resample along the first (samples) axis with an anti-aliasing resampler (soxr).

    ``signals``: shape ``(samples,)`` or ``(samples, signals)`` at ``sample_rate`` Hz
    (integer PCM is scaled to [-1, 1] first, see :func:`~yamnet_lesson.validation.check_audio`).
    Returns float32 of shape ``(round(samples * new_sample_rate / sample_rate), ...)`` at
    ``new_sample_rate`` Hz.
    """
    sample_rate = check_rate(sample_rate)
    new_sample_rate = check_rate(new_sample_rate, "new_sample_rate")
    audio = check_audio(signals, "signals", sample_rate=sample_rate)
    return _resample(audio, sample_rate, new_sample_rate)


def _resample(
    audio: np.ndarray, sample_rate: int, new_sample_rate: int = SAMPLE_RATE
) -> np.ndarray:
    """:func:`resample` of audio already checked by ``check_audio``."""
    if sample_rate == new_sample_rate:
        return audio
    resampled = librosa.resample(
        audio, orig_sr=sample_rate, target_sr=new_sample_rate, res_type="soxr_hq", axis=0
    )
    return np.ascontiguousarray(resampled, dtype=np.float32)


def log_mel_spectrogram(signals: np.ndarray, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """YAMNet's log-mel spectrogram of one signal or of a batch of signals.

    Parameters
    ----------
    signals : array, shape ``(samples,)`` or ``(samples, signals)``
        Audio in [-1, 1], one signal per column (as :mod:`yamnet_lesson.signals` makes it);
        integer PCM (e.g. int16) is scaled to [-1, 1] first.  An array that looks
        transposed (see :func:`~yamnet_lesson.validation.check_clips_layout`) is refused.
    sample_rate : int
        Sampling rate in Hz; other rates than 16 kHz are resampled first.

    Returns
    -------
    float32 array, shape ``(frames, 64)`` for one signal or ``(signals, frames, 64)``
    for a batch, with ``frames = 1 + (samples_at_16kHz - 400) // 160``.
    A 0.98 s signal gives ``(96, 64)``: one YAMNet patch.  Long signals are
    transformed in chunks of :data:`CHUNK_FRAMES` frames, so the working memory
    beyond the result stays bounded (under 100 MB) however long the clip; see
    ``benchmarks/long_clip_memory.py``.
    """
    sample_rate = check_rate(sample_rate)
    return _log_mel(
        _resample(check_audio(signals, "signals", sample_rate=sample_rate), sample_rate)
    )


CHUNK_FRAMES = 2**14
"""Frames (over all signals together) transformed at once: bounds the STFT's memory.

16,384 frames of 257 complex64 bins take 34 MB, about 2.6 minutes of one clip.
No chunk is shorter than 64 frames: matrix products of a few columns may take
another code path in the BLAS library and round differently, and the result
would then depend on where the chunks fall.
"""
_MIN_CHUNK = 64


def _chunks(n_frames: int, step: int) -> list[tuple[int, int]]:
    """``(first, last)`` frame ranges of ``step`` frames; a short remainder joins the last one."""
    step = max(step, _MIN_CHUNK)
    starts = list(range(0, n_frames, step))
    if len(starts) > 1 and n_frames - starts[-1] < _MIN_CHUNK:
        starts.pop()
    return list(zip(starts, [*starts[1:], n_frames], strict=True))


# The mel products are small: several BLAS threads mostly wait for each other,
# and on a busy machine (a shared Binder or classroom server) that made the
# features of 500 spoken digits take 12 s instead of 0.6 s.  One thread it is.
_BLAS = ThreadpoolController()


def _log_mel(audio: np.ndarray, length: int | None = None) -> np.ndarray:
    """:func:`log_mel_spectrogram` of checked 16 kHz audio, zero-padded at the end to ``length``.

    Frame ``i`` covers samples ``160 i - 56`` to ``160 i + 456`` of the signal
    (zeros outside it), as when the whole signal is padded by 56 samples on both
    sides; computing the frames chunk by chunk gives the same numbers.
    """
    n = audio.shape[0]
    length = n if length is None else length
    if length < WINDOW_SAMPLES:
        raise LessonError(
            f"signals are {length} samples long at 16 kHz; at least {WINDOW_SAMPLES} "
            "(25 ms) are needed for one frame."
        )
    signals = audio.T  # librosa works on the last axis: (signals, samples)
    batch = signals.shape[:-1]
    n_frames = 1 + (length - WINDOW_SAMPLES) // HOP_SAMPLES
    out = np.empty((*batch, n_frames, N_MELS), dtype=np.float32)
    with _BLAS.limit(limits=1, user_api="blas"):  # see _BLAS
        for first, last in _chunks(n_frames, CHUNK_FRAMES // max(1, int(np.prod(batch)))):
            start = first * HOP_SAMPLES - _FRAME_PAD  # may lie before the signal (zeros)
            stop = (last - 1) * HOP_SAMPLES + N_FFT - _FRAME_PAD  # may lie after its end
            piece = signals[..., max(start, 0) : min(stop, n)]
            before = max(0, -start)
            after = stop - start - before - piece.shape[-1]
            piece = np.pad(piece, [(0, 0)] * len(batch) + [(before, after)])
            stft = librosa.stft(
                piece,
                n_fft=N_FFT,
                hop_length=HOP_SAMPLES,
                win_length=WINDOW_SAMPLES,
                window="hann",
                center=False,
            )  # (..., 257 bins, frames); librosa's Hann window is periodic
            # (bands, bins) x (..., bins, frames) as one matrix product, not one per signal
            mel = np.tensordot(mel_filter_bank(), np.abs(stft), axes=([1], [-2]))
            out[..., first:last, :] = np.moveaxis(np.log(mel + LOG_OFFSET), 0, -1)
    return out


def patches(log_mel: np.ndarray, hop_frames: int = PATCH_HOP_FRAMES) -> np.ndarray:
    """Cut a ``(frames, 64)`` log-mel spectrogram into ``(patches, 96, 64)`` patches.

    Patches start every ``hop_frames`` frames (48 frames = 0.48 s, as YAMNet does);
    frames after the last whole patch are dropped.
    """
    log_mel = np.asarray(log_mel, dtype=np.float32)
    hop_frames = check_int(hop_frames, "hop_frames", 1)
    if log_mel.ndim != 2 or log_mel.shape[0] < PATCH_FRAMES or log_mel.shape[1] != N_MELS:
        raise LessonError(
            f"need a (frames, {N_MELS}) log-mel spectrogram with at least {PATCH_FRAMES} "
            f"frames, got shape {log_mel.shape}."
        )
    windows = np.lib.stride_tricks.sliding_window_view(log_mel, PATCH_FRAMES, axis=0)
    return np.ascontiguousarray(windows[::hop_frames].transpose(0, 2, 1))


def _padded_length(n: int, whole_hops: bool) -> int:
    """The length :func:`pad_for_patches` pads an ``n``-sample clip to."""
    if not whole_hops:
        return max(n, PATCH_SAMPLES)
    hops = max(0, -(-(n - PATCH_SAMPLES) // PATCH_HOP_SAMPLES))
    return PATCH_SAMPLES + hops * PATCH_HOP_SAMPLES


def pad_for_patches(waveform: np.ndarray, *, whole_hops: bool = True) -> np.ndarray:
    """Zero-pad a 16 kHz waveform before cutting it into patches.

    Clips shorter than one patch (15,600 samples = 0.975 s) are always padded to
    one patch.  With ``whole_hops=True`` (what YAMNet itself does) longer clips are
    also padded up to a whole number of 0.48 s hops after the first patch, so the
    end of the clip is never dropped; with ``whole_hops=False`` the tail that does
    not fill a whole patch is left out (a 0.98 s signal stays one patch).
    """
    waveform = check_waveform(waveform)
    n = waveform.shape[0]
    return np.pad(waveform, (0, _padded_length(n, whole_hops) - n))


def waveform_to_patches(
    waveform: np.ndarray, sample_rate: int = SAMPLE_RATE, *, whole_hops: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """One clip -> ``(patches (n, 96, 64), log_mel (frames, 64))``, as YAMNet frames it.

    The clip (1-D, any length, any rate; integer PCM scaled to [-1, 1]) is
    resampled to 16 kHz, padded as :func:`pad_for_patches` does, turned into a
    log-mel spectrogram and cut into patches every 0.48 s starting at 0.
    """
    sample_rate = check_rate(sample_rate)
    audio = _resample(check_waveform(waveform), sample_rate)
    log_mel = _log_mel(audio, _padded_length(audio.shape[0], whole_hops))
    return patches(log_mel), log_mel


def as_clips(audio: Any, name: str = "audio", sample_rate: int = SAMPLE_RATE) -> list[np.ndarray]:
    """Clips as a list of 1-D float32 waveforms.

    ``audio`` is a ``(samples, clips)`` array (one clip per column, as the
    lesson's signals are), a list of 1-D waveforms of any lengths, or one 1-D
    waveform, at ``sample_rate`` Hz (a list of plain numbers is one waveform).
    Integer PCM is scaled; an array that looks transposed is refused at once
    (see ``check_audio``); a file name is refused with the call that reads it.
    """
    if isinstance(audio, (str, bytes, os.PathLike)):
        raise LessonError(
            f"{name} is a file name, not samples; read the file first: "
            f"waveform, sample_rate = yl.audio.read_audio({os.fsdecode(audio)!r})."
        )
    if _is_read_audio_pair(audio):
        raise LessonError(
            f"{name} is a (waveform, sample_rate) pair, as read_audio returns it; pass the "
            "waveform, and its rate as the sample_rate argument."
        )
    if isinstance(audio, (list, tuple)) and any(_is_read_audio_pair(clip) for clip in audio):
        raise LessonError(
            f"{name} holds (waveform, sample_rate) pairs, as read_audio returns them; pass "
            "the waveforms at one rate (features.resample converts one), and that rate as the "
            "sample_rate argument."
        )
    if isinstance(audio, (list, tuple)) and audio and all(np.isscalar(x) for x in audio):
        audio = np.asarray(audio)  # one waveform, written out as a list of numbers
    if (isinstance(audio, np.ndarray) and audio.dtype != object) or not isinstance(audio, Iterable):
        array = check_audio(audio, name, sample_rate=sample_rate)
        clips = [array] if array.ndim == 1 else list(array.T)
    else:
        clips = [check_audio(clip, f"{name}[{i}]") for i, clip in enumerate(audio)]
        for i, clip in enumerate(clips):
            if clip.ndim != 1:
                raise LessonError(f"{name}[{i}] must be a 1-D waveform, got shape {clip.shape}.")
        if not clips:
            raise LessonError(f"{name} holds no clips.")
    shortest = min(len(clip) for clip in clips)
    if shortest < VERY_SHORT_SECONDS * sample_rate:  # e.g. audio[:100] meant as audio[:, :100]
        warn_at_caller(
            f"{name} holds a clip of only {shortest:,} samples ({1000 * shortest / sample_rate:.0f}"
            f" ms at {sample_rate:,} Hz); YAMNet hears 0.975 s at a time, so it is mostly the "
            "silence it is padded with. To keep some of the signals of a (samples, signals) "
            "array, slice its columns: audio[:, :k]."
        )
    return clips


def _is_read_audio_pair(value: Any) -> bool:
    """``(waveform, sample_rate)`` as :func:`yamnet_lesson.audio.read_audio` returns it."""
    return (
        isinstance(value, tuple)
        and len(value) == 2
        and isinstance(value[1], (int, np.integer))
        and np.ndim(value[0]) == 1
    )


def clip_patches(audio: Any, sample_rate: int = SAMPLE_RATE) -> tuple[np.ndarray, np.ndarray]:
    """Clips of any lengths and rate -> YAMNet patches, and the clip each patch came from.

    Parameters
    ----------
    audio
        Clips, as :func:`as_clips` takes them.
    sample_rate
        Their sampling rate in Hz (resampled to 16 kHz).

    Returns
    -------
    patches : float32 array, shape ``(n_patches, 96, 64)``
        Every clip's patches, 0.48 s apart, one after the other.  A clip shorter
        than 0.975 s is zero-padded to one patch; the tail after a clip's last
        whole patch is left out, so a 0.98 s signal is exactly one patch.
    clip_index : int array, shape ``(n_patches,)``
        For each patch, the index of its clip.
    """
    sample_rate = check_rate(sample_rate)
    clips = as_clips(audio, sample_rate=sample_rate)
    same_length = len({clip.shape[0] for clip in clips}) == 1
    with peak_checked():  # as_clips has checked the clips: one warning per clip at most
        if sample_rate == SAMPLE_RATE and same_length and clips[0].shape[0] >= PATCH_SAMPLES:
            # all clips at once: one batched log-mel (the reference's 300 signals)
            per_clip = [patches(m) for m in log_mel_spectrogram(np.stack(clips, axis=1))]
        else:
            per_clip = [waveform_to_patches(c, sample_rate, whole_hops=False)[0] for c in clips]
    clip_index = np.repeat(np.arange(len(clips)), [p.shape[0] for p in per_clip])
    return np.concatenate(per_clip), clip_index


def clip_average(per_patch: np.ndarray, clip_index: np.ndarray) -> np.ndarray:
    """Per-patch values averaged per clip: ``(n_patches, C)`` -> ``(n_clips, C)``.

    ``clip_index`` is what :func:`clip_patches` returns beside the patches; a
    clip's class probabilities are the mean of its patches' probabilities.
    """
    n_clips = int(clip_index.max()) + 1
    sums = np.zeros((n_clips, per_patch.shape[1]))
    np.add.at(sums, clip_index, per_patch)
    return sums / np.bincount(clip_index, minlength=n_clips)[:, None]
