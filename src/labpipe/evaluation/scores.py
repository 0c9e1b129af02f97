"""The figures of an evaluation: primitives matched on their key, counted per class.

SNVs are 1-base substitutions, indels change the length; after decomposition nothing else
is left. Zero denominators: precision is 1.0 with no calls and recall 1.0 with no truth
("no claim was wrong", "nothing was missed"); F1 is 0.0 when both are 0.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from labpipe import __version__

#: Version of the JSON written by :func:`write_evaluation`; bumped when fields change meaning.
SCHEMA_VERSION = 1
#: Variant classes reported, in display order.
CLASSES: tuple[str, ...] = ("snv", "indel", "all")

Key = tuple[str, int, str, str]


@dataclass(frozen=True, order=True)
class VariantRecord:
    """One normalised, primitive variant of the compared sample.

    Attributes:
        chrom: Contig.
        pos: 1-based position, as in the VCF.
        ref: Reference allele.
        alt: Alternate allele.
        gt: The sample's genotype: alleles sorted, ``/``-separated, ``.`` for missing
            (``0/1``, ``1/1``, ``1`` for haploid); phasing is dropped.
        qual: QUAL of the record it came from (None when ``.``).
        filters: FILTER of the record it came from (``PASS``, ``LowQual;LowDepth``, ``.``).
    """

    chrom: str
    pos: int
    ref: str
    alt: str
    gt: str
    qual: float | None = field(default=None, compare=False)
    filters: str = field(default="PASS", compare=False)

    @property
    def key(self) -> Key:
        """What calls and truth are matched on."""
        return (self.chrom, self.pos, self.ref, self.alt)

    @property
    def variant_class(self) -> str:
        """``snv`` or ``indel`` (see :func:`variant_class`)."""
        return variant_class(self.ref, self.alt)

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
        precision: tp / (tp + fp); None (printed n/a) when nothing was called.
        recall: tp / (tp + fn); None (printed n/a) when nothing was expected.
        f1: 2 tp / (2 tp + fp + fn), the harmonic mean of precision and recall where both
            exist; None when there is nothing to score (no truth and no calls).
    """

    tp: int
    fp: int
    fn: int
    genotype_matches: int
    precision: float | None
    recall: float | None
    f1: float | None

    @classmethod
    def from_counts(cls, tp: int, fp: int, fn: int, genotype_matches: int) -> ClassMetrics:
        """Build from counts, applying the module's zero-denominator rules."""
        # A rate with nothing to count is unknown, not perfect and not zero.
        precision = tp / (tp + fp) if tp + fp else None
        recall = tp / (tp + fn) if tp + fn else None
        f1 = 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else None
        return cls(tp, fp, fn, genotype_matches, precision, recall, f1)

    @property
    def genotype_concordance(self) -> float | None:
        """Share of true positives called with the truth's genotype; None without any."""
        return self.genotype_matches / self.tp if self.tp else None

    def as_dict(self) -> dict[str, Any]:
        """The figures as JSON-ready values."""
        return {
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
            "precision": self.precision,
            "recall": self.recall,
            "f1": self.f1,
            "genotype_matches": self.genotype_matches,
            "genotype_concordance": self.genotype_concordance,
        }


@dataclass(frozen=True)
class SideCounts:
    """What happened to the records of one side (calls or truth).

    Attributes:
        records: VCF records read after splitting multi-allelics.
        not_pass: Records left out because FILTER is not PASS (calls only).
        primitives: Distinct primitive variants the sample carries.
        outside_regions: Primitives left out by ``regions``/``targets``.
        compared: Primitives compared.
    """

    records: int
    not_pass: int
    primitives: int
    outside_regions: int
    compared: int


