"""The per-sample clinical report rendered and written; the Jinja2 templates lay it out.

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

Python builds the data (:func:`labpipe.report.build.build_sample_report`); Jinja2 templates in
``labpipe/templates`` lay it out with autoescaping, so every value from a
config, sample sheet, GFF3, ClinVar or population file is escaped in HTML,
attributes and CSS (:func:`css_string`). The run's ``index.html`` is
:mod:`labpipe.report.run_index`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from labpipe.annotation.annotate import AnnotationSettings
from labpipe.annotation.annotated_table import AnnotatedVariant
from labpipe.annotation.tiers import TIER_TITLES, rule_in_words
from labpipe.config.lab import CallingConfig, LabConfig
from labpipe.core.atomic import write_text_atomic
from labpipe.core.i18n import (
    ENGLISH,
    N_,
    _,
    choose_language,
    format_number,
    html_lang,
    is_right_to_left,
    ngettext,
    translations,
    using_language,
)
from labpipe.qc.check import FAIL, PASS, WARN
from labpipe.qc.gene_coverage import (
    REPORT_DEPTH,
)
from labpipe.report.build import build_sample_report
from labpipe.report.contents import (
    NO_RESULT,
    NOT_INTERPRETED,
    NOT_REPORTABLE,
    REPORTABLE,
    ReportInputs,
    SampleReport,
    SampleSummary,
    VariantView,
    summarise,
)
from labpipe.report.svg_plots import IdeogramSegment, coverage_bars, roh_ideogram
from labpipe.report.views import plain_words, result_summary, variant_view


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


#: The status and verdict words as the report shows them (upper case, spaces for
#: underscores), marked here for the catalogs and translated where shown.
STATUS_WORDS = (
    N_("PASS"),
    N_("WARN"),
    N_("FAIL"),
    N_("NOT ASSESSED"),
    N_("REPORTABLE"),
    N_("NOT REPORTABLE"),
    N_("NOT INTERPRETED"),
    N_("NO RESULT"),
)


def status_word(status: str) -> str:
    """``not_reportable`` or ``NOT_REPORTABLE`` as the report shows it: ``NOT REPORTABLE``."""
    return status.replace("_", " ").upper()


@cache
def templates(language: str = ENGLISH) -> jinja2.Environment:
    """The report templates, their marked strings in ``language`` (one environment each)."""
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("labpipe", "templates"),
        autoescape=True,  # every template, the CSS included, is escaped by default
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n"],
    )
    # Whitespace inside {% trans %} is collapsed, as scripts/i18n_catalogs.py extracts it.
    environment.policies["ext.i18n.trimmed"] = True
    messages = translations(language)
    environment.install_gettext_callables(  # type: ignore[attr-defined]
        messages.gettext, messages.ngettext, newstyle=True
    )
    environment.filters["css_string"] = css_string
    environment.filters["status_class"] = _status_class
    environment.filters["words"] = plain_words
    environment.filters["status_words"] = lambda status: messages.gettext(status_word(status))
    # Words from a table or the config (tier titles, default limitations): translated when the
    # catalog has them, never %-formatted (a lab's own text may hold a "%").
    environment.filters["tr"] = lambda text: messages.gettext(text) if text else text
    environment.filters["rule_words"] = lambda rule: _in(language, rule_in_words, rule)
    environment.filters["num"] = lambda value, digits=0: format_number(value, digits, language)
    environment.globals.update(
        lang=html_lang(language),
        direction="rtl" if is_right_to_left(language) else "ltr",
        # The printed page number, "Page N of M", in three pieces around CSS counters.
        page_of=messages.gettext("Page | of |").split("|"),
        tier4_sheet=messages.gettext("Tier %(tier)s") % {"tier": 4},
    )
    return environment


def _in(language: str, words: Callable[[str], str], text: str) -> str:
    """``words(text)`` in ``language`` (a template renders in its own language)."""
    with using_language(language):
        return words(text)


#: The English templates (kept for callers that render without a language).
TEMPLATES = templates(ENGLISH)


def _svg(text: str) -> Markup:
    """An SVG from :mod:`labpipe.report.svg_plots`, which escapes every label itself."""
    return Markup(text)


def render_sample_report(report: SampleReport, language: str = ENGLISH) -> str:
    """The report as one self-contained HTML document, in ``language``."""
    with using_language(language):  # the sentences Python words (views) too
        return _render_sample_report(report, language)


def _render_sample_report(report: SampleReport, language: str) -> str:
    status = report.status
    passing = report.passing()
    tier4 = report.in_tier(4)
    failing = [v for v in report.variants if v.row.filter != "PASS" and v.clinical.tier < 4]
    flagged = [v for v in report.variants if v.clinical.roh_segment]
    low_shown = sorted(report.low_regions, key=lambda t: (t.pct_at_depth, -t.bases_below))[
        : report.max_low_regions
    ]
    segments = report.segments
    # Every contig bcftools roh assessed, so that a chromosome without runs shows as such.
    assessed = set(report.autozygosity.contigs if report.autozygosity else ())
    assessed |= {s.chrom for s in segments}
    shown_contigs = [c for c in report.contigs if c[0] in assessed]
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
        if shown_contigs
        else None,
    }

    def views(variants: Sequence[AnnotatedVariant]) -> list[VariantView]:
        return [variant_view(report, v) for v in variants]

    # Not reportable or not interpreted: the calls as one flat list, most notable first.
    flat = sorted(passing, key=lambda v: v.clinical.tier)
    template = templates(language).get_template("sample_report.html")
    return template.render(
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
            _("no ClinVar source")
            if any(m.key == "annotation.clinvar" for m in report.missing)
            else _("not in ClinVar")
        ),
    )


def _annotation_rows(sources: Mapping[str, Any]) -> list[tuple[str, dict[str, Any], str]]:
    from labpipe.annotation.sources import facts_in_words

    rows: list[tuple[str, dict[str, Any], str]] = []
    if "gff3" in sources:
        rows.append((_("Gene models (GFF3)"), sources["gff3"], ""))
    for source in sources.get("sources", []):
        detail = "; ".join(
            str(x)
            for x in (
                source.get("fileDate") and _("file date %(date)s") % {"date": source["fileDate"]},
                ", ".join(facts_in_words(field) for field in source.get("fields", [])),
                source.get("contig_naming") and facts_in_words(source["contig_naming"]),
            )
            if x
        )
        rows.append((source.get("name") or source["role"], source, detail))
    for panel in sources.get("panels", []):
        applies = ", ".join(panel["samples"]) if panel.get("samples") else _("all samples")
        genes = ngettext("%(count)s gene", "%(count)s genes", len(panel["genes"])) % {
            "count": len(panel["genes"])
        }
        rows.append((_("Panel: %(name)s") % {"name": panel["name"]}, panel, f"{genes}; {applies}"))
    return rows


def _filters_text(calling: CallingConfig) -> str:
    """The soft filters of a run, for Methods (in the current language)."""
    from labpipe.calling.filters import meaning_in_words, soft_filters

    filters = soft_filters(calling)
    text = "; ".join(f"{f.name}: {meaning_in_words(f.meaning)}" for f in filters) or _("no filters")
    if calling.second_opinion:
        from labpipe.calling.second_opinion import SHADOW_DISTANCE, SHADOW_FILTER

        text += _(
            "). Indels had a second opinion from freebayes, run in windows around"
            " bcftools' indel candidates with the same settings: an indel freebayes called"
            " and bcftools missed or filtered was added or kept, INFO/CALLERS names the"
            " callers of each indel, and an indel only bcftools called within %(distance)s bp"
            " of a stronger indel call was filtered (%(filter)s"
        ) % {"distance": SHADOW_DISTANCE, "filter": SHADOW_FILTER}
    return text


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
    language = choose_language(config.report.language)
    report = build_sample_report(config, settings, inputs, language=language)
    write_low_regions(report, out_html.with_name(f"{report.sample}.low_regions.tsv"))
    write_text_atomic(out_html, render_sample_report(report, language))
    with using_language(language):  # summary.json's reasons read as the report's
        summary = summarise(report)
    write_text_atomic(out_summary, json.dumps(asdict(summary), indent=2) + "\n")
    return summary
