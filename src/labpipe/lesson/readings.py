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
import itertools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from labpipe.core import layout
from labpipe.core.alleles import AlleleKey
from labpipe.core.errors import InputFormatError
from labpipe.core.i18n import _

if TYPE_CHECKING:
    from labpipe.annotation.csq_choice import CsqEntry

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


def most_severe_call(outdir: Path, sample: str) -> Variant | None:
    """The first PASS call with the most severe consequence in csq's VCF; None without one.

    Chosen before any tier exists, so that the lesson follows one variant from its
    consequence to its tier and the report. Its tier and reason are left empty until
    :func:`table_variant` reads them.
    """
    best: tuple[int, Variant] | None = None
    with _open_vcf(layout.in_outdir(outdir, layout.CSQ_VCF, sample=sample)) as vcf:
        for record in vcf:
            if tuple(record.filter) != ("PASS",):
                continue
            for alt in record.alts or ():
                worst = _most_severe(record, str(alt))
                if worst is None:
                    continue
                if best is None or worst.severity < best[0]:
                    allele = AlleleKey(record.chrom, record.pos, record.ref, str(alt))
                    best = (worst.severity, Variant(allele, worst.gene, "", ""))
    return None if best is None else best[1]


def _most_severe(record: Any, alt: str) -> CsqEntry | None:
    """csq's most severe consequence (the first of equals) of one ALT of a pysam record."""
    from labpipe.annotation.csq_choice import CsqEntry, entries_for_allele

    entries = [CsqEntry.parse(str(item)) for item in record.info.get("BCSQ", ())]
    alts = [str(a) for a in record.alts or ()]
    mine = entries_for_allele(entries, record.pos, record.ref, alts, alt)
    return min(mine, key=lambda entry: entry.severity) if mine else None


def table_variant(outdir: Path, sample: str, allele: AlleleKey) -> Variant | None:
    """The row of the sample's variant table for ``allele``; None when it has none."""
    table = layout.in_outdir(outdir, layout.VARIANTS_TSV, sample=sample)
    with open(table, newline="") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            if AlleleKey(row["chrom"], int(row["pos"]), row["ref"], row["alt"]) == allele:
                return Variant(allele, row["gene"], row["tier"] or "-", row["tier_reason"])
    return None


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


def _open_vcf(path: Path) -> Any:
    """A VCF/BCF opened with pysam, quietly."""
    import pysam

    # htslib's warnings on bcftools' own header lines (MQ's type) mean nothing to a class.
    verbosity = pysam.set_verbosity(0)
    try:
        return pysam.VariantFile(str(path))
    finally:
        pysam.set_verbosity(verbosity)


def _vcf_filters(outdir: Path, sample: str) -> list[tuple[str, ...]]:
    """Each record's FILTER values, in file order."""
    with _open_vcf(layout.in_outdir(outdir, layout.VCF, sample=sample)) as vcf:
        return [tuple(str(name) for name in record.filter) for record in vcf]


def _record_count(path: Path) -> int:
    """Records in a VCF/BCF; an empty file (a step that had nothing to write) holds none."""
    if path.stat().st_size == 0:
        return 0
    with _open_vcf(path) as vcf:
        return sum(1 for _ in vcf)


def chunk_calls(outdir: Path, focus: Focus) -> Fields:
    """Records the caller wrote for the sample, over all its chunks (numbered from 0).

    Raises:
        InputFormatError: The run kept no chunk of the sample.
    """
    chunks = []
    for number in itertools.count():
        chunk = layout.in_outdir(outdir, layout.CHUNK_BCF, sample=focus.sample, chunk=str(number))
        if not chunk.exists():
            break
        chunks.append(chunk)
    if not chunks:
        raise InputFormatError(
            _("%(folder)s: no calling chunk of sample %(sample)s")
            % {"folder": chunk.parent, "sample": focus.sample}
        )
    return {"records": sum(_record_count(c) for c in chunks), "chunks": len(chunks)}


def freebayes_calls(outdir: Path, focus: Focus) -> Fields:
    """Records freebayes wrote, and the windows around bcftools' indels it looked in."""
    windows = layout.in_outdir(outdir, layout.SECOND_OPINION_WINDOWS, sample=focus.sample)
    lines = windows.read_text().splitlines()
    bcf = layout.in_outdir(outdir, layout.SECOND_OPINION_BCF, sample=focus.sample)
    return {"records": _record_count(bcf), "windows": sum(bool(line.strip()) for line in lines)}


def soft_filters(outdir: Path, focus: Focus) -> Fields:
    """Records that PASS and records with a soft filter."""
    records = _vcf_filters(outdir, focus.sample)
    passed = sum(filters == ("PASS",) for filters in records)
    return {"records": len(records), "passed": passed, "filtered": len(records) - passed}


def consequence(outdir: Path, focus: Focus) -> Fields:
    """csq's consequence of the focus variant (INFO/BCSQ of csq's VCF).

    Raises:
        InputFormatError: No variant to follow, or csq wrote nothing for it.
    """
    allele = _focus_variant(focus).allele
    path = layout.in_outdir(outdir, layout.CSQ_VCF, sample=focus.sample)
    # csq's VCF has no index (it lives only until annotation reads it): read it through.
    with _open_vcf(path) as vcf:
        for record in vcf:
            alts = [str(alt) for alt in record.alts or ()]
            if (record.chrom, record.pos, record.ref) != (allele.chrom, allele.pos, allele.ref):
                continue
            if allele.alt not in alts:
                continue
            worst = _most_severe(record, allele.alt)
            if worst is not None:
                return {
                    "variant": str(allele),
                    "consequence": worst.consequence,
                    "gene": worst.gene,
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
            _("sample %(sample)s has no PASS call with a consequence to follow")
            % {"sample": focus.sample}
        )
    return focus.variant
