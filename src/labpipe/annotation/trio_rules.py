"""Inheritance labels of one trio call: the rules, apart from reading and writing the files.

The family VCF (``results/family/<family>.vcf.gz``: every sequenced member called together,
FORMAT GT:DP:AD and GQ when the caller gives it) holds each parent's genotype at the child's
variant as a call with depth. For every ALT allele an affected member with both parents
sequenced carries, :func:`classify_trio_call` gives one label:

* ``de_novo``: the child carries it, both parents are *confidently* homozygous reference
  (:class:`InheritanceRules`: enough depth, at most a read or so of the ALT, GQ when given).
* ``hom_recessive``: the child is homozygous ALT and both parents carry it.
* ``comp_het``: two or more heterozygous candidates in one gene, at least one from the
  father and one from the mother (each "from" only when the other parent is confidently
  homozygous reference, so parents never both carry the pair); see :func:`compound_heterozygous`,
  applied by the annotation step where the gene and the candidates are known.
* ``x_linked``: on chrX outside the pseudoautosomal regions, a male child carries the ALT
  (hemizygous, or homozygous when called diploid) and his mother carries it.
* ``mendelian_error``: the parents' confident calls cannot give the child's genotype (a
  homozygous child with a confidently homozygous-reference parent, a heterozygous child of
  two homozygous-ALT parents, a son's X allele only his father carries).
* ``inherited``: heterozygous, passed on by one parent (``origin`` says which, or ``both``);
  it fits no recessive mode on its own.
* ``not_assessable``: a parent's genotype is missing, partial or shallow, or the child's call
  itself is not a clean carrier call: never read as de novo.

Samples outside a family (or without both parents sequenced) get no label, except that a
homozygous candidate inside a run of homozygosity is ``homozygous_in_roh``
(:mod:`labpipe.annotation.roh`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from labpipe.config.lab import InheritanceConfig
from labpipe.core.i18n import N_, _
from labpipe.core.regions import Interval

DE_NOVO = "de_novo"
HOM_RECESSIVE = "hom_recessive"
COMP_HET = "comp_het"
X_LINKED = "x_linked"
MENDELIAN_ERROR = "mendelian_error"
INHERITED = "inherited"
NOT_ASSESSABLE = "not_assessable"
HOMOZYGOUS_IN_ROH = "homozygous_in_roh"

#: The inheritance modes a candidate can fit (``annotation.tiers.require_inheritance``).
MODES: tuple[str, ...] = (DE_NOVO, HOM_RECESSIVE, COMP_HET, X_LINKED)

#: Every label, in the order the family page lists them.
LABELS: tuple[str, ...] = (
    DE_NOVO,
    HOM_RECESSIVE,
    COMP_HET,
    X_LINKED,
    MENDELIAN_ERROR,
    INHERITED,
    NOT_ASSESSABLE,
    HOMOZYGOUS_IN_ROH,
)

FATHER, MOTHER, BOTH = "father", "mother", "both"

CARRIES = ("het", "hom_alt", "hemizygous")


@dataclass(frozen=True)
class InheritanceRules:
    """When a parent's call is confident enough to count (``annotation.inheritance``).

    Attributes:
        min_parent_depth: Least FORMAT/DP of a parent's call that counts at all.
        max_parent_alt_reads: Most ALT reads of a confidently homozygous-reference parent.
        max_parent_alt_fraction: Highest ALT read fraction of such a parent.
        min_parent_gq: Least GQ of such a parent, when the caller gives GQ.
    """

    min_parent_depth: int = 10
    max_parent_alt_reads: int = 1
    max_parent_alt_fraction: float = 0.05
    min_parent_gq: int = 20

    @classmethod
    def from_config(cls, section: InheritanceConfig) -> InheritanceRules:
        """Rules from the config's ``annotation.inheritance``."""
        return cls(
            min_parent_depth=section.min_parent_depth,
            max_parent_alt_reads=section.max_parent_alt_reads,
            max_parent_alt_fraction=section.max_parent_alt_fraction,
            min_parent_gq=section.min_parent_gq,
        )

    def describe(self) -> str:
        """The rules in words, for the report's methods (in the language being shown)."""
        return _(
            "A parent counts as homozygous reference only when called 0/0 with depth >= "
            "%(depth)s, at most %(reads)s read(s) and %(fraction)s of reads with the ALT, and "
            "GQ >= %(gq)s when the caller gives GQ; a missing or shallower parental call makes "
            "the variant not assessable, never de novo."
        ) % {
            "depth": self.min_parent_depth,
            "reads": self.max_parent_alt_reads,
            "fraction": f"{self.max_parent_alt_fraction:.0%}",
            "gq": self.min_parent_gq,
        }


