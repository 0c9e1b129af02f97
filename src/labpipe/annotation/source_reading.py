"""A source VCF read for the checks before a run, through htslib's command-line tools.

``labpipe validate`` must not load a Python VCF library (pysam costs about 50 ms of import
and htslib), so the checks read a source with the tools labpipe requires anyway:
``bcftools view -h`` for the header (htslib adds the contigs the index lists),
``bcftools query`` streamed for every record (cheaper than ``view``: only CHROM, POS and
REF are printed) or for the records past the reference's contig ends, and ``samtools
faidx`` for the reference's bases. A file too large to read through has the first records
of each contig read from the offsets its index gives (:mod:`labpipe.annotation.tabix_index`).

bcftools 1.16 goes on after damaged data (a BGZF block that does not inflate) and still
exits 0, so a read counts as failed when htslib printed an error (``[E::``) as well as on a
non-zero exit; the last good record is then found by decompressing the file up to the damage.
"""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from pathlib import Path
from typing import IO, NamedTuple

from labpipe.annotation.vcf_header import VcfHeader

_CHUNK = 1 << 20
_FIELDS = "%CHROM\t%POS\t%REF\n"
_LAST_POSITION = (1 << 31) - 1  # a region to the end of its contig
# Records bcftools 1.16 reads on past, exit code 0, told by what it prints for them.
_BAD_POS = "a record's POS is not a whole number of 1 or more"
_NO_REF = "a record has no REF (a line cut short, or spaces for tabs?)"
_MALFORMED = ((b"\t0\t", _BAD_POS), (b"\t\n", _NO_REF))  # "abc", "-5" print 0; REF empty


class SourceRecord(NamedTuple):
    """A record as the checks need it: where it is and its REF bases."""

    chrom: str
    pos: int
    ref: str


class ReadFailure(Exception):
    """A tool could not read the file; the message is htslib's reason, for the user."""


class NotVcf(ReadFailure):
    """The header cannot be read: ``bad_header`` tells a malformed header from another format."""

    def __init__(self, reason: str, bad_header: bool) -> None:
        super().__init__(reason)
        self.bad_header = bad_header


def _tool(name: str) -> str:
    from labpipe.core.tools import find_executable

    found = find_executable(name)
    if found is None:
        raise ReadFailure(f"{name} is not installed (`labpipe doctor` says what is missing)")
    return found


def _reason(stderr: str) -> str | None:
    """htslib's first error, without its ``[E::function]`` prefix; None when there is none."""
    for line in stderr.splitlines():
        if line.startswith("[E::"):
            return line.split("] ", 1)[-1].strip()
    return None


def _run(command: Sequence[str]) -> str:
    """The output of a short command; its reason as :class:`ReadFailure` when it fails."""
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        lines = done.stderr.strip().splitlines()
        raise ReadFailure(_reason(done.stderr) or (lines[-1] if lines else "unknown error"))
    return done.stdout


