"""A student's own audio: every odd file either works or gets one clear sentence.

The corpus is written by the test; each file goes through the helpers the
notebooks call (``read_audio`` then YAMNet's patch framing).
"""

import numpy as np
import pytest
import soundfile

from yamnet_lesson import LessonError, audio, features
from yamnet_lesson.audio import read_audio, read_upload


def tone(rate: int, seconds: float, channels: int = 1) -> np.ndarray:
    t = np.arange(int(rate * seconds)) / rate
    mono = 0.5 * np.sin(2 * np.pi * 440 * t)
    return np.repeat(mono[:, None], channels, axis=1) if channels > 1 else mono


def through_the_lesson(path):
    """What a notebook does with an uploaded file: read it, then cut YAMNet patches."""
    waveform, rate = read_audio(path)
    patches, _ = features.waveform_to_patches(waveform, rate)
    return waveform, rate, patches


@pytest.mark.parametrize(
    ("name", "subtype", "rate", "channels", "seconds"),
    [
        ("8bit.wav", "PCM_U8", 16_000, 1, 1.0),
        ("24bit.wav", "PCM_24", 16_000, 1, 1.0),
        ("float.wav", "FLOAT", 22_050, 1, 1.0),
        ("six_channels.wav", "PCM_16", 48_000, 6, 0.5),
        ("4khz.wav", "PCM_16", 4_000, 1, 2.0),
        ("192khz.wav", "PCM_24", 192_000, 2, 0.5),
        ("one_sample.wav", "PCM_16", 16_000, 1, 1 / 16_000),
    ],
)
def test_odd_but_valid_files_work(tmp_path, name, subtype, rate, channels, seconds):
    path = tmp_path / name
    soundfile.write(path, tone(rate, seconds, channels), rate, subtype=subtype)
    waveform, got_rate, patches = through_the_lesson(path)
    assert got_rate == rate and waveform.ndim == 1 and waveform.dtype == np.float32
    assert np.abs(waveform).max() <= 1.0 and patches.shape[1:] == (96, 64)
    assert np.isfinite(patches).all()
    if seconds >= 0.5:  # the tone survives down-mixing and scaling
        assert np.abs(waveform).max() == pytest.approx(0.5, abs=0.02)


def test_an_hour_long_file_is_cut_with_a_note(tmp_path, capsys):
    path = tmp_path / "hour.wav"
    rate = 4_000
    with soundfile.SoundFile(path, "w", rate, 1, "PCM_U8") as f:
        block = tone(rate, 60)
        for _ in range(60):
            f.write(block)
    waveform, got_rate = read_audio(path)
    assert got_rate == rate and waveform.shape[0] == 600 * rate
    assert "using its first 600 s" in capsys.readouterr().out


def test_bad_files_get_one_clear_sentence(tmp_path):
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    text = tmp_path / "notes.wav"
    text.write_text("this is not audio\n" * 20)
    good = tmp_path / "good.wav"
    soundfile.write(good, tone(16_000, 1.0), 16_000, subtype="PCM_16")
    truncated = tmp_path / "truncated.wav"
    truncated.write_bytes(good.read_bytes()[:30])  # cut inside the header
    nan = tmp_path / "nan.wav"
    data = tone(16_000, 1.0).astype(np.float32)
    data[100] = np.nan
    soundfile.write(nan, data, 16_000, subtype="FLOAT")
    cases = {
        empty: "is empty",
        text: "could not be read as audio",
        truncated: "could not be read as audio",
        nan: "NaN",
        tmp_path / "missing.wav": "does not exist",
    }
    for path, message in cases.items():
        with pytest.raises(LessonError, match=message) as error:
            through_the_lesson(path)
        assert "\n" not in str(error.value)


def test_a_truncated_body_still_reads_what_is_there(tmp_path):
    good = tmp_path / "good.wav"
    soundfile.write(good, tone(16_000, 1.0), 16_000, subtype="PCM_16")
    cut = tmp_path / "cut.wav"
    cut.write_bytes(good.read_bytes()[: 44 + 2 * 8_000])  # header says 1 s, holds 0.5 s
    waveform, _, patches = through_the_lesson(cut)
    assert 0 < waveform.shape[0] <= 16_000 and patches.shape == (1, 96, 64)


def test_the_lesson_never_looks_for_a_development_folder(tmp_path, monkeypatch, recordings_writer):
    """A shared/ folder beside the project, or two levels above the model folder, holding the
    spoken digits is invisible to the lesson: only its settings, its cache and a download count."""
    from yamnet_lesson import assets, audio

    shared = tmp_path / "shared"
    recordings_writer(shared / "datasets" / "fsdd-dev" / "recordings", "jackson", 10)
    (shared / "models" / "yamnet").mkdir(parents=True)
    monkeypatch.setenv(assets.MODEL_DIR_ENV, str(shared / "models" / "yamnet"))
    monkeypatch.delenv(audio.FSDD_ENV, raising=False)
    monkeypatch.setenv(assets.CACHE_DIR_ENV, str(tmp_path / "empty_cache"))
    monkeypatch.chdir(shared)
    with pytest.raises(LessonError, match="spoken-digit recordings were not found"):
        audio.fsdd_dir(download=False)
    monkeypatch.setenv(audio.FSDD_ENV, str(shared / "datasets" / "fsdd-dev"))  # the setting
    assert audio.fsdd_dir(download=False) == shared / "datasets" / "fsdd-dev"