@dataclass(frozen=True)
class Evaluation:
    """A call set scored against a truth set.

    Attributes:
        truth_vcf: The truth file.
        calls_vcf: The calls file.
        reference: The reference FASTA both were normalised against.
        regions_bed: Confident regions used, if any.
        targets_bed: Targets used, if any.
        truth_sample: Sample column read from the truth.
        calls_sample: Sample column read from the calls.
        pass_only: Whether only PASS calls were compared.
        snv: SNV figures.
        indel: Indel figures.
        all: Both together.
        false_positives: Calls not in the truth, sorted.
        false_negatives: Truth variants not called, sorted.
        genotype_mismatches: True positives with another genotype, sorted.
        truth_counts: What was read from the truth.
        calls_counts: What was read from the calls.
    """

    truth_vcf: Path
    calls_vcf: Path
    reference: Path
    regions_bed: Path | None
    targets_bed: Path | None
    truth_sample: str
    calls_sample: str
    pass_only: bool
    snv: ClassMetrics
    indel: ClassMetrics
    all: ClassMetrics
    false_positives: list[VariantRecord]
    false_negatives: list[VariantRecord]
    genotype_mismatches: list[GenotypeMismatch]
    truth_counts: SideCounts
    calls_counts: SideCounts

    def metrics(self, variant_class: str) -> ClassMetrics:
        """The figures of ``"snv"``, ``"indel"`` or ``"all"``."""
        if variant_class not in CLASSES:
            raise ValueError(f"variant class {variant_class!r} is not one of {CLASSES}")
        metrics: ClassMetrics = getattr(self, variant_class)
        return metrics

    def as_dict(self) -> dict[str, Any]:
        """Every figure, JSON-ready (see :data:`SCHEMA_VERSION`)."""

        def path(p: Path | None) -> str | None:
            return str(p) if p is not None else None

        return {
            "schema_version": SCHEMA_VERSION,
            "labpipe_version": __version__,
            "inputs": {
                "truth": path(self.truth_vcf),
                "calls": path(self.calls_vcf),
                "reference": path(self.reference),
                "regions": path(self.regions_bed),
                "targets": path(self.targets_bed),
                "truth_sample": self.truth_sample,
                "calls_sample": self.calls_sample,
                "pass_only": self.pass_only,
            },
            "metrics": {name: self.metrics(name).as_dict() for name in CLASSES},
            "records": {
                "truth": asdict(self.truth_counts),
                "calls": asdict(self.calls_counts),
            },
            "discordant": {
                "false_positives": len(self.false_positives),
                "false_negatives": len(self.false_negatives),
                "genotype_mismatches": len(self.genotype_mismatches),
            },
        }


def variant_class(ref: str, alt: str) -> str:
    """``snv`` (1 base to 1 base), ``indel`` (lengths differ) or ``mnp`` (equal, longer)."""
    if len(ref) != len(alt):
        return "indel"
    return "snv" if len(ref) == 1 else "mnp"


@dataclass(frozen=True)
class Matching:
    """Calls matched with truth on their keys, counted per class.

    Attributes:
        snv: SNV figures.
        indel: Indel figures.
        all: Both together.
        false_positives: Calls not in the truth, sorted.
        false_negatives: Truth variants not called, sorted.
        genotype_mismatches: True positives with another genotype, sorted.
    """

    snv: ClassMetrics
    indel: ClassMetrics
    all: ClassMetrics
    false_positives: list[VariantRecord]
    false_negatives: list[VariantRecord]
    genotype_mismatches: list[GenotypeMismatch]


def match_variants(truth: dict[Key, VariantRecord], calls: dict[Key, VariantRecord]) -> Matching:
    """Match calls with truth on (chrom, pos, ref, alt) and count per class.

    Args:
        truth: Truth primitives by key.
        calls: Call primitives by key.
    """
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

    return Matching(
        snv=metrics_for("snv"),
        indel=metrics_for("indel"),
        all=metrics_for("all"),
        false_positives=false_positives,
        false_negatives=false_negatives,
        genotype_mismatches=mismatches,
    )
