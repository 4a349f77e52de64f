"""Are the themes' colours still told apart by colour-blind viewers, and is their text readable?

    python benchmarks/colour_check.py

For each theme (``mnist_viz.gui.themes.THEMES``) it prints the smallest CIE76 colour difference (ΔE*ab)
between the colours seen together that must be told apart — the curves (smoothed training, each batch, test),
the markers (trouble, restored, other); correct, wrong and other answers — under normal vision and under
simulated deuteranopia and protanopia (Machado, Oliveira & Fernandes 2009, severity 1.0, applied in
linear RGB), and the WCAG 2.x contrast ratio of text (and of the dimmest text grey) on the background.

How large is large enough: ΔE*ab ≈ 2.3 is one just-noticeable difference for patches side by side;
curves and bars seen from the back of a hall are thin and far apart, so we ask for ``MIN_DELTA_E`` =
20 (roughly "clearly different colours" rather than "shades of one"). Text asks WCAG AA (4.5:1) of
every theme and AAA (7:1) of its main text colour.
"""
from __future__ import annotations

import itertools
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

MIN_DELTA_E = 20.0

# Machado et al. 2009, Table 1, severity 1.0 (linear RGB -> linear RGB).
SIMULATIONS = {
    "normal": np.eye(3),
    "deuteranopia": np.array([[0.367322, 0.860646, -0.227968],
                              [0.280085, 0.672501, 0.047413],
                              [-0.011820, 0.042940, 0.968881]]),
    "protanopia": np.array([[0.152286, 1.052583, -0.204868],
                            [0.114503, 0.786281, 0.099216],
                            [-0.003882, -0.048116, 1.051998]]),
}
# Roles whose colours are seen together and must differ, by where: the learning curves (smoothed
# training BLUE, each batch SKY_BLUE, test VERMILLION, markers: trouble VERMILLION, restored GREEN,
# others DARK_GREY) and the probes' answers (correct, wrong, and GREY for the bars that are not the answer).
GROUPS = {"curves": ("BLUE", "SKY_BLUE", "VERMILLION", "GREEN", "DARK_GREY"),
          "answers": ("CORRECT", "WRONG", "GREY")}
_SRGB_TO_XYZ = np.array([[0.4124564, 0.3575761, 0.1804375],
                         [0.2126729, 0.7151522, 0.0721750],
                         [0.0193339, 0.1191920, 0.9503041]])
_D65 = np.array([0.95047, 1.0, 1.08883])


def hex_to_rgb(colour: str) -> np.ndarray:
    """``"#RRGGBB"`` -> ``(3,)`` sRGB in 0..1."""
    colour = colour.lstrip("#")
    return np.array([int(colour[i:i + 2], 16) for i in (0, 2, 4)], dtype=np.float64) / 255.0


def to_linear(srgb: np.ndarray) -> np.ndarray:
    return np.where(srgb <= 0.04045, srgb / 12.92, ((srgb + 0.055) / 1.055) ** 2.4)


def to_srgb(linear: np.ndarray) -> np.ndarray:
    linear = np.clip(linear, 0.0, 1.0)
    return np.where(linear <= 0.0031308, 12.92 * linear, 1.055 * linear ** (1 / 2.4) - 0.055)


def simulate(srgb: np.ndarray, vision: str) -> np.ndarray:
    """``(..., 3)`` sRGB as seen with ``vision`` (a key of ``SIMULATIONS``)."""
    return to_srgb(to_linear(srgb) @ SIMULATIONS[vision].T)


def to_lab(srgb: np.ndarray) -> np.ndarray:
    """``(..., 3)`` sRGB -> CIELAB (D65)."""
    xyz = to_linear(srgb) @ _SRGB_TO_XYZ.T / _D65
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.stack([116 * f[..., 1] - 16, 500 * (f[..., 0] - f[..., 1]), 200 * (f[..., 1] - f[..., 2])], axis=-1)


def delta_e76(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.linalg.norm(to_lab(a) - to_lab(b)))


def contrast_ratio(a: str, b: str) -> float:
    """WCAG 2.x contrast ratio of two ``"#RRGGBB"`` colours (1..21)."""
    weights = np.array([0.2126, 0.7152, 0.0722])
    la, lb = sorted((float(to_linear(hex_to_rgb(c)) @ weights) for c in (a, b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def min_distance(colours: dict[str, str], vision: str) -> tuple[float, str, str]:
    """Smallest ΔE*ab between two *different* colours of ``colours`` (role -> hex) seen with
    ``vision``, and the two roles. Roles that share a colour on purpose (BLUE and CORRECT) are one."""
    by_colour: dict[str, str] = {}
    for role, colour in colours.items():
        by_colour.setdefault(colour.upper(), role)
    best = (np.inf, "", "")
    for (ca, ra), (cb, rb) in itertools.combinations(by_colour.items(), 2):
        d = delta_e76(simulate(hex_to_rgb(ca), vision), simulate(hex_to_rgb(cb), vision))
        best = min(best, (d, ra, rb))
    return best


def report() -> dict[str, dict[str, float]]:
    """``{theme: {"normal": ΔE, "deuteranopia": ΔE, "protanopia": ΔE, "text": ratio, "grey": ratio,
    "accent": ratio}}``, printed as a table."""
    from mnist_viz.gui.themes import THEMES

    results = {}
    for name, theme in THEMES.items():
        row = {}
        for vision in SIMULATIONS:
            d, ra, rb = min(min_distance({role: theme.colour(role) for role in roles}, vision)
                            for roles in GROUPS.values())
            row[vision] = d
            print(f"{theme.title:14s} {vision:13s} min ΔE76 {d:5.1f}  ({ra} vs {rb})")
        bg = theme.colour("BACKGROUND")
        row["text"] = contrast_ratio(theme.colour("FOREGROUND"), bg)
        row["grey"] = contrast_ratio(theme.colour("DARK_GREY"), bg)
        row["accent"] = contrast_ratio(theme.colour("ACCENT"), bg)
        print(f"{theme.title:14s} contrast on background: text {row['text']:.1f}:1, grey text {row['grey']:.1f}:1, "
              f"headings {row['accent']:.1f}:1")
        results[name] = row
    return results


if __name__ == "__main__":
    report()
