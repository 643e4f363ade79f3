"""Benchmarks for the live lesson; prints one JSON document.

    python benchmarks/run.py [--repeats 3] [--notebooks | --only-notebooks]

Measures, in one process and one run (medians over ``--repeats``):

* features: log-mel of the 300 reference signals;
* load: YAMNet's first load (fresh process) and a cached second load;
* train: the reference fine-tune (K = 5, 30 epochs) against a plain Keras
  ``model.fit`` of the same network, data and settings, each in fresh
  processes so that tracing counts on both (the first run; a second, warm run
  in the same process shows what tracing cost), with the reference's
  validation schedule (iteration 1 and the last) and with validation every
  epoch; a press of Train in the interactive trainer, first and traced; the
  largest peak memory of those processes; the three modes in this process;
* export: the exported TF Lite file's size and its LiteRT time per 0.975 s
  window, next to Google's official YAMNet TF Lite file (benchmarks/export_bench.py);
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


SCHEDULES = {"reference": 50, "every_epoch": 1}  # fine_tune's validation_frequency


def _reference_data():
    """The reference split as patches: (x_train, y_train, x_val, y_val) and the audio."""
    from yamnet_lesson import features, signals
    from yamnet_lesson.experiments import split_reference

    audio, labels = signals.noise_dataset(100, seed=0)
    train_audio, train_labels, val_audio, val_labels = split_reference(
        audio, labels, 5, verbose=False
    )
    classes = list(signals.NOISE_COLORS)
    x_train, _ = features.clip_patches(train_audio)
    x_val, _ = features.clip_patches(val_audio)
    y_train = np.array([classes.index(c) for c in train_labels])
    y_val = np.array([classes.index(c) for c in val_labels])
    return (x_train, y_train, x_val, y_val), (train_audio, train_labels, val_audio, val_labels)


def _network():
    from yamnet_lesson._tensorflow import keras
    from yamnet_lesson.yamnet import build_yamnet

    keras.utils.set_random_seed(0)
    return build_yamnet(3)


def _peak_rss_mb() -> float:
    import resource

    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)  # KB -> MB


def child_fine_tune(schedule: str) -> dict:
    """In a fresh process: fine_tune twice on fresh networks (the first traces)."""
    from yamnet_lesson import _fast, fine_tune

    _, (train_audio, train_labels, val_audio, val_labels) = _reference_data()
    _fast.cached_patches(train_audio, 16_000)
    _fast.cached_patches(val_audio, 16_000)
    seconds, accuracy = [], []
    for _ in range(2):
        network = _network()
        start = time.perf_counter()
        result = fine_tune(
            train_audio,
            train_labels,
            val_audio,
            val_labels,
            network=network,
            validation_frequency=SCHEDULES[schedule],
        )
        seconds.append(time.perf_counter() - start)
        accuracy.append(result.validation_accuracy)
    return {"seconds": seconds, "validation_accuracy": accuracy, "peak_rss_mb": _peak_rss_mb()}


def child_plain_fit(schedule: str) -> dict:
    """In a fresh process: plain Keras ``model.fit`` of the same network, data and settings."""
    from yamnet_lesson._tensorflow import keras

    (x_train, y_train, x_val, y_val), _ = _reference_data()
    frequency = [1, 30] if schedule == "reference" else 1  # Keras counts epochs: 1 per iteration
    seconds, accuracy = [], []
    for _ in range(2):
        network = _network()
        start = time.perf_counter()
        network.compile(
            optimizer=keras.optimizers.Adam(1e-3),
            loss="sparse_categorical_crossentropy",
            metrics=["accuracy"],
        )
        history = network.fit(
            x_train,
            y_train,
            batch_size=128,
            epochs=30,
            validation_data=(x_val, y_val),
            validation_freq=frequency,
            verbose=0,
        )
        seconds.append(time.perf_counter() - start)
        accuracy.append(float(history.history["val_accuracy"][-1]))
    return {"seconds": seconds, "validation_accuracy": accuracy, "peak_rss_mb": _peak_rss_mb()}


def child_trainer() -> dict:
    """In a fresh process: two presses of Train at K = 5, 30 epochs, default schedule."""
    from yamnet_lesson import signals
    from yamnet_lesson.widgets import InteractiveTrainer

    trainer = InteractiveTrainer(*signals.noise_dataset(100, seed=0))
    seconds = []
    for _ in range(2):
        trainer._ended_at = -np.inf
        start = time.perf_counter()
        trainer.button.click()
        seconds.append(time.perf_counter() - start)
    return {
        "seconds": seconds,
        "validation_accuracy": [r.validation_accuracy for r in trainer.results],
        "peak_rss_mb": _peak_rss_mb(),
    }


CHILDREN = {
    "fine_tune": child_fine_tune,
    "plain_fit": child_plain_fit,
    "trainer": lambda schedule: child_trainer(),
}


def in_fresh_process(kind: str, schedule: str = "reference") -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child", kind, "--schedule", schedule],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def bench_training(repeats: int) -> dict:
    """Fine-tune vs plain ``model.fit``, each in fresh processes (tracing counts on both)."""
    result: dict = {}
    for schedule in SCHEDULES:
        runs = {kind: [] for kind in ("fine_tune", "plain_fit")}
        for _ in range(repeats):  # interleaved, so that host load hits both alike
            for kind in runs:
                runs[kind].append(in_fresh_process(kind, schedule))
        entry: dict = {}
        for kind, got in runs.items():
            first = [r["seconds"][0] for r in got]
            warm = [r["seconds"][1] for r in got]
            entry[kind] = {
                "first_run_seconds_median": round(statistics.median(first), 2),
                "first_run_seconds": [round(t, 2) for t in first],
                "warm_run_seconds_median": round(statistics.median(warm), 2),
                "tracing_and_first_call_seconds": round(
                    statistics.median(f - w for f, w in zip(first, warm, strict=True)), 2
                ),
                "validation_accuracy": sorted({a for r in got for a in r["validation_accuracy"]}),
                "peak_rss_mb_max": max(r["peak_rss_mb"] for r in got),
            }
        entry["speedup_first_run"] = round(
            entry["plain_fit"]["first_run_seconds_median"]
            / entry["fine_tune"]["first_run_seconds_median"],
            2,
        )
        entry["speedup_warm"] = round(
            entry["plain_fit"]["warm_run_seconds_median"]
            / entry["fine_tune"]["warm_run_seconds_median"],
            2,
        )
        result[f"validation_{schedule}"] = entry
    presses = [in_fresh_process("trainer") for _ in range(repeats)]
    result["trainer_press_k5_30_epochs"] = {
        "first_press_seconds_median": round(statistics.median(p["seconds"][0] for p in presses), 2),
        "traced_press_seconds_median": round(
            statistics.median(p["seconds"][1] for p in presses), 2
        ),
        "presses": [[round(t, 2) for t in p["seconds"]] for p in presses],
        "validation_accuracy": sorted({a for p in presses for a in p["validation_accuracy"]}),
        "peak_rss_mb_max": max(p["peak_rss_mb"] for p in presses),
    }
    return result


def bench_modes(repeats: int) -> dict:
    """The reference workflow per mode, in this process (after a first run that traces)."""
    from yamnet_lesson.experiments import run_reference

    result: dict = {}
    for mode in ("finetune", "head", "scratch"):
        run_reference(5, mode=mode, seed=0, epochs=1, verbose=False)  # traces
        runs = [run_reference(5, mode=mode, seed=0, verbose=False) for _ in range(repeats)]
        result[mode] = {
            "train_seconds_median": statistics.median(r["train_seconds"] for r in runs),
            "total_seconds_median": statistics.median(r["total_seconds"] for r in runs),
            "validation_accuracy": sorted({r["validation_accuracy"] for r in runs}),
        }
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
    from yamnet_lesson import _fast
    from yamnet_lesson.training import training_step

    (x_train, y_train, x_val, _), _ = _reference_data()
    run = _fast.TracedTraining(_network(), "finetune", 1e-3, training_step)
    run.train(x_train, y_train)  # traces
    run.probabilities(x_val)
    step, _ = median_time(lambda: run.train(x_train, y_train), 3 * repeats)
    validation, _ = median_time(lambda: run.probabilities(x_val), 3 * repeats)
    gflops = matmul_gflops(repeats)
    macs = yamnet_multiply_adds()
    floor = 30 * len(x_val) * 2 * macs / (gflops * 1e9)
    return {
        "yamnet_multiply_adds_per_patch": macs,
        "training_step_seconds_median": round(step, 4),
        "validation_pass_seconds_median": round(validation, 4),
        "reference_estimate_30_steps_2_validations_seconds": round(30 * step + 2 * validation, 2),
        "every_epoch_estimate_30x_seconds": round(30 * (step + validation), 2),
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


def bench_export(repeats: int) -> dict:
    """The exported classifier's size and LiteRT time per window, next to Google's file."""
    from export_bench import bench_export as measure  # benchmarks/export_bench.py

    return measure(repeats)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--notebooks", action="store_true", help="also time every notebook")
    parser.add_argument(
        "--only-notebooks", action="store_true", help="time the notebooks, nothing else"
    )
    parser.add_argument("--child", choices=sorted(CHILDREN), help=argparse.SUPPRESS)
    parser.add_argument("--schedule", choices=sorted(SCHEDULES), default="reference")
    args = parser.parse_args()
    if args.child:  # one measurement in this fresh process
        print(json.dumps(CHILDREN[args.child](args.schedule)))
        return
    import platform

    report: dict = {"machine": {"cpus": os.cpu_count(), "python": platform.python_version()}}
    if not args.only_notebooks:
        report |= {
            "features_300_signals": bench_features(args.repeats),
            "load_yamnet": bench_load(),
            "training_k5_30_epochs": bench_training(args.repeats),
            "modes_in_process": bench_modes(args.repeats),
            "export": bench_export(args.repeats),
            "floor": bench_floor(args.repeats),
        }
    if args.notebooks or args.only_notebooks:
        report["notebooks"] = {
            p.name: notebook_runs(p, args.repeats)
            for p in sorted((REPO / "notebooks").glob("*.ipynb"))
        }
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
