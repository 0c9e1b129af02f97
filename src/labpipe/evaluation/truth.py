"""Compare one sample's variant calls with a truth VCF (the same sample name on both sides).

A thin layer over :mod:`labpipe.evaluation.evaluate`, which does the work: both sides are normalised
the same way (multi-allelic records split, MNPs and complex records broken into primitives,
indels left-aligned and trimmed against the reference), so a deletion written at either end
of a homopolymer, or a multi-allelic call against split truth records, compares equal.
Variants then match on (chrom, pos, ref, alt); the genotype is compared separately.

Only short variants are compared: ``*`` (spanning deletion) and symbolic ``<...>`` alleles are
left out on both sides. Truth FILTER values are not looked at.

Zero denominators: precision is n/a (None) when nothing was called and recall is n/a when
nothing was expected; F1 is 2 TP / (2 TP + FP + FN), n/a only when there is nothing at all.
So an empty call set against a non-empty truth scores precision n/a, recall 0.0, F1 0.0.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from labpipe.evaluation.evaluate import (
    CLASSES,
    ClassMetrics,
    GenotypeMismatch,
    VariantRecord,
    evaluate,
    rate,
    variant_class,
)

__all__ = [
    "CLASSES",
    "ClassMetrics",
    "GenotypeMismatch",
    "TruthComparison",
    "VariantRecord",
    "compare_to_truth",
    "format_comparison",
    "variant_class",
]


@dataclass(frozen=True)
class TruthComparison:
    """Calls of one sample compared with the truth.

    Attributes:
        sample: The compared sample.
        snv: Single-base substitutions.
        indel: Insertions and deletions (ref and alt lengths differ).
        all: Every compared variant.
        false_positives: Calls not in the truth, sorted.
        false_negatives: Truth variants not called, sorted.
        genotype_mismatches: True positives with a different genotype, sorted.
    """

    sample: str
    snv: ClassMetrics
    indel: ClassMetrics
    all: ClassMetrics
    false_positives: list[VariantRecord]
    false_negatives: list[VariantRecord]
    genotype_mismatches: list[GenotypeMismatch]

    def metrics(self, variant_class: str) -> ClassMetrics:
        """The metrics of ``"snv"``, ``"indel"`` or ``"all"``."""
        if variant_class not in CLASSES:
            raise ValueError(f"variant class {variant_class!r} is not one of {CLASSES}")
        metrics: ClassMetrics = getattr(self, variant_class)
        return metrics


def compare_to_truth(
    calls_vcf: Path,
    truth_vcf: Path,
    reference: Path,
    sample: str,
    regions_bed: Path | None = None,
    pass_only: bool = True,
) -> TruthComparison:
    """Compare a sample's calls with its truth, after normalising both.

    Args:
        calls_vcf: Calls (plain or bgzipped VCF; may hold several samples).
        truth_vcf: Truth (plain or bgzipped VCF; may hold several samples, with ``0/0`` or
            ``./.`` where a sample lacks a variant).
        reference: The FASTA both VCFs were made against.
        sample: The sample column compared on both sides.
        regions_bed: Only variants whose POS lies in these regions (BED: 0-based,
            half-open) are compared.
        pass_only: Compare only calls with FILTER PASS or ``.``.

    Returns:
        Counts per class and the discordant records.

    Raises:
        InputFormatError: A file is missing or malformed, the sample is not in a VCF, or a
            VCF does not match the reference.
        MissingToolError: bcftools is not on PATH.
    """
    result = evaluate(
        truth_vcf,
        calls_vcf,
        reference,
        regions_bed=regions_bed,
        truth_sample=sample,
        calls_sample=sample,
        pass_only=pass_only,
    )
    return TruthComparison(
        sample=sample,
        snv=result.snv,
        indel=result.indel,
        all=result.all,
        false_positives=result.false_positives,
        false_negatives=result.false_negatives,
        genotype_mismatches=result.genotype_mismatches,
    )


def format_comparison(comparison: TruthComparison, max_listed: int = 10) -> str:
    """A short human summary: one line per class, then the first discordant records.

    Args:
        comparison: The result of :func:`compare_to_truth`.
        max_listed: How many records of each discordant kind to list (0 for none).
    """
    lines = [
        f"sample {comparison.sample} against the truth",
        f"{'class':<6} {'TP':>6} {'FP':>6} {'FN':>6} {'precision':>9} {'recall':>7} "
        f"{'F1':>6} {'GT match':>9}",
    ]
    for name in CLASSES:
        m = comparison.metrics(name)
        genotypes = f"{m.genotype_matches}/{m.tp}"
        lines.append(
            f"{name:<6} {m.tp:>6} {m.fp:>6} {m.fn:>6} {rate(m.precision):>9} {rate(m.recall):>7} "
            f"{rate(m.f1):>6} {genotypes:>9}"
        )
    listed: list[tuple[str, list[VariantRecord] | list[GenotypeMismatch]]] = [
        ("false positives", comparison.false_positives),
        ("false negatives", comparison.false_negatives),
        ("genotype mismatches", comparison.genotype_mismatches),
    ]
    for title, records in listed:
        if not records or max_listed <= 0:
            continue
        more = len(records) - max_listed
        lines.append(f"{title} ({len(records)}):")
        lines.extend(f"  {record}" for record in records[:max_listed])
        if more > 0:
            lines.append(f"  ... and {more} more")
    return "\n".join(lines)
