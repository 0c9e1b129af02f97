"""Score a call set against a truth set: ``labpipe evaluate``.

Both VCFs are first brought to one representation and read as primitives
(:mod:`labpipe.evaluation.primitives`). Calls and truth then match on the key; the
genotype is compared separately (genotype concordance = true positives with the
truth's genotype / true positives). Only short variants take part: ``*`` and symbolic
``<...>`` alleles are dropped on both sides.

Which records count:

- calls: only FILTER ``PASS`` or ``.`` unless ``pass_only`` is off; truth FILTERs are not
  looked at (a truth set states what is there);
- with ``regions`` (e.g. a GIAB confident BED) and/or ``targets`` (a panel), only
  primitives whose POS lies inside every BED given (POS is the anchor base of an indel, as
  ``bcftools view -T`` decides);
- a sample's variant is one of its non-reference alleles; ``0/0`` and ``./.`` are nothing.

The figures are :mod:`labpipe.evaluation.scores`; what is printed and written,
:mod:`labpipe.evaluation.outputs`.
"""

from __future__ import annotations

import bisect
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path

import pysam

from labpipe.core.errors import InputFormatError, UsageError
from labpipe.core.regions import Interval, read_bed
from labpipe.evaluation.primitives import normalise_vcf, read_primitives
from labpipe.evaluation.scores import Evaluation, SideCounts, VariantRecord, match_variants
from labpipe.inputs.reference import open_fasta


def _pick_sample(
    samples: Sequence[str], wanted: str | None, other: str | None, source: Path, what: str
) -> str:
    if wanted is not None:
        if wanted not in samples:
            raise InputFormatError(
                f"{source}: the {what} VCF has no sample column '{wanted}' "
                f"(it has: {', '.join(samples) or 'no samples'})"
            )
        return wanted
    if len(samples) == 1:
        return samples[0]
    if other is not None and other in samples:
        return other
    if not samples:
        raise InputFormatError(f"{source}: the {what} VCF has no sample column; it needs a GT")
    raise UsageError(
        f"{source}: the {what} VCF has {len(samples)} samples ({', '.join(samples)}); "
        f"name the one to compare with --{what}-sample"
    )


def sample_names(vcf: Path, what: str = "input") -> list[str]:
    """The sample columns of a VCF (plain or bgzipped).

    Raises:
        InputFormatError: The file is not a VCF/BCF with its header (``what`` names its role).
    """
    pysam.set_verbosity(0)
    try:
        with pysam.VariantFile(str(vcf)) as handle:
            return list(handle.header.samples)
    except (ValueError, OSError) as exc:
        raise InputFormatError(
            f"{vcf}: the {what} file is not a readable VCF: htslib could not read a VCF "
            "header from it (it needs the ##fileformat=VCF… line and the #CHROM line); "
            "give a VCF or BCF, plain or bgzipped",
            [str(exc)],
        ) from None


class RegionIndex:
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
    if path.is_dir():
        raise InputFormatError(f"{path}: is a folder; give the {what} file itself")
    if not path.is_file():
        raise InputFormatError(f"{path}: {what} not found")


def evaluate(
    truth_vcf: Path,
    calls_vcf: Path,
    reference: Path,
    regions_bed: Path | None = None,
    targets_bed: Path | None = None,
    truth_sample: str | None = None,
    calls_sample: str | None = None,
    pass_only: bool = True,
) -> Evaluation:
    """Normalise both VCFs and score the calls against the truth.

    Args:
        truth_vcf: Truth (plain or bgzipped VCF).
        calls_vcf: Calls (plain or bgzipped VCF).
        reference: The FASTA both were made against (plain or bgzip with .fai/.gzi).
        regions_bed: Confident regions: only variants whose POS lies inside count.
        targets_bed: Target regions (a panel): the same rule, applied as well.
        truth_sample: Truth sample column; default: the only one, or the calls' name.
        calls_sample: Calls sample column; default: the only one, or the truth's name.
        pass_only: Compare only calls with FILTER PASS or ``.``.

    Returns:
        The figures and the discordant records.

    Raises:
        InputFormatError: A file is missing or malformed, a sample is not in its VCF, or a
            VCF does not match the reference.
        UsageError: A VCF has several samples and none was named.
        MissingToolError: bcftools is not on PATH.
    """
    truth_vcf, calls_vcf, reference = Path(truth_vcf), Path(calls_vcf), Path(reference)
    _require_file(truth_vcf, "truth VCF")
    _require_file(calls_vcf, "calls VCF")
    _require_file(reference, "reference FASTA")
    indexes: list[RegionIndex] = []
    for bed, what in ((regions_bed, "regions BED"), (targets_bed, "targets BED")):
        if bed is not None:
            _require_file(Path(bed), what)
            indexes.append(RegionIndex(read_bed(Path(bed))))
    truth_names = sample_names(truth_vcf, "truth")
    call_names = sample_names(calls_vcf, "calls")
    # The calls' sample first: a misnamed calls sample is the likelier mistake.
    c_sample = _pick_sample(
        call_names, calls_sample, truth_sample or _single(truth_names), calls_vcf, "calls"
    )
    t_sample = _pick_sample(truth_names, truth_sample, c_sample, truth_vcf, "truth")

    # Said plainly here: bcftools norm only says it could not load the FASTA's index.
    open_fasta(reference).close()
    with tempfile.TemporaryDirectory(prefix="labpipe-evaluate-") as scratch:
        norm_truth = Path(scratch) / "truth.norm.vcf"
        norm_calls = Path(scratch) / "calls.norm.vcf"
        normalise_vcf(truth_vcf, reference, norm_truth, "truth")
        normalise_vcf(calls_vcf, reference, norm_calls, "calls")
        # Truth FILTERs are ignored: a truth set states what is there.
        truth, truth_records, _ = read_primitives(norm_truth, t_sample, False)
        calls, call_records, not_pass = read_primitives(norm_calls, c_sample, pass_only)

    def inside(v: VariantRecord) -> bool:
        return all(index.contains(v.chrom, v.pos) for index in indexes)

    truth_in = {k: v for k, v in truth.items() if inside(v)}
    calls_in = {k: v for k, v in calls.items() if inside(v)}
    matched = match_variants(truth_in, calls_in)
    return Evaluation(
        truth_vcf=truth_vcf,
        calls_vcf=calls_vcf,
        reference=reference,
        regions_bed=Path(regions_bed) if regions_bed is not None else None,
        targets_bed=Path(targets_bed) if targets_bed is not None else None,
        truth_sample=t_sample,
        calls_sample=c_sample,
        pass_only=pass_only,
        snv=matched.snv,
        indel=matched.indel,
        all=matched.all,
        false_positives=matched.false_positives,
        false_negatives=matched.false_negatives,
        genotype_mismatches=matched.genotype_mismatches,
        truth_counts=SideCounts(
            truth_records, 0, len(truth), len(truth) - len(truth_in), len(truth_in)
        ),
        calls_counts=SideCounts(
            call_records, not_pass, len(calls), len(calls) - len(calls_in), len(calls_in)
        ),
    )


def _single(names: Sequence[str]) -> str | None:
    return names[0] if len(names) == 1 else None
