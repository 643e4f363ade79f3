"""Test configuration for tests/ and the notebooks.

What the tests need, and where it comes from (as for a student: a setting,
the lesson's cache, the lesson's verified download into its cache):

* YAMNet's files (most tests, every notebook): ``YAMNET_LESSON_MODEL_DIR``, the
  cache, or the download.  Checked once, as the session starts: where they
  cannot be had, the run stops at once with one sentence naming what is missing
  and the command that gets it (with or without ``CI``: never a skip).
* the spoken digits (notebook 5's cells tagged ``spoken-digits``, its "Real sounds"
  section, and the tests using the ``fsdd`` fixture):
  ``YAMNET_LESSON_FSDD_DIR``, the cache, or the download (about 16 MB), tried
  once as the session starts.  Where they cannot be had, those tests are
  skipped with the reason; with ``CI`` set, they are errors.
* one real recording (the ``test_clips`` fixture), the meow of Google's YAMNet
  tutorial: the test setting ``YAMNET_LESSON_TEST_AUDIO_DIR``, the cache
  (``test-audio/`` in it), or the lesson's verified download into it (SHA-256
  checked, 215 kB), tried once, when a test first needs it.
  Where they cannot be had, those tests are skipped with the reason; with
  ``CI`` set, they are errors.  Everything else the tests hear the lesson
  synthesises (noises, a siren).

Every download comes from the official location, or from
``<YAMNET_LESSON_DOWNLOAD_URL>/<file name>`` where that setting names a mirror.

``../shared`` (the development folder, in development and CI only) is reached
through these settings alone: where it lies beside the project, each setting
that is not in the environment is pointed at its part of it.  A setting set to
nothing (``YAMNET_LESSON_FSDD_DIR=``) leaves that part out, as on a machine
without ``../shared``.

It also chooses between the two test runs: ``python -m pytest -n 2`` (the everyday
run: every test but those marked ``slow``, which are skipped with the reason
"runs with --full") and ``python -m pytest --full`` (everything; what .ci/run
runs).  The property-based tests (tests/test_fuzz.py) follow the same choice:
Hypothesis's "everyday" profile (25 examples per test, always the same ones)
or, with --full, its "full" profile (300 freshly drawn examples per test).
"""

from __future__ import annotations

import os
import re
import warnings
from pathlib import Path

import hypothesis
import numpy as np
import pytest
import soundfile

pytest_plugins = ["pytester"]  # tests/test_selection.py runs pytest on small test files

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from yamnet_lesson import LessonError, assets, audio  # noqa: E402 (after the log level)

REPO = Path(__file__).resolve().parent
SHARED = REPO.parent / "shared"
TEST_AUDIO_ENV = "YAMNET_LESSON_TEST_AUDIO_DIR"
TUTORIAL_CLIPS = "https://storage.googleapis.com/audioset"  # where Google's YAMNet tutorial
# fetches it. Its SHA-256 is that of the copy in ../shared/audio, which a public project
# also records for the same clip; the tutorial's other clip (speech_whistling2.wav) is not
# used, as no public record confirms the bytes of our copy (see the README).
TEST_CLIPS = (
    assets.RemoteFile(
        "meow_16k.wav",
        f"{TUTORIAL_CLIPS}/miaow_16k.wav",
        "f2a00c3a3e7596f1541c4cbd59d6034a674b76ae9c53c8784882345c044da558",
        "a cat's meow (6.7 s at 16 kHz), an example clip of Google's YAMNet tutorial",
    ),
)
FROM_SHARED = {  # setting -> its part of ../shared
    assets.MODEL_DIR_ENV: "models/yamnet",
    audio.FSDD_ENV: "datasets/fsdd-dev",
    TEST_AUDIO_ENV: "audio",
}
for _env, _part in FROM_SHARED.items():
    if _env not in os.environ and (SHARED / _part).is_dir():
        os.environ[_env] = str(SHARED / _part)

# A mirror named for the run serves the session's downloads (here, at the start, and the
# clips'); each test then runs without it, so that tests of downloading see only their own.
MIRROR = os.environ.get(assets.DOWNLOAD_URL_ENV, "").strip()


