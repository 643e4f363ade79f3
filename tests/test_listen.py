"""What YAMNet hears over time: sound events, the lesson's own clip, and an uploaded file."""

import io
import warnings

import matplotlib.pyplot as plt
import numpy as np
import pytest
import soundfile

from yamnet_lesson import LessonError, audio, classes, features, load_yamnet, signals
from yamnet_lesson.listen import ClipUpload, what_yamnet_hears

NAMES = ["Speech", "Static", "Pink noise", "Silence"]
HOP = 0.48  # s between windows
CENTRE = 0.4875  # s: the middle of the first 0.975 s window


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def one_hot(rows: list[int], low: float = 0.05, high: float = 0.9) -> np.ndarray:
    """Scores ``(windows, 4)``: class ``rows[i]`` scores ``high`` in window i, the rest ``low``."""
    scores = np.full((len(rows), len(NAMES)), low)
    scores[np.arange(len(rows)), rows] = high
    return scores


# --------------------------------------------------------------------------- window times


def test_windows_own_the_clip_up_to_the_midpoints_between_their_centres():
    edges = classes.window_edges(4)
    centres = CENTRE + HOP * np.arange(4)
    assert edges[0] == 0.0
    assert edges[1:-1] == pytest.approx((centres[:-1] + centres[1:]) / 2)
    assert edges[-1] == pytest.approx(3 * HOP + 0.975)  # where the last window stops hearing
    assert classes.window_edges(4, duration=2.0)[-1] == 2.0  # not past the clip's end
    assert np.all(np.diff(classes.window_edges(4, duration=0.1)) >= 0)


# --------------------------------------------------------------------------- sound events


def test_consecutive_windows_of_one_class_make_one_event():
    scores = one_hot([0, 0, 0, 1, 1, 2])
    events = classes.sound_events(scores, NAMES)
    edges = classes.window_edges(6)
    assert [e.name for e in events] == ["Speech", "Static", "Pink noise"]
    times = [time for e in events for time in (e.start, e.end)]
    assert times == pytest.approx([0.0, edges[3], edges[3], edges[5], edges[5], edges[6]])
    assert [e.score for e in events] == pytest.approx([0.9, 0.9, 0.9])


def test_the_event_score_is_the_mean_over_its_windows():
    scores = one_hot([0, 0])
    scores[1, 0] = 0.5
    (event,) = classes.sound_events(scores, NAMES)
    assert event.score == pytest.approx(0.7)


def test_a_window_below_the_threshold_breaks_an_event():
    scores = one_hot([0, 1, 0], low=0.02)
    scores[1, 1] = 0.1  # the middle window's best class, Static, scores only 0.1
    events = classes.sound_events(scores, NAMES, threshold=0.2)
    assert [e.name for e in events] == ["Speech", "Speech"]
    edges = classes.window_edges(3)
    assert (events[0].end, events[1].start) == pytest.approx((edges[1], edges[2]))
    # with a lower threshold the quiet window is kept, as its own (weak) event
    low = classes.sound_events(scores, NAMES, threshold=0.05)
    assert [e.name for e in low] == ["Speech", "Static", "Speech"]
    assert classes.sound_events(scores, NAMES, threshold=0.95) == []


def test_two_classes_above_the_threshold_at_once_give_the_best_one():
    scores = one_hot([0, 0])
    scores[:, 1] = [0.95, 0.2]  # sigmoid scores: both high in window 0; Static wins there
    assert [e.name for e in classes.sound_events(scores, NAMES)] == ["Static", "Speech"]


def test_events_end_with_the_clip_and_are_printed_readably():
    (event,) = classes.sound_events(one_hot([3, 3]), NAMES, duration=1.2)
    assert event.end == 1.2
    assert str(event) == " 0.00 -  1.20 s  Silence (mean score 0.90)"


@pytest.mark.parametrize(
    ("scores", "kwargs", "message"),
    [
        (np.zeros((3, 5)), {}, "shape"),
        (np.zeros(4), {}, "shape"),
        (np.zeros((0, 4)), {}, "shape"),
        (np.zeros((3, 4)), {"threshold": 1.5}, "threshold"),
        (np.zeros((3, 4)), {"duration": -1.0}, "duration"),
    ],
)
def test_bad_arguments_get_one_sentence(scores, kwargs, message):
    with pytest.raises(LessonError, match=message):
        classes.sound_events(scores, NAMES, **kwargs)


# --------------------------------------------------------------------------- the lesson's clip


@pytest.fixture(scope="module")
def yamnet():
    return load_yamnet()


def segment(segments, name):
    return next(s for s in segments if s.name == name)


def test_yamnet_finds_the_noises_and_the_silence_where_they_are(yamnet):
    clip, segments = signals.demo_clip()  # the siren version: needs no files
    events, fig = what_yamnet_hears(yamnet, clip, segments=segments, title="clip")
    by_name = {e.name: e for e in events}
    assert [e.name for e in events] == ["Police car (siren)", "Static", "Pink noise", "Silence"]
    white, pink, brown, silence = (
        segment(segments, name) for name in ("white noise", "pink noise", "brown noise", "silence")
    )
    tolerance = 0.7  # s: about one window hop plus half a window's reach
    assert by_name["Static"].start == pytest.approx(white.start, abs=tolerance)
    assert by_name["Static"].end == pytest.approx(white.end, abs=tolerance)
    # YAMNet has no brown noise: it hears the pink and the brown segments as one pink noise
    assert by_name["Pink noise"].start == pytest.approx(pink.start, abs=tolerance)
    assert by_name["Pink noise"].end == pytest.approx(brown.end, abs=tolerance)
    assert by_name["Silence"].start == pytest.approx(silence.start, abs=tolerance)
    assert by_name["Silence"].end == silence.end == 10.0
    # the figure: the scores, what YAMNet hears and what plays, and the table beside
    strips = [ax.get_yticklabels()[0].get_text() for ax in fig.axes if len(ax.get_yticks()) == 1]
    assert strips == ["YAMNet hears", "really plays"]
    (table_axes,) = [ax for ax in fig.axes if ax.tables]
    cells = table_axes.tables[0].get_celld()
    assert [cells[row, 0].get_text().get_text() for row in range(1, 5)] == [e.name for e in events]


