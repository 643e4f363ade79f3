"""Where a TensorFlow notebook kernel's memory goes, stage by stage, as JSON.

    python benchmarks/kernel_memory.py

Each case runs in a fresh process and reads its resident memory (RSS, MB) after
each stage of notebook 4's work: the lesson's imports (TensorFlow not yet
loaded), ``import tensorflow``, YAMNet built with a new 3-way layer, one
prediction of 96 patches, the reference fine-tune (K = 5, 30 epochs, its own
new network), a second one (seed 1), both results kept as a notebook keeps them.
``given_back``: as the lesson runs (each run ends
with ``_fast.give_back_memory``: Python's cycle collector, then glibc's
``malloc_trim``); ``kept``: the same with that step made a no-op, what the
process holds without it.  The README's "Memory on Binder" figures come from it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

STAGES = r"""
import json, os, sys
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np
import psutil
process, out = psutil.Process(), {}
def stage(name):
    out[name] = round(process.memory_info().rss / 1e6)
import yamnet_lesson as yl
from yamnet_lesson import signals
audio, labels = signals.noise_dataset(n_per_color=100, seed=0)
train, train_labels, val, val_labels = yl.split_reference(audio, labels, k=5, verbose=False)
stage("lesson_imports")
import tensorflow  # noqa: F401
stage("import_tensorflow")
from yamnet_lesson import _fast
if sys.argv[1] == "kept":
    _fast.give_back_memory = lambda caches=False: None
network = yl.build_yamnet(3)
stage("yamnet_built")
network.predict_on_batch(np.zeros((96, 96, 64), np.float32))
stage("one_prediction")
del network
results = []  # kept, as a notebook keeps them
for seed in (0, 1):
    results.append(yl.fine_tune(train, train_labels, val, val_labels, seed=seed))
    result = results[-1]
    stage(f"fine_tune_seed_{seed}")
    out[f"validation_accuracy_seed_{seed}"] = result.validation_accuracy
print(json.dumps(out))
"""


def main() -> None:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    report = {}
    for case in ("given_back", "kept"):
        done = subprocess.run(
            [sys.executable, "-c", STAGES, case], capture_output=True, text=True, env=env
        )
        if done.returncode != 0:
            raise SystemExit(f"kernel_memory: the {case!r} case failed: {done.stderr[-500:]}")
        report[case] = json.loads(done.stdout.strip().splitlines()[-1])
    print(json.dumps({"rss_mb": report}, indent=1))


if __name__ == "__main__":
    main()
