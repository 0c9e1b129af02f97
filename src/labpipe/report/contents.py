"""What a sample's report holds (:class:`SampleReport`) and its status, and the summary the
run index reads (:class:`SampleSummary`).

Each report has a status (:data:`REPORTABLE`, :data:`NOT_REPORTABLE` when the QC verdict
is FAIL, :data:`NOT_INTERPRETED` when the run lacks a gene model, ClinVar or a population
source); :class:`SampleReport` decides which calls may be shown as tiers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from labpipe.annotation.annotate import AnnotationSettings
from labpipe.annotation.annotated_table import AnnotatedVariant
from labpipe.annotation.roh import Autozygosity, RohSegment
from labpipe.annotation.source_content import source_note_in_words
from labpipe.annotation.tiers import INCIDENTAL_MARK, TIER_TITLES
from labpipe.annotation.transcripts import TranscriptModel
from labpipe.config.lab import CallingConfig
from labpipe.core.i18n import _
from labpipe.qc.check import FAIL, NOT_ASSESSED, QcCheck
from labpipe.qc.gene_coverage import (
    REPORT_DEPTH,
    TargetCoverage,
)
from labpipe.qc.identity_verdict import CONTAMINATION, RELATEDNESS
from labpipe.qc.verdict import QcVerdict
from labpipe.report.svg_plots import CoverageBar

if TYPE_CHECKING:  # family_trust imports this module's neighbours, not this module
    from labpipe.report.family_trust import FamilyQc

REPORTABLE = "REPORTABLE"
NOT_REPORTABLE = "NOT_REPORTABLE"
NOT_INTERPRETED = "NOT_INTERPRETED"
#: The run's index, linked from each report.
RUN_INDEX = "index.html"
NO_RESULT = (
    "NO_RESULT"  # labpipe.provenance.no_result's; repeated here so the index needs no run code
)


@dataclass(frozen=True)
class ReportInputs:
    """The files one sample's report is built from (workflow output paths).

    Attributes:
        sample: Sample id.
        qc_table: ``results/qc/qc_summary.tsv``.
        variants_tsv: ``results/variants/<sample>.tsv`` (annotated).
        mosdepth_prefix: ``results/qc/mosdepth/<sample>``.
        sources_json: ``results/annotation/sources.json``.
        roh_output: ``results/roh/<sample>.roh.txt``, or None when ROH is off.
        reference_fai: The reference's ``.fai`` (contig lengths for the ROH plot).
        sample_sheet: The sample sheet (patient and specimen columns), or None.
        family: The family of an affected child with both parents sequenced (whose table
            has the trio's inheritance labels and who has a family page); None otherwise.
        identity_json: ``results/qc/identity/identity.json`` (the batch's kinship and
            contamination, part of the QC verdict), or None outside a run.
        family_qc: The QC of the family the sample was called jointly with
            (:mod:`labpipe.report.family_trust`); None for a sample called alone.
    """

    sample: str
    qc_table: Path
    variants_tsv: Path
    mosdepth_prefix: Path
    sources_json: Path
    roh_output: Path | None
    reference_fai: Path
    sample_sheet: Path | None = None
    family: str | None = None
    identity_json: Path | None = None
    family_qc: FamilyQc | None = None


@dataclass(frozen=True)
class AfLabel:
    """An AF column of the table and how the report heads it."""

    column: str
    label: str


@dataclass(frozen=True)
class MissingSource:
    """An annotation source the run did not have, and what that means for the result.

    Attributes:
        name: E.g. ``ClinVar``.
        key: The config key that would supply it.
        meaning: What the report cannot say without it.
    """

    name: str
    key: str
    meaning: str


def missing_sources(settings: AnnotationSettings) -> list[MissingSource]:
    """The annotation sources a run needs to interpret variants and does not have (their names
    and meanings in the current language)."""
    missing = []
    if settings.gff3 is None:
        missing.append(
            MissingSource(
                _("gene model"),
                "annotation.gff3",
                _(
                    "no gene, consequence or HGVS name is given, so no variant can reach tier 2 "
                    "or 3 and the panel's genes cannot be checked"
                ),
            )
        )
    if settings.clinvar is None:
        missing.append(
            MissingSource(
                "ClinVar",
                "annotation.clinvar",
                _(
                    "no variant is recognised as known pathogenic: tier 1 would be empty "
                    "whatever the sample carries"
                ),
            )
        )
    if not settings.population:
        missing.append(
            MissingSource(
                _("population frequency"),
                "annotation.population_af",
                _(
                    "every allele's frequency is unknown, so no variant is called rare and "
                    "tiers 2 and 3 would be empty"
                ),
            )
        )
    return missing


@dataclass(frozen=True)
class VariantView:
    """One variant as a report row shows it (text only; the template escapes it)."""

    gene: str
    transcript: str
    transcript_note: str
    not_in_panel: bool
    hgvs_c: str
    hgvs_p: str
    hgvs_g: str
    position: str
    consequence: str
    tier: int
    tier_reason: str
    zygosity: str
    zygosity_long: str
    genotype: str
    roh_segment: str
    depth: str
    filter: str
    clinvar: str
    clinvar_stars: int | None
    clinvar_conditions: str
    clinvar_id: str
    afs: list[tuple[str, str]]
    frequency: str
    confidence: str
    inheritance: str = ""
    inheritance_note: str = ""
    #: Why the call needs confirming (``confidence`` without its flag).
    confidence_detail: str = ""
    #: The failed or warned parental samples the label rests on (empty: none).
    inheritance_caution: str = ""


@dataclass(frozen=True)
class SampleReport:
    """Everything one sample's report shows."""

    lab_name: str
    lab_id: str
    sample: str
    generated: str
    version: str
    reference: str
    build: str
    config_sha256: str
    verdict: QcVerdict
    panels: list[dict[str, Any]]
    gene_bars: list[CoverageBar]
    plotted_note: str
    threshold_pct: float
    low_regions: list[TargetCoverage]
    target_count: int
    variants: list[AnnotatedVariant]
    af_labels: list[AfLabel]
    roh_enabled: bool
    segments: list[RohSegment]
    short_segments: int
    roh_rule: str
    contigs: list[tuple[str, int]]
    sources: dict[str, Any]
    tools: dict[str, str]
    calling: CallingConfig
    sign_off: list[str]
    disclaimer: str
    max_tier4_rows: int
    links: dict[str, str] = field(default_factory=dict)
    missing: list[MissingSource] = field(default_factory=list)
    #: How the reads were aligned, as the methods paragraph names it.
    aligner: str = "bwa mem"
    patient: list[tuple[str, str]] = field(default_factory=list)
    qc_extra: list[tuple[str, str]] = field(default_factory=list)
    limitations: list[str] = field(default_factory=list)
    incidental_in_tier1: bool = False
    confidence_rule: str = ""
    max_low_regions: int = 30
    genes_analysed: int = 0
    sex_checked: bool = False
    models: dict[str, TranscriptModel] = field(default_factory=dict)
    af_source: str = ""
    genomic: dict[tuple[str, int, str, str], str] = field(default_factory=dict)
    #: F_ROH or why not estimated (None without ROH output).
    autozygosity: Autozygosity | None = None
    #: The family page (``family-<family>.html``) of an affected trio child; empty otherwise.
    family_page: str = ""
    #: The inheritance rules in words, for the methods (empty when no family is labelled).
    inheritance_rule: str = ""
    #: The QC of the family the sample was called jointly with; None when called alone.
    family_qc: FamilyQc | None = None

    @property
    def status(self) -> str:
        """REPORTABLE, NOT_REPORTABLE (QC FAIL) or NOT_INTERPRETED (a source is missing)."""
        if self.verdict.overall == FAIL:
            return NOT_REPORTABLE
        if self.missing:
            return NOT_INTERPRETED
        return REPORTABLE

    def is_incidental(self, variant: AnnotatedVariant) -> bool:
        """A tier-1 finding in a gene outside the sample's panels (unless the lab opts in)."""
        # Decided once, by the annotate step, so the table and workbook say the same.
        return variant.clinical.incidental == INCIDENTAL_MARK

    def passing(self) -> list[AnnotatedVariant]:
        """PASS calls."""
        return [v for v in self.variants if v.row.filter == "PASS"]

    def in_tier(self, tier: int) -> list[AnnotatedVariant]:
        """PASS calls of a tier, incidental findings left out of tier 1."""
        return [v for v in self.passing() if v.clinical.tier == tier and not self.is_incidental(v)]

    def incidental(self) -> list[AnnotatedVariant]:
        """PASS incidental findings."""
        return [v for v in self.passing() if self.is_incidental(v)]

    def tier_counts(self) -> dict[int, int] | None:
        """PASS calls per tier; None unless reportable (then no count reads as a negative)."""
        if self.status != REPORTABLE:
            return None
        return {tier: len(self.in_tier(tier)) for tier in TIER_TITLES}

    def qc_reasons(self) -> list[str]:
        """The metrics that failed or warned, as text, each with its reason."""
        return [_check_text(c) + " (" + _(c.status) + ")" for c in self.verdict.problems()]

    def fail_reasons(self) -> list[str]:
        """The metrics that failed, each with its reason."""
        return [_check_text(c) for c in self.verdict.checks if c.status == FAIL]

    def not_checked(self) -> list[str]:
        """What this run did not check, for the report's section and summary.json (in the
        current language)."""
        items = [
            _("No %(name)s source (%(key)s): %(meaning)s.")
            % {"name": m.name, "key": m.key, "meaning": m.meaning}
            for m in self.missing
        ]
        if self.status == NOT_REPORTABLE:
            items.append(
                _(
                    "The variants were not interpreted for reporting: the sample failed QC"
                    " (%(reasons)s)."
                )
                % {"reasons": "; ".join(self.fail_reasons())}
            )
        for source in self.sources.get("sources", []):
            name = source.get("name") or source.get("role", "source")
            items += [
                f"{name}: {source_note_in_words(note)}" for note in source.get("not_checked", [])
            ]
        # The batch's identity checks, when the data could not support them.
        items += [
            _(c.metric) + f": {c.note}."
            for c in self.verdict.checks
            if c.metric in (CONTAMINATION, RELATEDNESS) and c.status == NOT_ASSESSED
        ]
        low = len(self.low_regions)
        if low:
            items.append(
                _(
                    "%(low)s of %(count)s target regions have bases below %(depth)sx: a variant"
                    " there may have been missed (see Coverage)."
                )
                % {"low": low, "count": self.target_count, "depth": REPORT_DEPTH}
            )
        unknown = sorted({g for p in self.panels for g in p.get("unknown_genes", [])})
        if unknown:
            items.append(
                _("Panel genes not in the gene model, so not assessed: %(genes)s.")
                % {"genes": ", ".join(unknown)}
            )
        if not self.panels:
            items.append(
                _("No gene panel applies to this sample: every targeted gene is reported.")
            )
        if not self.roh_enabled:
            items.append(_("Runs of homozygosity (annotation.roh.enabled is false)."))
        elif self.autozygosity is not None and self.autozygosity.f_roh is None:
            items.append(_("Autozygosity (F_ROH).") + " " + self.autozygosity.text())
        if self.family_qc is not None:
            items += self.family_qc.not_checked(self.sample)
        if not self.family_page and self.family_qc is not None:
            items.append(self.family_qc.unlabelled_note())
        elif not self.family_page:
            items.append(
                _(
                    "Inheritance: not assessed from parents (no affected member with both"
                    " parents sequenced); only homozygous candidates inside a run of"
                    " homozygosity are marked."
                )
            )
        if not self.sex_checked:
            items.append(
                _(
                    "The sample's sex was not inferred from the reads or compared with the"
                    " sample sheet."
                )
            )
        failing = [v for v in self.variants if v.row.filter != "PASS"]
        if failing:
            items.append(
                _(
                    "%(count)s call(s) failed the call filters; they are not classified"
                    " (tier 1-3 ones are listed for confirmation)."
                )
                % {"count": len(failing)}
            )
        return items


@dataclass(frozen=True)
class SampleSummary:
    """What the run index and the run summary show for a sample (``<sample>.summary.json``).

    Attributes:
        sample: Sample id.
        verdict: QC verdict, lower case (kept for older readers; same as qc_verdict).
        problems: Metrics that failed or warned (same as qc_reasons).
        tiers: PASS calls per tier (incidental findings apart); None unless REPORTABLE.
        roh_segments: Runs of homozygosity reported (None without a result).
        low_regions: Target regions with bases below the report depth (None without a result).
        report: The report's file name (empty without a result).
        files: Other outputs of the sample, by label.
        status: REPORTABLE, NOT_REPORTABLE or NOT_INTERPRETED; NO_RESULT when the
            sample failed before its report (written by :mod:`labpipe.provenance.no_result`).
        status_reasons: Why not reportable or not interpreted, one line each.
        not_checked: What this run did not check.
        qc_verdict: PASS, WARN or FAIL.
        qc_reasons: Metrics that failed or warned.
        incidental: Incidental findings (None unless REPORTABLE).
        to_confirm: Tier 1-3 PASS calls flagged "confirm orthogonally" (None unless REPORTABLE).
    """

    sample: str
    verdict: str
    problems: list[str]
    tiers: dict[int, int] | None
    roh_segments: int | None
    low_regions: int | None
    report: str
    files: dict[str, str]
    status: str = REPORTABLE
    status_reasons: list[str] = field(default_factory=list)
    not_checked: list[str] = field(default_factory=list)
    qc_verdict: str = ""
    qc_reasons: list[str] = field(default_factory=list)
    incidental: int | None = None
    to_confirm: int | None = None


def _check_text(check: QcCheck) -> str:
    """A failed or warned QC check as a reason: metric, value and why (a check such as the
    sex check or the read filters means little without its note)."""
    text = _(check.metric) + f" {check.shown}"
    return f"{text}: {check.note}" if check.note else text


def summarise(report: SampleReport) -> SampleSummary:
    """The index's and run summary's line for a report."""
    status = report.status
    reasons = []
    if status == NOT_REPORTABLE:
        reasons.append(_("QC FAIL: %(reasons)s") % {"reasons": "; ".join(report.fail_reasons())})
    reasons += [
        _("no %(name)s source configured (%(key)s)") % {"name": m.name, "key": m.key}
        for m in report.missing
    ]
    reportable = status == REPORTABLE
    return SampleSummary(
        sample=report.sample,
        verdict=report.verdict.overall,
        problems=report.qc_reasons(),
        tiers=report.tier_counts(),
        roh_segments=len(report.segments),
        low_regions=len(report.low_regions),
        report=f"{report.sample}.html",
        files={k: v for k, v in report.links.items() if v != RUN_INDEX},
        status=status,
        status_reasons=reasons,
        not_checked=report.not_checked(),
        qc_verdict=report.verdict.overall.upper(),
        qc_reasons=report.qc_reasons(),
        incidental=len(report.incidental()) if reportable else None,
        to_confirm=(
            sum(1 for t in (1, 2, 3) for v in report.in_tier(t) if v.clinical.confidence)
            if reportable
            else None
        ),
    )
