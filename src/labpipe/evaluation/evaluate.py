"""Score a call set against a truth set: ``labpipe evaluate``.

Both VCFs are brought to one representation before anything is compared, so that the
same change written two ways counts once:

1. ``bcftools norm -m -any -f REF -c e`` splits multi-allelic records (a ``1/2`` call
   becomes ``1/0`` and ``0/1`` records), left-aligns and trims indels, and stops on a REF
   allele that disagrees with the reference (a VCF made against another build).
2. Each remaining record is broken into primitives (:func:`decompose`): an MNP becomes its
   SNVs, a complex record becomes SNVs plus one indel; every indel is left-aligned again,
   because one cut out of a complex record may not be.
3. Primitives are keyed on (chrom, pos, ref, alt). A primitive's genotype is worked out
   haplotype by haplotype from the record(s) it came from, so a ``1/2`` split into two
   records gives ``0/1`` twice, and a primitive shared by both alleles gives ``1/1``.

Calls and truth then match on the key; the genotype is compared separately (genotype
concordance = true positives with the truth's genotype / true positives). Only short
variants take part: ``*`` and symbolic ``<...>`` alleles are dropped on both sides.

Which records count:

- calls: only FILTER ``PASS`` or ``.`` unless ``pass_only`` is off; truth FILTERs are not
  looked at (a truth set states what is there);
- with ``regions`` (e.g. a GIAB confident BED) and/or ``targets`` (a panel), only
  primitives whose POS lies inside every BED given (POS is the anchor base of an indel, as
  ``bcftools view -T`` decides);
- a sample's variant is one of its non-reference alleles; ``0/0`` and ``./.`` are nothing.

SNVs are 1-base substitutions, indels change the length; after decomposition nothing else
is left. Zero denominators: precision is 1.0 with no calls and recall 1.0 with no truth
("no claim was wrong", "nothing was missed"); F1 is 0.0 when both are 0.
"""

from __future__ import annotations

import bisect
import json
import re
import subprocess
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pysam

from labpipe import __version__
from labpipe.core.alleles import normalise
from labpipe.core.atomic import atomic_path, write_text_atomic
from labpipe.core.errors import InputFormatError, MissingToolError, UsageError
from labpipe.core.regions import Interval, read_bed
from labpipe.core.tools import find_executable
from labpipe.inputs.reference import open_fasta

#: Version of the JSON written by :func:`write_evaluation`; bumped when fields change meaning.
SCHEMA_VERSION = 1
#: Variant classes reported, in display order.
CLASSES: tuple[str, ...] = ("snv", "indel", "all")
#: Names of the files :func:`write_evaluation` writes into its folder.
REPORT_JSON = "evaluation.json"
FP_VCF = "false_positives.vcf.gz"
FN_VCF = "false_negatives.vcf.gz"
GT_VCF = "genotype_mismatches.vcf.gz"

Key = tuple[str, int, str, str]
#: Per ploidy slot: True carries the allele, False does not, None is a missing call.
Carriers = tuple[bool | None, ...]


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


# --- normalisation -------------------------------------------------------------------------


def left_align(pos: int, ref: str, alt: str, base_at: Callable[[int], str]) -> tuple[int, str, str]:
    """Trim a biallelic variant and shift an indel as far left as the reference allows.

    The result is what ``bcftools norm`` writes: shared bases trimmed (an indel keeps one
    anchor base on its left), an indel moved left while its last base repeats the base
    before it.

    Args:
        pos: 1-based position of ``ref``'s first base.
        ref: REF allele (uppercase).
        alt: ALT allele (uppercase).
        base_at: The reference base at a 1-based position (uppercase).

    Returns:
        (pos, ref, alt) normalised.
    """
    # The one allele normaliser (core.alleles) does the work, reading the reference
    # through ``base_at``.
    key = normalise(
        "", pos, ref, alt, lambda s, e: "".join(base_at(p) for p in range(s + 1, e + 1))
    )
    return key.pos, key.ref, key.alt


