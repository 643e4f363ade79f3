"""Command line: ``python -m yamnet_lesson {check,reference,download}``.

* ``check``     -- a teacher's pre-class check: versions, where YAMNet was found (and,
  if only TF Hub could give it, that the notebooks need the TF Lite file),
  what it hears in one second of pink noise, and where the spoken digits are
  (fetched now if they can be, as the notebooks would): notebook 5's last
  section, "Real sounds", needs them, notebook 3's clip opens with them (with a
  synthesised siren without them);
* ``reference`` -- the whole reference workflow without a notebook
  (``--export DIR``: then write the classifier as a TF Lite file there);
* ``download``  -- fetch everything the lesson needs into a folder, for a
  classroom without internet (``--to DIR``), or into the lesson's cache (what
  the notebooks' Colab set-up cell does).

Ctrl-C stops any of them with one line saying what was interrupted and what
was kept, and exit status 130 (128 + SIGINT, as a shell reports it).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import warnings
from collections.abc import Sequence
from typing import Any

from .choices import MODES
from .validation import Interrupted, LessonError, check_path, shown_path

# What an interruption outside the guarded work leaves, per command.
_INTERRUPTED = {
    "check": ("the check", "nothing was changed"),
    "reference": ("start-up, before training began", "nothing was trained or written"),
    "download": (
        "the download",
        "files already complete in the folder are kept; nothing half-written is left",
    ),
}


def _check(args: argparse.Namespace) -> None:
    import platform

    from . import versions
    from .hub import HubYamnet
    from .signals import pink_noise
    from .yamnet import load_yamnet

    print(f"Python {platform.python_version()}")
    for line in versions.report():
        print(line)
    try:
        model = load_yamnet()
    except LessonError as error:  # say so, and still check the spoken digits
        print(f"PROBLEM: YAMNet could not be loaded. {error}")
        _check_digits()
        raise SystemExit(1) from None
    print(f"YAMNet: {model.source}")
    scores, _, _ = model(pink_noise(16_000, seed=0)[:, 0])
    print("One second of pink noise, YAMNet's top classes:")
    for name, score in model.top_classes(scores, top=5):
        print(f"  {score:6.3f}  {name}")
    top3 = [name for name, _ in model.top_classes(scores, top=3)]
    ok = "Pink noise" in top3
    print("OK: 'Pink noise' is among the top 3." if ok else "PROBLEM: 'Pink noise' not in top 3.")
    files = not isinstance(model, HubYamnet) or _check_model_file()
    if not (_check_digits() and ok and files):
        raise SystemExit(1)


def _check_model_file() -> bool:
    """YAMNet came from TF Hub: notebooks 2 and 4-6 still need Google's TF Lite file."""
    from . import assets

    try:
        assets.find_file(assets.YAMNET_TFLITE)
    except LessonError as error:
        print(f"PROBLEM: notebooks 2 and 4 to 6 build YAMNet from Google's TF Lite file. {error}")
        return False
    return True


def _check_digits() -> bool:
    """Say where the spoken digits are (notebook 5's "Real sounds" section needs them; notebook
    3 plays a siren without them), or what to do before class."""
    from .audio import fsdd_dir

    try:
        folder = fsdd_dir()  # found, or downloaded now as notebook 5 would
    except LessonError as error:
        print(
            "PROBLEM: notebook 5's last section, 'Real sounds', needs the spoken digits (the "
            "rest of notebook 5 runs without them, and notebook 3's clip opens with a "
            f"synthesised siren instead of speech). {error}"
        )
        print(
            "  For a classroom without internet: run 'python -m yamnet_lesson download --to DIR' "
            "where there is internet, then 'export YAMNET_LESSON_FSDD_DIR=DIR/fsdd' "
            "before starting Jupyter."
        )
        return False
    print(
        f"OK: the spoken digits (notebook 5's 'Real sounds', and the speech in notebook 3's "
        f"clip) are in {folder}"
    )
    return True


def _reference(args: argparse.Namespace) -> None:
    from .experiments import run_reference

    summary = run_reference(
        args.k,
        epochs=args.epochs,
        seed=args.seed,
        mode=args.mode,
        validation_frequency=args.validation_frequency,
        export_to=args.export,
    )
    summary.pop("result")
    if args.json:
        print(json.dumps(summary))


