"""The exported classifier against Google's YAMNet TF Lite file, both in LiteRT; prints JSON.

    python benchmarks/export_bench.py [--repeats 5]

Trains the reference classifier (K = 5, mode "head": the exported network is
the same whatever the mode), exports it, and measures in one process:

* the size of the exported ``.tflite`` file and of Google's official file;
* LiteRT's time per 0.975 s window (one ``invoke`` on 15,600 samples, front end
  included) for each file: the median over ``--repeats`` rounds, each timing
  ``WINDOWS`` windows of each file in turn, so that both see the same machine load;
* the seconds the export itself took.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

WINDOWS = 50  # invocations timed per file and round


def _ms_per_window(interpreter, windows: np.ndarray) -> float:
    (source,), (target,) = interpreter.get_input_details(), interpreter.get_output_details()
    start = time.perf_counter()
    for window in windows:
        interpreter.set_tensor(source["index"], window)
        interpreter.invoke()
        interpreter.get_tensor(target["index"])
    return 1000 * (time.perf_counter() - start) / len(windows)


def bench_export(repeats: int = 5) -> dict:
    """Sizes and LiteRT milliseconds per window: the exported classifier and Google's YAMNet."""
    from yamnet_lesson import assets, features, signals
    from yamnet_lesson.experiments import split_reference
    from yamnet_lesson.export import export_classifier, load_exported
    from yamnet_lesson.training import fine_tune

    audio, labels = signals.noise_dataset(100, seed=0)
    train_audio, train_labels, _, _ = split_reference(audio, labels, 5, verbose=False)
    result = fine_tune(train_audio, train_labels, mode="head", seed=0)
    windows = np.ascontiguousarray(audio[: features.PATCH_SAMPLES, :WINDOWS].T)
    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        paths = export_classifier(result.model, result.class_names, folder)
        export_seconds = time.perf_counter() - start
        files = {"exported": paths["tflite"], "official": assets.find_file(assets.YAMNET_TFLITE)}
        interpreters = {name: load_exported(path).interpreter for name, path in files.items()}
        for interpreter in interpreters.values():  # warm up
            _ms_per_window(interpreter, windows[:5])
        rounds: dict[str, list[float]] = {name: [] for name in files}
        for _ in range(repeats):
            for name, interpreter in interpreters.items():
                rounds[name].append(_ms_per_window(interpreter, windows))
        sizes = {name: path.stat().st_size for name, path in files.items()}
    report = {
        name: {
            "file": files[name].name,
            "bytes": sizes[name],
            "megabytes": round(sizes[name] / 1e6, 2),
            "litert_ms_per_window_median": round(statistics.median(rounds[name]), 3),
            "litert_ms_per_window_runs": [round(ms, 3) for ms in rounds[name]],
        }
        for name in files
    }
    report["exported"]["export_seconds"] = round(export_seconds, 2)
    report["windows_per_round"] = WINDOWS
    report["ratio_exported_to_official_ms"] = round(
        report["exported"]["litert_ms_per_window_median"]
        / report["official"]["litert_ms_per_window_median"],
        2,
    )
    report["load_average_1min"] = round(os.getloadavg()[0], 2)
    report["cpus"] = os.cpu_count()
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    print(json.dumps(bench_export(args.repeats), indent=1))


if __name__ == "__main__":
    main()