@dataclass(frozen=True)
class MemberCall:
    """One member's call of one ALT allele.

    Attributes:
        genotype: GT as written (``0/1``, ``1``, ``./.``).
        zygosity: As the variant table says it (``het``, ``hom_alt``, ``hemizygous``,
            ``hom_ref``, ``other_alt``, ``partial``, ``no_call``).
        depth: FORMAT/DP.
        ref_depth, alt_depth: FORMAT/AD of REF and this ALT.
        quality: FORMAT/GQ, None when the caller gives none.
    """

    genotype: str
    zygosity: str
    depth: int | None = None
    ref_depth: int | None = None
    alt_depth: int | None = None
    quality: int | None = None

    def shown(self) -> str:
        """``0/1 DP 35 AD 20,15`` (GQ when given)."""
        parts = [self.genotype or "."]
        parts.append(f"DP {'.' if self.depth is None else self.depth}")
        if self.ref_depth is not None or self.alt_depth is not None:
            ref = "." if self.ref_depth is None else self.ref_depth
            alt = "." if self.alt_depth is None else self.alt_depth
            parts.append(f"AD {ref},{alt}")
        if self.quality is not None:
            parts.append(f"GQ {self.quality}")
        return " ".join(parts)


#: A member who has no call at the site (not in the VCF's samples, or no record).
NO_CALL = MemberCall("", "no_call")


@dataclass(frozen=True)
class FamilySite:
    """One ALT allele of the family VCF with every member's call of it."""

    chrom: str
    pos: int
    ref: str
    alt: str
    filter: str
    calls: Mapping[str, MemberCall]

    def call(self, sample: str) -> MemberCall:
        """The sample's call; :data:`NO_CALL` when the VCF has none."""
        return self.calls.get(sample, NO_CALL)


@dataclass(frozen=True)
class TrioLabel:
    """What the trio says of one of the child's variants.

    Attributes:
        label: One of :data:`LABELS`.
        origin: For an inherited heterozygous variant: ``father``, ``mother``, ``both``, or
            empty when not known (a parent not assessable).
        note: Why, in a few words (which parent is not assessable, ...).
    """

    label: str
    origin: str = ""
    note: str = ""


# A parent's state at a site.
_REF, _CARRIER, _HOM, _UNKNOWN = "ref", "carrier", "hom", "unknown"


def parent_state(call: MemberCall, rules: InheritanceRules) -> tuple[str, str]:
    """A parent's call as evidence: (state, why unknown).

    States: ``ref`` (confidently no copy of the ALT), ``carrier`` (heterozygous),
    ``hom`` (homozygous ALT or hemizygous; confident only with the depth), ``unknown``.
    """
    shallow = call.depth is None or call.depth < rules.min_parent_depth
    if call.zygosity in ("no_call", "partial", ""):
        return _UNKNOWN, "no call" if call.zygosity in ("no_call", "") else call.zygosity
    if call.zygosity == "het":
        return _CARRIER, ""
    if call.zygosity in ("hom_alt", "hemizygous"):
        return (_UNKNOWN, f"shallow ({call.shown()})") if shallow else (_HOM, "")
    # hom_ref, or other_alt (no copy of this ALT at a multi-allelic site): confident only
    # with depth, few reads of this ALT and (when given) GQ.
    if shallow:
        return _UNKNOWN, f"shallow ({call.shown()})"
    alt = call.alt_depth or 0
    counted = (call.ref_depth or 0) + alt
    if alt > rules.max_parent_alt_reads or (
        counted and alt / counted > rules.max_parent_alt_fraction
    ):
        return _UNKNOWN, f"ALT reads in a reference call ({call.shown()})"
    if call.quality is not None and call.quality < rules.min_parent_gq:
        return _UNKNOWN, f"low GQ ({call.shown()})"
    return _REF, ""


