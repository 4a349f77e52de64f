"""CurvesPanel: training loss and accuracy as training goes, with labelled markers where a knob
was turned (``lr 0.001 → 1``), so the room sees cause and effect on one time axis.

What the panel promises the room (each is tested in tests/gui/test_curves_truth.py):

- Marker labels sit in lanes in a band reserved at the top of the loss plot (the loss axis leaves
  room for it), so they never overlap each other, never clip at the plot's edge and never cover a
  curve. Markers too close to tell apart share one label (``lr 0.1 → 1 (3 changes)``); a label
  that fits nowhere is shortened (``lr ×9``) or left to the tooltip of its line.
- The smoothed training curves average over a horizon of training *images*, not of steps, so a
  batch of 1 and a batch of 512 smooth alike; the average is bias-corrected (as Adam's moments),
  so its first values are the first batches' own, not dragged towards chance by a start value.
- The accuracy plot shows the last percent: either % correct on an axis fitted to the newer half
  of the run, or the error rate (% wrong) on a log axis.
- ``set_cursor(step)`` marks the moment the other panels show while the timeline is scrubbed back.
"""
from __future__ import annotations

import math
import re
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from mnist_viz.core.i18n import N_, format_int, tr
from mnist_viz.core.snapshot import STEP_COLUMNS, DecimatingSeries, Marker, Snapshot
from mnist_viz.core.trainer import restored_step
from mnist_viz.core.watchdog import MARKER_LABELS
from mnist_viz.gui import style
from mnist_viz.gui.live_curve import LiveCurve

# Our own per-step buffer: the snapshot's columns plus the smoothed loss and accuracy, computed
# on the raw rows before any decimation so the smoothing does not depend on the buffer's stride.
CURVE_COLUMNS = (*STEP_COLUMNS, "loss_smooth", "accuracy_smooth")
EVAL_CURVE_COLUMNS = ("step", "epoch", "samples", "eval_loss", "eval_accuracy")
# name -> (column, axis title, the x choice's item); titles and items are translated where shown.
X_AXES = {"epochs": ("epoch", N_("epochs"), N_("epochs")),
          "samples": ("samples", N_("training images seen"), N_("samples"))}
LOSS_FLOOR = 1e-6  # a cross-entropy of exactly 0 would be -inf on the log axis
TROUBLE_LABELS = frozenset(MARKER_LABELS.values())
Y_RANGE_SLACK = 0.05  # decades the loss axis may be off before it is re-set (each change re-lays out the axis)

# Smoothing: an exponential average whose time constant is this many training images (~the last
# 5,000 images weigh most): 39 steps at batch 128, 5,000 at batch 1, 10 at batch 512.
SMOOTHING_SAMPLES = 5_000
MAX_DECAY_EXPONENT = 30.0  # see bias_corrected_ema: e^30 ~ 1e13 keeps the partial sums exact enough

# The accuracy plot's two views: the y axis' title and what a curve's y value is.
ACCURACY_VIEWS = {"accuracy": N_("Accuracy (% correct)"), "error": N_("Error rate (% wrong, log scale)")}
MIN_ACCURACY_SPAN = 2.0  # points of accuracy: a narrower axis would turn test-set noise (~0.15) into drama
RECENT_FRACTION = 0.5  # the % correct axis fits the newer half of the run: the climb from chance leaves below
ERROR_FLOOR = 0.01  # % wrong drawn for a perfect score (0 is -inf on a log axis); 1 of 10,000 test images

# Marker labels, in pixels of the loss plot.
MERGE_PX = 10  # markers closer than this share one label: their lines look like one anyway
LABEL_PAD_PX = 3  # between a line and its label, and between neighbouring labels
LABEL_MARGIN_PX = 3  # text to the label's frame
MAX_LANES = 3
MAX_BAND_FRACTION = 0.35  # of the loss plot's height at most go to labels; the rest is the curves'
KNOB_CHANGE = re.compile(r"(?P<knob>\S+) (?P<old>.+?) → (?P<new>.+)")  # "lr 0.001 → 0.1", from Trainer.update


def exponential_moving_average(values: np.ndarray, alpha: float, previous: float = math.nan) -> np.ndarray:
    """``ema[t] = (1 - alpha) * ema[t-1] + alpha * values[t]``, starting from ``previous`` (or from
    ``values[0]`` when ``previous`` is nan). ``values: (n,)``; returns ``(n,) float64``.

    Vectorised in chunks (closed form with powers of ``1 - alpha``) because a snapshot can carry
    thousands of rows after a pause; the chunking keeps the powers far from under/overflow.
    (The panel itself smooths with ``bias_corrected_ema``.)
    """
    values = np.asarray(values, dtype=np.float64)
    out = np.empty_like(values)
    if values.size == 0:
        return out
    beta = 1.0 - alpha
    prev = values[0] if math.isnan(previous) else previous
    chunk = 128
    t = np.arange(chunk, dtype=np.float64)
    decay = beta ** t  # beta^t
    inverse = beta ** -t  # beta^-t: at most beta^-127, ~50 for alpha = 0.03
    for start in range(0, values.size, chunk):
        x = values[start:start + chunk]
        m = x.size
        # ema[t] = beta^(t+1) * prev + alpha * beta^t * sum_{j<=t} beta^-j x[j]
        out[start:start + m] = beta * decay[:m] * prev + alpha * decay[:m] * np.cumsum(x * inverse[:m])
        prev = out[start + m - 1]
    return out


def batch_sizes(samples: np.ndarray, steps: np.ndarray, previous_samples: float = math.nan) -> np.ndarray:
    """Training images each row stands for, ``(n,) float64``, from the rows' ``samples`` and
    ``steps`` columns ``(n,)``: the growth of ``samples`` since the previous row (``previous_samples``
    before the first; a row the buffer averaged over several steps counts all their images). Where
    that is unknown (first row, after a restore) the run's mean batch ``samples / steps``; else 1."""
    samples = np.asarray(samples, dtype=np.float64)
    steps = np.asarray(steps, dtype=np.float64)
    grown = np.diff(samples, prepend=previous_samples)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean_batch = np.where(steps > 0, samples / steps, math.nan)
    sizes = np.where(grown > 0, grown, mean_batch)
    return np.where(sizes > 0, sizes, 1.0)  # nan > 0 is False


def smoothing_alphas(images: np.ndarray, horizon: float = SMOOTHING_SAMPLES) -> np.ndarray:
    """Per-row weight ``alpha (n,)`` of an exponential average over ``horizon`` training images, for
    rows of ``images (n,)`` images each: ``1 - exp(-images / horizon)``. The old value's weight after
    rows of ``b1, b2, ...`` images is then ``exp(-(b1 + b2 + ...) / horizon)``: it depends only on
    the images seen, so 8 steps of batch 32 forget exactly as much as 1 step of batch 256."""
    return -np.expm1(-np.asarray(images, dtype=np.float64) / horizon)


def bias_corrected_ema(values: np.ndarray, alphas: np.ndarray, state: np.ndarray | None = None
                       ) -> tuple[np.ndarray, np.ndarray]:
    """Exponential averages of the columns of ``values (n, k)`` with per-row weights ``alphas (n,)``,
    bias-corrected as Adam's moments: ``m[t] = (1 - a[t]) m[t-1] + a[t] x[t]`` and
    ``w[t] = (1 - a[t]) w[t-1] + a[t]`` from ``m = w = 0``; the average is ``m / w`` (for a constant
    ``a``, ``w = 1 - (1 - a)^t``). So row 0's average is ``x[0]`` itself and the early rows are
    averaged evenly, instead of a start value weighing as if it had been seen forever.

    ``state (k + 1,)`` is ``(m..., w)`` after the previous call (``None``: a fresh start). Returns
    ``(averages (n, k) float64, state (k + 1,))``. Vectorised: in chunks over which the decay stays
    under ``e^MAX_DECAY_EXPONENT``, each a closed form with cumulative sums.
    """
    values = np.asarray(values, dtype=np.float64)
    n, k = values.shape
    state = np.zeros(k + 1) if state is None else np.asarray(state, dtype=np.float64).copy()
    out = np.empty((n, k))
    if n == 0:
        return out, state
    alphas = np.asarray(alphas, dtype=np.float64)
    # Decay of each row as an exponent, capped: a row that forgets by more than e^-30 forgets all.
    decay = np.minimum(-np.log1p(-np.minimum(alphas, 1.0)), MAX_DECAY_EXPONENT)
    alphas = -np.expm1(-decay)
    total = np.cumsum(decay)
    weighted = np.column_stack([values * alphas[:, None], alphas])  # (n, k + 1): the last column builds w
    start = 0
    while start < n:
        base = total[start - 1] if start else 0.0
        end = max(start + 1, int(np.searchsorted(total, base + MAX_DECAY_EXPONENT, side="right")))
        c = total[start:end] - base  # decay from the chunk's start to each row, in [0, 30]
        # m[t] = e^-c[t] (m_prev + sum_{j<=t} e^c[j] a[j] x[j])
        sums = state + np.cumsum(weighted[start:end] * np.exp(c)[:, None], axis=0)
        chunk = sums * np.exp(-c)[:, None]
        out[start:end] = chunk[:, :k] / chunk[:, k:]
        state = chunk[-1]
        start = end
    return out, state


