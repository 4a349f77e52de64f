"""Command line: ``mnist-viz`` opens the window; ``mnist-viz train`` trains headless;
``mnist-viz record`` trains headless and writes a video of the run; ``mnist-viz presets`` lists the recipes;
``mnist-viz evaluate`` measures a saved session on the test set, clean and spoiled (``core.robustness``).

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

from mnist_viz.core import i18n
from mnist_viz.core.activations import ACTIVATIONS
from mnist_viz.core.i18n import N_, format_int, format_number, format_percent, tr
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
    "dropout": "dropout", "augment_shift": "augment_shift", "augment_rotate": "augment_rotate",
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
        raise argparse.ArgumentTypeError(tr("hidden sizes must be positive whole numbers like 128 or 256,64; "
                                            "got {text}").format(text=repr(text))) from None
    if not sizes or any(s < 1 for s in sizes):
        raise argparse.ArgumentTypeError(tr("hidden sizes must be positive whole numbers; got {text}").format(
            text=repr(text)))
    return sizes


def _count(text: str) -> int:
    """A whole number >= 0 (iterations: 0 only evaluates)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(tr("{text} is not a whole number").format(text=repr(text))) from None
    if value < 0:
        raise argparse.ArgumentTypeError(tr("{text} must be zero or more").format(text=repr(text)))
    return value


def _positive_int(text: str) -> int:
    value = _count(text)
    if value == 0:
        raise argparse.ArgumentTypeError(tr("{text} must be at least 1").format(text=repr(text)))
    return value


def _fraction(text: str) -> float:
    value = _positive_float(text)
    if value >= 1:
        raise argparse.ArgumentTypeError(tr("{text} must be between 0 and 1 (a fraction of the training "
                                            "images)").format(text=repr(text)))
    return value


GUI_DATA_HELP = N_("data to train on instead of the bundled MNIST: an IDX folder, a Kaggle-style train.csv, a "
                   "keras-style .npz, or fashion-mnist (the installed Fashion-MNIST)")


def _path(text: str) -> str:
    if not text.strip():
        raise argparse.ArgumentTypeError(tr("needs a file or folder path, got an empty one"))
    return text


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(tr("{text} is not a number").format(text=repr(text))) from None
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(tr("{text} must be a positive number").format(text=repr(text)))
    return value