def test_spoken_digits_are_downloaded_when_neither_set_nor_cached(
    tmp_path, monkeypatch, recordings_writer
):
    """No setting, nothing cached: the release archive is fetched (here from 127.0.0.1) and
    unpacked into the cache."""
    import http.server
    import threading
    import zipfile

    from yamnet_lesson import LessonError, assets, audio

    served = tmp_path / "served"
    served.mkdir()
    recordings = recordings_writer(tmp_path / "recordings", "nicolas", 10)
    with zipfile.ZipFile(served / "fsdd.zip", "w") as archive:
        for path in recordings:
            archive.write(path, f"free-spoken-digit-dataset-1.0.10/recordings/{path.name}")
    (served / "broken.zip").write_bytes(b"not a zip")

    class Files(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(served), **kwargs)

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Files)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{httpd.server_address[1]}"
    monkeypatch.delenv(audio.FSDD_ENV, raising=False)
    try:
        monkeypatch.setenv(assets.CACHE_DIR_ENV, str(tmp_path / "cache_a"))
        with pytest.raises(LessonError, match="could not be fetched"):
            audio.fsdd_dir(url=f"{base}/broken.zip")
        assert not list((tmp_path / "cache_a").glob("*.zip"))  # nothing half-done is kept
        monkeypatch.setenv(assets.CACHE_DIR_ENV, str(tmp_path / "cache_b"))
        folder = audio.fsdd_dir(url=f"{base}/fsdd.zip")
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert (folder / "recordings").is_dir() and len(list(folder.glob("recordings/*.wav"))) == 10
    assert audio.fsdd_dir(download=False) == folder  # found in the cache next time


def test_uploaded_bytes_read_like_a_file(tmp_path):
    from yamnet_lesson.audio import read_audio_bytes

    good = tmp_path / "good.wav"
    soundfile.write(good, tone(22_050, 1.0, channels=2), 22_050, subtype="PCM_24")
    from_bytes = read_audio_bytes(good.read_bytes(), "good.wav")
    from_file = read_audio(good)
    np.testing.assert_array_equal(from_bytes[0], from_file[0])
    assert from_bytes[1] == from_file[1] == 22_050
    cases = {b"": "good.wav is empty", b"RIFF" + b"\0" * 10: "good.wav could not be read"}
    for content, message in cases.items():
        with pytest.raises(LessonError, match=message) as error:
            read_audio_bytes(content, "good.wav")
        assert "\n" not in str(error.value) and "BytesIO" not in str(error.value)


def test_spoken_digits_follow_one_another_at_16khz(tmp_path, monkeypatch, recordings_writer):
    from yamnet_lesson import audio

    folder = tmp_path / "fsdd" / "recordings"
    recordings_writer(folder, "nicolas", 10)
    monkeypatch.setenv(audio.FSDD_ENV, str(folder.parent))
    digits = audio.spoken_digits("42", "nicolas", gap_seconds=0.25, download=False)
    lengths = [read_audio(folder / f"{d}_nicolas_0.wav")[0].shape[0] * 2 for d in "42"]  # 8 kHz
    assert digits.dtype == np.float32 and digits.shape == (sum(lengths) + 2 * 4_000,)
    assert not digits[lengths[0] : lengths[0] + 4_000].any()  # the gap after "four"
    for bad, message in [("4a", "string of digits"), ("", "string of digits")]:
        with pytest.raises(LessonError, match=message):
            audio.spoken_digits(bad, download=False)
    with pytest.raises(LessonError, match="no recording 1_nobody_0.wav"):
        audio.spoken_digits("1", "nobody", download=False)


def test_an_uploaded_file_is_read_like_a_file_on_disk(tmp_path):
    import ipywidgets

    soundfile.write(tmp_path / "mine.wav", tone(22_050, 1.5, channels=2), 22_050)
    upload = ipywidgets.FileUpload()
    assert read_upload(upload) is None  # nothing uploaded yet
    content = (tmp_path / "mine.wav").read_bytes()
    sent = {"name": "../mine.wav", "type": "audio/wav", "size": len(content), "last_modified": 0}
    upload.set_state({"value": [{**sent, "content": memoryview(content)}]})  # as from a browser
    waveform, rate = read_upload(upload)
    expected, _ = read_audio(tmp_path / "mine.wav")
    assert rate == 22_050
    np.testing.assert_array_equal(waveform, expected)
    bad = [{"name": "notes.wav", "content": b"not audio"}]
    with pytest.raises(LessonError, match="could not be read as audio"):
        read_upload(bad)


def test_an_upload_from_ipywidgets_7_is_read_the_same(tmp_path):
    """Colab's ipywidgets 7.7: the value is a dict of name -> metadata and content."""
    soundfile.write(tmp_path / "mine.wav", tone(16_000, 0.5), 16_000)
    content = (tmp_path / "mine.wav").read_bytes()
    seven = {"mine.wav": {"metadata": {"name": "mine.wav", "size": 1}, "content": content}}
    eight = ({"name": "mine.wav", "content": memoryview(content)},)
    assert audio.uploaded_files(seven) == audio.uploaded_files(eight) == [("mine.wav", content)]
    waveform, rate = read_upload(seven)
    assert rate == 16_000 and waveform.shape == (8_000,)
    assert read_upload({}) is None and audio.uploaded_files(()) == []
