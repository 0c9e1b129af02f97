"""The truth variants of the demo data: planted in the demo genome's genes (one of each
consequence class a panel report must handle) and between them, with each sample's
haplotypes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from labpipe.core.alleles import normalise_in
from labpipe.core.errors import RunError
from labpipe.core.sequence import (
    reverse_complement,
)
from labpipe.simulation.coding_effect import CodingEffect, predict_effect
from labpipe.simulation.genome_build import random_bases
from labpipe.simulation.genome_model import (
    CODING_MOTIFS,
    Gene,
    GenomeModel,
    Segment,
    in_segments,
)

# Planted coding variants by the consequence they are built to have; indel
# classes take their length changes from _INDEL_SIZES in turn.
CODING_PLAN: tuple[tuple[str, int], ...] = (
    ("missense", 12),
    ("synonymous", 8),
    ("stop_gained", 3),
    ("splice_donor", 3),
    ("splice_acceptor", 3),
    ("splice_region", 2),
    ("frameshift", 5),
    ("inframe_deletion", 3),
    ("inframe_insertion", 1),
)
_INDEL_SIZES: dict[str, tuple[int, ...]] = {
    "frameshift": (-1, -2, -10, 1, 2),
    "inframe_deletion": (-3, -6, -9),
    "inframe_insertion": (3,),
}
# Length change planted in each gene's coding repeat (see CODING_MOTIFS).
MOTIF_EDITS: dict[str, int] = {"LPG1": -1, "LPG2": -3, "LPG3": 1, "LPG4": 3, "LPG5": -2, "LPG6": 1}
MIN_SPACING = 30


@dataclass(frozen=True)
class PlantedVariant:
    """One truth variant.

    Attributes:
        contig: Contig name.
        pos: 0-based position of the first REF base.
        ref: REF allele (normalised).
        alt: ALT allele (normalised).
        planted_as: The class it was built as (a csq consequence or ``intergenic``).
        tract: Coding repeat the indel lies in, e.g. ``polyA7``, or empty.
        gene: The gene it was planted in, or None.
        effect: Predicted effect on the gene's canonical transcript, or None.
        haplotypes: For each sample, whether haplotype 1 and 2 carry it.
    """

    contig: str
    pos: int
    ref: str
    alt: str
    planted_as: str
    tract: str
    gene: Gene | None
    effect: CodingEffect | None
    haplotypes: tuple[tuple[bool, bool], ...] = ()

    @property
    def end(self) -> int:
        """0-based exclusive end of the REF allele."""
        return self.pos + len(self.ref)

    def genotype(self, sample_index: int) -> str:
        """Unphased VCF genotype of one sample."""
        return {0: "0/0", 1: "0/1", 2: "1/1"}[sum(self.haplotypes[sample_index])]


def _spaced(variants: Sequence[PlantedVariant], contig: str, lo: int, hi: int) -> bool:
    return all(
        v.contig != contig or lo - v.end >= MIN_SPACING or v.pos - hi >= MIN_SPACING
        for v in variants
    )


def _indel_at(
    seq: str, positions: Sequence[int], index: int, deleted: int = 0, inserted: str = ""
) -> tuple[int, str, str]:
    """Delete ``deleted`` CDS bases from ``index`` on, or insert ``inserted`` before it.

    Both are given in transcript orientation; the result is a genomic VCF-style
    (position, REF, ALT), not yet normalised.
    """
    if deleted:
        span = [positions[index + k] for k in range(deleted)]
        lo, hi = min(span), max(span) + 1
        return lo - 1, seq[lo - 1 : hi], seq[lo - 1]
    g = positions[index]
    if positions[0] < positions[-1]:
        return g - 1, seq[g - 1], seq[g - 1] + inserted
    # Minus strand: "before" in the transcript is after the base in the genome.
    return g, seq[g], seq[g] + reverse_complement(inserted)


def _propose(
    gene: Gene, kind: str, size: int, seq: str, rng: np.random.Generator
) -> tuple[int, str, str]:
    """A random candidate for ``kind`` in ``gene`` (checked by the caller); indel classes
    delete ``-size`` or insert ``size`` bases."""
    tx = gene.canonical
    if kind in ("splice_donor", "splice_acceptor"):
        sites = [p for k, _o, p in tx.splice_sites() if f"splice_{k}" == kind]
        pos = sites[int(rng.integers(len(sites)))]
        return pos, seq[pos], "ACGT".replace(seq[pos], "")[int(rng.integers(3))]
    if kind == "splice_region":
        a, b = tx.introns()[int(rng.integers(len(tx.introns())))]
        pos = int(rng.choice([a + int(rng.integers(2, 8)), b - 1 - int(rng.integers(2, 8))]))
        return pos, seq[pos], "ACGT".replace(seq[pos], "")[int(rng.integers(3))]
    positions = tx.cds_positions()
    index = int(rng.integers(6, len(positions) - 16))
    if size:
        if size < 0:
            return _indel_at(seq, positions, index, deleted=-size)
        return _indel_at(seq, positions, index, inserted=random_bases(rng, size, 0.5))
    pos = positions[index]
    return pos, seq[pos], "ACGT".replace(seq[pos], "")[int(rng.integers(3))]


def _motif_variant(gene: Gene, seq: str) -> tuple[int, str, str, str]:
    """The indel planted in a gene's coding repeat: one unit more or less."""
    assert gene.motif is not None
    name, block_start = gene.motif
    edit = MOTIF_EDITS[gene.name]
    tract_start = block_start + 3  # the first codon of each motif block is a guard
    unit = CODING_MOTIFS[name][1][: abs(edit)]
    positions = gene.canonical.cds_positions()
    if edit < 0:
        pos, ref, alt = _indel_at(seq, positions, tract_start, deleted=-edit)
    else:
        pos, ref, alt = _indel_at(seq, positions, tract_start, inserted=unit)
    return pos, ref, alt, name


