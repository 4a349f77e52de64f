"""Every message between the window and the training process, declared once.

Commands go window → training process, each wrapped in an ``Envelope`` with a sequence number;
events come back. An event that answers a command names it (``reply_to`` = the envelope's
``seq``), so the window can tell a save's failure from a refused slider move that arrived in
between. Events with ``reply_to == 0`` were not asked for (playing changed, a budget finished).

Every message is a frozen dataclass with typed fields; ``check_fields`` verifies a message against
its annotations, so a malformed command is refused with a reason instead of failing somewhere deep
in the trainer. Nothing here imports Qt: both processes use it.
"""
from __future__ import annotations

import dataclasses
import math
import types
import typing
from dataclasses import dataclass, field
from typing import Any, ClassVar, Union

import numpy as np

from mnist_viz.core.backprop_step import MAX_IMAGES, StepExplanation
from mnist_viz.core.presets import Preset
from mnist_viz.core.snapshot import Settings, Snapshot
from mnist_viz.core.surgery import check_alteration

MAX_STEPS_PER_COMMAND = 1_000_000  # "step n batches": more than this is a typo, not a wish
MAX_PROBES = 256  # probe images a snapshot carries softmax bars for
IMAGE_PIXELS = 784


class CommandError(ValueError):
    """A command that cannot be carried out as given; the message says why in plain words."""


def command_name(cls_or_message: object) -> str:
    """``"save session"`` for ``SaveSession`` (class or instance): how a reply names its command."""
    cls = cls_or_message if isinstance(cls_or_message, type) else type(cls_or_message)
    name = cls.__name__
    return "".join(f" {c.lower()}" if c.isupper() else c for c in name).strip()


def _matches(value: Any, annotation: Any) -> bool:
    """Whether ``value`` fits a field annotation (the simple types messages use)."""
    origin = typing.get_origin(annotation)
    if origin in (Union, types.UnionType):
        return any(_matches(value, arm) for arm in typing.get_args(annotation))
    if annotation is type(None):
        return value is None
    if annotation is Any:
        return True
    if annotation is float:
        return isinstance(value, (int, float, np.floating, np.integer)) and not isinstance(value, bool)
    if annotation is int:
        return isinstance(value, (int, np.integer)) and not isinstance(value, bool)
    if origin is not None:  # dict[str, Any], tuple[...]: the container type is what is checked
        return isinstance(value, origin)
    return isinstance(value, annotation)


def check_fields(message: object) -> None:
    """Raise ``CommandError`` naming the first field of ``message`` whose value does not fit its
    declared type, then run the message's own ``check()`` for ranges and shapes."""
    hints = typing.get_type_hints(type(message))
    for f in dataclasses.fields(message):  # type: ignore[arg-type]
        value = getattr(message, f.name)
        if not _matches(value, hints[f.name]):
            raise CommandError(f"{f.name} must be {_describe(hints[f.name])}, got {value!r}"[:300])
    check = getattr(message, "check", None)
    if check is not None:
        check()


def _describe(annotation: Any) -> str:
    args = typing.get_args(annotation) if typing.get_origin(annotation) in (Union, types.UnionType) else ()
    if args:
        return " or ".join(_describe(a) for a in args)
    if annotation is type(None):
        return "None"
    return getattr(annotation, "__name__", str(annotation))


# =============================================================================== commands
@dataclass(frozen=True)
class Command:
    """Base of every command. ``replaces_waiting``: a newer one of the same type replaces one still
    waiting to be applied (only the latest value matters)."""

    replaces_waiting: ClassVar[bool] = False

    def check(self) -> None:
        """Raise ``CommandError`` when a value is out of range (types are checked before)."""


@dataclass(frozen=True)
class Play(Command):
    """Start training (ignored while diverged)."""


@dataclass(frozen=True)
class Pause(Command):
    """Stop training after the current batch."""


@dataclass(frozen=True)
class Step(Command):
    """Pause and train exactly ``n`` batches."""

    n: int = 1

    def check(self) -> None:
        if not 1 <= self.n <= MAX_STEPS_PER_COMMAND:
            raise CommandError(f"step count must be between 1 and {MAX_STEPS_PER_COMMAND:,}, got {self.n}")


@dataclass(frozen=True)
class ExplainStep(Command):
    """Pause and take the next step apart without taking it (``core.backprop_step``): answered by
    ``StepExplained`` with at most ``images`` of its batch; a ``Step`` afterwards trains on that batch."""

    images: int = MAX_IMAGES

    def check(self) -> None:
        if not 0 <= self.images <= MAX_IMAGES:
            raise CommandError(f"an explained step carries 0 to {MAX_IMAGES} images, got {self.images}")


