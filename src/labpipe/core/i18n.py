"""The language labpipe speaks: which one, its messages, and its numbers and dates.

Languages: English (the msgids themselves), Urdu (``ur``, written right to left) and
Simplified Chinese (``zh_Hans``). Messages are marked in Python with :func:`_` (translated
at once) or :func:`N_` (marked only, for module-level constants translated where shown),
and in the report templates with Jinja2's i18n extension. The catalogs are gettext ``.po``
files under ``labpipe/locale/<lang>/LC_MESSAGES/labpipe.po``, read with Babel when first
needed (nothing is compiled at build time; the wheel ships the ``.po`` files as package
data). ``scripts/i18n_catalogs.py`` extracts the marked strings and updates them.

Which language (:func:`choose_language`): ``--lang`` on the command line (which sets
``LABPIPE_LANG``, so that the workflow's steps inherit it), else the config's
``report.language`` unless ``auto``, else the locale environment (``LC_ALL``,
``LC_MESSAGES``, ``LANG``), else English.

The translations are a first draft following ``docs/glossary.md``: they need review by a
native-speaking clinical scientist before clinical use.
"""

from __future__ import annotations

import gettext
import io
import os
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from functools import cache
from pathlib import Path

ENGLISH = "en"
URDU = "ur"
CHINESE = "zh_Hans"
#: Every language labpipe speaks, English first.
LANGUAGES = (ENGLISH, URDU, CHINESE)
#: ``report.language``'s default: choose from ``--lang`` and the locale environment.
AUTO = "auto"
#: The environment variable ``--lang`` sets (inherited by the workflow's steps).
LANG_ENV = "LABPIPE_LANG"
#: Where the catalogs live: ``<LOCALE_DIR>/<lang>/LC_MESSAGES/labpipe.po``.
LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
DOMAIN = "labpipe"

_RIGHT_TO_LEFT = frozenset({URDU})
# Locale names a system may set, reduced to labpipe's languages (zh_CN, zh_SG: simplified).
_ALIASES = {"zh": CHINESE, "zh_cn": CHINESE, "zh_sg": CHINESE, "zh_hans": CHINESE}

_current = ENGLISH


def language_of(locale_name: str | None) -> str | None:
    """labpipe's language for a locale name (``ur_PK.UTF-8``, ``zh_CN``, ``zh-Hans``), or None."""
    if not locale_name:
        return None
    name = locale_name.split(".")[0].split("@")[0].replace("-", "_")
    if name in LANGUAGES:
        return name
    lowered = name.lower()
    if lowered in _ALIASES:
        return _ALIASES[lowered]
    base = lowered.split("_")[0]
    if base in (ENGLISH, URDU):
        return base
    return None


def choose_language(configured: str | None = None, environ: Mapping[str, str] | None = None) -> str:
    """The language to use: ``--lang``, then ``report.language``, then the locale, then English.

    Args:
        configured: The config's ``report.language`` (``auto`` or None: not fixed).
        environ: The environment (default: this process's).
    """
    env = os.environ if environ is None else environ
    chosen = language_of(env.get(LANG_ENV))
    if chosen:
        return chosen
    if configured and configured != AUTO:
        return language_of(configured) or ENGLISH
    for variable in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(variable)
        if value:  # the first one set decides, as for gettext: LANG=C means English
            return language_of(value) or ENGLISH
    return ENGLISH


def catalog_path(language: str) -> Path:
    """The ``.po`` catalog of a language."""
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def translations(language: str) -> gettext.NullTranslations:
    """A language's messages, read from its ``.po`` catalog (English: the msgids)."""
    if language == ENGLISH:
        return gettext.NullTranslations()
    # Babel compiles the catalog in memory: no .mo to build, keep in step, or ship.
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with open(catalog_path(language), "rb") as handle:
        catalog = read_po(handle, locale=language)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)  # fuzzy entries are left out, as msgfmt does
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


def set_language(language: str) -> None:
    """Make ``language`` the one :func:`_` translates into (for this process)."""
    global _current
    if language not in LANGUAGES:
        raise ValueError(f"unknown language {language!r}; one of {', '.join(LANGUAGES)}")
    _current = language


def current_language() -> str:
    """The language :func:`_` translates into."""
    return _current


@contextmanager
def using_language(language: str) -> Iterator[None]:
    """Translate into ``language`` inside the block, then back to the one before."""
    before = _current
    set_language(language)
    try:
        yield
    finally:
        set_language(before)


