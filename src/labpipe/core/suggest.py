"""Suggestions for a misspelt name ("did you mean ...?") that never repeat what the user sees.

A name that differs from a valid one only by characters a terminal does not show
(a byte-order mark, a non-breaking space, a tab) would otherwise be told "unknown
'sample'; did you mean 'sample'?". Such names are shown with ``repr`` escapes.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence

from labpipe.core.i18n import _


def shown(text: str) -> str:
    """``text`` quoted for a message, with invisible characters escaped."""
    if text.isprintable() and text == text.strip():
        return f"'{text}'"
    return ascii(text)


def closest(value: str, options: Sequence[str], cutoff: float = 0.6) -> str | None:
    """The valid option nearest ``value``, or None if none is near."""
    hits = difflib.get_close_matches(value, options, n=1, cutoff=cutoff)
    if not hits:
        visible = "".join(c for c in value if c.isprintable()).strip()
        hits = difflib.get_close_matches(visible, options, n=1, cutoff=cutoff)
    return hits[0] if hits else None


def unknown_name(
    kind: str,
    value: str,
    options: Sequence[str],
    cutoff: float = 0.6,
    listed_as: str = "",
    scope: str = "",
) -> str:
    """``unknown KIND 'x'; did you mean 'y'?`` (or the list of valid ones), visible either way.

    When ``value`` and the suggestion look alike the hidden characters are named. ``kind``,
    ``listed_as`` and ``scope`` come in the current language (``_("key")``); the sentence is
    translated here.
    """
    hint = closest(value, options, cutoff)
    values = {"kind": kind, "name": shown(value), "scope": scope}
    if hint is None:
        return _("unknown %(kind)s %(name)s%(scope)s; %(listing)s: %(options)s") % {
            **values,
            "listing": listed_as or f"known {kind}s",
            "options": ", ".join(options),
        }
    message = _("unknown %(kind)s %(name)s%(scope)s; did you mean '%(hint)s'?") % {
        **values,
        "hint": hint,
    }
    hidden = [c for c in value if not c.isprintable() or c.isspace()]
    if hidden:
        names = ", ".join(sorted({_char_name(c) for c in hidden}))
        message += _(" (the name holds %(names)s, which does not show: retype it)") % {
            "names": names
        }
    return message


def _char_name(char: str) -> str:
    import unicodedata

    if char == "\ufeff":
        return "a byte-order mark (U+FEFF)"
    return f"{unicodedata.name(char, 'a control character').lower()} (U+{ord(char):04X})"
