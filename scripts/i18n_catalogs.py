"""Extract labpipe's translatable strings and keep the catalogs in step with them.

    python scripts/i18n_catalogs.py update   # write labpipe.pot, merge it into every .po
    python scripts/i18n_catalogs.py check    # exit 1, listing each problem, if a catalog
                                             # lacks a string, has a stale, fuzzy or empty one

The strings are those marked in the report templates (Jinja2 ``{% trans %}`` and ``_()``,
whitespace trimmed as the templates render it) and in Python (``_()``, ``ngettext()``,
``N_()``), plus the English words labpipe shows from tables other modules own or the
config's defaults (tier titles, QC metric names, the default sign-off roles, disclaimer
and limitations):
:func:`vocabulary`. Babel does the extraction and merging; a translator edits the ``.po``
files (``msgstr``), following docs/glossary.md, then runs ``check``.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

REPO = Path(__file__).resolve().parent.parent
SOURCE = REPO / "src" / "labpipe"
POT = SOURCE / "locale" / "labpipe.pot"

METHODS = [
    ("templates/**.html", "jinja2.ext:babel_extract"),
    ("**.py", "python"),
]
OPTIONS = {
    # As labpipe.report.html.templates() renders them (trimmed {% trans %} blocks).
    "templates/**.html": {
        "extensions": "jinja2.ext.i18n",
        "trimmed": "true",
        "trim_blocks": "true",
        "lstrip_blocks": "true",
    },
}


def vocabulary() -> Iterator[str]:
    """English words labpipe shows that are defined outside a marked call."""
    from labpipe.annotation.tiers import TIER_TITLES
    from labpipe.config.settings import DEFAULTS
    from labpipe.qc.verdict import _METRICS  # the QC table's metric names

    yield from TIER_TITLES.values()
    yield from (metric.label for metric in _METRICS)
    report = DEFAULTS["report"]
    yield from report["sign_off"]
    yield report["disclaimer"]
    yield from report["limitations"]


def extract() -> Catalog:
    """Every translatable string of labpipe, as a template catalog."""
    # A fixed date: updating the catalogs changes them only where the strings changed.
    catalog = Catalog(
        project="labpipe", domain="labpipe", charset="utf-8", creation_date=datetime(2026, 12, 7)
    )
    for filename, lineno, message, comments, context in extract_from_dir(
        SOURCE, METHODS, OPTIONS, strip_comment_tags=True
    ):
        catalog.add(
            message,
            None,
            [(f"labpipe/{filename}", lineno)],
            auto_comments=comments,
            context=context,
        )
    for message in vocabulary():
        if message not in catalog:
            catalog.add(message, None, [("scripts/i18n_catalogs.py", 0)])
    return catalog


# %-style fields (the templates, most messages) and str.format fields (demo --explain's).
PLACEHOLDER = re.compile(r"%\(\w+\)s|%%|\{\w*(?::[^{}]*)?\}")


def placeholders(text: str) -> list[str]:
    """The ``%(name)s``/``{name}`` fields and ``%%`` signs of a message, sorted (a
    translation may reorder them, never drop or rename one)."""
    return sorted(PLACEHOLDER.findall(text))


def _strings(string: str | tuple[str, ...]) -> tuple[str, ...]:
    return (string,) if isinstance(string, str) else string


def catalogs() -> list[Path]:
    """The ``.po`` file of every language."""
    return sorted((SOURCE / "locale").glob("*/LC_MESSAGES/labpipe.po"))


def problems(template: Catalog, path: Path) -> list[str]:
    """What a ``.po`` catalog lacks or holds beyond the template: each one a line."""
    with open(path, "rb") as handle:
        catalog = read_po(handle)
    name = path.relative_to(REPO) if path.is_relative_to(REPO) else path
    found = []
    for message in template:
        if not message.id:
            continue
        entry = catalog.get(message.id, message.context)
        shown = message.id if isinstance(message.id, str) else message.id[0]
        if entry is None:
            found.append(f"{name}: missing: {shown!r}")
        elif entry.fuzzy:
            found.append(f"{name}: fuzzy (review it, then remove the fuzzy flag): {shown!r}")
        elif not (entry.string if isinstance(entry.string, str) else all(entry.string)):
            found.append(f"{name}: not translated: {shown!r}")
        elif any(placeholders(s) != placeholders(shown) for s in _strings(entry.string)):
            found.append(f"{name}: placeholders differ from the English: {shown!r}")
    for entry in catalog:
        if entry.id and template.get(entry.id, entry.context) is None:
            shown = entry.id if isinstance(entry.id, str) else entry.id[0]
            found.append(f"{name}: stale (no longer in labpipe): {shown!r}")
    found.extend(f"{name}: obsolete entry: {m.id!r}" for m in catalog.obsolete.values())
    return found


def update(template: Catalog) -> None:
    """Write the template and merge it into every catalog (new strings come in empty)."""
    with open(POT, "wb") as handle:
        write_po(handle, template, width=100, sort_output=True, include_lineno=False)
    for path in catalogs():
        with open(path, "rb") as handle:
            catalog = read_po(handle)
        catalog.update(template, no_fuzzy_matching=True)
        with open(path, "wb") as handle:
            write_po(
                handle,
                catalog,
                width=100,
                ignore_obsolete=True,
                sort_output=True,
                include_lineno=False,
            )


def main(argv: list[str] | None = None) -> int:
    """``update`` or ``check``."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("action", choices=("update", "check"))
    action = parser.parse_args(argv).action
    template = extract()
    if action == "update":
        update(template)
        return 0
    found = [line for path in catalogs() for line in problems(template, path)]
    for line in found:
        print(line)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
