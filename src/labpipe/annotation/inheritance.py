"""Inheritance models of an affected member's variants, from the family's joint calls.

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
from dataclasses import dataclass, replace
from pathlib import Path

from labpipe.annotation.annotated_table import AnnotatedVariant
from labpipe.config.lab import InheritanceConfig
from labpipe.config.pedigree import Member, Pedigree, Trio
from labpipe.core.errors import InputFormatError
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

_CARRIES = ("het", "hom_alt", "hemizygous")


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
        """The rules in words, for the report's methods."""
        return (
            f"A parent counts as homozygous reference only when called 0/0 with depth >= "
            f"{self.min_parent_depth}, at most {self.max_parent_alt_reads} read(s) and "
            f"{self.max_parent_alt_fraction:.0%} of reads with the ALT, and GQ >= "
            f"{self.min_parent_gq} when the caller gives GQ; a missing or shallower parental "
            "call makes the variant not assessable, never de novo."
        )


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
    if child.zygosity not in _CARRIES:
        return TrioLabel(NOT_ASSESSABLE, note=f"child's call is {child.zygosity or 'missing'}")
    f_state, f_why = parent_state(father, rules)
    m_state, m_why = parent_state(mother, rules)
    unknown = "; ".join(f"{who} {why}" for who, why in ((FATHER, f_why), (MOTHER, m_why)) if why)
    if male_haploid_x:
        return _son_x(child, f_state, m_state, m_why)
    f_carries, m_carries = f_state in (_CARRIER, _HOM), m_state in (_CARRIER, _HOM)
    if child.zygosity == "het":
        if f_state == _REF and m_state == _REF:
            return TrioLabel(DE_NOVO, note="both parents homozygous reference")
        if f_state == _HOM and m_state == _HOM:
            return TrioLabel(MENDELIAN_ERROR, note="heterozygous child of two homozygous parents")
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
        return TrioLabel(HOM_RECESSIVE, BOTH, "both parents carry it")
    return TrioLabel(NOT_ASSESSABLE, note=unknown)


def _son_x(child: MemberCall, f_state: str, m_state: str, m_why: str) -> TrioLabel:
    """A male child's chrX outside the PARs: his only X is his mother's."""
    if child.zygosity == "het":
        return TrioLabel(NOT_ASSESSABLE, note="heterozygous call on a male's haploid chrX")
    if m_state in (_CARRIER, _HOM):
        return TrioLabel(X_LINKED, MOTHER, "hemizygous son of a carrier mother")
    if m_state == _UNKNOWN:
        return TrioLabel(NOT_ASSESSABLE, note=f"mother {m_why}")
    if f_state in (_CARRIER, _HOM):
        return TrioLabel(MENDELIAN_ERROR, note="a son's chrX allele carried only by his father")
    if f_state == _UNKNOWN:
        # A father's X never reaches his son: the mother's confident call suffices.
        return TrioLabel(DE_NOVO, note="mother homozygous reference (father's X not inherited)")
    return TrioLabel(DE_NOVO, note="both parents homozygous reference")


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


@dataclass(frozen=True)
class InheritanceCall:
    """One row of a family's inheritance table: one ALT allele of an affected member.

    Attributes:
        sample: The affected member.
        chrom, pos, ref, alt: The allele.
        label: One of :data:`LABELS`.
        origin: Which parent passed it on (``father``, ``mother``, ``both``), if known.
        fits: Whether it fits a mode (:data:`MODES`) or comes from an affected parent.
        note: Why.
        members: Each sequenced member's call, ``role sample: 0/1 DP 30 AD 15,15``.
    """

    sample: str
    chrom: str
    pos: int
    ref: str
    alt: str
    label: str
    origin: str
    fits: bool
    note: str
    members: str

    @property
    def key(self) -> tuple[str, int, str, str]:
        return (self.chrom, self.pos, self.ref, self.alt)