def _download(args: argparse.Namespace) -> None:
    from .assets import DOWNLOAD_URL_ENV, FSDD_DIR_ENV, MODEL_DIR_ENV, cache_dir, download_all

    # --to "" is a slip, not the cache; ~ expanded, names the file system refuses refused
    folder = check_path(args.to, "--to").resolve() if args.to is not None else cache_dir()
    try:
        paths = download_all(folder)
    except LessonError as error:
        if not folder.exists():
            kept = f"no folder was left at {shown_path(folder)}"
        elif folder.is_dir() and any(folder.iterdir()):
            kept = f"what is complete in {shown_path(folder)} is kept"
        else:
            kept = f"nothing was written into {shown_path(folder)}"
        raise LessonError(
            f"{str(error).rstrip('.')}; {kept}. Run the command again where there is internet "
            f"(or with {DOWNLOAD_URL_ENV} set to a mirror that serves the files), or copy a "
            "folder it filled on another machine and point the lesson at the copy "
            f"({MODEL_DIR_ENV}=DIR, {FSDD_DIR_ENV}=DIR/fsdd)."
        ) from None
    for path in paths:
        print(f"  {path}")
    if not args.to:  # where the lesson looks anyway: nothing to set
        print("Done: the lesson finds them in its cache.")
        return
    print("Done. Point the lesson at it before starting Jupyter:")
    print(f"  export YAMNET_LESSON_MODEL_DIR={folder}")
    print(f"  export YAMNET_LESSON_FSDD_DIR={folder / 'fsdd'}")


def _show_warning(message: Warning | str, *args: Any, **kwargs: Any) -> None:
    """A warning as one line, without the "<frozen runpy>:88: UserWarning:" of ``python -m``."""
    print(f"warning: {message}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m yamnet_lesson",
        description=__doc__.replace("``", ""),  # the docstring, as plain text
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser(
        "check", help="versions, where YAMNet and the spoken digits are, and a pink-noise test"
    )
    reference = commands.add_parser("reference", help="run the reference workflow")
    reference.add_argument("--k", type=int, default=5, help="training examples per class")
    reference.add_argument("--epochs", type=int, default=30)
    reference.add_argument("--seed", type=int, default=0)
    reference.add_argument("--mode", choices=MODES, default="finetune")
    reference.add_argument(
        "--validation-frequency",
        type=int,
        default=50,
        metavar="N",
        help="validate at iteration 1, every N iterations and at the last (default 50)",
    )
    reference.add_argument("--json", action="store_true", help="end with one JSON line")
    reference.add_argument(
        "--export", metavar="DIR", help="write the classifier there (TF Lite, labels, Keras)"
    )
    download = commands.add_parser(
        "download", help="fetch YAMNet's files and the spoken digits into a folder"
    )
    download.add_argument(
        "--to", help="destination folder (default: the lesson's cache, where it looks anyway)"
    )
    args = parser.parse_args(argv)
    handlers = {"check": _check, "reference": _reference, "download": _download}
    stopped: list[tuple[str, str]] = []
    previous = _on_interrupt(stopped, _INTERRUPTED[args.command])
    try:
        with warnings.catch_warnings():  # restores the usual display afterwards
            warnings.showwarning = _show_warning
            handlers[args.command](args)
    except Exception as error:
        # After Ctrl-C, whatever came out is the interruption: inside TensorFlow's C++
        # code a KeyboardInterrupt can come out as a SystemError or ValueError.
        if stopped and not isinstance(error, Interrupted):
            print(f"Interrupted during {'; '.join(stopped[0])}.", file=sys.stderr)
            raise SystemExit(130) from None
        if not isinstance(error, LessonError):
            raise
        print(f"error: {error}", file=sys.stderr)
        raise SystemExit(2) from None
    except KeyboardInterrupt as stop:
        if isinstance(stop, Interrupted):
            during, kept = stop.during, stop.kept
        else:
            during, kept = stopped[0] if stopped else _INTERRUPTED[args.command]
        print(f"Interrupted during {during}; {kept}.", file=sys.stderr)
        raise SystemExit(130) from None
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)


def _on_interrupt(stopped: list[tuple[str, str]], otherwise: tuple[str, str]) -> Any:
    """Ctrl-C: note what it stopped (in ``stopped``; ``otherwise`` if not
    training or exporting), then raise KeyboardInterrupt.

    A second Ctrl-C ends the process at once, with status 130.  Returns the
    handler it replaced (None where handlers cannot be set: not the main thread).
    """

    def handler(signum: int, frame: Any) -> None:
        if stopped:
            os._exit(130)
        stopped.append(_what_was_interrupted(frame) or otherwise)
        raise KeyboardInterrupt

    try:
        return signal.signal(signal.SIGINT, handler)
    except ValueError:
        return None


def _what_was_interrupted(frame: Any) -> tuple[str, str] | None:
    """What the code at ``frame`` was doing, as (what was interrupted, what was kept)."""
    while frame is not None:
        code = frame.f_code
        if code.co_name == "fine_tune" and code.co_filename.endswith("training.py"):
            done, total = frame.f_locals.get("iteration"), frame.f_locals.get("last_iteration")
            if isinstance(done, int) and isinstance(total, int):
                return (
                    f"training, after {done} of {total} iterations",
                    "the partly trained network was not kept and nothing was written",
                )
            return ("the preparation for training", "nothing was trained or written")
        if code.co_name in ("export_result", "export_classifier"):
            return (
                "the export",
                "the files written so far may be incomplete: run the command again",
            )
        frame = frame.f_back
    return None


if __name__ == "__main__":
    main()
