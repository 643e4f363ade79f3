"""Real recordings: train on one speaker of the Free Spoken Digit Dataset, test on the other.

    python benchmarks/fsdd.py [--epochs 30]

For each mode (finetune, head, scratch) prints accuracy on the other speaker
and training time, as one JSON document.  Needs shared/datasets/fsdd-dev (or
YAMNET_LESSON_FSDD_DIR).
"""

from __future__ import annotations

import argparse
import json
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--train", default="jackson")
    parser.add_argument("--test", default="nicolas")
    args = parser.parse_args()

    from yamnet_lesson import fine_tune
    from yamnet_lesson.audio import load_fsdd
    from yamnet_lesson.training import clip_patches

    train, train_digits, rate = load_fsdd(args.train)
    test, test_digits, _ = load_fsdd(args.test)
    start = time.perf_counter()
    clip_patches(train, rate)
    clip_patches(test, rate)
    report = {
        "train_speaker": args.train,
        "test_speaker": args.test,
        "n_train": len(train),
        "n_test": len(test),
        "epochs": args.epochs,
        "feature_seconds": round(time.perf_counter() - start, 2),
        "modes": {},
    }
    for mode in ("finetune", "head", "scratch"):
        start = time.perf_counter()
        result = fine_tune(
            train,
            train_digits,
            test,
            test_digits,
            mode=mode,
            epochs=args.epochs,
            sample_rate=rate,
            seed=0,
        )
        report["modes"][mode] = {
            "test_accuracy": round(result.validation_accuracy, 4),
            "train_seconds": round(result.train_seconds, 1),
            "total_seconds": round(time.perf_counter() - start, 1),
        }
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
