"""Languages (issue 14): every user-visible text goes through ``tr``, numbers through ``format_*``.

A text's msgid is its English wording, so English needs no catalog and an unknown msgid shows in
English. Each other language is one gettext ``.po`` file in ``mnist_viz/locales`` (``de.po``,
``es.po``), read at run time with Babel: adding a language is adding a file, no compile step, no code.
``tools/update_catalogs.py`` collects every ``tr("…")`` / ``N_("…")`` msgid from the sources into
those files, so a translator only edits a ``.po``.

Placeholders stay named in the msgid and the translation (``tr("Step {step}").format(step=...)``);
a translation whose placeholders differ from its msgid's is dropped (English shown), since
``str.format`` would raise on it. Numbers are formatted before they go in (``format_int`` etc.),
so "60,000" reads "60.000" in German.

Never imports Qt: the core's messages are user-visible too.
"""
from __future__ import annotations

import math
import string
from collections.abc import Mapping
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.messages.pofile import PoFileError, read_po
from babel.numbers import get_decimal_symbol, parse_pattern

LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
SOURCE_LANGUAGE = "en"  # the msgids' language: no catalog needed
# The window's language, for the processes it starts (a training process comes up in it, and a
# running one is told by the SetLanguage command).
LANGUAGE_ENV = "MNIST_VIZ_LANGUAGE"
# Where a program without a window (the CLI) finds its language when MNIST_VIZ_LANGUAGE is not set: the
# variables gettext reads, in gettext's order of precedence.
LOCALE_ENVS = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")


class CatalogError(ValueError):
    """A ``.po`` file that cannot be read; the message names the file and what is wrong."""


_catalogs: dict[str, dict[str, str]] = {SOURCE_LANGUAGE: {}}  # language -> {msgid: msgstr}, loaded on demand
_language = SOURCE_LANGUAGE
_read_from: dict[str, Path] = {}  # language -> the file its catalog was read from
_problems: dict[str, list[str]] = {}  # language -> dropped translations (placeholder mismatches)


def N_(msgid: str) -> str:  # the gettext name every extractor knows
    """Mark ``msgid`` for the catalogs without translating it now (texts kept in tables, translated
    with ``tr`` where they are shown)."""
    return msgid


def tr(msgid: str) -> str:
    """``msgid`` (English) in the current language; English when the catalog lacks it."""
    return _catalogs.get(_language, {}).get(msgid) or msgid


def language() -> str:
    """The current language's code, e.g. ``"de"``."""
    return _language


def language_from_environment(environ: Mapping[str, str], folder: Path | None = None) -> str:
    """The language a program started from a shell speaks: ``MNIST_VIZ_LANGUAGE`` if set (English
    when no catalog has its language), else the first of ``LANGUAGE`` (a ``:``-separated list),
    ``LC_ALL``, ``LC_MESSAGES`` and ``LANG`` whose language ("de" of "de_DE.UTF-8") has a catalog
    or is English, else English. The locale ``C`` (or ``POSIX``) is English, as for gettext."""
    known = available_languages(folder)
    explicit = environ.get(LANGUAGE_ENV, "").strip()
    if explicit:
        code = _language_code(explicit)
        return code if code in known else SOURCE_LANGUAGE
    for name in LOCALE_ENVS:
        for entry in environ.get(name, "").split(":") if name == "LANGUAGE" else [environ.get(name, "")]:
            code = _language_code(entry)
            if code in known:
                return code
    return SOURCE_LANGUAGE


def _language_code(locale_name: str) -> str:
    """``"de"`` of ``"de_DE.UTF-8@euro"``, ``"de-AT"`` or ``"de"``; ``"en"`` of ``"C"`` and ``"POSIX"``;
    ``""`` of ``""``."""
    code = locale_name.strip().split(".")[0].split("@")[0].replace("-", "_").split("_")[0].lower()
    return SOURCE_LANGUAGE if code in ("c", "posix") else code


def po_path(code: str, folder: Path | None = None) -> Path:
    return (folder or LOCALES_DIR) / f"{code}.po"


def available_languages(folder: Path | None = None) -> dict[str, str]:
    """``{code: native name}``: English plus one entry per ``.po`` file, e.g. ``{"en": "English",
    "de": "Deutsch", "es": "Español"}``. A file whose name is no locale is listed by its code."""
    codes = [SOURCE_LANGUAGE] + sorted(p.stem for p in (folder or LOCALES_DIR).glob("*.po") if p.stem != "en")
    return {code: _native_name(code) for code in codes}


def _native_name(code: str) -> str:
    try:
        name = Locale.parse(code).get_display_name(code) or code
    except (ValueError, UnknownLocaleError):
        return code
    return name[:1].upper() + name[1:]


def set_language(code: str, folder: Path | None = None) -> None:
    """Make ``code`` the current language (``"en"``, or a ``.po`` file's name). Raises
    ``CatalogError`` for a missing or malformed file; the language is then English."""
    global _language
    path = po_path(code, folder)
    if code != SOURCE_LANGUAGE and _read_from.get(code) != path:  # read once per file
        try:
            _catalogs[code] = load_catalog(path)
        except CatalogError:
            _catalogs.pop(code, None)
            _read_from.pop(code, None)
            _language = SOURCE_LANGUAGE
            raise
        _read_from[code] = path
    _language = code


