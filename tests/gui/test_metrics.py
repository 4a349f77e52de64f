"""The metric cards read what the snapshots say: the latest evaluation, the batches' loss, and the wall
time an epoch takes now; "—" for what the run does not have yet."""
import dataclasses
import math

import numpy as np
import pytest

from mnist_viz.core.snapshot import EVAL_COLUMNS, Settings
from mnist_viz.core.trainer import Trainer
from mnist_viz.gui.panels.metrics import NO_VALUE, MetricCards


@pytest.fixture
def trainer(small_mnist):
    return Trainer(small_mnist, Settings(hidden=(16,), train_subset=2000, batch_size=100))


def _playing(snap, playing=True):
    return dataclasses.replace(snap, loop=dataclasses.replace(snap.loop, playing=playing))


def test_cards_show_the_latest_evaluation_and_nothing_before_one(qtbot, shown, trainer):
    cards = shown(MetricCards(), 1400, 90)
    trainer.step()
    cards.show_snapshot(trainer.snapshot())
    assert cards.value("eval_accuracy") == NO_VALUE and cards.value("eval_loss") == NO_VALUE
    assert cards.value("train_loss") != NO_VALUE and cards.value("epoch") == f"{trainer.epoch:.2f}"
    for _ in range(5):
        trainer.step()
    loss, accuracy = trainer.record_evaluation()
    cards.show_snapshot(trainer.snapshot())
    assert cards.value("eval_accuracy") == f"{accuracy:.1%}" and cards.value("eval_loss") == f"{loss:.3f}"
    train_acc = trainer.history.evals.array()[-1, EVAL_COLUMNS.index("train_accuracy")]
    assert cards.value("train_accuracy") == f"{train_acc:.1%}"
    cards.clear()
    assert all(cards.value(key) == NO_VALUE for key in cards.cards)


def test_time_per_epoch_is_wall_time_so_a_slow_pace_reads_as_slow(qtbot, shown, trainer):
    cards = shown(MetricCards(), 1400, 90)
    now = [0.0]
    cards.clock = lambda: now[0]
    # 20 batches of 100 = one epoch of 2,000 images; one batch per 1.5 s of wall time (a slow pace).
    for _ in range(20):
        trainer.step()
        now[0] += 1.5
        cards.show_snapshot(_playing(trainer.snapshot()))
    assert cards.value("epoch_time") == "30 s"
    cards.show_snapshot(_playing(trainer.snapshot(), playing=False))
    assert cards.value("epoch_time") == "30 s"  # kept while paused, not recomputed from a pause


def test_no_value_is_shown_as_a_number_when_the_loss_is_not_finite(qtbot, shown, trainer):
    cards = shown(MetricCards(), 1400, 90)
    snap = trainer.snapshot()
    rows = np.array([[1, 0.05, 100, math.nan, 0.1]])
    cards.show_snapshot(dataclasses.replace(snap, new_steps=rows))
    assert cards.value("train_loss") == NO_VALUE


def test_a_replayed_history_gives_the_recent_training_loss_not_the_mean_of_the_whole_run(qtbot, shown, trainer):
    cards = shown(MetricCards(), 1400, 90)
    snap = trainer.snapshot()
    losses = np.r_[np.full(300, 1000.0), np.full(100, 0.25)]  # a blow-up long ago, then healthy
    rows = np.column_stack([np.arange(400), np.arange(400) / 20, np.arange(400) * 100, losses, np.full(400, 0.9)])
    cards.show_snapshot(dataclasses.replace(snap, new_steps=rows))
    assert cards.value("train_loss") == "0.250"


def test_a_diverging_loss_and_the_learning_rate_fit_their_cards_in_every_language():
    """A 13-digit loss was cut at both sides (",290,407,00"); from 1e25 the formatting raised, which froze
    the cards (seen under Xvfb). The learning rate is written the language's way (0,001 in German)."""
    from mnist_viz.core import i18n
    from mnist_viz.gui.panels.metrics import _number
    try:
        assert _number(1234567890123.0) == "1.235e+12" and _number(3e30) == "3.000e+30" and _number(0.0012) == "0.001"
        i18n.set_language("de")
        assert _number(1234567890123.0) == "1,235e+12" and _number(2.5) == "2,500"
        assert i18n.format_significant(0.001, 3) == "0,001"
    finally:
        i18n.set_language("en")
