"""Input files checked before any tool runs: FASTQ pairs, reference, annotation, targets.

Every check returns a list of problems instead of raising, so that
:func:`labpipe.run.pipeline.validate_inputs` can report every bad file of a run in
one error. Each problem names its file, the line or read where there is one,
and what to do.

Why so much care for FASTQ: the tools downstream fail silently on some bad
input. fastp reads a truncated ``.fastq.gz`` to the break and exits 0 with
fewer reads; it reads a gzip file whose name lacks ``.gz`` as plain text and
finds no reads; it drops multi-line records with a warning and exits 0;
``samtools faidx`` keeps only the first of two sequences with the same name.

How gzip integrity is checked without reading whole files
---------------------------------------------------------
The first ``records`` reads are always decompressed and parsed; damage met
there is reported. A file that ends within them, and any gzip file of at most
``full_check_bytes`` (:data:`FULL_CHECK_BYTES`, 1 MiB, ~15 ms), is decompressed
to its end, so every CRC and length is checked. A larger file gets its end
checked, which is where truncation (an interrupted copy, a full disk) shows:

* BGZF (bgzip, htslib): the 28-byte end-of-file block must close the file and
  the last data block before it must decompress with a valid CRC.
* A gzip member that starts in the last 256 KiB (``cat`` of gzip files): the
  last one is decompressed to the end of the file and its CRC checked; bytes
  that only look like a member header fail the ISIZE test.
* After the last sync-flush marker (pigz, Python's text-mode gzip) the stream
  is byte-aligned: it is decoded from there to its end.
* Otherwise (one gzip/zlib/libdeflate/ISA-L stream) the last dynamic-Huffman
  blocks are found in the last 256 KiB: a block may start at any bit, so each
  bit offset whose header holds a complete code-length code (about one in 1000)
  is handed to zlib, with a 32 KiB dictionary of zeros standing in for the
  data before it. The decoded text must hold 32 or more known bytes, all
  printable, and the stream must end within the byte before the 8-byte trailer.
* A stream whose end is not found so (fixed-Huffman or stored blocks only, as
  zlib-ng level 1 and ISA-L level 0 write, or a last block starting more than
  256 KiB before the end) is decompressed whole: about 1.5 s per 100 MB of
  gzip, never a wrong answer.

Guaranteed: a truncated file is reported, whatever its size (checked on 1,140
cuts of zlib streams of every strategy: none passed). Not guaranteed for a
large single-member file: damage between the first reads and the last blocks
(its CRC covers data that was not read); fastp's gzip reader stops with an
error on such damage, so it cannot pass silently. The last read must be
complete wherever its text is known (plain files, whole decompression, BGZF's
last block, a last member), which catches a FASTQ cut before it was compressed.
"""

from __future__ import annotations

import itertools
import os
import re
import shlex
import struct
import zlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from labpipe.config.samplesheet import Unit
from labpipe.core.atomic import BGZF_EOF
from labpipe.core.errors import InputFormatError
from labpipe.core.regions import contig_mismatch_problems, read_bed, read_fai

FULL_CHECK_BYTES = 1 << 20
"""gzip files up to this size are decompressed whole; larger ones get the tail checks."""

HEAD_RECORDS = 1000
"""Reads parsed from the start of each FASTQ."""

_CHUNK = 1 << 16
_TAIL_BYTES = 1 << 16  # decompressed bytes kept to check the last read
_SEARCH_BYTES = 1 << 18  # how far before the end the last gzip member / deflate block is sought
_MAX_LISTED = 20  # a broken file can have a problem on every line; the first ones tell the story

_GZIP_MAGIC = b"\x1f\x8b"
# bgzip's end-of-file marker: an empty BGZF block (SAM/BAM specification, section 4.1.2).
_BGZF_EOF = BGZF_EOF
_BGZF_HEADER = re.compile(rb"\x1f\x8b\x08\x04.{6}\x06\x00BC\x02\x00", re.DOTALL)
# A gzip member header: magic, deflate, flags with the reserved bits clear.
_MEMBER_HEADER = re.compile(rb"\x1f\x8b\x08[\x00-\x1f]")
# An empty stored block (a zlib sync flush) then an empty final fixed block: how
# zlib ends a stream flushed just before it was closed (Python's text-mode gzip).
_SYNC_MARKER = b"\x00\x00\xff\xff"
_EMPTY_FINAL_BLOCK = b"\x03\x00"

_IUPAC = b"ACGTUNRYKMSWBDHVacgtunrykmswbdhv"
_TEXT = bytes(range(32, 127)) + b"\t\n\r"
_SAM_HEADER = (b"@HD\t", b"@SQ\t", b"@RG\t", b"@PG\t", b"@CO\t")
_OTHER_COMPRESSION = (
    (b"BZh", "bzip2", "bzcat"),
    (b"\xfd7zXZ\x00", "xz", "xzcat"),
    (b"\x28\xb5\x2f\xfd", "zstd", "zstdcat"),
    (b"PK\x03\x04", "zip", "unzip -p"),
)


class _GzipDamage(Exception):
    """The compressed data of a file is damaged; the message is the user's."""


# --------------------------------------------------------------------------- FASTQ


@dataclass
class _FastqScan:
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
    return _scan_fastq(Path(path), records, full_check_bytes).problems


def check_fastq_pair(
    fq1: Path,
    fq2: Path,
    records: int = HEAD_RECORDS,
    *,
    full_check_bytes: int = FULL_CHECK_BYTES,
) -> list[str]:
    """Check R1 and R2 of a read pair, each alone and against each other.

    Beyond :func:`check_fastq` for each file: the two must not be the same file
    or the same reads, their read names must pair one to one in order within the
    first ``records`` reads, and neither may end before the other there.

    Args:
        fq1: Read 1 FASTQ.
        fq2: Read 2 FASTQ.
        records: Reads compared from the start of the files.
        full_check_bytes: As for :func:`check_fastq`.

    Returns:
        One message per problem; empty when the pair is usable.
    """
    fq1, fq2 = Path(fq1), Path(fq2)
    scan1 = _scan_fastq(fq1, records, full_check_bytes)
    if _same_file(fq1, fq2):
        return [*scan1.problems, f"{fq1} and {fq2} are the same file: give R2 as fq2"]
    scan2 = _scan_fastq(fq2, records, full_check_bytes)
    problems = scan1.problems + scan2.problems
    if scan1.first_record is not None and scan1.first_record == scan2.first_record:
        problems.append(
            f"{fq1} and {fq2} start with the same read: R2 is a copy of R1; give the R2 file as fq2"
        )
        return problems
    pairing = _pairing_problems(fq1, fq2, scan1, scan2)
    problems.extend(pairing or _mate_problems(fq1, fq2, scan1, scan2))
    return problems


