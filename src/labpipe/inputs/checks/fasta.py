"""The reference FASTA checked: readable, FASTA, unique and valid sequence names, a
``.fai`` that matches it; and its contigs read (from the ``.fai`` when there is one).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from labpipe.core.errors import InputFormatError
from labpipe.core.i18n import N_
from labpipe.core.regions import read_fai
from labpipe.inputs.checks.files import (
    GzipDamage,
    ListedProblems,
    compression_of_bytes,
    excerpt,
    first_text_bytes,
    gunzip_chunks,
    line_blocks,
    new_file_name,
    quote,
    with_fix_command,
)

_SET_FASTA = N_("set reference.fasta to it")


@dataclass(frozen=True)
class _Contig:
    """A FASTA sequence: its name, length, header line number and header text."""

    name: str
    length: int
    line: int
    header: str


def check_reference(fasta: Path) -> list[str]:
    """Check that a reference FASTA is usable: exists, is FASTA, names are unique.

    A ``.fai`` beside it must be well formed and, for a plain FASTA, list the
    same sequences at the same places: read at the offsets the index gives, so
    a FASTA edited after indexing is found without reading it all. Without a
    ``.fai`` the FASTA's headers are read. Missing indexes in an unwritable
    folder are :func:`labpipe.inputs.reference.index_problems`'s business.

    Args:
        fasta: The reference FASTA (plain or bgzip).

    Returns:
        One message per problem; empty when the reference is usable.
    """
    return check_reference_and_contigs(Path(fasta))[0]


def check_fasta_content(fasta: Path) -> list[str]:
    """The checks of :func:`check_reference` on the FASTA itself, ignoring any ``.fai``.

    For ``labpipe reference prepare``, which must refuse what ``validate`` refuses
    before it builds an index (an existing ``.fai`` may describe an older file).
    """
    return check_reference_and_contigs(Path(fasta), use_fai=False)[0]


def check_reference_and_contigs(
    fasta: Path, use_fai: bool = True
) -> tuple[list[str], dict[str, int] | None]:
    """Problems of a reference, and its contigs when the FASTA had to be read for them."""
    try:
        size = fasta.stat().st_size
        with open(fasta, "rb") as handle:
            magic = handle.read(64)
            handle.seek(0)
            kind = compression_of_bytes(magic)
            first = first_text_bytes(handle, kind == "bgzf")
    except FileNotFoundError:
        return [f"reference FASTA {fasta} does not exist"], None
    except IsADirectoryError:
        return [f"reference FASTA {fasta} is a folder, not a file"], None
    except OSError as exc:
        return [f"reference FASTA {fasta} cannot be read ({exc.strerror})"], None
    if size == 0:
        return [f"{fasta}: the reference FASTA is empty (0 bytes)"], None
    if kind == "gzip":
        return [
            f"{fasta}: compressed with plain gzip; samtools and bcftools need the reference"
            " uncompressed or compressed with bgzip: make a bgzip copy with"
            f" `zcat {quote(fasta)} | bgzip -c > {quote(new_file_name(fasta, 'bgzip', '.fa.gz'))}`,"
            " then set reference.fasta to it and run `labpipe reference prepare` on it"
        ], None
    if kind not in ("bgzf", "plain"):
        return [
            f"{fasta}: compressed with {kind}; give the reference uncompressed or bgzipped"
        ], None
    if first.startswith(b"@"):
        reads = "looks like FASTQ reads (line 1 starts with '@'), not a reference FASTA"
        return [f"{fasta}: {reads}"], None
    if not first.startswith(b">"):
        line_1 = excerpt(first.split(b"\n", 1)[0])
        return [f"{fasta}: not a FASTA file: line 1 should start with '>' but is '{line_1}'"], None
    fai = Path(f"{fasta}.fai")
    if use_fai and fai.exists():
        return _fai_problems(fasta, fai, kind == "bgzf"), None
    try:
        contigs = _scan_fasta(fasta, kind == "bgzf")
    except GzipDamage as exc:
        return [f"{fasta}: {with_fix_command(str(exc), fasta, _SET_FASTA)}"], None
    lengths: dict[str, int] = {}
    for contig in contigs:
        lengths.setdefault(contig.name, contig.length)
    return _contig_name_problems(fasta, contigs), lengths


def reference_contigs(fasta: Path) -> dict[str, int]:
    """Contig names and lengths of a reference, in file order.

    From the ``.fai`` when there is one (instant), else from the FASTA's header
    lines and base counts (plain or bgzip; about a second per GB).

    Raises:
        InputFormatError: The FASTA or its index cannot be read.
    """
    fasta = Path(fasta)
    fai = Path(f"{fasta}.fai")
    try:
        if fai.exists():
            return read_fai(fai)
        with open(fasta, "rb") as handle:
            bgzf = compression_of_bytes(handle.read(64)) == "bgzf"
        contigs: dict[str, int] = {}
        for contig in _scan_fasta(fasta, bgzf):
            contigs.setdefault(contig.name, contig.length)
        return contigs
    except (OSError, ValueError, IndexError, GzipDamage) as exc:
        said = with_fix_command(str(exc), fasta, _SET_FASTA)
        raise InputFormatError(f"{fasta}: cannot read the reference's contigs: {said}") from None


def _header_starts(block: bytes) -> Iterator[int]:
    if block.startswith(b">"):
        yield 0
    at = block.find(b"\n>")
    while at >= 0:
        yield at + 1
        at = block.find(b"\n>", at + 1)


def _scan_fasta(path: Path, bgzf: bool) -> list[_Contig]:
    """Every sequence of a FASTA; only header lines are split out of large blocks."""
    contigs: list[_Contig] = []
    header: tuple[str, int] | None = None  # text and line of the current sequence's header
    length = 0
    line = 1  # line number where the unread part of the block starts
    with open(path, "rb") as handle:
        source = gunzip_chunks(handle) if bgzf else iter(lambda: handle.read(1 << 22), b"")
        for block in line_blocks(source):
            position = 0
            for start in _header_starts(block):
                length += _bases(block, position, start)
                line += block.count(b"\n", position, start)
                if header is not None:
                    contigs.append(_contig(header, length))
                end = block.index(b"\n", start)
                header = (block[start + 1 : end].rstrip(b"\r").decode(errors="replace"), line)
                length = 0
                line += 1
                position = end + 1
            length += _bases(block, position, len(block))
            line += block.count(b"\n", position)
    if header is not None:
        contigs.append(_contig(header, length))
    return contigs


def _contig(header: tuple[str, int], length: int) -> _Contig:
    words = header[0].split()
    return _Contig(words[0] if words else "", length, header[1], header[0])


def _bases(block: bytes, start: int, end: int) -> int:
    return end - start - block.count(b"\n", start, end) - block.count(b"\r", start, end)


# The SAM specification's rule for reference names (VCF 4.3 uses the same for contigs).
_CONTIG_NAME = re.compile(r"[0-9A-Za-z!#$%&+./:;?@^_|~-][0-9A-Za-z!#$%&*+./:;=?@^_|~-]*")


def _contig_name_characters(name: str) -> str:
    """The characters that make ``name`` an illegal SAM/VCF contig name, quoted; '' if legal."""
    if _CONTIG_NAME.fullmatch(name):
        return ""
    if name[0] in "*=":
        return f"'{name[0]}' first"
    bad = sorted({c for c in name if not _CONTIG_NAME.fullmatch("A" + c)})
    return ", ".join(repr(c) for c in bad)


def _contig_name_problems(fasta: Path, contigs: list[_Contig]) -> list[str]:
    problems = ListedProblems()
    first_seen: dict[str, int] = {}
    for contig in contigs:
        where = f"{fasta}: line {contig.line}"
        if not contig.name:
            problems.add(f"{where}: a sequence has no name after '>'; name it")
            continue
        if contig.header[:1].isspace():
            problems.add(
                f"{where}: the name '{contig.name}' follows a space after '>'; bwa and samtools"
                " would name it differently: remove the space"
            )
        bad = _contig_name_characters(contig.name)
        if bad:
            problems.add(
                f"{where}: contig name '{contig.name}' has {bad}, which SAM and VCF do not allow"
                " in a contig name (BAM and VCF headers would be unreadable): rename it (letters,"
                " digits and !#$%&+./:;?@^_|~- are allowed)"
            )
        if contig.name in first_seen:
            problems.add(
                f"{where}: contig name '{contig.name}' is used again (first on line"
                f" {first_seen[contig.name]}); samtools would silently drop this sequence:"
                " rename or remove it"
            )
        else:
            first_seen[contig.name] = contig.line
    return problems.shown()


@dataclass(frozen=True)
class _FaiEntry:
    """One line of a .fai: where a sequence's bases are and how its lines are laid out."""

    name: str
    length: int
    offset: int
    line_bases: int
    line_width: int

    @property
    def end(self) -> int:
        """Byte just past the sequence's last line (and its line ending)."""
        full, part = divmod(self.length, self.line_bases)
        last = part + self.line_width - self.line_bases if part else 0
        return self.offset + full * self.line_width + last


