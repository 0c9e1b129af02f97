"""A second caller's opinion on bcftools' indels (``calling.indel_second_opinion``).

At 15x with noisy reads, bcftools and freebayes each find indels the other misses
(benchmarks/RESULTS.md, data set (c)). freebayes is run only in short windows around
the sites where bcftools mpileup saw indel candidates, so it costs about a second
where a whole second calling pass would cost as much as the first. Its indel calls
then change bcftools' indels in three ways
(the windows are :mod:`labpipe.calling.indel_windows`):

- an indel freebayes calls that bcftools did not call is added
  (``INFO/CALLERS=freebayes``);
- an indel both call is ``CALLERS=bcftools+freebayes``, and passes when freebayes'
  call passes the same depth and read-count filters, even if bcftools' record was
  filtered;
- an indel only bcftools calls, within :data:`SHADOW_DISTANCE` bp of a stronger
  indel call, gets ``FILTER ShadowIndel``: bcftools' typical false indel is a
  misaligned copy beside a real one, which a haplotype caller does not make.

SNVs are left as bcftools called them.

The calls may hold several samples (a family called jointly, see workflow/rules/
call_family.smk): a record counts when any sample carries its ALT, and an added indel
takes each sample's genotype, depth and read counts from freebayes' record.

Over 400 lines because the merge is one streaming pass over both callers' records, whose state
and the records it builds belong together.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: bp within which a weaker, unconfirmed indel counts as another's shadow.
SHADOW_DISTANCE = 5

SHADOW_FILTER = "ShadowIndel"
SHADOW_MEANING = (
    f"indel only bcftools called, within {SHADOW_DISTANCE} bp of a stronger indel call "
    "(second opinion: freebayes)"
)

#: A pysam ``VariantRecord`` (its stubs type ``alts`` as optional, which a split,
#: normalised record never is).
Record = Any
Key = tuple[str, int, str, str]


@dataclass
class OpinionCounts:
    """What the second opinion changed in one sample's calls."""

    confirmed: int = 0
    rescued_from_filter: int = 0
    added: int = 0
    shadowed: int = 0
    not_variants: int = 0  # records whose sample carries no ALT, dropped


def _is_indel(record: Record) -> bool:
    return len(record.alts or ()) == 1 and len(record.ref) != len(record.alts[0])


def _is_simple_indel(record: Record) -> bool:
    """An insertion or deletion and nothing else: one side is the shared anchor base.

    freebayes also writes complex alleles (``ATG>CA``) that norm cannot split; read
    as primitives they carry a substitution, and SNVs stay bcftools' alone.
    """
    if not _is_indel(record):
        return False
    ref, alt = record.ref.upper(), record.alts[0].upper()
    return (len(ref) == 1 or len(alt) == 1) and ref[0] == alt[0] and alt != "*"


