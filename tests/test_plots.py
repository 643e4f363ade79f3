"""The lesson's figures: titles, labels and legends a student can read at a glance."""

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest

from yamnet_lesson import LessonError, classes, features, plots, signals


@pytest.fixture(scope="module")
def noise():
    return signals.noise_dataset(n_per_color=4, seed=0)


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def legend_texts(ax) -> list[str]:
    return [text.get_text() for text in ax.get_legend().get_texts()]


def test_spectra_put_the_slopes_in_the_legend_not_on_the_curves(noise):
    audio, labels = noise
    fig = plots.plot_spectra(audio, labels, band=(100, 5_000))
    ax = fig.axes[0]
    assert len(ax.texts) == 0  # nothing written over the curves
    entries = legend_texts(ax)
    assert any(e.startswith("white:") and e.endswith("(theory +0)") for e in entries)
    assert any(e.startswith("pink:") and e.endswith("(theory -10)") for e in entries)
    assert any(e.startswith("brown:") and e.endswith("(theory -20)") for e in entries)
    assert "textbook slope" in entries
    assert ax.get_xlabel() == "Frequency (Hz)" and "dB" in ax.get_ylabel()


def test_each_noise_colour_has_its_colour_and_its_own_marker(noise):
    audio, labels = noise
    curves = [
        line for line in plots.plot_spectra(audio, labels).axes[0].lines if ":" in line.get_label()
    ]
    for line in curves:
        name = line.get_label().split(":")[0]
        assert line.get_color() == plots.COLORS[name]
        assert line.get_marker() == plots.MARKERS[name]
    assert len({line.get_marker() for line in curves}) == 3


def test_mel_images_share_one_colour_scale(noise):
    audio, labels = noise
    fig = plots.plot_mel_images(audio, labels)
    images = [ax.images[0] for ax in fig.axes if ax.images]
    assert len(images) == 3
    assert len({image.get_clim() for image in images}) == 1
    assert fig.axes[0].get_ylabel() == plots.MEL_BAND_LABEL
    assert all(ax.get_xlabel() == "Time (s)" for ax in fig.axes[:3])


def test_front_end_comparison_shares_the_scale_and_the_mel_figure_labels():
    rng = np.random.default_rng(0)
    ours = rng.normal(1.0, 1.0, (96, 64))
    theirs = ours + rng.normal(0, 0.01, ours.shape) + 0.5  # shifted: its own range
    fig = plots.plot_front_end_comparison(ours, theirs)
    panels = [ax for ax in fig.axes if ax.images][:3]
    (ours_image,), (theirs_image,), (difference,) = (ax.images for ax in panels)
    low = min(ours.min(), theirs.min())
    high = max(ours.max(), theirs.max())
    assert ours_image.get_clim() == theirs_image.get_clim() == pytest.approx((low, high))
    low_d, high_d = difference.get_clim()
    assert low_d == -high_d == pytest.approx(-np.abs(ours - theirs).max())
    assert [ax.get_title() for ax in panels] == ["ours", "Google's", "ours - Google's"]
    assert all(ax.get_xlabel() == "Time (s)" for ax in panels)
    assert panels[0].get_ylabel() == plots.MEL_BAND_LABEL
    colorbar_labels = {ax.get_ylabel() for ax in fig.axes if not ax.images}
    assert plots.LOG_MEL_LABEL in colorbar_labels
    frames_seconds = 96 * features.HOP_SAMPLES / features.SAMPLE_RATE
    assert panels[0].get_xlim() == pytest.approx((0, frames_seconds))


def test_front_end_comparison_refuses_patches_of_different_shapes():
    with pytest.raises(LessonError, match="differ in shape"):
        plots.plot_front_end_comparison(np.zeros((96, 64)), np.zeros((95, 64)))


def test_accuracy_vs_k_names_the_modes_in_words():
    results = {
        "finetune": {1: [0.9, 1.0], 5: [1.0, 1.0]},
        "head": {1: [0.8, 0.85], 5: [0.95, 1.0]},
        "scratch": {1: [0.33, 0.34], 5: [0.33, 0.4]},
        "other": {1: [0.5], 5: [0.6]},
    }
    fig = plots.plot_accuracy_vs_k(results)
    entries = legend_texts(fig.axes[0])
    assert entries == [
        "fine-tune the whole network",
        "train only the new layer",
        "train from scratch",
        "other",  # an unknown mode keeps its own name
        "chance (3 classes)",
        "range of 2 seeds",  # the shaded bands: lowest to highest seed
    ]
    band = fig.axes[0].collections[0].get_paths()[0].vertices[:, 1]
    assert (band.min(), band.max()) == (90.0, 100.0)  # finetune: 90 to 100 at K = 1
    assert [line.get_ydata().tolist() for line in fig.axes[0].lines[:1]] == [[95.0, 100.0]]
    styles = [(line.get_color(), line.get_marker()) for line in fig.axes[0].lines[:4]]
    assert styles == [tuple(plots.run_style(i).values()) for i in range(4)]


