"""A second caller's opinion on bcftools' indels (``calling.indel_second_opinion``).

At 15x with noisy reads, bcftools and freebayes each find indels the other misses
(benchmarks/RESULTS.md, data set (c)). freebayes is run only in short windows around
the sites where bcftools mpileup saw indel candidates, so it costs about a second
where a whole second calling pass would cost as much as the first. Its indel calls
then change bcftools' indels in three ways:

- an indel freebayes calls that bcftools did not call is added
  (``INFO/CALLERS=freebayes``);
- an indel both call is ``CALLERS=bcftools+freebayes``, and passes when freebayes'
  call passes the same depth and read-count filters, even if bcftools' record was
  filtered;
- an indel only bcftools calls, within :data:`SHADOW_DISTANCE` bp of a stronger
  indel call, gets ``FILTER ShadowIndel``: bcftools' typical false indel is a
  misaligned copy beside a real one, which a haplotype caller does not make.

SNVs are left as bcftools called them.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: bp around each indel candidate that freebayes examines (its haplotype window
#: and the longest repeat a short indel shifts along fit comfortably).
WINDOW_PADDING = 30
#: bp within which a weaker, unconfirmed indel counts as another's shadow.
SHADOW_DISTANCE = 5

SHADOW_FILTER = "ShadowIndel"
SHADOW_MEANING = (
    f"indel only bcftools called, within {SHADOW_DISTANCE} bp of a stronger indel call "
    "(second opinion: freebayes)"
)

Interval = tuple[str, int, int]
#: A pysam ``VariantRecord`` (its stubs type ``alts`` as optional, which a split,
#: normalised record never is).
Record = Any
Key = tuple[str, int, str, str]


def indel_windows(
    candidates: Iterable[Interval],
    calling: Sequence[Interval],
    padding: int = WINDOW_PADDING,
) -> list[Interval]:
    """Windows (0-based, half-open) around indel candidates, inside the calling regions.

    Args:
        candidates: ``(contig, start, end)`` of each candidate record.
        calling: The calling regions, in reference order, as the regions step writes them.
        padding: bp added on each side of a candidate.

    Returns:
        Merged windows clipped to the calling regions, in the calling regions' order.
    """
    order = {contig: rank for rank, contig in enumerate(dict.fromkeys(c for c, _, _ in calling))}
    padded = sorted(
        (order[contig], max(0, start - padding), end + padding)
        for contig, start, end in candidates
        if contig in order
    )
    names = list(order)
    regions = sorted((order[contig], start, end) for contig, start, end in calling)
    windows: list[Interval] = []
    j = 0
    for rank, start, end in _merge(padded):
        while j < len(regions) and (regions[j][0], regions[j][2]) <= (rank, start):
            j += 1
        k = j
        while k < len(regions) and regions[k][0] == rank and regions[k][1] < end:
            low, high = max(start, regions[k][1]), min(end, regions[k][2])
            if low < high:
                windows.append((names[rank], low, high))
            k += 1
    return [(c, s, e) for c, s, e in _merge_named(windows)]


def _merge(intervals: list[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
    merged: list[list[int]] = []
    for rank, start, end in intervals:
        if merged and merged[-1][0] == rank and start <= merged[-1][2]:
            merged[-1][2] = max(merged[-1][2], end)
        else:
            merged.append([rank, start, end])
    return [(r, s, e) for r, s, e in merged]


def _merge_named(intervals: list[Interval]) -> list[Interval]:
    merged: list[list] = []
    for contig, start, end in intervals:
        if merged and merged[-1][0] == contig and start <= merged[-1][2]:
            merged[-1][2] = max(merged[-1][2], end)
        else:
            merged.append([contig, start, end])
    return [(c, s, e) for c, s, e in merged]


def read_intervals(paths: Iterable[Path]) -> list[Interval]:
    """``contig start end`` lines of BED-like files, in file order."""
    intervals = []
    for path in paths:
        with open(path) as handle:
            for line in handle:
                fields = line.split("\t")
                if len(fields) >= 3 and not line.startswith(("#", "track", "browser")):
                    intervals.append((fields[0], int(fields[1]), int(fields[2])))
    return intervals


def write_windows(candidate_files: Sequence[Path], calling_bed: Path, out: Path) -> int:
    """Write the freebayes windows of one sample; returns how many there are."""
    from labpipe.atomic import write_text_atomic

    windows = indel_windows(read_intervals(candidate_files), read_intervals([calling_bed]))
    write_text_atomic(out, "".join(f"{c}\t{s}\t{e}\n" for c, s, e in windows))
    return len(windows)


@dataclass
class OpinionCounts:
    """What the second opinion changed in one sample's calls."""

    confirmed: int = 0
    rescued_from_filter: int = 0
    added: int = 0
    shadowed: int = 0


