"""Target regions: read a BED, check it against the reference, pad and merge.

Coordinates are BED's: 0-based, half-open.
"""

from __future__ import annotations

import gzip
import re
from dataclasses import dataclass
from pathlib import Path

from labpipe.core.atomic import write_text_atomic
from labpipe.core.errors import InputFormatError, on_line
from labpipe.core.i18n import N_, _

_AUTOSOME = re.compile(r"^(chr)?([1-9]|1[0-9]|2[0-2])$")


def is_autosome(contig: str) -> bool:
    """Whether a contig is a human autosome (``chr1``-``chr22`` or ``1``-``22``)."""
    return bool(_AUTOSOME.match(contig))


@dataclass(frozen=True, order=True)
class Interval:
    """A region on one contig (0-based, half-open)."""

    contig: str
    start: int
    end: int
    name: str = ""

    @property
    def length(self) -> int:
        """Number of bases covered."""
        return self.end - self.start


def read_fai(fai: Path) -> dict[str, int]:
    """Contig lengths from a FASTA index, in reference order."""
    lengths: dict[str, int] = {}
    with open(fai) as handle:
        for line in handle:
            fields = line.split("\t")
            lengths[fields[0]] = int(fields[1])
    return lengths


def read_bed(path: Path, contigs: dict[str, int] | None = None) -> list[Interval]:
    """Read a BED file, reporting every malformed line at once.

    Args:
        path: BED (plain or gzip); ``track``/``browser``/``#`` lines are skipped.
        contigs: Reference contig lengths; when given, contigs and ends are checked.

    Raises:
        InputFormatError: Naming the file, each bad line and the fix.
    """
    opener = gzip.open if str(path).endswith(".gz") else open
    intervals: list[Interval] = []
    problems: list[str] = []
    missing: dict[str, int] = {}
    # utf-8-sig: a BED saved from a spreadsheet on Windows starts with a byte-order mark.
    with opener(path, "rt", encoding="utf-8-sig") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip() or line.startswith(("#", "track", "browser")):
                continue
            fields = line.rstrip("\r\n").split("\t")
            if len(fields) < 3:
                spaced = len(line.split()) >= 3
                columns = _(
                    "%(count)s column(s); a BED line needs contig, start, end separated by tabs"
                ) % {"count": len(fields)}
                problems.append(
                    on_line(number, columns + (_(" (this one uses spaces)") if spaced else ""))
                )
                continue
            contig, start_text, end_text = fields[:3]
            try:
                start, end = int(start_text), int(end_text)
            except ValueError:
                if not intervals and not problems and not start_text.lstrip("-").isdigit():
                    header = _(
                        "%(line)s looks like a column header; a BED has none: remove the line or"
                        " start it with '#'"
                    )
                    problems.append(on_line(number, header % {"line": repr(line.strip())}))
                    continue
                numbers = _("start %(start)s and end %(end)s must be whole numbers")
                values = {"start": repr(start_text), "end": repr(end_text)}
                problems.append(on_line(number, numbers % values))
                continue
            if start < 0:
                negative = _("start %(start)s is negative") % {"start": start}
                problems.append(on_line(number, negative))
            if end <= start:
                order = _("end %(end)s is not after start %(start)s")
                problems.append(on_line(number, order % {"end": end, "start": start}))
            if contigs is not None:
                if contig not in contigs:
                    missing.setdefault(contig, number)
                elif end > contigs[contig]:
                    past = _(
                        "end %(end)s is past the end of %(contig)s (%(length)s bp in the reference)"
                    )
                    bounds: dict[str, object] = {
                        "end": end,
                        "contig": contig,
                        "length": contigs[contig],
                    }
                    problems.append(on_line(number, past % bounds))
            name = fields[3] if len(fields) > 3 else ""
            intervals.append(Interval(contig, start, end, name))
    if missing and contigs is not None:
        mismatch = contig_mismatch_problems(list(missing), list(contigs), N_("targets"), missing)
        problems.extend(mismatch)
    if problems:
        raise InputFormatError(_("%(path)s: the BED file has problems") % {"path": path}, problems)
    if not intervals:
        raise InputFormatError(_("%(path)s: the BED file has no regions") % {"path": path})
    return intervals


def contig_mismatch_problems(
    names: list[str], reference: list[str], what: str, first_line: dict[str, int] | None = None
) -> list[str]:
    """Explain contigs absent from the reference, naming a chr-prefix mismatch as such.

    ``what`` names the file's lines (``N_("targets")``): it is translated here.
    """
    problems = []
    ref = set(reference)
    for name in names:
        line = first_line.get(name) if first_line else None
        alt = chr_alternative(name)
        if alt in ref:
            mismatch = _(
                "%(what)s use '%(name)s', the reference uses '%(alt)s': rename the contigs"
                " (chr-prefix mismatch)"
            )
            problems.append(on_line(line, mismatch % {"what": _(what), "name": name, "alt": alt}))
        else:
            absent = _("contig '%(name)s' is not in the reference") % {"name": name}
            problems.append(on_line(line, absent))
    return problems


def chr_alternative(name: str) -> str:
    """The same contig named the other way: ``chr1`` for ``1``, ``1`` for ``chr1``."""
    return name[3:] if name.startswith("chr") else f"chr{name}"