def plant_variants(model: GenomeModel, rng: np.random.Generator) -> list[PlantedVariant]:
    """Plant the truth variants: coding classes from :data:`CODING_PLAN`, one indel per
    coding repeat, and a few intergenic ones outside the targets.

    Args:
        model: The genome.
        rng: Randomness for positions, alleles and genotypes.

    Returns:
        Normalised variants sorted by contig and position, genotypes assigned.

    Raises:
        RunError: If a class cannot be placed (the layout leaves no room).
    """
    targets = model.targets()
    variants: list[PlantedVariant] = []
    for gene in model.genes:
        seq = model.contigs[gene.contig]
        pos, ref, alt, tract = _motif_variant(gene, seq)
        pos, ref, alt = normalise_in(seq, pos, ref, alt)
        effect = predict_effect(gene.canonical, seq, pos, ref, alt)
        if effect is None:
            raise RunError(f"{gene.name}: the indel in its {tract} repeat is not a coding variant")
        v = PlantedVariant(gene.contig, pos, ref, alt, effect.consequence, tract, gene, effect)
        variants.append(v)
    # Alternate strands so every class with ≥2 members lands on both.
    by_strand = sorted(model.genes, key=lambda g: g.strand)
    order = [
        g
        for pair in zip(
            by_strand[: len(by_strand) // 2], by_strand[len(by_strand) // 2 :], strict=True
        )
        for g in pair
    ]
    turn = 0
    for kind, how_many in CODING_PLAN:
        for i in range(how_many):
            sizes = _INDEL_SIZES.get(kind, (0,))
            size = sizes[i % len(sizes)]
            # Next gene in turn; if it has no room left for this class, the one after.
            for k in range(len(order)):
                placed = place_coding(
                    model, order[(turn + k) % len(order)], kind, size, variants, targets, rng
                )
                if placed is not None:
                    variants.append(placed)
                    break
            else:
                raise RunError(f"no gene has room for another {kind} variant")
            turn += 1
    for k in range(4):
        variants.append(_place_intergenic(model, k, variants, rng))
    order_of = {c: i for i, c in enumerate(model.contigs)}
    variants.sort(key=lambda v: (order_of[v.contig], v.pos))
    return [replace(v, haplotypes=_haplotypes(rng)) for v in variants]


def place_coding_variant(
    model: GenomeModel,
    gene: Gene,
    kind: str,
    placed: list[PlantedVariant],
    rng: np.random.Generator,
) -> PlantedVariant | None:
    """One ``kind`` variant in ``gene``'s targets, spaced from ``placed`` (the classroom
    exercises plant theirs with it); an indel class takes a length change of
    :data:`_INDEL_SIZES` at random. None when the gene has no room for it."""
    sizes = _INDEL_SIZES.get(kind, (0,))
    size = sizes[int(rng.integers(len(sizes)))]
    return place_coding(model, gene, kind, size, placed, model.targets(), rng)


def place_coding(
    model: GenomeModel,
    gene: Gene,
    kind: str,
    size: int,
    placed: list[PlantedVariant],
    targets: list[Segment],
    rng: np.random.Generator,
) -> PlantedVariant | None:
    """A ``kind`` variant in ``gene``'s targets, spaced from ``placed``; None after 2,000 tries."""
    seq = model.contigs[gene.contig]
    for _ in range(2_000):
        pos, ref, alt = normalise_in(seq, *_propose(gene, kind, size, seq, rng))
        if not in_segments(targets, gene.contig, pos, pos + len(ref)):
            continue
        if not _spaced(placed, gene.contig, pos, pos + len(ref)):
            continue
        effect = predict_effect(gene.canonical, seq, pos, ref, alt)
        if effect is None or effect.consequence != kind:
            continue
        if kind == "frameshift" and not effect.hgvs_p.endswith("fs"):
            continue  # a frameshift that stops at once reads as nonsense in HGVS
        return PlantedVariant(gene.contig, pos, ref, alt, kind, "", gene, effect)
    return None


def _place_intergenic(
    model: GenomeModel, k: int, placed: list[PlantedVariant], rng: np.random.Generator
) -> PlantedVariant:
    """An SNV or short indel ≥2 kb from genes and ≥1 kb from duplicated segments."""
    contig = list(model.contigs)[k % len(model.contigs)]
    seq = model.contigs[contig]
    keep_out = [Segment(g.contig, g.start - 2_000, g.end + 2_000, g.name) for g in model.genes]
    keep_out += [Segment(r.contig, r.start - 1_000, r.end + 1_000, r.label) for r in model.repeats]
    for _ in range(1_000):
        p = int(rng.integers(1_000, len(seq) - 1_000))
        if any(s.contig == contig and s.start <= p < s.end for s in keep_out):
            continue
        if k % 2 == 0:
            cand = (p, seq[p], "ACGT".replace(seq[p], "")[int(rng.integers(3))])
        elif k == 1:
            cand = (p - 1, seq[p - 1 : p + 3], seq[p - 1])
        else:
            cand = (
                p - 1,
                seq[p - 1],
                seq[p - 1] + "".join("ACGT"[int(i)] for i in rng.integers(4, size=2)),
            )
        pos, ref, alt = normalise_in(seq, *cand)
        if _spaced(placed, contig, pos, pos + len(ref)):
            return PlantedVariant(contig, pos, ref, alt, "intergenic", "", None, None)
    raise RunError(f"could not place an intergenic variant on {contig}")


def _haplotypes(rng: np.random.Generator) -> tuple[tuple[bool, bool], ...]:
    """Which haplotypes of each sample carry a variant: shared 40%, private 30% each,
    heterozygous 70% (on a random haplotype), homozygous 30%."""
    r = rng.random()
    carriers = (True, True) if r < 0.4 else (True, False) if r < 0.7 else (False, True)
    out = []
    for carries in carriers:
        if not carries:
            out.append((False, False))
        elif rng.random() < 0.3:
            out.append((True, True))
        else:
            first = bool(rng.random() < 0.5)
            out.append((first, not first))
    return tuple(out)