def merged_marker_label(labels: Sequence[str]) -> str:
    """One label for markers too close to tell apart: each knob from its first old value to its last
    new value, in order, and how many markers there were.
    ``["lr 0.1 → 0.3", "lr 0.3 → 0.5", "lr 0.5 → 1"]`` gives ``"lr 0.1 → 1 (3 changes)"``. A knob
    that ends where it began keeps the value it went furthest to, ``"lr 0.001 → 5 → 0.001"``: a too
    high learning rate and its recovery must not read as no change."""
    parts: dict[str, tuple[str, str, list[str]]] = {}  # knob (or whole label) -> (knob, old, new values)
    knob_changes = 0
    for label in labels:
        change = KNOB_CHANGE.fullmatch(label)
        if change is None:
            parts.setdefault(label, (label, "", []))
            continue
        knob_changes += 1
        parts.setdefault(change["knob"], (change["knob"], change["old"], []))[2].append(change["new"])
    text = ", ".join(_knob_path(*part) for part in parts.values())
    if len(labels) <= 1:
        return text
    template = tr("{text} ({count} changes)") if knob_changes == len(labels) else tr("{text} ({count} events)")
    return template.format(text=text, count=len(labels))


def _knob_path(knob: str, old: str, news: list[str]) -> str:
    """``"lr 0.1 → 1"``, or with the furthest value between when the knob came back to ``old``;
    a label that is no knob change (``news`` empty) as it is."""
    if not news:
        return knob
    if len(news) > 1 and news[-1] == old:
        return f"{knob} {old} → {max(news[:-1], key=lambda value: _distance(old, value))} → {old}"
    return f"{knob} {old} → {news[-1]}"


def _distance(old: str, new: str) -> float:
    """How far ``new`` is from ``old``: the log ratio of two positive numbers, the difference of two
    others, 0 for what is no number (then the first value between wins)."""
    try:
        a, b = float(old.replace(",", "")), float(new.replace(",", ""))
    except ValueError:
        return 0.0
    return abs(math.log(b / a)) if a > 0 and b > 0 else abs(b - a)


def short_marker_label(labels: Sequence[str]) -> str:
    """What a label is shortened to when the whole one fits nowhere: the first word (the knob) and
    the count, ``"lr ×9"``; the knobs, ``"batch_size, hidden"``, when they are of different kinds."""
    words = list(dict.fromkeys(label.split(" ", 1)[0] for label in labels))
    if len(words) == 1:
        return words[0] if len(labels) == 1 else f"{words[0]} ×{len(labels)}"
    return ", ".join(words) if len(words) == len(labels) else f"{', '.join(words)} ({len(labels)})"


@dataclass
class LabelPlace:
    """Where one label goes: markers ``members`` (indices into the markers given), its ``text``,
    ``lane`` (0 = top) and ``left`` edge / ``width`` in pixels; ``lane`` is ``None`` when it fits
    nowhere. ``side`` says how it hangs on its lines: ``"right"`` of them, ``"left"`` of them, or
    ``"over"`` them (wider than the room on either side)."""

    members: tuple[int, ...]
    text: str
    lane: int | None
    left: float
    width: float
    side: str = "right"


def place_marker_labels(xs: Sequence[float], labels: Sequence[str], width: float, lanes: int,
                        measure: Callable[[str], float]) -> list[LabelPlace]:
    """Lay out labels for markers at pixel positions ``xs`` in a plot ``width`` pixels wide with
    ``lanes`` rows of labels. ``measure(text)`` is a label's width in pixels (frame included).

    Markers less than ``MERGE_PX`` from the first of a group share its label (``merged_marker_label``).
    Groups are placed in x order, each right of its lines, else left of them, in the top-most lane
    where it overlaps no other label (``LABEL_PAD_PX`` apart) and stays inside ``[0, width]``; else
    shortened (``short_marker_label``); else over its lines if wider than the room beside them. A
    group that still finds no room shortens the whole labels in its way and tries again; failing
    that it has no label (``lane=None``).
    """
    order = sorted(range(len(xs)), key=lambda i: xs[i])
    groups: list[list[int]] = []
    for i in order:
        if groups and xs[i] - xs[groups[-1][0]] <= MERGE_PX:
            groups[-1].append(i)
        else:
            groups.append([i])
    placed: list[LabelPlace] = []
    short: dict[int, str] = {}  # id of a placed whole label -> its short text

    def ends(members: Sequence[int]) -> tuple[float, float]:
        return xs[members[0]], xs[members[-1]]

    def left_for(side: str, members: Sequence[int], w: float) -> float:
        first, last = ends(members)
        return {"right": last + LABEL_PAD_PX, "left": first - LABEL_PAD_PX - w,
                "over": min(max(last + LABEL_PAD_PX, 0.0), width - w)}[side]

    def free(lane: int, left: float, w: float) -> bool:
        return all(left + w + LABEL_PAD_PX <= p.left or p.left + p.width + LABEL_PAD_PX <= left
                   for p in placed if p.lane == lane)

    def attempt(members: tuple[int, ...], texts: list[str]) -> LabelPlace | None:
        for sides in (("right", "left"), ("over",)):
            for text in texts:
                w = measure(text)
                if w > width:
                    continue
                for lane in range(lanes):
                    for side in sides:
                        left = left_for(side, members, w)
                        if 0 <= left <= width - w and free(lane, left, w):
                            return LabelPlace(members, text, lane, left, w, side)
        return None

    def shorten_in_the_way(members: tuple[int, ...], w: float) -> bool:
        first, last = ends(members)
        reach = (first - 2 * LABEL_PAD_PX - w, last + 2 * LABEL_PAD_PX + w)
        changed = False
        for p in placed:
            if id(p) in short and p.left < reach[1] and reach[0] < p.left + p.width:
                p.text = short.pop(id(p))
                p.width = measure(p.text)
                p.left = left_for(p.side, p.members, p.width)  # narrower: still inside, overlapping nothing
                changed = True
        return changed

    places = []
    for members in map(tuple, groups):
        group_labels = [labels[i] for i in members]
        texts = list(dict.fromkeys([merged_marker_label(group_labels), short_marker_label(group_labels)]))
        place = attempt(members, texts)
        if place is None and shorten_in_the_way(members, measure(texts[-1])):
            place = attempt(members, texts[-1:])
        if place is None:
            place = LabelPlace(members, texts[0], None, 0.0, 0.0)
        else:
            placed.append(place)
            if place.text != texts[-1]:
                short[id(place)] = texts[-1]
        places.append(place)
    return places


def accuracy_tick_step(span: float) -> float:
    """A 1-2-5 step giving at most ~5 labelled ticks over ``span`` points of accuracy."""
    scale = 10.0 ** math.floor(math.log10(span / 5))
    return next(m * scale for m in (1, 2, 5, 10) if m * scale >= span / 5 * (1 - 1e-12))


def accuracy_span(lowest: float, current: float) -> float:
    """Points of accuracy the % correct axis spans, below 100, to show ``lowest`` (%): a round span
    (``style.nice_ceiling``) with a quarter of room to spare, at least ``MIN_ACCURACY_SPAN``, at most
    100. It keeps ``current`` until that no longer holds the data or is more than twice what is
    needed, so the axis re-scales a handful of times per run, not with every wobble."""
    needed = min(100.0, max(MIN_ACCURACY_SPAN, style.nice_ceiling(1.25 * (100.0 - lowest))))
    return current if needed <= current < 2 * needed else needed


def _key_html() -> str:
    """The legend as one line of text, each entry in its curve's colour. It sits above the plots:
    a legend box inside a plot always ends up over some curve."""
    key = [(style.BLUE, "━━", tr("training (smoothed)")), (style.SKY_BLUE, "━━", tr("each batch")),
           (style.VERMILLION, "●", tr("test / validation"))]
    return "&nbsp;&nbsp;&nbsp;".join(f"<span style='color:{colour}; font-weight:bold'>{glyph}</span>&nbsp;{text}"
                                     for colour, glyph, text in key)


def log_ticks(low: float, high: float, px_per_decade: float) -> list[list[tuple[float, str]]]:
    """Ticks for a log10 axis showing ``10**low .. 10**high``: as many of 1-2-5 per decade as fit
    ``MIN_TICK_SPACING_PX`` apart, or every n-th power of ten when even one per decade is too many.
    Returns pyqtgraph's ``[major [(log10 value, label)], minor [(log10 value, "")]]``.

    (pyqtgraph's own log ticks label every minor tick when less than a decade is shown, and pile
    labels on top of each other when a blow-up stretches the axis over 30 decades.)
    """
    labelled = (1,)
    for mantissas in ((1, 2, 5), (1, 3)):  # densest first
        # The closest labelled pair: 2 -> 5 (0.4 decade) or 1 -> 3 (0.48 decade).
        if min(np.diff(np.log10([*mantissas, 10]))) * px_per_decade >= MIN_TICK_SPACING_PX:
            labelled = mantissas
            break
    decade_step = max(1, math.ceil(MIN_TICK_SPACING_PX / max(px_per_decade, 1e-9)))
    major, minor = [], []
    for exponent in range(math.floor(low) - 1, math.ceil(high) + 1):
        if exponent % decade_step:
            continue
        for mantissa in range(1, 10) if decade_step == 1 else (1,):
            value = mantissa * 10.0 ** exponent
            if mantissa in labelled:
                major.append((math.log10(value), f"{value:g}"))
            else:
                minor.append((math.log10(value), ""))
    return [major, minor]


MIN_TICK_SPACING_PX = 28  # closer labels run into each other at TICK_PT


def _finite_rows(rows: np.ndarray) -> np.ndarray:
    """``rows (k, c)`` as float64 without the rows holding NaN/inf: one infinite loss would make
    the moving average infinite for good and the log axis meaningless."""
    rows = np.asarray(rows, dtype=np.float64)
    if len(rows) == 0:
        return rows
    keep = np.isfinite(rows).all(axis=1)
    return rows if keep.all() else rows[keep]



