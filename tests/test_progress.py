"""The progress table and the live chart, driven with the logs fine_tune sends them."""

import base64

import ipywidgets
import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg

from yamnet_lesson.progress import LiveAccuracyChart, ProgressTable, format_elapsed


def drive(
    callback, epochs: int, steps: int, classes: int = 3, rate: float = 1e-3, every: int = 50
) -> None:
    """Call a callback the way fine_tune does, with made-up but plausible numbers.

    Validation at iteration 1, every ``every`` iterations and at the last, as fine_tune does.
    """
    callback.set_params({"epochs": epochs, "steps": steps, "classes": classes})
    callback.on_train_begin()
    iteration, last = 0, epochs * steps
    for epoch in range(1, epochs + 1):
        callback.on_epoch_begin(epoch - 1)
        for step in range(steps):
            iteration += 1
            logs = {
                "iteration": iteration,
                "epoch": epoch,
                "loss": 1.0 / iteration,
                "accuracy": min(1.0, 0.3 + 0.1 * iteration),
                "seconds": 0.5 * iteration,
                "learning_rate": rate,
            }
            if iteration in (1, last) or iteration % every == 0:
                logs.update(val_accuracy=0.9, val_loss=2e-5)
            callback.on_train_batch_end(step, logs)
        callback.on_epoch_end(epoch - 1, {"iteration": iteration, "accuracy": 1.0, "loss": 0.1})
    callback.on_train_end()


def test_table_rows_at_first_every_50_and_last(capsys):
    drive(ProgressTable(), epochs=30, steps=4, every=1_000)  # 120 iterations, validated 1 and 120
    lines = capsys.readouterr().out.splitlines()
    rows = [line for line in lines if line.startswith("|") and line[2:9].strip().isdigit()]
    iterations = [int(row.split("|")[2]) for row in rows]
    assert iterations == [1, 50, 100, 120]
    header = "\n".join(lines[:4])
    for column in (
        "Epoch",
        "Iteration",
        "Time Elapsed",
        "(hh:mm:ss)",
        "Mini-batch",
        "Validation",
        "Accuracy",
        "Loss",
        "Base Learning",
        "Rate",
    ):
        assert column in header
    last = rows[-1].split("|")
    assert last[1].strip() == "30" and last[3].strip() == "00:01:00"
    assert last[5].strip() == "90.00%" and last[7].strip() == "2.0000e-05"
    assert last[8].strip() == "0.0010"
    first = rows[0].split("|")
    assert first[5].strip() == "90.00%" and first[4].strip() == "40.00%"
    middle = rows[1].split("|")  # not validated at iteration 50: blank, like the reference
    assert middle[5].strip() == "" and middle[7].strip() == ""


@pytest.mark.parametrize(("given", "shown"), [(None, "0.0300"), (5e-4, "0.0005")])
def test_table_shows_the_rate_fine_tune_trains_with_unless_told(given, shown, capsys):
    drive(ProgressTable(learning_rate=given), epochs=2, steps=1, rate=0.03)
    rows = [line for line in capsys.readouterr().out.splitlines() if "%" in line]
    assert {row.split("|")[8].strip() for row in rows} == {shown}


def test_table_with_one_iteration_per_epoch_has_validation_on_each_printed_row(capsys):
    drive(ProgressTable(), epochs=30, steps=1)
    rows = [line for line in capsys.readouterr().out.splitlines() if "%" in line]
    assert [int(r.split("|")[2]) for r in rows] == [1, 30]
    assert all(r.split("|")[5].strip() == "90.00%" for r in rows)


@pytest.mark.parametrize(
    ("seconds", "text"), [(0, "00:00:00"), (14.9, "00:00:14"), (3725, "01:02:05")]
)
def test_format_elapsed(seconds, text):
    assert format_elapsed(seconds) == text


def test_live_chart_redraws_in_place_and_overlays_runs():
    area = ipywidgets.Output()
    chart = LiveAccuracyChart(area, max_iterations=60, min_interval=0)
    chart.start_run("first")
    drive(chart, epochs=5, steps=1)
    assert chart.redraws == 5 + 1 and len(area.outputs) == 1  # each iteration, the end; in place
    chart.start_run("second")
    drive(chart, epochs=3, steps=2, every=2)
    assert chart.redraws == 6 + 6 + 1 and len(area.outputs) == 1
    png = base64.b64decode(area.outputs[0]["data"]["image/png"])
    assert png.startswith(b"\x89PNG") and len(png) > 10_000
    lines = {line.get_label(): line for line in chart.axes.get_lines()}
    assert {"first: validation", "second: validation", "second: mini-batch"} <= set(lines)
    assert "first: mini-batch" not in lines  # earlier runs keep only their validation curve
    np.testing.assert_array_equal(lines["second: mini-batch"].get_xdata(), [1, 2, 3, 4, 5, 6])
    np.testing.assert_array_equal(lines["second: validation"].get_xdata(), [1, 2, 4, 6])
    np.testing.assert_allclose(lines["second: validation"].get_ydata(), [90] * 4)
    np.testing.assert_array_equal(lines["first: validation"].get_xdata(), [1, 5])
    assert lines["first: validation"].get_marker() != lines["second: validation"].get_marker()
    assert chart.max_iterations == 60 and chart.axes.get_xlim()[1] == 60.5
    assert chart.axes.get_xlabel().startswith("Iteration")
    assert chart.axes.get_ylabel() == "Accuracy (%)"


