"""Command line: ``mnist-viz`` opens the window; ``mnist-viz train`` trains headless;
``mnist-viz presets`` lists the recipes.

Exit codes: 0 done, 2 bad input (a flag, a data file, a checkpoint), 3 training stopped by the guard or
the watchdog (a NaN/inf step refused, the loss exploded, accuracy collapsed to chance, a hidden layer died).
"""
from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import sys
import time

import numpy as np

from mnist_viz.core.activations import ACTIVATIONS
from mnist_viz.core.network import INITS
from mnist_viz.core.optim import OPTIMIZERS
from mnist_viz.core.snapshot import Settings

EXIT_BAD_INPUT = 2
EXIT_STOPPED = 3
EXIT_INTERRUPTED = 130  # the shell's code for a program ended by Ctrl+C (128 + SIGINT)

# flag name -> Settings field, for every setting the command line can set
SETTING_FLAGS = {
    "hidden": "hidden", "activation": "activation", "init": "init", "optimizer": "optimizer", "lr": "lr",
    "batch_size": "batch_size", "momentum": "momentum", "beta1": "beta1", "beta2": "beta2", "eps": "eps",
    "l2": "l2", "lr_decay": "lr_decay", "seed": "seed", "train_subset": "train_subset", "val_size": "val_size",
}


def _hidden_sizes(text: str) -> tuple[int, ...]:
    """``128``, ``256,64`` or ``256-64``. Every part must be a positive whole number: a leading "-"
    is a minus sign, not a separator (``--hidden -5`` used to train 5 units)."""
    parts = text.strip().replace(",", " ").split()
    if len(parts) == 1 and not parts[0].startswith("-"):
        parts = parts[0].split("-")
    try:
        sizes = tuple(int(part) for part in parts)
    except ValueError:
        raise argparse.ArgumentTypeError(f"hidden sizes must be positive whole numbers like 128 or 256,64; "
                                         f"got {text!r}") from None
    if not sizes or any(s < 1 for s in sizes):
        raise argparse.ArgumentTypeError(f"hidden sizes must be positive whole numbers; got {text!r}")
    return sizes


