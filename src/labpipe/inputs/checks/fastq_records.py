"""The first reads of a FASTQ parsed: four-line records, IUPAC bases, Phred+33 qualities of
the same length, read names (for pairing), and the layouts that are not one read per four
lines (multi-line, interleaved, Windows line ends).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from labpipe.inputs.checks.files import (
    excerpt,
    new_file_name,
    quote,
    text_command,
)

_IUPAC = b"ACGTUNRYKMSWBDHVacgtunrykmswbdhv"


@dataclass
class FastqScan:
    """What reading the start (and checking the end) of one FASTQ found.

    Attributes:
        problems: Messages for the user.
        names: (pairing name, name as written, line) of each read parsed.
        first_record: The first read's four lines, to spot R2 being a copy of R1.
        is_fastq: The file starts like FASTQ (so its end is worth checking).
        complete_window: The reads were parsed without a format problem.
        reached_end: The file ended within the parsed reads.
    """

    problems: list[str] = field(default_factory=list)
    names: list[tuple[bytes, bytes, int]] = field(default_factory=list)
    first_record: tuple[bytes, ...] | None = None
    is_fastq: bool = False
    complete_window: bool = False
    reached_end: bool = False


IN_SHEET = "give the new file in the sample sheet"


def fastq_copy_name(path: Path, tag: str) -> Path:
    return new_file_name(path, tag, ".fastq.gz")


def _pair_name(header: bytes) -> tuple[bytes, bytes]:
    """(name compared between R1 and R2, name as written) of a header line."""
    shown = header[1:].split(maxsplit=1)[0] if header[1:].strip() else b""
    name = shown[:-2] if shown.endswith((b"/1", b"/2")) else shown
    return name, shown


@dataclass
class _Tally:
    """A problem that can recur on many reads: where it was first seen, how often."""

    message: str = ""
    count: int = 0

    def add(self, message: str) -> None:
        if not self.count:
            self.message = message
        self.count += 1

    def text(self) -> str:
        more = self.count - 1
        return f"{self.message} (and {more} more in the reads checked)" if more else self.message


def parse_records(path: Path, lines: Iterator[bytes], records: int, scan: FastqScan) -> None:
    """Parse up to ``records`` 4-line reads, stopping at the first structural problem."""
    problems = scan.problems
    lengths, bases, low = _Tally(), _Tally(), _Tally()
    lowest, highest = 255, 0
    crlf = False
    number = 0
    line = 0
    short_quality = False  # of the last read parsed
    while number < records:
        header = next(lines, None)
        if header is None:
            scan.reached_end = True
            break
        line += 1
        if not header.strip():
            if next((r for r in lines if r.strip()), None) is None:
                scan.reached_end = True  # blank lines at the very end are harmless
                break
            problems.append(
                f"{path}: line {line}: blank line between reads; fastp reads exactly 4 lines"
                " per read: remove blank lines"
            )
            return
        body = list(itertools.islice(lines, 3))
        where = f"{path}: line {line} (read {number + 1})"
        if len(body) < 3:
            problems.append(
                f"{where}: the file ends in the middle of this read; it was cut short:"
                " copy it again"
            )
            return
        if header.endswith(b"\r"):
            crlf = True
            header, body = header[:-1], [b.removesuffix(b"\r") for b in body]
        sequence, separator, quality = body
        if not header.startswith(b"@"):
            problems.append(
                f"{where}: expected a read header starting with '@', found '{excerpt(header)}'"
            )
            return
        if not separator.startswith(b"+"):
            if sequence and not separator.translate(None, _IUPAC):
                problems.append(
                    f"{where}: the sequence continues on the next line (multi-line FASTQ);"
                    " fastp reads exactly 4 lines per read and would silently drop reads:"
                    " make a copy with one line per sequence with `samtools import -0"
                    f" {quote(path)} -o - | samtools fastq -o"
                    f" {quote(fastq_copy_name(path, 'unwrapped'))} -`, then {IN_SHEET}"
                )
            else:
                problems.append(
                    f"{path}: line {line + 2} (read {number + 1}): expected the '+' separator"
                    f" line, found '{excerpt(separator)}'"
                )
            return
        if number == 0:
            scan.first_record = (header, sequence, separator, quality)
        number += 1
        name, shown = _pair_name(header)
        scan.names.append((name, shown, line))
        short_quality = len(quality) < len(sequence)
        if len(sequence) != len(quality):
            lengths.add(
                f"{path}: line {line + 3} (read {number}): the quality has {len(quality)}"
                f" characters but the sequence has {len(sequence)} bases"
            )
        bad = sequence.translate(None, _IUPAC)
        if bad:
            bases.add(
                f"{path}: line {line + 1} (read {number}): the sequence has"
                f" '{excerpt(bad[:1])}', which is not an IUPAC base code"
            )
        if quality:
            low_q, high_q = min(quality), max(quality)
            lowest, highest = min(lowest, low_q), max(highest, high_q)
            if low_q < 33 or high_q > 126:
                odd = next(chr(q) for q in quality if q < 33 or q > 126)
                low.add(
                    f"{path}: line {line + 3} (read {number}): quality character {odd!r}"
                    " is outside the Phred+33 range '!'..'~'"
                )
        line += 3
    if scan.reached_end and short_quality:
        # The file's last read has a short quality: the file was cut there.
        lengths.count -= 1
        problems.append(
            f"{path}: line {line - 3} (read {number}): the file ends in the middle of this"
            " read; it was cut short: copy it again"
        )
    else:
        scan.complete_window = True
    if not number:
        problems.append(f"{path}: the file holds no reads (only blank lines)")
    problems.extend(t.text() for t in (lengths, bases, low) if t.count)
    # Phred+64 data never uses the Phred+33 scores below '@' (Q31); its common
    # scores (Q12 and up, from 'L') lie above what Illumina and DNBSEQ emit in
    # Phred+33 (at most 'K', Q42), and it tops out at 'j' (Q42).
    if number and lowest >= ord("@") and ord("L") <= highest <= ord("j"):
        problems.append(
            f"{path}: quality scores look like Phred+64 (old Illumina 1.3-1.7): in the first"
            f" {number} reads the lowest is '{chr(lowest)}' and the highest '{chr(highest)}';"
            " write a Phred+33 copy with `"
            f"{text_command(path)} | perl -pe 'tr/\\x40-\\x7e/\\x21-\\x5f/ if $. % 4 == 0'"
            f" | gzip -c > {quote(fastq_copy_name(path, 'phred33'))}`, then {IN_SHEET}"
        )
    if crlf:
        problems.append(
            f"{path}: lines end with CR LF (Windows line endings); write a copy with Unix line"
            f" endings with `{text_command(path)} | tr -d '\\r' | gzip -c >"
            f" {quote(fastq_copy_name(path, 'unix'))}`, then {IN_SHEET}"
        )
    if _looks_interleaved(scan.names):
        first_name = scan.names[0][1].decode(errors="replace")
        problems.append(
            f"{path}: looks interleaved (reads 1 and 2 are both '{first_name}'): labpipe needs"
            " R1 and R2 in separate files; split it with"
            f" `{text_command(path)} | awk 'NR % 8 >= 1 && NR % 8 <= 4' | gzip -c >"
            f" {quote(fastq_copy_name(path, 'R1'))}` and"
            f" `{text_command(path)} | awk 'NR % 8 == 0 || NR % 8 >= 5' | gzip -c >"
            f" {quote(fastq_copy_name(path, 'R2'))}`, then give the two files in the sample sheet"
        )


def _looks_interleaved(names: list[tuple[bytes, bytes, int]]) -> bool:
    if len(names) < 2:
        return False
    pairs = range(0, len(names) - 1, 2)
    return all(names[i][0] == names[i + 1][0] for i in pairs)
