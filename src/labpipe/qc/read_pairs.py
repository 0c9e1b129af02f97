"""Check that a unit's R1 and R2 hold the same reads in the same order, and count them.

fastp stops at the end of the shorter file and aligns what came before; read
names that stop matching part-way (a shuffled or mixed file) are aligned as pairs
that are not pairs. Neither is reported in a way a pipeline can rely on, so the
two files are read side by side here: every record must be a well-formed FASTQ
record, the names of the n-th R1 and R2 records must agree, and both files must
end together. The count of pairs is what the read ledger starts from
(:mod:`labpipe.qc.metrics`): it is counted from the files, not taken from a tool.

The alignment step reads the files through :func:`count_pairs` (``labpipe step
check-pairs --trim``), which passes the pairs on interleaved to fastp as it checks them (in
parts, :mod:`labpipe.qc.fastp_parts`): the
files are read and decompressed once, and the check costs no step of its own that
duplicate marking would wait for. Records are checked a block at a time; a block that
fails is read again record by record (:func:`_exact_count`), which names the first
bad record.
"""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

from labpipe.core.errors import InputFormatError
from labpipe.core.records import read_record, write_record

#: Bytes read from each file at a time (uncompressed).
_BLOCK = 1 << 20
#: Records gathered from each file before a block is checked and passed on.
_MIN_RECORDS = 4096

_GZIP_MAGIC = b"\x1f\x8b"


@dataclass(frozen=True)
class PairCount:
    """The pairs of one unit, as counted from its files.

    Attributes:
        sample: Sample id.
        unit: Unit (lane) id.
        fq1: R1 file.
        fq2: R2 file.
        pairs: Read pairs (records in each file).
    """

    sample: str
    unit: str
    fq1: str
    fq2: str
    pairs: int


def _open(path: Path) -> gzip.GzipFile | BinaryIO:
    with open(path, "rb") as probe:
        gzipped = probe.read(2) == _GZIP_MAGIC
    if gzipped:
        return gzip.open(path, "rb")
    return open(path, "rb")


def _records(path: Path) -> Iterator[bytes]:
    """The name (first word, without a /1 or /2 mate suffix) of each record in turn.

    Raises:
        InputFormatError: Naming the file and line of a malformed record, or a damaged file.
    """
    line = 0
    try:
        with _open(path) as handle:
            while True:
                header = handle.readline()
                if not header:
                    return
                sequence, plus, quality = handle.readline(), handle.readline(), handle.readline()
                line += 4
                problem = _malformed(header, sequence, plus, quality)
                if problem:
                    raise InputFormatError(
                        f"{path} record {line // 4:,} (line {line - 3:,}): {problem}; "
                        "the file is damaged or not FASTQ"
                    )
                name = header[1:].split(maxsplit=1)[0] if len(header) > 2 else b""
                if name[-2:] in (b"/1", b"/2"):
                    name = name[:-2]
                yield name
    except FileNotFoundError:
        raise InputFormatError(f"{path}: file not found") from None
    except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise InputFormatError(
            f"{path}: the gzip stream is damaged or cut short after line {line} ({exc}); "
            "copy the file again from the sequencer output"
        ) from None
    except OSError as exc:
        raise InputFormatError(f"{path}: cannot read it ({exc})") from None


def _malformed(header: bytes, sequence: bytes, plus: bytes, quality: bytes) -> str:
    if not header.startswith(b"@"):
        return f"expected a header line starting with '@', found {header[:40]!r}"
    if not quality:
        return "the record is cut short (fewer than 4 lines)"
    if not plus.startswith(b"+"):
        return f"expected a '+' separator line, found {plus[:40]!r}"
    if len(sequence.rstrip(b"\r\n")) != len(quality.rstrip(b"\r\n")):
        return "the sequence and quality lines differ in length"
    return ""


def _mates(name1: bytes, name2: bytes) -> bool:
    """Names that differ only by a mate number at the end (``fastq-dump --readids``
    writes ``SRR1.7.1`` and ``SRR1.7.2``)."""
    return (
        len(name1) == len(name2) > 2
        and name1[:-1] == name2[:-1]
        and name1[-2:-1] in (b".", b"_", b":")
        and (name1[-1:], name2[-1:]) == (b"1", b"2")
    )


class PairSink(Protocol):
    """Where checked pairs go: a binary stream, or fastp in parts (labpipe.qc.fastp_parts)."""

    def write(self, data: bytes, /) -> object: ...


