"""Watching training: the reference's progress table and a live accuracy chart (Keras callbacks).

The table prints one row at the first iteration, every 50 iterations and at
the last, with the columns the reference prints::

    |  Epoch  |  Iteration  |  Time Elapsed  |  Mini-batch  |  Validation  | ...
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from typing import Any

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ._tensorflow import keras
from .plots import RUN_COLORS, run_style, show_in

__all__ = ["LiveAccuracyChart", "ProgressTable", "format_elapsed"]

_HEADER_1 = (
    "Epoch",
    "Iteration",
    "Time Elapsed",
    "Mini-batch",
    "Validation",
    "Mini-batch",
    "Validation",
    "Base Learning",
)
_HEADER_2 = ("", "", "(hh:mm:ss)", "Accuracy", "Accuracy", "Loss", "Loss", "Rate")
_WIDTHS = (9, 13, 16, 14, 14, 14, 14, 17)


def format_elapsed(seconds: float) -> str:
    """Seconds -> ``hh:mm:ss``."""
    whole = int(seconds)
    return f"{whole // 3600:02d}:{whole % 3600 // 60:02d}:{whole % 60:02d}"


def _row(cells: tuple[str, ...], align: str = ">") -> str:
    return (
        "|" + "|".join(f" {c:{align}{w - 2}} " for c, w in zip(cells, _WIDTHS, strict=True)) + "|"
    )


def _loss(value: float) -> str:
    if math.isnan(value):
        return ""
    return f"{value:.4f}" if value >= 1e-3 else f"{value:.4e}"


def _percent(value: float) -> str:
    return "" if math.isnan(value) else f"{100 * value:.2f}%"


class ProgressTable(keras.callbacks.Callback):
    """Print the reference's table while :func:`yamnet_lesson.fine_tune` trains.

    A row at the first iteration, every ``every`` iterations and at the last,
    with the validation columns filled where validation was measured at that
    iteration (with the reference's schedule: exactly at those rows).

    Parameters
    ----------
    learning_rate : float, optional
        Shown in the "Base Learning Rate" column (the reference keeps it
        constant).  By default the rate :func:`yamnet_lesson.fine_tune` trains
        with, which it passes in its logs.
    every : int
        Print a row every this many iterations (and at the first and the last).
    """

    def __init__(self, learning_rate: float | None = None, every: int = 50) -> None:
        super().__init__()
        self.learning_rate = learning_rate
        self.every = every
        self._rule = "|" + "=" * (sum(_WIDTHS) + len(_WIDTHS) - 1) + "|"

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        print(self._rule, _row(_HEADER_1, "^"), _row(_HEADER_2, "^"), self._rule, sep="\n")

    def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        logs = logs or {}
        iteration = int(logs["iteration"])
        last = int(self.params.get("epochs", 0)) * int(self.params.get("steps", 0))
        if iteration == 1 or iteration % self.every == 0 or iteration == last:
            self._print(logs)

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        print(self._rule)

    def _print(self, it: dict[str, Any]) -> None:
        rate = self.learning_rate
        if rate is None:  # the rate fine_tune trains with
            rate = it.get("learning_rate", math.nan)
        cells = (
            str(int(it["epoch"])),
            str(int(it["iteration"])),
            format_elapsed(it["seconds"]),
            _percent(it["accuracy"]),
            _percent(it.get("val_accuracy", math.nan)),
            _loss(it["loss"]),
            _loss(it.get("val_loss", math.nan)),
            f"{rate:.4f}",
        )
        print(_row(cells))


def validation_linestyle(iterations: Sequence[int]) -> str:
    """``"--"`` when validation was measured at every iteration in ``iterations``, else ``"none"``.

    Validation measured at only some iterations is drawn as separate markers:
    a line between them would show values that were never measured.
    """
    return "--" if len(iterations) > 1 and all(np.diff(iterations) == 1) else "none"


class LiveAccuracyChart(keras.callbacks.Callback):
    """Draw accuracy against iterations while training runs, like the reference's progress plot.

    The mini-batch accuracy of every iteration is a thin line; validation
    accuracy is marked where it was measured (with the reference's schedule:
    at the first and the last iteration), as separate markers: a line would
    draw values in between that were never measured.  Only a validation
    measured at every iteration is joined, by a dashed line.  Pass
    the chart to :func:`yamnet_lesson.fine_tune` in ``callbacks``.  The figure
    is redrawn in place -- in an ``ipywidgets.Output`` if one is given, else in
    a display handle -- at most every ``min_interval`` seconds, and whenever a
    validation arrives or training ends.  Keep one chart for several runs and
    each new run is drawn over the earlier ones (their validation only): the
    latest :attr:`SHOWN_RUNS`, so that no two runs on the chart share a colour
    and marker.  A run that never trained (an error or an interruption before
    its first iteration) is dropped when the next one starts.
    """

    SHOWN_RUNS = len(RUN_COLORS)
    """How many runs the chart shows at most (the latest): one per run colour."""

    def __init__(
        self, output: Any = None, *, max_iterations: int = 30, min_interval: float = 0.5
    ) -> None:
        super().__init__()
        self.output = output
        self.max_iterations = max_iterations  # the x axis grows with longer runs
        self.min_interval = min_interval
        self.chance = 100 / 3  # percent; set from the number of classes of each run
        self.runs: list[dict[str, Any]] = []
        self.redraws = 0
        self._handle: Any = None
        self._drawn_at = -math.inf
        self._lines: list[Any] = []  # the latest run's mini-batch and validation lines
        self.figure = Figure(figsize=(9, 3.8))
        FigureCanvasAgg(self.figure)  # a renderer, to measure the legend
        self.figure.subplots_adjust(left=0.07, right=0.68, bottom=0.14, top=0.9)  # legend: right
        self.axes = self.figure.add_subplot()

    def start_run(self, label: str) -> None:
        """Begin a new run called ``label`` (the trainer calls this before each run)."""
        if self.runs and not self.runs[-1]["iteration"]:  # the last one never trained
            self.runs.pop()
        self.runs.append(
            {"label": label, "iteration": [], "accuracy": [], "val_iteration": [], "val": []}
        )

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        if not self.runs or self.runs[-1]["iteration"]:
            self.start_run(f"run {len(self.runs) + 1}")
        total = int(self.params.get("epochs", 0)) * int(self.params.get("steps", 0))
        self.max_iterations = max(self.max_iterations, total)
        self.chance = 100 / int(self.params.get("classes", 3))
        self._lines = []  # the axes are laid out again for the new run

    def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        logs = logs or {}
        run = self.runs[-1]
        run["iteration"].append(int(logs["iteration"]))
        run["accuracy"].append(100 * logs["accuracy"])
        validated = not math.isnan(logs.get("val_accuracy", math.nan))
        if validated:
            run["val_iteration"].append(int(logs["iteration"]))
            run["val"].append(100 * logs["val_accuracy"])
        if validated or time.monotonic() - self._drawn_at >= self.min_interval:
            self.draw()

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        self.draw()

    def draw(self) -> None:
        """Redraw the latest run's curves (and lay out the axes for a new run) in place."""
        if not self._lines:
            self._lay_out()
        run = self.runs[-1]
        batch_line, validation_line = self._lines
        batch_line.set_data(run["iteration"], run["accuracy"])
        validation_line.set_data(run["val_iteration"], run["val"])
        validation_line.set_linestyle(validation_linestyle(run["val_iteration"]))
        self._show()
        self.redraws += 1
        self._drawn_at = time.monotonic()

    def _lay_out(self) -> None:
        """Axes, earlier runs' validation curves, the chance line and the legend."""
        ax = self.axes
        ax.clear()
        first = max(0, len(self.runs) - self.SHOWN_RUNS)
        for i, run in enumerate(self.runs[first:], start=first):
            style = run_style(i)  # colour-blind-safe colour, and a marker as a second cue
            latest = i == len(self.runs) - 1
            if latest:
                (batch_line,) = ax.plot(
                    [], [], color=style["color"], lw=1, alpha=0.8,
                    label=f"{run['label']}: mini-batch",
                )  # fmt: skip
            (validation_line,) = ax.plot(
                run["val_iteration"],
                run["val"],
                ls=validation_linestyle(run["val_iteration"]),
                marker=style["marker"],
                ms=6 if latest else 4,
                mec="black",
                color=style["color"],
                lw=1.6 if latest else 1,
                alpha=1 if latest else 0.6,
                label=f"{run['label']}: validation",
            )
        self._lines = [batch_line, validation_line]
        ax.axhline(self.chance, color="0.5", ls=":", lw=1, label="chance")
        ax.set(
            title="Accuracy during training",
            xlabel="Iteration (one mini-batch)",
            ylabel="Accuracy (%)",
            xlim=(0.5, self.max_iterations + 0.5),
            ylim=(0, 103),
        )
        ax.grid(True, alpha=0.3)
        gap = 0.01  # between the axes and the legend, as a fraction of the axes' width
        legend = ax.legend(loc="center left", bbox_to_anchor=(1 + gap, 0.5), fontsize=8)
        # The legend (its labels name the runs) sits right of the axes: narrow them so that
        # it ends inside the figure, whatever the labels' length.
        width = legend.get_window_extent(self.figure.canvas.get_renderer()).width
        left = self.figure.subplotpars.left
        right = (0.99 - width / self.figure.bbox.width + gap * left) / (1 + gap)
        self.figure.subplots_adjust(right=min(0.8, max(0.4, right)))

    def describe(self) -> str:
        """The chart in words, from the latest run's numbers (its alt text)."""
        run = self.runs[-1] if self.runs else None
        if run is None or not run["iteration"]:
            return "Accuracy during training: no run yet."
        validated = ", ".join(
            f"{v:.0f} % at {i}" for i, v in zip(run["val_iteration"], run["val"], strict=True)
        )
        return (
            f"Accuracy during training, {run['label']}: mini-batch accuracy over "
            f"{run['iteration'][-1]} iterations, {run['accuracy'][-1]:.0f} % at the last; "
            f"validation measured only at iterations shown as markers: {validated or 'none yet'}."
        )

    def _show(self) -> None:
        if self.output is not None:
            show_in(self.output, self.figure, self.describe())
            return
        from IPython.display import display

        if self._handle is None:
            self._handle = display(self.figure, display_id=True)
        else:
            self._handle.update(self.figure)
