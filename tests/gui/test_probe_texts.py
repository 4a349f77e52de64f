"""The probe strip's remembered percent texts are the ones babel writes, in every language."""
import numpy as np
import pytest

from mnist_viz.core import i18n
from mnist_viz.gui.panels.probes import _whole_percent


@pytest.fixture
def restore_language():
    before = i18n.language()
    yield
    i18n.set_language(before)


def test_remembered_percent_texts_match_babel_at_ties_signs_and_in_each_language(restore_language):
    rng = np.random.default_rng(1)
    # Ties (x.5 %) are where a rounding of our own would part from babel's half-to-even;
    # a negative zero keeps its sign in babel's text.
    values = [k / 200 for k in range(-4, 205)] + [-0.0, -1e-9, np.float32(0.985), *rng.random(500)]
    for code in i18n.available_languages():
        i18n.set_language(code)
        for value in values:
            assert _whole_percent(value) == i18n.format_percent(value, 0), (code, value)
        assert _whole_percent(float("nan")) == i18n.format_percent(float("nan"), 0)
