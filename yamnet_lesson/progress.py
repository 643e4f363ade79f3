"""Watching training: the reference's progress table and a live accuracy chart (Keras callbacks).

It prints one row at the first iteration, every 50 iterations and at the last,
with the columns the reference prints::

    |  Epoch  |  Iteration  |  Time Elapsed  |  Mini-batch  |  Validation  | ...
"""

from __future__ import annotations

import base64
import io
import math
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from ._tensorflow import keras

__all__ = ["LiveAccuracyChart", "ProgressTable", "format_elapsed", "show_in"]

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
        self._pending: dict[str, Any] | None = None
        self._rule = "|" + "=" * (sum(_WIDTHS) + len(_WIDTHS) - 1) + "|"

    def _total_iterations(self) -> int:
        return int(self.params.get("epochs", 0)) * int(self.params.get("steps", 0))

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        print(self._rule, _row(_HEADER_1, "^"), _row(_HEADER_2, "^"), self._rule, sep="\n")

    def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        logs = logs or {}
        iteration = int(logs["iteration"])
        wanted = iteration == 1 or iteration % self.every == 0
        if not (wanted or iteration == self._total_iterations()):
            return
        if batch + 1 < int(self.params.get("steps", 1)):
            self._print(logs, math.nan, math.nan)  # mid-epoch: no validation yet
        else:
            self._pending = dict(logs)  # printed at the epoch's end, with validation results

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        if self._pending is not None:
            logs = logs or {}
            self._print(
                self._pending, logs.get("val_accuracy", math.nan), logs.get("val_loss", math.nan)
            )
            self._pending = None

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        if self._pending is not None:  # interrupted mid-epoch
            self._print(self._pending, float("nan"), float("nan"))
        print(self._rule)

    def _print(self, it: dict[str, Any], val_accuracy: float, val_loss: float) -> None:
        rate = self.learning_rate
        if rate is None:  # the rate fine_tune trains with
            rate = it.get("learning_rate", math.nan)
        cells = (
            str(int(it["epoch"])),
            str(int(it["iteration"])),
            format_elapsed(it["seconds"]),
            _percent(it["accuracy"]),
            _percent(val_accuracy),
            _loss(it["loss"]),
            _loss(val_loss),
            f"{rate:.4f}",
        )
        print(_row(cells))


class LiveAccuracyChart(keras.callbacks.Callback):
    """Redraw validation (and training) accuracy after every epoch while training runs.

    Pass it to :func:`yamnet_lesson.fine_tune` in ``callbacks``.  The figure is
    redrawn in place -- in an ``ipywidgets.Output`` if one is given, else in a
    display handle -- so figures never stack up.  Keep one chart for several
    runs and each new run's curve is drawn over the earlier ones.
    """

    def __init__(self, output: Any = None, *, max_epochs: int = 30) -> None:
        super().__init__()
        self.output = output
        self.max_epochs = max_epochs  # the x axis grows with longer runs
        self.chance = 100 / 3  # percent; set from the number of classes of each run
        self.runs: list[dict[str, Any]] = []
        self.redraws = 0
        self._handle: Any = None
        self.figure = Figure(figsize=(9, 3.8))
        self.axes = self.figure.add_subplot()

    def start_run(self, label: str) -> None:
        """Begin a new curve called ``label`` (the trainer calls this before each run)."""
        self.runs.append({"label": label, "epoch": [], "val_accuracy": [], "accuracy": []})

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        if not self.runs or self.runs[-1]["epoch"]:
            self.start_run(f"run {len(self.runs) + 1}")
        self.max_epochs = max(self.max_epochs, int(self.params.get("epochs", 0)))
        self.chance = 100 / int(self.params.get("classes", 3))

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        logs = logs or {}
        run = self.runs[-1]
        run["epoch"].append(epoch + 1)
        run["val_accuracy"].append(100 * logs.get("val_accuracy", np.nan))
        run["accuracy"].append(100 * logs.get("accuracy", np.nan))
        self.draw()

    def draw(self) -> None:
        """Redraw every run's curves and show the figure in place."""
        ax = self.axes
        ax.clear()
        for i, run in enumerate(self.runs):
            latest = i == len(self.runs) - 1
            (line,) = ax.plot(
                run["epoch"],
                run["val_accuracy"],
                marker="o",
                ms=3,
                lw=2 if latest else 1.2,
                alpha=1 if latest else 0.6,
                label=f"{run['label']}: validation",
            )
            if latest:
                ax.plot(
                    run["epoch"],
                    run["accuracy"],
                    ls="--",
                    color=line.get_color(),
                    lw=1,
                    label=f"{run['label']}: training mini-batch",
                )
        ax.axhline(self.chance, color="0.5", ls=":", lw=1, label="chance")
        ax.set(
            title="Accuracy per epoch",
            xlabel="Epoch",
            ylabel="Accuracy (%)",
            xlim=(0.5, self.max_epochs + 0.5),
            ylim=(0, 103),
        )
        ax.grid(True, alpha=0.3)
        ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize=8)  # off the curves
        self.figure.tight_layout()
        self._show()
        self.redraws += 1

    def _show(self) -> None:
        if self.output is not None:
            show_in(self.output, self.figure)
            return
        from IPython.display import display

        if self._handle is None:
            self._handle = display(self.figure, display_id=True)
        else:
            self._handle.update(self.figure)


def show_in(output: Any, figure: Figure) -> None:
    """Replace what an ``ipywidgets.Output`` shows with ``figure``, in one update.

    Setting the widget's outputs directly (rather than ``clear_output`` then
    ``display``) swaps the picture without flicker, works while a button
    callback is still running, and works headless (tests, no kernel).
    """
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