def _count(text: str) -> int:
    """A whole number >= 0 (iterations: 0 only evaluates)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be zero or more")
    return value


def _positive_int(text: str) -> int:
    value = _count(text)
    if value == 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be at least 1")
    return value


def _fraction(text: str) -> float:
    value = _positive_float(text)
    if value >= 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be between 0 and 1 (a fraction of the training images)")
    return value


def _path(text: str) -> str:
    if not text.strip():
        raise argparse.ArgumentTypeError("needs a file or folder path, got an empty one")
    return text


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"{text!r} must be a positive number")
    return value


class _Parser(argparse.ArgumentParser):
    """argparse with errors in the loaders' one-line style (not a usage block, then the error)."""

    def error(self, message: str):  # type: ignore[override]
        self.exit(EXIT_BAD_INPUT, f"mnist-viz: error: {message} (see: {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="mnist-viz", description="Watch a from-scratch NumPy network learn MNIST.")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)
    gui = sub.add_parser("gui", help="open the window (the default when no command is given)")
    gui.add_argument("--data", type=_path,
                     help="data to train on instead of the bundled MNIST (IDX folder, train.csv, mnist.npz)")
    sub.add_parser("presets", help="list the named recipes and what each shows")
    train = sub.add_parser("train", help="train without a window, with a progress bar",
                           description="Train headless. Flags override the preset's settings.")
    train.add_argument("--preset", help="start from a named recipe (see `mnist-viz presets`)")
    budget = train.add_mutually_exclusive_group()
    budget.add_argument("--epochs", type=_positive_float, help="passes over the training data")
    budget.add_argument("--iterations", type=_count, help="optimisation steps (full-batch steps for --optimizer gd)")
    train.add_argument("--hidden", type=_hidden_sizes, help="hidden layer sizes, e.g. 128 or 256,64")
    train.add_argument("--activation", choices=list(ACTIVATIONS))
    train.add_argument("--init", choices=list(INITS), help="small = 0.01·N(0,1) as in the classic tutorials")
    train.add_argument("--optimizer", choices=list(OPTIMIZERS), help="gd = full-batch gradient descent")
    train.add_argument("--lr", type=_positive_float, help="learning rate")
    train.add_argument("--batch-size", type=_positive_int)
    train.add_argument("--momentum", type=float)
    train.add_argument("--beta1", type=float)
    train.add_argument("--beta2", type=float)
    train.add_argument("--eps", type=_positive_float)
    train.add_argument("--l2", type=float, help="L2 weight decay coefficient")
    train.add_argument("--lr-decay", type=float, help="multiply the learning rate by this after each epoch")
    train.add_argument("--seed", type=_count)
    train.add_argument("--train-subset", type=_count, help="train on only the first N training images")
    train.add_argument("--val-size", type=_count, help="hold out the last N training images for validation")
    train.add_argument("--val-fraction", type=_fraction, help="hold out this fraction of the training images instead")
    train.add_argument("--data", type=_path, help="IDX folder, Kaggle train.csv or keras mnist.npz "
                                                  "(default: bundled MNIST)")
    train.add_argument("--save", type=_path, help="write a checkpoint here when done")
    train.add_argument("--load", type=_path, help="continue from this checkpoint")
    train.add_argument("--eval-every", type=_positive_float, default=1.0,
                       help="evaluate every this many epochs (default 1), for the history")
    train.add_argument("--json", action="store_true", help="print one JSON object with the results on stdout")
    train.add_argument("--no-progress", action="store_true", help="no progress bar")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command in (None, "gui"):
        from mnist_viz.gui.app import run_app  # Qt is imported only when a window is wanted
        return run_app(data_path=getattr(args, "data", None))
    if args.command == "presets":
        return list_presets()
    return train_command(args)


def list_presets() -> int:
    """Print every preset with its budget as the window uses it (pauses there, or trains until
    paused) and as ``mnist-viz train --preset`` uses it, so the two never disagree unseen."""
    from mnist_viz.core.presets import PRESETS
    for kind in ("fast", "classic", "teaching"):
        print(f"\n{kind.upper()}")
        for p in PRESETS.values():
            if p.kind == kind:
                ref = f"  [tutorial: {p.reference}]" if p.reference else ""
                print(f"  {p.name:<24}{p.title}{ref}\n"
                      f"  {'':<24}In the window: {p.window_budget}. `mnist-viz train`: {p.budget}.\n"
                      f"  {'':<24}{p.description}\n"
                      f"  {'':<24}Watch: {p.what_to_watch}")
                if p.question is not None:
                    print(_question_lines(p.question, f"  {'':<24}"))
    return 0


def _question_lines(question, indent: str) -> str:
    """The question a teaching scenario asks the class first, its choices, and the answer."""
    choices = "   ".join(f"{question.letter(i)}) {text}" for i, text in enumerate(question.choices))
    return (f"{indent}Ask first: {question.prompt}\n{indent}  {choices}\n"
            f"{indent}  Answer: {question.letter(question.answer)}. {question.why}")


def _setting_changes(args) -> dict:
    """The settings given on the command line, as ``{Settings field: value}``."""
    return {field: getattr(args, flag) for flag, field in SETTING_FLAGS.items() if getattr(args, flag) is not None}


def _fail(message: str) -> int:
    print(f"mnist-viz: error: {message}", file=sys.stderr)
    return EXIT_BAD_INPUT


def train_command(args) -> int:
    from mnist_viz.core import checkpoint
    from mnist_viz.core.data import DataError, load_dataset, with_validation
    from mnist_viz.core.presets import get_preset
    from mnist_viz.core.trainer import Trainer

    try:
        if args.save:
            check_writable(args.save)  # before minutes of training, not after
        preset = get_preset(args.preset) if args.preset else None
        settings = (preset.settings if preset else Settings()).replace(**_setting_changes(args))
        data = load_dataset(args.data)
        if args.val_fraction:
            data = with_validation(data, fraction=args.val_fraction, seed=settings.seed)
        trainer = Trainer(data, settings)
        if args.load:
            checkpoint.load_checkpoint(trainer, args.load)
            trainer.update(**_setting_changes(args))  # flags given with --load change the loaded run
    except (DataError, checkpoint.CheckpointError, ValueError, OSError) as e:
        return _fail(str(e))

    interrupt = Interrupt()
    epochs, iterations = _budget(args, preset, trainer)
    # Overflow is how divergence starts; the guard and the watchdog stop it and say so in plain words,
    # so NumPy's warnings would only add noise (the training process does the same).
    with np.errstate(over="ignore", invalid="ignore"):
        stopped = _run(trainer, epochs, iterations, show_progress=not args.no_progress, eval_every=args.eval_every,
                       interrupt=interrupt)
        report = _report(trainer, preset)
    report["interrupted"] = interrupt.signum is not None
    if args.save and not stopped:  # a broken run must not overwrite a good file
        try:
            checkpoint.save_checkpoint(trainer, args.save)
        except checkpoint.CheckpointError as e:
            return _fail(str(e))
    if args.json:
        # last, as the largest part: per layer, weights, last update and activations (core.health)
        report["health"] = [layer.to_dict() for layer in trainer.layer_health()]
        print(json.dumps(report))
    else:
        _print_report(report)
    if stopped:
        print(f"mnist-viz: {stopped}" + (" Nothing was saved." if args.save else ""), file=sys.stderr)
        return EXIT_STOPPED
    if interrupt.signum is not None:
        saved = f"; saved to {args.save}" if args.save else ""
        print(f"mnist-viz: interrupted at step {trainer.step_count:,} (epoch {trainer.epoch:.2f}){saved}",
              file=sys.stderr)
        return EXIT_INTERRUPTED
    return 0


class Interrupt:
    """Ctrl+C (SIGINT) or SIGTERM during ``train``: the first stops training after the current step,
    so the run is reported (and saved with ``--save``) as far as it got; a second ends at once.
    Noted in a flag and acted on between steps, because a ``KeyboardInterrupt`` raised inside a step
    would leave the trainer half-updated and the checkpoint unwritten."""

    def __init__(self) -> None:
        import signal

        self.signum: int | None = None
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, self._note)

    def _note(self, signum: int, _frame: object) -> None:
        if self.signum is not None:
            os._exit(128 + signum)
        self.signum = signum
        print("\nmnist-viz: stopping after this step (press Ctrl+C again to quit at once)", file=sys.stderr)