def _is_indel(record: Record) -> bool:
    return len(record.alts or ()) == 1 and len(record.ref) != len(record.alts[0])


def _is_simple_indel(record: Record) -> bool:
    """An insertion or deletion and nothing else: one side is the shared anchor base.

    freebayes also writes complex alleles (``ATG>CA``) that norm cannot split; read
    as primitives they carry a substitution, and SNVs stay bcftools' alone.
    """
    ref, alt = record.ref.upper(), record.alts[0].upper()
    return (len(ref) == 1 or len(alt) == 1) and ref[0] == alt[0] and alt != "*"


def _passes(record: Record) -> bool:
    return list(record.filter.keys()) in ([], ["PASS"])


def _key(record: Record) -> Key:
    return (record.chrom, record.pos, record.ref.upper(), record.alts[0].upper())


def _add_header_lines(header: Any) -> None:
    if "CALLERS" not in header.info:
        header.info.add(
            "CALLERS",
            1,
            "String",
            "Indel called by bcftools, freebayes (second opinion) or bcftools+freebayes",
        )
    if SHADOW_FILTER not in header.filters:
        header.filters.add(SHADOW_FILTER, None, None, SHADOW_MEANING)
    if "INDEL" not in header.info:
        header.info.add("INDEL", 0, "Flag", "Indel")


def apply_second_opinion(calls: str, freebayes: Path | None, out: str) -> OpinionCounts:
    """Merge freebayes' indels into bcftools' calls (see the module's docstring).

    Args:
        calls: bcftools' normalised, soft-filtered calls (a path, or ``-`` for stdin).
        freebayes: freebayes' normalised, soft-filtered calls in the windows; an
            empty file or None when there were no indel candidates.
        out: Where to write the merged calls (``-`` for stdout, as BCF with no compression).

    Returns:
        How many indels were confirmed, rescued from a filter, added and shadowed.
    """
    import pysam

    counts = OpinionCounts()
    with _quiet(pysam), pysam.VariantFile(calls) as source:
        header = source.header
        _add_header_lines(header)
        records = list(source)
        sample = next(iter(header.samples), None)

        second: dict[Key, _Call] = {}
        if freebayes is not None and freebayes.exists() and freebayes.stat().st_size > 0:
            with _quiet(pysam), pysam.VariantFile(str(freebayes)) as opinion:
                for record in opinion:
                    if _is_indel(record) and _is_simple_indel(record) and _passes(record):
                        second.setdefault(_key(record), _snapshot(record))

        called: set[Key] = set()
        confirmed: set[int] = set()
        for index, record in enumerate(records):
            if not _is_indel(record):
                continue
            key = _key(record)
            called.add(key)
            if key in second:
                record.info["CALLERS"] = "bcftools+freebayes"
                confirmed.add(index)
                if _passes(record):
                    counts.confirmed += 1
                else:
                    record.filter.clear()
                    record.filter.add("PASS")
                    counts.rescued_from_filter += 1
            else:
                record.info["CALLERS"] = "bcftools"

        for key, facts in second.items():
            if key in called or key[0] not in header.contigs:
                continue
            records.append(_new_record(header, sample, facts))
            counts.added += 1

        counts.shadowed = _mark_shadows(records, confirmed)
        rank = {name: i for i, name in enumerate(header.contigs)}
        records.sort(key=lambda r: (rank[r.chrom], r.pos, r.ref, r.alts[0] if r.alts else ""))
        with pysam.VariantFile(out, "wb0" if out == "-" else "w", header=header) as sink:
            for record in records:
                sink.write(record)
    return counts