def decompose(
    pos: int, ref: str, alt: str, base_at: Callable[[int], str]
) -> list[tuple[int, str, str]]:
    """Break one REF/ALT pair into primitives: SNVs and at most one indel, left-aligned.

    Equal-length alleles become one SNV per differing base. Otherwise, after trimming what
    both alleles share at either end, the length change is placed as one gap where it
    leaves the fewest mismatches (the leftmost such place on a tie); the mismatches become
    SNVs and the gap an indel anchored on the reference base before it.

    Args:
        pos: 1-based position of ``ref``'s first base.
        ref: REF allele.
        alt: ALT allele.
        base_at: The reference base at a 1-based position.

    Returns:
        (pos, ref, alt) of each primitive, sorted; empty when the alleles are equal.
    """
    ref, alt = ref.upper(), alt.upper()
    if len(ref) == len(alt):
        return [(pos + i, r, a) for i, (r, a) in enumerate(zip(ref, alt, strict=True)) if r != a]
    start = 0
    while start < min(len(ref), len(alt)) and ref[start] == alt[start]:
        start += 1
    end = 0
    while (
        end < min(len(ref), len(alt)) - start and ref[len(ref) - 1 - end] == alt[len(alt) - 1 - end]
    ):
        end += 1
    core_ref, core_alt = ref[start : len(ref) - end], alt[start : len(alt) - end]
    first = pos + start  # 1-based position of core_ref[0] (or of the base after an insertion)
    gap = abs(len(core_ref) - len(core_alt))
    short, long_ = sorted((core_ref, core_alt), key=len)
    best_k, best_cost = 0, len(short) + 1
    for k in range(len(short) + 1):
        cost = sum(a != b for a, b in zip(short[:k], long_[:k], strict=True)) + sum(
            a != b for a, b in zip(short[k:], long_[k + gap :], strict=True)
        )
        if cost < best_cost:
            best_k, best_cost = k, cost
    k = best_k
    deletion = len(core_ref) > len(core_alt)
    # Aligned (ref base, alt base) pairs on either side of the gap, with their positions.
    if deletion:
        left = zip(core_ref[:k], core_alt[:k], strict=True)
        right = zip(core_ref[k + gap :], core_alt[k:], strict=True)
        right_first = first + k + gap
    else:
        left = zip(core_ref[:k], core_alt[:k], strict=True)
        right = zip(core_ref[k:], core_alt[k + gap :], strict=True)
        right_first = first + k
    out = [(first + i, r, a) for i, (r, a) in enumerate(left) if r != a]
    out += [(right_first + i, r, a) for i, (r, a) in enumerate(right) if r != a]
    anchor_pos = first + k - 1
    anchor = base_at(anchor_pos) if anchor_pos >= 1 else "N"
    if deletion:
        indel = (anchor_pos, anchor + core_ref[k : k + gap], anchor)
    else:
        indel = (anchor_pos, anchor, anchor + core_alt[k : k + gap])
    if anchor_pos >= 1:
        indel = left_align(*indel, base_at)
    out.append(indel)
    return sorted(out)


def _is_short_allele(alt: str) -> bool:
    return alt not in ("*", ".") and not alt.startswith("<") and "[" not in alt and "]" not in alt


def genotype_text(carriers: Carriers) -> str:
    """``0/1``-style text of per-slot carrier flags: sorted, ``.`` for missing slots."""
    alleles = sorted(carriers, key=lambda c: (c is None, bool(c)))
    return "/".join("." if c is None else "1" if c else "0" for c in alleles)


def _union(a: Carriers, b: Carriers) -> Carriers:
    """Slot-wise union of two records' carriers (a split ``1/2`` back to one genotype)."""
    if len(a) != len(b):
        return a
    return tuple(
        True if x or y else (None if x is None and y is None else False)
        for x, y in zip(a, b, strict=True)
    )


def normalise_vcf(vcf: Path, reference: Path, out_vcf: Path, what: str) -> None:
    """Run ``bcftools norm -m -any -f REF -c e`` on a VCF (plain or bgzipped).

    Args:
        vcf: Input VCF.
        reference: FASTA the VCF was made against (indexed, or in a writable folder).
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
        if not _header_has_contigs(vcf):
            raise InputFormatError(
                f"{vcf}: the {what} VCF has no ##contig lines in its header, so bcftools cannot"
                " write its records; add them from the reference's index into a NEW file"
                f" (the original stays as it is): `bcftools reheader --fai {reference}.fai"
                f" -o {_new_name(vcf)} {vcf}`, then use {_new_name(vcf)}",
                said,
            )
        absent = sorted(set(re.findall(r'The sequence "([^"]+)" was not found', result.stderr)))
        if absent:
            from labpipe.core.regions import contig_mismatch_problems
            from labpipe.inputs.checks import reference_contigs

            raise InputFormatError(
                f"{vcf}: the {what} VCF names contigs that {reference} does not have",
                contig_mismatch_problems(absent, list(reference_contigs(reference)), "its records")
                + said,
            )
        undefined = sorted(set(re.findall(r"(\w+ '\w+') at \S+ is not defined", result.stderr)))
        if undefined:
            raise InputFormatError(
                f"{vcf}: the {what} VCF uses tags its header does not define"
                f" ({', '.join(undefined)}); add their ##INFO/##FORMAT lines into a NEW file"
                f" (e.g. `bcftools annotate --header-lines LINES.txt -o {_new_name(vcf)} {vcf}`)",
                said,
            )
        raise InputFormatError(
            f"{vcf}: bcftools norm could not normalise the {what} VCF against {reference}; "
            "check that both use the same reference build",
            said,
        )


def _header_has_contigs(vcf: Path) -> bool:
    """True if the VCF's header declares its contigs (or cannot be read: not the cause then)."""
    try:
        with pysam.VariantFile(str(vcf)) as handle:
            return bool(list(handle.header.contigs))
    except (OSError, ValueError):
        return True