def _mate_number(scan: _FastqScan) -> int | None:
    """The mate the first read's name declares: ``name/2`` or Illumina's ``name 2:N:0:…``."""
    if scan.first_record is None:
        return None
    words = scan.first_record[0][1:].split(maxsplit=1)
    if words and words[0][-2:] in (b"/1", b"/2"):
        return int(words[0][-1:])
    match = re.match(rb"([12]):[YN]:", words[1]) if len(words) > 1 else None
    return int(match.group(1)) if match else None


def _mate_problems(fq1: Path, fq2: Path, scan1: _FastqScan, scan2: _FastqScan) -> list[str]:
    """R1 and R2 whose read names say they are the other mate (columns swapped) or both one."""
    mate1, mate2 = _mate_number(scan1), _mate_number(scan2)
    if mate1 is None or mate2 is None or (mate1, mate2) == (1, 2):
        return []
    assert scan1.first_record is not None and scan2.first_record is not None
    said = (
        f"read names say so: '{_show(scan1.first_record[0], 60)}' in fq1,"
        f" '{_show(scan2.first_record[0], 60)}' in fq2"
    )
    if (mate1, mate2) == (2, 1):
        return [
            f"{fq1} holds read 2 and {fq2} read 1 ({said}): swap fq1 and fq2 in the sample"
            " sheet (adapters and quality trimming differ between R1 and R2)"
        ]
    return [
        f"{fq1} and {fq2} both hold read {mate1} ({said}): give the read 1 file as fq1 and"
        " the read 2 file as fq2"
    ]


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def _pairing_problems(fq1: Path, fq2: Path, scan1: _FastqScan, scan2: _FastqScan) -> list[str]:
    shared = min(len(scan1.names), len(scan2.names))
    for index in range(shared):
        name1, shown1, line1 = scan1.names[index]
        name2, shown2, line2 = scan2.names[index]
        if name1 == name2:
            continue
        if sorted(n for n, _, _ in scan1.names[:shared]) == sorted(
            n for n, _, _ in scan2.names[:shared]
        ):
            why = (
                "R2 holds the same reads in another order (sorted or shuffled?); re-pair them,"
                " e.g. with BBTools repair.sh"
            )
        else:
            why = (
                "the files hold different reads (filtered separately, or from different runs"
                " or samples?); check the sample sheet"
            )
        return [
            f"{fq1} and {fq2}: read {index + 1} does not pair: R1 line {line1} is"
            f" '{shown1.decode(errors='replace')}', R2 line {line2} is"
            f" '{shown2.decode(errors='replace')}'; {why}"
        ]
    if not (scan1.complete_window and scan2.complete_window):
        return []
    count1, count2 = len(scan1.names), len(scan2.names)
    if count1 != count2 and (scan1.reached_end or scan2.reached_end):
        short, long_, few = (fq1, fq2, count1) if count1 < count2 else (fq2, fq1, count2)
        return [
            f"{short} ends after {few} reads but {long_} has more: R1 and R2 must hold the"
            " same reads (is one of them cut short, or from another run?)"
        ]
    return []


def _q(path: Path) -> str:
    return shlex.quote(str(path))


_IN_SHEET = "give the new file in the sample sheet"


def _fastq_copy(path: Path, tag: str) -> Path:
    return new_file_name(path, tag, ".fastq.gz")


def _text_of(path: Path) -> str:
    """A command printing a FASTQ's text, plain or gzip."""
    return f"zcat -f {_q(path)}"


def _to_fastq_command(path: Path, bam: bool) -> str:
    """``samtools collate | samtools fastq`` writing R1 and R2 beside a BAM/SAM, as new files."""
    r1, r2 = _fastq_copy(path, "R1"), _fastq_copy(path, "R2")
    return (
        f"`samtools collate -u -O {_q(path)} | samtools fastq -1 {_q(r1)} -2 {_q(r2)}"
        " -0 /dev/null -s /dev/null -`, then give those two files in the sample sheet"
        + (
            ""
            if bam
            else " (the SAM holds the reads once aligned; the sequencer's FASTQ is better)"
        )
    )


def _scan_fastq(path: Path, records: int, full_check_bytes: int) -> _FastqScan:
    """Check one FASTQ: access, format of the first reads, integrity of the end."""
    scan = _FastqScan()
    try:
        with open(path, "rb") as handle:
            _scan_open_fastq(path, handle, records, full_check_bytes, scan)
    except FileNotFoundError:
        scan.problems.append(f"{path}: the file does not exist")
    except IsADirectoryError:
        scan.problems.append(f"{path}: is a folder, not a FASTQ file")
    except OSError as exc:
        scan.problems.append(f"{path}: cannot be read ({exc.strerror}); check its permissions")
    except _GzipDamage as exc:
        scan.problems.append(f"{path}: {_with_fix(str(exc), path, _IN_SHEET)}")
    return scan


def _scan_open_fastq(
    path: Path, handle: BinaryIO, records: int, full_check_bytes: int, scan: _FastqScan
) -> None:
    problems = scan.problems
    size = os.fstat(handle.fileno()).st_size
    if size == 0:
        problems.append(f"{path}: the file is empty (0 bytes); copy it again from the run")
        return
    magic = handle.read(64)
    handle.seek(0)
    kind = _compression(magic)
    if kind not in ("gzip", "bgzf", "plain"):
        copy = _fastq_copy(path, "recompressed")
        problems.append(
            f"{path}: compressed with {kind}; labpipe reads plain or gzip FASTQ: make a gzip"
            f" copy with `{decompress_command(path, kind)} | bgzip -c > {_q(copy)}`, then"
            f" {_IN_SHEET}"
        )
        return
    gzipped = kind != "plain"
    named_gz = path.name.endswith(".gz")
    if gzipped and not named_gz:
        problems.append(
            f"{path}: the file is gzip-compressed but its name does not end in .gz;"
            " fastp would read it as plain text and find no reads: rename it to end"
            " in .fastq.gz"
        )
    elif not gzipped and named_gz:
        problems.append(
            f"{path}: the name ends in .gz but the file is not gzip-compressed"
            " (fastp refuses it): make a compressed copy with"
            f" `bgzip -c {_q(path)} > {_q(_fastq_copy(path, 'bgzip'))}`, then {_IN_SHEET}"
        )
    if magic.startswith(b"CRAM"):
        problems.append(
            f"{path}: this is a CRAM file, not FASTQ: convert it with `samtools collate` then"
            " `samtools fastq` (with --reference and the FASTA it was made against), writing"
            " new R1 and R2 files, and give those in the sample sheet"
        )
        return
    stream = _Stream(handle, gzipped)
    _read_head(path, stream, gzipped, records, scan)
    if scan.is_fastq and not scan.reached_end:
        _check_end(path, handle, size, stream, kind, full_check_bytes, scan)