def merge(intervals: list[Interval], order: list[str]) -> list[Interval]:
    """Sort by reference order and merge overlapping or touching intervals."""
    rank = {contig: i for i, contig in enumerate(order)}
    ordered = sorted(intervals, key=lambda iv: (rank.get(iv.contig, len(rank)), iv.start, iv.end))
    merged: list[Interval] = []
    for iv in ordered:
        last = merged[-1] if merged else None
        if last and last.contig == iv.contig and iv.start <= last.end:
            merged[-1] = Interval(last.contig, last.start, max(last.end, iv.end), last.name)
        else:
            merged.append(Interval(iv.contig, iv.start, iv.end, iv.name))
    return merged


def pad(intervals: list[Interval], padding: int, contigs: dict[str, int]) -> list[Interval]:
    """Widen every interval by ``padding`` on each side, clipped to the contig."""
    return [
        Interval(
            iv.contig,
            max(0, iv.start - padding),
            min(contigs[iv.contig], iv.end + padding),
            iv.name,
        )
        for iv in intervals
    ]


def write_bed(intervals: list[Interval], out: Path, with_names: bool = False) -> None:
    """Write intervals as BED, atomically."""
    lines = []
    for iv in intervals:
        name = f"\t{iv.name}" if with_names and iv.name else ""
        lines.append(f"{iv.contig}\t{iv.start}\t{iv.end}{name}\n")
    write_text_atomic(out, "".join(lines))


def calling_intervals(
    targets: list[Interval] | None, contigs: dict[str, int], padding: int
) -> list[Interval]:
    """The regions calling covers: the targets padded and merged, or every contig whole.

    Args:
        targets: The targets BED's intervals, or None to call the whole reference.
        contigs: Contig lengths, in reference order (pads are clipped to them).
        padding: Bases added on each side of every target.
    """
    if targets is None:
        return [Interval(name, 0, length) for name, length in contigs.items()]
    return merge(pad(targets, padding, contigs), list(contigs))


def prepare_regions(
    fai: Path, targets: Path | None, padding: int, targets_out: Path, calling_out: Path
) -> None:
    """Write the checked targets and the padded, merged calling regions.

    Without a targets BED, both are the whole reference.
    """
    contigs = read_fai(fai)
    if targets is None:
        whole = [Interval(c, 0, n, c) for c, n in contigs.items()]
        write_bed(whole, targets_out, with_names=True)
        write_bed(calling_intervals(None, contigs, padding), calling_out)
        return
    intervals = read_bed(targets, contigs)
    # Merged so that coverage figures never count a base twice.
    write_bed(merge(intervals, list(contigs)), targets_out, with_names=True)
    write_bed(calling_intervals(intervals, contigs, padding), calling_out)


#: Calling is scattered only as far as every chunk keeps at least this many bases: a
#: chunk of a small panel would cost more to launch than it saves.
MIN_CHUNK_BASES = 50_000


def calling_chunk_count(
    targets: Path | None, contigs: dict[str, int], padding: int, wanted: int
) -> int:
    """How many calling chunks a run gets: ``wanted``, or fewer for small regions.

    A chunk may cut a region (see :func:`split_regions`), so the count is limited by the
    bases to call (:data:`MIN_CHUNK_BASES` each) but never below the number of regions.
    Known before any job runs (Snakemake needs the number to plan the jobs) and
    independent of ``--cores``, so that results never depend on the core count.
    """
    if targets is None:
        intervals = calling_intervals(None, contigs, padding)
    else:
        targets_bed = read_bed(targets)
        # Contigs missing from ``contigs`` (not yet indexed) are not clipped: an end
        # padded past the contig only makes the estimate a little larger.
        lengths = contigs | {iv.contig: 1 << 62 for iv in targets_bed if iv.contig not in contigs}
        intervals = calling_intervals(targets_bed, lengths, padding)
    bases = sum(iv.length for iv in intervals)
    return max(1, min(wanted, max(len(intervals), bases // MIN_CHUNK_BASES)))


def split_regions(intervals: list[Interval], chunks: int) -> list[list[Interval]]:
    """Cut sorted regions into ``chunks`` runs of equal length (to a base), in order.

    A region is cut where a chunk's share ends. That changes no call: a caller reports
    a variant at its position, using every read over it, so each site lands in exactly
    one chunk whatever the cut (measured on real and simulated data for bcftools and
    freebayes; see benchmarks/RESULTS.md). Chunks keep reference order, so their calls,
    concatenated in chunk order, are in reference order too.

    Raises:
        ValueError: There are fewer bases than chunks.
    """
    total = sum(iv.length for iv in intervals)
    if total < chunks:
        raise ValueError(f"{total} bases cannot make {chunks} chunks")
    # Chunk k holds the bases from offset total*k//chunks up to total*(k+1)//chunks.
    groups: list[list[Interval]] = [[] for _ in range(chunks)]
    offset = 0
    for iv in intervals:
        start = iv.start
        while start < iv.end:
            index = min((offset + start - iv.start) * chunks // total, chunks - 1)
            chunk_end = -(-total * (index + 1) // chunks)  # ceiling division
            end = min(iv.end, iv.start + chunk_end - offset)
            groups[index].append(Interval(iv.contig, start, end, iv.name))
            start = end
        offset += iv.length
    return groups


def write_calling_chunks(calling: Path, chunks: int, out_dir: Path) -> list[Path]:
    """Write ``chunk<i>.bed`` files splitting the calling regions (see :func:`split_regions`)."""
    intervals = read_bed(calling)
    paths = []
    for i, group in enumerate(split_regions(intervals, chunks)):
        path = out_dir / f"chunk{i}.bed"
        write_bed(group, path)
        paths.append(path)
    return paths