TABLE_COLUMNS = (
    "sample",
    "chrom",
    "pos",
    "ref",
    "alt",
    "inheritance",
    "origin",
    "fits_mode",
    "note",
    "members",
)


def classify_family(
    sites: Iterable[FamilySite],
    pedigree: Pedigree,
    family: str,
    rules: InheritanceRules,
    haploid_x: Sequence[Interval] | None,
) -> list[InheritanceCall]:
    """Label every ALT allele each affected trio child of ``family`` carries.

    Members affected but without both parents sequenced get no rows (they are treated as
    singletons: see the module's docstring). Compound heterozygosity needs genes and is
    decided later (:func:`compound_heterozygous`).
    """
    trios = [t for t in pedigree.trios() if t.child.family == family and t.child.affected is True]
    members = [m for m in pedigree.families().get(family, ()) if m.sequenced]
    calls = []
    for site in sites:
        shown = "; ".join(
            f"{_role(m, trios)}{m.sample}: {site.call(m.sample).shown()}" for m in members
        )
        for trio in trios:
            child = site.call(trio.child.sample)
            if child.zygosity not in _CARRIES:
                continue
            labelled = _trio_label(site, trio, rules, haploid_x)
            calls.append(
                InheritanceCall(
                    trio.child.sample,
                    site.chrom,
                    site.pos,
                    site.ref,
                    site.alt,
                    labelled.label,
                    labelled.origin,
                    _fits(labelled, trio),
                    labelled.note,
                    shown,
                )
            )
    return calls


def labelled_children(pedigree: Pedigree, samples: Iterable[str]) -> dict[str, str]:
    """Sample -> family of every affected member with both parents sequenced, the three of
    them among ``samples`` (the run's analysable samples): the samples whose variants the
    family's inheritance table labels."""
    present = set(samples)
    return {
        t.child.sample: t.child.family
        for t in pedigree.trios()
        if t.child.affected is True
        and {t.child.sample, t.father.sample, t.mother.sample} <= present
    }


def label_family(
    vcf: Path,
    pedigree: Pedigree,
    family: str,
    rules: InheritanceRules,
    haploid_x: Sequence[Interval] | None,
    out: Path,
) -> int:
    """Read a family's joint calls, label its affected trio children's variants, write the
    table (:func:`write_inheritance_table`).

    Returns:
        Rows written.
    """
    sites = read_family_sites(vcf, pedigree.sequenced_family_members(family))
    return write_inheritance_table(out, classify_family(sites, pedigree, family, rules, haploid_x))


def _trio_label(
    site: FamilySite, trio: Trio, rules: InheritanceRules, haploid_x: Sequence[Interval] | None
) -> TrioLabel:
    child = site.call(trio.child.sample)
    haploid = is_haploid_x(site.chrom, site.pos, haploid_x)
    if haploid is None and not trio.child.is_female:
        return TrioLabel(
            NOT_ASSESSABLE,
            note="chrX of a male (or unknown sex) child, and the pseudoautosomal regions are "
            "not known (set reference.build or reference.par_regions)",
        )
    if haploid and not (trio.child.is_male or trio.child.is_female):
        return TrioLabel(
            NOT_ASSESSABLE, note="chrX outside the pseudoautosomal regions, child's sex unknown"
        )
    return classify_trio_call(
        child,
        site.call(trio.father.sample),
        site.call(trio.mother.sample),
        rules,
        male_haploid_x=bool(haploid) and trio.child.is_male,
        affected_parents=frozenset(
            who
            for who, member in ((FATHER, trio.father), (MOTHER, trio.mother))
            if member.affected is True
        ),
    )


def _fits(labelled: TrioLabel, trio: Trio) -> bool:
    if labelled.label in MODES:
        return True
    affected = {FATHER: trio.father.affected is True, MOTHER: trio.mother.affected is True}
    # Inherited from an affected parent fits dominant inheritance.
    return labelled.label == INHERITED and (
        affected.get(labelled.origin, False) or (labelled.origin == BOTH and any(affected.values()))
    )