@contextmanager
def _quiet(pysam: Any) -> Iterator[None]:
    """No htslib complaint that a stream or an unindexed file has no index."""
    previous = pysam.set_verbosity(0)
    try:
        yield
    finally:
        pysam.set_verbosity(previous)


@dataclass(frozen=True)
class _Call:
    chrom: str
    start: int
    stop: int
    alleles: tuple[str, ...]
    qual: float | None
    dp: int | None
    gt: tuple[int | None, ...] | None
    depth: int | None
    ad: tuple[int | None, ...] | None
    gq: float | None


def _snapshot(record: Record) -> _Call:
    call = record.samples[0] if len(record.samples) else {}

    def field(name: str) -> Any:
        try:
            return call[name]
        except KeyError:
            return None

    ad = field("AD")
    return _Call(
        record.chrom,
        record.start,
        record.stop,
        tuple(record.alleles),
        record.qual,
        record.info.get("DP"),
        field("GT"),
        field("DP"),
        tuple(ad) if ad is not None else None,
        field("GQ"),
    )


def _new_record(header: Any, sample: str | None, call: _Call) -> Record:
    record = header.new_record(
        contig=call.chrom,
        start=call.start,
        stop=call.stop,
        alleles=call.alleles,
        qual=call.qual,
        filter="PASS",
    )
    record.info["INDEL"] = True
    record.info["CALLERS"] = "freebayes"
    if call.dp is not None and "DP" in header.info:
        record.info["DP"] = call.dp
    if sample is not None:
        values = record.samples[sample]
        if call.gt is not None:
            values["GT"] = call.gt
        if call.ad is not None and "AD" in header.formats:
            values["AD"] = call.ad
        if call.depth is not None and "DP" in header.formats:
            values["DP"] = call.depth
        if call.gq is not None and "GQ" in header.formats:
            values["GQ"] = round(call.gq)
    return record


def _mark_shadows(records: list[Record], confirmed: set[int]) -> int:
    """FILTER ShadowIndel on unconfirmed bcftools indels beside a stronger indel call."""
    indels = sorted(
        (i for i, r in enumerate(records) if _is_indel(r) and _passes(r)),
        key=lambda i: (records[i].chrom, records[i].pos),
    )
    shadowed = []
    for n, i in enumerate(indels):
        record = records[i]
        if i in confirmed or record.info.get("CALLERS") != "bcftools":
            continue
        qual = record.qual or 0.0
        neighbours = indels[max(0, n - 50) : n + 50]
        if any(
            records[j].chrom == record.chrom
            and records[j].pos != record.pos
            and abs(records[j].pos - record.pos) <= SHADOW_DISTANCE
            and (records[j].qual or 0.0) > qual
            for j in neighbours
        ):
            shadowed.append(record)
    for record in shadowed:
        if "PASS" in record.filter:
            record.filter.clear()
        record.filter.add(SHADOW_FILTER)
    return len(shadowed)


def main_report(counts: OpinionCounts) -> None:
    """One line for the rule's log."""
    print(
        f"second opinion (freebayes) on indels: {counts.confirmed} confirmed, "
        f"{counts.rescued_from_filter} kept despite a bcftools filter, {counts.added} added, "
        f"{counts.shadowed} marked {SHADOW_FILTER}",
        file=sys.stderr,
    )
