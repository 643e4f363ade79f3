"""The lesson's colours stay apart for colour-blind readers, checked by simulation.

A colour-vision deficiency is simulated with the matrices of Machado, Oliveira
& Fernandes (2009), "A physiologically-based model for simulation of color
vision deficiency", IEEE TVCG 15(6), severity 1.0, applied to linear sRGB.
Two colours count as distinguishable if their CIEDE2000 difference (Sharma,
Wu & Dalal 2005) is at least ``DISTINCT``.  The positive control: the colours
the lesson used before (grey / hot pink, matplotlib's tab10 runs) fail the
same check, as readers with deuteranopia reported.
"""

import itertools
import math

import numpy as np
import pytest
from matplotlib.colors import to_rgb

from yamnet_lesson import plots

MACHADO = {
    "deuteranopia": np.array(
        [
            [0.367322, 0.860646, -0.227968],
            [0.280085, 0.672501, 0.047413],
            [-0.011820, 0.042940, 0.968881],
        ]
    ),
    "protanopia": np.array(
        [
            [0.152286, 1.052583, -0.204868],
            [0.114503, 0.786281, 0.099216],
            [-0.003882, -0.048116, 1.051998],
        ]
    ),
}
SRGB_TO_XYZ = np.array(
    [
        [0.4124564, 0.3575761, 0.1804375],
        [0.2126729, 0.7151522, 0.0721750],
        [0.0193339, 0.1191920, 0.9503041],
    ]
)
D65_WHITE = np.array([0.95047, 1.0, 1.08883])
DISTINCT = 20.0  # CIEDE2000; 1-2 is a just-noticeable difference, ~20 reads as another colour


def linear_rgb(color) -> np.ndarray:
    srgb = np.asarray(to_rgb(color), dtype=float)
    return np.where(srgb <= 0.04045, srgb / 12.92, ((srgb + 0.055) / 1.055) ** 2.4)


def lab(color, deficiency: str | None = None) -> np.ndarray:
    """CIELAB (D65) of a matplotlib colour, as seen with ``deficiency`` (None: normal vision)."""
    rgb = linear_rgb(color)
    if deficiency:
        rgb = np.clip(MACHADO[deficiency] @ rgb, 0.0, 1.0)
    t = SRGB_TO_XYZ @ rgb / D65_WHITE
    f = np.where(t > (6 / 29) ** 3, np.cbrt(t), t / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def ciede2000(lab1, lab2) -> float:
    """CIEDE2000 colour difference (kL = kC = kH = 1), after Sharma, Wu & Dalal (2005)."""
    (l1, a1, b1), (l2, a2, b2) = lab1, lab2
    c_mean = (math.hypot(a1, b1) + math.hypot(a2, b2)) / 2
    g = 0.5 * (1 - math.sqrt(c_mean**7 / (c_mean**7 + 25**7)))
    a1, a2 = (1 + g) * a1, (1 + g) * a2
    c1, c2 = math.hypot(a1, b1), math.hypot(a2, b2)
    h1 = math.degrees(math.atan2(b1, a1)) % 360
    h2 = math.degrees(math.atan2(b2, a2)) % 360
    dh = 0.0 if c1 * c2 == 0 else (h2 - h1 + 180) % 360 - 180
    d_hue = 2 * math.sqrt(c1 * c2) * math.sin(math.radians(dh / 2))
    l_mean, c_mean = (l1 + l2) / 2, (c1 + c2) / 2
    if c1 * c2 == 0:
        h_mean = h1 + h2
    elif abs(h1 - h2) <= 180:
        h_mean = (h1 + h2) / 2
    else:
        h_mean = (h1 + h2 + 360) / 2 if h1 + h2 < 360 else (h1 + h2 - 360) / 2
    t = (
        1
        - 0.17 * math.cos(math.radians(h_mean - 30))
        + 0.24 * math.cos(math.radians(2 * h_mean))
        + 0.32 * math.cos(math.radians(3 * h_mean + 6))
        - 0.20 * math.cos(math.radians(4 * h_mean - 63))
    )
    s_l = 1 + 0.015 * (l_mean - 50) ** 2 / math.sqrt(20 + (l_mean - 50) ** 2)
    s_c = 1 + 0.045 * c_mean
    s_h = 1 + 0.015 * c_mean * t
    r_c = 2 * math.sqrt(c_mean**7 / (c_mean**7 + 25**7))
    r_t = -math.sin(math.radians(60 * math.exp(-(((h_mean - 275) / 25) ** 2)))) * r_c
    terms = ((l2 - l1) / s_l, (c2 - c1) / s_c, d_hue / s_h)
    return math.sqrt(sum(x * x for x in terms) + r_t * terms[1] * terms[2])


def closest_pair(colors, deficiency: str | None) -> float:
    return min(
        ciede2000(lab(a, deficiency), lab(b, deficiency))
        for a, b in itertools.combinations(colors, 2)
    )


# --- the tools themselves ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("lab1", "lab2", "expected"),
    [  # four pairs of the test data in Sharma, Wu & Dalal (2005), table 1
        ((50.0, 2.6772, -79.7751), (50.0, 0.0, -82.7485), 2.0425),
        ((50.0, 0.0, 0.0), (50.0, -1.0, 2.0), 2.3669),
        ((50.0, 2.5, 0.0), (73.0, 25.0, -18.0), 27.1492),
        ((60.2574, -34.0099, 36.2677), (60.4626, -34.1751, 39.4387), 1.2644),
    ],
)
def test_ciede2000_matches_the_published_test_data(lab1, lab2, expected):
    assert ciede2000(lab1, lab2) == pytest.approx(expected, abs=1e-4)


