"""Class names as the panels write them: the full name where there is room, a short one on tight axes.

MNIST's classes are the digits ``"0"`` .. ``"9"``, which fit anywhere. Other datasets name their
classes (Fashion-MNIST: ``"T-shirt/top"``, ``"Ankle boot"``, ...): ten of those do not fit under ten
narrow bars or along a confusion matrix's top edge, so those places write a short form
(``short_names``) and say the full names in a tooltip (``names_key``).
"""
from __future__ import annotations

from collections.abc import Callable, Sequence

from mnist_viz.core.data import DIGIT_NAMES

__all__ = ["DIGIT_NAMES", "are_digits", "fitting_names", "names_key", "short_name", "short_names"]

FIT_LIMITS = (40, 11, 8, 6, 5, 4, 3)  # characters tried, longest first, when names must fit a width


def are_digits(names: Sequence[str]) -> bool:
    """Whether ``names`` are the digits 0-9 (MNIST's classes, named by their labels)."""
    return tuple(names) == DIGIT_NAMES


def short_name(name: str, limit: int) -> str:
    """``name`` in at most ``limit`` characters: as it is when it fits, else its first part (before a
    "/" or a space: "T-shirt/top" -> "T-shirt", "Ankle boot" -> "Ankle"), else cut with a full stop
    ("Pullover" -> "Pull." at 5)."""
    if len(name) <= limit:
        return name
    first = name.replace("/", " ").split()[0]
    if len(first) <= limit:
        return first
    return name[: max(1, limit - 1)] + "."


def short_names(names: Sequence[str], limit: int) -> list[str]:
    """``short_name`` of each name; where two would read the same, each keeps its label number
    instead ("3", "7"), so that no two classes ever look alike."""
    short = [short_name(name, limit) for name in names]
    return [text if short.count(text) == 1 else str(k) for k, text in enumerate(short)]


def names_key(names: Sequence[str]) -> str:
    """``"0 T-shirt/top · 1 Trouser · …"``: which label is which class, for a tooltip ("" for digits)."""
    if are_digits(names):
        return ""
    return " · ".join(f"{k} {name}" for k, name in enumerate(names))


def fitting_names(names: Sequence[str], room: float, width: Callable[[str], float]) -> list[str]:
    """The longest short forms of ``names`` (``short_names`` at ``FIT_LIMITS``) that are each at most
    ``room`` wide as ``width(text)`` measures them (pixels, in the font they are written in); when
    not even three letters fit, the label numbers "0" .. "9" (the tooltip says which is which)."""
    if are_digits(names):
        return list(names)
    for limit in FIT_LIMITS:
        texts = short_names(names, limit)
        if max(width(text) for text in texts) <= room:
            return texts
    return [str(k) for k in range(len(names))]
