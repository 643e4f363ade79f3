"""Figures for the lesson: spectra, mel images, confusion matrices, accuracy against K.

Every function returns a :class:`matplotlib.figure.Figure` with a title, axis
labels and units, so a notebook cell shows it and a test can inspect it.

Colours are chosen for everyone, colour-blind readers included: the three
noise colours (:data:`COLORS`, :data:`MARKERS`) and the runs of a chart
(:data:`RUN_COLORS`, :data:`RUN_MARKERS`, :func:`run_style`) stay apart under
a simulation of deuteranopia and protanopia (tests/test_colours.py checks it),
and every line or point set has a second cue besides its colour: a marker, a
line style or a label written next to it.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence
from html import escape
from typing import Any

import librosa
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from . import features
from .choices import MODE_LABELS
from .classes import SoundEvent, window_edges
from .signals import SAMPLE_RATE, Segment, power_spectrum, spectral_slope
from .validation import LessonError, check_audio, peak_checked

__all__ = [
    "COLORS",
    "MARKERS",
    "OKABE_ITO",
    "RUN_COLORS",
    "RUN_MARKERS",
    "noise_style",
    "plot_accuracy_vs_k",
    "plot_band_importance",
    "plot_confusion_matrix",
    "plot_embedding_map",
    "plot_front_end_comparison",
    "plot_mel_images",
    "plot_scores_over_time",
    "plot_spectra",
    "plot_validation_curves",
    "plot_waveforms",
    "run_style",
    "show",
    "show_in",
]

OKABE_ITO = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky blue": "#56B4E9",
    "bluish green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish purple": "#CC79A7",
}
"""The Okabe-Ito palette (Okabe & Ito 2008, "Color Universal Design"), readable by most
colour-blind readers."""

COLORS = {"white": "0.3", "brown": "#A6611A", "pink": OKABE_ITO["reddish purple"]}
"""Colour of each noise colour: white noise dark grey (it must show on white paper), brown
noise brown (ColorBrewer's BrBG), pink noise Okabe-Ito's reddish purple."""

MARKERS = {"white": "o", "brown": "s", "pink": "^"}
"""Marker of each noise colour: the second cue, for readers who cannot tell the colours."""

_RUN_ORDER = ("blue", "orange", "black", "sky blue", "bluish green", "vermillion", "reddish purple")
RUN_COLORS = tuple(OKABE_ITO[name] for name in _RUN_ORDER)
"""Colours of successive runs (training curves, modes), in order.  The first four stay
clearly apart under deuteranopia and protanopia, the first five under deuteranopia; after
that, the marker (:data:`RUN_MARKERS`) tells runs apart."""

RUN_MARKERS = ("o", "s", "^", "D", "v", "P", "X")
"""Markers of successive runs, in the order of :data:`RUN_COLORS`: all different."""


def run_style(index: int) -> dict[str, str]:
    """Colour and marker of run ``index`` (0, 1, ...): ``{"color": ..., "marker": ...}``.

    Pass it to ``ax.plot(..., **run_style(i))``; runs after the seventh reuse the
    styles from the start.  Line styles are left free (e.g. dashed for training,
    solid for validation).
    """
    return {
        "color": RUN_COLORS[index % len(RUN_COLORS)],
        "marker": RUN_MARKERS[index % len(RUN_MARKERS)],
    }


def noise_style(name: str) -> dict[str, str]:
    """Colour and marker of a noise colour (``"white"``, ``"brown"``, ``"pink"``); ``{}`` else."""
    if name not in COLORS:
        return {}
    return {"color": COLORS[name], "marker": MARKERS[name]}


MEL_BAND_LABEL = "Mel band (0 = 125 Hz ... 63 = 7.5 kHz)"
LOG_MEL_LABEL = "log(mel magnitude + 0.001)"


def plot_waveforms(
    audio: np.ndarray,
    labels: Sequence[str],
    *,
    sample_rate: int = SAMPLE_RATE,
    seconds: float = 0.05,
) -> Figure:
    """The first ``seconds`` of the first signal of each class, one panel each."""
    audio = check_audio(audio, "audio", sample_rate=sample_rate)  # integer PCM scaled to [-1, 1]
    labels = np.asarray(labels)
    classes = list(dict.fromkeys(labels.tolist()))
    fig, axes = plt.subplots(1, len(classes), figsize=(4 * len(classes), 2.8), sharey=True)
    n = int(seconds * sample_rate)
    t_ms = 1000 * np.arange(n) / sample_rate
    for ax, name in zip(np.atleast_1d(axes), classes, strict=True):
        ax.plot(t_ms, audio[:n, np.flatnonzero(labels == name)[0]], color=COLORS.get(name), lw=0.8)
        ax.set(title=f"{name} noise", xlabel="Time (ms)")
    np.atleast_1d(axes)[0].set_ylabel("Amplitude")
    fig.suptitle(f"The first {1000 * seconds:.0f} ms of one signal of each colour")
    fig.tight_layout()
    return fig


def plot_spectra(
    audio: np.ndarray,
    labels: Sequence[str],
    *,
    sample_rate: int = SAMPLE_RATE,
    band: tuple[float, float] = (100.0, 5_000.0),
) -> Figure:
    """Average power spectrum of each colour on log-log axes, with textbook slopes.

    ``audio`` has shape ``(samples, signals)`` at ``sample_rate`` Hz; ``band`` is the
    fit band in Hz.  A black dashed line with the textbook slope (0, -10 or
    -20 dB per decade) runs through each measured spectrum over ``band``; the
    legend gives each colour's measured and textbook slope, so no text sits on
    the curves.  Each colour has its own marker (:data:`MARKERS`) as well.
    """
    audio = check_audio(audio, "audio", sample_rate=sample_rate)
    labels = np.asarray(labels)
    fig, ax = plt.subplots(figsize=(7, 4.5))
    references = {"white": 0.0, "pink": -10.0, "brown": -20.0}
    for name in dict.fromkeys(labels.tolist()):
        column = audio[:, labels == name]
        freqs, psd = power_spectrum(column, sample_rate)
        slope = spectral_slope(column, sample_rate, *band)
        theory = f" (theory {references[name]:+.0f})" if name in references else ""
        marks = np.searchsorted(
            freqs[1:], np.geomspace(30, 0.45 * sample_rate, 14)
        )  # even on log axes
        ax.semilogx(
            freqs[1:],
            10 * np.log10(psd[1:]),
            **noise_style(name),
            markevery=sorted(set(marks.tolist())),
            markersize=5,
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
        xlim=(20, sample_rate / 2),
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


def plot_mel_images(
    audio: np.ndarray, labels: Sequence[str], *, sample_rate: int = SAMPLE_RATE
) -> Figure:
    """Log-mel spectrogram of the first signal of each class, side by side, one colour scale.

    ``audio`` has shape ``(samples, signals)``, 0.98 s at ``sample_rate`` Hz; each
    panel is the signal's 96 x 64 patch with time (s) across and mel band up.
    """
    audio = check_audio(audio, "audio", sample_rate=sample_rate)
    labels = np.asarray(labels)
    classes = list(dict.fromkeys(labels.tolist()))
    columns = [np.flatnonzero(labels == c)[0] for c in classes]
    images = features.log_mel_spectrogram(audio[:, columns], sample_rate)  # (classes, frames, 64)
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
    # the accuracy on a line of its own: titles naming a run in words stay inside the figure
    ax.set(
        title=f"{title}\n{accuracy:.1f} % correct", xlabel="Predicted class", ylabel="True class"
    )
    fig.tight_layout()
    return fig


def plot_accuracy_vs_k(results: dict[str, dict[int, list[float]]]) -> Figure:
    """Validation accuracy (%) against K for each mode: mean line, one dot per seed.

    ``results`` is ``{mode: {k: [accuracy per seed, 0-1]}}``, as returned by
    :func:`yamnet_lesson.experiments.accuracy_vs_k`; the legend names each mode
    in words (:data:`MODE_LABELS`), any other key as it is.  Modes take the
    run styles in order (:func:`run_style`): a colour and a marker each.  With
    several seeds a shaded band spans each mode's lowest to highest seed, and
    the legend says so.
    """
    fig, ax = plt.subplots(figsize=(6.5, 4))
    n_seeds = max(len(v) for by_k in results.values() for v in by_k.values())
    for index, (mode, by_k) in enumerate(results.items()):
        style = run_style(index)
        ks = sorted(by_k)
        means = [100 * np.mean(by_k[k]) for k in ks]
        ax.plot(ks, means, **style, label=MODE_LABELS.get(mode, mode))
        if n_seeds > 1:
            lowest, highest = ([100 * f(by_k[k]) for k in ks] for f in (np.min, np.max))
            ax.fill_between(ks, lowest, highest, color=style["color"], alpha=0.15, lw=0)
        for k in ks:
            ax.scatter(
                [k] * len(by_k[k]),
                100 * np.asarray(by_k[k]),
                s=12,
                alpha=0.4,
                **style,
            )
    ax.axhline(100 / 3, color="0.5", ls=":", label="chance (3 classes)")
    if n_seeds > 1:  # one legend entry for every band
        ax.fill_between([], [], color="0.5", alpha=0.3, lw=0, label=f"range of {n_seeds} seeds")
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


def plot_validation_curves(curves: dict[str, tuple[Sequence[float], Sequence[float]]]) -> Figure:
    """Validation accuracy (%) against epochs, one curve per run (e.g. per seed).

    ``curves`` is ``{label: (epochs, accuracy 0-1)}``, validated after every
    epoch (each point measured, so the points are joined).  Runs take the run
    styles in order (:func:`run_style`): a colour and a marker each.
    """
    fig, ax = plt.subplots(figsize=(6.5, 3.6))
    for index, (label, (epochs, accuracy)) in enumerate(curves.items()):
        ax.plot(epochs, 100 * np.asarray(accuracy), **run_style(index), ms=4, lw=1.2, label=label)
    ax.axhline(100 / 3, color="0.5", ls=":", label="chance (3 classes)")
    ax.set(
        title="Validation accuracy after every epoch",
        xlabel="Epoch",
        ylabel="Validation accuracy (%)",
        ylim=(0, 105),
    )
    ax.grid(True, alpha=0.3)
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    return fig


def plot_embedding_map(
    points: np.ndarray,
    labels: Sequence[str],
    *,
    title: str = "YAMNet embeddings of the 300 signals (PCA to 2-D)",
    axis_labels: tuple[str, str] = ("first principal component", "second principal component"),
) -> Figure:
    """Scatter plot of 2-D points (e.g. embeddings after PCA), one colour and marker per class.

    ``points`` has shape ``(signals, 2)``; ``labels`` names each signal's class.
    Noise colours take :data:`COLORS` and :data:`MARKERS`; other classes the
    run styles (:func:`run_style`) in order of appearance.
    """
    points, labels = np.asarray(points), np.asarray(labels)
    if points.ndim != 2 or points.shape[1] != 2 or points.shape[0] != labels.shape[0]:
        raise LessonError(
            f"points must have shape (signals, 2) with one label each, got {points.shape} "
            f"and {labels.shape[0]} labels."
        )
    fig, ax = plt.subplots(figsize=(6, 4.5))
    for index, name in enumerate(dict.fromkeys(labels.tolist())):
        chosen = points[labels == name]
        ax.scatter(
            chosen[:, 0],
            chosen[:, 1],
            s=18,
            edgecolor="white",
            linewidth=0.4,
            label=f"{name} noise" if name in COLORS else name,
            **(noise_style(name) or run_style(index)),
        )
    ax.set(title=title, xlabel=axis_labels[0], ylabel=axis_labels[1])
    ax.legend()
    fig.tight_layout()
    return fig


IMPORTANCE_HATCHES = ("", "//", "..", "xx")
"""Hatch of each network's bars in :func:`plot_band_importance`: the cue besides colour."""


def _mel_axis(ax: Any) -> None:
    """Frequency across on the mel scale (YAMNet's bands equally wide), ticks in Hz."""
    ax.set_xscale(
        "function",
        functions=(
            lambda f: librosa.hz_to_mel(np.maximum(f, 1e-3), htk=True),
            lambda m: librosa.mel_to_hz(m, htk=True),
        ),
    )
    ticks = [125, 250, 500, 1000, 2000, 4000, 7500]
    ax.set_xticks(ticks, [f"{t / 1000:g}k" if t >= 1000 else str(t) for t in ticks])
    ax.set_xticks([], minor=True)
    ax.set_xlim(features.FMIN, features.FMAX)


def _mean_spectrum(clips: list[np.ndarray], sample_rate: int) -> tuple[np.ndarray, np.ndarray]:
    """Welch spectrum averaged over clips of any lengths, resampled to 16 kHz, padded alike.

    Fifty clips at a time: the mean over all clips is the count-weighted mean of
    the chunks' means, and 500 padded clips at once would take hundreds of MB.
    """
    with peak_checked():  # checked once by as_clips; resampling may overshoot a little
        at_16k = [features.resample(clip, sample_rate) for clip in clips]
        longest = max(len(clip) for clip in at_16k)
        total = None
        for start in range(0, len(at_16k), 50):
            chunk = at_16k[start : start + 50]
            stacked = np.stack([np.pad(c, (0, longest - len(c))) for c in chunk], axis=1)
            freqs, psd = power_spectrum(stacked, SAMPLE_RATE)
            total = psd * len(chunk) if total is None else total + psd * len(chunk)
        return freqs, total / len(at_16k)


def plot_band_importance(
    importances: dict[str, np.ndarray],
    audio: Any,
    labels: Sequence[Any],
    *,
    sample_rate: int = SAMPLE_RATE,
    title: str = "What the network listens to",
) -> Figure:
    """The sounds' spectra above, and how much each network needs each group of mel bands.

    Parameters
    ----------
    importances : dict
        ``{network's name: importance}``, each importance of shape ``(groups,)``
        as :meth:`~yamnet_lesson.training.FineTuneResult.band_importance`
        returns it (the same number of groups for all), lowest frequencies first.
    audio, labels
        The clips the spectra are drawn from (as ``band_importance`` takes them:
        a ``(samples, clips)`` array or a list of waveforms) and one label per
        clip: one mean spectrum per label, noise colours in their own colour and
        marker.  Give one label for all to draw a single spectrum.
    sample_rate : int
        Rate of ``audio`` in Hz (resampled to 16 kHz, as the network hears it).
    title : str
        The figure's title.

    Both panels share a frequency axis on the mel scale, from 125 Hz to
    7.5 kHz (YAMNet's bands, equally wide there), with the groups' edges
    (:func:`yamnet_lesson.features.mel_band_groups`) marked.  Above: the power
    spectrum (dB/Hz) of each label, as notebook 2 draws it.  Below: one bar per
    group and network, side by side within the group, the network's colour
    (:func:`run_style`) and hatch (:data:`IMPORTANCE_HATCHES`) telling them
    apart, each bar labelled with its value.
    """
    rows = {name: np.asarray(v, dtype=float) for name, v in importances.items()}
    lengths = {v.shape for v in rows.values()}
    if not rows or len(lengths) != 1 or len(next(iter(lengths))) != 1:
        raise LessonError(
            "importances must map each network's name to a 1-D array of the same length "
            f"(one value per group of mel bands); got shapes {sorted(map(str, lengths))}."
        )
    if len(rows) > len(IMPORTANCE_HATCHES):
        raise LessonError(f"at most {len(IMPORTANCE_HATCHES)} networks fit side by side.")
    groups = next(iter(lengths))[0]
    clips = features.as_clips(audio, "audio", sample_rate)
    labels = np.asarray(labels)
    if labels.shape != (len(clips),):
        raise LessonError(
            f"labels must hold one label per clip ({len(clips)}), got {labels.shape}."
        )
    edges = features.mel_band_groups(groups)[1]
    fig, (top, bottom) = plt.subplots(
        2, 1, figsize=(8, 6.4), sharex=True, height_ratios=(1, 1.3), layout="constrained"
    )
    for index, name in enumerate(dict.fromkeys(labels.tolist())):
        chosen = [clip for clip, label in zip(clips, labels, strict=True) if label == name]
        freqs, psd = _mean_spectrum(chosen, sample_rate)
        keep = (freqs >= features.FMIN) & (freqs <= features.FMAX)
        style = noise_style(name) or {"color": "black", "marker": RUN_MARKERS[index]}
        even = librosa.mel_to_hz(
            np.linspace(*librosa.hz_to_mel(edges[[0, -1]], htk=True), 14), htk=True
        )
        top.plot(
            freqs[keep], 10 * np.log10(np.maximum(psd[keep], 1e-20)), **style,
            markevery=sorted(set(np.searchsorted(freqs[keep], even[:-1]).tolist())), ms=5,
            label=f"{name} noise" if name in COLORS else str(name),
        )  # fmt: skip
    top.set(
        ylabel="Power (dB/Hz)", title="Mean power spectrum of each label (drawn as in notebook 2)"
    )
    top.legend(fontsize=8, loc="best")
    mel = librosa.hz_to_mel(edges, htk=True)
    width = np.diff(mel) / (len(rows) + 1)
    for index, (name, values) in enumerate(rows.items()):
        lefts = librosa.mel_to_hz(mel[:-1] + width * (index + 0.5), htk=True)
        rights = librosa.mel_to_hz(mel[:-1] + width * (index + 1.5), htk=True)
        bars = bottom.bar(
            lefts, values, width=rights - lefts, align="edge", color=run_style(index)["color"],
            hatch=IMPORTANCE_HATCHES[index], edgecolor="white" if index == 0 else "0.15",
            label=name,
        )  # fmt: skip
        shown = [f"{value:.2f}".replace("-0.00", "0.00") for value in values]  # no "-0.00"
        bottom.bar_label(bars, labels=shown, fontsize=7, padding=1)
    bottom.axhline(0, color="0.3", lw=0.8)
    bottom.set(
        xlabel="Frequency (Hz, mel scale: YAMNet's 64 bands equally wide)",
        ylabel="Drop in the right class's probability\nwhen the group is hidden",
        title=f"Importance of each of {groups} groups of mel bands (higher: needed more)",
    )
    low, high = bottom.get_ylim()
    bottom.set_ylim(min(low, 0), high + 0.35 * (high - min(low, 0)))  # room for labels, legend
    bottom.legend(fontsize=8, loc="upper right", ncol=len(rows))
    for ax in (top, bottom):
        for g in range(groups):
            if g % 2:
                ax.axvspan(edges[g], edges[g + 1], color="0.94", zorder=0, lw=0)
        ax.grid(True, axis="y", alpha=0.3)
        _mel_axis(ax)
    fig.suptitle(title)
    return fig


TIMELINE_HATCHES = ("", "//", "..", "xx", "\\\\", "++", "oo", "--")
"""Hatch of each distinct sound on a timeline, in order of first appearance."""


def _draw_timeline(
    ax: Any, spans: Sequence[tuple[str, float, float]], heading: str, looks: list[str]
) -> None:
    """Labelled bars, one per ``(name, start, end)`` span, on a one-row axis.

    Each distinct name has its own hatch (and grey), its place in ``looks`` (the
    lower-case names of every timeline in the figure), so a sound keeps its look
    wherever it comes back, on this row or another ("Silence" heard, "silence" played).
    """
    for name, start, end in spans:
        index = looks.index(name.lower())
        ax.broken_barh(
            [(start, end - start)],
            (0.1, 0.8),
            facecolor=str(0.95 - 0.05 * (index % 4)),
            hatch=TIMELINE_HATCHES[index % len(TIMELINE_HATCHES)],
            edgecolor="0.4",
        )
        ax.text(
            (start + end) / 2, 0.5, name, ha="center", va="center", fontsize=8, clip_on=True,
            bbox={"facecolor": "white", "edgecolor": "none", "pad": 1},
        )  # fmt: skip
    ax.set_ylim(0, 1)
    ax.set_yticks([0.5], [heading])
    ax.tick_params(axis="y", length=0)


def _draw_events_table(ax: Any, events: Sequence[SoundEvent], max_rows: int = 14) -> None:
    """The events as a table: sound, from, to, mean score (the first ``max_rows``)."""
    ax.axis("off")
    rows = [[e.name, f"{e.start:.2f}", f"{e.end:.2f}", f"{e.score:.2f}"] for e in events]
    if len(rows) > max_rows:
        rows = rows[: max_rows - 1] + [[f"... {len(rows) - max_rows + 1} more", "", "", ""]]
    if not rows:
        rows = [["(nothing above the threshold)", "", "", ""]]
    table = ax.table(
        cellText=rows,
        colLabels=["sound", "from (s)", "to (s)", "score"],
        colWidths=[0.46, 0.18, 0.18, 0.18],
        loc="upper center",
        cellLoc="left",
    )
    table.auto_set_font_size(False)
    table.set_fontsize(8)
    table.scale(1, 1.3)
    ax.set_title("Sound events", fontsize=10)


def plot_scores_over_time(
    scores: np.ndarray,
    class_names: Sequence[str],
    *,
    top: int = 5,
    title: str = "",
    events: Sequence[SoundEvent] | None = None,
    segments: Sequence[Segment] | None = None,
    duration: float | None = None,
    model_name: str = "YAMNet",
    keep_order: bool = False,
) -> Figure:
    """A model's scores over time (YAMNet's by default), and the sound events it detects.

    ``scores`` has shape ``(windows, classes)``, one row every 0.48 s; each
    window is drawn over the stretch of the clip it owns
    (:func:`yamnet_lesson.classes.window_edges`; ``duration`` is the clip's
    length in seconds).  Rows: the classes named by ``events`` first, then
    those with the highest mean score, ``top`` rows at least.

    ``events`` (from :func:`yamnet_lesson.classes.sound_events`) adds a
    labelled bar per event above the scores and a table of them beside;
    ``segments`` (from :func:`yamnet_lesson.signals.demo_clip`) adds a bar of
    what really plays when.  ``model_name`` names whose scores they are, in the
    title ("What YAMNet hears over time") and beside the events.  With
    ``segments``, a dotted line marks each change of sound on the scores too.
    ``keep_order``: the rows chosen are drawn in ``class_names``' order (a
    label file's), not by score.
    """
    scores = np.asarray(scores, dtype=np.float64)
    if scores.ndim != 2 or scores.shape[1] != len(class_names) or scores.shape[0] == 0:
        raise LessonError(
            f"scores must have shape (windows, {len(class_names)}), got {scores.shape}."
        )
    named = list(dict.fromkeys(class_names.index(e.name) for e in events or []))
    by_mean = [i for i in np.argsort(scores.mean(axis=0))[::-1] if i not in named]
    rows = (named + by_mean)[: max(top, len(named))]
    if keep_order:
        rows = sorted(rows)
    edges = window_edges(scores.shape[0], duration)
    strips = [(f"{model_name} hears", events)] if events is not None else []
    if segments is not None:
        strips.append(("really plays", segments))
    fig = plt.figure(
        figsize=(11 if events is not None else 8, 2.2 + 0.3 * len(rows) + 0.45 * len(strips)),
        layout="constrained",
    )
    grid = fig.add_gridspec(
        len(strips) + 1,
        2 if events is not None else 1,
        height_ratios=[1] * len(strips) + [max(3, 0.5 * len(rows))],
        width_ratios=[3, 1.4] if events is not None else [1],
    )
    ax = fig.add_subplot(grid[-1, 0])
    shown = ax.pcolormesh(
        edges, np.arange(len(rows) + 1) - 0.5, scores[:, rows].T, cmap="viridis", vmin=0, vmax=1
    )
    ax.set_ylim(len(rows) - 0.5, -0.5)
    ax.set_yticks(range(len(rows)), [class_names[i] for i in rows])
    ax.set_xlabel("Time (s)")
    fig.colorbar(shown, ax=ax, label="score (0-1)")
    for change in [s.start for s in segments or []][1:]:  # where the sound really changes
        ax.axvline(change, color="white", ls=":", lw=1.5)
    looks = list(dict.fromkeys(s.name.lower() for _, spans in strips for s in spans))
    for row, (heading, spans) in enumerate(strips):
        strip = fig.add_subplot(grid[row, 0], sharex=ax)
        _draw_timeline(strip, [(s.name, s.start, s.end) for s in spans], heading, looks)
        strip.tick_params(axis="x", labelbottom=False)
    if events is not None:
        _draw_events_table(fig.add_subplot(grid[:, 1]), events)
    ax.set_xlim(edges[0], edges[-1])
    fig.suptitle(f"What {model_name} hears over time{': ' + title if title else ''}")
    return fig


def figure_bundle(figure: Figure, alt: str) -> tuple[dict[str, str], dict[str, Any]]:
    """A figure as a display bundle that carries its description: ``(data, metadata)``.

    ``data`` holds the PNG, an HTML ``<img>`` with ``alt`` (what JupyterLab
    and nbconvert's HTML export show, so a screen reader reads ``alt``) and
    ``alt`` as the plain text; ``metadata`` repeats it for the PNG.
    """
    if not isinstance(alt, str) or not alt.strip():
        raise LessonError("alt must be a sentence saying what the figure shows and its point.")
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    png = base64.b64encode(buffer.getvalue()).decode("ascii")
    html = f'<img src="data:image/png;base64,{png}" alt="{escape(alt, quote=True)}">'
    return {"image/png": png, "text/html": html, "text/plain": alt}, {"image/png": {"alt": alt}}


def show(figure: Figure, alt: str) -> None:
    """Show ``figure`` in the notebook with ``alt`` as its description, and close it.

    ``alt`` says what the figure shows and its point, best written from the
    numbers it draws so that it stays true (e.g. "Validation accuracy against
    K: pretrained at 100 % from K = 1, scratch from 55 % to 98 %").
    """
    from IPython.display import display

    data, metadata = figure_bundle(figure, alt)
    display(data, metadata=metadata, raw=True)
    plt.close(figure)


def show_in(output: Any, figure: Figure, alt: str | None = None) -> None:
    """Replace what an ``ipywidgets.Output`` shows with ``figure``, in one update.

    Setting the widget's outputs directly (rather than ``clear_output`` then
    ``display``) swaps the picture without flicker, works while a button
    callback is still running, and works headless (tests, no kernel).
    With ``alt`` (what the figure shows and its point) it is shown as
    :func:`figure_bundle` describes.
    """
    if alt is not None:  # described: an <img> with alt, for screen readers and the HTML export
        data, metadata = figure_bundle(figure, alt)
        output.outputs = ({"output_type": "display_data", "data": data, "metadata": metadata},)
        return
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100)
    png = base64.b64encode(buffer.getvalue()).decode("ascii")
    title = figure.axes[0].get_title() if figure.axes else "figure"
    output.outputs = (
        {
            "output_type": "display_data",
            "data": {"image/png": png, "text/plain": f"<Figure: {title}>"},
            "metadata": {},
        },
    )
