"""The per-sample clinical report and the run's ``index.html``.

One HTML file per sample that a clinician can read and a lab head can sign:
self-contained (inline CSS and SVG; no script, font, image or link is loaded
from anywhere), readable on screen, and laid out for A4 when printed from a
browser (page numbers in the margin, table headings repeated on each page).

The rule it keeps: **nothing looks interpreted, complete or reportable unless
it is.** Each report has a status (:data:`REPORTABLE`, :data:`NOT_REPORTABLE`
when the QC verdict is FAIL, :data:`NOT_INTERPRETED` when the run lacks a
gene model, ClinVar or a population source). A report that is not reportable
or not interpreted says so in a banner above everything else, and shows its
calls as one flat list under that banner, never as tier tables or tier counts
that could read as a negative result. Every report lists what this run did
not check and what the assay cannot see.

Sections, in order: banner (if any); lab, sample, patient and specimen; the
result summary sentence; QC; variants by tier (or the flat list); incidental
findings; coverage; runs of homozygosity; not checked; limitations; sign-off;
methods and provenance.

Python builds the data (:func:`build_sample_report`); Jinja2 templates in
``labpipe/templates`` lay it out with autoescaping, so every value from a
config, sample sheet, GFF3, ClinVar or population file is escaped in HTML,
attributes and CSS (:func:`css_string`).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import jinja2
from markupsafe import Markup

from labpipe import __version__
from labpipe.annotation.annotate import AnnotationSettings
from labpipe.annotation.roh import RohSegment, read_roh, reported_segments
from labpipe.annotation.tiers import FREQUENCY_UNKNOWN, INCIDENTAL_MARK, TIER_TITLES
from labpipe.annotation.transcripts import TranscriptModel, load_transcripts
from labpipe.annotation.variant_table import AnnotatedVariant, read_annotated_table
from labpipe.config.lab import CallingConfig, LabConfig
from labpipe.config.settings import config_sha256
from labpipe.core.atomic import write_text_atomic
from labpipe.core.errors import ConfigError, InputFormatError
from labpipe.qc.gene_coverage import (
    REPORT_DEPTH,
    TargetCoverage,
    gene_coverage,
    read_target_coverage,
    regions_below,
    targeted_genes,
)
from labpipe.qc.metrics import read_qc_table
from labpipe.qc.verdict import FAIL, PASS, WARN, QcCheck, QcVerdict, qc_verdict, variant_counts
from labpipe.report.svg_plots import CoverageBar, IdeogramSegment, coverage_bars, roh_ideogram

# Coverage bars drawn at most; a larger gene list (an exome) shows its worst genes.
MAX_PLOTTED_GENES = 60

REPORTABLE = "REPORTABLE"
NOT_REPORTABLE = "NOT_REPORTABLE"
NOT_INTERPRETED = "NOT_INTERPRETED"
NO_RESULT = (
    "NO_RESULT"  # labpipe.provenance.no_result's; repeated here so the index needs no run code
)

# Optional sample-sheet columns shown in the report's header block, in this order.
PATIENT_FIELDS: dict[str, str] = {
    "patient_id": "Patient ID",
    "date_of_birth": "Date of birth",
    "sex": "Sex (declared)",
    "referral_reason": "Referral reason",
    "specimen_type": "Specimen type",
    "date_received": "Date received",
    "referring_clinician": "Referring clinician",
}

# Optional qc_summary.tsv columns (read ledger, sex check) shown when present.
QC_EXTRA_COLUMNS: dict[str, str] = {
    "pairs_in": "Read pairs in",
    "pairs_removed_low_quality": "Pairs removed: low quality",
    "pairs_removed_too_many_n": "Pairs removed: too many N",
    "pairs_removed_too_short": "Pairs removed: too short",
    "pairs_removed_other": "Pairs removed: other",
    "pairs_aligned": "Pairs aligned",
    "pairs_lost_fraction": "Fraction of pairs lost",
    "sex_declared": "Sex declared",
    "sex_inferred": "Sex inferred",
    "x_autosome_depth_ratio": "chrX / autosome depth",
    "y_autosome_depth_ratio": "chrY / autosome depth",
    "x_het_fraction": "chrX heterozygous fraction",
    "sex_note": "Sex check",
}


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
    """

    sample: str
    qc_table: Path
    variants_tsv: Path
    mosdepth_prefix: Path
    sources_json: Path
    roh_output: Path | None
    reference_fai: Path
    sample_sheet: Path | None = None


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
    """The annotation sources a run needs to interpret variants and does not have."""
    missing = []
    if settings.gff3 is None:
        missing.append(
            MissingSource(
                "gene model",
                "annotation.gff3",
                "no gene, consequence or HGVS name is given, so no variant can reach tier 2 "
                "or 3 and the panel's genes cannot be checked",
            )
        )
    if settings.clinvar is None:
        missing.append(
            MissingSource(
                "ClinVar",
                "annotation.clinvar",
                "no variant is recognised as known pathogenic: tier 1 would be empty "
                "whatever the sample carries",
            )
        )
    if not settings.population:
        missing.append(
            MissingSource(
                "population frequency",
                "annotation.population_af",
                "every allele's frequency is unknown, so no variant is called rare and "
                "tiers 2 and 3 would be empty",
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
        return [f"{_check_text(c)} ({c.status})" for c in self.verdict.problems()]

    def fail_reasons(self) -> list[str]:
        """The metrics that failed, each with its reason."""
        return [_check_text(c) for c in self.verdict.checks if c.status == FAIL]

    def not_checked(self) -> list[str]:
        """What this run did not check, for the report's section and summary.json."""
        items = [f"No {m.name} source ({m.key}): {m.meaning}." for m in self.missing]
        if self.status == NOT_REPORTABLE:
            items.append(
                "The variants were not interpreted for reporting: the sample failed QC "
                f"({'; '.join(self.fail_reasons())})."
            )
        for source in self.sources.get("sources", []):
            name = source.get("name") or source.get("role", "source")
            items += [f"{name}: {note}" for note in source.get("not_checked", [])]
        low = len(self.low_regions)
        if low:
            items.append(
                f"{low} of {self.target_count} target regions have bases below {REPORT_DEPTH}x: "
                "a variant there may have been missed (see Coverage)."
            )
        unknown = sorted({g for p in self.panels for g in p.get("unknown_genes", [])})
        if unknown:
            items.append(
                f"Panel genes not in the gene model, so not assessed: {', '.join(unknown)}."
            )
        if not self.panels:
            items.append("No gene panel applies to this sample: every targeted gene is reported.")
        if not self.roh_enabled:
            items.append("Runs of homozygosity (annotation.roh.enabled is false).")
        if not self.sex_checked:
            items.append(
                "The sample's sex was not inferred from the reads or compared with the "
                "sample sheet."
            )
        failing = [v for v in self.variants if v.row.filter != "PASS"]
        if failing:
            items.append(
                f"{len(failing)} call(s) failed the call filters; they are not classified "
                "(tier 1-3 ones are listed for confirmation)."
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


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data: dict[str, Any] = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise InputFormatError(f"{path}: cannot read: {exc}") from exc
    return data


def _contigs(fai: Path) -> list[tuple[str, int]]:
    contigs = []
    try:
        for line in fai.read_text().splitlines():
            name, length, *_ = line.split("\t")
            contigs.append((name, int(length)))
    except (OSError, ValueError) as exc:
        raise InputFormatError(f"{fai}: cannot read the FASTA index: {exc}") from exc
    return contigs


def _tool_versions() -> dict[str, str]:
    from labpipe.core.tools import check_all

    return {s.tool.name: s.version or "not found" for s in check_all()}


def report_time(config: LabConfig, moment: datetime | None = None) -> str:
    """The report's date in the lab's time zone (``report.timezone``; default the computer's).

    Raises:
        ConfigError: The time zone is not one zoneinfo knows.
    """
    name = config.report.timezone
    moment = moment or datetime.now().astimezone()
    if name:
        try:
            moment = moment.astimezone(ZoneInfo(name))
        except (ZoneInfoNotFoundError, ValueError):
            raise ConfigError(
                f"report.timezone: unknown time zone {name!r}; use an IANA name such as "
                "'Asia/Karachi' or 'UTC'"
            ) from None
    return moment.strftime("%Y-%m-%d %H:%M %Z (UTC%z)").strip()


def _qc_extra(path: Path, sample: str) -> list[tuple[str, str]]:
    """The optional read-ledger and sex columns of qc_summary.tsv, when present."""
    try:
        with open(path, newline="") as handle:
            rows = [r for r in csv.DictReader(handle, delimiter="\t") if r.get("sample") == sample]
    except OSError:
        return []
    if not rows:
        return []
    return [
        (label, rows[0][column])
        for column, label in QC_EXTRA_COLUMNS.items()
        if rows[0].get(column) not in (None, "", "NA")
    ]


def _check_text(check: QcCheck) -> str:
    """A failed or warned QC check as a reason: metric, value and why (a check such as the
    sex check or the read filters means little without its note)."""
    text = f"{check.metric} {check.shown}"
    return f"{text}: {check.note}" if check.note else text


def _patient_fields(sample_sheet: Path | None, sample: str) -> list[tuple[str, str]]:
    if sample_sheet is None or not Path(sample_sheet).is_file():
        return []
    from labpipe.config.samplesheet import patient_fields

    values = patient_fields(Path(sample_sheet)).get(sample, {})
    if values.get("sex"):
        from labpipe.config.samplesheet import parse_sex

        values["sex"] = parse_sex(values["sex"]) or values["sex"]
    return [(label, values[key]) for key, label in PATIENT_FIELDS.items() if values.get(key)]


def build_sample_report(
    config: LabConfig,
    settings: AnnotationSettings,
    inputs: ReportInputs,
    generated: datetime | None = None,
    tools: Mapping[str, str] | None = None,
) -> SampleReport:
    """Gather one sample's report from the workflow's outputs.

    Args:
        config: The resolved lab config.
        settings: Its annotation settings.
        inputs: The files to read.
        generated: The report's date (default now).
        tools: Tool versions (default: asked of the tools now).

    Raises:
        InputFormatError: An input is missing or malformed; the message names it.
        ConfigError: ``report.timezone`` is unknown.
    """
    sample = inputs.sample
    rows = {row.sample: row for row in read_qc_table(inputs.qc_table)}
    if sample not in rows:
        raise InputFormatError(f"{inputs.qc_table}: no row for sample '{sample}'")
    table = read_annotated_table(inputs.variants_tsv)
    verdict = qc_verdict(
        sample, rows[sample], variant_counts(v.row for v in table.variants), config.qc
    )
    sources = _read_json(inputs.sources_json)
    models = load_transcripts(settings.gff3) if settings.gff3 is not None else {}
    targets = read_target_coverage(inputs.mosdepth_prefix, models or None)
    panels = [
        p for p in sources.get("panels", []) if not p.get("samples") or sample in p["samples"]
    ]
    threshold = float(config.qc.min_pct_target_20x)
    bars, plotted_note = _gene_bars(targets, panels, threshold)

    segments: list[RohSegment] = []
    short = 0
    if inputs.roh_output is not None:
        every = read_roh(inputs.roh_output, sample)
        segments = reported_segments(every, settings.roh)
        short = len(every) - len(segments)
    roh = settings.roh
    af_labels = _af_labels(settings, table.af_columns)
    reference = config.reference
    fasta_name = reference.fasta.name
    report_section = config.report
    qc_extra = _qc_extra(inputs.qc_table, sample)
    genes = (
        {g for p in panels for g in p["genes"]}
        - {g for p in panels for g in p.get("unknown_genes", [])}
        if panels
        else set(targeted_genes(targets))
    )
    return SampleReport(
        lab_name=config.lab.name,
        lab_id=config.lab.id,
        sample=sample,
        generated=report_time(config, generated),
        version=__version__,
        reference=str(reference.fasta),
        build=(
            f"{reference.build} ({fasta_name})"
            if reference.build
            else f"{fasta_name} (build not named: set reference.build)"
        ),
        config_sha256=config_sha256(config),
        verdict=verdict,
        panels=panels,
        gene_bars=bars,
        plotted_note=plotted_note,
        threshold_pct=threshold,
        low_regions=regions_below(targets),
        target_count=len(targets),
        variants=table.variants,
        af_labels=af_labels,
        roh_enabled=inputs.roh_output is not None,
        segments=segments,
        short_segments=short,
        roh_rule=f"at least {roh.min_length_bp / 1e6:g} Mb and {roh.min_markers} variant sites",
        contigs=_contigs(inputs.reference_fai),
        sources=sources,
        tools=dict(tools) if tools is not None else _tool_versions(),
        calling=config.calling,
        aligner=_ALIGNER_NAMES[config.alignment.aligner],
        sign_off=list(report_section.sign_off),
        disclaimer=report_section.disclaimer,
        max_tier4_rows=report_section.max_tier4_rows,
        links={
            "variant table (TSV)": f"../variants/{sample}.tsv",
            "variant workbook (XLSX)": f"../variants/{sample}.xlsx",
            "annotated VCF": f"../vcf/{sample}.annotated.vcf.gz",
            "regions below 20x (TSV)": f"{sample}.low_regions.tsv",
            "run index": "index.html",
        },
        missing=missing_sources(settings),
        patient=_patient_fields(inputs.sample_sheet, sample),
        qc_extra=qc_extra,
        limitations=list(report_section.limitations),
        incidental_in_tier1=report_section.incidental_in_tier1,
        confidence_rule=settings.confidence.describe(),
        max_low_regions=report_section.max_low_regions,
        genes_analysed=len(genes),
        sex_checked=dict(qc_extra).get(QC_EXTRA_COLUMNS["sex_inferred"], "not inferred")
        != "not inferred",
        models=models,
        af_source=settings.population[0].name if len(settings.population) == 1 else "",
        genomic=_genomic_names(reference.fasta, reference.build or "", table.variants),
    )


def _genomic_names(
    fasta_path: Path, build: str, variants: Sequence[AnnotatedVariant]
) -> dict[tuple[str, int, str, str], str]:
    """``GRCh38 chr1:g.1100C>T`` per allele; none when the FASTA cannot be opened."""
    import pysam

    from labpipe.annotation.hgvs import hgvs_g

    try:
        fasta = pysam.FastaFile(str(fasta_path))
    except (OSError, ValueError):
        return {}
    names = {}
    with fasta:
        for v in variants:
            key = (v.row.chrom, v.row.pos, v.row.ref, v.row.alt)
            if key not in names:
                named = hgvs_g(fasta, *key)
                names[key] = f"{build} {v.row.chrom}:{named}".strip() if named else ""
    return names


def _af_labels(settings: AnnotationSettings, af_columns: Sequence[str]) -> list[AfLabel]:
    """Each AF column labelled with its population (and source, when there are several)."""
    names = {source.id: source for source in settings.population}
    columns = {c.column: c for c in settings.af_columns}
    labels = []
    for column in af_columns:
        found = columns.get(column)
        if found is None:
            labels.append(AfLabel(column, column))
            continue
        source = names[found.source_id]
        population = (
            f"{source.population or found.field} ({found.field})"
            if found.kind == "population"
            else f"global ({found.field})"
        )
        several = len(names) > 1
        labels.append(AfLabel(column, f"{source.name} {population}" if several else population))
    return labels


def _gene_bars(
    targets: Sequence[TargetCoverage], panels: Sequence[Mapping[str, Any]], threshold: float
) -> tuple[list[CoverageBar], str]:
    unknown = {g for p in panels for g in p.get("unknown_genes", [])}
    if panels:
        genes = list(dict.fromkeys(g for p in panels for g in p["genes"]))
        note = ""  # the panel line above already says how many
    else:
        genes = targeted_genes(targets)
        note = f"no gene panel applies: {len(genes)} targeted genes"
    coverage = gene_coverage(targets, genes)
    if len(coverage) > MAX_PLOTTED_GENES:
        coverage = sorted(coverage, key=lambda c: (c.pct_at_depth or -1.0, c.gene))
        coverage = coverage[:MAX_PLOTTED_GENES]
        note = "; ".join(filter(None, [note, f"the {MAX_PLOTTED_GENES} least covered are shown"]))
    bars = []
    for gene in coverage:
        if gene.pct_at_depth is None or gene.mean_depth is None:
            missing = (
                "not in the GFF3 (check the panel)"
                if gene.gene in unknown
                else ("not targeted by the assay")
            )
            bars.append(CoverageBar(gene.gene, None, "", missing))
            continue
        below = f", {gene.regions_below} region(s) below" if gene.regions_below else ""
        bars.append(
            CoverageBar(
                gene.gene,
                gene.pct_at_depth,
                f"{gene.pct_at_depth:.1f}% at {REPORT_DEPTH}x, mean {gene.mean_depth:.0f}x{below}",
            )
        )
    return bars, note


# ---------------------------------------------------------------------------- views

_ZYGOSITY = {
    "het": ("Het", "heterozygous"),
    "hom_alt": ("Hom", "homozygous"),
    "hemizygous": ("Hemi", "hemizygous"),
}


def _words(text: str) -> str:
    """ClinVar and csq spell with underscores; people read spaces."""
    return text.replace("_", " ")


def _conditions(text: str) -> str:
    names = [
        _words(n).strip()
        for n in text.split("|")
        if n and n.lower() not in ("not_provided", "not_specified")
    ]
    return "; ".join(names[:3]) + (f" (+{len(names) - 3} more)" if len(names) > 3 else "")


def _af(value: float | None) -> str:
    if value is None:
        return "absent"
    if value == 0:
        return "0"
    return f"{value:.2g}" if value < 0.001 else f"{value:.4f}".rstrip("0").rstrip(".")


def predicted_protein(hgvs_p: str) -> str:
    """``p.Arg12Ter`` as HGVS writes a change predicted from DNA: ``p.(Arg12Ter)``."""
    if not hgvs_p.startswith("p.") or hgvs_p.startswith("p.(") or hgvs_p in ("p.?", "p.0"):
        return hgvs_p
    return f"p.({hgvs_p[2:]})"


def variant_view(report: SampleReport, variant: AnnotatedVariant) -> VariantView:
    """One row of a variant table, as text."""
    row, c = variant.row, variant.clinical
    model = report.models.get(row.transcript)
    transcript = model.versioned_id if model else row.transcript
    notes = []
    if model is not None:
        if "MANE_Select" in model.tags:
            notes.append("MANE Select")
        if model.refseq:
            notes.append(model.refseq)
    short, long = _ZYGOSITY.get(row.zygosity, (row.zygosity or "-", row.zygosity))
    depth = [f"{row.depth} reads"] if row.depth is not None else []
    if row.allele_fraction is not None:
        depth.append(f"{row.allele_fraction * 100:.0f}% alt")
    frequency = (
        "frequency unknown (no population source)" if c.frequency == FREQUENCY_UNKNOWN else ""
    )
    return VariantView(
        gene=row.gene or "-",
        transcript=transcript,
        transcript_note=", ".join(notes),
        not_in_panel=bool(report.panels and row.gene and not c.in_panel),
        hgvs_c=f"{transcript}:{row.hgvs_c}" if row.hgvs_c and transcript else row.hgvs_c,
        hgvs_p=predicted_protein(row.hgvs_p),
        hgvs_g=report.genomic.get((row.chrom, row.pos, row.ref, row.alt), ""),
        position=f"{row.chrom}:{row.pos} {row.ref}>{row.alt}",
        consequence=_words(row.consequence) or "-",
        tier=c.tier,
        tier_reason=c.tier_reason,
        zygosity=short,
        zygosity_long=long,
        genotype=row.genotype,
        roh_segment=c.roh_segment,
        depth=", ".join(depth) or "-",
        filter="" if row.filter == "PASS" else row.filter,
        clinvar=_words(c.clinvar_significance),
        clinvar_stars=c.clinvar_stars,
        clinvar_conditions=_conditions(c.clinvar_condition),
        clinvar_id=c.clinvar_id,
        afs=[
            (label.label, _af(value))
            for label, value in zip(report.af_labels, c.population_afs, strict=True)
        ],
        frequency=frequency,
        confidence=c.confidence,
    )


def _finding(report: SampleReport, variant: AnnotatedVariant) -> str:
    """``a heterozygous pathogenic variant in HBB, ENST….1:c.1100C>T p.(Arg12Ter)``."""
    view = variant_view(report, variant)
    significance = view.clinvar.lower() or "pathogenic"
    names = " ".join(x for x in (view.hgvs_c or view.position, view.hgvs_p) if x)
    return f"a {view.zygosity_long or 'called'} {significance} variant in {view.gene}, {names}"


def result_summary(report: SampleReport) -> list[str]:
    """The result in sentences, generated from the status, tiers and QC."""
    status = report.status
    if status == NOT_REPORTABLE:
        return [
            "No result is reported: the sample failed quality control "
            f"({'; '.join(report.fail_reasons())}). Repeat or review the sample; the calls "
            "below are for the laboratory's review only."
        ]
    if status == NOT_INTERPRETED:
        names = [m.name for m in report.missing]
        listed = " or ".join([", ".join(names[:-1]), names[-1]] if len(names) > 1 else names)
        return [
            f"The variants were called but not interpreted: this run had no {listed} source. "
            "No conclusion about the presence or absence of a pathogenic variant can be "
            "drawn from this report."
        ] + (
            [
                f"ClinVar lists {len(known)} of the calls as pathogenic or likely pathogenic "
                "(first in the list below); they are unreviewed."
            ]
            if (known := [v for v in report.passing() if v.clinical.tier == 1])
            else []
        )
    sentences = []
    tier1 = report.in_tier(1)
    genes = f"the {report.genes_analysed} genes analysed"
    if not tier1:
        sentences.append(f"No pathogenic or likely pathogenic variant was found in {genes}.")
    elif len(tier1) == 1:
        finding = _finding(report, tier1[0])
        sentences.append(f"{finding[0].upper()}{finding[1:]} was found.")
    else:
        sentences.append(
            f"{len(tier1)} pathogenic or likely pathogenic variants were found: "
            + "; ".join(_finding(report, v) for v in tier1)
            + "."
        )
    review = len(report.in_tier(2)) + len(report.in_tier(3))
    if review:
        sentences.append(
            f"{review} rare coding variant(s) in panel genes (tiers 2 and 3) are listed for "
            "review; they are not classified."
        )
    confirm = [v for t in (1, 2, 3) for v in report.in_tier(t) if v.clinical.confidence]
    if confirm:
        sentences.append(
            f"{len(confirm)} of these call(s) are below the laboratory's depth or allele-fraction "
            "thresholds: confirm orthogonally before reporting."
        )
    if report.incidental():
        sentences.append(
            f"{len(report.incidental())} incidental finding(s) outside the ordered panel are "
            "listed separately."
        )
    if report.low_regions:
        sentences.append(
            f"{len(report.low_regions)} target region(s) were covered below {REPORT_DEPTH}x; "
            "a variant there may have been missed."
        )
    if report.verdict.overall == WARN:
        sentences.append(f"QC warning: {'; '.join(report.qc_reasons())}.")
    return sentences


# ---------------------------------------------------------------------------- rendering


def css_string(text: object) -> Markup:
    """A CSS string literal that no value can break out of (every non-alphanumeric escaped)."""
    # An escape ends at its terminating space, which CSS consumes: "&" becomes "\\26 ".
    escaped = "".join(
        ch if ch.isascii() and ch.isalnum() else f"\\{ord(ch):x} " for ch in str(text)
    )
    return Markup(f'"{escaped}"')


def _status_class(status: str) -> str:
    return {
        PASS: "status-pass",
        WARN: "status-warn",
        FAIL: "status-fail",
        REPORTABLE: "status-pass",
        NOT_REPORTABLE: "status-fail",
        NOT_INTERPRETED: "status-warn",
        NO_RESULT: "status-fail",
    }.get(status, "status-na")


def _environment() -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("labpipe", "templates"),
        autoescape=True,  # every template, the CSS included, is escaped by default
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["css_string"] = css_string
    environment.filters["status_class"] = _status_class
    environment.filters["words"] = _words
    return environment


_ENVIRONMENT = _environment()


def _svg(text: str) -> Markup:
    """An SVG from :mod:`labpipe.report.svg_plots`, which escapes every label itself."""
    return Markup(text)


def render_sample_report(report: SampleReport) -> str:
    """The report as one self-contained HTML document."""
    status = report.status
    passing = report.passing()
    tier4 = report.in_tier(4)
    failing = [v for v in report.variants if v.row.filter != "PASS" and v.clinical.tier < 4]
    flagged = [v for v in report.variants if v.clinical.roh_segment]
    low_shown = sorted(report.low_regions, key=lambda t: (t.pct_at_depth, -t.bases_below))[
        : report.max_low_regions
    ]
    segments = report.segments
    shown_contigs = [c for c in report.contigs if any(s.chrom == c[0] for s in segments)]
    plots = {
        "coverage": _svg(coverage_bars(report.gene_bars, report.threshold_pct, REPORT_DEPTH))
        if report.gene_bars
        else None,
        "roh": _svg(
            roh_ideogram(
                shown_contigs[:30],
                [IdeogramSegment(s.chrom, s.start, s.end) for s in segments],
                [(v.row.chrom, v.row.pos) for v in flagged if v.clinical.tier < 4],
            )
        )
        if segments
        else None,
    }

    def views(variants: Sequence[AnnotatedVariant]) -> list[VariantView]:
        return [variant_view(report, v) for v in variants]

    # Not reportable or not interpreted: the calls as one flat list, most notable first.
    flat = sorted(passing, key=lambda v: v.clinical.tier)
    return _ENVIRONMENT.get_template("sample_report.html").render(
        r=report,
        status=status,
        summary=result_summary(report),
        tiers={t: views(report.in_tier(t)) for t in (1, 2, 3)},
        tier_titles=TIER_TITLES,
        tier4=views(tier4[: report.max_tier4_rows]),
        tier4_total=len(tier4),
        failing=views(failing),
        incidental=views(report.incidental()),
        flat=views(flat[: report.max_tier4_rows]),
        flat_total=len(flat),
        passing_total=len(passing),
        flagged=views(flagged),
        low_shown=low_shown,
        plots=plots,
        report_depth=REPORT_DEPTH,
        filters_text=_filters_text(report.calling),
        annotation_rows=_annotation_rows(report.sources),
        not_checked=report.not_checked(),
        unknown_genes=[p for p in report.panels if p.get("unknown_genes")],
        total_roh=sum(s.length for s in segments),
        missing_keys={m.key for m in report.missing},
        no_clinvar=(
            "no ClinVar source"
            if any(m.key == "annotation.clinvar" for m in report.missing)
            else "not in ClinVar"
        ),
    )


def _annotation_rows(sources: Mapping[str, Any]) -> list[tuple[str, dict[str, Any], str]]:
    rows: list[tuple[str, dict[str, Any], str]] = []
    if "gff3" in sources:
        rows.append(("Gene models (GFF3)", sources["gff3"], ""))
    for source in sources.get("sources", []):
        detail = "; ".join(
            str(x)
            for x in (
                source.get("fileDate") and f"file date {source['fileDate']}",
                ", ".join(source.get("fields", [])),
                source.get("contig_naming"),
            )
            if x
        )
        rows.append((source.get("name") or source["role"], source, detail))
    for panel in sources.get("panels", []):
        applies = ", ".join(panel["samples"]) if panel.get("samples") else "all samples"
        rows.append((f"Panel: {panel['name']}", panel, f"{len(panel['genes'])} genes; {applies}"))
    return rows


_ALIGNER_NAMES = {"bwa": "bwa mem", "minimap2": "minimap2 (-ax sr)"}


def _filters_text(calling: CallingConfig) -> str:
    """The soft filters of a run, for Methods."""
    from labpipe.calling.filters import soft_filters

    filters = soft_filters(calling)
    text = "; ".join(f"{f.name}: {f.meaning}" for f in filters) or "no filters"
    if calling.second_opinion:
        from labpipe.calling.second_opinion import SHADOW_DISTANCE, SHADOW_FILTER

        text += (
            "). Indels had a second opinion from freebayes, run in windows around "
            "bcftools' indel candidates with the same settings: an indel freebayes called "
            "and bcftools missed or filtered was added or kept, INFO/CALLERS names the "
            f"callers of each indel, and an indel only bcftools called within "
            f"{SHADOW_DISTANCE} bp of a stronger indel call was filtered ({SHADOW_FILTER}"
        )
    return text


def summarise(report: SampleReport) -> SampleSummary:
    """The index's and run summary's line for a report."""
    status = report.status
    reasons = []
    if status == NOT_REPORTABLE:
        reasons.append(f"QC FAIL: {'; '.join(report.fail_reasons())}")
    reasons += [f"no {m.name} source configured ({m.key})" for m in report.missing]
    reportable = status == REPORTABLE
    return SampleSummary(
        sample=report.sample,
        verdict=report.verdict.overall,
        problems=report.qc_reasons(),
        tiers=report.tier_counts(),
        roh_segments=len(report.segments),
        low_regions=len(report.low_regions),
        report=f"{report.sample}.html",
        files={k: v for k, v in report.links.items() if k != "run index"},
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


def write_low_regions(report: SampleReport, out_tsv: Path) -> None:
    """Every target region with bases below the report depth (the report lists the worst)."""
    lines = ["chrom\tstart\tend\tgenes\tlength\tbases_below\tpct_at_depth\tmean_depth"]
    for t in report.low_regions:
        lines.append(
            f"{t.chrom}\t{t.start}\t{t.end}\t{','.join(t.genes) or t.name}\t{t.length}\t"
            f"{t.bases_below}\t{t.pct_at_depth:.2f}\t{t.mean_depth:.2f}"
        )
    write_text_atomic(out_tsv, "\n".join(lines) + "\n")


def write_sample_report(
    config: LabConfig,
    settings: AnnotationSettings,
    inputs: ReportInputs,
    out_html: Path,
    out_summary: Path,
) -> SampleSummary:
    """Build, render and write one sample's report, its summary (JSON) and low regions (TSV)."""
    report = build_sample_report(config, settings, inputs)
    write_low_regions(report, out_html.with_name(f"{report.sample}.low_regions.tsv"))
    write_text_atomic(out_html, render_sample_report(report))
    summary = summarise(report)
    write_text_atomic(out_summary, json.dumps(asdict(summary), indent=2) + "\n")
    return summary


def read_summary(path: Path) -> SampleSummary:
    """A summary written by :func:`write_sample_report`."""
    data = _read_json(path)
    try:
        # Counts only where there is a result to count (a NO_RESULT summary writes {}).
        tiers = data.get("tiers") if data.get("status", REPORTABLE) == REPORTABLE else None
        data["tiers"] = {int(k): v for k, v in tiers.items()} if tiers is not None else None
        # Fields a newer or other writer adds are not the index's concern.
        known = {f.name for f in fields(SampleSummary)}
        return SampleSummary(**{k: v for k, v in data.items() if k in known})
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise InputFormatError(f"{path}: not a labpipe report summary ({exc})") from exc


def render_index(
    lab_name: str,
    summaries: Sequence[SampleSummary],
    multiqc: str,
    generated: str,
    config_hash: str,
) -> str:
    """The run's ``index.html``: every sample's status, verdict and (if reportable) tiers."""
    by_status = {
        status: [s for s in summaries if s.status == status]
        for status in (REPORTABLE, NOT_REPORTABLE, NOT_INTERPRETED, NO_RESULT)
    }
    return _ENVIRONMENT.get_template("index.html").render(
        lab_name=lab_name,
        summaries=summaries,
        by_status=by_status,
        not_interpreted_reasons=list(
            dict.fromkeys(
                r
                for s in by_status[NOT_INTERPRETED]
                for r in s.status_reasons
                if r.startswith("no ")
            )
        ),
        multiqc=multiqc,
        generated=generated,
        config_hash=config_hash,
        version=__version__,
        report_depth=REPORT_DEPTH,
    )


def write_run_index(
    config: LabConfig, summaries: Sequence[Path], multiqc: str, out_html: Path
) -> None:
    """Write ``index.html`` from the samples' report summaries.

    Args:
        config: The resolved lab config.
        summaries: ``<sample>.summary.json`` files, in sample-sheet order.
        multiqc: Link to the MultiQC report, relative to ``out_html``.
        out_html: ``results/report/index.html``.
    """
    text = render_index(
        config.lab.name,
        [read_summary(path) for path in summaries],
        multiqc,
        report_time(config),
        config_sha256(config),
    )
    write_text_atomic(out_html, text)
