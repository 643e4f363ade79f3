"""Real recordings: spoken digits, per mode and seed, next to the plain tools.

    python benchmarks/fsdd.py [--seeds 0 1 2] [--epochs 30] [--splits jackson->nicolas ...]
                              [--cache notebooks/results/digits.json]

For each split of the Free Spoken Digit Dataset (``jackson->nicolas``: train on
jackson, test on nicolas: a new voice; ``nicolas->jackson``; ``known voices``:
both speakers on both sides, each speaker's takes of one digit on one side,
``experiments.digit_split_files``) and each seed, trains

* ``finetune``, ``head``, ``scratch``: :func:`yamnet_lesson.fine_tune` in that
  mode (``head`` with its defaults: the new layer trained to convergence);
* ``keras_fit``: the plain tool for ``finetune``: the same network built by
  ``build_yamnet`` (seeded), ``compile(Adam(1e-3), sparse cross-entropy)``,
  ``fit(batch_size=128, epochs=...)``;
* ``logistic_regression``: the plain tool for ``head``: scikit-learn's
  ``LogisticRegression()`` on YAMNet's embeddings (no seed: one value),

all in this run, on the same split, and prints one JSON document: per split
and method the test accuracy (%) per seed, its mean, standard deviation, min
and max, and the training seconds.  Results are saved in ``--cache`` as they
come (``experiments.digits_accuracy``), so an interrupted run resumes, and
notebook 5 reads the figures it quotes from the same file.  Needs the spoken
digits (``YAMNET_LESSON_FSDD_DIR``, ``shared/datasets/fsdd-dev``, or a download).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
REPO = Path(__file__).resolve().parents[1]


def summary(values: list[float]) -> dict:
    percent = [round(100 * v, 1) for v in values]
    return {
        "per_seed": percent,
        "mean": round(statistics.fmean(percent), 1),
        "std": round(statistics.stdev(percent), 1) if len(percent) > 1 else 0.0,
        "min": min(percent),
        "max": max(percent),
    }


def main() -> None:
    from yamnet_lesson.experiments import DIGIT_METHODS, DIGIT_SPLITS, digits_accuracy

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--epochs", type=int, default=30, help="finetune, scratch, keras_fit")
    parser.add_argument("--splits", nargs="+", default=list(DIGIT_SPLITS), choices=DIGIT_SPLITS)
    parser.add_argument("--methods", nargs="+", default=list(DIGIT_METHODS), choices=DIGIT_METHODS)
    parser.add_argument("--cache", default=str(REPO / "notebooks" / "results" / "digits.json"))
    args = parser.parse_args()

    results = digits_accuracy(
        args.splits, args.methods, args.seeds, epochs=args.epochs, cache=args.cache, verbose=True
    )
    report = {
        "seeds": args.seeds,
        "epochs": args.epochs,
        "note": "test accuracy in %; logistic_regression has no seed (one value)",
        "splits": {
            split: {
                method: {
                    **summary(got["accuracy"]),
                    "train_seconds": got["train_seconds"],
                }
                for method, got in by_method.items()
            }
            for split, by_method in results.items()
        },
    }
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