def _fai_problems(fasta: Path, fai: Path, bgzf: bool) -> list[str]:
    """Check a .fai: well formed, unique names, and (plain FASTA) matching the file."""
    rebuild = f"delete {fai.name} and run `labpipe reference prepare {fasta}`"
    try:
        text = fai.read_text()
    except (OSError, UnicodeDecodeError) as exc:
        return [f"{fai}: cannot be read ({exc}); {rebuild}"]
    problems = ListedProblems()
    entries: list[_FaiEntry] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        fields = raw.split("\t")
        try:
            entry = _FaiEntry(fields[0], *(int(f) for f in fields[1:5]))
        except (ValueError, TypeError):
            entry = None
        if (
            entry is None
            or len(fields) not in (5, 6)
            or not 0 < entry.line_bases <= entry.line_width
        ):
            problems.add(f"{fai}: line {number} is not a FASTA index line; {rebuild}")
            continue
        entries.append(entry)
    seen: set[str] = set()
    for entry in entries:
        if entry.name in seen:
            problems.add(f"{fai}: contig name '{entry.name}' is listed twice; {rebuild}")
        seen.add(entry.name)
    if problems.items or bgzf:
        # A bgzip FASTA's offsets count decompressed bytes: not checked without its .gzi.
        return problems.shown()
    with open(fasta, "rb") as handle:
        return _fai_layout_problems(handle, fasta, fai, entries, rebuild)


