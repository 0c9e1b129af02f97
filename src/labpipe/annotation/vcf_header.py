"""The parts of a VCF header the source checks read, parsed from its text.

One type for both readers: ``labpipe validate`` gets the text from ``bcftools view -h``
(no Python VCF library loaded), the annotation step from the file pysam has open
(``str(header)``), so a field is judged by the same code either way.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

# key=value or key="quoted, with commas" inside <...>; a backslash escapes a quote.
_ITEM = re.compile(r'\s*([^=,]+)=("(?:[^"\\]|\\.)*"|[^,]*)\s*(?:,|$)')


@dataclass(frozen=True)
class InfoField:
    """One ``##INFO`` line: its ``Number`` (``1``, ``A``, ``.``, ...) and ``Type``."""

    number: str
    type: str


@dataclass(frozen=True)
class VcfHeader:
    """A VCF header's INFO fields, contigs and plain ``##key=value`` lines.

    Attributes:
        info: INFO ID -> its Number and Type, in header order.
        contigs: ``##contig`` ID -> its length, None when the line gives none.
        meta: ``(key, value)`` of every unstructured line (``##reference=GRCh38``).
    """

    info: Mapping[str, InfoField]
    contigs: Mapping[str, int | None]
    meta: tuple[tuple[str, str], ...] = ()

    def value(self, key: str) -> str | None:
        """The first non-empty value of an unstructured line, e.g. ``reference``."""
        return next((value for k, value in self.meta if k == key and value), None)

    @classmethod
    def parse(cls, text: str) -> VcfHeader:
        """Read the ``##`` lines of a header's text (other lines are ignored)."""
        info: dict[str, InfoField] = {}
        contigs: dict[str, int | None] = {}
        meta: list[tuple[str, str]] = []
        for line in text.splitlines():
            if not line.startswith("##") or "=" not in line:
                continue
            key, value = line[2:].split("=", 1)
            if not (value.startswith("<") and value.endswith(">")):
                meta.append((key, value.strip()))
                continue
            items = _structured(value[1:-1])
            ident = items.get("ID")
            if ident is None:
                continue
            if key == "INFO":
                info[ident] = InfoField(items.get("Number", "."), items.get("Type", "String"))
            elif key == "contig":
                length = items.get("length", "")
                contigs[ident] = int(length) if length.isdigit() else None
        return cls(info, contigs, tuple(meta))


def _structured(body: str) -> dict[str, str]:
    """``ID=AF,Number=A,Description="a, b"`` -> its items, quotes removed."""
    items: dict[str, str] = {}
    for match in _ITEM.finditer(body):
        value = match[2]
        if value.startswith('"') and value.endswith('"') and len(value) > 1:
            value = re.sub(r"\\(.)", r"\1", value[1:-1])
        items.setdefault(match[1].strip(), value)
    return items
