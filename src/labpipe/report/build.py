"""One sample's report built from the run's files: QC table, annotated variants, coverage,
runs of homozygosity, sources and the lab config (:func:`build_sample_report`).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from labpipe import __version__
from labpipe.annotation.annotate import AnnotationSettings
from labpipe.annotation.annotated_table import AnnotatedVariant, read_annotated_table
from labpipe.annotation.roh import (
    RohSegment,
    autozygosity,
    read_roh,
    read_roh_sites,
    reported_segments,
)
from labpipe.annotation.transcripts import load_transcripts
from labpipe.annotation.trio_rules import InheritanceRules
from labpipe.config.lab import LabConfig
from labpipe.config.settings import config_sha256
from labpipe.core.errors import ConfigError, InputFormatError
from labpipe.core.i18n import ENGLISH, N_, _, format_day, using_language
from labpipe.core.layout import family_report
from labpipe.qc.gene_coverage import (
    REPORT_DEPTH,
    TargetCoverage,
    gene_coverage,
    read_target_coverage,
    regions_below,
    targeted_genes,
)
from labpipe.qc.identity import read_identity
from labpipe.qc.metrics import read_qc_table
from labpipe.qc.sex import NOT_INFERRED
from labpipe.qc.verdict import qc_verdict, sex_note_in_words, variant_counts
from labpipe.report.contents import (
    RUN_INDEX,
    AfLabel,
    ReportInputs,
    SampleReport,
    missing_sources,
)
from labpipe.report.svg_plots import CoverageBar

# Coverage bars drawn at most; a larger gene list (an exome) shows its worst genes.
MAX_PLOTTED_GENES = 60

# Optional sample-sheet columns shown in the report's header block, in this order.
PATIENT_FIELDS: dict[str, str] = {
    "patient_id": N_("Patient ID"),
    "date_of_birth": N_("Date of birth"),
    "sex": N_("Sex (declared)"),
    "referral_reason": N_("Referral reason"),
    "specimen_type": N_("Specimen type"),
    "date_received": N_("Date received"),
    "referring_clinician": N_("Referring clinician"),
}

# Optional qc_summary.tsv columns (read ledger, sex check) shown when present.
QC_EXTRA_COLUMNS: dict[str, str] = {
    "pairs_in": N_("Read pairs in"),
    "pairs_removed_low_quality": N_("Pairs removed: low quality"),
    "pairs_removed_too_many_n": N_("Pairs removed: too many N"),
    "pairs_removed_too_short": N_("Pairs removed: too short"),
    "pairs_removed_other": N_("Pairs removed: other"),
    "pairs_aligned": N_("Pairs aligned"),
    "pairs_lost_fraction": N_("Fraction of pairs lost"),
    "sex_declared": N_("Sex declared"),
    "sex_inferred": N_("Sex inferred"),
    "x_autosome_depth_ratio": N_("chrX / autosome depth"),
    "y_autosome_depth_ratio": N_("chrY / autosome depth"),
    "x_het_fraction": N_("chrX heterozygous fraction"),
    "sex_note": N_("Sex check"),
}


def read_json_object(path: Path) -> dict[str, Any]:
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

    return {s.tool.name: s.version or _("not found") for s in check_all()}


def report_time(config: LabConfig, moment: datetime | None = None, language: str = ENGLISH) -> str:
    """The report's date in the lab's time zone (``report.timezone``; default the computer's).

    In English ``2026-12-07 20:15 PKT (UTC+0500)``; in another language the date is written
    as that language writes it (month names, order), the time and zone as in English.

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
    if language == ENGLISH:
        return moment.strftime("%Y-%m-%d %H:%M %Z (UTC%z)").strip()
    return f"{format_day(moment, language)} {moment.strftime('%H:%M %Z (UTC%z)').strip()}"


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
        (label, _qc_value_in_words(column, rows[0][column]))
        for column, label in QC_EXTRA_COLUMNS.items()
        if rows[0].get(column) not in (None, "", "NA")
    ]


def _qc_value_in_words(column: str, value: str) -> str:
    """A word of qc_summary.tsv (the sexes, the sex check's note) in the current language."""
    if column in ("sex_declared", "sex_inferred"):
        return _(value)
    if column == "sex_note":
        return sex_note_in_words(value)
    return value


def _patient_fields(sample_sheet: Path | None, sample: str) -> list[tuple[str, str]]:
    if sample_sheet is None or not Path(sample_sheet).is_file():
        return []
    from labpipe.config.samplesheet import patient_fields

    values = patient_fields(Path(sample_sheet)).get(sample, {})
    if values.get("sex"):
        from labpipe.config.samplesheet import parse_sex

        sex = parse_sex(values["sex"])
        values["sex"] = _(sex) if sex else values["sex"]
    return [(label, values[key]) for key, label in PATIENT_FIELDS.items() if values.get(key)]


_ALIGNER_NAMES = {"bwa": "bwa mem", "minimap2": "minimap2 (-ax sr)"}


def build_sample_report(
    config: LabConfig,
    settings: AnnotationSettings,
    inputs: ReportInputs,
    generated: datetime | None = None,
    tools: Mapping[str, str] | None = None,
    language: str = ENGLISH,
) -> SampleReport:
    """Gather one sample's report from the workflow's outputs.

    Args:
        config: The resolved lab config.
        settings: Its annotation settings.
        inputs: The files to read.
        generated: The report's date (default now).
        tools: Tool versions (default: asked of the tools now).
        language: The report's language (its date is written in it).

    Raises:
        InputFormatError: An input is missing or malformed; the message names it.
        ConfigError: ``report.timezone`` is unknown.
    """
    with using_language(language):  # the words Python writes (QC notes, links, plots)
        return _build_sample_report(config, settings, inputs, generated, tools, language)