def carries_alt(record: Record) -> bool:
    """Whether a sample of the record (any, for a family's) carries an ALT allele.

    A 0/0, 0, ./. or ./0 genotype is not a call of the variant, whatever its FILTER:
    freebayes writes such records, and splitting a multi-allelic site makes them. A
    record without samples or GT has nothing to say otherwise and counts as carrying it.
    """
    if not len(record.samples) or "GT" not in record.format:
        return True
    return any(
        allele is not None and allele > 0
        for call in record.samples.values()
        for allele in (call.get("GT") or ())
    )


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

    The calls are streamed (a whole genome's VCF need not fit in memory); only
    freebayes' indels, a few per indel candidate, are held.

    Args:
        calls: bcftools' normalised, soft-filtered calls, sorted (a path, or ``-`` for
            stdin).
        freebayes: freebayes' normalised, soft-filtered calls in the windows; an
            empty file or None when there were no indel candidates.
        out: Where to write the merged calls (``-`` for stdout, as BCF with no compression).

    Returns:
        How many indels were confirmed, rescued from a filter, added and shadowed.

    Raises:
        InputFormatError: The calls are not sorted.
    """
    import pysam

    with _quiet(pysam), pysam.VariantFile(calls) as source:
        header = source.header
        _add_header_lines(header)
        rank = {str(name): i for i, name in enumerate(header.contigs)}
        opinion = _freebayes_indels(pysam, freebayes, rank)
        with pysam.VariantFile(out, "wb0" if out == "-" else "w", header=header) as sink:
            merge = _Merge(header, opinion, sink)
            for record in source:
                if carries_alt(record):
                    merge.add_bcftools(rank[record.chrom], record)
                else:
                    merge.counts.not_variants += 1
            merge.finish()
    return merge.counts


def _freebayes_indels(
    pysam: Any, freebayes: Path | None, rank: dict[str, int]
) -> list[tuple[int, Key, _Call]]:
    """freebayes' passing simple indels on the calls' contigs, in reference order,
    each with its contig's rank and its key."""
    if freebayes is None or not freebayes.exists() or freebayes.stat().st_size == 0:
        return []
    calls: dict[Key, _Call] = {}
    with _quiet(pysam), pysam.VariantFile(str(freebayes)) as opinion:
        for record in opinion:
            # A 0/0 opinion is freebayes saying the sample does not carry the indel: it
            # neither adds, confirms nor rescues one.
            if (
                record.chrom in rank
                and _is_simple_indel(record)
                and _passes(record)
                and carries_alt(record)
            ):
                calls.setdefault(_key(record), _snapshot(record))
    return sorted(
        ((rank[call.chrom], key, call) for key, call in calls.items()),
        key=lambda item: (item[0], item[2].start, item[2].alleles),
    )


@dataclass
class _Pending:
    """A record waiting until every indel within SHADOW_DISTANCE of it has been seen."""

    rank: int
    record: Record
    passing_indel: bool  # before any ShadowIndel was set
    bcftools_only: bool


class _Merge:
    """The streaming merge: bcftools' records in order, freebayes' indels slotted in."""

    def __init__(self, header: Any, opinion: list[tuple[int, Key, _Call]], sink: Any) -> None:
        self.header, self.sink = header, sink
        self.counts = OpinionCounts()
        self.queue = opinion
        self.opinion = {key for _, key, _ in opinion}
        self.next_opinion = 0
        self.matched: set[Key] = set()
        self.pending: list[_Pending] = []
        self.undecided = 0  # pending[:undecided] are written, kept as left neighbours
        self.last: tuple[int, int] = (-1, 0)

    def add_bcftools(self, rank: int, record: Record) -> None:
        position = (rank, record.pos)
        if position < self.last:
            from labpipe.core.errors import InputFormatError

            raise InputFormatError(
                f"the calls are not sorted: {record.chrom}:{record.pos} comes after "
                "a later position; labpipe's calling steps write them sorted"
            )
        self.last = position
        self._slot_opinions_before(position)
        bcftools_only = False
        if _is_indel(record):
            key = _key(record)
            if key in self.opinion:
                self.matched.add(key)
                record.info["CALLERS"] = "bcftools+freebayes"
                if _passes(record):
                    self.counts.confirmed += 1
                else:
                    record.filter.clear()
                    record.filter.add("PASS")
                    self.counts.rescued_from_filter += 1
            else:
                record.info["CALLERS"] = "bcftools"
                bcftools_only = True
        self._push(rank, record, bcftools_only)

    def finish(self) -> None:
        self._slot_opinions_before((len(self.header.contigs), 0))
        self._decide(None)

    def _slot_opinions_before(self, position: tuple[int, int]) -> None:
        """Add freebayes' indels before ``position`` that bcftools did not call.

        Every bcftools record at an earlier position has been seen by now.
        """
        while self.next_opinion < len(self.queue):
            rank, key, call = self.queue[self.next_opinion]
            if (rank, call.start + 1) >= position:
                return
            self.next_opinion += 1
            if key in self.matched:
                continue
            self._push(rank, _new_record(self.header, call), False)
            self.counts.added += 1

    def _push(self, rank: int, record: Record, bcftools_only: bool) -> None:
        passing_indel = _is_indel(record) and _passes(record)
        self.pending.append(_Pending(rank, record, passing_indel, bcftools_only))
        self._decide((rank, record.pos))

    def _decide(self, newest: tuple[int, int] | None) -> None:
        """Write every record whose right-hand neighbours have all arrived."""
        pending = self.pending
        while self.undecided < len(pending):
            item = pending[self.undecided]
            if newest is not None and (item.rank, item.record.pos + SHADOW_DISTANCE) >= newest:
                break
            if item.bcftools_only and item.passing_indel and self._in_shadow(self.undecided):
                item.record.filter.clear()
                item.record.filter.add(SHADOW_FILTER)
                self.counts.shadowed += 1
            self.sink.write(item.record)
            self.undecided += 1
        if self.undecided > 512 and newest is not None:
            # Drop what can no longer be a left neighbour of a record to come.
            frontier = newest
            if self.undecided < len(pending):
                first = pending[self.undecided]
                frontier = (first.rank, first.record.pos)
            keep = self.undecided
            while (
                keep > 0
                and (
                    pending[keep - 1].rank,
                    pending[keep - 1].record.pos + SHADOW_DISTANCE,
                )
                >= frontier
            ):
                keep -= 1
            del pending[:keep]
            self.undecided -= keep

    def _in_shadow(self, index: int) -> bool:
        """A stronger passing indel at another position within SHADOW_DISTANCE."""
        item = self.pending[index]
        pos, qual = item.record.pos, item.record.qual or 0.0
        for step in (-1, 1):
            j = index + step
            while 0 <= j < len(self.pending):
                other = self.pending[j]
                if other.rank != item.rank or abs(other.record.pos - pos) > SHADOW_DISTANCE:
                    break
                if (
                    other.passing_indel
                    and other.record.pos != pos
                    and (other.record.qual or 0.0) > qual
                ):
                    return True
                j += step
        return False


