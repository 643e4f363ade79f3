"""The interactive trainer, driven headless: set the sliders, press Train.

Each test gets its own trainer, so none depends on what another pressed.
"""

import numpy as np
import pytest

import yamnet_lesson.widgets as widgets_module
from yamnet_lesson import LessonError, signals
from yamnet_lesson.widgets import InteractiveTrainer


@pytest.fixture(scope="module")
def noise():
    return signals.noise_dataset(100, seed=0)


@pytest.fixture
def trainer(noise):
    trainer = InteractiveTrainer(*noise)
    trainer.chart.min_interval = 0  # redraw at every iteration: counts are exact
    return trainer


def press(trainer):
    trainer._ended_at = -np.inf  # as if the student waited before pressing
    trainer.button.click()


def test_sliders_are_bounded_like_the_lesson_says(trainer):
    assert (trainer.k.min, trainer.k.max, trainer.k.value) == (1, 95, 5)
    assert (trainer.epochs.min, trainer.epochs.max, trainer.epochs.value) == (1, 60, 30)
    trainer.k.value = 500  # a slider clamps what it is given
    assert trainer.k.value == 95
    assert [value for _, value in trainer.mode.options] == ["finetune", "head", "scratch"]
    assert [value for _, value in trainer.validation.options] == [50, 1]
    assert trainer.validation.value == 50  # the reference's schedule by default


def test_pressing_train_draws_the_chart_and_the_confusion_matrix(trainer):
    trainer.k.value, trainer.epochs.value, trainer.mode.value = 3, 8, "head"
    press(trainer)
    assert not trainer.button.disabled and not trainer.running
    assert len(trainer.results) == 1
    assert trainer.chart.redraws == 8 + 1 and len(trainer.chart_area.outputs) == 1
    assert trainer.chart_area.outputs[0]["data"]["image/png"]
    assert "Validation accuracy" in trainer.status.value and "of 291" in trainer.status.value
    assert len(trainer.matrix_area.outputs) == 1
    run = trainer.chart.runs[0]
    assert run["label"] == "train only the new layer, K=3"
    assert run["iteration"] == list(range(1, 9))
    assert run["val_iteration"] == [1, 8]  # the reference's schedule: first and last


def test_validating_after_every_iteration_gives_the_live_curve(trainer):
    trainer.epochs.value, trainer.mode.value, trainer.validation.value = 5, "head", 1
    press(trainer)
    assert trainer.chart.runs[-1]["val_iteration"] == [1, 2, 3, 4, 5]


def test_a_second_run_is_drawn_over_the_first(trainer):
    trainer.k.value, trainer.epochs.value, trainer.mode.value = 3, 3, "head"
    press(trainer)
    trainer.k.value = 1
    press(trainer)
    assert len(trainer.results) == 2 and len(trainer.chart.runs) == 2
    labels = [line.get_label() for line in trainer.chart.axes.get_lines()]
    assert "train only the new layer, K=3: validation" in labels
    assert "train only the new layer, K=1: validation" in labels
    assert len(trainer.chart_area.outputs) == 1  # redrawn in place, not stacked


def test_double_click_starts_one_run_only(trainer):
    trainer.epochs.value, trainer.mode.value = 2, "head"
    press(trainer)
    trainer.button.click()  # arrives right after the first run: it was queued during it
    assert len(trainer.results) == 1


def test_button_is_disabled_while_training(trainer, monkeypatch):
    seen = []
    real = widgets_module.train_on_split

    def spy(*args, **kwargs):
        seen.append((trainer.button.disabled, trainer.running))
        return real(*args, **kwargs)

    monkeypatch.setattr(widgets_module, "train_on_split", spy)
    trainer.epochs.value, trainer.mode.value = 2, "head"
    press(trainer)
    assert seen == [(True, True)] and not trainer.button.disabled


