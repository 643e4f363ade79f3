"""The interactive trainer: sliders for K and epochs, a mode choice, a Train button.

>>> trainer = InteractiveTrainer(audio, labels)   # doctest: +SKIP
>>> trainer                                      # doctest: +SKIP

Pressing Train splits the data (first K per colour), trains the network in
the chosen mode and draws the accuracy of every iteration, and validation
accuracy where it is measured: as the reference does (iteration 1, every 50,
the last) or after every iteration.  The validation curves of the last seven
runs stay on the chart, so students can compare runs; the confusion matrix of
the last run is shown beneath.  The button is disabled while a run is in
progress.
"""

from __future__ import annotations

import html
import logging
import time
from typing import Any

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
from IPython.display import display

from .choices import EPOCH_RANGE, K_RANGE, MODE_LABELS
from .experiments import train_on_split
from .plots import plot_confusion_matrix, show_in
from .progress import LiveAccuracyChart
from .training import FineTuneResult
from .validation import (
    LessonError,
    check_audio,
    check_examples_per_class,
    check_int,
    check_labels,
    check_mode,
    check_seed,
)

__all__ = ["InteractiveTrainer"]

log = logging.getLogger(__name__)

VALIDATION_CHOICES = [
    ("as the reference: iteration 1, every 50, last", 50),
    ("after every iteration (slower)", 1),
]
_QUEUED_CLICK_SECONDS = 0.5  # clicks arriving this soon after a run were made during it


class InteractiveTrainer:
    """Widgets that fine-tune YAMNet on the noise data and chart the result live.

    ``results`` holds the :class:`FineTuneResult` of the latest
    :attr:`KEPT_RESULTS` runs, the last one last.
    """

    KEPT_RESULTS = 3
    """Runs whose results (each with its own trained network, about 15 MB) are kept: a
    class pressing Train fifty times must not fill a Binder session's 2 GB."""

    def __init__(self, audio: np.ndarray, labels: Any, *, seed: int = 0) -> None:
        # checked here, where the student passed them, not when Train is pressed
        self.audio = check_audio(audio, "audio")
        self.labels, self.seed = check_labels(labels), check_seed(seed)
        if self.audio.ndim != 2 or self.labels.shape != (self.audio.shape[1],):
            raise LessonError(
                f"audio must be (samples, signals) with one label per column; got audio "
                f"{self.audio.shape} and labels of shape {self.labels.shape}."
            )
        check_examples_per_class(K_RANGE[0], self.labels.tolist())
        style = {"description_width": "150px"}
        layout = widgets.Layout(width="480px")
        self.k = widgets.IntSlider(
            5, *K_RANGE, description="K (examples/class)", style=style, layout=layout
        )
        self.epochs = widgets.IntSlider(
            30, *EPOCH_RANGE, description="Epochs", style=style, layout=layout
        )
        self.mode = widgets.ToggleButtons(
            options=[(label, mode) for mode, label in MODE_LABELS.items()],
            value="finetune",
            description="What trains",
            style={**style, "button_width": "190px"},  # room for the whole label
        )
        self.validation = widgets.ToggleButtons(
            options=VALIDATION_CHOICES,
            value=50,
            description="Validate",
            style={**style, "button_width": "290px"},
        )
        self.button = widgets.Button(description="Train", button_style="primary", icon="play")
        self.status = widgets.HTML("Choose K, epochs and a mode, then press <b>Train</b>.")
        self.chart_area = widgets.Output()
        self.matrix_area = widgets.Output()
        self.chart = LiveAccuracyChart(self.chart_area)  # its x axis grows with the runs
        self.results: list[FineTuneResult] = []
        self.running = False
        self._ended_at = -np.inf
        self.button.on_click(lambda _button: self.train())
        self.widget = widgets.VBox(
            [
                self.k,
                self.epochs,
                self.mode,
                self.validation,
                widgets.HBox([self.button, self.status]),
                self.chart_area,
                self.matrix_area,
            ]
        )

    def _ipython_display_(self) -> None:
        display(self.widget)

    def _say(self, text: str, color: str = "black") -> None:
        self.status.value = f"<span style='color:{color}'>{html.escape(text)}</span>"

    def train(self) -> FineTuneResult | None:
        """One run with the current slider values (what the Train button does)."""
        if self.running or time.monotonic() - self._ended_at < _QUEUED_CLICK_SECONDS:
            return None  # a second click while (or just as) a run was in progress
        self.running, self.button.disabled = True, True
        try:
            return self._run(
                self.k.value, self.epochs.value, self.mode.value, self.validation.value
            )
        except LessonError as error:
            self._say(f"Cannot train: {error}", "firebrick")
        except KeyboardInterrupt:  # before training started (while computing features)
            self._say("Interrupted. Press Train to start again.", "darkorange")
        except Exception as error:  # never leave the status at "Training ..."
            log.exception("The trainer's run failed")  # the whole error, for the teacher
            self._say(
                f"Training failed: {type(error).__name__}: {error} "
                "(the full error is in the log); press Train to try again.",
                "firebrick",
            )
        finally:
            self.running, self.button.disabled = False, False
            self._ended_at = time.monotonic()
        return None

    def _run(
        self, k: int, epochs: int, mode: str, validation_frequency: int = 50
    ) -> FineTuneResult:
        k = check_int(k, "K (training examples per class)", *K_RANGE)
        epochs = check_int(epochs, "epochs", *EPOCH_RANGE)
        mode = check_mode(mode)
        validation_frequency = check_int(validation_frequency, "validation_frequency", 1)
        label = MODE_LABELS[mode]
        self._say(f"Training: {label}, K = {k}, {epochs} epochs ...", "steelblue")
        self.chart.start_run(f"{label}, K={k}")
        result, val_labels = train_on_split(
            self.audio,
            self.labels,
            k,
            mode=mode,
            epochs=epochs,
            seed=self.seed,
            validation_frequency=validation_frequency,
            callbacks=self.chart,
        )
        self.results.append(result)
        del self.results[: -self.KEPT_RESULTS]  # older networks are freed
        # the last validation is of the finished network: no need to run it again
        predicted = result.validation_predictions
        figure = plot_confusion_matrix(
            val_labels, predicted, result.class_names, title=f"{label}, K = {k}"
        )
        correct = int(np.sum(predicted == np.asarray(val_labels)))
        alt = (
            f"Confusion matrix, {label}, K = {k}: {correct} of {len(val_labels)} validation "
            "signals on the diagonal (predicted as their true colour)."
        )
        show_in(self.matrix_area, figure, alt)
        plt.close(figure)
        note = " (interrupted: the model keeps what it learned)" if result.interrupted else ""
        self._say(
            f"Validation accuracy {100 * correct / len(val_labels):.1f} % "
            f"({correct} of {len(val_labels)}) after {result.train_seconds:.1f} s{note}.",
            "darkgreen",
        )
        return result