class _Interrupted(Exception):
    """Raised between two steps to leave ``Trainer.train`` when ``Interrupt`` noted a signal."""


def check_writable(path: str) -> None:
    """Raise ``OSError`` with a plain message unless a file can be written at ``path``: its folder
    exists and is writable, and ``path`` is not a folder."""
    target = os.path.abspath(path)
    folder = os.path.dirname(target)
    if os.path.isdir(target):
        raise OSError(f"cannot save to {path}: it is a folder")
    if not os.path.isdir(folder):
        raise OSError(f"cannot save to {path}: the folder {folder} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK) or (os.path.exists(target) and not os.access(target, os.W_OK)):
        raise OSError(f"cannot save to {path}: permission denied")


def _budget(args, preset, trainer) -> tuple[float | None, int | None]:
    if args.epochs is not None or args.iterations is not None:
        return args.epochs, args.iterations
    if args.load:
        return None, 0
    if preset:
        return preset.epochs, preset.iterations
    return (None, 100) if trainer.settings.optimizer == "gd" else (3.0, None)


def _run(trainer, epochs, iterations, show_progress: bool, eval_every: float,
         interrupt: Interrupt | None = None) -> str:
    """Train with a tqdm bar on stderr; evaluate every ``eval_every`` epochs; stop early when
    ``interrupt`` noted a signal. Returns the message of what stopped training
    (``Trainer.diverged``), or ``""``."""
    from tqdm import tqdm

    steps_per_epoch = math.ceil(trainer.n_train / trainer.batch_size)
    total = iterations if iterations is not None else math.ceil(epochs * steps_per_epoch - 1e-9)
    next_eval = [trainer.epoch + eval_every]
    with tqdm(total=total, unit="step", disable=not show_progress or total == 0, file=sys.stderr,
              dynamic_ncols=True, mininterval=0.2) as bar:
        def after_step(tr, result):
            bar.update(1)
            if tr.epoch >= next_eval[0] - 1e-9:
                _loss, acc = tr.record_evaluation()
                next_eval[0] += eval_every
                bar.set_postfix(loss=f"{result.loss:.4f}", eval_acc=f"{acc:.4f}", refresh=False)
            if interrupt is not None and interrupt.signum is not None:
                raise _Interrupted

        with contextlib.suppress(_Interrupted):
            if total and iterations is not None:
                trainer.train(iterations=iterations, callback=after_step)
            elif total:
                trainer.train(epochs=epochs, callback=after_step)
    return trainer.diverged


def _report(trainer, preset) -> dict:
    report = {"preset": preset.name if preset else None, "settings": trainer.settings.to_dict(),
              "epochs": round(trainer.epoch, 4), "steps": trainer.step_count, "samples": trainer.samples_seen,
              "seconds": round(trainer.elapsed, 4),
              "samples_per_second": round(trainer.samples_seen / trainer.elapsed, 1) if trainer.elapsed else 0.0,
              "stopped": trainer.diverged or None, "stopped_kind": trainer.trouble.kind if trainer.trouble else None}
    t0 = time.perf_counter()
    held_out = trainer.x_eval is not trainer.data.x_test
    splits = {"test": "test", "train": "train", **({"val": "eval"} if held_out else {})}
    for name, split in splits.items():
        loss, accuracy = trainer.evaluate(split)
        # JSON has no NaN: the weights a stopped run ends with may overflow, reported as null
        report[f"{name}_loss"] = loss if math.isfinite(loss) else None
        report[f"{name}_accuracy"] = accuracy
    report["evaluation_seconds"] = round(time.perf_counter() - t0, 4)
    return report


def _print_report(report: dict) -> None:
    if report["stopped"]:
        return
    val = f", validation accuracy {report['val_accuracy']:.2%}" if "val_accuracy" in report else ""
    print(f"test accuracy {report['test_accuracy']:.2%} (loss {report['test_loss']:.4f}){val}; "
          f"train loss {report['train_loss']:.4f}; {report['epochs']:g} epochs, {report['steps']} steps "
          f"in {report['seconds']:.2f} s ({report['samples_per_second']:,.0f} samples/s)")


if __name__ == "__main__":
    sys.exit(main())
