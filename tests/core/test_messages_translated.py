"""The core's and the CLI's messages in the user's language (issue 14.4): loader and checkpoint
errors, the CLI's help, and the rule that picks the CLI's language from the environment."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from mnist_viz.core import i18n
from mnist_viz.core.checkpoint import read_checkpoint
from mnist_viz.core.checkpoint_check import CheckpointError
from mnist_viz.core.data import DataError, load_dataset


@pytest.fixture(autouse=True)
def english_after():
    yield
    i18n.set_language("en")


def _msgstr(code: str, msgid: str) -> str:
    """The translation as the ``.po`` file has it, read here, not through ``tr``."""
    with i18n.po_path(code).open("rb") as f:
        message = read_po(f).get(msgid)
    assert message is not None and message.string, f"{code}.po lacks {msgid!r}"
    return message.string


def _refusal(load, path: Path) -> str:
    with pytest.raises((DataError, CheckpointError)) as caught:
        load(path)
    return str(caught.value)


def test_a_data_error_comes_out_in_german_and_names_the_file(tmp_path):
    missing = tmp_path / "ziffern.npz"
    english = _refusal(load_dataset, missing)
    i18n.set_language("de")
    german = _refusal(load_dataset, missing)
    assert german == _msgstr("de", "{path} not found").format(path=missing)
    assert str(missing) in german and german != english


def test_a_checkpoint_error_comes_out_in_german_and_names_the_file(tmp_path):
    notes = tmp_path / "notizen.npz"
    notes.write_text("not a zip archive\n", encoding="utf-8")
    english = _refusal(read_checkpoint, notes)
    i18n.set_language("de")
    german = _refusal(read_checkpoint, notes)
    msgid = "{path} is not a mnist-viz checkpoint (not a readable .npz archive)"
    assert english == msgid.format(path=notes)
    assert german == _msgstr("de", msgid).format(path=notes) != english


def test_words_put_into_a_message_are_translated_too(tmp_path):
    # a FIFO where a data file belongs: the kind of file is a word of its own in the message
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    i18n.set_language("es")
    message = _refusal(load_dataset, fifo)
    assert message == _msgstr("es", "{path} is {kind}, not a regular file; expected a data file").format(
        path=fifo, kind=_msgstr("es", "a FIFO (named pipe)"))


def _cli_help(language_env: dict[str, str]) -> str:
    """``python -m mnist_viz train --help`` with only ``language_env`` saying which language (the
    suite's MNIST_VIZ_LANGUAGE=en and any locale variables left out), wide enough not to wrap."""
    env = {k: v for k, v in os.environ.items() if k != i18n.LANGUAGE_ENV and k not in i18n.LOCALE_ENVS}
    env.update(language_env, COLUMNS="250")
    proc = subprocess.run([sys.executable, "-m", "mnist_viz", "train", "--help"], env=env, capture_output=True,
                          text=True, timeout=60, check=True)
    return proc.stdout


@pytest.mark.parametrize(("language_env", "code"), [
    ({"MNIST_VIZ_LANGUAGE": "es"}, "es"),
    ({"LANG": "de_DE.UTF-8"}, "de"),  # no MNIST_VIZ_LANGUAGE: the shell's locale decides
])
def test_the_cli_help_is_in_the_environment_language(language_env, code):
    out = _cli_help(language_env)
    for msgid in ("Train headless. Flags override the preset's settings.", "passes over the training data",
                  "no progress bar"):
        assert _msgstr(code, msgid) in out and msgid not in out


def test_the_cli_help_is_english_without_a_language():
    out = _cli_help({})
    assert "passes over the training data" in out and "Train headless." in out


@pytest.mark.parametrize(("environ", "expected"), [
    ({}, "en"),
    ({"MNIST_VIZ_LANGUAGE": "de"}, "de"),
    ({"MNIST_VIZ_LANGUAGE": "es", "LANG": "de_DE.UTF-8"}, "es"),  # the app's own variable first
    ({"MNIST_VIZ_LANGUAGE": "fr", "LANG": "de_DE.UTF-8"}, "en"),  # asked for explicitly, no catalog: English
    ({"MNIST_VIZ_LANGUAGE": "", "LANG": "es_ES.UTF-8"}, "es"),  # set but empty counts as not set
    ({"LANG": "de_AT.UTF-8"}, "de"),
    ({"LANG": "es_MX"}, "es"),
    ({"LANG": "de"}, "de"),
    ({"LANG": "de-CH.utf8@euro"}, "de"),
    ({"LANG": "fr_FR.UTF-8"}, "en"),
    ({"LANG": "C.UTF-8"}, "en"),
    ({"LC_ALL": "C", "LANG": "de_DE.UTF-8"}, "en"),  # C is a choice (English), not "no catalog"
    ({"LANGUAGE": "fr:es:de", "LANG": "de_DE.UTF-8"}, "es"),  # LANGUAGE lists preferences in order
    ({"LANGUAGE": "fr", "LC_ALL": "", "LC_MESSAGES": "es_ES.UTF-8", "LANG": "de_DE.UTF-8"}, "es"),
    ({"LANGUAGE": "en_GB:de", "LANG": "de_DE.UTF-8"}, "en"),  # English is always there
    ({"LC_ALL": "fr_FR.UTF-8", "LANG": "de_DE.UTF-8"}, "de"),  # the first with a catalog, not just the first
])
def test_language_from_environment(environ, expected):
    assert i18n.language_from_environment(environ) == expected


def test_language_from_environment_follows_the_catalogs_there_are(tmp_path):
    (tmp_path / "fr.po").write_text('msgid "Reset"\nmsgstr "Réinitialiser"\n', encoding="utf-8")
    assert i18n.language_from_environment({"LANG": "fr_FR.UTF-8"}, tmp_path) == "fr"
    assert i18n.language_from_environment({"LANG": "de_DE.UTF-8"}, tmp_path) == "en"  # no de.po there
