"""The features of a GFF3 read line by line (plain or gzip), with their attributes; the
problems found, the first few listed. Structure-free features (chromosomes, regions) are
skipped before their attributes are parsed, which keeps a whole-genome GFF3 quick to read.
"""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote

from labpipe.core.errors import InputFormatError

# Feature types that never hold transcript structure: skipped before their
# attributes are parsed, which keeps a whole-genome GFF3 quick to read.
_SKIPPED_TYPES = frozenset({"chromosome", "biological_region", "region", "supercontig", "scaffold"})


# A broken file can have a problem on every line; the first ones tell the story.
_MAX_PROBLEMS = 20


class GffProblems:
    """Problems found while reading, reported together as ``line N: ...``."""

    def __init__(self) -> None:
        self.shown: list[str] = []
        self.hidden = 0

    def add(self, line: int, message: str) -> None:
        if len(self.shown) < _MAX_PROBLEMS:
            self.shown.append(f"line {line}: {message}")
        else:
            self.hidden += 1

    def raise_if_any(self, path: Path) -> None:
        if not self.shown:
            return
        problems = list(self.shown)
        if self.hidden:
            problems.append(f"... and {self.hidden} more")
        raise InputFormatError(f"{path}: the GFF3 file has problems", problems)


@dataclass
class GffFeature:
    """A GFF3 line kept while the file is read; linked into transcripts afterwards."""

    line: int
    chrom: str
    type: str
    start: int
    end: int
    strand: str
    phase: int | None
    attributes: dict[str, list[str]]
    children: list[GffFeature] = field(default_factory=list)

    def first(self, key: str) -> str:
        """The first value of an attribute, or empty."""
        values = self.attributes.get(key)
        return values[0] if values else ""


def _open_text(path: Path) -> Iterator[str]:
    """Lines of a plain or gzip/bgzip file; the format is told by its magic bytes, not its name."""
    try:
        with open(path, "rb") as probe:
            compressed = probe.read(2) == b"\x1f\x8b"
        opener = gzip.open if compressed else open
        with opener(path, "rt", encoding="utf-8") as handle:
            yield from handle
    except (OSError, EOFError, UnicodeDecodeError, zlib.error) as exc:
        raise InputFormatError(f"{path}: cannot read GFF3: {exc}") from exc


def read_features(path: Path, problems: GffProblems) -> Iterator[GffFeature]:
    """Parse and check every feature line that can belong to a transcript."""
    for number, raw in enumerate(_open_text(path), start=1):
        line = raw.rstrip("\r\n")
        if not line:
            continue
        if line.startswith("#"):
            if line.startswith("##FASTA"):
                return  # everything after is sequence, not features
            continue
        columns = line.split("\t")
        if len(columns) != 9:
            problems.add(number, f"expected 9 tab-separated columns, found {len(columns)}")
            continue
        chrom, _source, kind, start_text, end_text, _score, strand, phase_text, attr_text = columns
        try:
            start, end = int(start_text), int(end_text)
        except ValueError:
            problems.add(number, f"start '{start_text}' and end '{end_text}' must be integers")
            continue
        if start < 1 or end < start:
            problems.add(number, f"coordinates {start}-{end} are not 1 <= start <= end")
            continue
        if strand not in ("+", "-", ".", "?"):
            problems.add(number, f"strand '{strand}' is not one of +, -, ., ?")
            continue
        if kind in _SKIPPED_TYPES:
            continue
        phase: int | None = None
        if kind == "CDS":
            if phase_text not in ("0", "1", "2"):
                problems.add(number, f"CDS phase '{phase_text}' is not 0, 1 or 2")
                continue
            phase = int(phase_text)
        attributes = _parse_attributes(attr_text, number, problems)
        if attributes is not None:
            yield GffFeature(number, chrom, kind, start, end, strand, phase, attributes)


def _parse_attributes(text: str, number: int, problems: GffProblems) -> dict[str, list[str]] | None:
    """``key=v1,v2;key2=v`` into lists of percent-decoded values; None if malformed."""
    attributes: dict[str, list[str]] = {}
    for item in text.strip().split(";"):
        item = item.strip()
        if not item:
            continue
        key, sep, value = item.partition("=")
        if not sep or not key:
            problems.add(number, f"attribute '{item}' is not key=value")
            return None
        # Split before decoding: an encoded comma (%2C) is part of a value.
        attributes[key] = [unquote(v) for v in value.split(",")]
    return attributes