def _fai_layout_problems(
    handle: BinaryIO, fasta: Path, fai: Path, entries: list[_FaiEntry], rebuild: str
) -> list[str]:
    """Read at each offset of the index: the right header there, nothing between sequences."""
    problems = ListedProblems()
    expected = 0  # where the next header should start
    for entry in entries:
        header = _header_before(handle, entry.offset)
        name = _first_word(header[1]) if header else None
        if header is None or name != entry.name:
            found = "no header line" if name is None else f"'{name}'"
            return [
                f"{fai} does not match {fasta}: the index puts '{entry.name}' at byte"
                f" {entry.offset}, where the FASTA has {found} (the FASTA changed after it was"
                f" indexed?); {rebuild} (and rebuild the bwa index)"
            ]
        header_start, text = header
        if not name:
            problems.add(f"{fasta}: byte {header_start}: a sequence has no name after '>'; name it")
        elif text[1:2].isspace():
            problems.add(
                f"{fasta}: byte {header_start}: the name '{name}' follows a space after '>'; bwa"
                " and samtools would name it differently: remove the space"
            )
        if _has_data(handle, expected, header_start):
            problems.add(_unindexed(handle, fasta, fai, expected, rebuild))
            return problems.shown()
        expected = entry.end
    handle.seek(0, os.SEEK_END)
    if _has_data(handle, expected, handle.tell()):
        problems.add(_unindexed(handle, fasta, fai, expected, rebuild))
    return problems.shown()


def _unindexed(handle: BinaryIO, fasta: Path, fai: Path, offset: int, rebuild: str) -> str:
    """Why the FASTA has data at ``offset`` that its index does not account for."""
    handle.seek(offset)
    line = handle.read(4096).lstrip(b"\r\n").split(b"\n", 1)[0].rstrip(b"\r")
    if line.startswith(b">"):
        return (
            f"{fasta}: the sequence '{_first_word(line)}' at byte {offset} is not in {fai.name}"
            f" (a duplicate name that samtools dropped?); rename or remove it, then {rebuild}"
        )
    return (
        f"{fai} does not match {fasta}: the FASTA has bases at byte {offset} that the index"
        f" does not count (the FASTA changed after it was indexed?); {rebuild} (and rebuild"
        " the bwa index)"
    )


def _first_word(header: bytes) -> str:
    words = header[1:].split(maxsplit=1)
    return words[0].decode(errors="replace") if words else ""


def _header_before(handle: BinaryIO, offset: int) -> tuple[int, bytes] | None:
    """Start and text of the header line that ends just before byte ``offset``, if one does."""
    size = 4096
    while True:
        start = max(0, offset - size)
        handle.seek(start)
        data = handle.read(offset - start)
        if not data.endswith(b"\n"):
            return None
        line_start = data.rfind(b"\n", 0, len(data) - 1) + 1
        if line_start or start == 0:
            break
        size *= 4  # a long description line: look further back
    line = data[line_start:-1].rstrip(b"\r")
    return (start + line_start, line) if line.startswith(b">") else None


def _has_data(handle: BinaryIO, start: int, end: int) -> bool:
    """True if bytes ``start``..``end`` hold more than blank lines."""
    if end <= start:
        return False
    handle.seek(start)
    return bool(handle.read(min(end - start, 4096)).strip()) or end - start > 4096


__all__ = [
    "check_fasta_content",
    "check_reference",
    "reference_contigs",
]