def decimate_for_display(x: np.ndarray, y: np.ndarray, max_points: int, peaks: bool = False
                         ) -> tuple[np.ndarray, np.ndarray]:
    """At most ~``max_points`` of ``(x, y)`` (x increasing) for drawing; the arrays themselves when
    they already fit. ``peaks``: each bin of rows becomes its min and max (keeps the envelope of a
    noisy curve, as pyqtgraph's "peak" downsampling); else the first row of each bin (for smooth
    curves). The last row is always kept, so the line reaches the newest point.

    pyqtgraph's own auto-downsampling only starts at 5 points per pixel and its "peak" method then
    keeps 2 per bin, so a full buffer of 10k points went to the painter every frame."""
    return decimate_by_stride(x, y, _rows_per_bin(len(x), max_points, peaks), peaks)


def display_stride(n: int, max_points: int, peaks: bool = False) -> int:
    """Rows per bin for drawing ``n`` rows in at most ~``max_points`` points, as a power of two: it
    changes only when the series doubles, so the bins already drawn stay as they are (``LiveCurve``
    keeps them as pixels). 1: every row."""
    return 1 << (_rows_per_bin(n, max_points, peaks) - 1).bit_length()


def _rows_per_bin(n: int, max_points: int, peaks: bool) -> int:
    """The fewest rows per bin that draw ``n`` rows in at most ~``max_points`` points (2 per bin for
    ``peaks``, and the newest row on its own); 1 when they fit as they are."""
    if n <= max_points or max_points < 4:
        return 1
    bins = max_points // 2 if peaks else max_points - 1
    return -(-(n - 1) // bins)


def decimate_by_stride(x: np.ndarray, y: np.ndarray, stride: int, peaks: bool = False
                       ) -> tuple[np.ndarray, np.ndarray]:
    """``(x, y)`` through bins of ``stride`` rows counted from the first row (``decimate_for_display``
    for ``peaks``), then the rows after the last whole bin, the newest among them: a stretch that
    starts on a multiple of ``stride`` is drawn through the same points as inside the whole."""
    n = len(x)
    if stride <= 1 or n <= 2:
        return x, y
    full = ((n - 1) // stride) * stride
    starts = x[:full:stride]
    if peaks:
        block = y[:full].reshape(-1, stride)
        xs = np.repeat(starts, 2)
        ys = np.empty(2 * len(starts), dtype=y.dtype)
        ys[0::2], ys[1::2] = block.min(axis=1), block.max(axis=1)
    else:
        xs, ys = starts, y[:full:stride]
    # The few rows after the last whole bin, and the newest row.
    return np.concatenate([xs, x[full:]]), np.concatenate([ys, y[full:]])


def thin_by_arc_length(x: np.ndarray, y: np.ndarray, x_scale: float, y_scale: float, step_px: float) -> np.ndarray:
    """Indices ``(k,)`` of the points of the polyline ``(x, y)`` (each ``(n,)``) to draw so that
    consecutive drawn points lie about ``step_px`` apart along it on screen (``x_scale``, ``y_scale``:
    pixels per data unit); the first and the last point are always kept.

    Spaced by length on screen, not by x: the steep fall of the loss in the first epoch keeps as many
    points per pixel of line as the flat tail. A chord of length L across a bend of radius r strays
    L² / 8r from the curve: 0.1 px for 3-px chords round a 10-px bend; a wiggle narrower than a chord
    is cut by up to about half a chord."""
    n = len(x)
    if n <= 2 or not (step_px > 0 and math.isfinite(x_scale * y_scale) and x_scale > 0 and y_scale > 0):
        return np.arange(n)
    along = np.empty(n)
    along[0] = 0.0
    np.cumsum(np.hypot(np.diff(x) * x_scale, np.diff(y) * y_scale), out=along[1:])
    step = np.floor(along / step_px)
    keep = np.flatnonzero(np.diff(step, prepend=-1.0) > 0)  # the first point of each step_px of line
    return keep if keep[-1] == n - 1 else np.append(keep, n - 1)


def smoothed_rows(rows: np.ndarray, restarts: Sequence[int], state: np.ndarray | None, last_samples: float,
                  horizon: float) -> tuple[np.ndarray, np.ndarray | None, float]:
    """``rows (k, 5)`` (``STEP_COLUMNS``) with the floored loss and their smoothed loss and accuracy
    appended: ``(k, len(CURVE_COLUMNS))``, by ``bias_corrected_ema`` over ``horizon`` images, carrying
    on from ``state`` and ``last_samples`` (the previous call's; ``None``/nan: a fresh start).
    Returns ``(rows, state, last_samples)``. The smoothing starts again after each step in
    ``restarts`` (a restore): averaging the restored run with the blow-up before it kept the smoothed
    loss at 1e20-1e30 for thousands of steps."""
    cuts = np.searchsorted(rows[:, 0], sorted(restarts), side="right")
    parts = []
    for part_index, part in enumerate(np.split(rows, cuts)):
        if part_index:
            state, last_samples = None, math.nan
        if len(part):
            loss = np.maximum(part[:, 3], LOSS_FLOOR)
            images = batch_sizes(part[:, 2], part[:, 0], last_samples)
            alphas = smoothing_alphas(images, horizon)
            smooth, state = bias_corrected_ema(np.column_stack([loss, part[:, 4]]), alphas, state)
            last_samples = float(part[-1, 2])
            parts.append(np.column_stack([part[:, :3], loss, part[:, 4], smooth]))
    out = np.concatenate(parts) if parts else np.zeros((0, len(CURVE_COLUMNS)))
    return out, state, last_samples


class RunTrace:
    """The curves of a second run (a comparison's run B), built from its successive snapshots as
    the panel builds its own: ``steps`` holds ``CURVE_COLUMNS`` (smoothed as the panel's),
    ``evals`` holds ``EVAL_CURVE_COLUMNS``, ``markers`` the newest ``max_markers`` markers."""

    def __init__(self, horizon: float = SMOOTHING_SAMPLES, capacity: int = 10_000, max_markers: int = 50):
        self.horizon = float(horizon)
        self.steps = DecimatingSeries(CURVE_COLUMNS, capacity)
        self.evals = DecimatingSeries(EVAL_CURVE_COLUMNS, 4_000)
        self.markers: deque[Marker] = deque(maxlen=max_markers)
        self._state: np.ndarray | None = None
        self._last_samples = math.nan
        self.newest = np.zeros((0, len(CURVE_COLUMNS)))  # the rows the last ``add`` appended

    def add(self, snap: Snapshot) -> tuple[bool, bool, bool]:
        """Take ``snap``'s new rows and markers; returns whether steps, evaluations, markers came."""
        steps = _finite_rows(snap.new_steps)
        restarts = [m.step for m in snap.new_markers if restored_step(m.label) is not None]
        if len(steps):
            rows, self._state, self._last_samples = smoothed_rows(steps, restarts, self._state, self._last_samples,
                                                                  self.horizon)
            self.steps.extend(rows)
            self.newest = rows
        elif restarts:
            self._state, self._last_samples = None, math.nan
        evals = _finite_rows(snap.new_evals)
        if len(evals):
            self.evals.extend(evals[:, :len(EVAL_CURVE_COLUMNS)])
        self.markers.extend(snap.new_markers)
        return bool(len(steps)), bool(len(evals)), bool(snap.new_markers)


@dataclass(frozen=True)
class Ghost:
    """The previous run's curves, kept after a Reset: ``steps (n, len(CURVE_COLUMNS))`` and
    ``evals (m, len(EVAL_CURVE_COLUMNS))`` rows as the panel held them."""

    steps: np.ndarray
    evals: np.ndarray


class CurvesPanel(QtWidgets.QWidget):
    """Loss (top, log scale) and accuracy (bottom: % correct or % wrong on a log scale, see
    ``ACCURACY_VIEWS``) against epochs or training images seen.

    Loss: each batch's loss (faint), its moving average (bold), and the evaluation loss (dots).
    Accuracy: moving average of each batch's accuracy, and the evaluation accuracy (dots).
    Memory is bounded by ``DecimatingSeries`` buffers; at most ``MAX_MARKERS`` markers are drawn,
    their labels laid out by ``place_marker_labels`` in a band at the top of the loss plot.

    Signals:
        xAxisChanged(str): "epochs" or "samples", after the user switched the x axis.
    """

    xAxisChanged = QtCore.Signal(str)
    MAX_MARKERS = 50
    STEP_CAPACITY = 10_000  # points per curve: more than a projector has pixels across
    POINTS_PER_PX = 2  # drawn points per pixel of plot width for the step curves (see decimate_for_display)
    # Screen pixels of line between the drawn points of a smoothed curve (thin_by_arc_length). A thick
    # antialiased line's paint grows with its points: 1.9 ms for 1,000, 0.6 ms for 333 (2026-12-03). At
    # 2.5 px every smoothed value still lies under the 4-px pen (1.4-1.7 px off at most where a noisy
    # loss wiggles, against 1.0 for one point per pixel of width; test_curves_truth).
    SMOOTH_STEP_PX = 2.5
    EVAL_PX_PER_POINT = 2  # evaluation dots are 9 px wide: more than one per 2 px only overlap

    def __init__(self, parent: QtWidgets.QWidget | None = None, x_axis: str = "epochs",
                 smoothing_samples: float = SMOOTHING_SAMPLES, accuracy_view: str = "accuracy"):
        super().__init__(parent)
        if x_axis not in X_AXES:
            raise ValueError(f"x_axis must be one of {', '.join(X_AXES)}, got {x_axis!r}")
        if accuracy_view not in ACCURACY_VIEWS:
            raise ValueError(f"accuracy_view must be one of {', '.join(ACCURACY_VIEWS)}, got {accuracy_view!r}")
        self._x_axis = x_axis
        self._accuracy_view = accuracy_view
        self.smoothing_samples = float(smoothing_samples)
        self.steps = DecimatingSeries(CURVE_COLUMNS, self.STEP_CAPACITY)
        self.evals = DecimatingSeries(EVAL_CURVE_COLUMNS, 4_000)
        self._ema_state: np.ndarray | None = None  # (loss, accuracy, weight) sums; None = start afresh
        self._last_samples = math.nan  # samples column of the newest row (batch_sizes reads the growth)
        # Steps undone by a restore, (from, to]: the blow-up they hold does not set the loss axis.
        self._undone: list[tuple[float, float]] = []
        self._loss_range = (math.nan, math.nan, math.nan)  # log10 low, high, band fraction at the last fit
        self._accuracy_range: tuple[float, ...] = ()  # what _fit_accuracy_y set last
        self._markers: deque[tuple[Marker, pg.InfiniteLine, pg.InfiniteLine]] = deque()
        self._markers_visible = True
        self._label_items: list[QtWidgets.QGraphicsRectItem] = []  # pool; the first len(placed) are shown
        self._label_places: list[LabelPlace] = []
        self._band_px = 0.0  # height of the label lanes in use, reserved at the top of the loss plot
        self._loss_ticks_ceiling = math.inf  # log10 loss at the band's bottom edge (no ticks above)
        self._cursor_step: int | None = None
        self._cursor_lines: list[pg.InfiniteLine] = []
        self._log_ticks: dict[int, list] = {}  # ticks now on each log axis, by id of its plot (see log_ticks)
        self._step_budget = 0  # points per step curve at the last redraw (see _on_plot_resized)
        self._second: RunTrace | None = None  # a comparison's run B, drawn over this run (see show_second_snapshot)
        self._second_run = -1  # run_id of run B's snapshots: a new one starts its curves afresh
        self._second_text = ("", "", "", "")  # label A, label B, the difference, notes (see set_second_run)
        self._second_lines: deque[tuple[pg.InfiniteLine, pg.InfiniteLine]] = deque()  # run B's markers
        self._ghost: Ghost | None = None  # the previous run's curves, kept after a Reset
        self._ghost_visible = True
        self._build()

    # ------------------------------------------------------------------ widgets
    def _build(self) -> None:
        self._graphics = style.graphics_widget()
        self._graphics.setMinimumHeight(230)  # two readable plots, whatever the other panels want
        self.loss_plot = self._graphics.addPlot(row=0, col=0)
        self.accuracy_plot = self._graphics.addPlot(row=1, col=0)
        self.accuracy_plot.setXLink(self.loss_plot)
        self._label_font = style.font(style.SMALL_PT)
        self._label_metrics = QtGui.QFontMetricsF(self._label_font)
        self._style_plots()
        # The step lines grow at their end every frame: drawn as a settled picture and a live tail.
        self.loss_raw = LiveCurve(self.loss_plot, self._pen(style.SKY_BLUE, 1, alpha=90), name="each batch")
        self.loss_smooth = LiveCurve(self.loss_plot, self._pen(style.BLUE, 4), name="training (smoothed)")
        self.loss_eval = self._curve(self.loss_plot, style.VERMILLION, 3, symbol=True, name="test / validation")
        self.accuracy_smooth = LiveCurve(self.accuracy_plot, self._pen(style.BLUE, 4), name="training (smoothed)")
        self.accuracy_eval = self._curve(self.accuracy_plot, style.VERMILLION, 3, symbol=True, name="test / validation")
        self._build_second_curves()
        self._apply_accuracy_view()
        # Title and x axis on the first row, the key and the two view toggles on the second: one row
        # for all needed ~440 px, which made the window too wide for a 1024-px projector.
        header = QtWidgets.QHBoxLayout()
        header.setSpacing(4)
        header.addWidget(style.title_label(tr("Learning curves")), 1)
        x_label = QtWidgets.QLabel("x:")
        self._x_choice = QtWidgets.QComboBox()
        for name, (_, _, item) in X_AXES.items():  # the item's data is the name: its text is translated
            self._x_choice.addItem(tr(item), name)
        self._x_choice.setCurrentIndex(self._x_choice.findData(self._x_axis))
        self._x_choice.currentIndexChanged.connect(self._on_x_choice_changed)
        self._error_button = self._header_toggle(
            tr("log error"), self._accuracy_view == "error",
            tr("Accuracy as the error rate (% wrong) on a log axis: each step down is a factor fewer mistakes. "
               "Off: % correct, on an axis fitted to the newer half of the run"))
        self._error_button.toggled.connect(lambda on: self.set_accuracy_view("error" if on else "accuracy"))
        self._markers_button = self._header_toggle(tr("markers"), True,
                                                  tr("Show the lines and labels where a knob was turned"))
        self._markers_button.toggled.connect(self.set_markers_visible)
        self._ghost_button = self._header_toggle(
            tr("ghost"), True, tr("After a Reset, the previous run's smoothed training loss and test accuracy stay "
                                  "as a faint grey line to compare against"))
        self._ghost_button.toggled.connect(self.set_ghost_visible)
        for widget in (x_label, self._x_choice):
            widget.setFont(style.font(style.SMALL_PT + 1))
            widget.setToolTip(tr("What the x axis counts: epochs, or training images seen"))
        for widget in (x_label, self._x_choice):
            header.addWidget(widget)
        header.addWidget(self._ghost_button)  # the key row below is as wide as a 1024-px window allows
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(2)
        key = self._key = QtWidgets.QLabel()
        key.setFont(style.font(style.SMALL_PT + 1))
        key.setWordWrap(True)
        self._set_key_texts()
        key_row = QtWidgets.QHBoxLayout()
        key_row.setSpacing(4)
        key_row.addWidget(key, 1)
        key_row.addWidget(self._error_button, 0, QtCore.Qt.AlignmentFlag.AlignTop)
        key_row.addWidget(self._markers_button, 0, QtCore.Qt.AlignmentFlag.AlignTop)
        # A second line of the key, shown only while there is a second run or a ghost to name.
        self._runs_key = QtWidgets.QLabel()
        self._runs_key.setFont(style.font(style.SMALL_PT + 1))
        self._runs_key.setWordWrap(True)
        self._runs_key.hide()
        layout.addLayout(header)
        layout.addLayout(key_row)
        layout.addWidget(self._runs_key)
        layout.addWidget(self._graphics, 1)

    def _set_key_texts(self) -> None:
        """The key's line and its tooltip: HTML and a number, which the language switch cannot map
        back to a msgid (see ``refresh_texts``)."""
        self._key.setText(_key_html())
        # What "smoothed" means, for whoever asks (the legend itself must fit one line at 1280 px).
        self._key.setToolTip(tr("Training (smoothed): the average over about the last {images} training images, "
                                "whatever the batch size; from the first batch on, with no start value dragging it "
                                "down").format(images=format_int(SMOOTHING_SAMPLES)))

    def refresh_texts(self) -> None:
        """After a language switch: the texts built from HTML, numbers or marker labels, which
        ``retranslate`` cannot switch (the key, the runs key, the markers' tooltips and labels,
        the cursor's tooltip)."""
        self._set_key_texts()
        self._update_runs_key()
        for marker, *lines in self._markers:
            for line in lines:
                line.setToolTip(self._marker_tip(marker))
        if self._second is not None:
            for marker, lines in zip(list(self._second.markers)[-len(self._second_lines):], self._second_lines):
                for line in lines:
                    line.setToolTip(self._second_marker_tip(marker))
        if self._cursor_lines:
            self._place_cursor()
        self._lay_out_labels()

    @staticmethod
    def _header_toggle(text: str, checked: bool, tip: str) -> QtWidgets.QToolButton:
        button = QtWidgets.QToolButton()
        button.setText(text)
        button.setCheckable(True)
        button.setChecked(checked)
        button.setFont(style.font(style.SMALL_PT + 1))
        button.setToolTip(tip)
        return button

    def _style_plots(self) -> None:
        x_label = tr(X_AXES[self._x_axis][1])
        # The plots share the x axis: its numbers and name under the lower one are enough (the grid
        # lines above line up with them), and on a 720-pixel-high projector the room goes to the curve.
        # What each y axis measures is in the plot's title: a rotated axis label longer than a short
        # plot ran into the next plot's.
        for plot, title, bottom in ((self.loss_plot, tr("Loss (cross-entropy)"), None),
                                    (self.accuracy_plot, tr(ACCURACY_VIEWS[self._accuracy_view]), x_label)):
            plot.setTitle(title, size=f"{style.LABEL_PT}pt", bold=True, color=style.FOREGROUND)
            style.style_plot(plot, bottom=bottom)
            plot.setMouseEnabled(x=False, y=False)  # a stray drag must not freeze the auto-range
            plot.hideButtons()
            plot.getAxis("bottom").enableAutoSIPrefix(self._x_axis == "samples")
        self.loss_plot.getAxis("bottom").setStyle(showValues=False)
        # Log scale: the loss falls by orders of magnitude, and a blow-up stays on screen.
        self.loss_plot.setLogMode(y=True)
        self.loss_plot.enableAutoRange(y=False)  # see _fit_loss_y: a blow-up that was undone must not set the scale
        loss_view = self.loss_plot.getViewBox()
        loss_view.sigYRangeChanged.connect(self._on_loss_range_changed)
        loss_view.sigResized.connect(self._on_loss_range_changed)
        loss_view.sigResized.connect(self._on_plot_resized)
        # The marker labels are laid out in pixels: again whenever pixels and x values map anew.
        loss_view.sigResized.connect(self._lay_out_labels)
        loss_view.sigXRangeChanged.connect(self._lay_out_labels)
        accuracy_view = self.accuracy_plot.getViewBox()
        accuracy_view.sigYRangeChanged.connect(self._on_accuracy_range_changed)
        accuracy_view.sigResized.connect(self._on_accuracy_range_changed)
        for plot in (self.loss_plot, self.accuracy_plot):
            plot.getAxis("left").enableAutoSIPrefix(False)  # "(x1e+30)" on a log axis misleads
            # The x range is set by _fit_x, in round steps: auto-ranging x on every frame re-lays out
            # the axes and paints the plots twice per frame (measured: 18-25 ms of a ~30 ms frame).
            plot.enableAutoRange(x=False, y=False)
        self._x_limit = 0.0
        self._on_loss_range_changed()
        style.cache_axes(self.loss_plot, self.accuracy_plot)

    @staticmethod
    def _pen(colour: str, width: float, alpha: int = 255) -> QtGui.QPen:
        c = pg.mkColor(colour)
        c.setAlpha(alpha)
        return pg.mkPen(c, width=width)

    @classmethod
    def _curve(cls, plot: pg.PlotItem, colour: str, width: float, alpha: int = 255, symbol: bool = False,
               name: str | None = None) -> pg.PlotDataItem:
        pen = cls._pen(colour, width, alpha)
        opts = dict(symbol="o", symbolSize=9, symbolBrush=pg.mkBrush(colour), symbolPen=None) if symbol else {}
        # No clipToView / auto-downsampling: the x range always spans all the data, and the
        # points are decimated to the plot's width before setData (_redraw_steps, _redraw_evals).
        item = plot.plot(pen=pen, name=name, **opts)
        if symbol:
            # The dots and their line change only when an evaluation comes (every few hundred
            # steps), but the plot is painted on every frame for the training curves: kept as a
            # pixmap, they are copied instead of drawn again (pyqtgraph's scatter paint cost
            # ~0.3 ms each, whatever the count).
            for part in (item.scatter, item.curve):
                part.setCacheMode(QtWidgets.QGraphicsItem.CacheMode.DeviceCoordinateCache)
        return item

    # ------------------------------------------------------------------ public
    @property
    def x_axis(self) -> str:
        return self._x_axis

    @property
    def accuracy_view(self) -> str:
        """``"accuracy"`` (% correct, fitted axis) or ``"error"`` (% wrong, log axis)."""
        return self._accuracy_view

    def set_x_axis(self, name: str) -> None:
        """Plot against ``"epochs"`` or ``"samples"`` (training images seen)."""
        if name not in X_AXES:
            raise ValueError(f"x axis must be one of {', '.join(X_AXES)}, got {name!r}")
        if name == self._x_axis:
            return
        self._x_axis = name
        self._reset_x()
        if self._x_choice.currentData() != name:
            self._x_choice.setCurrentIndex(self._x_choice.findData(name))  # re-enters: a no-op now
        style.style_axis(self.accuracy_plot.getAxis("bottom"), tr(X_AXES[name][1]))
        for plot in (self.loss_plot, self.accuracy_plot):
            # "epochs (x0.001)" confuses; "training images seen (x1e+06)" is what one wants.
            plot.getAxis("bottom").enableAutoSIPrefix(name == "samples")
        self._redraw_steps()
        self._redraw_evals()
        self._redraw_extra_runs()
        self._fit_accuracy_y()
        for marker, *lines in self._markers:
            for line in lines:
                line.setValue(self._marker_x(marker))
        if self._second is not None:
            for marker, lines in zip(list(self._second.markers)[-len(self._second_lines):], self._second_lines):
                for line in lines:
                    line.setValue(self._marker_x(marker))
        self._place_cursor()
        self._lay_out_labels()
        self.xAxisChanged.emit(name)

    def set_accuracy_view(self, name: str) -> None:
        """Show accuracy as ``"accuracy"`` (% correct on an axis fitted to the newer half of the run)
        or ``"error"`` (% wrong on a log axis: 10, 3, 1, ...)."""
        if name not in ACCURACY_VIEWS:
            raise ValueError(f"accuracy view must be one of {', '.join(ACCURACY_VIEWS)}, got {name!r}")
        if name == self._accuracy_view:
            return
        self._accuracy_view = name
        self._error_button.setChecked(name == "error")  # re-enters through toggled: a no-op now
        self._apply_accuracy_view()
        self._redraw_steps()
        self._redraw_evals()
        self._redraw_extra_runs()
        self._fit_accuracy_y()

    def _redraw_extra_runs(self) -> None:
        """Run B's curves and the ghost, after the x axis or the accuracy view changed."""
        self._redraw_second_steps()
        self._redraw_second_evals()
        self._redraw_ghost()

    def marker_count(self) -> int:
        """Markers now drawn (the newest ``MAX_MARKERS``)."""
        return len(self._markers)

    def loss_data_top(self) -> float:
        """log10 of the highest loss the loss axis has room for, below the marker labels' band."""
        return min(self.loss_plot.getViewBox().viewRange()[1][1], self._loss_ticks_ceiling)

    def second_history(self) -> tuple | None:
        """Run B's curves as ``(steps (n, 5) STEP_COLUMNS, evals (m, 5), markers)``, or None
        without a second run (a video of a comparison draws them)."""
        if self._second is None:
            return None
        trace = self._second
        return trace.steps.array()[:, :len(STEP_COLUMNS)], trace.evals.array(), list(trace.markers)

    def second_run_texts(self) -> tuple[str, str, str, str] | None:
        """``(label_a, label_b, difference, notes)`` of the second run, or None."""
        return None if self._second is None else self._second_text

    def markers(self) -> list[Marker]:
        """The markers drawn (the newest ``MAX_MARKERS``), oldest first."""
        return [marker for marker, *_ in self._markers]

    def marker_labels(self) -> list[str]:
        """The full text of each marker drawn, oldest first (a merged label shows several)."""
        return [marker.label for marker, *_ in self._markers]

    def marker_label_items(self) -> list[QtWidgets.QGraphicsRectItem]:
        """The label boxes on screen (children of the loss plot's ViewBox), in x order of their markers."""
        return [item for item in self._label_items if item.isVisible()]

    def markers_visible(self) -> bool:
        return self._markers_visible

    def set_markers_visible(self, visible: bool) -> None:
        """Show or hide every marker line and label (the header's "markers" button does the same);
        hidden, they leave the loss plot its full height."""
        visible = bool(visible)
        if self._markers_button.isChecked() != visible:
            self._markers_button.setChecked(visible)  # re-enters through toggled: equal now
            return
        if visible == self._markers_visible:
            return
        self._markers_visible = visible
        for _, *lines in self._markers:
            for line in lines:
                line.setVisible(visible)
        for lines in self._second_lines:
            for line in lines:
                line.setVisible(visible)
        self._lay_out_labels()

    def set_cursor(self, step: int | None) -> None:
        """A vertical line at training step ``step`` (the moment the scrubbed-back panels show), in the
        x axis' units; ``None`` removes it. The step's x is that of the newest row for that step (a
        restore can make a step occur twice), or of the nearest row kept."""
        self._cursor_step = None if step is None else int(step)
        self._place_cursor()

    def cursor_x(self) -> float | None:
        """The cursor's x (in the x axis' units), or ``None`` when there is none."""
        return self._cursor_lines[0].value() if self._cursor_lines else None

    def show_snapshot(self, snap: Snapshot) -> None:
        """Append ``snap.new_steps (k, 5)``, ``snap.new_evals (k, 6)`` and ``snap.new_markers``;
        each curve gets at most one ``setData``."""
        steps = _finite_rows(snap.new_steps)
        restores = [(m.step, restored_step(m.label)) for m in snap.new_markers if restored_step(m.label) is not None]
        if len(steps):
            self._append_steps(steps, [at for at, _ in restores])
        for at, back_to in restores:
            self._undone.append((float(back_to), float(at)))
        if len(steps) or restores:
            self._redraw_steps()
        evals = _finite_rows(snap.new_evals)
        if len(evals):
            self.evals.extend(evals[:, :len(EVAL_CURVE_COLUMNS)])
            self._redraw_evals()
        for marker in snap.new_markers:
            self._add_marker(marker)
        if snap.new_markers:
            self._lay_out_labels()  # also re-fits the loss axis when the label band changed
        if len(steps) or restores or len(evals):
            self._fit_loss_y()  # once for both kinds of rows
            self._fit_accuracy_y()
        if self._cursor_step is not None and not self._cursor_lines and len(steps):
            self._place_cursor()  # its step has arrived

    def clear(self) -> None:
        """Forget every point and marker (training was reset). The run's curves stay as the ghost
        (``ghost()``) until the next clear; a run that never trained leaves the ghost as it was."""
        if len(self.steps):
            self._ghost = Ghost(self.steps.array(), self.evals.array())
        self.steps = DecimatingSeries(CURVE_COLUMNS, self.STEP_CAPACITY)
        self.evals = DecimatingSeries(EVAL_CURVE_COLUMNS, 4_000)
        self._ema_state = None
        self._last_samples = math.nan
        self._undone.clear()
        self._loss_range = (math.nan, math.nan, math.nan)
        self._accuracy_range = ()
        while self._markers:
            self._remove_oldest_marker()
        self.set_cursor(None)
        for curve in (self.loss_raw, self.loss_smooth, self.loss_eval, self.accuracy_smooth, self.accuracy_eval):
            curve.setData([], [])
        self._reset_x()
        self._redraw_ghost()
        self._lay_out_labels()
        self._fit_accuracy_y()

    # ------------------------------------------------------- second run, ghost
    def _build_second_curves(self) -> None:
        """Run B's curves (dashed, reddish purple; its evaluations as diamonds) and the ghost's (faint
        grey, behind everything). Colour and line style both differ from run A's, so the pair reads
        in grey print and with any colour vision."""
        dash = QtCore.Qt.PenStyle.DashLine
        second = pg.mkPen(style.PURPLE, width=4, style=dash)
        diamonds = dict(symbol="d", symbolSize=11, symbolBrush=pg.mkBrush(style.PURPLE), symbolPen=None)
        self.second_loss = self.loss_plot.plot(pen=second, name="run B (smoothed)")
        # Its evaluations as diamonds only, no line between them: each drawn item costs paint time.
        self.second_loss_eval = self.loss_plot.plot(pen=None, name="run B test", **diamonds)
        self.second_accuracy = self.accuracy_plot.plot(pen=second, name="run B (smoothed)")
        self.second_accuracy_eval = self.accuracy_plot.plot(pen=None, name="run B test", **diamonds)
        grey = pg.mkColor(style.GREY)
        grey.setAlpha(140)
        self.ghost_loss = self.loss_plot.plot(pen=pg.mkPen(grey, width=3), name="previous run")
        self.ghost_accuracy = self.accuracy_plot.plot(pen=pg.mkPen(grey, width=3), name="previous run")
        for curve in (self.ghost_loss, self.ghost_accuracy):
            curve.setZValue(-10)

    def _second_curves(self) -> tuple[pg.PlotDataItem, ...]:
        return self.second_loss, self.second_loss_eval, self.second_accuracy, self.second_accuracy_eval

    def set_second_run(self, label_a: str, label_b: str, difference: str = "", notes: str = "") -> None:
        """Draw a second run (a comparison's run B) over this one; the key names both (``"A: sgd"``,
        ``"B: adam"``) and what differs. Its data comes with ``show_second_snapshot``."""
        self._second = RunTrace(self.smoothing_samples, self.STEP_CAPACITY, self.MAX_MARKERS)
        self._second_run = -1
        self._second_text = (label_a, label_b, difference, notes)
        self._update_runs_key()
        self._redraw_ghost()  # hidden while comparing: three runs on one plot are too many

    def clear_second(self) -> None:
        """No second run any more (the comparison ended): its curves, markers and key go."""
        self._second = None
        for curve in self._second_curves():
            curve.setData([], [])
        self._remove_second_markers()
        self._update_runs_key()
        self._redraw_ghost()
        self._fit_loss_y()
        self._fit_accuracy_y()

    def second_trace(self) -> RunTrace | None:
        """Run B's curves as held (``None`` when there is no second run)."""
        return self._second

    def show_second_snapshot(self, snap: Snapshot) -> None:
        """Append run B's ``new_steps``, ``new_evals`` and ``new_markers`` (as ``show_snapshot`` does
        for run A); a new ``snap.loop.run_id`` (both runs reset) starts its curves afresh. Ignored
        when there is no second run (``set_second_run``)."""
        if self._second is None:
            return
        if snap.loop.run_id != self._second_run:
            if self._second_run != -1:
                self._second = RunTrace(self.smoothing_samples, self.STEP_CAPACITY, self.MAX_MARKERS)
                self._remove_second_markers()
            self._second_run = snap.loop.run_id
        steps, evals, _ = self._second.add(snap)
        if steps:
            self._redraw_second_steps()
        if evals:
            self._redraw_second_evals()
        for marker in snap.new_markers:
            self._add_second_marker(marker)
        # Run A's frame fits the axes anyway; run B's refits them only when it leaves them or has a
        # new evaluation (the fits read the whole buffers: a third of this method's time).
        if evals or (steps and self._second_leaves_axes()):
            self._fit_loss_y()
            self._fit_accuracy_y()

    def _second_leaves_axes(self) -> bool:
        """Whether run B's newest smoothed loss or accuracy is outside what the axes were fitted to."""
        trace = self._second
        if trace is None or not len(trace.newest):
            return False
        newest = trace.newest
        loss = np.log10(np.maximum(newest[:, CURVE_COLUMNS.index("loss_smooth")], LOSS_FLOOR))
        low, high, _ = self._loss_range
        if not (math.isfinite(low) and low <= loss.min() and loss.max() <= high):
            return True
        if self._accuracy_view == "accuracy" and len(self._accuracy_range) == 1:
            lowest = 100.0 * newest[:, CURVE_COLUMNS.index("accuracy_smooth")].min()
            return bool(lowest < 100.0 - self._accuracy_range[0])
        return self._accuracy_view == "error"

    def _redraw_second_steps(self) -> None:
        trace = self._second
        if trace is None:
            return
        x = trace.steps.column(X_AXES[self._x_axis][0])
        self.second_loss.setData(*self._smooth_line(self.loss_plot, x, trace.steps.column("loss_smooth")))
        self.second_accuracy.setData(*self._smooth_line(
            self.accuracy_plot, x, self._accuracy_y(trace.steps.column("accuracy_smooth"))))
        self._fit_x(x)

    def _redraw_second_evals(self) -> None:
        trace = self._second
        if trace is None:
            return
        x = trace.evals.column(X_AXES[self._x_axis][0])
        budget = int(self._plot_width_px() / self.EVAL_PX_PER_POINT)
        self.second_loss_eval.setData(*decimate_for_display(
            x, np.maximum(trace.evals.column("eval_loss"), LOSS_FLOOR), budget))
        self.second_accuracy_eval.setData(*decimate_for_display(
            x, self._accuracy_y(trace.evals.column("eval_accuracy")), budget))
        self._fit_x(x)

    def _add_second_marker(self, marker: Marker) -> None:
        """A dotted line in run B's colour; what happened is in its tooltip (the label lanes are
        run A's: two runs' labels would not fit)."""
        x = self._marker_x(marker)
        pen = pg.mkPen(style.PURPLE, width=2, style=QtCore.Qt.PenStyle.DotLine)
        self._second_lines.append(self._marker_lines(x, pen, self._second_marker_tip(marker)))
        while len(self._second_lines) > self.MAX_MARKERS:
            self._remove_oldest_second_marker()

    def _remove_oldest_second_marker(self) -> None:
        loss_line, accuracy_line = self._second_lines.popleft()
        self.loss_plot.removeItem(loss_line)
        self.accuracy_plot.removeItem(accuracy_line)

    def _remove_second_markers(self) -> None:
        while self._second_lines:
            self._remove_oldest_second_marker()

    def second_marker_count(self) -> int:
        return len(self._second_lines)

    def ghost(self) -> Ghost | None:
        """The previous run's curves kept after the last Reset, or ``None``."""
        return self._ghost

    def ghost_visible(self) -> bool:
        return self._ghost_visible

    def set_ghost_visible(self, visible: bool) -> None:
        """Show or hide the previous run's faint curves (the header's "ghost" button does the same)."""
        visible = bool(visible)
        if self._ghost_button.isChecked() != visible:
            self._ghost_button.setChecked(visible)  # re-enters through toggled
            return
        self._ghost_visible = visible
        self._redraw_ghost()

    def drop_ghost(self) -> None:
        """Forget the previous run's curves."""
        self._ghost = None
        self._redraw_ghost()

    def _ghost_shown(self) -> bool:
        return self._ghost is not None and self._ghost_visible and self._second is None

    def _redraw_ghost(self) -> None:
        """The ghost's smoothed training loss and test accuracy, in the current x axis and accuracy
        view. Static: redrawn on a Reset or a change of view, never per frame."""
        ghost = self._ghost
        if not self._ghost_shown() or ghost is None:
            self.ghost_loss.setData([], [])
            self.ghost_accuracy.setData([], [])
        else:
            budget = int(self.POINTS_PER_PX * self._plot_width_px())
            name = X_AXES[self._x_axis][0]
            x = ghost.steps[:, CURVE_COLUMNS.index(name)]
            self.ghost_loss.setData(*decimate_for_display(x, ghost.steps[:, CURVE_COLUMNS.index("loss_smooth")],
                                                          budget))
            x_eval = ghost.evals[:, EVAL_CURVE_COLUMNS.index(name)]
            accuracy = self._accuracy_y(ghost.evals[:, EVAL_CURVE_COLUMNS.index("eval_accuracy")])
            self.ghost_accuracy.setData(*decimate_for_display(x_eval, accuracy, budget))
        self._update_runs_key()

    def _update_runs_key(self) -> None:
        """The key's second line: the two runs of a comparison, or the ghost."""
        parts = []
        if self._second is not None:
            label_a, label_b, difference, notes = self._second_text
            parts.append(f"<span style='color:{style.BLUE}; font-weight:bold'>━━ ●</span>&nbsp;{label_a}")
            parts.append(f"<span style='color:{style.PURPLE}; font-weight:bold'>╍╍ ◆</span>&nbsp;{label_b}")
            if difference:
                parts.append(f"({difference})")
            self._runs_key.setToolTip(notes)
        elif self._ghost_shown():
            parts.append(f"<span style='color:{style.GREY}; font-weight:bold'>━━</span>&nbsp;"
                         + tr("previous run (before the last Reset)"))
            self._runs_key.setToolTip(tr("The run before the last Reset: its smoothed training loss and its test "
                                         "accuracy. The \"ghost\" button hides it"))
        self._runs_key.setText("&nbsp;&nbsp;&nbsp;".join(parts))
        self._runs_key.setVisible(bool(parts))

    def runs_key_text(self) -> str:
        """The key's second line as plain text ("" when hidden)."""
        if self._runs_key.isHidden():
            return ""
        return QtGui.QTextDocumentFragment.fromHtml(self._runs_key.text()).toPlainText()

    # ------------------------------------------------------------------ data
    def _append_steps(self, rows: np.ndarray, restarts: Sequence[int] = ()) -> None:
        """Append ``rows (k, 5)`` with their smoothed loss and accuracy (``smoothed_rows``)."""
        out, self._ema_state, self._last_samples = smoothed_rows(rows, restarts, self._ema_state, self._last_samples,
                                                                 self.smoothing_samples)
        self.steps.extend(out)

    def _plot_width_px(self) -> float:
        """Width of the plots' data area in pixels (a typical one before the first layout)."""
        width = self.loss_plot.getViewBox().width()
        return width if width >= 50 else 800.0

    def _accuracy_y(self, accuracy: np.ndarray) -> np.ndarray:
        """What the accuracy plot draws for ``accuracy (n,)`` in [0, 1]: % correct, or % wrong (at
        least ``ERROR_FLOOR``, which a log axis can show)."""
        if self._accuracy_view == "error":
            return np.maximum(100.0 * (1.0 - accuracy), ERROR_FLOOR)
        return 100.0 * accuracy

    def _redraw_steps(self) -> None:
        x = self.steps.column(X_AXES[self._x_axis][0])
        budget = int(self.POINTS_PER_PX * self._plot_width_px())
        self._step_budget = budget
        series = (self.steps.stride, self._x_axis)  # the buffer halved, or another x column: all points new
        # The noisy batch curve keeps its min and max per pixel; the smoothed lines are drawn through
        # points SMOOTH_STEP_PX apart along them (their thick pens' segments are most of the panel's paint).
        # The rows are finite (_finite_rows): pyqtgraph's own check of every point is skipped.
        raw = display_stride(len(x), budget, peaks=True)
        self.loss_raw.show(x, self.steps.column("loss"), lambda xs, ys: decimate_by_stride(xs, ys, raw, peaks=True),
                           raw, series)
        smooth = display_stride(len(x), int(self._plot_width_px()))
        for curve, plot, y in ((self.loss_smooth, self.loss_plot, self.steps.column("loss_smooth")),
                               (self.accuracy_smooth, self.accuracy_plot,
                                self._accuracy_y(self.steps.column("accuracy_smooth")))):
            curve.show(x, y, lambda xs, ys, plot=plot: self._smooth_line(plot, xs, ys, smooth), smooth,
                       (series, self._accuracy_view, self._view_scale(plot)))
        self._fit_x(x)

    @staticmethod
    def _view_scale(plot: pg.PlotItem) -> tuple:
        """What a line's points on screen depend on besides its data: the view's ranges, size, log mode."""
        view = plot.getViewBox()
        (x0, x1), (y0, y1) = view.viewRange()
        return x0, x1, y0, y1, view.width(), view.height(), bool(plot.getAxis("left").logMode)

    def _smooth_line(self, plot: pg.PlotItem, x: np.ndarray, y: np.ndarray, stride: int | None = None
                     ) -> tuple[np.ndarray, np.ndarray]:
        """What a thick smoothed line ``(x, y)`` (each ``(n,)``) of ``plot`` is drawn through: one point
        per pixel of width (``decimate_for_display``; or every ``stride`` rows, ``decimate_by_stride``),
        then one per ``SMOOTH_STEP_PX`` of line on screen (``thin_by_arc_length``, at the view's
        present scale; in log units on a log axis)."""
        xs, ys = (decimate_for_display(x, y, int(self._plot_width_px())) if stride is None
                  else decimate_by_stride(x, y, stride))
        view = plot.getViewBox()
        (x0, x1), (y0, y1) = view.viewRange()
        if view.width() < 50 or x1 <= x0 or y1 <= y0:  # not laid out yet: every point
            return xs, ys
        log_y = bool(plot.getAxis("left").logMode)
        with np.errstate(divide="ignore", invalid="ignore"):
            on_axis = np.log10(ys) if log_y else ys
        if not np.isfinite(on_axis).all():
            return xs, ys
        keep = thin_by_arc_length(xs, on_axis, view.width() / (x1 - x0), view.height() / (y1 - y0),
                                  self.SMOOTH_STEP_PX)
        return xs[keep], ys[keep]

    def _fit_loss_y(self) -> None:
        """Range the loss axis over the batch and evaluation losses, leaving out the steps a restore
        undid: while the trouble is on screen, unrestored, the blow-up sets the scale (it is the
        lesson); once restored it is still drawn, clipped at the top of the plot. The top
        ``_band_px`` pixels are left to the marker labels."""
        step, loss = self.steps.column("step"), self.steps.column("loss")
        eval_step, eval_loss = self.evals.column("step"), self.evals.column("eval_loss")
        values = [loss[self._kept(step)], eval_loss[self._kept(eval_step)]]
        if self._second is not None:  # run B must stay on the plot too (its blow-up is the lesson)
            values += [self._second.steps.column("loss_smooth"), self._second.evals.column("eval_loss")]
        values = np.concatenate([np.maximum(v, LOSS_FLOOR) for v in values])
        if not len(values):
            return
        low, high = float(np.log10(values.min())), float(np.log10(values.max()))
        # at most MAX_BAND_FRACTION by the lanes' count, or half when one large lane was forced
        band = min(self._band_px / max(self.loss_plot.getViewBox().height(), 1.0), 0.5)
        old_low, old_high, old_band = self._loss_range
        if not (abs(low - old_low) < Y_RANGE_SLACK and abs(high - old_high) < Y_RANGE_SLACK
                and abs(band - old_band) < 0.01):
            self._loss_range = (low, high, band)
            span = max(high - low, 0.1)
            bottom, top = low - 0.05 * span, low + 1.05 * span  # pyqtgraph's padding=0.05, by hand
            # No ticks in the band: a "10" beside the labels would say the data reaches there.
            self._loss_ticks_ceiling = top + 1e-9 if band else math.inf
            self.loss_plot.setYRange(bottom, bottom + (top - bottom) / (1.0 - band), padding=0)

    def _fit_accuracy_y(self) -> None:
        """Range the accuracy axis over the curves as drawn (decimated: a few points per pixel).

        % correct: from 100 down by ``accuracy_span`` of the newer ``RECENT_FRACTION`` of the run, so
        97-99% fill the plot instead of a flat line at the top (the climb from chance is drawn, and
        leaves through the bottom edge). % wrong: the whole run on a log axis, changed only when the
        axis is ``2 * Y_RANGE_SLACK`` decades off or a point would leave it."""
        shown = (self.accuracy_smooth, self.accuracy_eval, self.second_accuracy, self.second_accuracy_eval)
        curves = [(c.xData, c.yData) for c in shown if c.yData is not None and len(c.yData)]
        if not curves:
            wanted = (0.0, 100.0) if self._accuracy_view == "accuracy" else (math.log10(ERROR_FLOOR), 2.0)
            if wanted != self._accuracy_range:
                self._accuracy_range = wanted
                # Automatic ticks again: the last run's fixed spacing (0.5% for a 97-99% view) over
                # 0-100% wrote 200 labels on top of each other (seen after a comparison's reset).
                self.accuracy_plot.getAxis("left").setTickSpacing()
                self.accuracy_plot.setYRange(*wanted, padding=0.02)
            return
        if self._accuracy_view == "error":
            values = np.log10(np.concatenate([y for _, y in curves]))
            low, high = float(values.min()), min(float(values.max()), 2.0)
            wanted = (low - Y_RANGE_SLACK, max(high, low + 0.3) + Y_RANGE_SLACK)
            old = self._accuracy_range
            # Re-set when a point would leave the axis, or the axis is 2 slacks off what it should be.
            if (len(old) != 2 or not old[0] <= low <= high <= old[1]
                    or max(abs(wanted[0] - old[0]), abs(wanted[1] - old[1])) > 2 * Y_RANGE_SLACK):
                self._accuracy_range = wanted
                self.accuracy_plot.setYRange(*wanted, padding=0)
            return
        first = min(float(x[0]) for x, _ in curves)
        newest = max(float(x[-1]) for x, _ in curves)
        recent_from = newest - RECENT_FRACTION * (newest - first)
        lowest = min(float(y[x >= recent_from].min()) for x, y in curves if (x >= recent_from).any())
        current = self._accuracy_range[0] if len(self._accuracy_range) == 1 else math.inf
        span = accuracy_span(lowest, current)
        if (span,) != self._accuracy_range:
            self._accuracy_range = (span,)
            self.accuracy_plot.getAxis("left").setTickSpacing(accuracy_tick_step(span), accuracy_tick_step(span) / 2)
            # A little room above 100%, so a perfect score is not drawn on the frame.
            self.accuracy_plot.setYRange(100.0 - span, 100.0 + 0.06 * span, padding=0)

    def _kept(self, step: np.ndarray) -> np.ndarray:
        """Which of ``step`` set the loss axis: all but those undone by a restore (bool mask)."""
        keep = np.ones(len(step), bool)
        for start, end in self._undone:
            keep &= ~((step > start) & (step <= end))
        return keep

    def _redraw_evals(self) -> None:
        x = self.evals.column(X_AXES[self._x_axis][0])
        budget = int(self._plot_width_px() / self.EVAL_PX_PER_POINT)
        self.loss_eval.setData(*decimate_for_display(x, np.maximum(self.evals.column("eval_loss"), LOSS_FLOOR),
                                                     budget))
        self.accuracy_eval.setData(*decimate_for_display(x, self._accuracy_y(self.evals.column("eval_accuracy")),
                                                         budget))
        self._fit_x(x)

    def _on_plot_resized(self, *_) -> None:
        """Re-decimate for the new width when the plot grew or shrank noticeably (presentation
        zoom, a splitter drag); small changes keep the current points."""
        budget = int(self.POINTS_PER_PX * self._plot_width_px())
        if len(self.steps) > min(budget, self._step_budget) and abs(budget - self._step_budget) > 0.2 * budget:
            self._redraw_steps()
            self._redraw_evals()

    def _fit_x(self, x: np.ndarray) -> None:
        """Widen the shared x range when the data reaches its end: to a round value about 20% past
        the newest point, so the axis changes a few times per run, not on every frame."""
        if len(x) == 0 or x[-1] <= self._x_limit:
            return
        self._x_limit = style.nice_ceiling(1.2 * float(x[-1]))
        for plot in (self.loss_plot, self.accuracy_plot):
            plot.setXRange(0, self._x_limit, padding=0)

    def _reset_x(self) -> None:
        self._x_limit = 0.0
        for plot in (self.loss_plot, self.accuracy_plot):
            plot.setXRange(0, 1, padding=0)

    def _apply_accuracy_view(self) -> None:
        """Title, log mode and ticks of the accuracy plot for the current view (its data is redrawn
        by the caller)."""
        plot, error = self.accuracy_plot, self._accuracy_view == "error"
        plot.setTitle(tr(ACCURACY_VIEWS[self._accuracy_view]), size=f"{style.LABEL_PT}pt", bold=True,
                      color=style.FOREGROUND)
        plot.setLogMode(y=error)
        axis = plot.getAxis("left")
        axis.setTicks(None)  # back to automatic; log_ticks or the fixed spacing take over below
        axis.setTickSpacing()
        self._log_ticks.pop(id(plot), None)
        self._accuracy_range = ()
        self._fit_accuracy_y()
        self._on_accuracy_range_changed()

    # ------------------------------------------------------------------ markers
    def _marker_x(self, marker: Marker) -> float:
        return float(marker.epoch if self._x_axis == "epochs" else marker.samples)

    @staticmethod
    def _marker_colour(marker: Marker) -> str:
        return (style.VERMILLION if marker.label in TROUBLE_LABELS
                else style.GREEN if restored_step(marker.label) is not None else style.DARK_GREY)

    def _marker_lines(self, x: float, pen, tooltip: str) -> tuple[pg.InfiniteLine, pg.InfiniteLine]:
        """A vertical line at ``x`` in the loss plot and in the accuracy plot (run A's markers and B's)."""
        lines = []
        for plot in (self.loss_plot, self.accuracy_plot):
            line = pg.InfiniteLine(pos=x, angle=90, pen=pen, movable=False)
            line.setToolTip(tooltip)
            line.setVisible(self._markers_visible)
            plot.addItem(line, ignoreBounds=True)
            lines.append(line)
        return lines[0], lines[1]

    def _add_marker(self, marker: Marker) -> None:
        """A dashed line in each plot at the marker's x; its label is laid out by ``_lay_out_labels``."""
        x = self._marker_x(marker)
        pen = pg.mkPen(self._marker_colour(marker), width=2, style=QtCore.Qt.PenStyle.DashLine)
        self._markers.append((marker, *self._marker_lines(x, pen, self._marker_tip(marker))))
        while len(self._markers) > self.MAX_MARKERS:
            self._remove_oldest_marker()

    @staticmethod
    def _marker_tip(marker: Marker) -> str:
        # The label is stored data, matched by value elsewhere: only its display is translated.
        return tr("step {step}: {label}").format(step=format_int(marker.step), label=tr(marker.label))

    @staticmethod
    def _second_marker_tip(marker: Marker) -> str:
        return tr("run B, step {step}: {label}").format(step=format_int(marker.step), label=tr(marker.label))

    def _remove_oldest_marker(self) -> None:
        _, loss_line, accuracy_line = self._markers.popleft()
        self.loss_plot.removeItem(loss_line)
        self.accuracy_plot.removeItem(accuracy_line)

    def _lane_height(self) -> float:
        return self._label_metrics.height() + 2 * LABEL_MARGIN_PX

    def set_label_font(self, font: QtGui.QFont) -> None:
        """The marker labels' font (the lecture view makes them as large as the rest of its text)."""
        self._label_font = QtGui.QFont(font)
        self._label_metrics = QtGui.QFontMetricsF(self._label_font)
        for box in self._label_items:
            box.childItems()[0].setFont(self._label_font)
        self._lay_out_labels()

    def label_font(self) -> QtGui.QFont:
        return QtGui.QFont(self._label_font)

    def changeEvent(self, event: QtCore.QEvent) -> None:
        super().changeEvent(event)
        # A theme chosen later: the labels' boxes take its paper and ink (they are drawn by hand).
        if event.type() in (QtCore.QEvent.Type.PaletteChange, QtCore.QEvent.Type.ApplicationPaletteChange):
            self._lay_out_labels()

    def _lay_out_labels(self, *_) -> None:
        """Place the marker labels (``place_marker_labels``) in lanes at the top of the loss plot, in
        its ViewBox's pixels, and reserve the lanes used at the top of the loss axis. Runs when
        markers come or go and when the x range or the plot's size changes: a few times per run,
        never per frame; at most ``MAX_MARKERS`` labels."""
        view = self.loss_plot.getViewBox()
        width, height = view.width(), view.height()
        pitch = self._lane_height() + LABEL_PAD_PX
        lanes = min(MAX_LANES, int((MAX_BAND_FRACTION * height - LABEL_PAD_PX) // pitch))
        if lanes == 0 and height >= 2 * pitch + LABEL_PAD_PX:
            lanes = 1  # large labels on a short plot (the lecture view): one lane rather than none
        places: list[LabelPlace] = []
        if self._markers_visible and self._markers and lanes > 0 and width > 0:
            (x0, x1), _ = view.viewRange()
            scale = width / max(x1 - x0, 1e-12)
            markers = [marker for marker, *_ in self._markers]
            xs = [(self._marker_x(m) - x0) * scale for m in markers]
            places = place_marker_labels(xs, [tr(m.label) for m in markers], width, lanes, self._label_width)
            # A label that fits nowhere is not shown: its lines' tooltips still say what happened.
            for index, place in enumerate(p for p in places if p.lane is not None):
                self._show_label(index, place, markers, pitch)
        shown = sum(p.lane is not None for p in places)
        for item in self._label_items[shown:]:
            item.hide()
        self._label_places = places
        used = max((p.lane + 1 for p in places if p.lane is not None), default=0)
        band = used * pitch + LABEL_PAD_PX if used else 0.0
        if band != self._band_px:
            self._band_px = band
            self._fit_loss_y()
        elif band:
            self._fit_loss_y()  # the band's share of the height changed with a resize

    def _label_width(self, text: str) -> float:
        return self._label_metrics.horizontalAdvance(text) + 2 * LABEL_MARGIN_PX + 1

    def _show_label(self, index: int, place: LabelPlace, markers: list[Marker], pitch: float) -> None:
        """Show pool item ``index`` as ``place``: a white box framed in its markers' colour."""
        while len(self._label_items) <= index:
            box = QtWidgets.QGraphicsRectItem(self.loss_plot.getViewBox())
            box.setZValue(1_000)  # above the curves and the lines
            text = QtWidgets.QGraphicsSimpleTextItem(box)
            text.setFont(self._label_font)
            text.setPos(LABEL_MARGIN_PX, LABEL_MARGIN_PX)
            self._label_items.append(box)
        box = self._label_items[index]
        # The theme's paper and ink, read now: a theme chosen later must not leave white boxes
        # with light text on a dark plot.
        paper = QtGui.QColor(style.BACKGROUND)
        paper.setAlpha(235)
        box.setBrush(pg.mkBrush(paper))
        box.childItems()[0].setBrush(pg.mkBrush(style.FOREGROUND))
        group = [markers[i] for i in place.members]
        colours = {self._marker_colour(m) for m in group}
        colour = next((c for c in (style.VERMILLION, style.GREEN) if c in colours), style.DARK_GREY)
        box.setPen(pg.mkPen(colour, width=1.5))
        box.setRect(0, 0, place.width, self._lane_height())
        box.setPos(place.left, LABEL_PAD_PX + place.lane * pitch)
        box.childItems()[0].setText(place.text)
        box.setToolTip("\n".join(self._marker_tip(m) for m in group))
        box.show()

    # ------------------------------------------------------------------ cursor
    def _cursor_value(self) -> float | None:
        """x of ``_cursor_step`` in the current axis' units, from the newest row nearest that step."""
        step = self.steps.column("step")
        if self._cursor_step is None or not len(step):
            return None
        distance = np.abs(step - self._cursor_step)[::-1]  # newest first: argmin keeps the newest of ties
        row = len(step) - 1 - int(np.argmin(distance))
        return float(self.steps.column(X_AXES[self._x_axis][0])[row])

    def _place_cursor(self) -> None:
        """Put the cursor lines at ``_cursor_value()``, creating or removing them as needed. Once per
        scrub (it reads the step buffer), never per frame."""
        x = self._cursor_value()
        if x is None:
            for plot, line in zip((self.loss_plot, self.accuracy_plot), self._cursor_lines):
                plot.removeItem(line)
            self._cursor_lines = []
            return
        if not self._cursor_lines:
            pen = pg.mkPen(style.PURPLE, width=3)
            for plot in (self.loss_plot, self.accuracy_plot):
                line = pg.InfiniteLine(pos=x, angle=90, pen=pen, movable=False)
                line.setZValue(900)
                plot.addItem(line, ignoreBounds=True)
                self._cursor_lines.append(line)
        for line in self._cursor_lines:
            line.setValue(x)
            line.setToolTip(tr("The moment the other panels show: step {step}").format(
                step=format_int(self._cursor_step or 0)))

    # ------------------------------------------------------------------ events
    def _update_log_ticks(self, plot: pg.PlotItem, ceiling: float = math.inf) -> None:
        """Re-pick a log axis' ticks for its new range, none above ``ceiling`` (log10); only a changed
        list reaches the axis."""
        view = plot.getViewBox()
        low, high = view.viewRange()[1]
        if not (math.isfinite(low) and math.isfinite(high)) or high - low > 400:
            return
        ticks = log_ticks(low, high, view.height() / max(high - low, 1e-9))
        ticks = [[tick for tick in level if tick[0] <= ceiling] for level in ticks]
        if ticks != self._log_ticks.get(id(plot)):
            self._log_ticks[id(plot)] = ticks
            plot.getAxis("left").setTicks(ticks)

    def _on_loss_range_changed(self, *_) -> None:
        self._update_log_ticks(self.loss_plot, self._loss_ticks_ceiling)

    def _on_accuracy_range_changed(self, *_) -> None:
        if self._accuracy_view == "error":
            self._update_log_ticks(self.accuracy_plot)

    def _on_x_choice_changed(self, index: int) -> None:
        name = self._x_choice.itemData(index)
        if name in X_AXES:
            self.set_x_axis(name)