def _compression(magic: bytes) -> str:
    """gzip, bgzf, plain, or the name of another compression, from a file's first bytes."""
    if magic.startswith(_GZIP_MAGIC):
        return "bgzf" if _BGZF_HEADER.match(magic) else "gzip"
    for prefix, kind, _tool in _OTHER_COMPRESSION:
        if magic.startswith(prefix):
            return kind
    return "plain"


class _Stream:
    """The decompressed (or plain) bytes of a file, chunk by chunk.

    One generator serves both the parsing of the first reads and, for a small
    file, the read to its end; the last bytes are kept to check the last read.
    """

    def __init__(self, handle: BinaryIO, gzipped: bool) -> None:
        self.tail = b""
        self.total = 0
        self.finished = False
        source = _gunzip(handle) if gzipped else iter(lambda: handle.read(_CHUNK), b"")
        self.chunks = self._track(source)

    def _track(self, source: Iterator[bytes]) -> Iterator[bytes]:
        for chunk in source:
            self.total += len(chunk)
            self.tail = (self.tail + chunk)[-_TAIL_BYTES:]
            yield chunk
        self.finished = True

    def drain(self) -> None:
        """Read to the end of the file (every CRC of a gzip file gets checked)."""
        for _ in self.chunks:
            pass


def _gunzip(handle: BinaryIO) -> Iterator[bytes]:
    """Decompressed bytes of every member of a gzip file.

    Raises:
        _GzipDamage: The data ends early, fails its CRC, or is followed by non-gzip bytes.
    """
    inflater = zlib.decompressobj(31)
    pending = handle.read(_CHUNK)
    member_fed = False
    while pending:
        if not member_fed and not pending.startswith(_GZIP_MAGIC):
            if len(pending) < 2:
                more = handle.read(_CHUNK)
                if more:
                    pending += more
                    continue
            after = len(pending) + os.fstat(handle.fileno()).st_size - handle.tell()
            raise _GzipDamage(_trailing_message(after))
        try:
            out = inflater.decompress(pending)
        except zlib.error as exc:
            raise _GzipDamage(_corrupt_message(exc)) from None
        member_fed = True
        if out:
            yield out
        if inflater.eof:
            # The next member, if any, starts in what this one did not use.
            pending = inflater.unused_data
            inflater = zlib.decompressobj(31)
            member_fed = False
            if not pending:
                pending = handle.read(_CHUNK)
        else:
            pending = handle.read(_CHUNK)
    if member_fed:
        raise _GzipDamage(_TRUNCATED)


_TRUNCATED = (
    "the gzip data is truncated: the file ends before its compressed data does"
    " (an interrupted copy or a full disk?); copy the file again from the run"
)


def _corrupt_message(reason: zlib.error | str, where: str = "") -> str:
    text = str(reason)
    if "incorrect data check" in text:
        text = "CRC check failed"
    elif "incorrect length check" in text:
        text = "length check failed"
    elif isinstance(reason, zlib.error):
        text = "invalid deflate data"
    return (
        f"the gzip data is corrupt ({text}{where}); copy the file again and compare its"
        " checksum (md5sum) with the original"
    )


_FIX = "\x00fix\x00"  # stands for the recompressing command, which needs the file's path


def _trailing_message(count: int) -> str:
    return (
        f"{count} bytes after the end of the gzip data are not gzip (fastp stops at them): {_FIX}"
    )


def _with_fix(message: str, path: Path, then: str) -> str:
    """A damage message with its command: a recompressed copy under a new name, then ``then``."""
    if _FIX not in message:
        return message
    name = path.name.removesuffix(".gz")
    suffix = Path(name).suffix or ".txt"
    copy = new_file_name(path, "recompressed", f"{suffix}.gz")
    command = f"recompress it into a new file with `zcat {_q(path)} | bgzip -c > {_q(copy)}`"
    return message.replace(_FIX, f"{command}, then {then}")


