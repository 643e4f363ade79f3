"""What YAMNet hears in a clip over time: the lesson's own clip, or a student's uploaded file.

>>> events, fig = what_yamnet_hears(yamnet, waveform, 16_000)   # doctest: +SKIP
>>> ClipUpload(yamnet)                                         # doctest: +SKIP

:func:`what_yamnet_hears` runs YAMNet on a clip, finds the sound events
(:func:`yamnet_lesson.classes.sound_events`) and draws them beside the scores
over time.  :class:`ClipUpload` is an upload button that does the same for
any sound file a student chooses; a file that cannot be used gets one
sentence in the widget, never a traceback.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from . import features
from .audio import UPLOAD_ACCEPT, UPLOAD_FORMATS, read_audio_bytes, uploaded_files
from .classes import EVENT_THRESHOLD, SoundEvent, sound_events
from .plots import plot_scores_over_time, show_in
from .signals import SAMPLE_RATE, Segment
from .validation import LessonError, check_waveform, peak_checked

__all__ = ["ClipUpload", "what_yamnet_hears"]


def what_yamnet_hears(
    model: Any,
    waveform: np.ndarray,
    sample_rate: int = SAMPLE_RATE,
    *,
    title: str = "",
    segments: Sequence[Segment] | None = None,
    threshold: float = EVENT_THRESHOLD,
    top: int = 5,
) -> tuple[list[SoundEvent], Figure]:
    """YAMNet's sound events in one clip, and the figure of its scores over time.

    ``model`` is a loaded YAMNet (:func:`yamnet_lesson.load_yamnet`);
    ``waveform`` is 1-D, in [-1, 1], at ``sample_rate`` Hz (resampled to
    16 kHz here).  Returns the events (:class:`SoundEvent`, times in seconds)
    and :func:`yamnet_lesson.plots.plot_scores_over_time` with them, the
    ``segments`` that really play (if known) and the ``top`` best classes.
    """
    waveform = check_waveform(waveform)
    with peak_checked():  # checked once, here: resampling may overshoot a full-scale clip
        audio = features.resample(waveform, sample_rate)
        scores, _, _ = model(audio)
    duration = audio.shape[0] / SAMPLE_RATE
    events = sound_events(scores, model.class_names, threshold=threshold, duration=duration)
    fig = plot_scores_over_time(
        scores,
        model.class_names,
        top=top,
        title=title,
        events=events,
        segments=segments,
        duration=duration,
    )
    return events, fig


class ClipUpload(widgets.VBox):
    """An upload button: YAMNet listens to the chosen file and shows its sound events.

    Display it as the last line of a cell.  After each upload, ``message``
    says what was read (or, for a file that cannot be used, why, in one
    sentence), ``output`` shows the figure, and ``events`` holds the events.
    """

    def __init__(self, model: Any, *, threshold: float = EVENT_THRESHOLD) -> None:
        self.model = model
        self.threshold = threshold
        self.events: list[SoundEvent] = []
        self.upload = widgets.FileUpload(
            accept=UPLOAD_ACCEPT, multiple=False, description="Your sound file"
        )
        kinds = ", ".join(UPLOAD_FORMATS[:-1]) + " or " + UPLOAD_FORMATS[-1]
        self.message = widgets.HTML(f"Choose a {kinds} file (up to 10 minutes).")
        self.output = widgets.Output()
        self.upload.observe(self._on_upload, names="value")
        super().__init__([self.upload, self.message, self.output])

    def _on_upload(self, change: dict[str, Any]) -> None:
        files = uploaded_files(change["new"])  # ipywidgets 7's value or 8's
        if not files:
            return
        name, content = files[-1]
        try:
            waveform, sample_rate = read_audio_bytes(content, name)
            self.events, fig = what_yamnet_hears(
                self.model, waveform, sample_rate, title=name, threshold=self.threshold
            )
        except LessonError as error:
            self.events = []
            self.output.outputs = ()
            self.message.value = f'<span style="color:#B00020">{html.escape(str(error))}</span>'
            return
        seconds = waveform.shape[0] / sample_rate
        found = ", ".join(dict.fromkeys(event.name for event in self.events)) or "nothing sure"
        self.message.value = html.escape(
            f"{name}: {seconds:.1f} s at {sample_rate} Hz. YAMNet hears: {found}."
        )
        heard = ", ".join(f"{e.name} {e.start:.2f} to {e.end:.2f} s" for e in self.events)
        alt = f"YAMNet's scores over time for {name} ({seconds:.1f} s); it hears {heard or found}."
        show_in(self.output, fig, alt)
        plt.close(fig)