def read_header(path: Path) -> VcfHeader:
    """The file's header (``bcftools view -h``).

    Raises:
        NotVcf: The file is not VCF/BCF, or its header is malformed.
        ReadFailure: bcftools is not installed.
    """
    command = [_tool("bcftools"), "view", "--no-version", "-h", str(path)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        # bcftools ends with "could not parse header" or "unknown file type".
        said = done.stderr.strip()
        raise NotVcf(_reason(said) or said, "could not parse header" in said)
    text = done.stdout
    return VcfHeader.parse(text)


@dataclass
class ReadThrough:
    """What reading every record found.

    Attributes:
        records: Records read.
        first: The first records of each contig, up to the number asked, by contig.
        failure: htslib's reason when the file could not be read to its end, else None.
        where: Where the failure is, completing "cannot be read to the end"
            (``after 1:12345``, ``before its first record``); empty when not known.
    """

    records: int = 0
    first: dict[str, list[SourceRecord]] = dataclass_field(default_factory=dict)
    failure: str | None = None
    where: str = ""


def read_through(path: Path, per_contig: int) -> ReadThrough:
    """Every record read (``bcftools query``), counted, and the first of each contig kept.

    A failure is in the result, not raised (only a missing bcftools raises
    :class:`ReadFailure`).
    """
    result = ReadThrough()
    with tempfile.TemporaryFile("w+") as errors:
        # stderr to a file: a damaged file can make htslib warn on every line, which
        # would fill a pipe nobody reads until the end.
        process = subprocess.Popen(
            [_tool("bcftools"), "query", "-f", _FIELDS, str(path)],
            stdout=subprocess.PIPE,
            stderr=errors,
        )
        assert process.stdout is not None
        with process.stdout:
            _scan(process.stdout, per_contig, result)  # a bad POS stops it: bcftools ends too
        code = process.wait()
        errors.seek(0)
        said = errors.read()
    reason = _reason(said)
    if result.failure is None and (code != 0 or reason is not None):
        lines = said.strip().splitlines()
        if reason is not None or lines:
            result.failure = reason or lines[-1]
        elif code < 0:  # bcftools 1.16 crashes on some malformed records
            result.failure = f"bcftools crashed (signal {-code}): a record it cannot parse?"
        else:
            result.failure = f"bcftools exited with {code}"
    if result.failure is not None:
        damaged, last = last_record_before_damage(path)
        if damaged:  # else a malformed record: the reason says what
            result.failure, result.where = "corrupt compressed data", _after(last)
    return result


def _scan(stream: IO[bytes], per_contig: int, result: ReadThrough) -> None:
    """Count the lines of ``stream``; keep the first ``per_contig`` of each contig.

    Whole blocks are only counted; lines are looked at one by one only where a
    contig begins, which keeps this loop at a small part of bcftools' own time.
    """
    rest, previous = b"", b""
    current, taken = b"", 0
    for chunk in iter(lambda: stream.read(_CHUNK), b""):
        data = rest + chunk
        cut = data.rfind(b"\n") + 1
        block, rest = data[:cut], data[cut:]
        if not block:
            continue
        found = [(at, why) for sign, why in _MALFORMED if (at := block.find(sign)) >= 0]
        if found:
            at, why = min(found)
            begin = block.rfind(b"\n", 0, at) + 1
            if begin:
                previous = block[block.rfind(b"\n", 0, begin - 1) + 1 : begin - 1]
            result.failure = why
            record = _record(previous)
            result.where = _after(f"{record.chrom}:{record.pos}" if record else None)
            return
        result.records += block.count(b"\n")
        previous = block[block.rfind(b"\n", 0, len(block) - 1) + 1 : -1]
        last_chrom = previous.split(b"\t", 1)[0]
        if last_chrom == current and taken >= per_contig:
            continue
        start = 0
        while start < len(block):
            end = block.index(b"\n", start)
            line, start = block[start:end], end + 1
            chrom = line.split(b"\t", 1)[0]
            if chrom != current:
                current, taken = chrom, 0
            if taken < per_contig:
                record = _record(line)
                if record is not None:
                    result.first.setdefault(record.chrom, []).append(record)
                taken += 1
            elif chrom == last_chrom:
                break  # the rest of the block is this contig's: counted already
    if rest:
        result.records += 1


def _after(place: str | None) -> str:
    return f"after {place}" if place is not None else "before its first record"


def _record(line: bytes) -> SourceRecord | None:
    parts = line.decode(errors="replace").split("\t")
    if len(parts) != 3 or not parts[1].isdigit():
        return None
    return SourceRecord(parts[0], int(parts[1]), parts[2])


def last_record_before_damage(path: Path) -> tuple[bool, str | None]:
    """Whether the compressed data is damaged, and ``chrom:pos`` of the last whole record before.

    Decompressed here (every gzip CRC checked) because bcftools reads on past a
    damaged block and so cannot say where its good records end.
    """
    from labpipe.inputs.checks.files import GzipDamage, gunzip_chunks

    last: bytes | None = None
    rest = b""
    try:
        with open(path, "rb") as handle:
            for chunk in gunzip_chunks(handle):
                data = rest + chunk
                cut = data.rfind(b"\n")
                if cut < 0:
                    rest = data
                    continue
                line = data[data.rfind(b"\n", 0, cut) + 1 : cut]
                if line and not line.startswith(b"#"):
                    last = line
                rest = data[cut + 1 :]
    except GzipDamage:
        damaged = True
    except OSError:
        return False, None
    else:
        damaged = False
    if last is None:
        return damaged, None
    chrom, pos = [*last.decode(errors="replace").split("\t"), "", ""][:2]
    return damaged, f"{chrom}:{pos}"


def first_records(path: Path, contigs: Iterable[str], per_contig: int, total: int) -> ReadThrough:
    """The first records of each contig, found by the index, until ``total`` are kept.

    Each contig's first offset is read from the ``.tbi``/``.csi``
    (:mod:`labpipe.annotation.tabix_index`) and the text inflated from there; an index
    that names no contigs (a BCF's) is asked through ``bcftools query -r``, one
    process per contig (about 45 ms of CPU each).
    """
    from labpipe.annotation.tabix_index import first_offsets

    offsets = first_offsets(path)
    result = ReadThrough()
    for contig in contigs:
        if result.records >= total:
            break
        if offsets is None:
            kept, reason = _first_by_bcftools(path, contig, per_contig)
        elif contig in offsets:
            kept, reason = _first_at(path, offsets[contig], contig, per_contig)
        else:
            continue  # no records on it
        result.records += len(kept)
        if kept:
            result.first[contig] = kept
        if reason is not None:
            result.failure = reason
            last = kept[-1] if kept else None
            result.where = f"after {last.chrom}:{last.pos}" if last else f"in {contig}"
            return result
    return result


def _first_at(
    path: Path, offset: int, contig: str, count: int
) -> tuple[list[SourceRecord], str | None]:
    """Up to ``count`` records of ``contig`` from a virtual offset; why it stopped short, if so."""
    from labpipe.inputs.checks.files import GzipDamage, gunzip_chunks, text_lines

    kept: list[SourceRecord] = []
    try:
        with open(path, "rb") as handle:
            handle.seek(offset >> 16)  # the BGZF block; the low 16 bits are inside it
            for line in text_lines(_skip(gunzip_chunks(handle), offset & 0xFFFF)):
                fields = line.split(b"\t", 4)
                if fields[0].decode(errors="replace") != contig or len(kept) >= count:
                    break
                if len(fields) < 4 or not fields[3]:
                    return kept, _NO_REF
                record = _record(b"\t".join([*fields[:2], fields[3]]))
                if record is None or record.pos < 1:
                    return kept, _BAD_POS
                kept.append(record)
    except GzipDamage:
        return kept, "corrupt compressed data"
    return kept, None


def _skip(chunks: Iterable[bytes], count: int) -> Iterator[bytes]:
    """The bytes of ``chunks`` after the first ``count``."""
    for chunk in chunks:
        if count >= len(chunk):
            count -= len(chunk)
            continue
        yield chunk[count:]
        count = 0


def _first_by_bcftools(
    path: Path, contig: str, count: int
) -> tuple[list[SourceRecord], str | None]:
    """Up to ``count`` records of ``contig`` (``bcftools query -r``); htslib's error, if any."""
    process = subprocess.Popen(
        [_tool("bcftools"), "query", "-r", contig, "-f", _FIELDS, str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None and process.stderr is not None
    kept: list[SourceRecord] = []
    with process.stdout:
        for line in process.stdout:
            record = _record(line.rstrip(b"\n"))
            if record is not None:
                kept.append(record)
            if len(kept) >= count:
                break
    # Stopped early, bcftools ends on a closed pipe: only an error read before counts.
    with process.stderr:
        said = process.stderr.read().decode(errors="replace")
    process.wait()
    return kept, _reason(said)


def first_record_in(path: Path, regions: Mapping[str, int]) -> SourceRecord | None:
    """The first record overlapping any region ``contig -> first position to the end``."""
    with tempfile.NamedTemporaryFile("w", suffix=".tsv") as listed:
        listed.write(
            "".join(f"{contig}\t{start}\t{_LAST_POSITION}\n" for contig, start in regions.items())
        )
        listed.flush()
        process = subprocess.Popen(
            [_tool("bcftools"), "query", "-R", listed.name, "-f", _FIELDS, str(path)],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        assert process.stdout is not None
        with process.stdout:
            line = process.stdout.readline()
        process.wait()
    return _record(line.rstrip(b"\n")) if line else None


def reference_bases(fasta: Path, regions: Sequence[tuple[str, int, int]]) -> list[str] | None:
    """The reference's bases of each 1-based, inclusive region (``samtools faidx``).

    Returns:
        One upper-case string per region, in order; None when samtools cannot read the FASTA.
    """
    if not regions:
        return []
    with tempfile.NamedTemporaryFile("w", suffix=".txt") as listed:
        listed.write("".join(f"{chrom}:{start}-{end}\n" for chrom, start, end in regions))
        listed.flush()
        try:
            text = _run([_tool("samtools"), "faidx", "-r", listed.name, str(fasta)])
        except ReadFailure:
            return None
    sequences = ["".join(entry.splitlines()[1:]).upper() for entry in text.split(">")[1:]]
    return sequences if len(sequences) == len(regions) else None
