"""Benchmarks for the live lesson; prints one JSON document.

    python benchmarks/run.py [--repeats 3] [--notebooks] [--quick]

Measures, in one process and one run (medians over ``--repeats``):

* features: log-mel of the 300 reference signals;
* load: YAMNet's first load (fresh process) and a cached second load;
* train: the reference fine-tune (K = 5, 30 epochs, validation every epoch)
  per mode, and a plain Keras ``model.fit`` of the same network on the same
  data, with the ratio between them; accuracy of each, to show results agree;
* notebooks (``--notebooks``): each notebook's execution time (median of
  ``--repeats`` fresh kernels) and its kernel's largest peak resident memory.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
REPO = Path(__file__).resolve().parents[1]


def median_time(function, repeats: int) -> tuple[float, list[float]]:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times), [round(t, 3) for t in times]


def bench_features(repeats: int) -> dict:
    from yamnet_lesson import features, signals

    audio, _ = signals.noise_dataset(100, seed=0)
    features.log_mel_spectrogram(audio[:, :2])  # warm librosa up
    median, runs = median_time(lambda: features.log_mel_spectrogram(audio), repeats)
    return {"seconds_median": round(median, 3), "runs": runs, "signals": audio.shape[1]}


def bench_load() -> dict:
    code = (
        "import time; t = time.perf_counter(); import yamnet_lesson as yl; m = yl.load_yamnet();"
        "first = time.perf_counter() - t; t = time.perf_counter(); yl.load_yamnet();"
        "print(first, time.perf_counter() - t)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    first, cached = map(float, out.stdout.split()[-2:])
    return {
        "first_seconds_incl_tensorflow_import": round(first, 3),
        "cached_seconds": round(cached, 4),
    }


def plain_fit_seconds(seed: int = 0) -> tuple[float, float]:
    """A plain Keras fit of the same network on the same data, validation every epoch."""
    import keras
    import numpy as np

    from yamnet_lesson import signals
    from yamnet_lesson.training import clip_patches, split_reference
    from yamnet_lesson.yamnet import build_yamnet

    audio, labels = signals.noise_dataset(100, seed=seed)
    train_audio, train_labels, val_audio, val_labels = split_reference(
        audio, labels, 5, verbose=False
    )
    classes = list(signals.NOISE_COLORS)
    x_train, _ = clip_patches(train_audio)
    x_val, _ = clip_patches(val_audio)
    y_train = np.array([classes.index(c) for c in train_labels])
    y_val = np.array([classes.index(c) for c in val_labels])
    keras.utils.set_random_seed(seed)
    model = build_yamnet(3)
    for layer in model.layers:  # same as fine_tune: batch norm keeps Google's statistics
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.trainable = False
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    start = time.perf_counter()
    history = model.fit(
        x_train, y_train, batch_size=128, epochs=30, validation_data=(x_val, y_val), verbose=0
    )
    return time.perf_counter() - start, float(history.history["val_accuracy"][-1])


def bench_training(repeats: int) -> dict:
    from yamnet_lesson.training import run_reference

    result: dict = {}
    for mode in ("finetune", "head", "scratch"):
        runs = [run_reference(5, mode=mode, seed=0, verbose=False) for _ in range(repeats)]
        result[mode] = {
            "train_seconds_median": statistics.median(r["train_seconds"] for r in runs),
            "total_seconds_median": statistics.median(r["total_seconds"] for r in runs),
            "train_seconds_runs": [r["train_seconds"] for r in runs],
            "validation_accuracy": [r["validation_accuracy"] for r in runs],
        }
    fits = [plain_fit_seconds() for _ in range(repeats)]
    plain = statistics.median(f[0] for f in fits)
    result["plain_keras_fit"] = {
        "train_seconds_median": round(plain, 3),
        "train_seconds_runs": [round(f[0], 3) for f in fits],
        "validation_accuracy": [f[1] for f in fits],
    }
    result["finetune_speedup_vs_plain_fit"] = round(
        plain / result["finetune"]["train_seconds_median"], 2
    )
    return result


def run_notebook(path: Path) -> dict:
    """Execute one notebook in a fresh kernel; wall time and the kernel's peak RSS."""
    import nbformat
    import psutil
    from nbclient import NotebookClient

    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=600,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    peak = {"rss": 0}
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            try:
                process = client.km.provisioner.process  # the kernel
                rss = psutil.Process(process.pid).memory_info().rss
                peak["rss"] = max(peak["rss"], rss)
            except (AttributeError, psutil.Error):
                pass
            time.sleep(0.05)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    start = time.perf_counter()
    client.execute()
    seconds = time.perf_counter() - start
    done.set()
    watcher.join()
    return {"seconds": round(seconds, 1), "kernel_peak_rss_mb": round(peak["rss"] / 2**20)}


def notebook_runs(path: Path, repeats: int) -> dict:
    """``repeats`` fresh-kernel runs of one notebook: median time, largest peak memory."""
    runs = [run_notebook(path) for _ in range(repeats)]
    return {
        "seconds_median": statistics.median(r["seconds"] for r in runs),
        "seconds_runs": [r["seconds"] for r in runs],
        "kernel_peak_rss_mb_max": max(r["kernel_peak_rss_mb"] for r in runs),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--notebooks", action="store_true", help="also time every notebook")
    args = parser.parse_args()
    import platform

    report: dict = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "features_300_signals": bench_features(args.repeats),
        "load_yamnet": bench_load(),
        "training_k5_30_epochs": bench_training(args.repeats),
    }
    if args.notebooks:
        report["notebooks"] = {
            p.name: notebook_runs(p, args.repeats)
            for p in sorted((REPO / "notebooks").glob("*.ipynb"))
        }
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