def test_embedding_map_gives_each_colour_its_colour_marker_and_name():
    rng = np.random.default_rng(0)
    labels = np.repeat(["white", "brown", "pink"], 5)
    fig = plots.plot_embedding_map(rng.normal(size=(15, 2)), labels)
    ax = fig.axes[0]
    assert legend_texts(ax) == ["white noise", "brown noise", "pink noise"]
    for collection, name in zip(ax.collections, ["white", "brown", "pink"], strict=True):
        assert len(collection.get_offsets()) == 5
        assert tuple(collection.get_facecolor()[0][:3]) == pytest.approx(
            matplotlib.colors.to_rgb(plots.COLORS[name])
        )
    markers = {tuple(map(tuple, c.get_paths()[0].vertices.round(3))) for c in ax.collections}
    assert len(markers) == 3  # three different marker shapes
    assert ax.get_xlabel() == "first principal component"
    with pytest.raises(LessonError, match="shape"):
        plots.plot_embedding_map(np.zeros((15, 3)), labels)


def test_scores_over_time_line_up_with_the_windows_and_list_the_events():
    names = ["Speech", "Static", "Pink noise", "Silence"]
    scores = np.full((6, 4), 0.05)
    scores[:3, 0] = scores[3:, 3] = 0.9
    events = classes.sound_events(scores, names, duration=3.0)
    segments = [signals.Segment("speech", 0.0, 1.5), signals.Segment("silence", 1.5, 3.0)]
    fig = plots.plot_scores_over_time(
        scores, names, top=3, events=events, segments=segments, duration=3.0
    )
    (heatmap,) = [ax for ax in fig.axes if ax.get_xlabel() == "Time (s)"]
    edges = classes.window_edges(6, 3.0)
    columns = heatmap.collections[0].get_coordinates()[0, :, 0]
    np.testing.assert_allclose(columns, edges)  # one column per window, where it hears
    rows = [label.get_text() for label in heatmap.get_yticklabels()]
    assert rows[:2] == ["Speech", "Silence"] and len(rows) == 3  # event classes first
    assert heatmap.get_xlim() == pytest.approx((0.0, 3.0))
    bars = [ax for ax in fig.axes if len(ax.get_yticks()) == 1]
    assert [ax.get_yticklabels()[0].get_text() for ax in bars] == ["YAMNet hears", "really plays"]
    assert [t.get_text() for t in bars[0].texts] == ["Speech", "Silence"]  # labelled bars
    (table,) = [t for ax in fig.axes for t in ax.tables]
    cells = table.get_celld()
    assert [cells[0, c].get_text().get_text() for c in range(4)] == [
        "sound",
        "from (s)",
        "to (s)",
        "score",
    ]
    assert cells[2, 0].get_text().get_text() == "Silence"
    assert cells[2, 2].get_text().get_text() == "3.00"


def test_every_figure_has_a_title(noise):
    audio, labels = noise
    figures = [
        plots.plot_waveforms(audio, labels),
        plots.plot_spectra(audio, labels),
        plots.plot_mel_images(audio, labels),
        plots.plot_confusion_matrix(["a", "b"], ["a", "a"], ["a", "b"]),
        plots.plot_accuracy_vs_k({"finetune": {1: [1.0]}}),
        plots.plot_scores_over_time(np.full((3, 4), 0.5), ["w", "x", "y", "z"], top=2),
    ]
    for fig in figures:
        assert fig.get_suptitle() or any(ax.get_title() for ax in fig.axes)


def test_confusion_matrix_title_fits_even_when_it_names_a_run_in_words():
    """The trainer titles its matrix "fine-tune the whole network, K = 95": nothing is cut off."""
    fig = plots.plot_confusion_matrix(
        ["white", "brown", "pink"] * 5,
        ["white", "brown", "brown"] * 5,
        ["white", "brown", "pink"],
        title="fine-tune the whole network, K = 95",
    )
    ax = fig.axes[0]
    box = ax.title.get_window_extent(fig.canvas.get_renderer())
    assert box.x0 >= 0 and box.x1 <= fig.bbox.width and box.y1 <= fig.bbox.height
    assert ax.get_title().splitlines() == ["fine-tune the whole network, K = 95", "66.7 % correct"]


def test_scores_over_time_name_the_model_whose_scores_they_are():
    """Notebook 6 shows its own classifier's probabilities: the title must not say YAMNet."""
    scores = np.array([[0.9, 0.05, 0.05], [0.1, 0.8, 0.1]])
    names = ["white", "brown", "pink"]
    fig = plots.plot_scores_over_time(scores, names, title="rain.wav", model_name="our classifier")
    assert fig.get_suptitle() == "What our classifier hears over time: rain.wav"
    events = classes.sound_events(scores, names, duration=1.5)
    fig = plots.plot_scores_over_time(scores, names, events=events, model_name="our classifier")
    strips = [ax.get_yticklabels()[0].get_text() for ax in fig.axes if len(ax.get_yticks()) == 1]
    assert strips == ["our classifier hears"]
    default = plots.plot_scores_over_time(scores, names)
    assert default.get_suptitle() == "What YAMNet hears over time"