def _build_sample_report(
    config: LabConfig,
    settings: AnnotationSettings,
    inputs: ReportInputs,
    generated: datetime | None,
    tools: Mapping[str, str] | None,
    language: str,
) -> SampleReport:
    sample = inputs.sample
    rows = {row.sample: row for row in read_qc_table(inputs.qc_table)}
    if sample not in rows:
        raise InputFormatError(f"{inputs.qc_table}: no row for sample '{sample}'")
    table = read_annotated_table(inputs.variants_tsv)
    identity = read_identity(inputs.identity_json) if inputs.identity_json else None
    verdict = qc_verdict(
        sample, rows[sample], variant_counts(v.row for v in table.variants), config.qc, identity
    )
    sources = read_json_object(inputs.sources_json)
    models = load_transcripts(settings.gff3) if settings.gff3 is not None else {}
    targets = read_target_coverage(inputs.mosdepth_prefix, models or None)
    panels = [
        p for p in sources.get("panels", []) if not p.get("samples") or sample in p["samples"]
    ]
    threshold = float(config.qc.min_pct_target_20x)
    bars, plotted_note = _gene_bars(targets, panels, threshold)

    segments: list[RohSegment] = []
    short = 0
    autozygous = None
    if inputs.roh_output is not None:
        every = read_roh(inputs.roh_output, sample)
        segments = reported_segments(every, settings.roh)
        short = len(every) - len(segments)
        sites = read_roh_sites(inputs.roh_output, sample)
        autozygous = autozygosity(every, sites, settings.roh)
    links = {
        _("variant table (TSV)"): f"../variants/{sample}.tsv",
        _("variant workbook (XLSX)"): f"../variants/{sample}.xlsx",
        _("annotated VCF"): f"../vcf/{sample}.annotated.vcf.gz",
        _("regions below %(depth)sx (TSV)") % {"depth": REPORT_DEPTH}: f"{sample}.low_regions.tsv",
    }
    family_page = Path(family_report(inputs.family)).name if inputs.family else ""
    if family_page:
        links[_("family %(family)s") % {"family": inputs.family}] = family_page
    links[_("run index")] = RUN_INDEX
    links[_("batch identity checks")] = "batch.html"
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
        generated=report_time(config, generated, language),
        version=__version__,
        reference=str(reference.fasta),
        build=(
            f"{reference.build} ({fasta_name})"
            if reference.build
            else _("%(fasta)s (build not named: set reference.build)") % {"fasta": fasta_name}
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
        roh_rule=_("at least %(length)s Mb and %(markers)s variant sites")
        % {"length": f"{roh.min_length_bp / 1e6:g}", "markers": roh.min_markers},
        contigs=_contigs(inputs.reference_fai),
        sources=sources,
        tools=dict(tools) if tools is not None else _tool_versions(),
        calling=config.calling,
        aligner=_ALIGNER_NAMES[config.alignment.aligner],
        sign_off=list(report_section.sign_off),
        disclaimer=report_section.disclaimer,
        max_tier4_rows=report_section.max_tier4_rows,
        links=links,
        missing=missing_sources(settings),
        patient=_patient_fields(inputs.sample_sheet, sample),
        qc_extra=qc_extra,
        limitations=list(report_section.limitations),
        incidental_in_tier1=report_section.incidental_in_tier1,
        confidence_rule=settings.confidence.describe(),
        max_low_regions=report_section.max_low_regions,
        genes_analysed=len(genes),
        sex_checked=dict(qc_extra).get(QC_EXTRA_COLUMNS["sex_inferred"], _(NOT_INFERRED))
        != _(NOT_INFERRED),
        models=models,
        af_source=settings.population[0].name if len(settings.population) == 1 else "",
        genomic=_genomic_names(reference.fasta, reference.build or "", table.variants),
        autozygosity=autozygous,
        family_page=family_page,
        inheritance_rule=(
            InheritanceRules.from_config(config.annotation.inheritance).describe()
            if family_page
            else ""
        ),
        family_qc=inputs.family_qc,
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
            else _("global (%(field)s)") % {"field": found.field}
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
        note = _("no gene panel applies: %(count)s targeted genes") % {"count": len(genes)}
    coverage = gene_coverage(targets, genes)
    if len(coverage) > MAX_PLOTTED_GENES:
        coverage = sorted(coverage, key=lambda c: (c.pct_at_depth or -1.0, c.gene))
        coverage = coverage[:MAX_PLOTTED_GENES]
        shown = _("the %(count)s least covered are shown") % {"count": MAX_PLOTTED_GENES}
        note = "; ".join(filter(None, [note, shown]))
    bars = []
    for gene in coverage:
        if gene.pct_at_depth is None or gene.mean_depth is None:
            missing = (
                _("not in the GFF3 (check the panel)")
                if gene.gene in unknown
                else _("not targeted by the assay")
            )
            bars.append(CoverageBar(gene.gene, None, "", missing))
            continue
        figures = {
            "pct": f"{gene.pct_at_depth:.1f}",
            "depth": REPORT_DEPTH,
            "mean": f"{gene.mean_depth:.0f}",
            "count": gene.regions_below,
        }
        said = (
            _("%(pct)s%% at %(depth)sx, mean %(mean)sx, %(count)s region(s) below")
            if gene.regions_below
            else _("%(pct)s%% at %(depth)sx, mean %(mean)sx")
        )
        bars.append(CoverageBar(gene.gene, gene.pct_at_depth, said % figures))
    return bars, note
