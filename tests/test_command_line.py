"""``python -m yamnet_lesson check``: what a teacher reads before class."""

import pytest

from yamnet_lesson import assets, audio
from yamnet_lesson.__main__ import main

DIGITS_OK = (
    "OK: the spoken digits (notebook 5's 'Real sounds', and the speech in notebook 3's clip) are in"
)


def test_check_says_where_the_spoken_digits_are(tmp_path, monkeypatch, capsys, recordings_writer):
    recordings_writer(tmp_path / "fsdd" / "recordings")
    monkeypatch.setenv(audio.FSDD_ENV, str(tmp_path / "fsdd"))
    main(["check"])
    out = capsys.readouterr().out
    assert f"{DIGITS_OK} {tmp_path / 'fsdd'}\n" in out
    assert "OK: 'Pink noise' is among the top 3." in out


def test_check_says_what_to_do_when_the_digits_cannot_be_had(tmp_path, monkeypatch, capsys):
    """An offline classroom where only the model folder was set learns it before class."""
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
    assert (
        "PROBLEM: notebook 5's last section, 'Real sounds', needs the spoken digits (the rest of "
        "notebook 5 runs without them, and notebook 3's clip opens with a synthesised siren "
        "instead of speech). The spoken-digit recordings could not be fetched"
    ) in out
    assert "python -m yamnet_lesson download --to DIR" in out
    assert "export YAMNET_LESSON_FSDD_DIR=DIR/fsdd" in out
    # the setting's warning as one line, not "<frozen runpy>:88: UserWarning: ..."
    assert err.startswith(f"warning: {audio.FSDD_ENV} is set to") and "UserWarning" not in err


@pytest.mark.parametrize("command", ["check", "reference", "download"])
def test_help_reads_as_plain_text(command, capsys):
    with pytest.raises(SystemExit):
        main([command, "--help"] if command != "check" else ["--help"])
    assert "``" not in capsys.readouterr().out


def test_check_without_yamnet_says_so_in_one_line_and_still_checks_the_digits(
    tmp_path, monkeypatch, capsys, recordings_writer
):
    """Offline, no model folder, nothing cached: PROBLEM and status 1, not an error wall."""
    import yamnet_lesson.yamnet as yamnet_module

    monkeypatch.setattr(yamnet_module, "_LOADED", {})
    monkeypatch.setenv(assets.CACHE_DIR_ENV, str(tmp_path / "empty_cache"))
    monkeypatch.delenv(assets.MODEL_DIR_ENV, raising=False)
    recordings_writer(tmp_path / "fsdd" / "recordings")
    monkeypatch.setenv(audio.FSDD_ENV, str(tmp_path / "fsdd"))
    unreachable = assets.RemoteFile(
        assets.YAMNET_TFLITE.name,
        "http://127.0.0.1:9/" + assets.YAMNET_TFLITE.name,
        assets.YAMNET_TFLITE.sha256,
        assets.YAMNET_TFLITE.description,
    )
    monkeypatch.setattr(assets, "YAMNET_TFLITE", unreachable)
    monkeypatch.setattr(assets, "YAMNET_HUB_HANDLE", str(tmp_path / "no_hub_here"))
    with pytest.raises(SystemExit) as stop:
        main(["check"])
    assert stop.value.code == 1
    out = capsys.readouterr().out
    assert "PROBLEM: YAMNet could not be loaded. Could not find" in out
    assert assets.YAMNET_TFLITE.name in out and "download --to DIR" in out
    assert DIGITS_OK in out  # checked all the same


def test_download_without_a_folder_fills_the_lessons_cache(tmp_path, monkeypatch, capsys):
    """What the notebooks' Colab set-up cell runs: no setting is needed afterwards."""
    fetched = []
    monkeypatch.setenv(assets.CACHE_DIR_ENV, str(tmp_path / "cache"))
    monkeypatch.setattr(assets, "download_all", lambda dest: fetched.append(dest) or [dest])
    main(["download"])
    assert fetched == [tmp_path / "cache"]
    out = capsys.readouterr().out
    assert "the lesson finds them in its cache" in out and "export" not in out


@pytest.mark.parametrize("existing", [False, True])
def test_download_offline_says_what_to_do_and_leaves_no_empty_folder(
    tmp_path, monkeypatch, capsys, existing
):
    """From a new user's trial: the reason, what to do, and no empty folder left behind."""
    monkeypatch.setenv(assets.DOWNLOAD_URL_ENV, "http://127.0.0.1:9")  # nothing listens there
    room = tmp_path / "room"
    if existing:  # a folder that was there before, with the teacher's own file: kept as it was
        room.mkdir()
        (room / "notes.txt").write_text("mine")
    with pytest.raises(SystemExit) as stop:
        main(["download", "--to", str(room / "lesson")])
    assert stop.value.code == 2
    out, err = capsys.readouterr()
    assert out == "" and len(err.splitlines()) == 1
    assert err.startswith(
        f"error: {assets.YAMNET_TFLITE.name} could not be downloaded from "
        f"http://127.0.0.1:9/{assets.YAMNET_TFLITE.name} (Connection refused); "
        f"no folder was left at {room / 'lesson'}. Run the command again where there is internet"
    )
    assert "YAMNET_LESSON_MODEL_DIR=DIR, YAMNET_LESSON_FSDD_DIR=DIR/fsdd" in err
    assert not (room / "lesson").exists()
    assert room.exists() == existing
    if existing:
        assert [p.name for p in room.iterdir()] == ["notes.txt"]


def test_reference_without_the_model_says_so_before_any_work(tmp_path, monkeypatch, capsys):
    """From a new user's trial: no split lines printed before the missing model's error."""
    monkeypatch.setenv(assets.CACHE_DIR_ENV, str(tmp_path / "empty_cache"))
    monkeypatch.setenv(assets.DOWNLOAD_URL_ENV, "http://127.0.0.1:9")
    monkeypatch.delenv(assets.MODEL_DIR_ENV, raising=False)
    with pytest.raises(SystemExit) as stop:
        main(["reference"])
    assert stop.value.code == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith(f"error: Could not find {assets.YAMNET_TFLITE.description}")
    assert "python -m yamnet_lesson download --to DIR" in err
