"""What ``labpipe evaluate`` prints and writes: the summary, ``evaluation.json`` and the
discordant records as VCFs.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import pysam

from labpipe import __version__
from labpipe.core.atomic import atomic_path, write_text_atomic
from labpipe.core.errors import UsageError
from labpipe.evaluation.scores import (
    CLASSES,
    Evaluation,
    GenotypeMismatch,
    VariantRecord,
    variant_class,
)

#: Names of the files :func:`write_evaluation` writes into its folder.
REPORT_JSON = "evaluation.json"
FP_VCF = "false_positives.vcf.gz"
FN_VCF = "false_negatives.vcf.gz"
GT_VCF = "genotype_mismatches.vcf.gz"


def format_evaluation(evaluation: Evaluation, max_listed: int = 10) -> str:
    """A short human summary: one line per class, then the first discordant records.

    Args:
        evaluation: The result of :func:`evaluate`.
        max_listed: How many records of each discordant kind to list (0 for none).
    """
    where = [str(p) for p in (evaluation.regions_bed, evaluation.targets_bed) if p is not None]
    lines = [
        f"calls {evaluation.calls_vcf} ({evaluation.calls_sample}) against "
        f"truth {evaluation.truth_vcf} ({evaluation.truth_sample})"
        + (f", inside {' and '.join(where)}" if where else "")
        + ("" if evaluation.pass_only else ", filtered calls included"),
        *metrics_table(evaluation),
    ]
    listed: list[tuple[str, Sequence[object]]] = [
        ("false positives", evaluation.false_positives),
        ("false negatives", evaluation.false_negatives),
        ("genotype mismatches", evaluation.genotype_mismatches),
    ]
    for title, records in listed:
        if not records or max_listed <= 0:
            continue
        lines.append(f"{title} ({len(records)}):")
        lines.extend(f"  {record}" for record in records[:max_listed])
        if len(records) > max_listed:
            lines.append(f"  ... and {len(records) - max_listed} more")
    return "\n".join(lines)


def rate(value: float | None, digits: int = 4) -> str:
    """A precision, recall or F1 as printed: ``n/a`` when there was nothing to score."""
    return "n/a" if value is None else f"{value:.{digits}f}"


def metrics_table(evaluation: Evaluation) -> list[str]:
    """The header and one line per variant class."""
    lines = [
        f"{'class':<6} {'TP':>6} {'FP':>6} {'FN':>6} {'precision':>9} {'recall':>7} "
        f"{'F1':>6} {'GT concordance':>15}"
    ]
    for name in CLASSES:
        m = evaluation.metrics(name)
        concordance = (
            f"{m.genotype_concordance:.4f} ({m.genotype_matches}/{m.tp})"
            if m.genotype_concordance is not None
            else "-"
        )
        lines.append(
            f"{name:<6} {m.tp:>6} {m.fp:>6} {m.fn:>6} {rate(m.precision):>9} {rate(m.recall):>7} "
            f"{rate(m.f1):>6} {concordance:>15}"
        )
    return lines


def _contig_lengths(reference: Path) -> dict[str, int]:
    with pysam.FastaFile(str(reference)) as fasta:
        return dict(zip(fasta.references, fasta.lengths, strict=True))


def write_records_vcf(
    path: Path,
    records: Sequence[VariantRecord | GenotypeMismatch],
    reference: Path,
    sample: str,
    description: str,
) -> None:
    """Write primitives as a bgzipped, indexed VCF (normalised alleles, one per record).

    Args:
        path: Output ``.vcf.gz``.
        records: :class:`VariantRecord` (GT, QUAL, FILTER as read) or
            :class:`GenotypeMismatch` (called GT, truth GT in INFO/TRUTH_GT).
        reference: FASTA whose contigs (order and lengths) go into the header.
        sample: Sample column name.
        description: What the file holds, for its header.
    """
    lengths = _contig_lengths(reference)
    order = {name: i for i, name in enumerate(lengths)}
    header = [
        "##fileformat=VCFv4.2",
        f"##source=labpipe evaluate {__version__}: {description}",
        f"##reference={reference}",
        *(f"##contig=<ID={name},length={length}>" for name, length in lengths.items()),
        '##INFO=<ID=CLASS,Number=1,Type=String,Description="snv or indel">',
        '##INFO=<ID=TRUTH_GT,Number=1,Type=String,Description="Genotype in the truth">',
        '##FILTER=<ID=PASS,Description="All filters passed">',
        '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
        "\t".join(
            ["#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO", "FORMAT", sample]
        ),
    ]
    filters: set[str] = set()
    lines = []
    for r in sorted(records, key=lambda r: (order.get(r.chrom, len(order)), r.pos, r.ref, r.alt)):
        info = f"CLASS={variant_class(r.ref, r.alt)}"
        if isinstance(r, GenotypeMismatch):
            qual, filt, gt = ".", ".", r.call_gt
            info += f";TRUTH_GT={r.truth_gt}"
        else:
            qual = "." if r.qual is None else f"{r.qual:g}"
            filt, gt = r.filters, r.gt
            filters.update(f for f in r.filters.split(";") if f not in ("PASS", "."))
        lines.append(
            "\t".join([r.chrom, str(r.pos), ".", r.ref, r.alt, qual, filt, info, "GT", gt])
        )
    header[7:7] = [f'##FILTER=<ID={f},Description="From the calls">' for f in sorted(filters)]
    with atomic_path(path, suffix=".vcf.gz", companions=(".tbi",)) as temporary:
        plain = temporary.with_suffix("")
        try:
            plain.write_text("\n".join(header + lines) + "\n")
            pysam.tabix_index(str(plain), preset="vcf", force=True)
        finally:
            plain.unlink(missing_ok=True)


def write_evaluation(evaluation: Evaluation, outdir: Path) -> dict[str, Path]:
    """Write the figures as JSON and the discordant records as VCFs into ``outdir``.

    Files: ``evaluation.json``, ``false_positives.vcf.gz``, ``false_negatives.vcf.gz`` and
    ``genotype_mismatches.vcf.gz`` (each with a ``.tbi``).

    Returns:
        Each file written, by kind.

    Raises:
        UsageError: When ``outdir`` exists and is not a folder.
    """
    if outdir.exists() and not outdir.is_dir():
        raise UsageError(f"{outdir} exists and is not a folder; choose another --outdir")
    outdir.mkdir(parents=True, exist_ok=True)
    files = {
        "json": outdir / REPORT_JSON,
        "false_positives": outdir / FP_VCF,
        "false_negatives": outdir / FN_VCF,
        "genotype_mismatches": outdir / GT_VCF,
    }
    write_records_vcf(
        files["false_positives"],
        evaluation.false_positives,
        evaluation.reference,
        evaluation.calls_sample,
        f"calls not in the truth ({evaluation.calls_vcf})",
    )
    write_records_vcf(
        files["false_negatives"],
        evaluation.false_negatives,
        evaluation.reference,
        evaluation.truth_sample,
        f"truth variants not called ({evaluation.truth_vcf})",
    )
    write_records_vcf(
        files["genotype_mismatches"],
        evaluation.genotype_mismatches,
        evaluation.reference,
        evaluation.calls_sample,
        "true positives called with another genotype (GT called, INFO/TRUTH_GT truth)",
    )
    report = evaluation.as_dict()
    report["files"] = {kind: path.name for kind, path in files.items() if kind != "json"}
    write_text_atomic(files["json"], json.dumps(report, indent=2) + "\n")
    return files
