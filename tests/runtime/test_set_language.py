"""SetLanguage: the training process writes its messages (the banner's headline) in the window's
language; a bad code or a missing catalog is refused and the language stays."""
from __future__ import annotations

import pytest
from loop_commands import do

from mnist_viz.core import i18n
from mnist_viz.core.snapshot import Settings
from mnist_viz.core.trainer import Trainer
from mnist_viz.runtime.loop import TrainingLoop
from mnist_viz.runtime.protocol import CommandFailed, SetLanguage


@pytest.fixture
def loop(small_mnist):
    sent: list = []
    yield TrainingLoop(Trainer(small_mnist, Settings(hidden=(8,), optimizer="sgd", lr=1e6)), sent.append,
                       lambda: True), sent
    i18n.set_language("en")



def test_the_banner_headline_follows_the_language(loop):
    loop, _sent = loop
    do(loop, SetLanguage("de"))
    assert i18n.language() == "de"
    loop.trainer.train(iterations=60)  # lr 1e6: stopped within a few steps, in this process's language
    trouble = loop.trainer.trouble
    german = (i18n.tr("Training stopped before step {step}: {what}"), i18n.tr("Training paused at step {step}: {what}"))
    assert trouble and trouble.headline.startswith(tuple(g.split("{step}")[0] for g in german))
    assert not trouble.headline.startswith(("Training stopped", "Training paused"))  # not the English


@pytest.mark.parametrize("code", ["xx", "../../etc", ""])
def test_a_bad_or_unknown_language_is_refused_and_the_language_stays(loop, code):
    loop, sent = loop
    do(loop, SetLanguage(code))
    assert i18n.language() == "en"
    assert any(isinstance(e, CommandFailed) for e in sent)