@dataclass(frozen=True)
class UpdateSettings(Command):
    """Live settings (``Trainer.update``): ``{"lr": 0.1, "hidden": (64,)}``. A burst merges into one."""

    changes: dict[str, Any] = field(default_factory=dict)

    def check(self) -> None:
        types_by_name = typing.get_type_hints(Settings)
        unknown = sorted(str(k) for k in self.changes if k not in types_by_name)
        if unknown:
            raise CommandError(f"unknown setting(s): {', '.join(unknown)}")
        for name, value in self.changes.items():
            if not _matches(value, types_by_name[name]):
                raise CommandError(f"setting {name} must be {_describe(types_by_name[name])}, got {value!r}"[:300])


@dataclass(frozen=True)
class Reset(Command):
    """Fresh weights from the seed, paused at step 0; with ``settings``, restart with those."""

    settings: Settings | None = None


@dataclass(frozen=True)
class Restore(Command):
    """Back to the last sane weights; ``lr_factor`` scales the learning rate too; ``resume``: start
    (True) or pause (False) afterwards, ``None`` keeps the current state."""

    lr_factor: float = 1.0
    resume: bool | None = None

    def check(self) -> None:
        if not (math.isfinite(self.lr_factor) and self.lr_factor > 0):
            raise CommandError(f"learning-rate factor must be a positive number, got {self.lr_factor}")


@dataclass(frozen=True)
class SetBudget(Command):
    """Pause when the run reaches ``preset``'s epochs or iterations; ``None`` trains until paused."""

    preset: Preset | None = None


@dataclass(frozen=True)
class SetProbes(Command):
    """``images``: ``(P, 784) float32``, the digits whose softmax and activations snapshots carry."""

    images: np.ndarray = field(default_factory=lambda: np.zeros((0, IMAGE_PIXELS), np.float32))
    replaces_waiting: ClassVar[bool] = True

    def check(self) -> None:
        a = self.images
        if a.ndim != 2 or a.shape[1] != IMAGE_PIXELS or len(a) > MAX_PROBES:
            raise CommandError(f"probe images must be (P, {IMAGE_PIXELS}) with P ≤ {MAX_PROBES}, got {a.shape}")
        if a.dtype != np.float32 or not np.isfinite(a).all():
            raise CommandError(f"probe images must be finite float32, got {a.dtype}")


@dataclass(frozen=True)
class SetSpeedLimit(Command):
    """Slow motion: at most this many steps per second (0 = as fast as possible)."""

    steps_per_second: float = 0.0
    replaces_waiting: ClassVar[bool] = True

    def check(self) -> None:
        if not (math.isfinite(self.steps_per_second) and self.steps_per_second >= 0):
            raise CommandError(f"speed limit must be zero or a positive number, got {self.steps_per_second}")


@dataclass(frozen=True)
class SetUnitEnabled(Command):
    """Switch hidden unit ``unit`` (first hidden layer) off (ablate) or back on; evaluates at once."""

    unit: int = 0
    enabled: bool = True


@dataclass(frozen=True)
class AlterWeights(Command):
    """Pause and damage the weights for a demonstration (``core.surgery.alter_weights``): Gaussian
    noise of ``noise`` × each weight matrix's std, then the smallest ``prune`` fraction of each
    weight matrix set to 0, drawn from ``seed``. Always applied to the intact weights (kept before
    the first alteration), so a second ``AlterWeights`` replaces the first instead of adding to it.
    Answered by ``WeightsAltered``; ``RestoreWeights`` puts the intact weights back exactly, and
    ``Play`` or ``Step`` trains on from the altered ones (see ``loop.TrainingLoop``)."""

    noise: float = 0.0
    prune: float = 0.0
    seed: int = 0

    def check(self) -> None:
        try:
            check_alteration(self.noise, self.prune)
        except ValueError as e:
            raise CommandError(str(e)) from None
        if self.seed < 0:
            raise CommandError(f"noise seed must be 0 or more, got {self.seed}")


@dataclass(frozen=True)
class RestoreWeights(Command):
    """Put back the weights kept before the first ``AlterWeights``, bit for bit; answered by
    ``WeightsAltered`` with ``restored=True`` (refused when the weights are not altered)."""


@dataclass(frozen=True)
class SetLanguage(Command):
    """Write the messages this process makes (the banner's, the status line's replies) in language
    ``code`` (a ``mnist_viz/locales/<code>.po``; "en" needs none). A missing or broken catalog is
    refused with the file's name; the language stays as it was."""

    code: str = "en"

    def check(self) -> None:
        if not (isinstance(self.code, str) and self.code.replace("_", "").isalnum() and len(self.code) <= 12):
            raise CommandError(f"not a language code: {self.code!r}")


LOCKSTEP_UNITS = ("steps", "samples")