def _role(member: Member, trios: Sequence[Trio]) -> str:
    for trio in trios:
        if member == trio.father:
            return "father "
        if member == trio.mother:
            return "mother "
        if member == trio.child:
            return "child "
    return ""


def read_family_sites(vcf: Path, samples: Sequence[str]) -> list[FamilySite]:
    """Every ALT allele of a family VCF with the calls of ``samples``.

    Raises:
        InputFormatError: The VCF cannot be read, or lacks a member (naming them).
    """
    import cyvcf2

    from labpipe.annotation.variant_reader import format_int, genotype_text, zygosity_of

    try:
        reader = cyvcf2.VCF(str(vcf))
    except (OSError, ValueError) as exc:
        raise InputFormatError(f"{vcf}: cannot read the family VCF: {exc}") from exc
    missing = [s for s in samples if s not in reader.samples]
    if missing:
        reader.close()
        raise InputFormatError(
            f"{vcf}: no column for family member(s) {', '.join(missing)} (the VCF has "
            f"{', '.join(reader.samples) or 'no samples'}): remake the family call"
        )
    index = {s: reader.samples.index(s) for s in samples}
    has_gq = "GQ" in {h["ID"] for h in reader.header_iter() if h.type == "FORMAT"}
    sites = []
    try:
        for record in reader:
            for allele, alt in enumerate(record.ALT, start=1):
                if alt in ("*", "<*>", "<NON_REF>"):
                    continue
                calls = {}
                for sample, i in index.items():
                    text, alleles = genotype_text(record, i)
                    calls[sample] = MemberCall(
                        text,
                        zygosity_of(alleles, allele) if text else "",
                        format_int(record, "DP", i, 0),
                        format_int(record, "AD", i, 0),
                        format_int(record, "AD", i, allele),
                        format_int(record, "GQ", i, 0) if has_gq else None,
                    )
                sites.append(
                    FamilySite(
                        record.CHROM,
                        record.POS,
                        record.REF,
                        alt,
                        ";".join(record.FILTERS) or ".",
                        calls,
                    )
                )
    except OSError as exc:
        raise InputFormatError(
            f"{vcf}: cannot be read to the end ({exc}); delete it and run again to remake it"
        ) from None
    finally:
        reader.close()
    return sites


def write_inheritance_table(out: Path, calls: Iterable[InheritanceCall]) -> int:
    """Write a family's inheritance table (TSV, :data:`TABLE_COLUMNS`) atomically."""
    from labpipe.annotation.variant_table import write_table_atomically

    return write_table_atomically(
        out,
        TABLE_COLUMNS,
        (
            [
                c.sample,
                c.chrom,
                str(c.pos),
                c.ref,
                c.alt,
                c.label,
                c.origin,
                "yes" if c.fits else "no",
                c.note,
                c.members,
            ]
            for c in calls
        ),
    )


def read_inheritance_table(path: Path) -> list[InheritanceCall]:
    """Read a table written by :func:`write_inheritance_table`.

    Raises:
        InputFormatError: Naming the file and line of anything malformed.
    """
    try:
        lines = path.read_text().splitlines()
    except OSError as exc:
        raise InputFormatError(f"{path}: cannot read the inheritance table: {exc}") from exc
    if not lines or tuple(lines[0].split("\t")) != TABLE_COLUMNS:
        raise InputFormatError(
            f"{path} line 1: not an inheritance table (expected {' '.join(TABLE_COLUMNS)})"
        )
    calls = []
    for number, line in enumerate(lines[1:], start=2):
        cells = line.split("\t")
        if len(cells) != len(TABLE_COLUMNS) or not cells[2].isdigit() or cells[5] not in LABELS:
            raise InputFormatError(f"{path} line {number}: malformed row {line!r}")
        sample, chrom, pos, ref, alt, label, origin, fits, note, members = cells
        calls.append(
            InheritanceCall(
                sample, chrom, int(pos), ref, alt, label, origin, fits == "yes", note, members
            )
        )
    return calls


