"""Peak memory of long clips: how much one 10-minute clip raises a process's peak.

    python benchmarks/long_clip_memory.py [--minutes 10]

Each case runs in a fresh Python process: it imports the lesson (and loads
YAMNet where the case needs it), makes the clip, notes the process's peak
resident memory (``VmHWM``, reset first through ``/proc/self/clear_refs``,
so temporaries of the set-up do not count), runs the case, and reports by
how much the peak rose (Linux only).  For ``two_clips_yamnet``,
``peak_after_mb`` is the whole kernel's peak after YAMNet has heard two such
clips: the figure to hold against Binder's ~2 GB.
Prints one JSON document.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

FEATURES = (  # a first short call: what librosa sets up once is not counted below
    "from yamnet_lesson import features; "
    "features.waveform_to_patches(np.zeros(44_100, 'f4'), 44_100)"
)
YAMNET = "import yamnet_lesson as yl; model = yl.load_yamnet(); model(np.zeros(16_000, 'f4'))"
CASES = {  # name: (setup, the clips' type and rate, what is measured on clips x and y)
    "log_mel_16k": (FEATURES, "float32", 16_000, "features.log_mel_spectrogram(x)"),
    "patches_16k": (FEATURES, "float32", 16_000, "features.waveform_to_patches(x)"),
    "patches_44k": (FEATURES, "float32", 44_100, "features.waveform_to_patches(x, 44_100)"),
    "patches_16k_int16": (FEATURES, "int16", 16_000, "features.waveform_to_patches(x)"),
    "two_clips_yamnet": (YAMNET, "float32", 16_000, "model(x); model(y)"),
}

RUN = """
import json
import numpy as np
{setup}
MINUTES = {minutes}
def clip(seed):
    noise = np.random.default_rng(seed).uniform(-1, 1, int(MINUTES * 60 * {rate}))
    return (noise * 32767).astype(np.int16) if "{dtype}" == "int16" else noise.astype(np.float32)
x, y = clip(0), clip(1)  # made before the peak is noted: the clips themselves are not counted
def peak():
    with open("/proc/self/status") as status:  # VmHWM: peak resident memory, kB
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM")) / 1024
with open("/proc/self/clear_refs", "w") as clear:
    clear.write("5")  # reset the peak to what is resident now (Linux >= 4.0)
before = peak()
{statement}
print(json.dumps({{"peak_before_mb": round(before), "peak_after_mb": round(peak())}}))
"""


def run_case(name: str, minutes: float) -> dict:
    setup, dtype, rate, statement = CASES[name]
    code = RUN.format(setup=setup, dtype=dtype, rate=rate, statement=statement, minutes=minutes)
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    result = json.loads(out.strip().splitlines()[-1])
    result["peak_rise_mb"] = result["peak_after_mb"] - result["peak_before_mb"]
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--cases", nargs="*", default=list(CASES))
    args = parser.parse_args()
    results = {name: run_case(name, args.minutes) for name in args.cases}
    print(json.dumps({"minutes": args.minutes, "cases": results}, indent=2))


if __name__ == "__main__":
    main()
