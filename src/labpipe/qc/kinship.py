"""Relatedness of every pair of samples of a batch: a KING-robust kinship coefficient.

For two samples i and j, over the sites both are genotyped at (:mod:`labpipe.qc.batch_genotypes`),
the between-family KING-robust estimator (Manichaikul et al. 2010, eq. 11; the one
``plink2 --make-king`` computes) is

    phi = 1/2 + (2 * N_het,het - 4 * N_ibs0 - N_het,i - N_het,j) / (4 * min(N_het,i, N_het,j))

where N_het,het counts sites where both are heterozygous, N_ibs0 sites where they are
opposite homozygotes, N_het,i the heterozygous sites of i. A sample with itself (or its
duplicate) gives 0.5, parent-child and full siblings about 0.25, second-degree relatives
0.125, unrelated people 0. It needs no allele frequencies, so the batch's own variant
sites serve: sites where both samples are homozygous reference add nothing to any count.

Minimum data: the estimate rests on the heterozygous sites of the less heterozygous sample
of the pair. With H of them, a parent-child estimate has a standard error of about
0.25 / sqrt(H) (half of the child's heterozygous sites are shared); separating first from
second degree (the 0.177 cut) by three standard errors needs H of about 100, which is the
default of ``qc.min_kinship_sites``. Below it the pair is "not estimated: N sites". A gene
panel has far fewer: its pairs are not estimated, and the report says so.

Relationships use KING's cut-offs (powers of 2 half-way between the degrees, geometric
mean): > 0.354 the same individual, > 0.177 first degree, > 0.0884 second degree.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt

from labpipe.config.pedigree import Pedigree
from labpipe.core.i18n import ENGLISH, N_, _, using_language
from labpipe.qc.batch_genotypes import MISSING, BatchGenotypes

#: KING's cut-offs between degrees of relationship (Manichaikul et al. 2010, table 1).
DUPLICATE_CUT = 2**-1.5
FIRST_DEGREE_CUT = 2**-2.5
SECOND_DEGREE_CUT = 2**-3.5

#: A parent and child share an allele at every site: opposite homozygotes (IBS0) come only
#: from genotype errors and de novo mutations. Above this fraction of the pair's sites a
#: declared parent is not the parent. Kinship alone cannot tell: a child of related parents
#: (autozygous, fewer heterozygous sites) reads 0.11-0.12 with each parent, "second degree"
#: (simulated consanguineous trio, benchmarks/families.py), while IBS0 stays 0; unrelated
#: pairs have opposite homozygotes at several per cent of common sites.
PARENT_CHILD_MAX_IBS0 = 0.01

# Marked for the catalogs: the batch page shows them in its language.
SAME, FIRST, SECOND, UNRELATED = (
    N_("same individual"),
    N_("first degree"),
    N_("second degree"),
    N_("unrelated"),
)

# What a flag says, and how much it weighs in the QC verdict.
DUPLICATE, PARENT_NOT_RELATED, UNDECLARED = (
    N_("unexpected duplicate"),
    N_("declared parent not related"),
    N_("undeclared relative"),
)


@dataclass(frozen=True)
class PairKinship:
    """The kinship of one pair of samples.

    Attributes:
        first: One sample.
        second: The other.
        sites: Sites both are genotyped at.
        het_first: Of those, heterozygous in ``first``.
        het_second: Heterozygous in ``second``.
        het_both: Heterozygous in both.
        ibs0: Opposite homozygotes (no allele shared).
        kinship: The KING-robust estimate; None below the minimum of informative sites.
        min_sites: The minimum heterozygous sites (of the less heterozygous sample) asked for.
    """

    first: str
    second: str
    sites: int
    het_first: int
    het_second: int
    het_both: int
    ibs0: int
    kinship: float | None
    min_sites: int

    @property
    def informative(self) -> int:
        """Heterozygous sites of the less heterozygous sample: the estimate's denominator."""
        return min(self.het_first, self.het_second)

    @property
    def ibs0_fraction(self) -> float | None:
        """Share of the shared sites with no allele in common (0 for parent and child)."""
        return self.ibs0 / self.sites if self.sites else None

    @property
    def relationship(self) -> str | None:
        """``same individual``, ``first degree``, ``second degree`` or ``unrelated``."""
        return relationship(self.kinship) if self.kinship is not None else None

    @property
    def shown(self) -> str:
        """The estimate as the report shows it, or why there is none."""
        if self.kinship is None:
            return _("not estimated: %(sites)s sites (needs %(needed)s)") % {
                "sites": self.informative,
                "needed": self.min_sites,
            }
        return f"{self.kinship:.3f}"


