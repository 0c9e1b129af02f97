"""A family's page in the report (``results/report/family-<family>.html``): the affected
children's candidates listed by inheritance model, with every member's genotype and depth.

Built from the family's inheritance table (:mod:`labpipe.annotation.inheritance`, which holds
each member's call) and the children's annotated variant tables (gene, HGVS, tier, and the
``inheritance`` column, where compound heterozygotes are paired). Candidates are PASS and
non-PASS tier 1-3 calls; tier 4 is in the children's tables only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from labpipe import __version__
from labpipe.annotation.annotated_table import AnnotatedTable, read_annotated_table
from labpipe.annotation.inheritance import InheritanceCall, read_inheritance_table
from labpipe.annotation.inheritance_column import CANDIDATE_TIERS
from labpipe.annotation.trio_rules import LABELS, InheritanceRules
from labpipe.config.lab import LabConfig
from labpipe.config.settings import config_sha256
from labpipe.core.atomic import write_text_atomic
from labpipe.core.i18n import N_, _, choose_language, using_language
from labpipe.report.build import report_time
from labpipe.report.family_trust import ROLE_WORDS, FamilyQc, MemberQc
from labpipe.report.html import templates
from labpipe.report.views import plain_words

#: What each label means, as the page heads its list.
MODEL_TITLES: dict[str, str] = {
    "de_novo": N_("De novo (both parents confidently homozygous reference)"),
    "hom_recessive": N_("Homozygous recessive (both parents carriers)"),
    "comp_het": N_("Compound heterozygous (one variant from each parent, same gene)"),
    "x_linked": N_("X-linked (hemizygous son of a carrier mother)"),
    "mendelian_error": N_("Mendelian errors (the parents' calls cannot give the child's)"),
    "inherited": N_("Inherited from one parent (fits no recessive model alone)"),
    "not_assessable": N_("Not assessable (a parent's call missing or shallow)"),
    "homozygous_in_roh": N_("Homozygous inside a run of homozygosity"),
}

#: The "why" of an inherited or compound heterozygous candidate (the table says ``from X``).
FROM_WORDS: dict[str, str] = {
    "from father": N_("from the father"),
    "from mother": N_("from the mother"),
    "from both": N_("from both parents"),
}


def _why(note: str) -> str:
    """A label's reason in the page's language: the fixed reasons of
    :mod:`labpipe.annotation.trio_rules` are in the catalogs; one naming a call or a sample
    (``father shallow (0/0 DP 5)``) stays as the table wrote it."""
    return _(FROM_WORDS.get(note, note)) if note else ""


def _member_line(line: str) -> str:
    """``father DAD: 0/0 DP 28``, its role word in the page's language."""
    role, space, rest = line.partition(" ")
    return " ".join((_(ROLE_WORDS[role]), rest)) if space and role in ROLE_WORDS else line


@dataclass(frozen=True)
class FamilyCandidate:
    """One candidate on the family page (text only; the template escapes it)."""

    sample: str
    gene: str
    variant: str
    position: str
    consequence: str
    tier: int
    filter: str
    members: list[str]
    note: str
    #: The failed or warned samples the label rests on (:mod:`labpipe.report.family_trust`).
    caution: str = ""


def family_candidates(
    calls: Sequence[InheritanceCall],
    tables: Mapping[str, AnnotatedTable],
    family_qc: FamilyQc | None = None,
) -> dict[str, list[FamilyCandidate]]:
    """Label -> the children's tier 1-3 candidates with it, in :data:`LABELS` order, each
    naming the failed or warned samples its label rests on (with ``family_qc``)."""
    members = {(c.sample, c.key): c.members.split("; ") for c in calls}
    found: dict[str, list[FamilyCandidate]] = {label: [] for label in LABELS}
    for sample, table in tables.items():
        for v in table.variants:
            row, c = v.row, v.clinical
            if c.tier not in CANDIDATE_TIERS or c.inheritance not in found:
                continue
            key = (row.chrom, row.pos, row.ref, row.alt)
            named = " ".join(x for x in (row.hgvs_c, row.hgvs_p) if x)
            found[c.inheritance].append(
                FamilyCandidate(
                    sample=sample,
                    gene=row.gene or "-",
                    variant=named,
                    position=f"{row.chrom}:{row.pos} {row.ref}>{row.alt}",
                    consequence=plain_words(row.consequence) or "-",
                    tier=c.tier,
                    filter=row.filter,
                    members=[_member_line(m) for m in members.get((sample, key), [])],
                    note=_why(c.inheritance_note.split("; ")[0]) if c.inheritance_note else "",
                    caution=family_qc.caution(sample, c.inheritance) if family_qc else "",
                )
            )
    return {label: rows for label, rows in found.items() if rows}


@dataclass(frozen=True)
class MemberConcern:
    """A member that failed or warned QC, at the top of the family page.

    Attributes:
        member: Its QC.
        role: ``father``, ``mother``, ``child`` (of a trio of the family) or empty.
        resting: Candidates on the page whose label rests on this member's genotypes.
    """

    member: MemberQc
    role: str
    resting: int


def member_concerns(
    family_qc: FamilyQc, by_model: Mapping[str, Sequence[FamilyCandidate]]
) -> list[MemberConcern]:
    """Every member that failed or warned QC, with the page's candidates resting on it."""
    concerns = []
    for member in family_qc.doubtful():
        resting = sum(
            1
            for label, rows in by_model.items()
            for c in rows
            if any(m.sample == member.sample for _, m in family_qc.resting_on(c.sample, label))
        )
        concerns.append(MemberConcern(member, family_qc.role(member.sample), resting))
    return concerns


def write_family_page(
    config: LabConfig,
    family: str,
    inheritance_table: Path,
    variant_tables: Sequence[Path],
    out_html: Path,
    family_qc: FamilyQc | None = None,
) -> int:
    """Write a family's page.

    Args:
        config: The resolved lab config.
        family: Family ID.
        inheritance_table: The family's inheritance table.
        variant_tables: The labelled children's annotated tables (``<sample>.tsv``).
        out_html: ``results/report/family-<family>.html``.
        family_qc: The members' QC (:func:`labpipe.report.family_trust.read_family_qc`);
            None only outside a run (the page then says the members' QC was not read).

    Returns:
        Candidates listed.
    """
    calls = read_inheritance_table(inheritance_table)
    tables = {path.name.removesuffix(".tsv"): read_annotated_table(path) for path in variant_tables}
    language = choose_language(config.report.language)
    with using_language(language):  # the sentences Python words (reasons, cautions) too
        by_model = family_candidates(calls, tables, family_qc)
        text = (
            templates(language)
            .get_template("family_report.html")
            .render(
                lab_name=config.lab.name,
                family=family,
                children=list(tables),
                by_model=by_model,
                titles=MODEL_TITLES,
                qc_read=family_qc is not None,
                concerns=member_concerns(family_qc, by_model) if family_qc else [],
                role_words=ROLE_WORDS,
                not_checked=family_qc.page_not_checked() if family_qc else [],
                rule=InheritanceRules.from_config(config.annotation.inheritance).describe(),
                generated=report_time(config, language=language),
                version=__version__,
                config_hash=config_sha256(config),
            )
        )
    write_text_atomic(out_html, text)
    return sum(len(rows) for rows in by_model.values())
