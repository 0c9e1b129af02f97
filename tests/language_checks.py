"""Finding English left in a translated message: the Latin words that are not names.

A translated sentence keeps file names, paths, commands, IDs, quoted values and tool names in
Latin script (docs/glossary.md); any other lower-case Latin word is English labpipe forgot to
translate.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# A token holding one of these is a path, file, ID, coordinate or config key, not a word.
_NAME_MARKS = re.compile(r"[/._\d=>@'\"`$|\\-]")


def english_words(text: str, kept: Iterable[str] = ()) -> list[str]:
    """Lower-case Latin words of ``text`` outside commands, quotes and names.

    Args:
        text: The message(s); a line starting with ``$ `` (a command as it ran) or six
            spaces (its continuation) is left out, as is anything between backticks or
            single quotes.
        kept: Words a translation keeps as they are (tool names, SO terms).
    """
    allowed = set(kept)
    words = []
    for line in text.splitlines():
        if line.strip().startswith("$ ") or line.startswith("      "):
            continue
        line = re.sub(r"`[^`]*`|'[^']*'", " ", line)
        for token in re.split(r"[\s()（）,，:：;；؛،]+", line):
            if not token or _NAME_MARKS.search(token) or token[:1].isupper():
                continue
            words += [w for w in re.findall(r"[a-z]{3,}", token) if w not in allowed]
    return words
