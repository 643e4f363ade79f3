"""What the networks listen to: band importance on the noise colours, timed; prints JSON.

    python benchmarks/importance.py [--seeds 0 1 2] [--fills shuffle silence]

For each seed: the reference split (100 signals a colour, K = 5: 15 clips to
train on, 285 to validate on), the whole network fine-tuned and the same
network trained from scratch (30 epochs, as the reference), then
``band_importance`` of the 285 validation clips in 8 groups of mel bands, for
each fill.  Reports, per mode, seed and fill, the seconds ``band_importance``
took (the issue's budget: under 10 s for the fine-tuned network with 8 groups)
and the importances, overall and per colour, lowest frequencies first.  The
first call of a fill for a mode also traces the network's prediction (a second
or so), as in class; ``seconds_again`` is a second call, everything traced.
"""

from __future__ import annotations

import argparse
import json
import os
import time

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def bench_importance(seeds: tuple[int, ...], fills: tuple[str, ...], groups: int = 8) -> dict:
    import yamnet_lesson as yl

    edges = yl.features.mel_band_groups(groups)[1]
    report: dict = {"groups": groups, "edges_hz": [round(float(e)) for e in edges], "runs": []}
    for seed in seeds:
        audio, labels = yl.signals.noise_dataset(100, seed=seed)
        split = yl.split_reference(audio, labels, 5, verbose=False)
        validation, truth = split[2], np.asarray(split[3])
        for mode in ("finetune", "scratch"):
            result = yl.fine_tune(*split, mode=mode, seed=seed)
            for fill in fills:
                start = time.perf_counter()
                per_clip = result.band_importance(
                    validation, truth, groups, fill=fill, per_clip=True
                )
                seconds = time.perf_counter() - start
                start = time.perf_counter()
                result.band_importance(validation, truth, groups, fill=fill)
                again = time.perf_counter() - start
                report["runs"].append(
                    {
                        "seed": seed,
                        "mode": mode,
                        "fill": fill,
                        "clips": len(truth),
                        "validation_accuracy": round(result.validation_accuracy, 4),
                        "seconds": round(seconds, 2),
                        "seconds_again": round(again, 2),
                        "importance": [round(float(v), 3) for v in per_clip.mean(axis=0)],
                        "by_colour": {
                            colour: [round(float(v), 3) for v in per_clip[truth == colour].mean(0)]
                            for colour in yl.signals.NOISE_COLORS
                        },
                    }
                )
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--fills", nargs="+", default=["shuffle", "silence"])
    args = parser.parse_args()
    print(json.dumps(bench_importance(tuple(args.seeds), tuple(args.fills)), indent=1))


if __name__ == "__main__":
    main()
