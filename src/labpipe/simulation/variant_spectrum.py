"""Which variants a simulated genome carries: a germline-like spectrum, or a given VCF.

:func:`plant_variants` draws short variants into stretches of any reference with the
properties that make germline calling hard in real data:

- SNVs with transitions twice as common as transversions (Ts/Tv ≈ 2, as in human genomes);
- indels of 1-20 bp, short ones far commoner than long (weight ∝ length^-1.6: about half
  are 1 bp), deletions more common than insertions;
- about half of the indels in homopolymers and short tandem repeats (STRs), as an expansion
  or contraction of whole repeat units, where reads are hardest to align and callers
  disagree on representation;
- ~60% heterozygous (phase random), the rest homozygous;
- a few multi-allelic sites (``1|2``): two different SNV alleles, or an STR with one
  allele a unit shorter and the other a unit longer.

Variants are spaced so that each one's representation is unambiguous: an indel keeps clear
of other variants across the whole repeat it could slide in.
:func:`labpipe.simulation.truth_variants.variants_from_vcf` takes variants from a VCF instead.

Coordinates are 0-based (as in BED) until a VCF is written.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from labpipe.core.alleles import normalise_in, rightmost_end
from labpipe.simulation.truth_variants import (
    TRANSITIONS,
    Occupancy,
    Segment,
    TruthVariant,
)

TRANSVERSIONS: dict[str, tuple[str, str]] = {
    "A": ("C", "T"),
    "G": ("C", "T"),
    "C": ("A", "G"),
    "T": ("A", "G"),
}
_HOMOPOLYMER = re.compile(r"A{5,}|C{5,}|G{5,}|T{5,}")
# A unit of 2-6 bases repeated at least three times in a row (CACACA, AGGAGGAGG, ...).
_STR = re.compile(r"([ACGT]{2,6}?)\1{2,}")


@dataclass(frozen=True)
class Repeat:
    """A homopolymer or STR tract of the reference.

    Attributes:
        contig: Contig name.
        start: 0-based first base of the tract.
        end: 0-based exclusive end.
        unit: The repeated unit (one base for a homopolymer).
    """

    contig: str
    start: int
    end: int
    unit: str

    @property
    def kind(self) -> str:
        """``homopolymer`` or ``str``."""
        return "homopolymer" if len(self.unit) == 1 else "str"

    @property
    def copies(self) -> int:
        """Whole units in the tract."""
        return (self.end - self.start) // len(self.unit)


@dataclass(frozen=True)
class SpectrumConfig:
    """How many variants of which kinds to plant.

    Attributes:
        variant_rate: Variant sites per simulated base (human germline: ~1 per kb).
        indel_fraction: Share of sites that are indels.
        transition_fraction: Share of SNVs that are transitions (2/3 gives Ts/Tv 2).
        deletion_fraction: Share of indels that are deletions.
        repeat_indel_fraction: Share of indels placed in homopolymers and STRs.
        het_fraction: Share of sites that are heterozygous.
        multiallelic_fraction: Share of sites with two different ALT alleles (``1|2``).
        max_indel_length: Longest indel, in bases.
        edge_margin: No variant this close to a segment's ends (reads thin out there).
    """

    variant_rate: float = 1e-3
    indel_fraction: float = 0.15
    transition_fraction: float = 2 / 3
    deletion_fraction: float = 0.6
    repeat_indel_fraction: float = 0.5
    het_fraction: float = 0.6
    multiallelic_fraction: float = 0.01
    max_indel_length: int = 20
    edge_margin: int = 500

    @property
    def min_plantable_length(self) -> int:
        """Shortest segment a variant can be planted in: both edge margins plus room for the
        longest indel on each side. Shorter segments get reads but no variants."""
        return 2 * self.edge_margin + 2 * self.max_indel_length + 1


def find_repeats(contig: str, seq: str, offset: int = 0) -> list[Repeat]:
    """Homopolymers of ≥5 bases and STRs of a 2-6 base unit repeated ≥3 times.

    Args:
        contig: Contig name for the results.
        seq: Uppercase sequence to scan.
        offset: Coordinate of ``seq[0]`` on the contig.

    Returns:
        Tracts sorted by start; an STR overlapping a homopolymer is dropped.
    """
    repeats = [
        Repeat(contig, offset + m.start(), offset + m.end(), m.group()[0])
        for m in _HOMOPOLYMER.finditer(seq)
    ]
    taken = [(r.start, r.end) for r in repeats]
    for m in _STR.finditer(seq):
        unit = m.group(1)
        if len(set(unit)) == 1 or len(m.group()) < 8:
            continue  # a homopolymer in disguise, or too short to matter
        start, end = offset + m.start(), offset + m.end()
        i = bisect.bisect_left(taken, (start, end))
        near = taken[max(0, i - 1) : i + 1]
        if any(s < end and start < e for s, e in near):
            continue
        repeats.append(Repeat(contig, start, end, unit))
    return sorted(repeats, key=lambda r: (r.start, r.end))


def indel_length_weights(max_length: int) -> np.ndarray:
    """Probabilities of indel lengths 1..max_length (∝ length^-1.6, about half 1 bp)."""
    lengths = np.arange(1, max_length + 1, dtype=float)
    weights = lengths**-1.6
    return np.asarray(weights / weights.sum())


def _left_normalise(seq: str, pos: int, ref: str, alt: str) -> tuple[int, str, str]:
    """:func:`~labpipe.core.alleles.normalise_in` on a segment's own sequence, never
    anchoring on an N (a ``--regions`` stretch may hold some)."""
    start = seq.rfind("N", 0, pos) + 1
    moved, ref, alt = normalise_in(seq[start : pos + len(ref)], pos - start, ref, alt)
    return start + moved, ref, alt


def plant_variants(
    segments: Sequence[Segment],
    sequence_of: Callable[[Segment], str],
    config: SpectrumConfig,
    rng: np.random.Generator,
) -> list[TruthVariant]:
    """Draw the variants of one diploid sample over ``segments``.

    Args:
        segments: Where to plant, e.g. the non-N stretches of a reference.
        sequence_of: Uppercase reference sequence of a segment.
        config: The spectrum.
        rng: Randomness; the same state gives the same variants.

    Returns:
        Variants sorted by segment order and position, normalised (indels left-aligned).
    """
    plantable = [s for s in segments if s.length >= config.min_plantable_length]
    if not plantable:
        return []
    seqs = [sequence_of(s) for s in plantable]
    usable = np.array([s.length - 2 * config.edge_margin for s in plantable], dtype=float)
    n_sites = round(float(config.variant_rate * usable.sum()))
    repeats = [find_repeats(s.contig, q, s.start) for s, q in zip(plantable, seqs, strict=True)]
    repeats = [
        [r for r in rs if s.start + config.edge_margin <= r.start < s.end - config.edge_margin]
        for s, rs in zip(plantable, repeats, strict=True)
    ]
    lengths = indel_length_weights(config.max_indel_length)
    occupied = Occupancy()
    variants: list[TruthVariant] = []
    attempts = 0
    while len(variants) < n_sites and attempts < 50 * n_sites + 1000:
        attempts += 1
        k = int(rng.choice(len(plantable), p=usable / usable.sum()))
        seg, seq = plantable[k], seqs[k]
        multi = rng.random() < config.multiallelic_fraction
        indel = rng.random() < config.indel_fraction
        if indel and (rng.random() < config.repeat_indel_fraction or multi) and repeats[k]:
            drawn = _repeat_indel(seg, seq, repeats[k], lengths, config, multi, rng)
        elif indel:
            drawn = _random_indel(seg, seq, lengths, config, rng)
        else:
            drawn = _snv(seg, seq, config, multi, rng)
        if drawn is None:
            continue
        variant, span = drawn
        # Indels keep 5 bases clear around the span they could slide in; SNVs 1 base.
        pad = 1 if variant.kind == "snv" else 5
        lo, hi = span[0] - pad, span[1] + pad
        if not occupied.free(variant.contig, lo, hi):
            continue
        occupied.take(variant.contig, lo, hi)
        variants.append(_with_genotype(variant, config, rng))
    order = {s.contig: i for i, s in enumerate(segments)}
    return sorted(variants, key=lambda v: (order[v.contig], v.pos))


def _with_genotype(variant: TruthVariant, config: SpectrumConfig, rng: np.random.Generator) -> (
    TruthVariant
):  # fmt: skip
    if len(variant.alts) == 2:
        haplotypes = (1, 2) if rng.random() < 0.5 else (2, 1)
    elif rng.random() < config.het_fraction:
        haplotypes = (1, 0) if rng.random() < 0.5 else (0, 1)
    else:
        haplotypes = (1, 1)
    return TruthVariant(
        variant.contig,
        variant.pos,
        variant.ref,
        variant.alts,
        haplotypes,
        variant.kind,
        variant.context,
    )


def _position(seg: Segment, config: SpectrumConfig, rng: np.random.Generator) -> int:
    """A random offset into the segment's sequence, clear of its edges (with room for
    the longest deletion)."""
    last = seg.length - config.edge_margin - config.max_indel_length - 1
    return int(rng.integers(config.edge_margin, last))


def _snv(
    seg: Segment, seq: str, config: SpectrumConfig, multi: bool, rng: np.random.Generator
) -> tuple[TruthVariant, tuple[int, int]] | None:
    i = _position(seg, config, rng)
    base = seq[i]
    if base not in TRANSITIONS:
        return None
    transversion = TRANSVERSIONS[base][int(rng.integers(2))]
    first = TRANSITIONS[base] if rng.random() < config.transition_fraction else transversion
    alts: tuple[str, ...] = (first,)
    if multi:
        alts = (first, transversion if first == TRANSITIONS[base] else TRANSITIONS[base])
    kind = "multiallelic" if multi else "snv"
    pos = seg.start + i
    return TruthVariant(seg.contig, pos, base, alts, (1, 1), kind), (pos, pos + 1)


def _random_indel(
    seg: Segment,
    seq: str,
    lengths: np.ndarray,
    config: SpectrumConfig,
    rng: np.random.Generator,
) -> tuple[TruthVariant, tuple[int, int]] | None:
    size = int(rng.choice(len(lengths), p=lengths)) + 1
    i = _position(seg, config, rng)
    deletion = rng.random() < config.deletion_fraction
    if deletion:
        ref, alt = seq[i : i + size + 1], seq[i]
    else:
        inserted = "".join("ACGT"[int(b)] for b in rng.integers(4, size=size))
        ref, alt = seq[i], seq[i] + inserted
    if "N" in seq[i - 1 : i + size + 2]:
        return None
    pos, ref, alt = _left_normalise(seq, i, ref, alt)
    lo, hi = pos, rightmost_end(pos + 1, ref, alt, lambda start, end: seq[start:end])
    kind = "deletion" if deletion else "insertion"
    variant = TruthVariant(seg.contig, seg.start + pos, ref, (alt,), (1, 1), kind, "none")
    return variant, (seg.start + lo, seg.start + hi)


def _repeat_indel(
    seg: Segment,
    seq: str,
    repeats: Sequence[Repeat],
    lengths: np.ndarray,
    config: SpectrumConfig,
    multi: bool,
    rng: np.random.Generator,
) -> tuple[TruthVariant, tuple[int, int]] | None:
    """One or two repeat units more or fewer in a homopolymer or STR."""
    tract = repeats[int(rng.integers(len(repeats)))]
    unit = tract.unit
    if len(unit) == 1:
        # Homopolymer indels are mostly ±1 base (about 60% here), rarely more than 4.
        short = lengths[:4] / lengths[:4].sum()
        units = int(rng.choice(4, p=short)) + 1
    else:
        units = 1 if rng.random() < 0.8 else 2
    if units * len(unit) > config.max_indel_length:
        return None
    anchor = tract.start - seg.start - 1  # the base before the tract, in segment offsets
    if anchor < 1 or seq[anchor] == "N":
        return None
    base = seq[anchor]
    tract_seq = seq[anchor + 1 : tract.end - seg.start]
    deletion = rng.random() < config.deletion_fraction
    if deletion and units >= tract.copies:
        units = tract.copies - 1
    if units < 1:
        return None
    change = unit * units
    alts: tuple[str, ...]
    if multi:
        # One allele a unit shorter, the other a unit longer: REF spans the deleted unit.
        ref, alts, kind = base + unit, (base, base + unit + unit), "multiallelic"
    elif deletion:
        ref, alts, kind = base + change, (base,), "deletion"
    else:
        ref, alts, kind = base, (base + change,), "insertion"
    # The tract as found may start mid-unit; an allele that would still slide left is
    # not in normal form, so the draw is dropped rather than written ambiguously.
    if any(_left_normalise(seq, anchor, ref, alt)[0] != anchor for alt in alts):
        return None
    pos = seg.start + anchor
    span = (pos, seg.start + anchor + 1 + len(tract_seq))
    return TruthVariant(seg.contig, pos, ref, alts, (1, 1), kind, tract.kind), span
