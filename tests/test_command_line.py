"""``python -m yamnet_lesson check``: what a teacher reads before class."""

import pytest

from yamnet_lesson import assets, audio
from yamnet_lesson.__main__ import main


def test_check_says_where_the_spoken_digits_are(shared_dir, monkeypatch, capsys):
    monkeypatch.setenv(audio.FSDD_ENV, str(shared_dir / "datasets" / "fsdd-dev"))
    main(["check"])
    out = capsys.readouterr().out
    assert (
        f"OK: the spoken digits (notebooks 3 and 5) are in {shared_dir / 'datasets' / 'fsdd-dev'}"
        in out
    )
    assert "OK: 'Pink noise' is among the top 3." in out


def test_check_says_what_to_do_when_the_digits_cannot_be_had(tmp_path, monkeypatch, capsys):
    """An offline classroom where only the model folder was set learns it before class."""
    monkeypatch.setattr(audio, "_shared_folder", lambda relative: None)  # no ../shared there
    monkeypatch.setenv(audio.FSDD_ENV, str(tmp_path / "nowhere"))
    monkeypatch.setenv(assets.CACHE_DIR_ENV, str(tmp_path / "empty_cache"))
    offline = assets.RemoteFile(  # the dataset's address, on a closed port of this machine
        assets.FSDD_ARCHIVE.name,
        "http://127.0.0.1:9/" + assets.FSDD_ARCHIVE.name,
        None,
        assets.FSDD_ARCHIVE.description,
    )
    monkeypatch.setattr(assets, "FSDD_ARCHIVE", offline)
    with pytest.raises(SystemExit) as stop:
        main(["check"])
    assert stop.value.code == 1
    out, err = capsys.readouterr()
    assert "OK: 'Pink noise' is among the top 3." in out  # the model itself is fine
    assert "PROBLEM: notebooks 3 and 5 need the spoken digits." in out
    assert "python -m yamnet_lesson download --to DIR" in out
    assert "export YAMNET_LESSON_FSDD_DIR=DIR/fsdd" in out
    # the setting's warning as one line, not "<frozen runpy>:88: UserWarning: ..."
    assert err.startswith(f"warning: {audio.FSDD_ENV} is set to") and "UserWarning" not in err


@pytest.mark.parametrize("command", ["check", "reference", "download"])
def test_help_reads_as_plain_text(command, capsys):
    with pytest.raises(SystemExit):
        main([command, "--help"] if command != "check" else ["--help"])
    assert "``" not in capsys.readouterr().out
