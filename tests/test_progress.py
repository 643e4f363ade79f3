"""The progress table and the live chart, driven with the logs fine_tune sends them."""

import base64

import ipywidgets
import numpy as np
import pytest

from yamnet_lesson.progress import LiveAccuracyChart, ProgressTable, format_elapsed


def drive(callback, epochs: int, steps: int, classes: int = 3, rate: float = 1e-3) -> None:
    """Call a callback the way fine_tune does, with made-up but plausible numbers."""
    callback.set_params({"epochs": epochs, "steps": steps, "classes": classes})
    callback.on_train_begin()
    iteration = 0
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
            callback.on_train_batch_end(step, logs)
        callback.on_epoch_end(
            epoch - 1,
            {
                "iteration": iteration,
                "val_accuracy": 0.9,
                "val_loss": 2e-5,
                "accuracy": 1.0,
                "loss": 0.1,
            },
        )
    callback.on_train_end()


def test_table_rows_at_first_every_50_and_last(capsys):
    drive(ProgressTable(), epochs=30, steps=4)  # 120 iterations
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
    first = rows[0].split("|")  # mid-epoch row: no validation yet, blank like the reference
    assert first[5].strip() == "" and first[4].strip() == "40.00%"


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
    chart = LiveAccuracyChart(area, max_epochs=60)
    chart.start_run("first")
    drive(chart, epochs=5, steps=1)
    assert chart.redraws == 5 and len(area.outputs) == 1  # redrawn, never stacked
    chart.start_run("second")
    drive(chart, epochs=3, steps=2)
    assert chart.redraws == 8 and len(area.outputs) == 1
    png = base64.b64decode(area.outputs[0]["data"]["image/png"])
    assert png.startswith(b"\x89PNG") and len(png) > 10_000
    labels = [line.get_label() for line in chart.axes.get_lines()]
    assert "first: validation" in labels and "second: validation" in labels
    second = next(
        line for line in chart.axes.get_lines() if line.get_label() == "second: validation"
    )
    np.testing.assert_array_equal(second.get_xdata(), [1, 2, 3])
    np.testing.assert_allclose(second.get_ydata(), [90, 90, 90])
    assert chart.max_epochs == 60 and chart.axes.get_xlim()[1] == 60.5
    assert chart.axes.get_title() == "Accuracy per epoch"
    assert chart.axes.get_xlabel() == "Epoch" and chart.axes.get_ylabel() == "Accuracy (%)"


def test_live_chart_axis_grows_with_the_runs_and_chance_follows_the_classes():
    chart = LiveAccuracyChart(ipywidgets.Output())
    drive(chart, epochs=10, steps=1)
    assert chart.axes.get_xlim()[1] == 30.5  # room for the reference's 30 epochs
    drive(chart, epochs=45, steps=1, classes=10)
    assert chart.axes.get_xlim()[1] == 45.5
    chance = next(line for line in chart.axes.get_lines() if line.get_label() == "chance")
    np.testing.assert_allclose(chance.get_ydata(), [10, 10])  # ten digits: 10 %
