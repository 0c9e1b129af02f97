"""The truth variants of a simulated sample: their model, the ones taken from a VCF
(``labpipe simulate --variants``), and the figures of a variant set.

:mod:`labpipe.simulation.variant_spectrum` draws variants instead.
Coordinates are 0-based (as in BED) until a VCF is written.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pysam

from labpipe.core.errors import InputFormatError

TRANSITIONS: dict[str, str] = {"A": "G", "G": "A", "C": "T", "T": "C"}


@dataclass(frozen=True)
class Segment:
    """A stretch of the reference that is simulated (reads and variants).

    Attributes:
        contig: Contig name.
        start: 0-based start.
        end: 0-based exclusive end.
    """

    contig: str
    start: int
    end: int

    @property
    def length(self) -> int:
        """Bases in the segment."""
        return self.end - self.start


@dataclass(frozen=True)
class TruthVariant:
    """One variant of the simulated sample, possibly multi-allelic.

    Attributes:
        contig: Contig name.
        pos: 0-based position of REF's first base.
        ref: Reference allele.
        alts: Alternate alleles.
        haplotypes: Allele index (0 = REF) on haplotype 1 and haplotype 2.
        kind: ``snv``, ``insertion``, ``deletion`` or ``multiallelic``.
        context: ``homopolymer``, ``str`` or ``none``: the repeat an indel sits in.
    """

    contig: str
    pos: int
    ref: str
    alts: tuple[str, ...]
    haplotypes: tuple[int, int]
    kind: str
    context: str = "none"

    @property
    def end(self) -> int:
        """0-based exclusive end of REF."""
        return self.pos + len(self.ref)

    @property
    def is_het(self) -> bool:
        """Whether the two haplotypes carry different alleles."""
        return self.haplotypes[0] != self.haplotypes[1]

    def allele_on(self, haplotype: int) -> str | None:
        """The ALT sequence on haplotype 0 or 1, or None where it carries REF."""
        index = self.haplotypes[haplotype]
        return self.alts[index - 1] if index else None

    def genotype(self) -> str:
        """Phased VCF genotype, e.g. ``0|1``."""
        return f"{self.haplotypes[0]}|{self.haplotypes[1]}"


class Occupancy:
    """Reference spans already given to a variant, per contig, kept sorted."""

    def __init__(self) -> None:
        self._spans: dict[str, list[tuple[int, int]]] = {}

    def free(self, contig: str, start: int, end: int) -> bool:
        spans = self._spans.setdefault(contig, [])
        i = bisect.bisect_left(spans, (start, end))
        return all(not (s < end and start < e) for s, e in spans[max(0, i - 1) : i + 1])

    def take(self, contig: str, start: int, end: int) -> None:
        bisect.insort(self._spans.setdefault(contig, []), (start, end))


def variants_from_vcf(
    vcf: Path,
    segments: Sequence[Segment],
    sequence_of: Callable[[Segment], str],
    sample: str | None,
    rng: np.random.Generator,
) -> tuple[list[TruthVariant], int]:
    """Take a sample's variants from a VCF, keeping those that fit the segments.

    A phased genotype (``0|1``) keeps its phase; an unphased heterozygote goes on a random
    haplotype. Records overlapping one already taken, reaching outside the segments, with
    symbolic alleles, or homozygous reference are skipped. Without sample columns every
    record is taken as heterozygous.

    Args:
        vcf: The VCF (plain or bgzipped).
        segments: Where reads will be simulated.
        sequence_of: Uppercase reference sequence of a segment.
        sample: Sample column to read; default the first.
        rng: Randomness for unphased heterozygotes.

    Returns:
        (variants, records skipped).

    Raises:
        InputFormatError: When the file cannot be read, the sample is missing, or a REF
            allele disagrees with the reference.
    """
    pysam.set_verbosity(0)
    try:
        handle = pysam.VariantFile(str(vcf))
    except (OSError, ValueError) as exc:
        raise InputFormatError(f"{vcf}: cannot be read as a VCF ({exc})") from exc
    by_contig: dict[str, list[tuple[Segment, str]]] = {}
    for seg in segments:
        by_contig.setdefault(seg.contig, []).append((seg, sequence_of(seg)))
    occupied = Occupancy()
    out: list[TruthVariant] = []
    skipped = 0
    with handle:
        names = list(handle.header.samples)
        if sample is not None and sample not in names:
            raise InputFormatError(
                f"{vcf}: no sample column '{sample}' (it has: {', '.join(names) or 'none'})"
            )
        column = sample or (names[0] if names else None)
        for line, record in enumerate(handle, start=1):
            taken = _take_record(record, column, by_contig, vcf, line, rng)
            if taken is None or not occupied.free(taken.contig, taken.pos - 1, taken.end + 1):
                skipped += 1
                continue
            occupied.take(taken.contig, taken.pos, taken.end)
            out.append(taken)
    order = {s.contig: i for i, s in enumerate(segments)}
    return sorted(out, key=lambda v: (order[v.contig], v.pos)), skipped


def _take_record(
    record: pysam.VariantRecord,
    column: str | None,
    by_contig: dict[str, list[tuple[Segment, str]]],
    vcf: Path,
    line: int,
    rng: np.random.Generator,
) -> TruthVariant | None:
    alts = tuple(a.upper() for a in (record.alts or ()))
    if not alts or any(not re.fullmatch(r"[ACGTN]+", a) for a in alts):
        return None
    ref = (record.ref or "").upper()
    start, end = record.pos - 1, record.pos - 1 + len(ref)
    home = next(
        (
            (seg, seq)
            for seg, seq in by_contig.get(record.chrom, [])
            if seg.start <= start and end <= seg.end
        ),
        None,
    )
    if home is None:
        return None
    seg, seq = home
    if seq[start - seg.start : end - seg.start] != ref:
        raise InputFormatError(
            f"{vcf}: record {line} ({record.chrom}:{record.pos}) has REF {ref} but the "
            f"reference reads {seq[start - seg.start : end - seg.start]}; "
            "use a VCF made against this reference"
        )
    if column is None:
        haplotypes = (1, 0) if rng.random() < 0.5 else (0, 1)
    else:
        call = record.samples[column]
        gt = [a if a is not None else 0 for a in (call.get("GT") or ())]
        if len(gt) == 1:
            gt = gt * 2
        if len(gt) != 2 or not any(gt):
            return None
        if gt[0] != gt[1] and not call.phased and rng.random() < 0.5:
            gt = gt[::-1]
        haplotypes = (int(gt[0]), int(gt[1]))
    used = sorted({a for a in haplotypes if a})
    kept = tuple(alts[a - 1] for a in used)
    remap = {0: 0, **{a: i + 1 for i, a in enumerate(used)}}
    haplotypes = (remap[haplotypes[0]], remap[haplotypes[1]])
    if len(kept) > 1:
        kind = "multiallelic"
    elif len(kept[0]) == len(ref):
        kind = "snv" if len(ref) == 1 else "mnp"
    else:
        kind = "deletion" if len(ref) > len(kept[0]) else "insertion"
    return TruthVariant(record.chrom, start, ref, kept, haplotypes, kind, "given")


@dataclass(frozen=True)
class SpectrumSummary:
    """Figures that show a variant set's spectrum.

    Attributes:
        sites: Variant records.
        snvs: Biallelic SNV sites.
        transitions: SNV alleles that are transitions.
        transversions: SNV alleles that are transversions.
        insertions: Insertion alleles.
        deletions: Deletion alleles.
        indels_in_repeats: Indel alleles in a homopolymer or STR.
        het: Heterozygous sites.
        hom: Homozygous sites.
        multiallelic: Sites with two ALT alleles.
    """

    sites: int
    snvs: int
    transitions: int
    transversions: int
    insertions: int
    deletions: int
    indels_in_repeats: int
    het: int
    hom: int
    multiallelic: int

    @property
    def ts_tv(self) -> float:
        """Transitions per transversion (0 without transversions)."""
        return self.transitions / self.transversions if self.transversions else 0.0


def summarise(variants: Iterable[TruthVariant]) -> SpectrumSummary:
    """Count the spectrum of a variant set (each ALT allele counted once)."""
    counts = dict.fromkeys(
        ("sites", "snvs", "ts", "tv", "ins", "dels", "rep", "het", "hom", "multi"), 0
    )
    for v in variants:
        counts["sites"] += 1
        counts["het" if v.is_het else "hom"] += 1
        counts["multi"] += len(v.alts) > 1
        counts["snvs"] += v.kind == "snv"
        for alt in v.alts:
            if len(alt) == len(v.ref) == 1:
                counts["ts" if TRANSITIONS.get(v.ref) == alt else "tv"] += 1
            elif len(alt) != len(v.ref):
                counts["ins" if len(alt) > len(v.ref) else "dels"] += 1
                counts["rep"] += v.context in ("homopolymer", "str")
    return SpectrumSummary(
        counts["sites"],
        counts["snvs"],
        counts["ts"],
        counts["tv"],
        counts["ins"],
        counts["dels"],
        counts["rep"],
        counts["het"],
        counts["hom"],
        counts["multi"],
    )
