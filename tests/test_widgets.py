"""The interactive trainer, driven headless: set the sliders, press Train."""

import numpy as np
import pytest

from yamnet_lesson import signals
from yamnet_lesson.widgets import InteractiveTrainer


@pytest.fixture(scope="module")
def trainer():
    audio, labels = signals.noise_dataset(100, seed=0)
    return InteractiveTrainer(audio, labels)


def test_sliders_are_bounded_like_the_lesson_says(trainer):
    assert (trainer.k.min, trainer.k.max, trainer.k.value) == (1, 95, 5)
    assert (trainer.epochs.min, trainer.epochs.max, trainer.epochs.value) == (1, 60, 30)
    trainer.k.value = 500  # a slider clamps what it is given
    assert trainer.k.value == 95
    assert [value for _, value in trainer.mode.options] == ["finetune", "head", "scratch"]


def test_pressing_train_draws_the_chart_and_the_confusion_matrix(trainer):
    trainer.k.value, trainer.epochs.value, trainer.mode.value = 3, 8, "head"
    trainer.button.click()
    assert not trainer.button.disabled and not trainer.running
    assert len(trainer.results) == 1
    assert trainer.chart.redraws == 8 and len(trainer.chart_area.outputs) == 1
    assert trainer.chart_area.outputs[0]["data"]["image/png"]
    assert "Validation accuracy" in trainer.status.value and "of 291" in trainer.status.value
    assert len(trainer.matrix_area.outputs) == 1
    first_run = trainer.chart.runs[0]
    assert first_run["label"] == "train only the new layer, K=3"
    assert first_run["epoch"] == list(range(1, 9))


def test_a_second_run_is_drawn_over_the_first(trainer):
    trainer._ended_at = -np.inf  # as if the student waited before pressing again
    trainer.k.value, trainer.epochs.value, trainer.mode.value = 1, 4, "head"
    trainer.button.click()
    assert len(trainer.results) == 2 and len(trainer.chart.runs) == 2
    labels = [line.get_label() for line in trainer.chart.axes.get_lines()]
    assert "train only the new layer, K=3: validation" in labels
    assert "train only the new layer, K=1: validation" in labels
    assert len(trainer.chart_area.outputs) == 1  # redrawn in place, not stacked


def test_double_click_starts_one_run_only(trainer):
    trainer._ended_at = -np.inf
    trainer.epochs.value, trainer.mode.value = 2, "head"
    before = len(trainer.results)
    trainer.button.click()
    trainer.button.click()  # arrives right after the first run: it was queued during it
    assert len(trainer.results) == before + 1


def test_button_is_disabled_while_training(trainer, monkeypatch):
    seen = []
    import yamnet_lesson.widgets as widgets_module

    real = widgets_module.fine_tune

    def spy(*args, **kwargs):
        seen.append((trainer.button.disabled, trainer.running))
        return real(*args, **kwargs)

    monkeypatch.setattr(widgets_module, "fine_tune", spy)
    trainer._ended_at = -np.inf
    trainer.epochs.value = 2
    trainer.button.click()
    assert seen == [(True, True)] and not trainer.button.disabled


def test_out_of_range_values_are_refused_with_a_message(trainer):
    """The helper behind the button, called with values no slider would give."""
    from yamnet_lesson import LessonError

    before = len(trainer.results)
    with pytest.raises(LessonError, match="between 1 and 60"):
        trainer._run(5, 61, "head")
    with pytest.raises(LessonError, match="between 1 and 95"):
        trainer._run(0, 5, "head")
    assert len(trainer.results) == before


def test_interrupting_a_run_keeps_what_it_learned(trainer, monkeypatch):
    """Kernel > Interrupt during training: fine_tune stops after the current epoch."""
    drawn = trainer.chart.on_epoch_end

    def interrupt_after_two(epoch, logs=None):
        drawn(epoch, logs)
        if epoch == 1:
            raise KeyboardInterrupt

    monkeypatch.setattr(trainer.chart, "on_epoch_end", interrupt_after_two)
    trainer._ended_at = -np.inf
    trainer.epochs.value, trainer.mode.value = 6, "head"
    trainer.button.click()
    assert trainer.results[-1].interrupted
    assert len(trainer.results[-1].epoch_history["epoch"]) == 2
    assert "(interrupted: the model keeps what it learned)" in trainer.status.value
    assert not trainer.button.disabled and not trainer.running


def test_interrupting_before_training_leaves_the_trainer_usable(trainer, monkeypatch):
    import yamnet_lesson.widgets as widgets_module

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(widgets_module, "fine_tune", interrupted)
    trainer._ended_at = -np.inf
    trainer.button.click()
    assert "Interrupted" in trainer.status.value
    assert not trainer.button.disabled and not trainer.running


def test_moving_the_k_slider_during_a_run_does_not_change_that_run(trainer, monkeypatch):
    import yamnet_lesson.widgets as widgets_module

    real = widgets_module.fine_tune

    def student_moves_slider(*args, **kwargs):
        trainer.k.value = 50  # the student drags K while training runs
        return real(*args, **kwargs)

    monkeypatch.setattr(widgets_module, "fine_tune", student_moves_slider)
    trainer._ended_at = -np.inf
    trainer.k.value, trainer.epochs.value, trainer.mode.value = 4, 3, "head"
    runs_before = len(trainer.chart.runs)
    trainer.button.click()
    run = trainer.chart.runs[-1]
    assert len(trainer.chart.runs) == runs_before + 1
    assert run["label"] == "train only the new layer, K=4" and run["epoch"] == [1, 2, 3]
    assert "of 288" in trainer.status.value  # 3 x (100 - 4) validation signals
    assert trainer.k.value == 50  # the next run will use the new value
