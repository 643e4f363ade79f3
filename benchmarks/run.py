"""Benchmarks for the live lesson; prints one JSON document.

    python benchmarks/run.py [--repeats 3] [--notebooks]

Measures, in one process and one run (medians over ``--repeats``):

* features: log-mel of the 300 reference signals;
* load: YAMNet's first load (fresh process) and a cached second load;
* train: the reference fine-tune (K = 5, 30 epochs, validation every epoch)
  per mode, and a plain Keras ``model.fit`` of the same network on the same
  data, with the ratio between them; accuracy of each, to show results agree;
* floor: where the fine-tune's time goes (one training step, one validation
  pass over the 285 signals) and the least time 30 validation passes can take
  at this CPU's float32 matrix-multiply rate, from YAMNet's multiply-add count;
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

import numpy as np

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
    import numpy as np

    from yamnet_lesson import signals
    from yamnet_lesson._tensorflow import keras
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


def yamnet_multiply_adds() -> int:
    """Multiply-adds of one forward pass of YAMNet on one 96 x 64 patch (convolutions and head)."""
    from yamnet_lesson._tensorflow import keras
    from yamnet_lesson.yamnet import build_yamnet

    model = build_yamnet(3, weights=None)
    total = 0
    for layer in model.layers:
        if isinstance(layer, keras.layers.Conv2D | keras.layers.DepthwiseConv2D):
            _, height, width, _ = layer.output.shape
            kernel = layer.kernel.shape  # (kh, kw, in, out), depthwise (kh, kw, channels, 1)
            total += height * width * int(np.prod(kernel))
    return total + int(np.prod(model.get_layer("logits").kernel.shape))


def matmul_gflops(repeats: int, size: int = 2048) -> float:
    """TensorFlow's float32 matrix-multiply rate on this CPU, in GFLOP/s (median)."""
    from yamnet_lesson._tensorflow import tf

    a = tf.random.normal((size, size))
    b = tf.random.normal((size, size))
    multiply = tf.function(lambda: tf.matmul(a, b))
    multiply()
    median, _ = median_time(lambda: [multiply().numpy() for _ in range(5)], repeats)
    return 5 * 2 * size**3 / median / 1e9


def bench_floor(repeats: int) -> dict:
    """Time of one training step and one validation pass, and the matmul floor for 30 passes."""
    from yamnet_lesson import signals, training

    audio, labels = signals.noise_dataset(100, seed=0)
    train_audio, _, val_audio, _ = training.split_reference(audio, labels, 5, verbose=False)
    x_train, _ = training.clip_patches(train_audio)
    x_val, _ = training.clip_patches(val_audio)
    training.run_reference(5, epochs=1, verbose=False)  # builds and traces the engine
    engine = training._engine("finetune", 3)
    y_train = np.zeros(len(x_train), dtype=np.int32)
    step, _ = median_time(lambda: engine.train_step(x_train, y_train)[0].numpy(), 3 * repeats)
    validation, _ = median_time(lambda: training._batched(engine.predict, x_val), 3 * repeats)
    gflops = matmul_gflops(repeats)
    macs = yamnet_multiply_adds()
    floor = 30 * len(x_val) * 2 * macs / (gflops * 1e9)
    return {
        "yamnet_multiply_adds_per_patch": macs,
        "training_step_seconds_median": round(step, 4),
        "validation_pass_seconds_median": round(validation, 4),
        "epoch_estimate_30x_seconds": round(30 * (step + validation), 2),
        "float32_matmul_gflops": round(gflops, 1),
        "validation_30_passes_at_matmul_rate_seconds": round(floor, 2),
    }


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
        "floor": bench_floor(args.repeats),
    }
    if args.notebooks:
        report["notebooks"] = {
            p.name: notebook_runs(p, args.repeats)
            for p in sorted((REPO / "notebooks").glob("*.ipynb"))
        }
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
