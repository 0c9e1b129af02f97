"""One FASTQ file checked: access, compression, the format of its first reads, a complete end.

Every check returns a list of problems instead of raising, so that
:func:`labpipe.run.pipeline.validate_inputs` can report every bad file of a run in
one error. Each problem names its file, the line or read where there is one,
and what to do.

Why so much care for FASTQ: the tools downstream fail silently on some bad
input. fastp reads a truncated ``.fastq.gz`` to the break and exits 0 with
fewer reads; it reads a gzip file whose name lacks ``.gz`` as plain text and
finds no reads; it drops multi-line records with a warning and exits 0;
``samtools faidx`` keeps only the first of two sequences with the same name.

The end of a large gzip file is checked by :mod:`labpipe.inputs.checks.gzip_tail`.
The first reads are parsed by :mod:`labpipe.inputs.checks.fastq_records`.
"""

from __future__ import annotations

import itertools
import os
from pathlib import Path
from typing import BinaryIO

from labpipe.core.i18n import N_, _
from labpipe.inputs.checks.fastq_records import IN_SHEET, FastqScan, fastq_copy_name, parse_records
from labpipe.inputs.checks.files import (
    TAIL_BYTES,
    TEXT_BYTES,
    GzipDamage,
    TextStream,
    compression_of_bytes,
    decompress_command,
    excerpt,
    quote,
    text_lines,
    with_fix_command,
)
from labpipe.inputs.checks.gzip_tail import gzip_tail_text

FULL_CHECK_BYTES = 1 << 20
"""gzip files up to this size are decompressed whole; larger ones get the tail checks."""

HEAD_RECORDS = 1000
"""Reads parsed from the start of each FASTQ."""
_SAM_HEADER = (b"@HD\t", b"@SQ\t", b"@RG\t", b"@PG\t", b"@CO\t")


def check_fastq(
    path: Path, records: int = HEAD_RECORDS, *, full_check_bytes: int = FULL_CHECK_BYTES
) -> list[str]:
    """Check that a file is a usable FASTQ, plain or gzip-compressed.

    Args:
        path: The FASTQ.
        records: Reads parsed from the start of the file.
        full_check_bytes: gzip files up to this size are decompressed whole;
            larger ones get the end-of-file checks described in the module docstring.

    Returns:
        One message per problem; empty when the file is usable.
    """
    return scan_fastq(Path(path), records, full_check_bytes).problems


def _to_fastq_command(path: Path, bam: bool) -> str:
    """``samtools collate | samtools fastq`` writing R1 and R2 beside a BAM/SAM, as new files."""
    r1, r2 = fastq_copy_name(path, "R1"), fastq_copy_name(path, "R2")
    return (
        f"`samtools collate -u -O {quote(path)} | samtools fastq -1 {quote(r1)} -2 {quote(r2)}"
        " -0 /dev/null -s /dev/null -`, then give those two files in the sample sheet"
        + (
            ""
            if bam
            else " (the SAM holds the reads once aligned; the sequencer's FASTQ is better)"
        )
    )


def scan_fastq(path: Path, records: int, full_check_bytes: int) -> FastqScan:
    """Check one FASTQ: access, format of the first reads, integrity of the end."""
    scan = FastqScan()
    try:
        with open(path, "rb") as handle:
            _scan_open_fastq(path, handle, records, full_check_bytes, scan)
    except FileNotFoundError:
        scan.problems.append(_("%(path)s: the file does not exist") % {"path": path})
    except IsADirectoryError:
        scan.problems.append(_("%(path)s: is a folder, not a FASTQ file") % {"path": path})
    except OSError as exc:
        unreadable = _("%(path)s: cannot be read (%(why)s); check its permissions")
        scan.problems.append(unreadable % {"path": path, "why": exc.strerror})
    except GzipDamage as exc:
        # The damage messages without a figure are marked for the catalogs: translated here.
        damage = with_fix_command(_(str(exc)), path, IN_SHEET)
        scan.problems.append(f"{path}: {damage}")
    return scan


def _scan_open_fastq(
    path: Path, handle: BinaryIO, records: int, full_check_bytes: int, scan: FastqScan
) -> None:
    problems = scan.problems
    size = os.fstat(handle.fileno()).st_size
    if size == 0:
        problems.append(
            _("%(path)s: the file is empty (0 bytes); copy it again from the run") % {"path": path}
        )
        return
    magic = handle.read(64)
    handle.seek(0)
    kind = compression_of_bytes(magic)
    if kind not in ("gzip", "bgzf", "plain"):
        copy = fastq_copy_name(path, "recompressed")
        command = f"`{decompress_command(path, kind)} | bgzip -c > {quote(copy)}`"
        problems.append(
            _(
                "%(path)s: compressed with %(kind)s; labpipe reads plain or gzip FASTQ: make a"
                " gzip copy with %(command)s, then %(then)s"
            )
            % {"path": path, "kind": kind, "command": command, "then": _(IN_SHEET)}
        )
        return
    gzipped = kind != "plain"
    named_gz = path.name.endswith(".gz")
    if gzipped and not named_gz:
        problems.append(
            _(
                "%(path)s: the file is gzip-compressed but its name does not end in .gz;"
                " fastp would read it as plain text and find no reads: rename it to end"
                " in .fastq.gz"
            )
            % {"path": path}
        )
    elif not gzipped and named_gz:
        command = f"`bgzip -c {quote(path)} > {quote(fastq_copy_name(path, 'bgzip'))}`"
        problems.append(
            _(
                "%(path)s: the name ends in .gz but the file is not gzip-compressed"
                " (fastp refuses it): make a compressed copy with %(command)s, then %(then)s"
            )
            % {"path": path, "command": command, "then": _(IN_SHEET)}
        )
    if magic.startswith(b"CRAM"):
        problems.append(
            f"{path}: this is a CRAM file, not FASTQ: convert it with `samtools collate` then"
            " `samtools fastq` (with --reference and the FASTA it was made against), writing"
            " new R1 and R2 files, and give those in the sample sheet"
        )
        return
    stream = TextStream(handle, gzipped)
    _read_head(path, stream, gzipped, records, scan)
    if scan.is_fastq and not scan.reached_end:
        _check_end(path, handle, size, stream, kind, full_check_bytes, scan)