def test_the_simulation_keeps_greys_and_merges_red_with_green():
    for grey in ("white", "0.5", "black"):  # each matrix row sums to 1: greys stay grey
        assert ciede2000(lab(grey, "deuteranopia"), lab(grey)) < 0.5
    # the classic confusion: a red and a green of similar lightness
    assert ciede2000(lab("tab:red"), lab("tab:green")) > 60
    assert ciede2000(lab("tab:red", "deuteranopia"), lab("tab:green", "deuteranopia")) < 8


# --- positive control: the old colours fail ------------------------------------------------


def test_the_old_colours_fail_the_check():
    old_noise = ["0.55", "saddlebrown", "hotpink"]  # grey and pink both turn grey
    assert closest_pair(old_noise, None) > DISTINCT  # fine with normal vision ...
    assert closest_pair(old_noise, "deuteranopia") < DISTINCT / 2  # ... not with deuteranopia
    tab10_runs = ["tab:blue", "tab:orange", "tab:green", "tab:red", "tab:purple"]
    assert closest_pair(tab10_runs, "deuteranopia") < DISTINCT / 2


# --- the lesson's palette passes -----------------------------------------------------------


@pytest.mark.parametrize("deficiency", [None, "deuteranopia", "protanopia"])
def test_the_three_noise_colours_stay_apart(deficiency):
    colors = [plots.COLORS[name] for name in ("white", "brown", "pink")]
    assert closest_pair(colors, deficiency) > DISTINCT
    for color in colors:  # and each shows on white paper
        assert ciede2000(lab(color, deficiency), lab("white", deficiency)) > DISTINCT


@pytest.mark.parametrize("deficiency", [None, "deuteranopia", "protanopia"])
def test_the_first_runs_stay_apart(deficiency):
    assert closest_pair(plots.RUN_COLORS[:4], deficiency) > DISTINCT
    # Five: still apart with deuteranopia; with protanopia orange and bluish green come
    # closer (no five Okabe-Ito colours reach DISTINCT there), and the markers differ.
    five = closest_pair(plots.RUN_COLORS[:5], deficiency)
    assert five > (DISTINCT if deficiency != "protanopia" else 0.75 * DISTINCT)


def test_every_series_has_a_second_cue_besides_its_colour():
    assert len(set(plots.MARKERS.values())) == len(plots.MARKERS) == len(plots.COLORS)
    assert len(set(plots.RUN_MARKERS)) == len(plots.RUN_MARKERS) == len(plots.RUN_COLORS)
    styles = [plots.run_style(i) for i in range(2 * len(plots.RUN_COLORS))]
    assert styles[0] == {"color": plots.RUN_COLORS[0], "marker": plots.RUN_MARKERS[0]}
    assert styles[len(plots.RUN_COLORS)] == styles[0]  # the cycle starts again
