"""A family's inheritance table: from the family's joint calls to the labelled rows.

Reads the family VCF (:func:`read_family_sites`), labels each ALT allele an affected trio child
carries with the rules of :mod:`labpipe.annotation.trio_rules` (:func:`classify_family`), writes
and reads the table (:func:`write_inheritance_table`, :func:`read_inheritance_table`), and fills
the annotated rows' ``inheritance`` column (:func:`apply_inheritance`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from labpipe.annotation.trio_rules import (
    BOTH,
    CARRIES,
    FATHER,
    INHERITED,
    LABELS,
    MODES,
    MOTHER,
    NOT_ASSESSABLE,
    FamilySite,
    InheritanceRules,
    MemberCall,
    TrioLabel,
    classify_trio_call,
    is_haploid_x,
)
from labpipe.config.pedigree import Member, Pedigree, Trio
from labpipe.core.errors import InputFormatError
from labpipe.core.regions import Interval


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
            if child.zygosity not in CARRIES:
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