@pytest.fixture(autouse=True)
def _no_mirror_inside_tests(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(assets.DOWNLOAD_URL_ENV, raising=False)


DIGITS_TAG = "spoken-digits"  # notebook cells that need them (notebook 3 plays a siren without)
MISSING: dict[str, str] = {}  # "fsdd" -> why the spoken digits cannot be had


def yamnet_files_problem() -> str | None:
    """None if YAMNet's files are in the setting's folder or the cache, or were downloaded
    (verified) into the cache now; otherwise the one sentence that stops the run."""
    remotes = (assets.YAMNET_TFLITE, assets.YAMNET_CLASS_MAP)
    with warnings.catch_warnings():  # a bad setting is named in the sentence instead
        warnings.simplefilter("ignore")
        cache = assets.cache_dir()
        missing, reasons = [], []
        for remote in remotes:
            try:
                assets.find_file(remote, download=False)
                continue
            except LessonError:
                pass
            try:
                assets.download(remote, cache)  # the lesson's verified download
            except LessonError as error:
                missing.append(remote)
                reasons.append(str(error).rstrip("."))
    if not missing:
        return None
    setting = assets.setting(assets.MODEL_DIR_ENV)
    if setting is None:
        named = "not set"
    elif not setting.is_dir():
        named = f"set to {setting}, which is no folder"
    else:
        named = f"set to {setting}"
    what = " and ".join(f"{remote.description} ({remote.name})" for remote in missing)
    why = ", ".join(dict.fromkeys(re.sub(r".*\((.*)\)$", r"\1", r) for r in reasons))
    where = f" from {MIRROR} ({assets.DOWNLOAD_URL_ENV})" if MIRROR else ""
    return (
        f"The tests need {what}, which {'are' if len(missing) > 1 else 'is'} in neither "
        f"{assets.MODEL_DIR_ENV} ({named}) nor the lesson's cache {cache} and could not be "
        f"downloaded{where} ({why}): run 'python -m yamnet_lesson download --to {cache}' on a "
        f"machine with internet, or set {assets.MODEL_DIR_ENV} to a folder holding "
        f"{'them' if len(missing) > 1 else 'it'}."
    )


def pytest_sessionstart(session: pytest.Session) -> None:
    """Get YAMNet's files and the spoken digits (setting, cache or download) before any test."""
    if session.config.option.collectonly:
        return
    problem = yamnet_files_problem()
    if problem:
        raise pytest.UsageError(problem)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            audio.fsdd_dir()  # the setting, the cache, or downloaded into the cache now
        except LessonError as error:
            MISSING["fsdd"] = f"the spoken digits are not here: {error}"


def absent(reason: str) -> None:
    """Skip the test for want of data, or, with ``CI`` set, make it an error."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set: data the tests need must be there)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def fsdd() -> Path:
    """The Free Spoken Digit Dataset's folder (holding ``recordings/``), as the lesson finds it."""
    if "fsdd" in MISSING:
        absent(MISSING["fsdd"])
    return audio.fsdd_dir(download=False)


def write_recordings(folder: Path, speaker: str = "jackson", n: int = 20) -> list[Path]:
    """Stand-ins for ``n`` spoken-digit recordings of ``speaker`` in ``folder``, named as the
    dataset names them (``<digit>_<speaker>_<index>.wav``): 8 kHz 16-bit tones, 0.3 to 0.75 s
    long, one pitch per digit.  For tests of finding, fetching and reading, not of hearing."""
    folder.mkdir(parents=True, exist_ok=True)
    rate, paths = 8_000, []
    for i in range(n):
        digit, index = i % 10, i // 10
        t = np.arange(int(rate * (0.3 + 0.05 * digit))) / rate
        path = folder / f"{digit}_{speaker}_{index}.wav"
        soundfile.write(path, 0.3 * np.sin(2 * np.pi * (300 + 100 * digit) * t), rate, "PCM_16")
        paths.append(path)
    return paths


@pytest.fixture(scope="session")
def recordings_writer():
    """:func:`write_recordings`, for tests that need spoken-digit files but not real speech."""
    return write_recordings


@pytest.fixture(scope="session")
def test_clips() -> dict[str, Path]:
    """File name -> path of the real test recordings (:data:`TEST_CLIPS`), verified.

    Each from ``$YAMNET_LESSON_TEST_AUDIO_DIR``, else the lesson's cache
    (``test-audio/``), else the lesson's verified download into it.  Where any
    cannot be had the test is skipped with the reason (an error with ``CI`` set);
    the answer, either way, is kept for the session: one download attempt.
    """
    folder = assets.setting(TEST_AUDIO_ENV)
    clips, reasons = {}, []
    with warnings.catch_warnings():  # a bad cache setting falls back; the tests need not say
        warnings.simplefilter("ignore")
        cache = assets.cache_dir() / "test-audio"
    for remote in TEST_CLIPS:
        wrong = ""  # a file of that name in the setting's folder that is not the clip
        if folder is not None and (folder / remote.name).is_file():
            try:
                clips[remote.name] = assets.find_file(remote, folder)  # its SHA-256 checked
                continue
            except LessonError as error:
                wrong = f"; {str(error).split(':')[0]}"
        try:
            mirrored = f"{MIRROR.rstrip('/')}/{remote.name}" if MIRROR else None
            clips[remote.name] = assets.download(remote, cache, url=mirrored)  # kept, or fetched
        except LessonError as error:
            reasons.append(str(error).rstrip(".") + wrong)
    if reasons:
        absent(
            f"a test recording is not here ({'; '.join(reasons)}): run the tests once with "
            f"internet, or set {TEST_AUDIO_ENV} to a folder holding "
            f"{' and '.join(remote.name for remote in TEST_CLIPS)}"
        )
    return clips


FULL_OPTION = "--full"
SLOW_REASON = "runs with --full"


# Hypothesis (tests/test_fuzz.py): few examples, always the same ones, in the everyday run
# (reproducible and cheap); many more, freshly drawn, with --full.  No deadline: the first
# call of a TensorFlow function compiles it.  Its database of failing examples goes to
# .hypothesis/, which git ignores.
FUZZ_PROFILES = {
    "everyday": dict(max_examples=25, derandomize=True),
    "full": dict(max_examples=300),
}
for _name, _options in FUZZ_PROFILES.items():
    hypothesis.settings.register_profile(
        _name,
        deadline=None,
        suppress_health_check=[  # fixtures the fuzz tests share across examples on purpose
            hypothesis.HealthCheck.too_slow,
            hypothesis.HealthCheck.function_scoped_fixture,
        ],
        print_blob=True,
        **_options,
    )


def only_slow_refusal(chosen: str) -> str:
    """The sentence refusing a selection of slow tests only (``chosen`` says which)."""
    return f"{chosen}, and the everyday run skips those; add {FULL_OPTION} to run them."


def pytest_configure(config: pytest.Config) -> None:
    """The Hypothesis profile of this run: "full" with --full, else "everyday".

    ``-m`` choosing only slow tests without --full is refused here, before any worker
    starts: with ``-n 2`` the workers collect, and an error there is a traceback wall."""
    hypothesis.settings.load_profile("full" if config.getoption(FULL_OPTION) else "everyday")
    marks = config.getoption("markexpr", "")
    if marks and not config.getoption(FULL_OPTION) and not hasattr(config, "workerinput"):
        from _pytest.mark.expression import Expression  # how -m itself reads the expression

        try:
            expression = Expression.compile(marks)
        except SyntaxError:
            return  # pytest says what is wrong with it
        chooses_unmarked = expression.evaluate(lambda name, **_: False)
        chooses_slow = expression.evaluate(lambda name, **_: name == "slow")
        if chooses_slow and not chooses_unmarked:
            chosen = f"-m {marks!r} selects only tests marked slow"
            raise pytest.UsageError(only_slow_refusal(chosen))


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        FULL_OPTION,
        action="store_true",
        default=False,
        help="also run the tests marked slow (every seed, the slow training variants, "
        "the browser test); .ci/run uses it",
    )