def classify_trio_call(
    child: MemberCall,
    father: MemberCall,
    mother: MemberCall,
    rules: InheritanceRules,
    male_haploid_x: bool = False,
    affected_parents: frozenset[str] = frozenset(),
) -> TrioLabel:
    """The label of one ALT allele the child carries.

    Args:
        child, father, mother: The three calls of the allele.
        rules: When a parent's call counts.
        male_haploid_x: The child is male and the site is on chrX outside the PARs (his
            allele comes from his mother only).
        affected_parents: ``father``/``mother`` when declared affected: a homozygous parent
            fits a recessive disease only then.
    """
    if child.zygosity not in CARRIES:
        return TrioLabel(NOT_ASSESSABLE, note=f"child's call is {child.zygosity or 'missing'}")
    f_state, f_why = parent_state(father, rules)
    m_state, m_why = parent_state(mother, rules)
    unknown = "; ".join(f"{who} {why}" for who, why in ((FATHER, f_why), (MOTHER, m_why)) if why)
    if male_haploid_x:
        return _son_x(child, f_state, m_state, m_why)
    f_carries, m_carries = f_state in (_CARRIER, _HOM), m_state in (_CARRIER, _HOM)
    if child.zygosity == "het":
        if f_state == _REF and m_state == _REF:
            return TrioLabel(DE_NOVO, note=N_("both parents homozygous reference"))
        if f_state == _HOM and m_state == _HOM:
            return TrioLabel(
                MENDELIAN_ERROR, note=N_("heterozygous child of two homozygous parents")
            )
        if f_carries and m_state == _REF:
            return TrioLabel(INHERITED, FATHER)
        if m_carries and f_state == _REF:
            return TrioLabel(INHERITED, MOTHER)
        if f_carries and m_carries:
            return TrioLabel(INHERITED, BOTH)
        carrier = FATHER if f_carries else MOTHER if m_carries else ""
        said = f"{carrier} carries it; " if carrier else ""
        return TrioLabel(NOT_ASSESSABLE, note=f"{said}{unknown}")
    # Homozygous (or a haploid call where the child is diploid).
    refs = [who for who, state in ((FATHER, f_state), (MOTHER, m_state)) if state == _REF]
    if refs:
        return TrioLabel(
            MENDELIAN_ERROR, note=f"homozygous child; {' and '.join(refs)} homozygous reference"
        )
    if f_carries and m_carries:
        # An unaffected parent homozygous for the allele would have the recessive disease
        # too: a common allele both parents share, not a recessive candidate.
        unaffected_hom = [
            who
            for who, state in ((FATHER, f_state), (MOTHER, m_state))
            if state == _HOM and who not in affected_parents
        ]
        if unaffected_hom:
            return TrioLabel(
                INHERITED,
                BOTH,
                f"{' and '.join(unaffected_hom)} homozygous too, and not affected",
            )
        return TrioLabel(HOM_RECESSIVE, BOTH, N_("both parents carry it"))
    return TrioLabel(NOT_ASSESSABLE, note=unknown)


def _son_x(child: MemberCall, f_state: str, m_state: str, m_why: str) -> TrioLabel:
    """A male child's chrX outside the PARs: his only X is his mother's."""
    if child.zygosity == "het":
        return TrioLabel(NOT_ASSESSABLE, note=N_("heterozygous call on a male's haploid chrX"))
    if m_state in (_CARRIER, _HOM):
        return TrioLabel(X_LINKED, MOTHER, N_("hemizygous son of a carrier mother"))
    if m_state == _UNKNOWN:
        return TrioLabel(NOT_ASSESSABLE, note=f"mother {m_why}")
    if f_state in (_CARRIER, _HOM):
        return TrioLabel(MENDELIAN_ERROR, note=N_("a son's chrX allele carried only by his father"))
    if f_state == _UNKNOWN:
        # A father's X never reaches his son: the mother's confident call suffices.
        return TrioLabel(DE_NOVO, note=N_("mother homozygous reference (father's X not inherited)"))
    return TrioLabel(DE_NOVO, note=N_("both parents homozygous reference"))


@dataclass(frozen=True)
class HetCandidate:
    """A heterozygous candidate of one gene, for :func:`compound_heterozygous`."""

    key: tuple[str, int, str, str]
    gene: str
    origin: str


def compound_heterozygous(candidates: Iterable[HetCandidate]) -> set[tuple[str, int, str, str]]:
    """The candidates that make a compound heterozygote: per gene, at least one inherited
    from the father only and one from the mother only.

    A variant both parents carry (origin ``both``) or of unknown origin takes no part: its
    phase is not known, and two variants from one parent are on one haplotype.
    """
    by_gene: dict[str, list[HetCandidate]] = {}
    for candidate in candidates:
        if candidate.gene and candidate.origin in (FATHER, MOTHER):
            by_gene.setdefault(candidate.gene, []).append(candidate)
    found: set[tuple[str, int, str, str]] = set()
    for members in by_gene.values():
        if {c.origin for c in members} == {FATHER, MOTHER}:
            found |= {c.key for c in members}
    return found


def is_haploid_x(chrom: str, pos: int, haploid_x: Sequence[Interval] | None) -> bool | None:
    """Whether ``chrom:pos`` lies on chrX outside the PARs; None when unknown (no PAR table).

    Args:
        haploid_x: The reference's chrX outside the PARs (0-based half-open,
            :class:`labpipe.qc.sex_chromosomes.SexChromosomes.haploid`), or None.
    """
    if chrom.removeprefix("chr") != "X":
        return False
    if haploid_x is None:
        return None
    return any(r.contig == chrom and r.start < pos <= r.end for r in haploid_x)