def test_out_of_range_values_are_refused_with_a_message(trainer):
    """The helper behind the button, called with values no slider would give."""
    with pytest.raises(LessonError, match="between 1 and 60"):
        trainer._run(5, 61, "head")
    with pytest.raises(LessonError, match="between 1 and 95"):
        trainer._run(0, 5, "head")
    with pytest.raises(LessonError, match="mode must be one of"):
        trainer._run(5, 5, "Head")
    with pytest.raises(LessonError, match="validation_frequency must be at least 1"):
        trainer._run(5, 5, "head", 0)
    assert trainer.results == [] and trainer.chart.runs == []  # nothing started


def test_interrupting_a_run_keeps_what_it_learned(trainer, monkeypatch):
    """Kernel > Interrupt during training: fine_tune stops after the current iteration."""
    drawn = trainer.chart.on_train_batch_end

    def interrupt_after_two(batch, logs=None):
        drawn(batch, logs)
        if logs["iteration"] == 2:
            raise KeyboardInterrupt

    monkeypatch.setattr(trainer.chart, "on_train_batch_end", interrupt_after_two)
    trainer.epochs.value, trainer.mode.value = 6, "head"
    press(trainer)
    assert trainer.results[-1].interrupted
    assert len(trainer.results[-1].iteration_history["iteration"]) == 2
    assert "(interrupted: the model keeps what it learned)" in trainer.status.value
    assert not trainer.button.disabled and not trainer.running


def test_interrupting_before_training_leaves_the_trainer_usable(trainer, monkeypatch):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(widgets_module, "train_on_split", interrupted)
    press(trainer)
    assert "Interrupted" in trainer.status.value
    assert not trainer.button.disabled and not trainer.running


def test_any_error_ends_in_a_final_status_and_is_logged(trainer, monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise RuntimeError("out of <memory>")

    monkeypatch.setattr(widgets_module, "train_on_split", broken)
    with caplog.at_level("ERROR", logger="yamnet_lesson.widgets"):
        press(trainer)
    assert "Training failed: RuntimeError: out of &lt;memory&gt;" in trainer.status.value
    assert "Training:" not in trainer.status.value  # not stuck at "Training ..."
    assert "Traceback" in caplog.text  # the whole error, for the teacher
    assert not trainer.button.disabled and not trainer.running


def test_integer_labels_train_and_are_counted(noise):
    audio, labels = noise
    codes = {"white": 0, "brown": 1, "pink": 2}
    trainer = InteractiveTrainer(audio, [codes[c] for c in labels])
    trainer.epochs.value, trainer.mode.value = 3, "head"
    press(trainer)
    assert trainer.results[-1].class_names == [0, 1, 2]
    assert "Validation accuracy" in trainer.status.value and "of 285" in trainer.status.value


def test_moving_the_k_slider_during_a_run_does_not_change_that_run(trainer, monkeypatch):
    real = widgets_module.train_on_split

    def student_moves_slider(*args, **kwargs):
        trainer.k.value = 50  # the student drags K while training runs
        return real(*args, **kwargs)

    monkeypatch.setattr(widgets_module, "train_on_split", student_moves_slider)
    trainer.k.value, trainer.epochs.value, trainer.mode.value = 4, 3, "head"
    press(trainer)
    run = trainer.chart.runs[-1]
    assert run["label"] == "train only the new layer, K=4" and run["iteration"] == [1, 2, 3]
    assert "of 288" in trainer.status.value  # 3 x (100 - 4) validation signals
    assert trainer.k.value == 50  # the next run will use the new value


@pytest.mark.slow  # seconds of training or a fresh process; the everyday run stays under 5 minutes
def test_only_the_latest_results_are_kept_so_memory_stays_bounded(trainer):
    """Each result holds a whole network: fifty presses must not hold fifty networks."""
    import gc
    import weakref

    trainer.epochs.value, trainer.mode.value = 1, "head"
    press(trainer)
    first = weakref.ref(trainer.results[0].model)
    for _ in range(InteractiveTrainer.KEPT_RESULTS):
        press(trainer)
    assert len(trainer.results) == InteractiveTrainer.KEPT_RESULTS
    assert len(trainer.chart.runs) == InteractiveTrainer.KEPT_RESULTS + 1  # all still charted
    gc.collect()
    assert first() is None  # the first run's network is freed