class _Parser(argparse.ArgumentParser):
    """argparse with errors in the loaders' one-line style (not a usage block, then the error).
    argparse's own words ("usage:", "options", "invalid choice") are its gettext domain's, left as
    they are: only the texts mnist-viz gives it are translated here."""

    def error(self, message: str):  # type: ignore[override]
        self.exit(EXIT_BAD_INPUT, tr("mnist-viz: error: {message} (see: {command} --help)").format(
            message=message, command=self.prog) + "\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="mnist-viz", description=tr("Watch a from-scratch NumPy network learn MNIST."))
    # `mnist-viz --data PATH` opens the window on PATH, as `mnist-viz gui --data PATH` does (its own
    # dest: a subcommand's default would overwrite a value the top level parsed).
    parser.add_argument("--data", type=_path, dest="window_data", help=tr(GUI_DATA_HELP))
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)
    gui = sub.add_parser("gui", help=tr("open the window (the default when no command is given)"))
    gui.add_argument("--data", type=_path, help=tr(GUI_DATA_HELP))
    sub.add_parser("presets", help=tr("list the named recipes and what each shows"))
    train = sub.add_parser("train", help=tr("train without a window, with a progress bar"),
                           description=tr("Train headless. Flags override the preset's settings."))
    train.add_argument("--preset", help=tr("start from a named recipe (see `mnist-viz presets`)"))
    budget = train.add_mutually_exclusive_group()
    budget.add_argument("--epochs", type=_positive_float, help=tr("passes over the training data"))
    budget.add_argument("--iterations", type=_count,
                        help=tr("optimisation steps (full-batch steps for --optimizer gd)"))
    train.add_argument("--hidden", type=_hidden_sizes, help=tr("hidden layer sizes, e.g. 128 or 256,64"))
    train.add_argument("--activation", choices=list(ACTIVATIONS))
    train.add_argument("--init", choices=list(INITS), help=tr("small = 0.01·N(0,1) as in the classic tutorials"))
    train.add_argument("--optimizer", choices=list(OPTIMIZERS), help=tr("gd = full-batch gradient descent"))
    train.add_argument("--lr", type=_positive_float, help=tr("learning rate"))
    train.add_argument("--batch-size", type=_positive_int)
    train.add_argument("--momentum", type=float)
    train.add_argument("--beta1", type=float)
    train.add_argument("--beta2", type=float)
    train.add_argument("--eps", type=_positive_float)
    train.add_argument("--l2", type=float, help=tr("L2 weight decay coefficient"))
    train.add_argument("--lr-decay", type=float, help=tr("multiply the learning rate by this after each epoch"))
    train.add_argument("--dropout", type=float, metavar="P",
                       help=tr("switch each hidden unit off with chance P for each training image (0 to 0.9)"))
    train.add_argument("--augment-shift", type=_count, metavar="PX",
                       help=tr("move each training image by up to PX whole pixels in x and in y (0 to 4)"))
    train.add_argument("--augment-rotate", type=float, metavar="DEG",
                       help=tr("turn each training image by up to DEG degrees either way (0 to 30)"))
    train.add_argument("--seed", type=_count)
    train.add_argument("--train-subset", type=_count, help=tr("train on only the first N training images"))
    train.add_argument("--val-size", type=_count, help=tr("hold out the last N training images for validation"))
    train.add_argument("--val-fraction", type=_fraction,
                       help=tr("hold out this fraction of the training images instead"))
    train.add_argument("--data", type=_path, help=tr("IDX folder, Kaggle train.csv or keras mnist.npz "
                                                     "(default: bundled MNIST)"))
    train.add_argument("--save", type=_path, help=tr("write a checkpoint here when done"))
    train.add_argument("--load", type=_path, help=tr("continue from this checkpoint"))
    train.add_argument("--eval-every", type=_positive_float, default=1.0,
                       help=tr("evaluate every this many epochs (default 1), for the history"))
    train.add_argument("--json", action="store_true", help=tr("print one JSON object with the results on stdout"))
    train.add_argument("--no-progress", action="store_true", help=tr("no progress bar"))
    _add_record_command(sub, train)  # last: it takes over every train flag added above
    _add_evaluate_command(sub)
    return parser


# --spoiler flag -> core.robustness.SPOILERS key (names here, so --help needs no NumPy work)
SPOILER_FLAGS = {"noise": "noise", "rotate": "rotate", "shift": "shift", "thickness": "thickness",
                 "occlude": "occlude"}

# argparse reflows the epilog, so its line breaks are free; each {…} (the JSON's keys) stays on one line
EVALUATE_JSON = N_("""--json prints one object: session (the file), data (the dataset's name), network (e.g.
"784-512-10"), activation, step (training steps the session had taken), seed (of the noise and
the occluding squares), test_images, test_accuracy (0..1), per_class (a list of
{label, class, images, accuracy}), robustness (a list, one per spoiler:
{spoiler, title, unit, amounts, accuracies}, accuracies on the whole test set at each amount, 0..1), seconds.""")