def _lines(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """Lines without their ``\\n`` (a ``\\r`` is kept, to be reported)."""
    rest = b""
    for chunk in chunks:
        parts = (rest + chunk).split(b"\n")
        rest = parts.pop()
        yield from parts
    if rest:
        yield rest


def _read_head(path: Path, stream: _Stream, gzipped: bool, records: int, scan: _FastqScan) -> None:
    """Parse the first ``records`` reads into ``scan``."""
    first_chunk = next(stream.chunks, b"")
    if not first_chunk:
        scan.reached_end = True
        scan.problems.append(
            f"{path}: the file holds no reads (the gzip data decompresses to nothing)"
        )
        return
    start = first_chunk.lstrip(b"\r\n")
    not_fastq = _not_fastq(path, start, gzipped) if start else None
    if not_fastq:
        scan.problems.append(f"{path}: {not_fastq}")
        return
    scan.is_fastq = True
    lines = _lines(itertools.chain([first_chunk], stream.chunks))
    _parse_records(path, lines, records, scan)


def _not_fastq(path: Path, start: bytes, gzipped: bool) -> str | None:
    """Why the data is not FASTQ at all, judged from its first bytes; None if it may be."""
    first_line = start.split(b"\n", 1)[0].rstrip(b"\r")
    inside = "the gzip data holds" if gzipped else "the file is"
    if start.startswith(b"BAM\x01"):
        return (
            "this is a BAM file, not FASTQ: give the sequencer's FASTQ files, or convert it"
            f" with {_to_fastq_command(path, bam=True)}"
        )
    if start.startswith((b"BCF\x02", b"BCF\x04")) or first_line.startswith(b"##fileformat=VCF"):
        return f"{inside} a VCF, not FASTQ reads; check the sample sheet's fq1/fq2 columns"
    if first_line.startswith(_SAM_HEADER) or _is_sam_record(first_line):
        return (
            f"{inside} SAM alignments, not FASTQ: convert it with"
            f" {_to_fastq_command(path, bam=False)}"
        )
    if first_line.startswith(b">"):
        return (
            f"{inside} FASTA, not FASTQ (line 1 starts with '>'): reads need base"
            " qualities; give the sequencer's FASTQ files"
        )
    if start[:1024].translate(None, _TEXT):
        return f"{inside} binary data, not FASTQ text"
    if not first_line.startswith(b"@"):
        shown = _show(first_line)
        if gzipped:
            return f"the gzip data holds no FASTQ: its line 1 is '{shown}', not a read header"
        return f"not a FASTQ file: line 1 should start with '@' but is '{shown}'"
    return None


def _is_sam_record(line: bytes) -> bool:
    fields = line.split(b"\t")
    return len(fields) >= 11 and fields[1].isdigit() and fields[3].isdigit()


def _show(line: bytes, width: int = 40) -> str:
    text = line.decode("ascii", errors="replace").replace("\t", "\\t")
    return text if len(text) <= width else text[: width - 3] + "..."


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


def _parse_records(path: Path, lines: Iterator[bytes], records: int, scan: _FastqScan) -> None:
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
                f"{where}: expected a read header starting with '@', found '{_show(header)}'"
            )
            return
        if not separator.startswith(b"+"):
            if sequence and not separator.translate(None, _IUPAC):
                problems.append(
                    f"{where}: the sequence continues on the next line (multi-line FASTQ);"
                    " fastp reads exactly 4 lines per read and would silently drop reads:"
                    " make a copy with one line per sequence with `samtools import -0"
                    f" {_q(path)} -o - | samtools fastq -o {_q(_fastq_copy(path, 'unwrapped'))}"
                    f" -`, then {_IN_SHEET}"
                )
            else:
                problems.append(
                    f"{path}: line {line + 2} (read {number + 1}): expected the '+' separator"
                    f" line, found '{_show(separator)}'"
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
                f" '{_show(bad[:1])}', which is not an IUPAC base code"
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
            f"{_text_of(path)} | perl -pe 'tr/\\x40-\\x7e/\\x21-\\x5f/ if $. % 4 == 0' | gzip -c >"
            f" {_q(_fastq_copy(path, 'phred33'))}`, then {_IN_SHEET}"
        )
    if crlf:
        problems.append(
            f"{path}: lines end with CR LF (Windows line endings); write a copy with Unix line"
            f" endings with `{_text_of(path)} | tr -d '\\r' | gzip -c >"
            f" {_q(_fastq_copy(path, 'unix'))}`, then {_IN_SHEET}"
        )
    if _looks_interleaved(scan.names):
        first_name = scan.names[0][1].decode(errors="replace")
        problems.append(
            f"{path}: looks interleaved (reads 1 and 2 are both '{first_name}'): labpipe needs"
            " R1 and R2 in separate files; split it with"
            f" `{_text_of(path)} | awk 'NR % 8 >= 1 && NR % 8 <= 4' | gzip -c >"
            f" {_q(_fastq_copy(path, 'R1'))}` and"
            f" `{_text_of(path)} | awk 'NR % 8 == 0 || NR % 8 >= 5' | gzip -c >"
            f" {_q(_fastq_copy(path, 'R2'))}`, then give the two files in the sample sheet"
        )


def _looks_interleaved(names: list[tuple[bytes, bytes, int]]) -> bool:
    if len(names) < 2:
        return False
    pairs = range(0, len(names) - 1, 2)
    return all(names[i][0] == names[i + 1][0] for i in pairs)


# ------------------------------------------------------------------ end of the file


def _check_end(
    path: Path,
    handle: BinaryIO,
    size: int,
    stream: _Stream,
    kind: str,
    full_check_bytes: int,
    scan: _FastqScan,
) -> None:
    """Check that the file is complete: its compressed data, then its last read."""
    if kind == "plain":
        handle.seek(max(0, size - _TAIL_BYTES))
        tail, from_start = handle.read(), size <= _TAIL_BYTES
    elif size <= full_check_bytes:
        stream.drain()
        tail, from_start = stream.tail, stream.total <= _TAIL_BYTES
    else:
        found = _gzip_tail_text(handle, size, kind == "bgzf")
        if found is None:
            # The end could not be found in the tail: decompress everything.
            stream.drain()
            tail, from_start = stream.tail, stream.total <= _TAIL_BYTES
        else:
            tail, from_start = found, False
    if scan.complete_window:
        problem = _last_read_problem(tail, from_start)
        if problem:
            scan.problems.append(f"{path}: {problem}")


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
    return (
        "the last read at the end of the file is incomplete: the FASTQ was cut short"
        " (an interrupted copy or export?); copy or export it again"
    )


def _gzip_tail_text(handle: BinaryIO, size: int, bgzf: bool) -> bytes | None:
    """Check the end of a gzip file; return the decompressed text of its last part.

    Returns:
        The last decompressed bytes (NULs where unknown), or None when the end of
        the stream could not be located in the tail.

    Raises:
        _GzipDamage: The end is missing or damaged.
    """
    position = handle.tell()  # the stream may still have to decompress from there
    handle.seek(max(0, size - _SEARCH_BYTES))
    tail = handle.read()
    handle.seek(position)
    if bgzf:
        return _bgzf_tail_text(tail)
    text = _last_member_text(tail)
    if text is None:
        text = _after_sync_flush_text(tail[:-8])
    if text is None:
        text = _final_blocks_text(tail[:-8])
    return text


def _bgzf_tail_text(tail: bytes) -> bytes:
    """The last BGZF data block, checked; its text."""
    if not tail.endswith(_BGZF_EOF):
        raise _GzipDamage(
            "the file is truncated: the BGZF end-of-file marker is missing (an interrupted"
            " copy or a full disk?); copy the file again from the run"
        )
    end = len(tail) - len(_BGZF_EOF)
    if end == 0:
        return b""
    for match in _BGZF_HEADER.finditer(tail, max(0, end - 65536)):
        start = match.start()
        block_size = int.from_bytes(tail[start + 16 : start + 18], "little") + 1
        if start + block_size != end:
            continue
        inflater = zlib.decompressobj(31)
        try:
            text = inflater.decompress(tail[start:end])
        except zlib.error as exc:
            raise _GzipDamage(_corrupt_message(exc, " in its last BGZF block")) from None
        if inflater.eof and not inflater.unused_data:
            return text
    raise _GzipDamage(
        "the gzip data is corrupt (the last BGZF block before the end-of-file marker is"
        " damaged); copy the file again and compare its checksum (md5sum) with the original"
    )


