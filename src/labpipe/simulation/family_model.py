"""Who carries what in a simulated family: founders' haplotypes, transmission, planted variants.

Every haplotype of a family member is a mosaic of *founder haplotypes* (pieces of a contig,
each taken from one founder haplotype); a founder haplotype carries population alleles drawn
from each site's allele frequency plus the planted variants put on it. A child's haplotype
is one of its parent's two, or with recombination a mosaic of both. In a consanguineous
family the mother's first haplotype carries a stretch of the father's first one (shared by
descent, as between first cousins), and the proband inherits it from both sides: a true run
of homozygosity. A de novo variant belongs to one haplotype of the child only.

:mod:`labpipe.simulation.family` writes the files; the genome is the demo's
(:mod:`labpipe.simulation.genome_build`) with a chrX added. Coordinates are 0-based.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path

import numpy as np

from labpipe.config.samplesheet import FEMALE, MALE
from labpipe.simulation.demo_data import DEFAULT_SEED
from labpipe.simulation.read_simulator import LibraryConfig
from labpipe.simulation.sequencer import SequencingConfig

#: Contig a male has one copy of.
X_CONTIG = "chrX"

#: Inheritance models, in the words used everywhere (truth, TSV column, report).
DE_NOVO = "de_novo"
HOM_RECESSIVE = "hom_recessive"
COMP_HET = "comp_het"
X_LINKED = "x_linked"

#: (start, end, founder haplotype id) pieces covering a contig, in order.
Mosaic = tuple[tuple[int, int, str], ...]


@dataclass(frozen=True)
class FamilyRequest:
    """What ``labpipe simulate --family`` makes.

    Attributes:
        outdir: Output folder.
        structure: ``trio`` (parents and an affected son) or ``quad`` (and a daughter).
        seed: Seed of every random choice.
        family_id: Family ID; samples are ``<family_id>-father`` etc.
        consanguineous: The parents share a haplotype stretch by descent.
        recombination: Children's haplotypes are mosaics of the parent's two.
        swap: (A, B): A's reads are B's (roles or sample names; B may be ``unrelated``).
        contaminate: (sample, fraction): that share of its reads from an unrelated person.
        platform: ``ILLUMINA`` or ``DNBSEQ``.
        library: Depth (per person), read length, inserts, duplicates.
        sequencing: Error model.
        overwrite: Write into a non-empty ``outdir``.
    """

    outdir: Path
    structure: str = "trio"
    seed: int = DEFAULT_SEED
    family_id: str = "FAM1"
    consanguineous: bool = False
    recombination: bool = False
    swap: tuple[str, str] | None = None
    contaminate: tuple[str, float] | None = None
    platform: str = "ILLUMINA"
    library: LibraryConfig = field(default_factory=LibraryConfig)
    sequencing: SequencingConfig = field(default_factory=SequencingConfig)
    overwrite: bool = False


@dataclass(frozen=True)
class Site:
    """A variant site of the family (a population variant or a planted one).

    Attributes:
        contig: Contig name.
        pos: 0-based position of REF's first base.
        ref: REF allele (normalised).
        alt: ALT allele (normalised).
        kind: ``snv``, ``insertion``, ``deletion`` (population) or the planted consequence.
        context: The repeat a population indel sits in (``none`` otherwise).
        af: Population allele frequency; None for a planted variant (absent from it).
        model: The model a planted variant was planted for; None for a population site.
        gene: Gene a planted variant lies in.
    """

    contig: str
    pos: int
    ref: str
    alt: str
    kind: str
    context: str = "none"
    af: float | None = None
    model: str | None = None
    gene: str | None = None

    @property
    def end(self) -> int:
        """0-based exclusive end of REF."""
        return self.pos + len(self.ref)


@dataclass(frozen=True)
class Person:
    """One simulated individual.

    Attributes:
        name: Sample name.
        role: ``father``, ``mother``, ``proband``, ``sibling`` or ``unrelated``.
        sex: ``male`` or ``female``.
        father: The father's sample name (children only).
        mother: The mother's sample name (children only).
        affected: The proband is affected; everyone else not.
        haplotypes: Per contig, one mosaic per copy (paternal first; one for a male's chrX).
    """

    name: str
    role: str
    sex: str
    father: str | None
    mother: str | None
    affected: bool
    haplotypes: dict[str, tuple[Mosaic, ...]]


@dataclass
class Family:
    """The family (and the unrelated individual a swap or contamination may need).

    Attributes:
        people: Members in pedigree order (father, mother, proband, sibling), then
            ``unrelated`` (never in the sample sheet).
        sites: Every variant site, population and planted.
        carried: Founder haplotype id -> indices of the sites it carries.
        de_novo: Person -> (site index, haplotype index) of their de novo variants.
        shared_segment: The stretch (contig, start, end) the parents share by descent.
    """

    people: list[Person]
    sites: list[Site] = field(default_factory=list)
    carried: dict[str, set[int]] = field(default_factory=dict)
    de_novo: dict[str, list[tuple[int, int]]] = field(default_factory=dict)
    shared_segment: tuple[str, int, int] | None = None

    def person(self, name_or_role: str) -> Person:
        """The individual with this sample name or role."""
        return next(p for p in self.people if name_or_role in (p.name, p.role))

    @property
    def members(self) -> list[Person]:
        """The sequenced family (everyone but the unrelated individual)."""
        return [p for p in self.people if p.role != "unrelated"]

    def alleles(self, person: Person, index: int) -> tuple[int, ...]:
        """Allele (0 REF, 1 ALT) of each copy ``person`` has of site ``index``."""
        site = self.sites[index]
        out = []
        for copy, mosaic in enumerate(person.haplotypes[site.contig]):
            founder = founder_at(mosaic, site.pos)
            carried = index in self.carried.get(founder, set())
            out.append(int(carried or (index, copy) in self.de_novo.get(person.name, [])))
        return tuple(out)


def founder_at(mosaic: Mosaic, pos: int) -> str:
    """The founder haplotype a mosaic takes position ``pos`` from."""
    starts = [start for start, _, _ in mosaic]
    return mosaic[bisect.bisect_right(starts, pos) - 1][2]


def founder(hap_id: str, length: int) -> Mosaic:
    """A founder's haplotype: one piece over the whole contig."""
    return ((0, length, hap_id),)


def with_shared(own: str, shared: str, length: int, start: int, end: int) -> Mosaic:
    """A founder haplotype with ``[start, end)`` taken from haplotype ``shared`` instead."""
    return ((0, start, own), (start, end, shared), (end, length, own))


def _cut(mosaic: Mosaic, lo: int, hi: int) -> list[tuple[int, int, str]]:
    return [(max(s, lo), min(e, hi), f) for s, e, f in mosaic if s < hi and lo < e]


def transmit(
    copies: Sequence[Mosaic],
    length: int,
    rng: np.random.Generator,
    crossovers: float,
    keep: tuple[int, int, int] | None = None,
) -> Mosaic:
    """The haplotype a parent passes on: one of its two, or a mosaic with crossovers.

    Args:
        copies: The parent's copies of the contig (one for a father's chrX).
        length: Contig length.
        rng: Randomness.
        crossovers: Mean crossovers on the contig (0: no recombination).
        keep: (start, end, copy index): pass on that copy over ``[start, end)`` (the shared
            segment of a consanguineous family); crossovers fall outside it.
    """
    n = int(rng.poisson(crossovers)) if crossovers else 0
    points = sorted({int(x) for x in rng.integers(1, length, size=n)})
    first = int(rng.integers(2))
    if len(copies) == 1:
        return copies[0]
    if keep is not None:
        points = [p for p in points if not keep[0] <= p <= keep[1]]
        first = keep[2] ^ (sum(p < keep[0] for p in points) % 2)
    pieces: list[tuple[int, int, str]] = []
    edges = [0, *points, length]
    for k, (lo, hi) in enumerate(pairwise(edges)):
        for piece in _cut(copies[(first + k) % 2], lo, hi):
            if pieces and pieces[-1][2] == piece[2] and pieces[-1][1] == piece[0]:
                pieces[-1] = (pieces[-1][0], piece[1], piece[2])
            else:
                pieces.append(piece)
    return tuple(pieces)


def make_people(
    family_id: str,
    contigs: dict[str, int],
    children: int,
    rng: np.random.Generator,
    crossovers: float,
    shared_segment: tuple[str, int, int] | None,
) -> list[Person]:
    """Father, mother, ``children`` children (a male proband, then female siblings) and an
    unrelated male, with their haplotype mosaics.

    Founder haplotype ids: ``F0``/``F1`` (father), ``M0``/``M1`` (mother), ``U0``/``U1``.
    """

    def founder_copies(prefix: str, male: bool) -> dict[str, tuple[Mosaic, ...]]:
        return {
            c: (founder(f"{prefix}0", n),)
            if male and c == X_CONTIG
            else (founder(f"{prefix}0", n), founder(f"{prefix}1", n))
            for c, n in contigs.items()
        }

    father = founder_copies("F", True)
    mother = founder_copies("M", False)
    if shared_segment is not None:
        contig, start, end = shared_segment
        mother[contig] = (with_shared("M0", "F0", contigs[contig], start, end), mother[contig][1])
    names = {role: f"{family_id}-{role}" for role in ("father", "mother")}
    people = [
        Person(names["father"], "father", MALE, None, None, False, father),
        Person(names["mother"], "mother", FEMALE, None, None, False, mother),
    ]
    for k in range(children):
        male = k == 0
        role = "proband" if k == 0 else "sibling" if k == 1 else f"sibling{k}"
        haps: dict[str, tuple[Mosaic, ...]] = {}
        for c, n in contigs.items():
            keep = None
            if shared_segment is not None and k == 0 and c == shared_segment[0]:
                keep = (shared_segment[1], shared_segment[2], 0)
            from_father = transmit(father[c], n, rng, crossovers, keep)
            from_mother = transmit(mother[c], n, rng, crossovers, keep)
            if c == X_CONTIG:
                haps[c] = (from_mother,) if male else (from_father, from_mother)
            else:
                haps[c] = (from_father, from_mother)
        sex = MALE if male else FEMALE
        people.append(
            Person(f"{family_id}-{role}", role, sex, names["father"], names["mother"], k == 0, haps)
        )
    people.append(
        Person(f"{family_id}-unrelated", "unrelated", MALE, None, None, False,
               founder_copies("U", True))
    )  # fmt: skip
    return people


def draw_carriers(family: Family, rng: np.random.Generator) -> None:
    """Put each population site on each founder haplotype with its allele frequency."""
    founders = sorted({f for p in family.people for m in p.haplotypes.values() for f in _ids(m)})
    for hap in founders:
        family.carried.setdefault(hap, set())
    for index, site in enumerate(family.sites):
        if site.af is None:
            continue
        draws = rng.random(len(founders)) < site.af
        for hap, carries in zip(founders, draws, strict=True):
            if carries:
                family.carried[hap].add(index)


def _ids(mosaics: tuple[Mosaic, ...]) -> set[str]:
    return {f for m in mosaics for _, _, f in m}


def plant(family: Family, site: Site, rng: np.random.Generator, paternal: bool = True) -> None:
    """Put a planted site where its model says, relative to the proband's haplotypes.

    de novo: on one of the proband's copies only; hom_recessive: on the founder haplotypes
    the proband's paternal and maternal copies come from there (one founder haplotype in
    the shared segment); comp_het: on the founder of the paternal copy (``paternal``) or
    of the maternal one; x_linked: on the proband's X (the mother's).
    """
    proband = family.person("proband")
    index = len(family.sites)
    family.sites.append(site)
    copies = proband.haplotypes[site.contig]
    if site.model == DE_NOVO:
        family.de_novo.setdefault(proband.name, []).append((index, int(rng.integers(len(copies)))))
        return
    if site.model == COMP_HET:
        chosen = [copies[0] if paternal else copies[1]]
    elif site.model == X_LINKED:
        chosen = [copies[-1]]
    else:
        chosen = list(copies)
    for mosaic in chosen:
        family.carried[founder_at(mosaic, site.pos)].add(index)


def genotype_text(alleles: tuple[int, ...]) -> str:
    """Unphased VCF genotype: ``0/1``, ``1/1``; ``1`` for one copy."""
    return "/".join(str(a) for a in sorted(alleles))


def runs_of_homozygosity(family: Family, person: Person) -> list[tuple[str, int, int]]:
    """Stretches where both copies come from one founder haplotype (true autozygosity)."""
    runs = []
    for contig, copies in person.haplotypes.items():
        if len(copies) != 2:
            continue
        for start, end, hap in copies[0]:
            for s2, e2, hap2 in copies[1]:
                lo, hi = max(start, s2), min(end, e2)
                if hap == hap2 and lo < hi:
                    runs.append((contig, lo, hi))
    return runs


def fitting_models(family: Family, genes: Sequence[tuple[str, str, int, int]]) -> dict[int, str]:
    """Site index -> the model the proband's genotypes fit, from the genotypes alone.

    de_novo: the proband carries it, both parents do not; hom_recessive: proband homozygous
    on an autosome, both parents heterozygous; x_linked: a male proband's only X carries
    it, the mother is heterozygous and the father does not; comp_het: in one gene (``genes``:
    name, contig, start, end), the proband is heterozygous at one site only the father
    carries (heterozygous) and one only the mother carries. A planted variant fits its own
    model; a population variant may fit one by chance (common alleles often do).
    """
    proband = family.person("proband")
    father, mother = family.person("father"), family.person("mother")
    found: dict[int, str] = {}
    paternal: dict[str, list[int]] = {}
    maternal: dict[str, list[int]] = {}
    for index, site in enumerate(family.sites):
        child = family.alleles(proband, index)
        dad, mum = family.alleles(father, index), family.alleles(mother, index)
        if not any(child):
            continue
        if not any(dad) and not any(mum):
            found[index] = DE_NOVO
        elif len(child) == 1:
            if sum(mum) == 1 and not any(dad):
                found[index] = X_LINKED
        elif all(child) and sum(dad) == 1 and sum(mum) == 1:
            found[index] = HOM_RECESSIVE
        elif sum(child) == 1:
            gene = next((g for g, c, s, e in genes if c == site.contig and s <= site.pos < e), None)
            if gene is not None and sum(dad) == 1 and not any(mum):
                paternal.setdefault(gene, []).append(index)
            elif gene is not None and sum(mum) == 1 and not any(dad):
                maternal.setdefault(gene, []).append(index)
    for gene, from_father in paternal.items():
        if maternal.get(gene):
            for index in [*from_father, *maternal[gene]]:
                found[index] = COMP_HET
    return found