def _add_evaluate_command(sub) -> None:
    """``evaluate``: a saved session's accuracy on the test set, per class, and under spoilers."""
    evaluate = sub.add_parser(
        "evaluate", help=tr("test a saved session: accuracy, per class, and on spoiled test images"),
        description=tr("Load a session saved by the window or `mnist-viz train --save` and measure it on the "
                       "test set: its accuracy, per class, and its robustness curves (accuracy on test images "
                       "spoiled with noise, rotation, a shift, thicker or thinner strokes, an occluding square). "
                       "Without spoiler flags every spoiler is measured at its five usual amounts; with some, only "
                       "those, at the amounts given (a comma-separated list: --noise 0.1,0.3; a list that starts "
                       "with a minus sign after an equals sign: --rotate=-30,30)."),
        epilog=tr(EVALUATE_JSON))
    evaluate.add_argument("session", type=_path, metavar="SESSION", help=tr("a saved session (.npz)"))
    for flag, unit in (("noise", "S"), ("rotate", "DEG"), ("shift", "PX"), ("thickness", "K"), ("occlude", "F")):
        evaluate.add_argument(f"--{flag}", type=_amounts, metavar=unit, help=tr(EVALUATE_FLAG_HELP[flag]))
    evaluate.add_argument("--seed", type=_count, default=0, help=tr("seed of the noise and the occluding squares"))
    evaluate.add_argument("--data", type=_path,
                          help=tr("the data the session was trained on (default: bundled MNIST)"))
    evaluate.add_argument("--json", action="store_true", help=tr("print one JSON object (see below)"))


EVALUATE_FLAG_HELP = {
    "noise": N_("Gaussian noise of standard deviation S added to each pixel (0 to 1), clipped to [0, 1]"),
    "rotate": N_("turned DEG degrees counterclockwise (-90 to 90)"),
    "shift": N_("moved PX whole pixels to the right (negative: left; -6 to 6)"),
    "thickness": N_("strokes K pixels thicker (3x3 dilations; negative: thinner; -2 to 3)"),
    "occlude": N_("a black square F of the side wide on each image (0 to 0.6)"),
}


def _amounts(text: str) -> tuple[float, ...]:
    """``0.3`` or ``0.1,0.3``: one or more finite numbers."""
    try:
        values = tuple(float(part) for part in text.replace(" ", "").split(",") if part)
    except ValueError:
        raise argparse.ArgumentTypeError(tr("{text} is not a number or a comma-separated list of numbers").format(
            text=repr(text))) from None
    if not values or not all(math.isfinite(v) for v in values):
        raise argparse.ArgumentTypeError(tr("{text} must be one or more finite numbers").format(text=repr(text)))
    return values


# What a video shows (gui.recording.LAYOUTS; named here so that --help needs no Qt).
VIDEO_LAYOUTS = ("lecture", "curves", "weights", "probes")


def _add_record_command(sub, train: argparse.ArgumentParser) -> None:
    """``record``: every ``train`` flag (argparse copies them from ``train``), and the video's."""
    record = sub.add_parser(
        "record", parents=[train], add_help=False, help=tr("train without a window and write a video of it"),
        description=tr("Train headless, as `mnist-viz train` does, and write the run as a video: the learning "
                       "curves, the weight mosaic and the probe digits as they change (or one of them). The frames "
                       "are spread evenly over the training, so the video lasts --seconds whatever the run's "
                       "length."))
    video = record.add_argument_group(tr("the video"))
    video.add_argument("--out", type=_path, required=True, help=tr("the video file: .mp4, .gif or .webp"))
    video.add_argument("--size", type=_video_size, default=(1280, 720),
                       help=tr("frame size in pixels, width x height (default 1280x720; even numbers for .mp4)"))
    video.add_argument("--fps", type=_positive_int, default=15, help=tr("frames per second (default 15)"))
    video.add_argument("--seconds", type=_positive_float, default=10.0,
                       help=tr("how long the video plays (default 10); fewer frames when the run has fewer steps"))
    video.add_argument("--layout", choices=VIDEO_LAYOUTS, default="lecture",
                       help=tr("lecture = curves, mosaic and probes together (default), or one of them alone"))


