"""The per-sample clinical report and the run's ``index.html``.

One HTML file per sample that a clinician can read and a lab head can sign:
self-contained (inline CSS and SVG; no script, font, image or link is loaded
from anywhere), readable on screen, and laid out for A4 when printed from a
browser (page numbers in the margin, no row split across pages). It holds:

* the lab, sample, date, labpipe version and reference;
* the QC verdict (:mod:`labpipe.qc_verdict`) with every metric, value and limit;
* coverage per panel gene (SVG) and every target region with bases below 20x;
* variants by tier (:mod:`labpipe.tiers`) with gene, HGVS, consequence,
  zygosity, depth, ClinVar, population frequencies and panel;
* runs of homozygosity, with the homozygous variants inside them;
* methods and provenance: tier rules, annotation sources with dates and
  checksums, tool versions, config hash; then signature lines.

Building (:func:`build_sample_report`) is kept apart from rendering
(:func:`render_sample_report`) so that each can be tested on its own.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from html import escape
from pathlib import Path
from typing import Any

from labpipe import __version__
from labpipe.annotate import AnnotationSettings
from labpipe.atomic import write_text_atomic
from labpipe.config import config_sha256
from labpipe.errors import InputFormatError
from labpipe.gene_coverage import (
    REPORT_DEPTH,
    TargetCoverage,
    gene_coverage,
    read_target_coverage,
    regions_below,
    targeted_genes,
)
from labpipe.qc import read_qc_table
from labpipe.qc_verdict import FAIL, PASS, WARN, QcVerdict, qc_verdict, variant_counts
from labpipe.roh import RohSegment, read_roh, reported_segments
from labpipe.svg_plots import CoverageBar, IdeogramSegment, coverage_bars, roh_ideogram
from labpipe.tiers import TIER_TITLES
from labpipe.transcripts import load_transcripts
from labpipe.variant_table import AnnotatedVariant, read_annotated_table

# Coverage bars drawn at most; a larger gene list (an exome) shows its worst genes.
MAX_PLOTTED_GENES = 60


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
    """

    sample: str
    qc_table: Path
    variants_tsv: Path
    mosdepth_prefix: Path
    sources_json: Path
    roh_output: Path | None
    reference_fai: Path


@dataclass(frozen=True)
class AfLabel:
    """An AF column of the table and how the report heads it."""

    column: str
    label: str


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
    calling: dict[str, Any]
    sign_off: list[str]
    disclaimer: str
    max_tier4_rows: int
    links: dict[str, str] = field(default_factory=dict)

    def tier_counts(self, passing_only: bool = True) -> dict[int, int]:
        """Variants per tier (PASS calls only by default)."""
        counts = dict.fromkeys(TIER_TITLES, 0)
        for v in self.variants:
            if not passing_only or v.row.filter == "PASS":
                counts[v.clinical.tier] += 1
        return counts


@dataclass(frozen=True)
class SampleSummary:
    """What the run index shows for a sample (written beside the report as JSON)."""

    sample: str
    verdict: str
    problems: list[str]
    tiers: dict[int, int]
    roh_segments: int | None
    low_regions: int | None
    report: str
    files: dict[str, str]


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
    from labpipe.tools import check_all

    return {s.tool.name: s.version or "not found" for s in check_all()}