def test_live_chart_redraws_at_most_every_min_interval_but_always_on_validation():
    chart = LiveAccuracyChart(ipywidgets.Output(), min_interval=3600)
    drive(chart, epochs=30, steps=1)
    assert chart.redraws == 3  # iteration 1 and 30 (validated), the end: not the 28 between


def test_live_chart_axis_grows_with_the_runs_and_chance_follows_the_classes():
    chart = LiveAccuracyChart(ipywidgets.Output())
    drive(chart, epochs=10, steps=1)
    assert chart.axes.get_xlim()[1] == 30.5  # room for the reference's 30 iterations
    drive(chart, epochs=15, steps=3, classes=10)
    assert chart.axes.get_xlim()[1] == 45.5
    chance = next(line for line in chart.axes.get_lines() if line.get_label() == "chance")
    np.testing.assert_allclose(chance.get_ydata(), [10, 10])  # ten digits: 10 %


def test_live_chart_legend_stays_inside_the_figure_whatever_the_run_names():
    """The trainer names runs in words ("fine-tune the whole network, K=95"): none is cut off."""
    chart = LiveAccuracyChart(ipywidgets.Output(), min_interval=3600)
    for name in ["fine-tune the whole network, K=95", "train only the new layer, K=95", "a"]:
        chart.start_run(name)
        drive(chart, epochs=3, steps=1)
        renderer = FigureCanvasAgg(chart.figure).get_renderer()  # as the PNG is drawn
        legend = chart.axes.get_legend().get_window_extent(renderer)
        axes = chart.axes.get_window_extent(renderer)
        assert axes.x1 < legend.x0 and legend.x1 <= chart.figure.bbox.width  # beside, inside
        assert axes.width > 0.4 * chart.figure.bbox.width  # the curves keep most of the room


@pytest.mark.slow  # seconds of training or a fresh process; the everyday run stays under 5 minutes
def test_live_chart_drops_a_run_that_never_trained_and_never_repeats_a_style():
    chart = LiveAccuracyChart(ipywidgets.Output(), min_interval=3600)
    chart.start_run("failed before training")  # e.g. the labels were refused
    chart.start_run("first")
    drive(chart, epochs=2, steps=1)
    assert [run["label"] for run in chart.runs] == ["first"]
    for n in range(2, 10):
        chart.start_run(f"run {n}")
        drive(chart, epochs=2, steps=1)
    lines = chart.axes.get_lines()
    validation = [line for line in lines if line.get_label().endswith("validation")]
    assert len(validation) == LiveAccuracyChart.SHOWN_RUNS  # the latest seven of nine
    assert validation[-1].get_label() == "run 9: validation"
    styles = {(line.get_color(), line.get_marker()) for line in validation}
    assert len(styles) == len(validation)  # no two runs on the chart look alike


def test_live_chart_draws_sparse_validation_as_markers_and_joins_only_every_iteration():
    """Validated at iterations 1 and 30 only: two markers, no line implying values in between."""
    chart = LiveAccuracyChart(ipywidgets.Output(), min_interval=3600)
    chart.start_run("reference schedule")
    drive(chart, epochs=30, steps=1)  # validated at 1 and 30
    chart.start_run("every iteration")
    drive(chart, epochs=10, steps=1, every=1)
    chart.draw()
    lines = {line.get_label(): line for line in chart.axes.get_lines()}
    sparse, dense = lines["reference schedule: validation"], lines["every iteration: validation"]
    np.testing.assert_array_equal(sparse.get_xdata(), [1, 30])
    assert sparse.get_linestyle() == "None" and sparse.get_marker() not in ("", "None", None)
    assert dense.get_linestyle() == "--" and len(dense.get_xdata()) == 10
    chart.start_run("sparse again")
    drive(chart, epochs=6, steps=1, every=2)  # 1, 2, 4, 6: gaps, so markers only
    assert lines["every iteration: validation"].get_linestyle() == "--"
    latest = {line.get_label(): line for line in chart.axes.get_lines()}["sparse again: validation"]
    assert latest.get_linestyle() == "None"  # set again as the latest run is redrawn


@pytest.mark.slow  # seconds of training or a fresh process; the everyday run stays under 5 minutes
def test_live_chart_is_described_from_its_numbers_for_screen_readers():
    area = ipywidgets.Output()
    chart = LiveAccuracyChart(area, min_interval=0)
    chart.start_run("fine-tune, K=5")
    drive(chart, epochs=30, steps=1)
    data = area.outputs[0]["data"]
    assert data["text/plain"] == chart.describe() == area.outputs[0]["metadata"]["image/png"]["alt"]
    assert "fine-tune, K=5" in data["text/plain"] and "30 iterations" in data["text/plain"]
    assert "at 1, " in data["text/plain"] and data["text/plain"].endswith(" at 30.")
    assert 'alt="Accuracy during training, fine-tune, K=5' in data["text/html"]
