"""Figures for the lesson: spectra, mel images, confusion matrices, accuracy against K.

Every function returns a :class:`matplotlib.figure.Figure` with a title, axis
labels and units, so a notebook cell shows it and a test can inspect it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from . import features
from ._validation import LessonError, check_audio
from .signals import SAMPLE_RATE, power_spectrum, spectral_slope

__all__ = [
    "COLORS",
    "MODE_LABELS",
    "plot_accuracy_vs_k",
    "plot_confusion_matrix",
    "plot_front_end_comparison",
    "plot_mel_images",
    "plot_scores_over_time",
    "plot_spectra",
    "plot_waveforms",
]

COLORS = {"white": "0.55", "brown": "saddlebrown", "pink": "hotpink"}
"""Line colour for each noise colour (white noise drawn grey so it shows on white paper)."""

MODE_LABELS = {
    "finetune": "pretrained, fine-tuned",
    "head": "pretrained, only the new layer",
    "scratch": "from scratch",
}
"""Legend text for each training mode of :func:`yamnet_lesson.training.fine_tune`."""

MEL_BAND_LABEL = "Mel band (0 = 125 Hz ... 63 = 7.5 kHz)"
LOG_MEL_LABEL = "log(mel magnitude + 0.001)"


def _color(name: str) -> str | None:
    return COLORS.get(name)


def plot_waveforms(
    audio: np.ndarray, labels: Sequence[str], *, fs: int = SAMPLE_RATE, seconds: float = 0.05
) -> Figure:
    """The first ``seconds`` of the first signal of each class, one panel each."""
    audio = check_audio(audio, "audio", sample_rate=fs)  # integer PCM scaled to [-1, 1]
    labels = np.asarray(labels)
    classes = list(dict.fromkeys(labels.tolist()))
    fig, axes = plt.subplots(1, len(classes), figsize=(4 * len(classes), 2.8), sharey=True)
    n = int(seconds * fs)
    t_ms = 1000 * np.arange(n) / fs
    for ax, name in zip(np.atleast_1d(axes), classes, strict=True):
        ax.plot(t_ms, audio[:n, np.flatnonzero(labels == name)[0]], color=_color(name), lw=0.8)
        ax.set(title=f"{name} noise", xlabel="Time (ms)")
    np.atleast_1d(axes)[0].set_ylabel("Amplitude")
    fig.suptitle(f"The first {1000 * seconds:.0f} ms of one signal of each colour")
    fig.tight_layout()
    return fig


def plot_spectra(
    audio: np.ndarray,
    labels: Sequence[str],
    *,
    fs: int = SAMPLE_RATE,
    band: tuple[float, float] = (100.0, 5_000.0),
) -> Figure:
    """Average power spectrum of each colour on log-log axes, with textbook slopes.

    ``audio`` has shape ``(samples, signals)`` at ``fs`` Hz; ``band`` is the
    fit band in Hz.  A black dashed line with the textbook slope (0, -10 or
    -20 dB per decade) runs through each measured spectrum over ``band``; the
    legend gives each colour's measured and textbook slope, so no text sits on
    the curves.
    """
    audio = check_audio(audio, "audio", sample_rate=fs)
    labels = np.asarray(labels)
    fig, ax = plt.subplots(figsize=(7, 4.5))
    references = {"white": 0.0, "pink": -10.0, "brown": -20.0}
    for name in dict.fromkeys(labels.tolist()):
        column = audio[:, labels == name]
        freqs, psd = power_spectrum(column, fs)
        slope = spectral_slope(column, fs, *band)
        theory = f" (theory {references[name]:+.0f})" if name in references else ""
        ax.semilogx(
            freqs[1:],
            10 * np.log10(psd[1:]),
            color=_color(name),
            label=f"{name}: {slope:+.1f} dB/decade{theory}",
        )
        if name in references:
            f_ref = np.geomspace(*band, 20)
            anchor = 10 * np.log10(np.interp(band[0], freqs, psd))
            line = anchor + references[name] * np.log10(f_ref / band[0])
            ax.semilogx(f_ref, line, "k--", lw=1)
    if any(name in references for name in labels.tolist()):
        ax.plot([], [], "k--", lw=1, label="textbook slope")  # one legend entry for all three
    ax.axvspan(*band, color="0.93", zorder=0, label=f"fit band {band[0]:.0f}-{band[1]:.0f} Hz")
    ax.set(
        title="Power spectra of the three noise colours (Welch, mean of all signals)",
        xlabel="Frequency (Hz)",
        ylabel="Power spectral density (dB/Hz)",
        xlim=(20, fs / 2),
    )
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(loc="lower left", fontsize=9)
    fig.tight_layout()
    return fig


def _draw_log_mel(
    ax: Any, log_mel: np.ndarray, title: str, limits: tuple[float, float], cmap: str = "magma"
) -> Any:
    """Draw a ``(frames, 64)`` log-mel patch: time in seconds across, mel band up."""
    seconds = log_mel.shape[0] * features.HOP_SAMPLES / features.SAMPLE_RATE
    image = ax.imshow(
        log_mel.T,
        origin="lower",
        aspect="auto",
        extent=(0, seconds, 0, log_mel.shape[1]),
        vmin=limits[0],
        vmax=limits[1],
        cmap=cmap,
    )
    ax.set(title=title, xlabel="Time (s)")
    return image


def plot_mel_images(audio: np.ndarray, labels: Sequence[str], *, fs: int = SAMPLE_RATE) -> Figure:
    """Log-mel spectrogram of the first signal of each class, side by side, one colour scale.

    ``audio`` has shape ``(samples, signals)``, 0.98 s at ``fs`` Hz; each
    panel is the signal's 96 x 64 patch with time (s) across and mel band up.
    """
    audio = check_audio(audio, "audio", sample_rate=fs)
    labels = np.asarray(labels)
    classes = list(dict.fromkeys(labels.tolist()))
    columns = [np.flatnonzero(labels == c)[0] for c in classes]
    images = features.log_mel_spectrogram(audio[:, columns], fs)  # (classes, frames, 64)
    vmin, vmax = float(images.min()), float(images.max())
    fig, axes = plt.subplots(
        1, len(classes), figsize=(4 * len(classes), 3.4), sharey=True, layout="constrained"
    )
    axes = np.atleast_1d(axes)
    for ax, name, image in zip(axes, classes, images, strict=True):
        shown = _draw_log_mel(ax, image, f"{name} noise", (vmin, vmax))
    axes[0].set_ylabel(MEL_BAND_LABEL)
    fig.colorbar(shown, ax=axes, label=LOG_MEL_LABEL)
    fig.suptitle("What YAMNet sees: 96 x 64 log-mel patches (shared colour scale)")
    return fig


def plot_front_end_comparison(
    ours: np.ndarray,
    theirs: np.ndarray,
    *,
    labels: tuple[str, str] = ("ours", "Google's"),
    title: str = "One window, two front ends: ours (librosa) and Google's (TF Lite graph)",
) -> Figure:
    """Two log-mel patches of the same audio side by side, and their difference.

    ``ours`` and ``theirs`` have shape ``(frames, 64)``, one frame every
    10 ms; ``labels`` name them in the panel titles.  Both share one colour
    scale (equal colours mean equal values); the difference ``ours - theirs``
    has its own scale, symmetric about 0.
    """
    ours, theirs = np.asarray(ours), np.asarray(theirs)
    if ours.shape != theirs.shape:
        raise LessonError(f"the two patches differ in shape: {ours.shape} and {theirs.shape}.")
    difference = ours - theirs
    vmin = float(min(ours.min(), theirs.min()))
    vmax = float(max(ours.max(), theirs.max()))
    limit = float(np.abs(difference).max()) or 1e-6
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.4), sharey=True, layout="constrained")
    for ax, image, name in zip(axes[:2], (ours, theirs), labels, strict=True):
        shown = _draw_log_mel(ax, image, name, (vmin, vmax))
    fig.colorbar(shown, ax=axes[:2], label=LOG_MEL_LABEL)
    title_difference = f"{labels[0]} - {labels[1]}"
    shown_difference = _draw_log_mel(
        axes[2], difference, title_difference, (-limit, limit), cmap="coolwarm"
    )
    axes[0].set_ylabel(MEL_BAND_LABEL)
    fig.colorbar(shown_difference, ax=axes[2], label="difference (same units)")
    fig.suptitle(title)
    return fig


def plot_confusion_matrix(
    true_labels: Sequence[str],
    predicted_labels: Sequence[str],
    class_names: Sequence[str],
    *,
    title: str = "Validation confusion matrix",
) -> Figure:
    """Confusion matrix (counts) with true classes as rows; the title gives the accuracy."""
    from sklearn.metrics import ConfusionMatrixDisplay

    true_labels, predicted_labels = np.asarray(true_labels), np.asarray(predicted_labels)
    accuracy = 100 * float(np.mean(true_labels == predicted_labels))
    fig, ax = plt.subplots(figsize=(4.6, 4))
    ConfusionMatrixDisplay.from_predictions(
        true_labels,
        predicted_labels,
        labels=list(class_names),
        ax=ax,
        colorbar=False,
        cmap="Blues",
    )
    ax.set(
        title=f"{title} ({accuracy:.1f} % correct)", xlabel="Predicted class", ylabel="True class"
    )
    fig.tight_layout()
    return fig


def plot_accuracy_vs_k(results: dict[str, dict[int, list[float]]]) -> Figure:
    """Validation accuracy (%) against K for each mode: mean line, one dot per seed.

    ``results`` is ``{mode: {k: [accuracy per seed, 0-1]}}``, as returned by
    :func:`yamnet_lesson.training.accuracy_vs_k`; the legend names each mode
    in words (:data:`MODE_LABELS`), any other key as it is.
    """
    fig, ax = plt.subplots(figsize=(6.5, 4))
    for mode, by_k in results.items():
        ks = sorted(by_k)
        means = [100 * np.mean(by_k[k]) for k in ks]
        ax.plot(ks, means, marker="o", label=MODE_LABELS.get(mode, mode))
        for k in ks:
            ax.scatter(
                [k] * len(by_k[k]),
                100 * np.asarray(by_k[k]),
                s=12,
                alpha=0.4,
                color=ax.lines[-1].get_color(),
            )
    ax.axhline(100 / 3, color="0.5", ls=":", label="chance (3 classes)")
    ax.set(
        title="Validation accuracy against training examples per class",
        xlabel="K (training examples per class)",
        ylabel="Validation accuracy (%)",
        ylim=(0, 105),
    )
    ax.set_xscale("log")
    all_ks = sorted({k for by_k in results.values() for k in by_k})
    ax.set_xticks(all_ks, [str(k) for k in all_ks])
    ax.minorticks_off()
    ax.grid(True, alpha=0.3)
    ax.legend()
    fig.tight_layout()
    return fig


def plot_scores_over_time(
    scores: np.ndarray, class_names: Sequence[str], *, k: int = 5, title: str = ""
) -> Figure:
    """YAMNet's scores over time for the ``k`` classes with the highest mean score.

    ``scores`` has shape ``(patches, classes)``, one row every 0.48 s.
    """
    top = np.argsort(scores.mean(axis=0))[::-1][:k]
    times = np.arange(scores.shape[0]) * features.PATCH_HOP_SAMPLES / features.SAMPLE_RATE
    fig, ax = plt.subplots(figsize=(8, 3.6))
    shown = ax.imshow(
        scores[:, top].T,
        aspect="auto",
        cmap="viridis",
        vmin=0,
        vmax=1,
        extent=(times[0], times[-1] + 0.48, k - 0.5, -0.5),
    )
    ax.set_yticks(range(k), [class_names[i] for i in top])
    ax.set(title=f"What YAMNet hears over time{': ' + title if title else ''}", xlabel="Time (s)")
    fig.colorbar(shown, ax=ax, label="score (0-1)")
    fig.tight_layout()
    return fig