def _(message: str) -> str:
    """``message`` in the current language (itself when the catalog lacks it)."""
    if not message:  # gettext's translation of "" is the catalog's header
        return message
    return translations(_current).gettext(message)


def ngettext(singular: str, plural: str, count: int) -> str:
    """The singular or plural form for ``count`` in the current language."""
    return translations(_current).ngettext(singular, plural, count)


def N_(message: str) -> str:
    """Mark ``message`` for the catalogs without translating it (translate where shown)."""
    return message


_FIELD = re.compile(r"%\((\w+)\)s")
#: Fields of a written message translated in turn, and what joins their pieces: a reason
#: inside a reason, the figures behind a note.
NESTED_FIELDS = {"reason": "; ", "figures": ", "}


@cache
def _reader(message: str) -> re.Pattern[str]:
    """A pattern matching ``message`` filled in, each ``%(name)s`` field a named group."""
    parts = _FIELD.split(message.replace("%%", "%"))
    # re.split with one group: the field names sit at the odd places.
    pattern = "".join(
        f"(?P<{part}>.+?)" if index % 2 else re.escape(part) for index, part in enumerate(parts)
    )
    return re.compile(pattern, re.DOTALL)


def translate_written(text: str, messages: Sequence[str], separator: str = "; ") -> str:
    """English text a step wrote into a data file (a table's ``tier_reason``), in the current
    language: the files stay English for programs, what people read is translated.

    Args:
        text: Pieces joined by ``separator``, each either a msgid or one of ``messages``
            (msgids with ``%(name)s`` fields) filled in.
        messages: The msgids the text may be written from; the one with the most fixed text
            wins when several match. Field values are kept as written (terms, numbers, IDs),
            except those of :data:`NESTED_FIELDS`, translated in turn.
        separator: What joins the pieces.

    Returns:
        The text translated piece by piece; a piece none of them matches stays as it is.
    """
    if _current == ENGLISH or not text:
        return text
    ordered = sorted(messages, key=lambda m: -len(_FIELD.sub("", m)))
    return _written_pieces(text, ordered, separator)


def _written_pieces(text: str, messages: Sequence[str], separator: str) -> str:
    return separator.join(_written_piece(piece, messages) for piece in text.split(separator))


def _written_piece(piece: str, messages: Sequence[str]) -> str:
    translated = _(piece)
    if translated != piece:
        return translated
    for message in messages:
        found = _reader(message).fullmatch(piece)
        if found is None:
            continue
        values = {
            name: _written_pieces(value, messages, NESTED_FIELDS[name])
            if name in NESTED_FIELDS
            else value
            for name, value in found.groupdict().items()
        }
        return _(message) % values
    return piece


def is_right_to_left(language: str) -> bool:
    """Whether the language is written right to left (Urdu)."""
    return language in _RIGHT_TO_LEFT


def left_to_right(text: str) -> str:
    """``text`` (an ID, gene or HGVS name) kept left to right inside a right-to-left sentence.

    Plain text cannot hold ``<bdi>``: Unicode's LEFT-TO-RIGHT ISOLATE does the same. Only
    in a right-to-left language, so English text stays byte for byte as it was.
    """
    return f"\u2066{text}\u2069" if is_right_to_left(_current) else text


def display_width(text: str) -> int:
    """The columns ``text`` takes in a terminal: Chinese characters take two."""
    from unicodedata import east_asian_width

    return sum(2 if east_asian_width(char) in "WF" else 1 for char in text)


def padded(text: str, width: int, left: bool = False) -> str:
    """``text`` padded with spaces to ``width`` terminal columns (right-aligned unless
    ``left``), so that a translated table's columns still line up."""
    fill = " " * max(0, width - display_width(text))
    return text + fill if left else fill + text


def html_lang(language: str) -> str:
    """The BCP 47 tag for HTML's ``lang`` attribute (``zh-Hans``)."""
    return language.replace("_", "-")


def format_number(value: float, digits: int = 0, language: str | None = None) -> str:
    """A number as the language writes it (grouping, decimal sign), ``digits`` decimals."""
    from babel.numbers import format_decimal

    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    return format_decimal(value, format=pattern, locale=language or _current)


def format_day(day: date | datetime, language: str | None = None) -> str:
    """A date as the language writes it in full (e.g. ``7 December 2026``; Urdu month names)."""
    from babel.dates import format_date

    return format_date(day, format="long", locale=language or _current)