def relationship(kinship: float) -> str:
    """The degree of relationship a kinship coefficient points to (KING's cut-offs)."""
    if kinship > DUPLICATE_CUT:
        return SAME
    if kinship > FIRST_DEGREE_CUT:
        return FIRST
    if kinship > SECOND_DEGREE_CUT:
        return SECOND
    return UNRELATED


def king_robust(
    first: npt.NDArray[np.int8], second: npt.NDArray[np.int8]
) -> tuple[int, int, int, int, int, float | None]:
    """KING-robust counts and kinship of two genotype columns (alt-allele counts, -1 missing).

    Returns:
        (sites, het_first, het_second, het_both, ibs0, kinship); kinship None when either
        sample has no heterozygous site.
    """
    both = (first != MISSING) & (second != MISSING)
    a, b = first[both], second[both]
    het_a = int(np.count_nonzero(a == 1))
    het_b = int(np.count_nonzero(b == 1))
    het_both = int(np.count_nonzero((a == 1) & (b == 1)))
    ibs0 = int(np.count_nonzero(np.abs(a.astype(np.int16) - b) == 2))
    smaller = min(het_a, het_b)
    kinship = 0.5 + (2 * het_both - 4 * ibs0 - het_a - het_b) / (4 * smaller) if smaller else None
    return int(both.sum()), het_a, het_b, het_both, ibs0, kinship


def pair_kinships(batch: BatchGenotypes, min_sites: int) -> list[PairKinship]:
    """Every pair of the batch's samples, in sample order (first < second).

    Args:
        batch: The joint genotypes.
        min_sites: Fewest heterozygous sites of the less heterozygous sample for a number.
    """
    pairs = []
    for i, first in enumerate(batch.samples):
        for j in range(i + 1, len(batch.samples)):
            sites, het_a, het_b, het_both, ibs0, kinship = king_robust(
                batch.genotypes[:, i], batch.genotypes[:, j]
            )
            if min(het_a, het_b) < min_sites:
                kinship = None
            pairs.append(
                PairKinship(
                    first,
                    batch.samples[j],
                    sites,
                    het_a,
                    het_b,
                    het_both,
                    ibs0,
                    None if kinship is None else round(kinship, 4),
                    min_sites,
                )
            )
    return pairs


@dataclass(frozen=True)
class RelatednessFlag:
    """A pair whose relatedness is not what the sample sheet says.

    Attributes:
        kind: ``unexpected duplicate``, ``declared parent not related`` or
            ``undeclared relative``.
        first: One sample.
        second: The other.
        kinship: The estimate.
        message: For people, in English (the record's and the QC verdict's), e.g.
            ``PK001 and PK007 are the same individual (kinship 0.49): sample swap or
            duplicate?``; :meth:`text` words it in the language being shown.
        role: For a declared parent: ``father`` or ``mother``.
        child: For a declared parent: the child.
        ibs0: For a declared parent: sites where the two share no allele.
        sites: For a declared parent: sites both are genotyped at.
    """

    kind: str
    first: str
    second: str
    kinship: float
    message: str
    role: str = ""
    child: str = ""
    ibs0: int = 0
    sites: int = 0

    def text(self) -> str:
        """The message in the language being shown (:func:`labpipe.core.i18n._`)."""
        return flag_message(self)

    def involves(self, sample: str) -> bool:
        """Whether ``sample`` is one of the pair."""
        return sample in (self.first, self.second)