def _last_member_text(tail: bytes) -> bytes | None:
    """Decompress the last gzip member that starts in ``tail``, if one does.

    Bytes that only look like a member header are told apart by the trailer: a
    real member's ISIZE is the length of its text. Only that proof is trusted;
    anything less (a member that breaks off) is left to the other checks.

    Returns:
        Its text when it ends exactly at the end of the file, CRC checked; None
        when no complete member starts in ``tail``.

    Raises:
        _GzipDamage: The last member fails its CRC or is followed by junk.
    """
    for match in reversed(list(_MEMBER_HEADER.finditer(tail))):
        data_start = _member_data_start(tail, match.start())
        if data_start is None:
            continue
        inflater = zlib.decompressobj(-15)
        try:
            text = inflater.decompress(tail[data_start:])
        except zlib.error:
            continue
        trailer = inflater.unused_data
        if not inflater.eof or len(trailer) < 8:
            continue
        crc, isize = struct.unpack("<II", trailer[:8])
        if isize != len(text) & 0xFFFFFFFF:
            continue
        if crc != zlib.crc32(text):
            raise _GzipDamage(_corrupt_message("CRC check failed"))
        after = trailer[8:]
        if after.startswith(_GZIP_MAGIC):
            raise _GzipDamage(_member_damage(after))  # a member that did not decode
        if after:
            raise _GzipDamage(_trailing_message(len(after)))
        return text
    return None


def _member_damage(member: bytes) -> str:
    """What is wrong with a gzip member known to start at ``member``'s first byte."""
    inflater = zlib.decompressobj(31)
    try:
        inflater.decompress(member)
    except zlib.error as exc:
        return _corrupt_message(exc)
    return _TRUNCATED


def _member_data_start(data: bytes, start: int) -> int | None:
    """Where the deflate data of a gzip member starts (RFC 1952 header), or None."""
    flags = data[start + 3]
    at = start + 10
    if flags & 0x04:  # FEXTRA
        at += 2 + int.from_bytes(data[at : at + 2], "little")
    for flag in (0x08, 0x10):  # FNAME, FCOMMENT: NUL-terminated
        if flags & flag:
            end = data.find(b"\0", at)
            if end < 0:
                return None
            at = end + 1
    if flags & 0x02:  # FHCRC
        at += 2
    return at if at < len(data) else None


def _after_sync_flush_text(body: bytes) -> bytes | None:
    """Decode what follows the last sync-flush marker, which starts on a byte boundary.

    pigz flushes after each chunk and Python's text-mode gzip before closing,
    so their last blocks follow such a marker.
    """
    marker = body.rfind(_SYNC_MARKER)
    if marker < 0:
        return None
    after = body[marker + len(_SYNC_MARKER) :]
    if after == _EMPTY_FINAL_BLOCK:
        return b""
    return _inflate_to_end(after, 0, len(after) * 8)


_ZDICT = bytes(32768)
# 2 ** (7 - length) for each code length 0-7 of the code-length code: a complete
# prefix code (all zlib accepts there) sums to 128.
_KRAFT = (0, 64, 32, 16, 8, 4, 2, 1)
_FIRST_WINDOW = 4096