def _new_name(vcf: Path) -> Path:
    name = vcf.name
    for suffix in (".vcf.gz", ".vcf.bgz", ".vcf"):
        if name.endswith(suffix):
            return vcf.with_name(name[: -len(suffix)] + ".with-contigs" + suffix)
    return vcf.with_name(name + ".with-contigs.vcf")


class _Reference:
    """Reference bases by 1-based position, one contig held in memory at a time."""

    def __init__(self, fasta: Path) -> None:
        self._fasta = open_fasta(fasta)
        self._contig = ""
        self._seq = ""

    def base_getter(self, contig: str) -> Callable[[int], str]:
        if contig != self._contig:
            self._seq = self._fasta.fetch(contig).upper()
            self._contig = contig
        seq = self._seq

        def base_at(pos: int) -> str:
            return seq[pos - 1] if 1 <= pos <= len(seq) else "N"

        return base_at

    def close(self) -> None:
        self._fasta.close()


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


def read_primitives(
    normalised_vcf: Path,
    sample: str,
    reference: _Reference,
    pass_only: bool,
) -> tuple[dict[Key, VariantRecord], int, int]:
    """The primitive variants ``sample`` carries in a split (biallelic) VCF.

    Args:
        normalised_vcf: Output of :func:`normalise_vcf`.
        sample: Sample column to read (known to exist).
        reference: Reference sequence for anchors and left-alignment.
        pass_only: Keep only records whose FILTER is PASS or ``.``.

    Returns:
        (primitives by key, records read, records skipped as not PASS).
    """
    carriers: dict[Key, Carriers] = {}
    origin: dict[Key, tuple[float | None, str]] = {}
    records = not_pass = 0
    # bcftools 1.16 declares INFO/MQ as Integer; newer htslib warns about it on every read.
    pysam.set_verbosity(0)
    with pysam.VariantFile(str(normalised_vcf)) as handle:
        for record in handle:
            records += 1
            filters = [str(name) for name in record.filter]
            if pass_only and any(name != "PASS" for name in filters):
                not_pass += 1
                continue
            genotype = tuple(record.samples[sample].get("GT") or ())
            alts = record.alts or ()
            present = sorted({a for a in genotype if a})
            if not present:
                continue
            base_at = reference.base_getter(record.chrom)
            ref = (record.ref or "").upper()
            for allele in present:
                alt = alts[allele - 1] if allele <= len(alts) else "."
                if not _is_short_allele(alt):
                    continue
                slots: Carriers = tuple(None if a is None else a == allele for a in genotype)
                for pos, p_ref, p_alt in decompose(record.pos, ref, alt.upper(), base_at):
                    key = (record.chrom, pos, p_ref, p_alt)
                    carriers[key] = _union(carriers[key], slots) if key in carriers else slots
                    origin.setdefault(key, (record.qual, ";".join(filters) or "."))
    variants = {
        key: VariantRecord(*key, genotype_text(slots), *origin[key])
        for key, slots in carriers.items()
    }
    return variants, records, not_pass


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

    ref = _Reference(reference)
    try:
        with tempfile.TemporaryDirectory(prefix="labpipe-evaluate-") as scratch:
            norm_truth = Path(scratch) / "truth.norm.vcf"
            norm_calls = Path(scratch) / "calls.norm.vcf"
            normalise_vcf(truth_vcf, reference, norm_truth, "truth")
            normalise_vcf(calls_vcf, reference, norm_calls, "calls")
            # Truth FILTERs are ignored: a truth set states what is there.
            truth, truth_records, _ = read_primitives(norm_truth, t_sample, ref, False)
            calls, call_records, not_pass = read_primitives(norm_calls, c_sample, ref, pass_only)
    finally:
        ref.close()

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


# --- reports -------------------------------------------------------------------------------


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