def test_the_spoken_digits_are_heard_as_speech(yamnet, fsdd):
    speech = audio.spoken_digits("012", download=False)  # YAMNET_LESSON_FSDD_DIR or the cache
    clip, segments = signals.demo_clip(speech)
    events, _ = what_yamnet_hears(yamnet, clip, segments=segments)
    assert events[0].name == "Speech" and events[0].start == 0.0
    assert events[0].end == pytest.approx(segments[0].end, abs=0.7)
    assert events[0].score > 0.7


# --------------------------------------------------------------------------- uploading a file


def upload(widget: ClipUpload, name: str, content: bytes) -> None:
    """What the browser sends when a file is chosen (ipywidgets 8's JSON state)."""
    chosen = {
        "name": name,
        "type": "audio/wav",
        "size": len(content),
        "content": memoryview(content),
        "last_modified": 0,
    }
    widget.upload.set_state({"value": [chosen]})


def wav_bytes(waveform: np.ndarray, rate: int) -> bytes:
    buffer = io.BytesIO()
    soundfile.write(buffer, waveform, rate, format="WAV", subtype="PCM_16")
    return buffer.getvalue()


def test_an_uploaded_file_is_heard_and_drawn(yamnet):
    widget = ClipUpload(yamnet)
    clip, _ = signals.demo_clip(segment_seconds=1.5)
    upload(widget, "my clip.wav", wav_bytes(clip[::2], 8_000))  # another rate: resampled
    assert "my clip.wav: 7.5 s at 8000 Hz" in widget.message.value
    assert "Silence" in widget.message.value and widget.events[-1].name == "Silence"
    (shown,) = widget.output.outputs
    assert shown["data"]["image/png"]


def test_a_bad_upload_gets_one_sentence_in_the_widget(yamnet):
    widget = ClipUpload(yamnet)
    upload(widget, "good.wav", wav_bytes(signals.siren(16_000), 16_000))
    upload(widget, "notes.wav", b"this is not audio\n" * 20)
    assert "notes.wav could not be read as audio" in widget.message.value
    assert "Traceback" not in widget.message.value and "\n" not in widget.message.value
    assert widget.output.outputs == () and widget.events == []
    upload(widget, "empty.wav", b"")
    assert "empty.wav is empty" in widget.message.value


def test_a_full_scale_recording_at_another_rate_gets_no_warning_about_its_peak(yamnet):
    """Resampling overshoots full scale (here to 1.13): the lesson's doing, not the file's."""
    t = np.arange(3 * 44_100) / 44_100
    noise = 0.3 * np.random.default_rng(0).standard_normal(t.size)
    clip = np.clip(3 * np.sin(2 * np.pi * 440 * t) + noise, -1, 1)  # loud and clipped
    assert np.abs(clip).max() == 1 and np.abs(features.resample(clip, 44_100)).max() > 1.05
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any warning fails the test
        events, _ = what_yamnet_hears(yamnet, clip, 44_100)
    assert events
    with pytest.warns(UserWarning, match="peaks at 1.5, beyond"):  # the student's own
        what_yamnet_hears(yamnet, 1.5 * clip, 44_100)


def test_notebook_3_clip_holds_every_digit_it_names_whole(fsdd):
    """Each spoken digit joined into notebook 3's clip ends inside its 2 s speech segment."""
    import json
    import re
    from pathlib import Path

    from yamnet_lesson import audio

    notebook = Path(__file__).resolve().parents[1] / "notebooks" / "03_the_pretrained_network.ipynb"
    source = "".join("".join(c["source"]) for c in json.loads(notebook.read_text())["cells"])
    (digits,) = re.findall(r'spoken_digits\("(\d+)"\)', source)
    clip, segments = signals.demo_clip(audio.spoken_digits(digits, download=False))
    end = 0
    for digit in digits:  # each part: the recording, then its 0.1 s pause
        part = audio.spoken_digits(digit, download=False)
        end += len(part)
        assert end <= round(segments[0].end * signals.SAMPLE_RATE), f"digit {digit} is cut off"
    names = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
    assert ", ".join(names[int(d)] for d in digits) in source  # the prose names these digits
    assert len(audio.spoken_digits(digits + "3", download=False)) > len(clip) / 5  # a 4th: cut


def test_every_upload_widget_accepts_and_names_the_same_formats():
    import json
    from pathlib import Path

    from yamnet_lesson import audio
    from yamnet_lesson.listen import ClipUpload

    assert audio.UPLOAD_ACCEPT == ".wav,.flac,.ogg,.mp3"
    widget = ClipUpload(None)
    assert widget.upload.accept == audio.UPLOAD_ACCEPT
    assert "WAV, FLAC, OGG or MP3" in widget.message.value
    folder = Path(__file__).resolve().parents[1] / "notebooks"
    for name in ("03_the_pretrained_network.ipynb", "06_take_it_home.ipynb"):
        source = "".join(
            "".join(c["source"]) for c in json.loads((folder / name).read_text())["cells"]
        )
        assert "WAV, FLAC, OGG or MP3" in source, name
        assert "FileUpload(accept=" not in source or "accept=yl.audio.UPLOAD_ACCEPT" in source
