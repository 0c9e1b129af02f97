"""Compare one sample's variant calls with a truth VCF.

Both sides are normalised the same way first (``bcftools norm -m -any -f REF``: multi-allelic
records split, indels left-aligned and trimmed against the reference), so a deletion written
at either end of a homopolymer, or a multi-allelic call against split truth records, compares
equal. Variants then match on (chrom, pos, ref, alt); the genotype is compared separately.

Only short variants are compared: ``*`` (spanning deletion) and symbolic ``<...>`` alleles are
left out on both sides. Truth FILTER values are not looked at.

Zero denominators: precision is 1.0 when nothing was called and recall is 1.0 when nothing
was expected ("no claim was wrong", "nothing was missed"); F1 is 0.0 when precision and recall
are both 0. So an empty call set against a non-empty truth scores precision 1.0, recall 0.0,
F1 0.0, and an empty truth with no calls scores 1.0 throughout.
"""

from __future__ import annotations

import bisect
import subprocess
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pysam

from labpipe.errors import InputFormatError, MissingToolError
from labpipe.regions import Interval, read_bed
from labpipe.tools import find_executable

#: Variant classes reported, in display order.
CLASSES: tuple[str, ...] = ("snv", "indel", "all")

Key = tuple[str, int, str, str]


@dataclass(frozen=True, order=True)
class VariantRecord:
    """One normalised, biallelic variant of the compared sample.

    Attributes:
        chrom: Contig.
        pos: 1-based position, as in the VCF.
        ref: Reference allele.
        alt: Alternate allele.
        gt: The sample's genotype: alleles sorted, ``/``-separated, ``.`` for missing
            (``0/1``, ``1/1``, ``1`` for haploid); phasing is dropped.
    """

    chrom: str
    pos: int
    ref: str
    alt: str
    gt: str

    @property
    def key(self) -> Key:
        """What calls and truth are matched on."""
        return (self.chrom, self.pos, self.ref, self.alt)

    def __str__(self) -> str:
        return f"{self.chrom}:{self.pos} {self.ref}>{self.alt} {self.gt}"


@dataclass(frozen=True, order=True)
class GenotypeMismatch:
    """A true positive whose called genotype differs from the truth's.

    Attributes:
        chrom: Contig.
        pos: 1-based position.
        ref: Reference allele.
        alt: Alternate allele.
        call_gt: Genotype in the calls.
        truth_gt: Genotype in the truth.
    """

    chrom: str
    pos: int
    ref: str
    alt: str
    call_gt: str
    truth_gt: str

    def __str__(self) -> str:
        return (
            f"{self.chrom}:{self.pos} {self.ref}>{self.alt} "
            f"called {self.call_gt}, truth {self.truth_gt}"
        )


@dataclass(frozen=True)
class ClassMetrics:
    """Counts and rates for one variant class.

    Attributes:
        tp: Called and in the truth.
        fp: Called, not in the truth.
        fn: In the truth, not called.
        genotype_matches: True positives whose genotype equals the truth's.
        precision: tp / (tp + fp); 1.0 when nothing was called.
        recall: tp / (tp + fn); 1.0 when nothing was expected.
        f1: Harmonic mean of precision and recall; 0.0 when both are 0.
    """

    tp: int
    fp: int
    fn: int
    genotype_matches: int
    precision: float
    recall: float
    f1: float

    @classmethod
    def from_counts(cls, tp: int, fp: int, fn: int, genotype_matches: int) -> ClassMetrics:
        """Build from counts, applying the module's zero-denominator rules."""
        precision = tp / (tp + fp) if tp + fp else 1.0
        recall = tp / (tp + fn) if tp + fn else 1.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        return cls(tp, fp, fn, genotype_matches, precision, recall, f1)