@dataclass(frozen=True)
class LockStep(Command):
    """Train in lockstep with another run (a comparison): never step while this run is ``slack``
    or more ``unit`` ("steps", or "samples": training images, for runs of different batch sizes)
    ahead of the other. The counts are shared through the file at ``path``
    (``runtime.lockstep``), this run's in slot ``me``; ``path=""`` ends the lockstep."""

    path: str = ""
    me: int = 0
    slack: int = 4
    unit: str = "steps"

    def check(self) -> None:
        if self.path and not (self.me in (0, 1) and self.slack >= 1 and self.unit in LOCKSTEP_UNITS):
            raise CommandError(f"lockstep needs slot 0 or 1, a slack of at least 1 and a unit among "
                               f"{', '.join(LOCKSTEP_UNITS)}; got {self.me}, {self.slack}, {self.unit!r}")


@dataclass(frozen=True)
class FileCommand(Command):
    """A command that writes or reads the file at ``path``; success is answered with ``CommandDone``."""

    path: str = ""


@dataclass(frozen=True)
class SaveSession(FileCommand):
    """Write a checkpoint with the whole history to ``path`` (atomically)."""


@dataclass(frozen=True)
class LoadSession(FileCommand):
    """Replace the run by the one saved at ``path``; a bad file changes nothing."""


@dataclass(frozen=True)
class ExportMetrics(FileCommand):
    """Write every step's loss and accuracy, every evaluation and every marker as CSV to ``path``."""


@dataclass(frozen=True)
class Stop(Command):
    """End the training process after the current batch."""


@dataclass(frozen=True)
class Resume:
    """How a new training process carries on a run whose process died (given at its start, not
    queued): ``state`` is a ``Trainer.state_dict`` rebuilt from the window's latest snapshot and
    history (``core.checkpoint.state_from_snapshot``); the rest is what the loop was doing, so the
    window's views, controls and pending commands carry on as they were."""

    state: dict
    run_id: int
    applied_seq: int
    playing: bool
    speed_limit: float
    budget: Preset | None
    probes: np.ndarray
    process: int  # LoopState.process of the new process's snapshots


@dataclass(frozen=True)
class Envelope:
    """A command on its way: ``seq`` numbers the commands a window sent, from 1."""

    seq: int
    command: Command


# ================================================================================= events
@dataclass(frozen=True)
class Event:
    """Base of every event. ``reply_to``: the ``seq`` of the command this answers, 0 for none."""

    reply_to: int = 0


@dataclass(frozen=True)
class Ready(Event):
    """The training process has built its trainer and mapped the dataset."""


@dataclass(frozen=True)
class SnapshotReady(Event):
    """A snapshot; its large arrays wait in the shared file that ``layout`` describes (``None``:
    everything is in ``snapshot``). See ``transport``."""

    snapshot: Snapshot | None = None
    layout: dict[str, Any] | None = None


@dataclass(frozen=True)
class PlayingChanged(Event):
    playing: bool = False


@dataclass(frozen=True)
class StepExplained(Event):
    """The answer to ``ExplainStep``: the next step taken apart, before it is taken (training is
    paused). ``explanation`` is ``None`` only in a malformed event."""

    explanation: StepExplanation | None = None


@dataclass(frozen=True)
class WeightsAltered(Event):
    """The answer to ``AlterWeights`` or ``RestoreWeights``: accuracy on the ``split`` images of the
    intact weights (``accuracy_before``) and of the weights the network has now (``accuracy_after``;
    equal after a restore). Not a point on the curves: evaluations of altered weights are never
    recorded. ``zero_fraction``: the share of weights that are exactly 0 now."""

    accuracy_before: float = math.nan
    accuracy_after: float = math.nan
    noise: float = 0.0
    prune: float = 0.0
    seed: int = 0
    zero_fraction: float = 0.0
    split: str = "test"
    restored: bool = False


@dataclass(frozen=True)
class CommandDone(Event):
    """A command with a result worth telling the user (a file written or read) succeeded."""

    command: str = ""
    message: str = ""


@dataclass(frozen=True)
class CommandFailed(Event):
    """A command was refused or failed; training goes on. ``command`` is its ``command_name``."""

    command: str = ""
    reason: str = ""


@dataclass(frozen=True)
class BudgetFinished(Event):
    """A recipe reached its epochs or iterations; training paused. ``message`` says how it did."""

    preset: str = ""
    accuracy: float = math.nan
    message: str = ""


@dataclass(frozen=True)
class ProcessFailed(Event):
    """Training crashed (``details``: the traceback) or its process died; training has ended."""

    details: str = ""


@dataclass(frozen=True)
class Stopped(Event):
    """The training process is about to end (after ``Stop``, or after ``ProcessFailed``)."""