def build_sample_report(
    config: Mapping[str, Any],
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
    """
    sample = inputs.sample
    rows = {row.sample: row for row in read_qc_table(inputs.qc_table)}
    if sample not in rows:
        raise InputFormatError(f"{inputs.qc_table}: no row for sample '{sample}'")
    table = read_annotated_table(inputs.variants_tsv)
    verdict = qc_verdict(
        sample, rows[sample], variant_counts(v.row for v in table.variants), config["qc"]
    )
    sources = _read_json(inputs.sources_json)
    models = load_transcripts(settings.gff3) if settings.gff3 is not None else None
    targets = read_target_coverage(inputs.mosdepth_prefix, models)
    panels = [
        p for p in sources.get("panels", []) if not p.get("samples") or sample in p["samples"]
    ]
    threshold = float(config["qc"]["min_pct_target_20x"])
    bars, plotted_note = _gene_bars(targets, panels, threshold)

    segments: list[RohSegment] = []
    short = 0
    if inputs.roh_output is not None:
        every = read_roh(inputs.roh_output, sample)
        segments = reported_segments(every, settings.roh)
        short = len(every) - len(segments)
    roh = settings.roh
    column_labels = {c.column: c for c in settings.af_columns}
    several = len(settings.population) > 1
    af_labels = [
        AfLabel(
            column,
            (f"{column_labels[column].source_id} " if several else "") + column_labels[column].field
            if column in column_labels
            else column,
        )
        for column in table.af_columns
    ]
    moment = generated or datetime.now().astimezone()
    return SampleReport(
        lab_name=config["lab"]["name"],
        lab_id=config["lab"]["id"],
        sample=sample,
        generated=moment.strftime("%Y-%m-%d %H:%M %Z").strip(),
        version=__version__,
        reference=str(config["reference"]["fasta"]),
        build=str(config["reference"].get("build") or "not stated"),
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
        calling=dict(config["calling"]),
        sign_off=list(config["report"]["sign_off"]),
        disclaimer=str(config["report"]["disclaimer"]),
        max_tier4_rows=int(config["report"]["max_tier4_rows"]),
        links={
            "variant table (TSV)": f"../variants/{sample}.tsv",
            "variant workbook (XLSX)": f"../variants/{sample}.xlsx",
            "annotated VCF": f"../vcf/{sample}.annotated.vcf.gz",
            "run index": "index.html",
        },
    )


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


# ---------------------------------------------------------------------------- rendering

_CSS = """
:root { --ink:#1d1d1f; --muted:#5b5b60; --line:#cfd3da; --head:#eef1f6;
  --pass:#2e7d4f; --warn:#b06f00; --fail:#b3261e; --t1:#b3261e; --t2:#c46a00; --t3:#1f5f99; }
* { box-sizing:border-box; -webkit-print-color-adjust:exact; print-color-adjust:exact; }
html { font-family:"DejaVu Sans","Liberation Sans",Arial,sans-serif; color:var(--ink);
  font-size:13px; line-height:1.4; }
body { margin:0 auto; max-width:1040px; padding:20px 24px 40px; }
h1 { font-size:22px; margin:4px 0 8px; }
h2 { font-size:17px; margin:26px 0 8px; padding-bottom:3px; border-bottom:2px solid var(--ink); }
h3 { font-size:14px; margin:16px 0 6px; }
p { margin:6px 0; }
.muted, .small { color:var(--muted); }
.small { font-size:11px; }
header.top { display:flex; justify-content:space-between; align-items:flex-start; gap:16px;
  border-bottom:3px solid var(--ink); padding-bottom:10px; }
.lab { font-size:15px; font-weight:bold; letter-spacing:.02em; }
dl.meta { display:grid; grid-template-columns:max-content 1fr; gap:2px 12px; margin:8px 0 0; }
dl.meta dt { color:var(--muted); } dl.meta dd { margin:0; }
.verdict { border:3px solid; border-radius:8px; padding:8px 14px; text-align:center;
  min-width:150px; }
.verdict .word { font-size:26px; font-weight:bold; display:block; letter-spacing:.05em; }
.status-pass { color:var(--pass); border-color:var(--pass); }
.status-warn { color:var(--warn); border-color:var(--warn); }
.status-fail { color:var(--fail); border-color:var(--fail); }
.status-na { color:var(--muted); border-color:var(--line); }
.cards { display:flex; gap:10px; flex-wrap:wrap; margin:12px 0; }
.card { border:1px solid var(--line); border-radius:6px; padding:6px 12px; min-width:120px; }
.card b { display:block; font-size:20px; }
.card.t1 b { color:var(--t1); } .card.t2 b { color:var(--t2); } .card.t3 b { color:var(--t3); }
table { border-collapse:collapse; width:100%; margin:6px 0 10px; }
th, td { border:1px solid var(--line); padding:4px 6px; text-align:left; vertical-align:top; }
th { background:var(--head); font-size:12px; }
td { overflow-wrap:break-word; }
table.variant-table { table-layout:fixed; }
td.num { text-align:right; white-space:nowrap; }
tr { break-inside:avoid; }
.badge { display:inline-block; border-radius:4px; padding:0 5px; font-size:11px;
  font-weight:bold; border:1px solid; white-space:nowrap; }
.tier-1 { color:var(--t1); } .tier-2 { color:var(--t2); } .tier-3 { color:var(--t3); }
.tier-4 { color:var(--muted); }
.roh { color:var(--warn); }
.stars { color:#8a6d00; letter-spacing:1px; }
.hgvs { font-family:"DejaVu Sans Mono","Liberation Mono",monospace; font-size:12px; }
.plot { overflow-x:auto; }
.warnbox { border-left:4px solid var(--warn); background:#fff7e6; padding:6px 10px; margin:8px 0; }
.signoff { display:grid; grid-template-columns:1fr 1fr; gap:28px 40px; margin-top:16px; }
.signoff div { border-top:1px solid var(--ink); padding-top:4px; min-height:60px; }
footer { margin-top:28px; border-top:1px solid var(--line); padding-top:8px; }
details summary { cursor:pointer; color:var(--muted); }
code { font-family:"DejaVu Sans Mono","Liberation Mono",monospace; font-size:11px; }
@media print {
  html { font-size:9pt; }
  body { max-width:none; padding:0; }
  h2 { break-after:avoid; }
  h2, h3 { break-inside:avoid; }
  .plot svg { max-width:100%; height:auto; }
  .card, .signoff, svg, .verdict { break-inside:avoid; }
  details:not([open]) { display:none; }
  .screen-only { display:none; }
  a { color:inherit; text-decoration:none; }
}
"""


def _e(value: object) -> str:
    return escape(str(value), quote=True)


def _css_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


def _status_class(status: str) -> str:
    return {PASS: "status-pass", WARN: "status-warn", FAIL: "status-fail"}.get(status, "status-na")


def _stars(stars: int | None) -> str:
    if stars is None:
        return ""
    shown = "★" * stars + "☆" * (4 - stars)
    return f'<span class="stars" title="{stars} of 4 review stars">{shown}</span>'


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


_ZYGOSITY = {
    "het": ("Het", "heterozygous"),
    "hom_alt": ("Hom", "homozygous"),
    "hemizygous": ("Hemi", "hemizygous"),
}


def _zygosity(v: AnnotatedVariant) -> str:
    short, long = _ZYGOSITY.get(v.row.zygosity, (v.row.zygosity or "-", v.row.zygosity))
    text = f'<span title="{_e(long)}">{_e(short)}</span>'
    if v.row.genotype:
        text += f'<br><span class="small">{_e(v.row.genotype)}</span>'
    if v.clinical.roh_segment:
        text += f'<br><span class="badge roh" title="{_e(v.clinical.roh_segment)}">in ROH</span>'
    return text


def _depth(v: AnnotatedVariant) -> str:
    row = v.row
    parts = []
    if row.depth is not None:
        parts.append(f"{row.depth} reads")
    if row.allele_fraction is not None:
        parts.append(f"{row.allele_fraction * 100:.0f}% alt")
    text = "<br>".join(_e(p) for p in parts) or "-"
    if row.filter != "PASS":
        text += f'<br><span class="badge status-fail">{_e(row.filter)}</span>'
    return text


def _variant_rows(
    variants: Sequence[AnnotatedVariant], af_labels: Sequence[AfLabel], panels: bool
) -> str:
    outside = '<br><span class="badge tier-4">not in panel</span>'
    lines = []
    for v in variants:
        row, c = v.row, v.clinical
        hgvs = "<br>".join(_e(x) for x in (row.hgvs_c, row.hgvs_p) if x) or "-"
        clinvar = "not in ClinVar"
        if c.clinvar_significance:
            clinvar = (
                f"<b>{_e(_words(c.clinvar_significance))}</b> {_stars(c.clinvar_stars)}"
                f'<br><span class="small">{_e(_conditions(c.clinvar_condition))}'
                f"{' · ClinVar ' + _e(c.clinvar_id) if c.clinvar_id else ''}</span>"
            )
        afs = (
            "<br>".join(
                f"{_e(label.label)} {_e(_af(value))}"
                for label, value in zip(af_labels, c.population_afs, strict=True)
            )
            or "no source"
        )
        lines.append(
            "<tr>"
            f'<td><b>{_e(row.gene or "-")}</b><br><span class="small">{_e(row.transcript)}</span>'
            f"{outside if panels and row.gene and not c.in_panel else ''}</td>"
            f'<td><span class="hgvs">{hgvs}</span><br><span class="small">'
            f"{_e(row.chrom)}:{row.pos} {_e(row.ref)}&gt;{_e(row.alt)}</span></td>"
            f"<td>{_e(_words(row.consequence) or '-')}"
            f'<br><span class="small">{_e(c.tier_reason)}</span></td>'
            f"<td>{_zygosity(v)}</td>"
            f"<td>{_depth(v)}</td>"
            f"<td>{clinvar}</td>"
            f'<td class="small">{afs}</td>'
            "</tr>"
        )
    return "".join(lines)


def _variant_table(
    variants: Sequence[AnnotatedVariant], af_labels: Sequence[AfLabel], panels: bool = True
) -> str:
    return (
        '<table class="variant-table"><colgroup><col style="width:13%"><col style="width:20%">'
        '<col style="width:16%"><col style="width:8%"><col style="width:9%">'
        '<col style="width:20%"><col style="width:14%"></colgroup>'
        "<thead><tr><th>Gene / transcript</th><th>Variant (HGVS)</th><th>Consequence</th>"
        "<th>Zygo&shy;sity</th><th>Depth</th><th>ClinVar</th><th>Population AF</th></tr></thead>"
        f"<tbody>{_variant_rows(variants, af_labels, panels)}</tbody></table>"
    )


def _qc_section(report: SampleReport) -> str:
    verdict = report.verdict
    rows = "".join(
        "<tr>"
        f"<td>{_e(check.metric)}</td><td class='num'>{_e(check.shown)}</td>"
        f"<td>{_e(check.limits)}</td>"
        f'<td><span class="badge {_status_class(check.status)}">{_e(check.status.upper())}'
        f"</span>{'<br><span class=small>' + _e(check.note) + '</span>' if check.note else ''}"
        "</td></tr>"
        for check in verdict.checks
    )
    return (
        '<section id="qc"><h2>Quality control</h2>'
        f'<p>Verdict: <b class="{_status_class(verdict.overall)}" id="qc-verdict">'
        f"{verdict.overall.upper()}</b>. A metric beyond a <i>fail</i> limit fails the sample; "
        "beyond a <i>warn</i> limit it asks for a look. Limits are the lab's (config "
        "<code>qc</code>).</p>"
        "<table><thead><tr><th>Metric</th><th>Value</th><th>Limits</th><th>Status</th></tr>"
        f"</thead><tbody>{rows}</tbody></table></section>"
    )


def _coverage_section(report: SampleReport) -> str:
    parts = ['<section id="coverage"><h2>Coverage</h2>']
    if report.panels:
        names = ", ".join(f"{p['name']} ({len(p['genes'])} genes)" for p in report.panels)
        parts.append(f"<p>Gene panel: {_e(names)}.</p>")
    for panel in report.panels:
        if panel.get("unknown_genes"):
            parts.append(
                f'<p class="warnbox">Panel {_e(panel["name"])} lists genes the annotation '
                f"(GFF3) does not have: <b>{_e(', '.join(panel['unknown_genes']))}</b>. "
                "Check their spelling: they are not covered by this report.</p>"
            )
    if report.plotted_note:
        parts.append(f'<p class="small">{_e(report.plotted_note)}.</p>')
    if report.gene_bars:
        parts.append(
            '<div class="plot">'
            + coverage_bars(report.gene_bars, report.threshold_pct, REPORT_DEPTH)
            + "</div>"
        )
    low = report.low_regions
    parts.append(f"<h3>Target regions with bases below {REPORT_DEPTH}x ({len(low)})</h3>")
    if not low:
        parts.append(
            f"<p>Every base of all {report.target_count} target regions is covered at "
            f"{REPORT_DEPTH}x or more.</p>"
        )
    else:
        rows = "".join(
            "<tr>"
            f"<td>{_e(t.chrom)}:{t.start + 1:,}-{t.end:,}</td>"
            f"<td>{_e(', '.join(t.genes) or t.name or '-')}</td>"
            f"<td class='num'>{t.length:,}</td><td class='num'>{t.bases_below:,}</td>"
            f"<td class='num'>{t.pct_at_depth:.1f}%</td><td class='num'>{t.mean_depth:.1f}x</td>"
            "</tr>"
            for t in low
        )
        parts.append(
            f"<p>A variant in these {len(low)} of {report.target_count} target regions may "
            "have been missed.</p>"
            "<table><thead><tr><th>Region</th><th>Gene</th><th>Length (bp)</th>"
            f"<th>Bases &lt; {REPORT_DEPTH}x</th><th>% at {REPORT_DEPTH}x</th><th>Mean depth</th>"
            f"</tr></thead><tbody>{rows}</tbody></table>"
        )
    parts.append("</section>")
    return "".join(parts)


def _variants_section(report: SampleReport) -> str:
    passing = [v for v in report.variants if v.row.filter == "PASS"]
    failing = [v for v in report.variants if v.row.filter != "PASS" and v.clinical.tier < 4]
    parts = [
        '<section id="variants"><h2>Variants</h2>',
        f"<p>{len(passing)} variant alleles pass the call filters. Tiers 1-3 are listed here; "
        "each row gives the reason for its tier. The rules are under Methods.</p>",
    ]
    for tier in (1, 2, 3):
        mine = [v for v in passing if v.clinical.tier == tier]
        parts.append(
            f'<h3 class="tier-{tier}" id="tier-{tier}">Tier {tier}: {_e(TIER_TITLES[tier])} '
            f"({len(mine)})</h3>"
        )
        parts.append(
            _variant_table(mine, report.af_labels, bool(report.panels))
            if mine
            else "<p class='muted'>None.</p>"
        )
    if failing:
        parts.append(
            f"<h3>Tier 1-3 calls that failed the call filters ({len(failing)})</h3>"
            "<p>Low quality or depth: confirm (e.g. by Sanger sequencing) before reporting.</p>"
            + _variant_table(failing, report.af_labels, bool(report.panels))
        )
    tier4 = [v for v in passing if v.clinical.tier == 4]
    shown = tier4[: report.max_tier4_rows]
    more = f" The first {len(shown)} are listed." if len(shown) < len(tier4) else ""
    parts.append(
        f'<h3 class="tier-4" id="tier-4">Tier 4: {_e(TIER_TITLES[4])} ({len(tier4)})</h3>'
        f"<p class='small'>Common, outside the panel, or not changing the protein. All are "
        f"in the variant table and workbook.{more}</p>"
    )
    if shown:
        parts.append(
            f"<details><summary>Show the tier 4 variants</summary>"
            f"{_variant_table(shown, report.af_labels, bool(report.panels))}</details>"
        )
    parts.append("</section>")
    return "".join(parts)


def _roh_section(report: SampleReport) -> str:
    parts = ['<section id="roh"><h2>Runs of homozygosity</h2>']
    if not report.roh_enabled:
        parts.append("<p>Not assessed (annotation.roh.enabled is false).</p></section>")
        return "".join(parts)
    segments = report.segments
    total = sum(s.length for s in segments)
    flagged = [v for v in report.variants if v.clinical.roh_segment]
    parts.append(
        f"<p>Runs reported: {len(segments)} ({report.roh_rule}), "
        f"{total / 1e6:.2f} Mb in total"
        + (
            f"; {report.short_segments} shorter run(s) not reported"
            if report.short_segments
            else ""
        )
        + ". Long runs are expected when the parents are related; a homozygous variant inside "
        "one may be the cause of a recessive disease. Runs are estimated from variant sites only "
        "(bcftools roh), so on a small panel they are approximate.</p>"
    )
    if segments:
        rows = "".join(
            f"<tr><td>{_e(s.chrom)}</td><td class='num'>{s.start:,}</td>"
            f"<td class='num'>{s.end:,}</td><td class='num'>{s.length / 1e6:.2f}</td>"
            f"<td class='num'>{s.markers}</td><td class='num'>{s.quality:.1f}</td></tr>"
            for s in segments
        )
        parts.append(
            "<table><thead><tr><th>Contig</th><th>Start</th><th>End</th><th>Length (Mb)</th>"
            "<th>Variant sites</th><th>Quality</th></tr></thead>"
            f"<tbody>{rows}</tbody></table>"
        )
        marks = [(v.row.chrom, v.row.pos) for v in flagged if v.clinical.tier < 4]
        shown_contigs = [c for c in report.contigs if any(s.chrom == c[0] for s in segments)]
        parts.append(
            '<div class="plot">'
            + roh_ideogram(
                shown_contigs[:30],
                [IdeogramSegment(s.chrom, s.start, s.end) for s in segments],
                marks,
            )
            + "</div>"
        )
    parts.append(f"<h3>Homozygous variants inside a run ({len(flagged)})</h3>")
    if flagged:
        parts.append(_variant_table(flagged, report.af_labels, bool(report.panels)))
    else:
        parts.append("<p class='muted'>None.</p>")
    parts.append("</section>")
    return "".join(parts)


def _filters_text(calling: Mapping[str, Any]) -> str:
    """The soft filters of a run, for Methods."""
    from labpipe.workflow_support import soft_filters

    filters = soft_filters(calling)
    text = "; ".join(f"{f.name}: {f.meaning}" for f in filters) or "no filters"
    if calling.get("caller", "bcftools") == "bcftools" and calling.get("indel_second_opinion"):
        from labpipe.second_opinion import SHADOW_DISTANCE, SHADOW_FILTER

        text += (
            "). Indels had a second opinion from freebayes, run in windows around "
            "bcftools' indel candidates with the same settings: an indel freebayes called "
            "and bcftools missed or filtered was added or kept, INFO/CALLERS names the "
            f"callers of each indel, and an indel only bcftools called within "
            f"{SHADOW_DISTANCE} bp of a stronger indel call was filtered ({SHADOW_FILTER}"
        )
    return text


def _methods_section(report: SampleReport) -> str:
    sources = report.sources
    calling = report.calling
    caller = calling.get("caller", "bcftools")
    parts = [
        '<section id="methods"><h2>Methods and provenance</h2>',
        "<p>Reads were trimmed with fastp and aligned with bwa mem to the reference "
        f"<code>{_e(report.reference)}</code> ({_e(report.build)}); duplicates were marked with "
        f"samtools markdup. Variants were called with {_e(caller)} in the targets "
        f"padded by {_e(calling.get('target_padding'))} bp (minimum mapping quality "
        f"{_e(calling.get('min_mapq'))}, base quality {_e(calling.get('min_baseq'))}), "
        f"normalised with bcftools norm and soft-filtered ({_e(_filters_text(calling))}). "
        "Consequences are from bcftools csq; the reported transcript is MANE Select, else "
        "Ensembl canonical, else the one with the most severe consequence (then the longest "
        "CDS); HGVS names are computed by labpipe (3' rule applied). ClinVar and population "
        "frequencies are matched on normalised alleles (never on position alone). Coverage is "
        "from mosdepth; runs of homozygosity from bcftools roh.</p>",
        "<h3>Tier rules</h3><ul>"
        + "".join(
            f"<li><b>{_e(head)}:</b> {_e(rule)}</li>"
            for head, _, rule in (r.partition(": ") for r in sources.get("tiers", []))
        )
        + "</ul>",
        "<h3>Annotation sources</h3>",
    ]
    rows = []
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
    if rows:
        parts.append(
            "<table><thead><tr><th>Source</th><th>File</th><th>Details</th><th>sha256</th>"
            "</tr></thead><tbody>"
            + "".join(
                f"<tr><td>{_e(name)}</td><td class='small'>{_e(facts['path'])}<br>"
                f"{facts['bytes']:,} bytes, modified {_e(facts['modified'])}</td>"
                f"<td class='small'>{_e(detail)}</td>"
                f"<td><code title='{_e(facts.get('sha256') or '')}'>"
                f"{_e((facts.get('sha256') or 'not hashed (large file)')[:16])}</code></td></tr>"
                for name, facts, detail in rows
            )
            + "</tbody></table>"
        )
    else:
        parts.append("<p>No annotation sources configured.</p>")
    parts.append(
        "<h3>Software and configuration</h3><table><tbody>"
        f"<tr><th>labpipe</th><td>{_e(report.version)}</td></tr>"
        + "".join(
            f"<tr><th>{_e(name)}</th><td>{_e(version)}</td></tr>"
            for name, version in report.tools.items()
        )
        + f"<tr><th>Config sha256</th><td><code>{_e(report.config_sha256)}</code></td></tr>"
        f"<tr><th>Lab</th><td>{_e(report.lab_name)} ({_e(report.lab_id)})</td></tr>"
        "</tbody></table>"
        "<p class='small'>Checksums of every input and output are in "
        "<code>results/run_manifest.json</code>.</p></section>"
    )
    return "".join(parts)


def render_sample_report(report: SampleReport) -> str:
    """The report as one self-contained HTML document."""
    verdict = report.verdict
    counts = report.tier_counts()
    problems = verdict.problems()
    problem_text = (
        "; ".join(f"{c.metric} {c.shown} ({c.status})" for c in problems)
        if problems
        else "all metrics within the lab's limits"
    )
    page_css = (
        "@page { size:A4; margin:14mm 12mm 16mm 12mm;"
        f" @bottom-left {{ content:{_css_string(report.sample + ' · ' + report.lab_name)};"
        " font-size:8pt; color:#5b5b60; }"
        ' @bottom-right { content:"Page " counter(page) " of " counter(pages);'
        " font-size:8pt; color:#5b5b60; } }"
    )
    cards = "".join(
        f'<div class="card t{tier}"><b>{counts[tier]}</b>Tier {tier}</div>' for tier in (1, 2, 3)
    )
    roh_card = (
        f'<div class="card"><b>{len(report.segments)}</b>runs of homozygosity</div>'
        if report.roh_enabled
        else ""
    )
    links = " · ".join(
        f'<a href="{_e(href)}">{_e(name)}</a>' for name, href in report.links.items()
    )
    sign_off = "".join(
        f"<div>{_e(role)}<br><br><span class='small'>Name, signature and date</span></div>"
        for role in report.sign_off
    )
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(report.sample)} · germline variant report · {_e(report.lab_name)}</title>"
        f"<style>{_CSS}{page_css}</style></head><body>"
        '<header class="top"><div>'
        f'<div class="lab">{_e(report.lab_name)}</div>'
        f'<h1>Germline variant report: <span id="sample">{_e(report.sample)}</span></h1>'
        '<dl class="meta">'
        f"<dt>Sample</dt><dd>{_e(report.sample)}</dd>"
        f"<dt>Report date</dt><dd>{_e(report.generated)}</dd>"
        f"<dt>Reference</dt><dd>{_e(report.build)}</dd>"
        f"<dt>Panel</dt><dd>{_e(', '.join(p['name'] for p in report.panels) or 'none')}</dd>"
        f"<dt>labpipe</dt><dd>{_e(report.version)} (config {_e(report.config_sha256[:12])})</dd>"
        "</dl></div>"
        f'<div class="verdict {_status_class(verdict.overall)}" id="verdict">QC verdict'
        f'<span class="word">{verdict.overall.upper()}</span>'
        f'<span class="small">{_e(problem_text)}</span></div></header>'
        f'<div class="cards">{cards}{roh_card}'
        f'<div class="card"><b>{len(report.low_regions)}</b>regions below {REPORT_DEPTH}x</div>'
        "</div>"
        f'<p class="small screen-only">{links}</p>'
        + _qc_section(report)
        + _variants_section(report)
        + _coverage_section(report)
        + _roh_section(report)
        + _methods_section(report)
        + '<section id="sign-off"><h2>Sign-off</h2>'
        f'<div class="signoff">{sign_off}</div></section>'
        f'<footer class="small">{_e(report.disclaimer)}<br>'
        f"Generated by labpipe {_e(report.version)} on {_e(report.generated)} for "
        f"{_e(report.lab_name)}.</footer>"
        "</body></html>\n"
    )


def summarise(report: SampleReport) -> SampleSummary:
    """The index's line for a report."""
    return SampleSummary(
        sample=report.sample,
        verdict=report.verdict.overall,
        problems=[f"{c.metric} {c.shown} ({c.status})" for c in report.verdict.problems()],
        tiers=report.tier_counts(),
        roh_segments=len(report.segments),
        low_regions=len(report.low_regions),
        report=f"{report.sample}.html",
        files={k: v for k, v in report.links.items() if k != "run index"},
    )


def write_sample_report(
    config: Mapping[str, Any],
    settings: AnnotationSettings,
    inputs: ReportInputs,
    out_html: Path,
    out_summary: Path,
) -> SampleSummary:
    """Build, render and write one sample's report and its index summary (JSON)."""
    report = build_sample_report(config, settings, inputs)
    write_text_atomic(out_html, render_sample_report(report))
    summary = summarise(report)
    write_text_atomic(out_summary, json.dumps(asdict(summary), indent=2) + "\n")
    return summary


def read_summary(path: Path) -> SampleSummary:
    """A summary written by :func:`write_sample_report`."""
    data = _read_json(path)
    try:
        data["tiers"] = {int(k): v for k, v in data["tiers"].items()}
        known = {f.name for f in dataclasses.fields(SampleSummary)}
        return SampleSummary(**{k: v for k, v in data.items() if k in known})
    except (KeyError, TypeError, ValueError) as exc:
        raise InputFormatError(f"{path}: not a labpipe report summary ({exc})") from exc


def render_index(
    lab_name: str,
    summaries: Sequence[SampleSummary],
    multiqc: str,
    generated: str,
    config_hash: str,
) -> str:
    """The run's ``index.html``: every sample's verdict and tier counts, with links."""
    rows = "".join(
        "<tr>"
        + (f'<td><a href="{_e(s.report)}"><b>{_e(s.sample)}</b></a></td>' if s.report else "")
        + (f"<td><b>{_e(s.sample)}</b></td>" if not s.report else "")
        + f'<td><span class="badge {_status_class(s.verdict)}">{_e(s.verdict.upper())}</span>'
        f"{'<br><span class=small>' + _e('; '.join(s.problems)) + '</span>' if s.problems else ''}"
        "</td>"
        + "".join(
            f"<td class='num tier-{t}'>{s.tiers.get(t, 0) if s.report else '—'}</td>"
            for t in (1, 2, 3)
        )
        + f"<td class='num'>{_count(s.roh_segments)}</td>"
        f"<td class='num'>{_count(s.low_regions)}</td>"
        f"<td class='small'>"
        + " · ".join(f'<a href="{_e(href)}">{_e(name)}</a>' for name, href in s.files.items())
        + "</td></tr>"
        for s in summaries
    )
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>labpipe run · {_e(lab_name)}</title><style>{_CSS}"
        "@page { size:A4; margin:14mm 12mm; }</style></head><body>"
        f'<header class="top"><div><div class="lab">{_e(lab_name)}</div>'
        f"<h1>Germline variant reports of this run ({len(summaries)} samples)</h1>"
        f'<p class="small">Generated {_e(generated)} by labpipe {_e(__version__)} · config '
        f"<code>{_e(config_hash[:12])}</code></p></div></header>"
        "<table><thead><tr><th>Sample report</th><th>QC verdict</th><th>Tier 1</th>"
        "<th>Tier 2</th><th>Tier 3</th><th>ROH runs</th>"
        f"<th>Regions &lt; {REPORT_DEPTH}x</th><th>Files</th></tr></thead>"
        f"<tbody>{rows}</tbody></table>"
        f'<p>Run-level quality control: <a href="{_e(multiqc)}">MultiQC report</a> '
        "(fastp, samtools, mosdepth and bcftools statistics of every sample).</p>"
        "<p class='small'>Tier counts are of PASS calls. Each sample's report has the "
        "variants, coverage, runs of homozygosity and methods.</p>"
        "</body></html>\n"
    )


def _count(value: int | None) -> str:
    """A count for the index; a sample without results has none (not zero)."""
    return "—" if value is None else str(value)


def write_run_index(
    config: Mapping[str, Any], summaries: Sequence[Path], multiqc: str, out_html: Path
) -> None:
    """Write ``index.html`` from the samples' report summaries.

    Args:
        config: The resolved lab config.
        summaries: ``<sample>.summary.json`` files, in sample-sheet order.
        multiqc: Link to the MultiQC report, relative to ``out_html``.
        out_html: ``results/report/index.html``.
    """
    text = render_index(
        config["lab"]["name"],
        [read_summary(path) for path in summaries],
        multiqc,
        datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z").strip(),
        config_sha256(config),
    )
    write_text_atomic(out_html, text)
