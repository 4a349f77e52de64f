"""A preset's budget holds while its settings do: the training loop ends it when a live change or a
reset leaves them (switched to Adam, then R: it must not stop at the recipe's 3 epochs)."""
import dataclasses

from mnist_viz.core.presets import PRESETS, get_preset
from mnist_viz.core.trainer import Trainer
from mnist_viz.runtime.loop import TrainingLoop
from mnist_viz.runtime.protocol import Envelope, Reset, SetBudget, UpdateSettings


def _loop(data, settings):
    return TrainingLoop(Trainer(data, settings), lambda event: None, lambda: True)


def _do(loop, *commands):
    for command in commands:
        loop.receive(Envelope(loop.commands.seq + 1, command))
    items, _ = loop.commands.take()
    loop.apply(items)


def test_a_live_change_ends_the_budget_and_a_reset_does_not_bring_it_back(small_mnist):
    preset = dataclasses.replace(get_preset("fast"), epochs=1)
    loop = _loop(small_mnist, preset.settings)
    _do(loop, SetBudget(preset))
    assert loop.state().budget is preset
    _do(loop, UpdateSettings({"optimizer": "adam"}))
    assert loop.state().budget is None
    _do(loop, Reset(None))  # R after the change: the run is not the recipe any more
    assert loop.state().budget is None


def test_a_reset_with_the_recipes_own_settings_keeps_the_budget(small_mnist):
    preset = get_preset("fast")
    loop = _loop(small_mnist, preset.settings)
    _do(loop, SetBudget(preset), Reset(None))
    assert loop.state().budget is preset
    _do(loop, Reset(preset.settings))
    assert loop.state().budget is preset
    _do(loop, UpdateSettings({"lr": preset.settings.lr}))  # no change: still the recipe
    assert loop.state().budget is preset
    _do(loop, Reset(preset.settings.replace(seed=1)))
    assert loop.state().budget is None


def test_every_preset_says_where_its_budget_applies():
    for preset in PRESETS.values():
        expected = f"{preset.budget}, then pauses" if preset.stops_at_budget else "trains until you pause"
        assert preset.window_budget == expected
        # a recipe is timed against its promise, so it runs at full speed in the window
        assert preset.seconds_per_epoch is None or not preset.stops_at_budget
