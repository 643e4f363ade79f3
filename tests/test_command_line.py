"""``python -m yamnet_lesson check``: what a teacher reads before class."""

import pytest

from yamnet_lesson import assets, audio
from yamnet_lesson.__main__ import main


def test_check_says_where_the_spoken_digits_are(shared_dir, monkeypatch, capsys):
    monkeypatch.setenv(audio.FSDD_ENV, str(shared_dir / "datasets" / "fsdd-dev"))
    main(["check"])
    out = capsys.readouterr().out
    assert f"Spoken digits (notebooks 3 and 5): {shared_dir / 'datasets' / 'fsdd-dev'}" in out
    assert "OK: 'Pink noise' is among the top 3." in out


def test_check_says_when_the_spoken_digits_would_be_downloaded_in_class(
    tmp_path, monkeypatch, capsys
):
    """An offline classroom learns it before class, not when notebook 5 stops."""
    monkeypatch.setattr(audio, "_shared_folder", lambda relative: None)
    monkeypatch.setenv(audio.FSDD_ENV, str(tmp_path / "nowhere"))
    monkeypatch.setenv(assets.CACHE_DIR_ENV, str(tmp_path))
    main(["check"])  # YAMNet is still found (YAMNET_LESSON_MODEL_DIR): no failure
    out, err = capsys.readouterr()
    assert "NOTE: notebooks 3 and 5 will download the spoken digits in class." in out
    assert f"{audio.FSDD_ENV} is set to {tmp_path / 'nowhere'}, which does not exist" in out
    assert "OK: 'Pink noise' is among the top 3." in out
    # the setting's warning as one line, not "<frozen runpy>:88: UserWarning: ..."
    assert err.startswith(f"warning: {audio.FSDD_ENV} is set to") and "UserWarning" not in err


@pytest.mark.parametrize("command", ["check", "reference", "download"])
def test_help_reads_as_plain_text(command, capsys):
    with pytest.raises(SystemExit):
        main([command, "--help"] if command != "check" else ["--help"])
    assert "``" not in capsys.readouterr().out
