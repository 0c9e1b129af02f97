"""A variant and the result as the report words them: one row per variant
(:func:`variant_view`) and the result summary sentences (:func:`result_summary`).
"""

from __future__ import annotations

from labpipe.annotation.annotated_table import AnnotatedVariant
from labpipe.annotation.confidence import flag_in_words
from labpipe.annotation.tiers import FREQUENCY_UNKNOWN, reason_in_words
from labpipe.core.i18n import N_, _, left_to_right
from labpipe.qc.check import WARN
from labpipe.qc.gene_coverage import (
    REPORT_DEPTH,
)
from labpipe.report.contents import NOT_INTERPRETED, NOT_REPORTABLE, SampleReport, VariantView

_ZYGOSITY = {
    "het": ("Het", N_("heterozygous")),
    "hom_alt": ("Hom", N_("homozygous")),
    "hemizygous": ("Hemi", N_("hemizygous")),
}
# ClinVar's words for a tier-1 call, as the result sentence says them.
_SIGNIFICANCE = {
    "pathogenic": N_("pathogenic"),
    "likely pathogenic": N_("likely pathogenic"),
    "pathogenic/likely pathogenic": N_("pathogenic/likely pathogenic"),
}


def plain_words(text: str) -> str:
    """ClinVar and csq spell with underscores; people read spaces."""
    return text.replace("_", " ")


def _conditions(text: str) -> str:
    names = [
        plain_words(n).strip()
        for n in text.split("|")
        if n and n.lower() not in ("not_provided", "not_specified")
    ]
    more = _(" (+%(count)s more)") % {"count": len(names) - 3} if len(names) > 3 else ""
    return "; ".join(names[:3]) + more


def _af(value: float | None) -> str:
    if value is None:
        return _("absent")
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
    depth = [_("%(count)s reads") % {"count": row.depth}] if row.depth is not None else []
    if row.allele_fraction is not None:
        depth.append(_("%(pct)s%% alt") % {"pct": f"{row.allele_fraction * 100:.0f}"})
    frequency = (
        _("frequency unknown (no population source)") if c.frequency == FREQUENCY_UNKNOWN else ""
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
        consequence=plain_words(row.consequence) or "-",
        tier=c.tier,
        tier_reason=reason_in_words(c.tier_reason),
        zygosity=short,
        zygosity_long=long,
        genotype=row.genotype,
        roh_segment=c.roh_segment,
        depth=", ".join(depth) or "-",
        filter="" if row.filter == "PASS" else row.filter,
        clinvar=plain_words(c.clinvar_significance),
        clinvar_stars=c.clinvar_stars,
        clinvar_conditions=_conditions(c.clinvar_condition),
        clinvar_id=c.clinvar_id,
        afs=[
            (label.label, _af(value))
            for label, value in zip(report.af_labels, c.population_afs, strict=True)
        ],
        frequency=frequency,
        confidence=flag_in_words(c.confidence),
        confidence_detail=flag_in_words(c.confidence.partition(": ")[2]),
        inheritance=c.inheritance,
        inheritance_note=c.inheritance_note,
        inheritance_caution=(
            report.family_qc.caution(report.sample, c.inheritance, own=False)
            if report.family_qc
            else ""
        ),
    )


def _finding(report: SampleReport, variant: AnnotatedVariant) -> str:
    """``a heterozygous pathogenic variant in HBB, ENST….1:c.1100C>T p.(Arg12Ter)``."""
    view = variant_view(report, variant)
    significance = view.clinvar.lower() or "pathogenic"
    names = " ".join(x for x in (view.hgvs_c or view.position, view.hgvs_p) if x)
    return _("a %(zygosity)s %(significance)s variant in %(gene)s, %(names)s") % {
        "zygosity": _(view.zygosity_long) if view.zygosity_long else _("called"),
        "significance": _(_SIGNIFICANCE.get(significance, significance)),
        "gene": left_to_right(view.gene),
        "names": left_to_right(names),
    }


def result_summary(report: SampleReport) -> list[str]:
    """The result in sentences, generated from the status, tiers and QC."""
    status = report.status
    if status == NOT_REPORTABLE:
        return [
            _(
                "No result is reported: the sample failed quality control (%(reasons)s)."
                " Repeat or review the sample; the calls below are for the laboratory's"
                " review only."
            )
            % {"reasons": "; ".join(report.fail_reasons())}
        ]
    if status == NOT_INTERPRETED:
        names = [m.name for m in report.missing]
        listed = " or ".join([", ".join(names[:-1]), names[-1]] if len(names) > 1 else names)
        return [
            _(
                "The variants were called but not interpreted: this run had no %(sources)s"
                " source. No conclusion about the presence or absence of a pathogenic variant"
                " can be drawn from this report."
            )
            % {"sources": listed}
        ] + (
            [
                _(
                    "ClinVar lists %(count)s of the calls as pathogenic or likely pathogenic"
                    " (first in the list below); they are unreviewed."
                )
                % {"count": len(known)}
            ]
            if (known := [v for v in report.passing() if v.clinical.tier == 1])
            else []
        )
    sentences = []
    tier1 = report.in_tier(1)
    if not tier1:
        sentences.append(
            _(
                "No pathogenic or likely pathogenic variant was found in the %(genes)s genes"
                " analysed."
            )
            % {"genes": report.genes_analysed}
        )
    elif len(tier1) == 1:
        finding = _("%(finding)s was found.") % {"finding": _finding(report, tier1[0])}
        sentences.append(f"{finding[0].upper()}{finding[1:]}")
    else:
        sentences.append(
            _("%(count)s pathogenic or likely pathogenic variants were found: %(findings)s.")
            % {"count": len(tier1), "findings": "; ".join(_finding(report, v) for v in tier1)}
        )
    review = len(report.in_tier(2)) + len(report.in_tier(3))
    if review:
        sentences.append(
            _(
                "%(count)s rare coding variant(s) in panel genes (tiers 2 and 3) are listed for"
                " review; they are not classified."
            )
            % {"count": review}
        )
    confirm = [v for t in (1, 2, 3) for v in report.in_tier(t) if v.clinical.confidence]
    if confirm:
        sentences.append(
            _(
                "%(count)s of these call(s) are below the laboratory's depth or allele-fraction"
                " thresholds: confirm orthogonally before reporting."
            )
            % {"count": len(confirm)}
        )
    if report.incidental():
        sentences.append(
            _("%(count)s incidental finding(s) outside the ordered panel are listed separately.")
            % {"count": len(report.incidental())}
        )
    if report.low_regions:
        sentences.append(
            _(
                "%(count)s target region(s) were covered below %(depth)sx; a variant there may"
                " have been missed."
            )
            % {"count": len(report.low_regions), "depth": REPORT_DEPTH}
        )
    if report.verdict.overall == WARN:
        sentences.append(
            _("QC warning: %(reasons)s.") % {"reasons": "; ".join(report.qc_reasons())}
        )
    return sentences