def _parent_child(pedigree: Pedigree, a: str, b: str) -> str | None:
    """``father``/``mother`` when one of a, b is declared the other's parent."""
    for child, parent in ((a, b), (b, a)):
        member = pedigree.member(child)
        if member is None:
            continue
        if member.father == parent:
            return "father"
        if member.mother == parent:
            return "mother"
    return None


def _same_family(pedigree: Pedigree, a: str, b: str) -> bool:
    first, second = pedigree.member(a), pedigree.member(b)
    return first is not None and second is not None and first.family == second.family


def relatedness_flags(pairs: list[PairKinship], pedigree: Pedigree) -> list[RelatednessFlag]:
    """The pairs to look at, against the declared pedigree.

    - two different samples that are the same individual (any pair, family or not);
    - a declared parent and child that are not first-degree relatives;
    - first- or second-degree relatives not declared in one family.

    Pairs without an estimate raise nothing (the report says they were not estimated).
    """
    flags = []
    for pair in pairs:
        if pair.kinship is None:
            continue
        a, b, phi = pair.first, pair.second, pair.kinship
        degree = relationship(phi)
        role = _parent_child(pedigree, a, b)
        if degree == SAME:
            flags.append(_worded(RelatednessFlag(DUPLICATE, a, b, phi, "")))
        elif role is not None and degree != FIRST and not _shares_an_allele_everywhere(pair):
            child = a if _parent_child_order(pedigree, a, b) else b
            flag = RelatednessFlag(
                PARENT_NOT_RELATED, a, b, phi, "", role, child, pair.ibs0, pair.sites
            )
            flags.append(_worded(flag))
        elif degree in (FIRST, SECOND) and not _same_family(pedigree, a, b):
            flags.append(_worded(RelatednessFlag(UNDECLARED, a, b, phi, "")))
    return flags


def flag_message(flag: RelatednessFlag) -> str:
    """What a flag says, in the language being shown."""
    values = {"a": flag.first, "b": flag.second, "kinship": f"{flag.kinship:.2f}"}
    if flag.kind == DUPLICATE:
        return (
            _(
                "%(a)s and %(b)s are the same individual (kinship %(kinship)s): sample swap or "
                "duplicate?"
            )
            % values
        )
    degree = _(relationship(flag.kinship))
    if flag.kind == PARENT_NOT_RELATED:
        parent = flag.second if flag.child == flag.first else flag.first
        return _(
            "%(parent)s, declared the %(role)s of %(child)s, is %(degree)s to %(child)s "
            "(kinship %(kinship)s, expected about 0.25) and shares no allele with %(child)s at "
            "%(ibs0)s of %(sites)s sites (a parent shares one everywhere): sample swap or wrong "
            "pedigree?"
        ) % {
            **values,
            "parent": parent,
            "role": _(flag.role),
            "child": flag.child,
            "degree": degree,
            "ibs0": flag.ibs0,
            "sites": flag.sites,
        }
    return _(
        "%(a)s and %(b)s are %(degree)s relatives (kinship %(kinship)s) but not declared in "
        "one family: check the sample sheet"
    ) % {**values, "degree": degree}


def _worded(flag: RelatednessFlag) -> RelatednessFlag:
    """The flag with its English message (the identity record and the QC verdict's)."""
    with using_language(ENGLISH):
        return replace(flag, message=flag_message(flag))


def _shares_an_allele_everywhere(pair: PairKinship) -> bool:
    """Parent and child by their genotypes: opposite homozygotes only as errors would make."""
    fraction = pair.ibs0_fraction
    return fraction is not None and fraction <= PARENT_CHILD_MAX_IBS0


def _parent_child_order(pedigree: Pedigree, a: str, b: str) -> bool:
    """True when ``a`` is the declared child of ``b``."""
    member = pedigree.member(a)
    return member is not None and b in (member.father, member.mother)
