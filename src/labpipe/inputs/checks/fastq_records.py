"""The first reads of a FASTQ parsed: four-line records, IUPAC bases, Phred+33 qualities of
the same length, read names (for pairing), and the layouts that are not one read per four
lines (multi-line, interleaved, Windows line ends).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from labpipe.core.i18n import N_, _
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


IN_SHEET = N_("give the new file in the sample sheet")


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
        if not more:
            return self.message
        return self.message + _(" (and %(more)s more in the reads checked)") % {"more": more}


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
            blank = _(
                "%(path)s: line %(line)s: blank line between reads; fastp reads exactly 4 lines"
                " per read: remove blank lines"
            )
            problems.append(blank % {"path": path, "line": line})
            return
        body = list(itertools.islice(lines, 3))
        where = _at_read(path, line, number + 1)
        if len(body) < 3:
            problems.append(f"{where}: " + _(_CUT_SHORT))
            return
        if header.endswith(b"\r"):
            crlf = True
            header, body = header[:-1], [b.removesuffix(b"\r") for b in body]
        sequence, separator, quality = body
        if not header.startswith(b"@"):
            found = {"found": excerpt(header)}
            problems.append(
                f"{where}: "
                + _("expected a read header starting with '@', found '%(found)s'") % found
            )
            return
        if not separator.startswith(b"+"):
            if sequence and not separator.translate(None, _IUPAC):
                command = (
                    f"`samtools import -0 {quote(path)} -o - | samtools fastq -o"
                    f" {quote(fastq_copy_name(path, 'unwrapped'))} -`"
                )
                wrapped = _(
                    "the sequence continues on the next line (multi-line FASTQ); fastp reads"
                    " exactly 4 lines per read and would silently drop reads: make a copy with"
                    " one line per sequence with %(command)s, then %(then)s"
                )
                problems.append(f"{where}: " + wrapped % {"command": command, "then": _(IN_SHEET)})
            else:
                found = {"found": excerpt(separator)}
                problems.append(
                    f"{_at_read(path, line + 2, number + 1)}: "
                    + _("expected the '+' separator line, found '%(found)s'") % found
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
                f"{_at_read(path, line + 3, number)}: "
                + _("the quality has %(quality)s characters but the sequence has %(bases)s bases")
                % {"quality": len(quality), "bases": len(sequence)}
            )
        bad = sequence.translate(None, _IUPAC)
        if bad:
            bases.add(
                f"{_at_read(path, line + 1, number)}: "
                + _("the sequence has '%(base)s', which is not an IUPAC base code")
                % {"base": excerpt(bad[:1])}
            )
        if quality:
            low_q, high_q = min(quality), max(quality)
            lowest, highest = min(lowest, low_q), max(highest, high_q)
            if low_q < 33 or high_q > 126:
                odd = next(chr(q) for q in quality if q < 33 or q > 126)
                low.add(
                    f"{_at_read(path, line + 3, number)}: "
                    + _("quality character %(char)s is outside the Phred+33 range '!'..'~'")
                    % {"char": repr(odd)}
                )
        line += 3
    if scan.reached_end and short_quality:
        # The file's last read has a short quality: the file was cut there.
        lengths.count -= 1
        problems.append(f"{_at_read(path, line - 3, number)}: " + _(_CUT_SHORT))
    else:
        scan.complete_window = True
    if not number:
        problems.append(_("%(path)s: the file holds no reads (only blank lines)") % {"path": path})
    problems.extend(t.text() for t in (lengths, bases, low) if t.count)
    # Phred+64 data never uses the Phred+33 scores below '@' (Q31); its common
    # scores (Q12 and up, from 'L') lie above what Illumina and DNBSEQ emit in
    # Phred+33 (at most 'K', Q42), and it tops out at 'j' (Q42).
    if number and lowest >= ord("@") and ord("L") <= highest <= ord("j"):
        command = (
            f"`{text_command(path)} | perl -pe 'tr/\\x40-\\x7e/\\x21-\\x5f/ if $. % 4 == 0'"
            f" | gzip -c > {quote(fastq_copy_name(path, 'phred33'))}`"
        )
        phred64 = _(
            "%(path)s: quality scores look like Phred+64 (old Illumina 1.3-1.7): in the first"
            " %(reads)s reads the lowest is '%(lowest)s' and the highest '%(highest)s'; write a"
            " Phred+33 copy with %(command)s, then %(then)s"
        )
        problems.append(
            phred64
            % {
                "path": path,
                "reads": number,
                "lowest": chr(lowest),
                "highest": chr(highest),
                "command": command,
                "then": _(IN_SHEET),
            }
        )
    if crlf:
        command = (
            f"`{text_command(path)} | tr -d '\\r' | gzip -c >"
            f" {quote(fastq_copy_name(path, 'unix'))}`"
        )
        windows = _(
            "%(path)s: lines end with CR LF (Windows line endings); write a copy with Unix line"
            " endings with %(command)s, then %(then)s"
        )
        problems.append(windows % {"path": path, "command": command, "then": _(IN_SHEET)})
    if _looks_interleaved(scan.names):
        first_name = scan.names[0][1].decode(errors="replace")
        interleaved = _(
            "%(path)s: looks interleaved (reads 1 and 2 are both '%(name)s'): labpipe needs R1"
            " and R2 in separate files; split it with %(r1)s and %(r2)s, then give the two"
            " files in the sample sheet"
        )
        commands = {
            "r1": f"`{text_command(path)} | awk 'NR % 8 >= 1 && NR % 8 <= 4' | gzip -c >"
            f" {quote(fastq_copy_name(path, 'R1'))}`",
            "r2": f"`{text_command(path)} | awk 'NR % 8 == 0 || NR % 8 >= 5' | gzip -c >"
            f" {quote(fastq_copy_name(path, 'R2'))}`",
        }
        problems.append(interleaved % {"path": path, "name": first_name, **commands})


_CUT_SHORT = N_("the file ends in the middle of this read; it was cut short: copy it again")


def _at_read(path: Path, line: int, read: int) -> str:
    """``PATH: line N (read M)``, where a problem with one read is."""
    return _("%(path)s: line %(line)s (read %(read)s)") % {"path": path, "line": line, "read": read}


def _looks_interleaved(names: list[tuple[bytes, bytes, int]]) -> bool:
    if len(names) < 2:
        return False
    pairs = range(0, len(names) - 1, 2)
    return all(names[i][0] == names[i + 1][0] for i in pairs)
