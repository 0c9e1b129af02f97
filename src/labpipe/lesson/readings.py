"""The one number each step of the narrated demo reads from its output.

Each reader takes the run's output folder and the :class:`Focus` (the sample, lane and
variant the narration follows) and returns the fields its sentence in
:mod:`labpipe.lesson.narration` fills in. Every figure is read from the file the step wrote,
with the package's own parsers (fastp, flagstat, markdup and mosdepth readers of
:mod:`labpipe.qc.tool_reports`, csq's BCSQ of :mod:`labpipe.annotation.csq_choice`), so that
what the class is told is what the file says.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from labpipe.core import layout
from labpipe.core.alleles import AlleleKey
from labpipe.core.errors import InputFormatError
from labpipe.core.i18n import _

Fields = dict[str, object]


@dataclass(frozen=True)
class Variant:
    """A row of the sample's variant table (``results/variants/{sample}.tsv``).

    Attributes:
        allele: Where and what, as the table (normalised like the VCF) writes it.
    """

    allele: AlleleKey
    gene: str
    tier: str
    reason: str


@dataclass(frozen=True)
class Focus:
    """What the narration follows: one sample, its first lane, one variant of its table."""

    sample: str
    unit: str
    variant: Variant | None


Reader = Callable[[Path, Focus], Fields]


def first_unit(outdir: Path, sample: str) -> str:
    """The sample's first lane, by its fastp report's name.

    Raises:
        InputFormatError: When the run wrote no fastp report for the sample.
    """
    prefix = layout.in_outdir(outdir, layout.FASTP_JSON, sample=sample, unit="*")
    found = sorted(prefix.parent.glob(prefix.name))
    if not found:
        raise InputFormatError(
            _("%(folder)s: no fastp report of sample %(sample)s")
            % {"folder": prefix.parent, "sample": sample}
        )
    return found[0].name[len(sample) + 1 : -len(".fastp.json")]


def most_important_variant(outdir: Path, sample: str) -> Variant | None:
    """The table's first PASS call of the lowest (most important) tier; None without one."""
    table = layout.in_outdir(outdir, layout.VARIANTS_TSV, sample=sample)
    with open(table, newline="") as handle:
        rows = [r for r in csv.DictReader(handle, delimiter="\t") if r["filter"] == "PASS"]
    tiered = [r for r in rows if r["tier"].isdigit()]
    if not tiered:
        return None
    row = min(tiered, key=lambda r: int(r["tier"]))  # min keeps the first of equals
    allele = AlleleKey(row["chrom"], int(row["pos"]), row["ref"], row["alt"])
    return Variant(allele, row["gene"], row["tier"], row["tier_reason"])


def fastp_reads(outdir: Path, focus: Focus) -> Fields:
    """Reads in and reads passing fastp's filters, for the focus lane."""
    from labpipe.qc.tool_reports import read_fastp_json

    fastp = read_fastp_json(
        layout.in_outdir(outdir, layout.FASTP_JSON, sample=focus.sample, unit=focus.unit)
    )
    return {"passed": fastp.reads_after_filter, "total": fastp.raw_reads, "unit": focus.unit}


def mapped_reads(outdir: Path, focus: Focus) -> Fields:
    """Mapped % of the primary reads (samtools flagstat)."""
    from labpipe.qc.tool_reports import percent, read_flagstat_json

    flagstat = read_flagstat_json(
        layout.in_outdir(outdir, layout.FLAGSTAT_JSON, sample=focus.sample)
    )
    return {
        "mapped_pct": percent(flagstat.primary_mapped, flagstat.primary),
        "reads": flagstat.primary,
    }


def duplicates(outdir: Path, focus: Focus) -> Fields:
    """Reads marked as duplicates (samtools markdup's statistics)."""
    from labpipe.qc.tool_reports import percent, read_markdup_stats

    stats = read_markdup_stats(layout.in_outdir(outdir, layout.MARKDUP_STATS, sample=focus.sample))
    return {
        "duplicates": stats.duplicate_total,
        "reads": stats.read,
        "pct": percent(stats.duplicate_total, stats.read),
    }


def target_depth(outdir: Path, focus: Focus) -> Fields:
    """Mean depth over the targets (mosdepth)."""
    from labpipe.qc.tool_reports import read_mosdepth_targets

    coverage = read_mosdepth_targets(
        layout.in_outdir(outdir, layout.MOSDEPTH_PREFIX, sample=focus.sample)
    )
    return {"mean": coverage.mean_depth, "bases": coverage.target_bases}