def _final_blocks_text(body: bytes) -> bytes | None:
    """Find a deflate block start near the end of ``body`` and decode from it to the end.

    ``body`` is the tail of the file without the 8-byte gzip trailer. Windows
    grow from the end so that the usual case (the last block starts a few KiB
    before the end) costs a few milliseconds.
    """
    size = len(body)
    tried_from = size
    window = _FIRST_WINDOW
    while True:
        window = min(window, size)
        base = size - window
        region = body[base:]
        value = int.from_bytes(region, "little")
        shifted: dict[int, bytes] = {}
        for bit in _dynamic_block_starts(region, (tried_from - base) * 8):
            # zlib reads whole bytes: shift the bits so that the candidate starts one.
            offset = bit % 8
            if offset not in shifted:
                shifted[offset] = (value >> offset).to_bytes(window, "little")
            text = _inflate_to_end(shifted[offset], bit // 8, window * 8 - bit)
            if text is not None:
                return text
        if window == size:
            return None
        tried_from = base
        window *= 4


def _dynamic_block_starts(region: bytes, limit_bits: int) -> list[int]:
    """Bit offsets (below ``limit_bits``, last first) where a dynamic deflate block may start.

    The header must read BTYPE 2, at most 29 extra length and distance codes
    and a complete code-length code; that leaves about one offset in 1000 of
    compressed data for zlib to try.
    """
    import numpy as np  # here, not at the top: most runs never get this far, and it is slow to load

    bits = np.unpackbits(np.frombuffer(region, dtype=np.uint8), bitorder="little")
    padded = np.concatenate([bits, np.zeros(80, dtype=np.uint8)])
    # Value of the 3 bits starting at each offset, least significant first as deflate stores them.
    triple = padded[:-2] + 2 * padded[1:-1] + 4 * padded[2:]
    starts = np.flatnonzero((triple[: min(len(bits), limit_bits)] >> 1) == 2)

    def number(at: int, width: int) -> np.ndarray:
        value = np.zeros(len(starts), dtype=np.int16)
        for b in range(width):
            value |= padded[starts + at + b].astype(np.int16) << b
        return value

    hlit, hdist, hclen = number(3, 5), number(8, 5), number(13, 4)
    weight = np.array(_KRAFT, dtype=np.int16)[triple]
    kraft = np.zeros(len(starts), dtype=np.int16)
    for j in range(19):
        kraft += np.where(j < hclen + 4, weight[starts + 17 + 3 * j], 0).astype(np.int16)
    keep = (hlit <= 29) & (hdist <= 29) & (kraft == 128)
    found: list[int] = starts[keep][::-1].tolist()
    return found


def _inflate_to_end(data: bytes, first: int, bits: int) -> bytes | None:
    """Inflate ``bits`` bits from byte ``first``; the text if the stream ends in their last byte."""
    used_bytes = (bits + 7) // 8
    inflater = zlib.decompressobj(-15, zdict=_ZDICT)
    try:
        text = inflater.decompress(memoryview(data)[first : first + used_bytes])
    except zlib.error:
        return None
    if not inflater.eof:
        return None
    used = used_bytes - len(inflater.unused_data)
    # The stream's last bit lies in its last used byte; the real stream ends
    # (then pads with zeros) within the last 8 bits before the trailer.
    if not (8 * (used - 1) < bits and 8 * used > bits - 8):
        return None
    return text if _is_text(text) else None


def _is_text(data: bytes) -> bool:
    """True for decoded FASTQ text: at least 32 known bytes, all printable.

    NULs stand for bytes copied from before the decoded part (in a real final
    block most of the read structure is such a copy; the bases are literals).
    Bits decoded with a wrong Huffman table give random bytes, so 32 printable
    ones by chance have odds of about 1e-13.
    """
    known = data.replace(b"\0", b"")
    return len(known) >= 32 and not known.translate(None, _TEXT)


# ------------------------------------------------------------------------ reference


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
    return _check_reference(Path(fasta))[0]


def check_fasta_content(fasta: Path) -> list[str]:
    """The checks of :func:`check_reference` on the FASTA itself, ignoring any ``.fai``.

    For ``labpipe reference prepare``, which must refuse what ``validate`` refuses
    before it builds an index (an existing ``.fai`` may describe an older file).
    """
    return _check_reference(Path(fasta), use_fai=False)[0]


def _check_reference(fasta: Path, use_fai: bool = True) -> tuple[list[str], dict[str, int] | None]:
    """Problems of a reference, and its contigs when the FASTA had to be read for them."""
    try:
        size = fasta.stat().st_size
        with open(fasta, "rb") as handle:
            magic = handle.read(64)
            handle.seek(0)
            kind = _compression(magic)
            first = _first_bytes(handle, kind == "bgzf")
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
            f" `zcat {_q(fasta)} | bgzip -c > {_q(new_file_name(fasta, 'bgzip', '.fa.gz'))}`,"
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
        line_1 = _show(first.split(b"\n", 1)[0])
        return [f"{fasta}: not a FASTA file: line 1 should start with '>' but is '{line_1}'"], None
    fai = Path(f"{fasta}.fai")
    if use_fai and fai.exists():
        return _fai_problems(fasta, fai, kind == "bgzf"), None
    try:
        contigs = _scan_fasta(fasta, kind == "bgzf")
    except _GzipDamage as exc:
        return [f"{fasta}: {_with_fix(str(exc), fasta, 'set reference.fasta to it')}"], None
    lengths: dict[str, int] = {}
    for contig in contigs:
        lengths.setdefault(contig.name, contig.length)
    return _contig_name_problems(fasta, contigs), lengths


def _first_bytes(handle: BinaryIO, gzipped: bool, count: int = 256) -> bytes:
    """The first bytes of a file's text, decompressed if it is gzip."""
    if not gzipped:
        return handle.read(count)
    try:
        return next(_gunzip(handle), b"")[:count]
    except _GzipDamage:
        return b""


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
            bgzf = _compression(handle.read(64)) == "bgzf"
        contigs: dict[str, int] = {}
        for contig in _scan_fasta(fasta, bgzf):
            contigs.setdefault(contig.name, contig.length)
        return contigs
    except (OSError, ValueError, IndexError, _GzipDamage) as exc:
        said = _with_fix(str(exc), fasta, "set reference.fasta to it")
        raise InputFormatError(f"{fasta}: cannot read the reference's contigs: {said}") from None


def _line_blocks(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """Large blocks of whole lines, each ending with a newline."""
    rest = b""
    for chunk in itertools.chain(chunks, [b"\n"]):
        data = rest + chunk
        cut = data.rfind(b"\n") + 1
        if cut:
            yield data[:cut]
        rest = data[cut:]


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
        source = _gunzip(handle) if bgzf else iter(lambda: handle.read(1 << 22), b"")
        for block in _line_blocks(source):
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
    problems = _Listed()
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
    problems = _Listed()
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
    problems = _Listed()
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


# ---------------------------------------------------------------- annotation, targets


class _Listed:
    """Problems of a file, the first few shown."""

    def __init__(self) -> None:
        self.items: list[str] = []
        self.hidden = 0

    def add(self, message: str) -> None:
        if len(self.items) < _MAX_LISTED:
            self.items.append(message)
        else:
            self.hidden += 1

    def shown(self) -> list[str]:
        return self.items + ([f"... and {self.hidden} more"] if self.hidden else [])


_UTF8_BOM = b"\xef\xbb\xbf"


def check_gff3_contigs(gff3: Path, contigs: dict[str, int]) -> list[str]:
    """Check that a GFF3's sequence names are the reference's and its lines have 9 columns.

    Only the first column and the tab count are looked at, in large blocks,
    so a whole-genome Ensembl GFF3 takes about as long as decompressing it.
    The rest is checked when :func:`labpipe.annotation.transcripts.load_transcripts` reads it.

    Args:
        gff3: The annotation (plain, gzip or bgzip).
        contigs: Reference contig lengths (see :func:`reference_contigs`).

    Returns:
        One message per problem; empty when every sequence is in the reference.
    """
    gff3 = Path(gff3)
    try:
        with open(gff3, "rb") as handle:
            gzipped = handle.read(2) == _GZIP_MAGIC
            handle.seek(0)
            head = _first_bytes(handle, gzipped, 1 << 16)
            gtf_line = _gtf_line(head)
            handle.seek(0)
            first_line, bad_lines, features = _scan_gff3(handle, gzipped)
    except FileNotFoundError:
        return [f"{gff3}: the GFF3 file does not exist"]
    except IsADirectoryError:
        return [f"{gff3}: is a folder, not a GFF3 file"]
    except OSError as exc:
        return [f"{gff3}: cannot be read ({exc.strerror})"]
    except _GzipDamage as exc:
        return [f"{gff3}: {_with_fix(str(exc), gff3, 'set annotation.gff3 to it')}"]
    if head.startswith(_UTF8_BOM):
        new = new_file_name(gff3, "nobom", ".gff3")
        return [
            f"{gff3}: starts with a byte-order mark (saved by a Windows editor), so bcftools csq"
            " would read its first line as a broken feature: write a copy without it with"
            f" `{_text_of(gff3)} | sed '1s/^\\xEF\\xBB\\xBF//' > {_q(new)}`, then set"
            " annotation.gff3 to it"
        ]
    if not features:
        return [f"{gff3}: the GFF3 file has no feature lines"]
    if gtf_line:
        return [
            f'{gff3}: line {gtf_line}: this is GTF (attributes written gene_id "..."), not'
            " GFF3: give the GFF3 file of the same annotation release"
        ]
    missing = [name for name in first_line if name not in contigs]
    named = _Listed()
    renamed = False
    for name in missing:
        for problem in _contig_problems(name, contigs, first_line[name]):
            renamed = renamed or "naming mismatch" in problem or "chr-prefix mismatch" in problem
            named.add(problem)
    if named.hidden:
        named.items.append(f"... and {named.hidden} more contigs not in the reference")
        named.hidden = 0
    if renamed:
        named.items.append(_gff3_rename_advice(gff3, contigs))
    problems = bad_lines + named.shown() + _sequence_region_problems(head, contigs)
    return [f"{gff3}: {p}" for p in problems]


_SEQUENCE_REGION = re.compile(rb"^##sequence-region\s+(\S+)\s+\d+\s+(\d+)", re.MULTILINE)


def _bare_contig(name: str) -> str:
    bare = name[3:] if name.lower().startswith("chr") else name
    return "MT" if bare.upper() in ("M", "MT") else bare


def _sequence_region_problems(head: bytes, contigs: dict[str, int]) -> list[str]:
    """A ``##sequence-region`` length other than the reference's: another genome build.

    Ensembl writes one such line per sequence at the top of its GFF3; a GFF3 of
    GRCh37 on a GRCh38 reference would give wrong consequences without any error.
    """
    from labpipe.core.genome_builds import describe_length

    by_bare = {_bare_contig(name): name for name in contigs}
    for match in _SEQUENCE_REGION.finditer(head):
        name, end = match[1].decode(errors="replace"), int(match[2])
        ours = name if name in contigs else by_bare.get(_bare_contig(name))
        if ours is None or _bare_contig(name) == "MT" or end == contigs[ours]:
            continue
        line = head.count(b"\n", 0, match.start()) + 1
        return [
            f"line {line}: ##sequence-region says {describe_length(name, end)}, but in the"
            f" reference {describe_length(ours, contigs[ours])}: the GFF3 is for another genome"
            " build; give the GFF3 of the reference's build (e.g. Ensembl's GRCh38 release)"
        ]
    return []


def _gff3_rename_advice(gff3: Path, contigs: dict[str, int]) -> str:
    """The command writing a copy of a GFF3 with the reference's contig naming."""
    copy = new_file_name(gff3, "renamed", ".gff3.gz")
    if any(name.startswith("chr") for name in contigs):
        mito = "chrM" if "chrM" in contigs else "chrMT"
        change = f'$1 = ($1 == "MT" ? "{mito}" : "chr" $1)'
    else:
        mito = "MT" if "MT" in contigs else "M"
        change = f'sub(/^chr/, "", $1); if ($1 == "M" || $1 == "MT") $1 = "{mito}"'
    program = f'BEGIN {{FS = OFS = "\\t"}} !/^#/ {{{change}}} {{print}}'
    return (
        "bcftools csq needs the GFF3's contig names to be the reference's: write a renamed"
        f" copy with `zcat -f {shlex.quote(str(gff3))} | awk '{program}' | gzip -c >"
        f" {shlex.quote(str(copy))}`, then set annotation.gff3 to {copy}"
    )


_MITOCHONDRION = ("MT", "chrM", "M", "chrMT")
_GTF_ATTRIBUTE = re.compile(rb'\t(?:gene_id|transcript_id)[ \t]+"')


def _gtf_line(head: bytes) -> int | None:
    """The line number of the first feature line if it is written as GTF, else None."""
    for number, line in enumerate(head.split(b"\n")[:-1], start=1):
        if line.strip() and not line.startswith(b"#"):
            return number if _GTF_ATTRIBUTE.search(line) else None
    return None


def _contig_problems(name: str, contigs: dict[str, int], line: int) -> list[str]:
    """regions.contig_mismatch_problems for one name, plus the mitochondrion's MT/chrM."""
    what = "the GFF3 features"
    alias = next((m for m in _MITOCHONDRION if m != name and m in contigs), None)
    if name in _MITOCHONDRION and alias:
        return [
            f"line {line}: {what} use '{name}', the reference uses '{alias}': rename the"
            " contigs (mitochondrion naming mismatch)"
        ]
    return contig_mismatch_problems([name], list(contigs), what, {name: line})


def _scan_gff3(handle: BinaryIO, gzipped: bool) -> tuple[dict[str, int], list[str], int]:
    """First line of each sequence name, column-count problems, and the feature count."""
    source = _gunzip(handle) if gzipped else iter(lambda: handle.read(1 << 22), b"")
    first_line: dict[str, int] = {}
    bad = _Listed()
    features = 0
    line = 0  # lines before ``block``
    for block in _line_blocks(source):
        fasta = block.find(b"##FASTA")
        if fasta >= 0 and (fasta == 0 or block[fasta - 1] == ord("\n")):
            block = block[:fasta]  # what follows is sequence, not features
        lines = block.count(b"\n")
        first = _first_feature_name(block)
        in_block = 0
        if first is not None:
            in_block = block.count(b"\n" + first + b"\t") + block.startswith(first + b"\t")
        # Whole-genome files keep one sequence's features together: a block whose
        # lines are comments or features of one sequence with 8 tabs each is taken
        # whole; any other (one with blank lines too) is read line by line.
        comments = block.count(b"\n#") + block.startswith(b"#")
        if (
            first is not None
            and in_block + comments == lines
            and block.count(b"\t") == 8 * in_block
        ):
            features += in_block
            name = first.decode(errors="replace")
            if name not in first_line:
                first_line[name] = line + 1 + _lines_before(block, first)
        else:
            features += _gff3_lines(block, line, first_line, bad)
        line += lines
        if fasta >= 0:
            break
    return first_line, bad.shown(), features


def _first_feature_name(block: bytes) -> bytes | None:
    for raw in block.split(b"\n", 64)[:64]:
        if raw.strip() and not raw.startswith(b"#"):
            return raw.split(b"\t", 1)[0]
    return None


def _lines_before(block: bytes, name: bytes) -> int:
    """Lines of ``block`` before its first line that starts with ``name``."""
    if block.startswith(name + b"\t"):
        return 0
    return block.count(b"\n", 0, block.find(b"\n" + name + b"\t") + 1)


def _gff3_lines(block: bytes, line: int, first_line: dict[str, int], bad: _Listed) -> int:
    """Check a block line by line; returns its number of feature lines."""
    features = 0
    for number, raw in enumerate(block.split(b"\n")[:-1], start=line + 1):
        text = raw.rstrip(b"\r")
        if not text.strip() or text.startswith(b"#"):
            continue
        features += 1
        columns = text.count(b"\t") + 1
        if columns != 9:
            bad.add(f"line {number}: expected 9 tab-separated columns, found {columns}")
            continue
        first_line.setdefault(text.split(b"\t", 1)[0].decode(errors="replace"), number)
    return features


def check_targets(bed: Path, contigs: dict[str, int] | None) -> list[str]:
    """Check a targets BED against the reference, every problem as a list.

    Args:
        bed: The BED (plain or gzip).
        contigs: Reference contig lengths, or None to check the BED's own format only.

    Returns:
        One message per problem, each naming the file; empty when the BED is usable.
    """
    bed = Path(bed)
    try:
        with open(bed, "rb") as handle:
            gzipped = handle.read(2) == _GZIP_MAGIC
    except FileNotFoundError:
        return [f"{bed}: the targets BED does not exist"]
    except OSError as exc:
        return [f"{bed}: cannot be read ({exc.strerror})"]
    if gzipped != bed.name.endswith(".gz"):
        if gzipped:
            return [f"{bed}: the file is gzip-compressed but its name does not end in .gz"]
        return [f"{bed}: the name ends in .gz but the file is not gzip-compressed"]
    try:
        read_bed(bed, contigs)
    except InputFormatError as exc:
        listed = _Listed()  # a whole exome BED written with spaces: not 20,000 lines
        for problem in exc.problems:
            listed.add(f"{bed}: {problem}")
        return listed.shown() or [str(exc)]
    except UnicodeDecodeError:
        return [f"{bed}: not a text file; a BED has tab-separated text lines"]
    except (OSError, EOFError, zlib.error) as exc:
        return [f"{bed}: cannot be read ({exc}); copy the file again"]
    return []


_DATA_SUFFIXES: tuple[str, ...] = (".vcf", ".fastq", ".fq", ".fasta", ".fa", ".fna", ".gff3")
_DATA_SUFFIXES += (".gff", ".bed", ".sam", ".bam", ".cram")


def new_file_name(path: Path, tag: str, suffix: str) -> Path:
    """A file name beside ``path`` for a command's output that never is ``path`` itself.

    Every command labpipe suggests writes to a new file, so that running it
    cannot destroy its input (``zcat X.fa.gz | bgzip > X.fa.gz`` empties the
    reference); the message then says which config line or sheet cell to change.
    ``clinvar.vcf`` with tag ``bgzip`` and suffix ``.vcf.gz`` gives
    ``clinvar.bgzip.vcf.gz``; a name already taken gets a number.
    """
    name = path.name
    for known in (".gz", ".bgz", ".bz2", ".xz", ".zst", ".zip"):
        name = name.removesuffix(known)
    for known in _DATA_SUFFIXES:
        name = name.removesuffix(known)
    candidate = path.with_name(f"{name}.{tag}{suffix}")
    number = 2
    while candidate == path or candidate.exists():
        candidate = path.with_name(f"{name}.{tag}{number}{suffix}")
        number += 1
    return candidate


def compression_of(path: Path) -> str:
    """``bgzf``, ``gzip``, ``plain`` or another compression's name, from a file's first bytes.

    Raises:
        OSError: The file cannot be read.
    """
    with open(path, "rb") as handle:
        return _compression(handle.read(64))


def decompress_command(path: Path, kind: str) -> str:
    """A shell command printing the text of a ``kind``-compressed (or plain) file."""
    quoted = shlex.quote(str(path))
    if kind in ("gzip", "bgzf"):
        return f"zcat {quoted}"
    tool = next((t for _m, k, t in _OTHER_COMPRESSION if k == kind), "cat")
    return f"{tool} {quoted}"


def bgzf_end_problem(path: Path) -> str | None:
    """Why a BGZF file is cut short or its last block is damaged; None when it ends properly.

    Raises:
        OSError: The file cannot be read.
    """
    size = path.stat().st_size
    with open(path, "rb") as handle:
        handle.seek(max(0, size - _SEARCH_BYTES))
        tail = handle.read()
    try:
        _bgzf_tail_text(tail)
    except _GzipDamage as exc:
        return _with_fix(str(exc), path, "set the config to it").replace(" from the run", "")
    return None


# ------------------------------------------------------------------------- all at once

#: From this many FASTQ pairs on, they are checked in parallel processes.
PARALLEL_PAIRS = 4


def _check_pair(pair: tuple[Path, Path], records: int) -> list[str]:
    return check_fastq_pair(pair[0], pair[1], records)


def _check_pairs(pairs: Sequence[tuple[Path, Path]], records: int) -> list[list[str]]:
    """:func:`check_fastq_pair` of each pair, in order.

    The check is Python work of about 50 ms a pair, so a batch of 48 samples took seconds
    before every run; a batch's pairs are checked by one process per available core.
    """
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    workers = min(len(pairs), cores or 1)
    if len(pairs) < PARALLEL_PAIRS or workers < 2:
        return [_check_pair(pair, records) for pair in pairs]
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # fork: the workers need nothing but this module, already loaded (no re-import).
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(workers, mp_context=context) as pool:
        return list(pool.map(_check_pair, pairs, itertools.repeat(records)))


def check_inputs(
    units: Sequence[Unit],
    fasta: Path,
    targets: Path | None = None,
    gff3: Path | None = None,
    records: int = HEAD_RECORDS,
) -> list[str]:
    """Every input file of a run checked, all problems at once.

    Args:
        units: The sample sheet's units (their FASTQ pairs are checked).
        fasta: The reference FASTA.
        targets: The targets BED, if the config names one.
        gff3: The annotation GFF3, if the config names one.
        records: Reads checked at the start of each FASTQ.

    Returns:
        One message per problem; FASTQ problems start with the sample, unit and
        sample-sheet line they belong to.
    """
    problems: list[str] = []
    pairs = [(unit.fq1, unit.fq2) for unit in units]
    for unit, found in zip(units, _check_pairs(pairs, records), strict=True):
        where = f"sample {unit.sample} unit {unit.unit} (sheet line {unit.line})"
        problems.extend(f"{where}: {p}" for p in found)
    reference, contigs = _check_reference(Path(fasta))
    problems.extend(reference)
    if reference:
        contigs = None
    elif contigs is None:
        try:
            contigs = reference_contigs(fasta)
        except InputFormatError as exc:
            problems.append(str(exc))
    if targets is not None:
        problems.extend(check_targets(targets, contigs))
    if gff3 is not None and contigs is not None:
        problems.extend(check_gff3_contigs(gff3, contigs))
    return problems


__all__ = [
    "FULL_CHECK_BYTES",
    "HEAD_RECORDS",
    "bgzf_end_problem",
    "check_fasta_content",
    "check_fastq",
    "check_fastq_pair",
    "check_gff3_contigs",
    "check_inputs",
    "check_reference",
    "check_targets",
    "compression_of",
    "decompress_command",
    "new_file_name",
    "reference_contigs",
]