def test_validation_curves_join_every_epoch_with_a_marker_and_colour_per_run():
    from yamnet_lesson.plots import plot_validation_curves

    fig = plot_validation_curves(
        {"seed 0": ([1, 2, 3], [0.4, 1.0, 0.7]), "seed 1": ([1, 2, 3], [1, 1, 1])}
    )
    lines = {line.get_label(): line for line in fig.axes[0].get_lines()}
    np.testing.assert_allclose(lines["seed 0"].get_ydata(), [40, 100, 70])
    assert lines["seed 0"].get_linestyle() == "-" and lines["seed 0"].get_marker() not in (
        "",
        "None",
    )
    assert lines["seed 0"].get_marker() != lines["seed 1"].get_marker()
    assert lines["seed 0"].get_color() != lines["seed 1"].get_color()


def test_timeline_marks_each_sound_distinctly_and_a_sound_alike_where_it_returns():
    names = ["Speech", "Static", "Pink noise", "Silence"]
    scores = np.full((8, 4), 0.05)
    scores[:2, 0] = scores[2:4, 1] = scores[4:6, 2] = scores[6:, 0] = 0.9
    events = classes.sound_events(scores, names, duration=4.0)
    fig = plots.plot_scores_over_time(scores, names, events=events, duration=4.0)
    (strip,) = [ax for ax in fig.axes if len(ax.get_yticks()) == 1]
    bars = strip.collections
    looks = [(bar.get_hatch(), tuple(bar.get_facecolor()[0])) for bar in bars]
    assert [t.get_text() for t in strip.texts] == ["Speech", "Static", "Pink noise", "Speech"]
    assert len(set(looks[:3])) == 3 and looks[3] == looks[0]


def test_a_sound_looks_the_same_on_both_timelines_and_others_differ():
    """"Silence" heard and "silence" played share a look; brown noise, played only, has its own
    (from a new user's trial: the rows once chose hatches each on its own, so heard
    "Silence" wore played brown noise's hatch)."""
    names = ["Pink noise", "Silence"]
    scores = np.array([[0.9, 0.05], [0.9, 0.05], [0.05, 0.9], [0.05, 0.9]])
    events = classes.sound_events(scores, names, duration=4.0)
    plays = [signals.Segment("brown", 0.0, 2.0), signals.Segment("silence", 2.0, 4.0)]
    fig = plots.plot_scores_over_time(scores, names, events=events, duration=4.0, segments=plays)
    look = {}
    for ax in (ax for ax in fig.axes if len(ax.get_yticks()) == 1):
        for bar, text in zip(ax.collections, ax.texts, strict=True):
            look[text.get_text()] = (bar.get_hatch(), tuple(bar.get_facecolor()[0]))
    assert look["Silence"] == look["silence"]
    assert len({look["Pink noise"], look["brown"], look["silence"]}) == 3


def test_scores_over_time_can_keep_the_label_order_and_marks_where_the_sound_changes():
    names = ["white", "brown", "pink"]
    scores = np.array([[0.9, 0.05, 0.05], [0.1, 0.2, 0.7], [0.05, 0.05, 0.9]])
    plays = [signals.Segment("white", 0.0, 1.0), signals.Segment("pink", 1.0, 2.0)]
    fig = plots.plot_scores_over_time(
        scores, names, top=3, segments=plays, duration=2.0, keep_order=True
    )
    (heatmap,) = [ax for ax in fig.axes if ax.get_xlabel() == "Time (s)"]
    assert [t.get_text() for t in heatmap.get_yticklabels()] == names  # the label file's order
    changes = [line.get_xdata()[0] for line in heatmap.get_lines() if line.get_linestyle() == ":"]
    assert changes == [1.0]  # where the sound really changes
    (strip,) = [ax for ax in fig.axes if len(ax.get_yticks()) == 1]
    assert strip.get_yticklabels()[0].get_text() == "really plays"


def test_show_gives_a_figure_its_description_for_screen_readers_and_the_html_export():
    import matplotlib.pyplot as plt

    from yamnet_lesson import LessonError

    fig, ax = plt.subplots()
    ax.plot([1, 2], [3, 4])
    data, metadata = plots.figure_bundle(fig, 'Rises from 3 to 4 "steadily"')
    assert data["text/html"].startswith('<img src="data:image/png;base64,')
    assert 'alt="Rises from 3 to 4 &quot;steadily&quot;"' in data["text/html"]
    assert metadata == {"image/png": {"alt": 'Rises from 3 to 4 "steadily"'}}
    with pytest.raises(LessonError, match="alt must be a sentence"):
        plots.figure_bundle(fig, " ")
    plt.close(fig)
