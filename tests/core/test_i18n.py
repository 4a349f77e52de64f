"""Languages: the catalogs cover every marked text, keep its placeholders, and numbers follow the locale."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from mnist_viz.core import i18n

ROOT = Path(__file__).resolve().parents[2]
TRANSLATED = ("de", "es")


def _update_catalogs():
    spec = importlib.util.spec_from_file_location("update_catalogs", ROOT / "tools" / "update_catalogs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(autouse=True)
def english_after():
    yield
    i18n.set_language("en")


@pytest.fixture(scope="module")
def msgids() -> dict:
    return _update_catalogs().extract()


def _catalog(code: str):
    with i18n.po_path(code).open("rb") as f:
        return read_po(f, abort_invalid=True)


def test_the_sources_mark_texts_for_translation(msgids):
    # guards the extractor itself: the controls' and menus' texts are found
    assert "▶ Start" in msgids and "&File" in msgids and "Training on {n} of {total} images{held}" in msgids


@pytest.mark.parametrize("code", TRANSLATED)
def test_every_marked_text_is_translated(code, msgids):
    catalog = _catalog(code)
    untranslated = [m for m in msgids if catalog.get(m) is None or not catalog.get(m).string]
    assert not untranslated, f"{code}.po lacks (run tools/update_catalogs.py, then translate): {untranslated}"


@pytest.mark.parametrize("code", TRANSLATED)
def test_translations_keep_the_placeholders_and_accelerators(code):
    for message in _catalog(code):
        if not message.id:
            continue
        assert i18n.placeholders(message.string) == i18n.placeholders(message.id), message.id
        assert ("&" in message.string) == ("&" in message.id), message.id
    i18n.set_language(code)
    assert i18n.catalog_problems(code) == []


def test_languages_are_listed_from_the_files_by_their_own_names(tmp_path):
    assert i18n.available_languages() == {"en": "English", "de": "Deutsch", "es": "Español"}
    (tmp_path / "fr.po").write_text('msgid "Reset"\nmsgstr "Réinitialiser"\n', encoding="utf-8")
    assert i18n.available_languages(tmp_path) == {"en": "English", "fr": "Français"}
    i18n.set_language("fr", tmp_path)  # a new language is one file
    assert i18n.tr("Reset") == "Réinitialiser"


def test_tr_translates_and_falls_back_to_english():
    i18n.set_language("de")
    assert i18n.language() == "de"
    assert i18n.tr("&File") == _catalog("de").get("&File").string != "&File"
    assert i18n.tr("A text no catalog has") == "A text no catalog has"
    i18n.set_language("en")
    assert i18n.tr("&File") == "&File"


def test_a_translation_with_other_placeholders_is_dropped(tmp_path):
    (tmp_path / "de.po").write_text('msgid "step {step}"\nmsgstr "Schritt {schritt}"\n\n'
                                    'msgid "Reset"\nmsgstr "Zurücksetzen"\n', encoding="utf-8")
    i18n.set_language("de", tmp_path)
    assert i18n.tr("step {step}").format(step=3) == "step 3"  # English, not a KeyError
    assert i18n.tr("Reset") == "Zurücksetzen"
    assert "step {step}" in i18n.catalog_problems("de")[0]
    i18n.set_language("de")  # the package's own file again, not the one read last
    assert i18n.tr("&File") == _catalog("de").get("&File").string


@pytest.mark.parametrize("content", [
    'msgid "Reset"\nmsgstr "Zurücksetzen"\n'.encode("latin-1"),  # saved in the wrong encoding
    b'msgid "Reset"\nmsgstr "Neu"\nmsgid "Step"\n',  # a msgid without its msgstr
])
def test_a_malformed_file_is_named_and_english_kept(tmp_path, content):
    (tmp_path / "de.po").write_bytes(content)
    with pytest.raises(i18n.CatalogError, match=r"de\.po"):
        i18n.set_language("de", tmp_path)
    assert i18n.language() == "en"
    assert i18n.tr("Reset") == "Reset"


def test_a_missing_language_file_is_named(tmp_path):
    with pytest.raises(i18n.CatalogError, match=r"xx\.po"):
        i18n.set_language("xx", tmp_path)
    assert i18n.language() == "en"


@pytest.mark.parametrize(("code", "number", "percent", "count"), [
    ("en", "1,234.5", "97.5%", "60,000"),
    ("de", "1.234,5", "97,5\N{NO-BREAK SPACE}%", "60.000"),
    ("es", "1.234,5", "97,5\N{NO-BREAK SPACE}%", "60.000"),
])
def test_numbers_follow_the_language(code, number, percent, count):
    i18n.set_language(code)
    assert i18n.format_number(1234.5, 1) == number
    assert i18n.format_percent(0.975, 1) == percent
    assert i18n.format_int(60_000) == count


def test_english_numbers_read_as_before():
    # the English texts must not change: format() spellings the code used before the catalogs
    for x, digits in ((0.1234, 3), (12.5, 2), (1973.4, 0)):
        assert i18n.format_number(x, digits) == f"{x:,.{digits}f}"
    assert i18n.format_percent(0.9123, 1) == f"{0.9123:.1%}"


def test_update_catalogs_adds_new_texts_and_keeps_old_translations(tmp_path):
    tool = _update_catalogs()
    po = tmp_path / "de.po"
    po.write_text('msgid "Reset"\nmsgstr "Zurücksetzen"\n\nmsgid "Gone"\nmsgstr "Weg"\n', encoding="utf-8")
    catalog = tool.merge(po, {"Reset": [("a.py", 1)], "New text": [("a.py", 2)]})
    assert catalog.get("Reset").string == "Zurücksetzen"
    assert catalog.get("New text").string == ""
    assert "Gone" in catalog.obsolete and catalog.get("Gone") is None
    assert tool.missing(catalog, {"Reset": [], "New text": []}) == ["New text"]


def test_numbers_too_large_for_plain_digits_are_written_scientifically_in_every_language():
    """A diverging run's loss reaches 1e30 and more: Babel's quantize raised from about 1e25, which
    froze the metric cards (a traceback a frame, seen under Xvfb)."""
    from mnist_viz.core import i18n
    try:
        for code, decimal in (("en", "."), ("de", ","), ("es", ",")):
            i18n.set_language(code)
            assert i18n.format_number(1e30, 3) == f"1{decimal}000e+30"
            assert i18n.format_number(-3.4e38, 1) == f"-3{decimal}4e+38"
            assert i18n.format_number(float("inf")) == "inf" and i18n.format_number(float("nan")) == "nan"
            assert i18n.format_percent(1e20) == f"1{decimal}0e+22%"
            assert i18n.format_int(10**30).startswith("1")
            assert "e" not in i18n.format_number(123456789012.5, 1)  # still plain below the limit
    finally:
        i18n.set_language("en")