def load_catalog(path: Path) -> dict[str, str]:
    """``{msgid: msgstr}`` of a ``.po`` file: untranslated, fuzzy and obsolete entries left out, and
    translations whose ``{placeholders}`` differ from the msgid's (noted in ``catalog_problems``)."""
    try:
        with path.open("rb") as f:
            catalog = read_po(f, abort_invalid=True)
    except FileNotFoundError as exc:
        raise CatalogError(f"{path}: no such language file") from exc
    except (PoFileError, UnicodeDecodeError, ValueError, OSError) as exc:
        raise CatalogError(f"{path} is not a readable .po file: {exc}") from exc
    messages: dict[str, str] = {}
    problems = _problems.setdefault(path.stem, [])
    problems.clear()
    for message in catalog:
        if not message.id or message.fuzzy or not isinstance(message.id, str) or not message.string:
            continue
        text = str(message.string)
        if placeholders(text) != placeholders(message.id):
            problems.append(f"{path.name}: {message.id!r} has placeholders {sorted(placeholders(text))}, "
                            f"expected {sorted(placeholders(message.id))}")
            continue
        messages[message.id] = text
    return messages


def catalog_problems(code: str) -> list[str]:
    """Translations of ``code`` left out when its file was read (wrong placeholders)."""
    return list(_problems.get(code, []))


def placeholders(text: str) -> set[str]:
    """The ``str.format`` field names in ``text``: ``"{n} of {total:,}"`` → ``{"n", "total"}``."""
    try:
        return {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}
    except ValueError:  # an unpaired brace: no placeholder can be trusted
        return {"<malformed>"}


def source_text(text: str, code: str) -> str | None:
    """The English msgid whose ``code`` translation is ``text`` (``text`` itself if it is a msgid of
    that catalog or ``code`` is English), else ``None``: the reverse map run-time switching needs."""
    catalog = _catalogs.get(code, {})
    if code == SOURCE_LANGUAGE or text in catalog:
        return text
    return _reverse(code).get(text)


def loaded_languages() -> list[str]:
    """The languages whose catalogs have been read so far (English first)."""
    return list(_catalogs)


_reverse_maps: dict[tuple[str, int], dict[str, str]] = {}


def _reverse(code: str) -> dict[str, str]:
    catalog = _catalogs.get(code, {})
    key = (code, id(catalog))
    if key not in _reverse_maps:
        _reverse_maps[key] = {text: msgid for msgid, text in catalog.items()}
    return _reverse_maps[key]


def known_msgid(msgid: str, code: str | None = None) -> bool:
    """Whether ``code``'s catalog (the current language's by default) translates ``msgid``."""
    return msgid in _catalogs.get(code or _language, {})


# ------------------------------------------------------------------ numbers
def _locale() -> Locale:
    try:
        return Locale.parse(_language)
    except (ValueError, UnknownLocaleError):
        return Locale.parse(SOURCE_LANGUAGE)


# Beyond this a float's digits are noise, and Babel's decimal quantize raises (InvalidOperation from
# about 1e25: a diverging run's loss froze the metric cards with a traceback a frame, seen under Xvfb).
LARGEST_PLAIN = 1e15


def _unplain(x: float, digits: int, locale: Locale) -> str | None:
    """``x`` as the locale writes a number too large (or not finite) for plain digits, else ``None``:
    "3.4e+38" (en), "3,4e+38" (de); "inf", "-inf", "nan" as they are."""
    if not math.isfinite(x):
        return str(float(x))
    if abs(x) < LARGEST_PLAIN:
        return None
    return f"{x:.{max(1, digits)}e}".replace(".", get_decimal_symbol(locale))


def format_number(x: float, digits: int = 2) -> str:
    """``x`` with exactly ``digits`` decimals and the locale's separators: 1234.5 → "1,234.5" (en),
    "1.234,5" (de); from ``LARGEST_PLAIN`` on, or not finite, in scientific notation."""
    locale = _locale()
    if (text := _unplain(x, digits, locale)) is not None:
        return text
    pattern = parse_pattern(locale.decimal_formats[None].pattern)
    pattern.frac_prec = (digits, digits)
    return pattern.apply(x, locale)


def format_significant(x: float, digits: int = 3) -> str:
    """``x`` to ``digits`` significant digits without trailing zeros, the locale's way: 0.0005 →
    "0.0005", 0.25 → "0,25" (de); below 1e-6 and from 1e6 on (or not finite) in scientific notation."""
    if not math.isfinite(x):
        return str(float(x))
    if x == 0:
        return format_number(0, 0)
    if not 1e-6 <= abs(x) < 1e6:
        return f"{x:.{max(0, digits - 1)}e}".replace(".", get_decimal_symbol(_locale()))
    plain = f"{float(f'{x:.{digits}g}'):.12f}".rstrip("0")
    return format_number(x, len(plain.split(".")[1]) if "." in plain else 0)


def format_percent(x: float, digits: int = 1) -> str:
    """A fraction as a percentage, the locale's way: 0.975 → "97.5%" (en), "97,5 %" (de, a no-break space)."""
    locale = _locale()
    if (text := _unplain(100 * x, digits, locale)) is not None:
        return text + "%"
    pattern = parse_pattern(locale.percent_formats[None].pattern)
    pattern.frac_prec = (digits, digits)
    return pattern.apply(x, locale)


def format_int(n: int) -> str:
    """A whole number with the locale's thousands separator: 60000 → "60,000" (en), "60.000" (de)."""
    return format_number(int(n), 0)