#: Tiers of a candidate: what compound heterozygosity, the ROH mark and the tier rule look at.
CANDIDATE_TIERS = (1, 2, 3)

MISFIT_REASON = "fits no inheritance mode in the trio"


def apply_inheritance(
    variants: Sequence[AnnotatedVariant],
    family: Sequence[InheritanceCall] | None,
    require_inheritance: bool = False,
) -> list[AnnotatedVariant]:
    """The sample's annotated rows with their ``inheritance`` column (and tier rule) filled in.

    Args:
        variants: The sample's rows, tiers assigned.
        family: The sample's rows of its family's inheritance table when it is an affected
            member with both parents sequenced; None otherwise (a singleton: only the
            homozygous candidates inside a run of homozygosity are marked).
        require_inheritance: ``annotation.tiers.require_inheritance``: with ``family``, a tier 2
            candidate that fits no mode moves to tier 3 and a tier 1 one says so in its reason
            (labels ``inherited`` from an unaffected parent and ``mendelian_error``; a
            ``not_assessable`` one is not moved).

    Returns:
        The rows in the same order.
    """
    if family is None:
        return [
            _labelled(
                v, HOMOZYGOUS_IN_ROH, f"inside the run of homozygosity {v.clinical.roh_segment}"
            )
            if v.row.zygosity == "hom_alt"
            and v.clinical.roh_segment
            and v.clinical.tier in CANDIDATE_TIERS
            else v
            for v in variants
        ]
    by_key = {c.key: c for c in family}
    paired = compound_heterozygous(
        HetCandidate(key, v.row.gene, by_key[key].origin)
        for v in variants
        if (key := _key(v)) in by_key
        and by_key[key].label == INHERITED
        and v.row.filter == "PASS"
        and v.clinical.tier in CANDIDATE_TIERS
    )
    labelled = []
    for v in variants:
        call = by_key.get(_key(v))
        if call is None:
            v = _labelled(v, NOT_ASSESSABLE, "not in the family's joint calls")
        elif call.key in paired:
            partners = sorted(
                f"{w.row.chrom}:{w.row.pos}{w.row.ref}>{w.row.alt} from {by_key[_key(w)].origin}"
                for w in variants
                if _key(w) in paired and _key(w) != call.key and w.row.gene == v.row.gene
            )
            note = f"from {call.origin}; with {', '.join(partners)}; {call.members}"
            v = _labelled(v, COMP_HET, note)
        else:
            note = "; ".join(
                p
                for p in (call.note, f"from {call.origin}" if call.origin else "", call.members)
                if p
            )
            v = _labelled(v, call.label, note)
            if require_inheritance and not call.fits and call.label in (INHERITED, MENDELIAN_ERROR):
                v = _misfit(v)
        labelled.append(v)
    return labelled


def _key(v: AnnotatedVariant) -> tuple[str, int, str, str]:
    return (v.row.chrom, v.row.pos, v.row.ref, v.row.alt)


def _labelled(v: AnnotatedVariant, label: str, note: str) -> AnnotatedVariant:
    return replace(v, clinical=replace(v.clinical, inheritance=label, inheritance_note=note))


def _misfit(v: AnnotatedVariant) -> AnnotatedVariant:
    """The tier rule ``require_inheritance``: tier 2 moves to 3; tier 1 stays, said."""
    c = v.clinical
    if c.tier == 2:
        clinical = replace(c, tier=3, tier_reason=f"{c.tier_reason}; {MISFIT_REASON} (was tier 2)")
    elif c.tier == 1:
        clinical = replace(c, tier_reason=f"{c.tier_reason}; {MISFIT_REASON}")
    else:
        return v
    return replace(v, clinical=clinical)