@dataclass(frozen=True)
class TruthComparison:
    """Calls of one sample compared with the truth.

    Attributes:
        sample: The compared sample.
        snv: Single-base substitutions.
        indel: Insertions and deletions (ref and alt lengths differ).
        all: Every compared variant, including multi-base substitutions, which belong to
            neither class above.
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


def variant_class(ref: str, alt: str) -> str:
    """``snv`` (1 base to 1 base), ``indel`` (lengths differ) or ``mnp`` (equal, longer)."""
    if len(ref) != len(alt):
        return "indel"
    return "snv" if len(ref) == 1 else "mnp"


def normalise_vcf(vcf: Path, reference: Path, out_vcf: Path, what: str) -> None:
    """Run ``bcftools norm -m -any -f REF -c e`` on a VCF (plain or bgzipped).

    Args:
        vcf: Input VCF.
        reference: FASTA the VCF was called against (indexed, or in a writable folder).
        out_vcf: Where to write the normalised, uncompressed VCF.
        what: How to name the input in messages ("calls", "truth").

    Raises:
        MissingToolError: When bcftools is not on PATH.
        InputFormatError: When bcftools rejects the VCF, e.g. because a REF allele does not
            match the reference (a VCF made against another build).
    """
    bcftools = find_executable("bcftools")
    if bcftools is None:
        raise MissingToolError(
            "bcftools is needed to compare with a truth VCF and is not on PATH; "
            "run `make setup` (or see `labpipe doctor`)"
        )
    command = [
        bcftools, "norm", "--multiallelics", "-any", "--fasta-ref", str(reference),
        "--check-ref", "e", "--output-type", "v", "--output", str(out_vcf), str(vcf),
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        said = [line for line in result.stderr.splitlines() if line.strip()][-3:]
        raise InputFormatError(
            f"{vcf}: bcftools norm could not normalise the {what} VCF against {reference}; "
            "check that both use the same reference build",
            said,
        )


def _genotype_text(alleles: Iterable[int | None]) -> str:
    ordered = sorted(alleles, key=lambda allele: (allele is None, allele or 0))
    return "/".join("." if allele is None else str(allele) for allele in ordered)


def _is_short_allele(alt: str) -> bool:
    return alt not in ("*", ".") and not alt.startswith("<") and "[" not in alt and "]" not in alt


def read_sample_variants(
    vcf: Path, sample: str, pass_only: bool, source: Path, what: str
) -> dict[Key, VariantRecord]:
    """Variants with a non-reference allele in ``sample``'s genotype.

    Args:
        vcf: A normalised (biallelic) VCF.
        sample: The sample column to read.
        pass_only: Keep only records whose FILTER is PASS or ``.``.
        source: The user's file, named in messages (``vcf`` may be a temporary copy).
        what: How to name the file in messages.

    Raises:
        InputFormatError: When the sample is not a column of the VCF.
    """
    variants: dict[Key, VariantRecord] = {}
    # bcftools 1.16 declares INFO/MQ as Integer; newer htslib warns about it on
    # every read. The values are fine, so keep the user's terminal clean.
    pysam.set_verbosity(0)
    with pysam.VariantFile(str(vcf)) as records:
        samples = list(records.header.samples)
        if sample not in samples:
            raise InputFormatError(
                f"{source}: the {what} VCF has no sample column '{sample}' "
                f"(it has: {', '.join(samples) or 'no samples'})"
            )
        for record in records:
            if pass_only and any(name != "PASS" for name in record.filter):
                continue
            genotype = record.samples[sample].get("GT") or ()
            alts = record.alts or ()
            gt = _genotype_text(genotype)
            for allele in sorted({a for a in genotype if a}):
                alt = alts[allele - 1] if allele <= len(alts) else "."
                if not _is_short_allele(alt):
                    continue
                variant = VariantRecord(record.chrom, record.pos, record.ref or "", alt, gt)
                # A duplicated record counts once: keep the first, as bcftools would.
                variants.setdefault(variant.key, variant)
    return variants


class _RegionIndex:
    """Answers "is this position inside the BED?" with a binary search per contig."""

    def __init__(self, intervals: Iterable[Interval]) -> None:
        merged: dict[str, list[tuple[int, int]]] = {}
        for interval in sorted(intervals):
            spans = merged.setdefault(interval.contig, [])
            if spans and interval.start <= spans[-1][1]:
                spans[-1] = (spans[-1][0], max(spans[-1][1], interval.end))
            else:
                spans.append((interval.start, interval.end))
        self._starts = {contig: [s for s, _ in spans] for contig, spans in merged.items()}
        self._ends = {contig: [e for _, e in spans] for contig, spans in merged.items()}

    def contains(self, chrom: str, pos: int) -> bool:
        """Whether the 1-based VCF position ``pos`` lies in a region."""
        starts = self._starts.get(chrom)
        if not starts:
            return False
        zero_based = pos - 1
        index = bisect.bisect_right(starts, zero_based) - 1
        return index >= 0 and zero_based < self._ends[chrom][index]


def _require_file(path: Path, what: str) -> None:
    if not path.is_file():
        raise InputFormatError(f"{path}: {what} not found")


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
            half-open) are compared; a variant is in when base POS is.
        pass_only: Compare only calls with FILTER PASS or ``.``.

    Returns:
        Counts per class and the discordant records.

    Raises:
        InputFormatError: A file is missing or malformed, the sample is not in a VCF, or a
            VCF does not match the reference.
        MissingToolError: bcftools is not on PATH.
    """
    calls_vcf, truth_vcf, reference = Path(calls_vcf), Path(truth_vcf), Path(reference)
    _require_file(calls_vcf, "calls VCF")
    _require_file(truth_vcf, "truth VCF")
    _require_file(reference, "reference FASTA")
    regions: _RegionIndex | None = None
    if regions_bed is not None:
        _require_file(Path(regions_bed), "regions BED")
        regions = _RegionIndex(read_bed(Path(regions_bed)))

    with tempfile.TemporaryDirectory(prefix="labpipe-truth-") as scratch:
        normalised_calls = Path(scratch) / "calls.norm.vcf"
        normalised_truth = Path(scratch) / "truth.norm.vcf"
        normalise_vcf(calls_vcf, reference, normalised_calls, "calls")
        normalise_vcf(truth_vcf, reference, normalised_truth, "truth")
        calls = read_sample_variants(normalised_calls, sample, pass_only, calls_vcf, "calls")
        # Truth FILTERs are ignored: a truth set states what is there.
        truth = read_sample_variants(normalised_truth, sample, False, truth_vcf, "truth")

    if regions is not None:
        calls = {k: v for k, v in calls.items() if regions.contains(v.chrom, v.pos)}
        truth = {k: v for k, v in truth.items() if regions.contains(v.chrom, v.pos)}

    true_positives = calls.keys() & truth.keys()
    false_positives = sorted(calls[k] for k in calls.keys() - truth.keys())
    false_negatives = sorted(truth[k] for k in truth.keys() - calls.keys())
    mismatches = sorted(
        GenotypeMismatch(*key, call_gt=calls[key].gt, truth_gt=truth[key].gt)
        for key in true_positives
        if calls[key].gt != truth[key].gt
    )

    def metrics_for(wanted: str) -> ClassMetrics:
        def in_class(key: Key) -> bool:
            return wanted == "all" or variant_class(key[2], key[3]) == wanted

        return ClassMetrics.from_counts(
            tp=sum(1 for k in true_positives if in_class(k)),
            fp=sum(1 for v in false_positives if in_class(v.key)),
            fn=sum(1 for v in false_negatives if in_class(v.key)),
            genotype_matches=sum(
                1 for k in true_positives if in_class(k) and calls[k].gt == truth[k].gt
            ),
        )

    return TruthComparison(
        sample=sample,
        snv=metrics_for("snv"),
        indel=metrics_for("indel"),
        all=metrics_for("all"),
        false_positives=false_positives,
        false_negatives=false_negatives,
        genotype_mismatches=mismatches,
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
            f"{name:<6} {m.tp:>6} {m.fp:>6} {m.fn:>6} {m.precision:>9.4f} {m.recall:>7.4f} "
            f"{m.f1:>6.4f} {genotypes:>9}"
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