@pytest.hookimpl(trylast=True)  # after -m and -k have deselected what they leave out
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip the notebook cells that need the spoken digits where they cannot be had (not with
    CI): those tagged ``spoken-digits``, which the notebooks keep to their last section.

    Everyday run: skip (not deselect) the slow tests, so the summary counts them.

    A selection of slow tests only (``-m slow``, ``tests/test_browser.py``) would
    silently skip everything: that is refused with a sentence naming ``--full``.
    """
    if "fsdd" in MISSING and not os.environ.get("CI"):
        without_digits = pytest.mark.skip(reason=MISSING["fsdd"])
        for item in items:
            if DIGITS_TAG in getattr(item, "cell", {}).get("metadata", {}).get("tags", []):
                item.add_marker(without_digits)
    if config.getoption(FULL_OPTION):
        return
    skip = pytest.mark.skip(reason=SLOW_REASON)
    skipped = 0
    for item in items:
        if item.get_closest_marker("slow") is not None:
            item.add_marker(skip)
            skipped += 1
    if items and skipped == len(items):
        chosen = (
            "the 1 test selected is marked slow"
            if skipped == 1
            else f"all {skipped} tests selected are marked slow"
        )
        if hasattr(config, "workerinput"):  # a pytest-xdist worker: say it in each skip
            refused = pytest.mark.skip(reason=only_slow_refusal(chosen))
            for item in items:
                item.add_marker(refused, append=False)  # the reason shown
            return
        raise pytest.UsageError(only_slow_refusal(chosen))