def _vcf_filters(outdir: Path, sample: str) -> list[tuple[tuple[str, ...], str]]:
    """Each record's FILTER values and INFO/CALLERS, in file order."""
    import pysam

    path = layout.in_outdir(outdir, layout.VCF, sample=sample)
    # htslib's warnings on bcftools' own header lines (MQ's type) mean nothing to a class.
    verbosity = pysam.set_verbosity(0)
    try:
        vcf = pysam.VariantFile(str(path))
    finally:
        pysam.set_verbosity(verbosity)
    with vcf:
        return [
            (tuple(str(name) for name in record.filter), str(record.info.get("CALLERS", "")))
            for record in vcf
        ]


def vcf_records(outdir: Path, focus: Focus) -> Fields:
    """Records in the sample's VCF."""
    return {"records": len(_vcf_filters(outdir, focus.sample))}


def second_opinion(outdir: Path, focus: Focus) -> Fields:
    """Records freebayes called too, or added (INFO/CALLERS names it)."""
    records = _vcf_filters(outdir, focus.sample)
    return {"confirmed": sum("freebayes" in callers for _, callers in records)}


def soft_filters(outdir: Path, focus: Focus) -> Fields:
    """Records that PASS and records with a soft filter."""
    records = _vcf_filters(outdir, focus.sample)
    passed = sum(filters == ("PASS",) for filters, _ in records)
    return {"records": len(records), "passed": passed, "filtered": len(records) - passed}


def consequence(outdir: Path, focus: Focus) -> Fields:
    """csq's consequence of the focus variant (INFO/BCSQ of the annotated VCF).

    Raises:
        InputFormatError: No variant to follow, or csq wrote nothing for it.
    """
    import pysam

    from labpipe.annotation.csq_choice import CsqEntry, entries_for_allele

    allele = _focus_variant(focus).allele
    path = layout.in_outdir(outdir, layout.ANNOTATED_VCF, sample=focus.sample)
    with pysam.VariantFile(str(path)) as vcf:
        for record in vcf.fetch(allele.chrom, allele.pos - 1, allele.pos):
            alts = list(record.alts or ())
            if record.pos != allele.pos or record.ref != allele.ref or allele.alt not in alts:
                continue
            entries = [CsqEntry.parse(str(item)) for item in record.info.get("BCSQ", ())]
            mine = entries_for_allele(entries, record.pos, record.ref, alts, allele.alt)
            if mine:
                return {
                    "variant": str(allele),
                    "consequence": mine[0].consequence,
                    "gene": mine[0].gene,
                }
    raise InputFormatError(
        _("%(path)s: no BCSQ consequence for %(variant)s") % {"path": path, "variant": allele}
    )


def tier(outdir: Path, focus: Focus) -> Fields:
    """The focus variant's tier and the rule that gave it (variant table; the table's English
    reason in the current language, as the report shows it)."""
    from labpipe.annotation.tiers import reason_in_words

    variant = _focus_variant(focus)
    return {
        "variant": str(variant.allele),
        "gene": variant.gene or "-",
        "tier": variant.tier,
        "reason": reason_in_words(variant.reason),
    }


def report_status(outdir: Path, focus: Focus) -> Fields:
    """The report's status, QC verdict and tier counts (``{sample}.summary.json``)."""
    from labpipe.report.html import status_word
    from labpipe.report.run_index import read_summary

    summary = read_summary(layout.in_outdir(outdir, layout.REPORT_SUMMARY, sample=focus.sample))
    # No counts where the report gives none (not reportable, not interpreted): "-", not 0.
    tiers = summary.tiers
    return {
        # The words the report itself shows (REPORTABLE, PASS), in the report's language.
        "status": _(status_word(summary.status)),
        "qc": _(status_word(summary.qc_verdict)),
        **{f"tier{n}": "-" if tiers is None else tiers.get(n, 0) for n in (1, 2, 3)},
    }


def _focus_variant(focus: Focus) -> Variant:
    if focus.variant is None:
        raise InputFormatError(
            _("sample %(sample)s has no tiered PASS call to follow") % {"sample": focus.sample}
        )
    return focus.variant