def count_pairs(
    sample: str, unit: str, fq1: Path, fq2: Path, interleave_to: PairSink | None = None
) -> PairCount:
    """Read R1 and R2 side by side; count the pairs.

    Args:
        sample: Sample id (for messages).
        unit: Unit id (for messages).
        fq1: R1 FASTQ, plain or gzip.
        fq2: R2 FASTQ, plain or gzip.
        interleave_to: Where to write the pairs, interleaved (R1 record, then its R2),
            as they are checked; a problem stops the writing at the block holding it.

    Raises:
        InputFormatError: When the files hold different numbers of reads (both counts
            named), when the names disagree (the first record where they do named),
            or when a record is malformed.
    """
    pairs = 0
    pending1: list[bytes] = []
    pending2: list[bytes] = []
    blocks1, blocks2 = _line_blocks(fq1), _line_blocks(fq2)
    ended1 = ended2 = False
    while True:
        # Whole records from both files, as many as both have read.
        while not ended1 and len(pending1) < 4 * _MIN_RECORDS:
            block = next(blocks1, None)
            ended1 = block is None
            pending1 += block or []
        while not ended2 and len(pending2) < 4 * _MIN_RECORDS:
            block = next(blocks2, None)
            ended2 = block is None
            pending2 += block or []
        records = min(len(pending1), len(pending2)) // 4
        if records == 0:
            break
        lines1, lines2 = pending1[: 4 * records], pending2[: 4 * records]
        del pending1[: 4 * records], pending2[: 4 * records]
        if not _block_is_sound(lines1, lines2):
            _exact_count(sample, unit, fq1, fq2)  # raises, naming the record
            raise InputFormatError(f"{fq1}, {fq2}: malformed records after pair {pairs:,}")
        if interleave_to is not None:
            interleave_to.write(_interleaved(lines1, lines2))
        pairs += records
    if pending1 or pending2:  # a file longer than the other, or a record cut short
        _exact_count(sample, unit, fq1, fq2)
        raise InputFormatError(f"{fq1}, {fq2}: malformed records after pair {pairs:,}")
    return PairCount(sample, unit, str(fq1), str(fq2), pairs)


def _line_blocks(path: Path) -> Iterator[list[bytes]]:
    """The file's lines (without newlines), in blocks of whole records (4 lines each).

    The last block holds what is left, whole records or not; a file damaged or unreadable
    is read again by :func:`_exact_count`, which says where and why.
    """
    rest = b""
    try:
        with _open(path) as handle:
            while True:
                data = handle.read(_BLOCK)
                if not data:
                    break
                lines = (rest + data).split(b"\n")
                whole = (len(lines) - 1) // 4 * 4
                rest = b"\n".join(lines[whole:])
                yield lines[:whole]
    except (OSError, EOFError, zlib.error):
        yield [b"!unreadable"]  # an odd line out: the exact reader names the problem
        return
    tail = rest.split(b"\n")
    if tail[-1] == b"":
        tail.pop()
    if tail:
        yield tail


def _block_is_sound(lines1: list[bytes], lines2: list[bytes]) -> bool:
    """Every record well formed and each R1 name matching its R2's: the common case, fast."""
    for lines in (lines1, lines2):
        heads, seqs, pluses, quals = lines[0::4], lines[1::4], lines[2::4], lines[3::4]
        if any(h[:1] != b"@" for h in heads) or any(p[:1] != b"+" for p in pluses):
            return False
        if list(map(len, seqs)) != list(map(len, quals)) and not all(
            len(s.rstrip(b"\r")) == len(q.rstrip(b"\r")) for s, q in zip(seqs, quals, strict=True)
        ):
            return False
    names1 = [_name(h) for h in lines1[0::4]]
    names2 = [_name(h) for h in lines2[0::4]]
    return names1 == names2 or all(
        a == b or _mates(a, b) for a, b in zip(names1, names2, strict=True)
    )


def _name(header: bytes) -> bytes:
    """A header line's read name: its first word, without a /1 or /2 mate suffix."""
    words = header[1:].split(maxsplit=1)
    name = words[0] if words else b""
    return name[:-2] if name[-2:] in (b"/1", b"/2") else name


def _interleaved(lines1: list[bytes], lines2: list[bytes]) -> bytes:
    """The records of both blocks as R1, R2, R1, R2, … FASTQ text."""
    out: list[bytes] = [b""] * (2 * len(lines1))
    for line in range(4):
        out[line::8] = lines1[line::4]
        out[4 + line :: 8] = lines2[line::4]
    return b"\n".join(out) + b"\n"


def _exact_count(sample: str, unit: str, fq1: Path, fq2: Path) -> int:
    """Read both files record by record; raise at the first problem, naming it.

    Returns:
        The number of pairs, when nothing is wrong.
    """
    where = f"sample '{sample}' unit '{unit}'"
    first, second = _records(fq1), _records(fq2)
    pairs = 0
    while True:
        name1, name2 = next(first, None), next(second, None)
        if name1 is None or name2 is None:
            break
        pairs += 1
        if name1 != name2 and not _mates(name1, name2):
            raise InputFormatError(
                f"{where}: read names of R1 and R2 disagree from record {pairs:,} on "
                f"({name1.decode(errors='replace')!r} in {fq1}, "
                f"{name2.decode(errors='replace')!r} in {fq2}); the files are shuffled, "
                "mixed or from different runs, and their reads cannot be aligned as pairs"
            )
    if name1 is not None or name2 is not None:
        # Count the rest of the longer file, so the message gives both totals.
        r1_reads = pairs + (1 + sum(1 for _ in first) if name1 is not None else 0)
        r2_reads = pairs + (1 + sum(1 for _ in second) if name2 is not None else 0)
        raise InputFormatError(
            f"{where}: R1 has {r1_reads:,} reads but R2 has {r2_reads:,} ({fq1}, {fq2}); "
            "one file is truncated or they are from different runs: copy them again "
            "(aligning would silently drop the mates missing from the shorter file)"
        )
    return pairs


def write_pair_count(count: PairCount, out: Path) -> None:
    """Write the count as JSON, atomically."""
    write_record(count, out)


def read_pair_count(path: Path) -> PairCount:
    """Read a file written by :func:`write_pair_count`.

    Raises:
        InputFormatError: Naming the file when it is missing or not such a file.
    """
    return read_record(PairCount, path, "a labpipe pair count (`labpipe step check-pairs`)")