def _read_head(
    path: Path, stream: TextStream, gzipped: bool, records: int, scan: FastqScan
) -> None:
    """Parse the first ``records`` reads into ``scan``."""
    first_chunk = next(stream.chunks, b"")
    if not first_chunk:
        scan.reached_end = True
        scan.problems.append(
            _("%(path)s: the file holds no reads (the gzip data decompresses to nothing)")
            % {"path": path}
        )
        return
    start = first_chunk.lstrip(b"\r\n")
    not_fastq = _not_fastq(path, start, gzipped) if start else None
    if not_fastq:
        scan.problems.append(f"{path}: {not_fastq}")
        return
    scan.is_fastq = True
    lines = text_lines(itertools.chain([first_chunk], stream.chunks))
    parse_records(path, lines, records, scan)


def _not_fastq(path: Path, start: bytes, gzipped: bool) -> str | None:
    """Why the data is not FASTQ at all, judged from its first bytes; None if it may be."""
    first_line = start.split(b"\n", 1)[0].rstrip(b"\r")
    values = {"inside": _("the gzip data holds") if gzipped else _("the file is")}
    if start.startswith(b"BAM\x01"):
        return (
            "this is a BAM file, not FASTQ: give the sequencer's FASTQ files, or convert it"
            f" with {_to_fastq_command(path, bam=True)}"
        )
    if start.startswith((b"BCF\x02", b"BCF\x04")) or first_line.startswith(b"##fileformat=VCF"):
        return _("%(inside)s a VCF, not FASTQ reads; check the sample sheet's fq1/fq2 columns") % (
            values
        )
    if first_line.startswith(_SAM_HEADER) or _is_sam_record(first_line):
        return (
            f"{values['inside']} SAM alignments, not FASTQ: convert it with"
            f" {_to_fastq_command(path, bam=False)}"
        )
    if first_line.startswith(b">"):
        return _(
            "%(inside)s FASTA, not FASTQ (line 1 starts with '>'): reads need base"
            " qualities; give the sequencer's FASTQ files"
        ) % (values)
    if start[:1024].translate(None, TEXT_BYTES):
        return _("%(inside)s binary data, not FASTQ text") % values
    if not first_line.startswith(b"@"):
        shown = {"line": excerpt(first_line)}
        if gzipped:
            return _(
                "the gzip data holds no FASTQ: its line 1 is '%(line)s', not a read header"
            ) % (shown)
        return _("not a FASTQ file: line 1 should start with '@' but is '%(line)s'") % shown
    return None


def _is_sam_record(line: bytes) -> bool:
    fields = line.split(b"\t")
    return len(fields) >= 11 and fields[1].isdigit() and fields[3].isdigit()


def _check_end(
    path: Path,
    handle: BinaryIO,
    size: int,
    stream: TextStream,
    kind: str,
    full_check_bytes: int,
    scan: FastqScan,
) -> None:
    """Check that the file is complete: its compressed data, then its last read."""
    if kind == "plain":
        handle.seek(max(0, size - TAIL_BYTES))
        tail, from_start = handle.read(), size <= TAIL_BYTES
    elif size <= full_check_bytes:
        stream.drain()
        tail, from_start = stream.tail, stream.total <= TAIL_BYTES
    else:
        found = gzip_tail_text(handle, size, kind == "bgzf")
        if found is None:
            # The end could not be found in the tail: decompress everything.
            stream.drain()
            tail, from_start = stream.tail, stream.total <= TAIL_BYTES
        else:
            tail, from_start = found, False
    if scan.complete_window:
        problem = _last_read_problem(tail, from_start)
        if problem:
            scan.problems.append(f"{path}: " + _(problem))


def _last_read_problem(tail: bytes, from_start: bool) -> str | None:
    """Why the last read of a FASTQ is incomplete, judged from the file's last bytes.

    ``tail`` may hold NUL bytes where deflate copied data from before the part
    decoded; lines containing them are not judged.
    """
    text = tail.rstrip(b"\r\n")
    parts = text.split(b"\n")
    # Unless the text starts the file, its first line is cut: keep whole lines only.
    whole = parts if from_start else parts[1:]
    if len(whole) < 4:
        return None
    last = [p.removesuffix(b"\r") for p in whole[-4:]]
    if b"\0" in b"".join(last):
        return None
    header, sequence, separator, quality = last
    if header.startswith(b"@") and separator.startswith(b"+") and len(sequence) == len(quality):
        return None
    return N_(
        "the last read at the end of the file is incomplete: the FASTQ was cut short"
        " (an interrupted copy or export?); copy or export it again"
    )


__all__ = [
    "FULL_CHECK_BYTES",
    "HEAD_RECORDS",
    "check_fastq",
]
