"""Bring the translation catalogs up to date with the sources: ``python tools/update_catalogs.py``.

Collects every msgid written as ``tr("…")`` or ``N_("…")`` (a string literal, implicit
concatenation included) in ``mnist_viz/**/*.py`` and merges them into each
``mnist_viz/locales/<code>.po``: a new msgid is added with an empty msgstr (the translator fills it
in), a translated one keeps its translation, and one no longer in the sources is kept as obsolete
(``#~``) so its translation is not lost if the text comes back. Each entry names where it is used.
``--check`` changes nothing and exits 1 if a catalog lacks a msgid or has an empty msgstr (CI).
"""
from __future__ import annotations

import argparse
import ast
import sys
from collections.abc import Iterator
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "mnist_viz"
LOCALES = PACKAGE / "locales"
KEYWORDS = ("tr", "N_")


def extract_file(path: Path) -> Iterator[tuple[str, int]]:
    """``(msgid, line)`` of every ``tr("…")`` / ``N_("…")`` call with a literal argument in ``path``."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and len(node.args) == 1 and not node.keywords):
            continue
        name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
        arg = node.args[0]
        if name in KEYWORDS and isinstance(arg, ast.Constant) and isinstance(arg.value, str) and arg.value:
            yield arg.value, node.lineno


def extract(package: Path = PACKAGE) -> dict[str, list[tuple[str, int]]]:
    """``{msgid: [(file relative to the repository, line), ...]}`` over the package, in source order."""
    found: dict[str, list[tuple[str, int]]] = {}
    for path in sorted(package.rglob("*.py")):
        for msgid, line in extract_file(path):
            found.setdefault(msgid, []).append((path.relative_to(package.parent).as_posix(), line))
    return found


def merge(po: Path, messages: dict[str, list[tuple[str, int]]]) -> Catalog:
    """``po``'s catalog with ``messages``' msgids: translations kept, new ones empty, gone ones obsolete."""
    with po.open("rb") as f:
        old = read_po(f, locale=po.stem)
    new = Catalog(locale=po.stem, project="mnist-viz", fuzzy=False)
    new.language_team = old.language_team
    for msgid, locations in messages.items():
        before = old.get(msgid) or old.obsolete.get(msgid)  # a text that came back keeps its translation
        string = before.string if before is not None else ""
        flags = before.flags if before is not None else ()
        new.add(msgid, string, locations=locations, flags=flags)
    for message in list(old) + list(old.obsolete.values()):
        if message.id and message.id not in messages and message.string:
            new.obsolete[message.id] = message
    return new


def missing(catalog: Catalog, messages: dict) -> list[str]:
    return [msgid for msgid in messages if not (catalog.get(msgid) and catalog.get(msgid).string)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if a translation is missing")
    args = parser.parse_args(argv)
    messages = extract()
    status = 0
    for po in sorted(LOCALES.glob("*.po")):
        catalog = merge(po, messages)
        lacking = missing(catalog, messages)
        print(f"{po.relative_to(ROOT)}: {len(messages)} msgids, {len(lacking)} untranslated, "
              f"{len(catalog.obsolete)} obsolete")
        if args.check:
            status |= bool(lacking)
            continue
        with po.open("wb") as f:
            write_po(f, catalog, width=120, omit_header=False, sort_output=False, include_previous=False)
    return status


if __name__ == "__main__":
    sys.exit(main())