def _video_size(text: str) -> tuple[int, int]:
    from mnist_viz.gui.video import parse_size  # no Qt: it only reads numbers

    try:
        return parse_size(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def main(argv: list[str] | None = None) -> int:
    speak_the_environment_language()  # before argparse builds its help texts
    args = build_parser().parse_args(argv)
    if args.window_data is not None and args.command not in (None, "gui"):
        return _fail(tr("--data before `{command}` is for the window only (mnist-viz --data PATH); "
                        "`mnist-viz train` takes its own --data after the command").format(command=args.command))
    if args.command in (None, "gui"):
        from mnist_viz.gui.app import run_app  # Qt is imported only when a window is wanted
        return run_app(data_path=getattr(args, "data", None) or args.window_data)
    if args.command == "presets":
        return list_presets()
    from mnist_viz.core.parallel import limit_blas, threads_for

    try:  # every core headless; `record` paints frames too, so it keeps one for that (core.parallel)
        threads = threads_for(window=args.command == "record")
    except ValueError as e:
        return _fail(str(e))
    with limit_blas(threads):
        if args.command == "record":
            return record_command(args)
        if args.command == "evaluate":
            return evaluate_command(args)
        return train_command(args)


def speak_the_environment_language() -> None:
    """Switch to the language the shell asks for (``i18n.language_from_environment``); a catalog
    that cannot be read leaves English, with one line saying why."""
    try:
        i18n.set_language(i18n.language_from_environment(os.environ))
    except i18n.CatalogError as e:  # set_language fell back to English
        print(f"mnist-viz: {e}", file=sys.stderr)


def list_presets() -> int:
    """Print every preset with its budget as the window uses it (pauses there, or trains until
    paused) and as ``mnist-viz train --preset`` uses it, so the two never disagree unseen."""
    from mnist_viz.core.presets import PRESETS
    for kind in ("fast", "classic", "teaching"):
        print(f"\n{tr(PRESET_KINDS[kind]).upper()}")
        for p in PRESETS.values():
            if p.kind == kind:
                ref = "  " + tr("[tutorial: {reference}]").format(reference=p.reference) if p.reference else ""
                indent = " " * 26
                print(f"  {p.name:<24}{tr(p.title)}{ref}\n"
                      + indent + tr("In the window: {window}. `mnist-viz train`: {budget}.").format(
                          window=p.window_budget, budget=p.budget) + "\n"
                      f"{indent}{tr(p.description)}\n"
                      + indent + tr("Watch: {what}").format(what=tr(p.what_to_watch)))
                if p.question is not None:
                    print(_question_lines(p.question, f"  {'':<24}"))
    return 0


PRESET_KINDS = {"fast": N_("fast"), "classic": N_("classic"), "teaching": N_("teaching")}


def evaluate_command(args) -> int:
    """``mnist-viz evaluate``: load the session, measure it clean, per class and spoiled; print a
    table (or ``--json``, ``EVALUATE_JSON``). A bad file or flag: exit 2 with one line naming it."""
    from mnist_viz.core import robustness
    from mnist_viz.core.checkpoint import CheckpointError
    from mnist_viz.core.data import DataError

    t0 = time.perf_counter()
    try:
        session, data = _load_session(args)
        wanted = {kind: getattr(args, flag) for flag, kind in SPOILER_FLAGS.items() if getattr(args, flag)}
        curves = wanted or {kind: spoiler.points for kind, spoiler in robustness.SPOILERS.items()}
        for kind, amounts in curves.items():
            for amount in amounts:
                robustness.check_amount(kind, amount)  # all flags checked before minutes of work
    except (DataError, CheckpointError, ValueError, OSError) as e:
        return _fail(str(e))
    params, activation, masks = session["params"], session["activation"], session["masks"]
    x, y = data.x_test, np.asarray(data.y_test)
    predicted = robustness.answers(params, activation, x, masks)
    per_class = robustness.per_class_accuracy(y, predicted)
    report = {"session": str(args.session), "data": data.name,
              "network": "-".join(str(n) for n in [params[0].shape[0], *(p.shape[1] for p in params[0::2])]),
              "activation": activation, "step": session["step"], "seed": args.seed, "test_images": len(y),
              "test_accuracy": float(np.mean(predicted == y)) if len(y) else None,
              "per_class": [{"label": k, "class": name, "images": int(np.sum(y == k)),
                             "accuracy": None if math.isnan(per_class[k]) else float(per_class[k])}
                            for k, name in enumerate(data.class_names)],
              "robustness": []}
    for kind, amounts in curves.items():
        spoiler = robustness.SPOILERS[kind]
        points, accuracies = robustness.robustness_curve(params, activation, x, y, kind, amounts, args.seed, masks)
        report["robustness"].append({"spoiler": kind, "title": spoiler.title, "unit": spoiler.unit,
                                     "amounts": points.tolist(), "accuracies": accuracies.tolist()})
    report["seconds"] = round(time.perf_counter() - t0, 3)
    if args.json:
        print(json.dumps(report))
    else:
        _print_evaluation(report)
    return 0


def _load_session(args) -> tuple[dict, object]:
    """``({params, activation, masks, step}, dataset)`` of ``args.session`` on ``args.data``, the
    session's classes and input size checked against the data's. Raises ``CheckpointError``,
    ``DataError`` or ``ValueError`` naming the file."""
    from mnist_viz.core import checkpoint
    from mnist_viz.core.augment import PIXELS
    from mnist_viz.core.data import load_dataset

    meta, arrays, settings = checkpoint.read_checkpoint(args.session)  # the session first: its faults are the likelier
    data = load_dataset(args.data)
    checkpoint.check_session_data(meta, data, args.session)
    if meta["sizes"][0] != data.x_test.shape[1]:
        raise checkpoint.CheckpointError(tr("{path} was trained on {pixels}-pixel inputs, "
                                            "but {data} has {loaded}").format(
            path=args.session, pixels=format_int(meta["sizes"][0]), data=data.name,
            loaded=format_int(data.x_test.shape[1])))
    if data.x_test.shape[1] != PIXELS:
        raise ValueError(tr("{data}: evaluate spoils 28x28 images, but its images have {pixels} pixels").format(
            data=data.name, pixels=format_int(data.x_test.shape[1])))
    params = [arrays[f"param_{i}"] for i in range(meta["n_params"])]
    masks = [arrays.get(f"mask_{i}") for i in range(len(settings.hidden))]
    return {"params": params, "activation": settings.activation, "masks": masks,
            "step": int(meta["counters"].get("step_count", 0))}, data


def _print_evaluation(report: dict) -> None:
    """The report as tables a person reads: accuracy, per class, one row per spoiler."""
    print(tr("{session}: {network} {activation} network, step {step}, on {data}").format(
        session=report["session"], network=report["network"], activation=report["activation"],
        step=format_int(report["step"]), data=report["data"]))
    print(tr("test accuracy {accuracy} on {n} images").format(
        accuracy=percent(report["test_accuracy"]).strip(), n=format_int(report["test_images"])) + "\n")
    class_word, images_word, accuracy_word = tr("class"), tr("images"), tr("accuracy")
    width = max(len(class_word), *(len(row["class"]) for row in report["per_class"]))
    images_width = max(6, len(images_word))
    print(f"   {class_word:<{width}}  {images_word:>{images_width}}  {accuracy_word}")
    for row in report["per_class"]:
        print(f"{row['label']:>2} {row['class']:<{width}}  {format_int(row['images']):>{images_width}}  "
              f"{percent(row['accuracy'])}")
    amount_word = tr("amount")
    label_width = max(10, len(amount_word) + 2, len(accuracy_word) + 2)  # the tables' first column
    for curve in report["robustness"]:
        print(f"\n{tr(curve['title'])} ({tr(curve['unit'])})")
        print(f"  {amount_word:<{label_width}}" + "".join(f"{format_amount(a):>9}" for a in curve["amounts"]))
        print(f"  {accuracy_word:<{label_width}}" + "".join(f"{percent(a):>9}" for a in curve["accuracies"]))


def percent(value: float | None) -> str:
    """``" 97.12%"`` (the language's way: ``"97,12 %"`` in German), or ``"  n/a"`` for no value (a
    class with no test images)."""
    return tr("  n/a") if value is None or math.isnan(value) else f"{format_percent(value, 2):>6}"


def format_amount(amount: float) -> str:
    """A spoiler's amount as ``:g`` writes it (``0.1``, ``-30``), with the language's decimal sign."""
    text = f"{amount:g}"
    if "." not in text or "e" in text:  # no decimals, or an exponent format_number would write out
        return text
    return format_number(amount, len(text.split(".")[1]))


def _question_lines(question, indent: str) -> str:
    """The question a teaching scenario asks the class first, its choices, and the answer."""
    choices = "   ".join(f"{question.letter(i)}) {tr(text)}" for i, text in enumerate(question.choices))
    return (indent + tr("Ask first: {question}").format(question=tr(question.prompt)) + f"\n{indent}  {choices}\n"
            + indent + "  " + tr("Answer: {letter}. {why}").format(letter=question.letter(question.answer),
                                                                 why=tr(question.why)))


def _setting_changes(args) -> dict:
    """The settings given on the command line, as ``{Settings field: value}``."""
    return {field: getattr(args, flag) for flag, field in SETTING_FLAGS.items() if getattr(args, flag) is not None}


def _fail(message: str) -> int:
    print(tr("mnist-viz: error: {message}").format(message=message), file=sys.stderr)
    return EXIT_BAD_INPUT


def build_trainer(args):
    """The ``Trainer`` and ``Preset`` (or ``None``) the ``train`` flags describe (``record`` takes the
    same flags): the preset's settings with the flags' changes, on ``--data``, from ``--load``.
    Raises ``DataError``, ``CheckpointError``, ``ValueError`` or ``OSError`` with a plain message."""
    from mnist_viz.core import checkpoint
    from mnist_viz.core.data import load_dataset, with_validation
    from mnist_viz.core.presets import get_preset
    from mnist_viz.core.trainer import Trainer

    preset = get_preset(args.preset) if args.preset else None
    settings = (preset.settings if preset else Settings()).replace(**_setting_changes(args))
    data = load_dataset(args.data)
    if args.val_fraction:
        data = with_validation(data, fraction=args.val_fraction, seed=settings.seed)
    trainer = Trainer(data, settings)
    if args.load:
        checkpoint.load_checkpoint(trainer, args.load)
        trainer.update(**_setting_changes(args))  # flags given with --load change the loaded run
    return trainer, preset


def train_command(args) -> int:
    from mnist_viz.core import checkpoint
    from mnist_viz.core.data import DataError

    try:
        if args.save:
            check_writable(args.save)  # before minutes of training, not after
        trainer, preset = build_trainer(args)
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
        print(f"mnist-viz: {stopped}" + (tr(" Nothing was saved.") if args.save else ""), file=sys.stderr)
        return EXIT_STOPPED
    if interrupt.signum is not None:
        saved = tr("; saved to {path}").format(path=args.save) if args.save else ""
        print(tr("mnist-viz: interrupted at step {step} (epoch {epoch}){saved}").format(
            step=format_int(trainer.step_count), epoch=format_number(trainer.epoch, 2), saved=saved), file=sys.stderr)
        return EXIT_INTERRUPTED
    return 0


def record_command(args) -> int:
    """``mnist-viz record``: train as ``train`` does and write a video of it (``gui.recording`` paints
    the frames offscreen, ``gui.video`` encodes them as they come). The video is ``--seconds`` long
    at ``--fps``: that many frames, at training steps spread evenly from the first to the last (one
    per step when the run is shorter). Everything that can be wrong with ``--out`` is checked
    before training; a run ended by Ctrl+C writes no video."""
    from mnist_viz.core import checkpoint
    from mnist_viz.core.data import DataError
    from mnist_viz.gui.video import VIDEO_FORMATS, check_video_target

    frames_wanted = max(1, round(args.seconds * args.fps))
    try:
        ending = check_video_target(args.out, args.size, args.fps, frames_wanted)
        if args.save:
            check_writable(args.save)
        trainer, preset = build_trainer(args)
    except (DataError, checkpoint.CheckpointError, ValueError, OSError) as e:
        return _fail(str(e))

    epochs, iterations = _budget(args, preset, trainer)
    interrupt = Interrupt()
    show_progress = not args.no_progress
    with np.errstate(over="ignore", invalid="ignore"):  # as in train_command
        try:
            video = _record_video(trainer, args, epochs, iterations, interrupt, show_progress)
        except (ValueError, OSError) as e:
            return _fail(str(e))
        report = _report(trainer, preset)
    stopped = trainer.diverged
    if interrupt.signum is not None:
        print(tr("mnist-viz: interrupted at step {step}; no video was written").format(
            step=format_int(trainer.step_count)), file=sys.stderr)
        return EXIT_INTERRUPTED
    report["video"] = video
    if args.save and not stopped:
        try:
            checkpoint.save_checkpoint(trainer, args.save)
        except checkpoint.CheckpointError as e:
            return _fail(str(e))
    if args.json:
        print(json.dumps(report))
    else:
        _print_report(report)
        print(tr("wrote {path}: {format}, {frames} frames, {seconds} s at {fps} frames/s, {width}x{height} "
                 "(steps {first} to {last})").format(
            path=video["path"], format=VIDEO_FORMATS[ending], frames=format_int(video["frames"]),
            seconds=format_amount(video["seconds"]), fps=video["fps"], width=video["width"], height=video["height"],
            first=format_int(video["first_step"]), last=format_int(video["last_step"])))
    if stopped:
        print(f"mnist-viz: {stopped}" + tr(" The video shows the run up to there.") +
              (tr(" Nothing was saved.") if args.save else ""), file=sys.stderr)
        return EXIT_STOPPED
    return 0


def _record_video(trainer, args, epochs, iterations, interrupt: Interrupt, show_progress: bool) -> dict:
    """Train, render a frame at each chosen step and encode it at once; returns what was written
    (``path``, ``frames``, ``seconds``, ...). Nothing is written when ``interrupt`` noted a signal."""
    from threadpoolctl import threadpool_limits

    from mnist_viz.gui.recording import FrameRenderer, frame_steps, offscreen_application
    from mnist_viz.gui.video import open_video

    _app = offscreen_application()  # held: the renderer's widgets need it alive
    first = trainer.step_count
    last = first + total_steps(trainer, epochs, iterations)
    wanted = frame_steps(first, last, max(1, round(args.seconds * args.fps)))
    renderer = FrameRenderer(trainer.data, args.size, args.layout)
    probe_x = renderer.probe_images()
    shot: list[int] = []

    def take_frame(tr) -> None:
        writer.add_frame(renderer.render(tr.snapshot(probe_x, health=False)))
        shot.append(tr.step_count)

    # One BLAS thread: the encoder's threads and the painting share the cores with training, and
    # OpenBLAS's threads spin while they wait, which made the steps several times slower than alone.
    try:
        with threadpool_limits(limits=1, user_api="blas"), open_video(args.out, args.size, args.fps) as writer:
            if wanted and wanted[0] == first:
                take_frame(trainer)  # the untrained network: where every video starts
            later = set(wanted[1:])
            _run(trainer, epochs, iterations, show_progress=show_progress, eval_every=args.eval_every,
                 interrupt=interrupt, on_step=lambda tr: take_frame(tr) if tr.step_count in later else None)
            if interrupt.signum is not None:
                writer.abort()
                return {}
            if not shot or shot[-1] != trainer.step_count:
                take_frame(trainer)  # training stopped early: the video ends where it did
            if show_progress and args.out.lower().endswith((".gif", ".webp")):
                print(tr("mnist-viz: writing {frames} frames to {path}…").format(
                    frames=format_int(writer.frames), path=args.out), file=sys.stderr)
    finally:
        renderer.close()
    return {"path": str(writer.path), "frames": writer.frames, "seconds": round(writer.seconds, 3), "fps": args.fps,
            "width": args.size[0], "height": args.size[1], "first_step": shot[0], "last_step": shot[-1]}


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
        print("\n" + tr("mnist-viz: stopping after this step (press Ctrl+C again to quit at once)"), file=sys.stderr)


class _Interrupted(Exception):
    """Raised between two steps to leave ``Trainer.train`` when ``Interrupt`` noted a signal."""


def check_writable(path: str) -> None:
    """Raise ``OSError`` with a plain message unless a file can be written at ``path``: its folder
    exists and is writable, and ``path`` is not a folder."""
    target = os.path.abspath(path)
    folder = os.path.dirname(target)
    if os.path.isdir(target):
        raise OSError(tr("cannot save to {path}: it is a folder").format(path=path))
    if not os.path.isdir(folder):
        raise OSError(tr("cannot save to {path}: the folder {folder} does not exist").format(path=path, folder=folder))
    if not os.access(folder, os.W_OK | os.X_OK) or (os.path.exists(target) and not os.access(target, os.W_OK)):
        raise OSError(tr("cannot save to {path}: permission denied").format(path=path))


def _budget(args, preset, trainer) -> tuple[float | None, int | None]:
    if args.epochs is not None or args.iterations is not None:
        return args.epochs, args.iterations
    if args.load:
        return None, 0
    if preset:
        return preset.epochs, preset.iterations
    return (None, 100) if trainer.settings.optimizer == "gd" else (3.0, None)


def total_steps(trainer, epochs: float | None, iterations: int | None) -> int:
    """Steps ``Trainer.train(epochs=epochs)`` or ``(iterations=iterations)`` will take."""
    if iterations is not None:
        return iterations
    steps_per_epoch = math.ceil(trainer.n_train / trainer.batch_size)
    return math.ceil(epochs * steps_per_epoch - 1e-9)


def _run(trainer, epochs, iterations, show_progress: bool, eval_every: float,
         interrupt: Interrupt | None = None, on_step=None) -> str:
    """Train with a tqdm bar on stderr; evaluate every ``eval_every`` epochs; stop early when
    ``interrupt`` noted a signal; call ``on_step(trainer)`` after each step (and its evaluation).
    Returns the message of what stopped training (``Trainer.diverged``), or ``""``."""
    from tqdm import tqdm

    total = total_steps(trainer, epochs, iterations)
    next_eval = [trainer.epoch + eval_every]
    with tqdm(total=total, unit=tr("step"), disable=not show_progress or total == 0, file=sys.stderr,
              dynamic_ncols=True, mininterval=0.2) as bar:
        def after_step(tr, result):
            bar.update(1)
            if tr.epoch >= next_eval[0] - 1e-9:
                _loss, acc = tr.record_evaluation()
                next_eval[0] += eval_every
                bar.set_postfix(loss=f"{result.loss:.4f}", eval_acc=f"{acc:.4f}", refresh=False)
            if on_step is not None:
                on_step(tr)
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
    val = tr(", validation accuracy {accuracy}").format(
        accuracy=format_percent(report["val_accuracy"], 2)) if "val_accuracy" in report else ""
    print(tr("test accuracy {accuracy} (loss {loss}){validation}; train loss {train_loss}; {epochs} epochs, "
             "{steps} steps in {seconds} s ({speed} samples/s)").format(
        accuracy=format_percent(report["test_accuracy"], 2), loss=format_number(report["test_loss"], 4),
        validation=val, train_loss=format_number(report["train_loss"], 4), epochs=format_amount(report["epochs"]),
        steps=format_int(report["steps"]), seconds=format_number(report["seconds"], 2),
        speed=format_int(round(report["samples_per_second"]))))


if __name__ == "__main__":
    sys.exit(main())