@contextmanager
def _quiet(pysam: Any) -> Iterator[None]:
    """No htslib complaint that a stream or an unindexed file has no index."""
    previous = pysam.set_verbosity(0)
    try:
        yield
    finally:
        pysam.set_verbosity(previous)


@dataclass(frozen=True)
class _Genotype:
    """One sample's part of a freebayes record."""

    sample: str
    gt: tuple[int | None, ...] | None
    depth: int | None
    ad: tuple[int | None, ...] | None
    gq: float | None


@dataclass(frozen=True)
class _Call:
    chrom: str
    start: int
    stop: int
    alleles: tuple[str, ...]
    qual: float | None
    dp: int | None
    genotypes: tuple[_Genotype, ...]


def _snapshot(record: Record) -> _Call:
    def genotype(sample: str, call: Any) -> _Genotype:
        def field(name: str) -> Any:
            try:
                return call[name]
            except KeyError:
                return None

        ad = field("AD")
        return _Genotype(
            sample, field("GT"), field("DP"), tuple(ad) if ad is not None else None, field("GQ")
        )

    return _Call(
        record.chrom,
        record.start,
        record.stop,
        tuple(record.alleles),
        record.qual,
        record.info.get("DP"),
        tuple(genotype(str(name), call) for name, call in record.samples.items()),
    )


def _new_record(header: Any, call: _Call) -> Record:
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
    samples = [str(s) for s in header.samples]
    by_name = {g.sample: g for g in call.genotypes}
    if len(samples) == 1 and call.genotypes:
        # One sample: freebayes' one sample is it, whatever the read groups named it.
        by_name = {samples[0]: call.genotypes[0]}
    for sample in samples:
        found = by_name.get(sample)
        if found is None:
            continue
        values = record.samples[sample]
        if found.gt is not None:
            values["GT"] = found.gt
        if found.ad is not None and "AD" in header.formats:
            values["AD"] = found.ad
        if found.depth is not None and "DP" in header.formats:
            values["DP"] = found.depth
        if found.gq is not None and "GQ" in header.formats:
            values["GQ"] = round(found.gq)
    return record


def main_report(counts: OpinionCounts) -> None:
    """One line for the rule's log."""
    print(
        f"second opinion (freebayes) on indels: {counts.confirmed} confirmed, "
        f"{counts.rescued_from_filter} kept despite a bcftools filter, {counts.added} added, "
        f"{counts.shadowed} marked {SHADOW_FILTER}; {counts.not_variants} records whose "
        "sample carries no ALT (0/0, ./.) dropped",
        file=sys.stderr,
    )
