"""The sex the data show, against the sample sheet: inferred from depth and chrX
heterozygosity after calling.

* **Inference.** From depth and heterozygosity, after calling (:func:`infer_sex`, thresholds
  below); when the data cannot tell, the answer is "not inferred" with the reason.

Where chrX and chrY are haploid (PARs, ploidy files) is :mod:`labpipe.qc.sex_chromosomes`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from labpipe.config.samplesheet import FEMALE, MALE
from labpipe.core.errors import InputFormatError
from labpipe.core.i18n import N_
from labpipe.core.records import read_record, write_record
from labpipe.core.regions import Interval, is_autosome
from labpipe.qc.sex_chromosomes import SexChromosomes, calls_haploid

#: What ``sex_inferred`` holds when the data cannot tell.
NOT_INFERRED = N_("not inferred")

# The sex note's pieces, written in English into the QC table and sex JSON, translated where
# the report shows them (NOTE_MESSAGES, labpipe.qc.verdict.sex_note_in_words).
_X_DEPTH = N_("chrX depth %(ratio)s× autosomes")
_Y_DEPTH = N_("chrY %(ratio)s×")
_NO_Y_TARGET = N_("chrY not targeted")
_X_SNVS = N_("%(het)s of %(snvs)s chrX SNVs heterozygous")
_X_SNVS_FEW = N_("%(het)s of %(snvs)s chrX SNVs heterozygous (too few to judge: %(needed)s needed)")
_NO_AUTOSOME = N_("the targets include no autosome (chr1-chr22) to compare with")
_LOW_AUTOSOME_DEPTH = N_(
    "the autosomal targets' mean depth is %(depth)s×; inference needs %(needed)s×"
)
_LITTLE_X = N_(
    "the targets include less than %(bases)s bp of chrX outside the pseudoautosomal regions"
)
_ONE_X_NO_Y = N_("one X by depth but no Y (%(figures)s): 45,X, or a lost Y?")
_Y_BETWEEN = N_("chrY depth between absent and present (%(figures)s)")
_ONE_X_HET = N_("one X by depth, but its SNVs are heterozygous (%(figures)s): contamination?")
_TWO_X_AND_Y = N_("two X by depth and a Y (%(figures)s): 47,XXY?")
_X_BETWEEN = N_("chrX depth between one copy (<= %(one)s×) and two (>= %(two)s×) (%(figures)s)")
#: Every message a sex note is written from (with those of labpipe.qc.sex_chromosomes).
NOTE_MESSAGES = (
    _X_DEPTH,
    _Y_DEPTH,
    _X_SNVS,
    _X_SNVS_FEW,
    _LOW_AUTOSOME_DEPTH,
    _LITTLE_X,
    _ONE_X_NO_Y,
    _Y_BETWEEN,
    _ONE_X_HET,
    _TWO_X_AND_Y,
    _X_BETWEEN,
)

# --- inference thresholds (documented in docs/sex_and_ploidy.md) -------------------------
#: Mean depth over the autosomal targets below which no ratio is trusted.
MIN_AUTOSOME_DEPTH = 10.0
#: Target bases (outside the PARs) a sex chromosome needs for its depth to count.
MIN_TARGET_BASES = 1000
#: chrX depth / autosomal depth at or below which the sample has one X.
X_ONE_COPY_MAX = 0.65
#: ... and at or above which it has two.
X_TWO_COPIES_MIN = 0.85
#: chrY depth / autosomal depth at or above which a Y is present.
Y_PRESENT_MIN = 0.2
#: ... and at or below which it is absent (mis-mapped reads give females a little).
Y_ABSENT_MAX = 0.1
#: PASS chrX SNVs (outside the PARs) needed before their heterozygosity counts.
MIN_X_SNVS = 10
#: Share of those SNVs heterozygous above which one X copy is contradicted.
MALE_MAX_HET_FRACTION = 0.2
#: A site is heterozygous when each allele has at least this share of its reads.
HET_MIN_ALLELE_FRACTION = 0.2


# --- inference -----------------------------------------------------------------------------


@dataclass(frozen=True)
class SexEvidence:
    """What the data say about a sample's sex chromosomes.

    Attributes:
        autosome_depth: Mean depth over the autosomal targets; None without any.
        x_depth: Mean depth over chrX targets outside the PARs; None with fewer than
            :data:`MIN_TARGET_BASES` of them.
        y_depth: The same for chrY.
        x_snvs: PASS chrX SNVs outside the PARs.
        x_het_snvs: Of those, heterozygous by their reads (see :func:`is_heterozygous`).
        problem: Why nothing could be measured ('' when it could).
    """

    autosome_depth: float | None
    x_depth: float | None
    y_depth: float | None
    x_snvs: int = 0
    x_het_snvs: int = 0
    problem: str = ""

    @property
    def x_ratio(self) -> float | None:
        """chrX depth / autosomal depth."""
        return _ratio(self.x_depth, self.autosome_depth)

    @property
    def y_ratio(self) -> float | None:
        """chrY depth / autosomal depth."""
        return _ratio(self.y_depth, self.autosome_depth)

    @property
    def het_fraction(self) -> float | None:
        """Heterozygous share of the chrX SNVs; None without SNVs."""
        return round(self.x_het_snvs / self.x_snvs, 4) if self.x_snvs else None

    def figures(self) -> str:
        """The evidence in words, e.g. ``chrX depth 0.51× autosomes, chrY 0.48×, ...``."""
        parts = []
        if self.x_ratio is not None:
            parts.append(_X_DEPTH % {"ratio": f"{self.x_ratio:.2f}"})
        if self.y_ratio is not None:
            parts.append(_Y_DEPTH % {"ratio": f"{self.y_ratio:.2f}"})
        elif self.x_ratio is not None:
            parts.append(_NO_Y_TARGET)
        counts = {"het": self.x_het_snvs, "snvs": self.x_snvs, "needed": MIN_X_SNVS}
        parts.append((_X_SNVS_FEW if self.x_snvs < MIN_X_SNVS else _X_SNVS) % counts)
        return ", ".join(parts)


def _ratio(part: float | None, whole: float | None) -> float | None:
    if part is None or not whole:
        return None
    return round(part / whole, 4)


@dataclass(frozen=True)
class SexCall:
    """The sex the data show.

    Attributes:
        inferred: ``male``, ``female`` or :data:`NOT_INFERRED`.
        note: The figures behind it, or why it was not inferred.
    """

    inferred: str
    note: str


def infer_sex(evidence: SexEvidence) -> SexCall:
    """Decide male, female or not inferred from depth ratios and X heterozygosity.

    One X (chrX/autosome <= 0.65) with a Y (chrY/autosome >= 0.2, or chrY not targeted)
    and X heterozygosity not above 0.2 (when >= 10 SNVs) is male; two X (>= 0.85)
    without a Y (<= 0.1, or not targeted) is female. Anything else is not inferred, with
    the reason: values between the limits, or signals that disagree (45,X, 47,XXY and
    contamination look like this). Low X heterozygosity never argues against female:
    children of related parents have long homozygous stretches.
    """
    if evidence.problem:
        return SexCall(NOT_INFERRED, evidence.problem)
    if evidence.autosome_depth is None:
        return SexCall(NOT_INFERRED, _NO_AUTOSOME)
    if evidence.autosome_depth < MIN_AUTOSOME_DEPTH:
        depths = {"depth": f"{evidence.autosome_depth:.1f}", "needed": f"{MIN_AUTOSOME_DEPTH:g}"}
        return SexCall(NOT_INFERRED, _LOW_AUTOSOME_DEPTH % depths)
    x, y = evidence.x_ratio, evidence.y_ratio
    if x is None:
        return SexCall(NOT_INFERRED, _LITTLE_X % {"bases": f"{MIN_TARGET_BASES:,}"})
    figures = {"figures": evidence.figures()}
    het = evidence.het_fraction if evidence.x_snvs >= MIN_X_SNVS else None
    if x <= X_ONE_COPY_MAX:
        if y is not None and y <= Y_ABSENT_MAX:
            return SexCall(NOT_INFERRED, _ONE_X_NO_Y % figures)
        if y is not None and y < Y_PRESENT_MIN:
            return SexCall(NOT_INFERRED, _Y_BETWEEN % figures)
        if het is not None and het > MALE_MAX_HET_FRACTION:
            return SexCall(NOT_INFERRED, _ONE_X_HET % figures)
        return SexCall(MALE, figures["figures"])
    if x >= X_TWO_COPIES_MIN:
        if y is not None and y >= Y_PRESENT_MIN:
            return SexCall(NOT_INFERRED, _TWO_X_AND_Y % figures)
        if y is not None and y > Y_ABSENT_MAX:
            return SexCall(NOT_INFERRED, _Y_BETWEEN % figures)
        return SexCall(FEMALE, figures["figures"])
    limits = {"one": X_ONE_COPY_MAX, "two": X_TWO_COPIES_MIN}
    return SexCall(NOT_INFERRED, _X_BETWEEN % (limits | figures))


def is_heterozygous(allele_depths: Iterable[int] | None, genotype: list[int]) -> bool:
    """Whether a site looks heterozygous: both alleles in >= 20% of its reads.

    Read counts, not the genotype, decide where they are given: a haploid call cannot be
    heterozygous, and the question is whether the reads show two X copies. Without read
    counts, a genotype with two different alleles counts.
    """
    depths = [d for d in (allele_depths or []) if d >= 0]
    total = sum(depths)
    if len(depths) >= 2 and total > 0:
        return sum(d / total >= HET_MIN_ALLELE_FRACTION for d in depths) >= 2
    called = [a for a in genotype if a >= 0]
    return len(set(called)) > 1


def sex_depth_regions(targets: Iterable[Interval], chromosomes: SexChromosomes) -> list[Interval]:
    """The targets mosdepth measures the sex depths over: autosomal targets as they are,
    chrX/chrY targets cut to their parts outside the PARs; nothing else.

    Cut, because a target that spans a PAR boundary (or a whole chrX when there are no
    targets) would mix diploid PAR depth into a male's haploid X. Empty when the sex
    chromosomes cannot be told from the PARs (``chromosomes.problem``).
    """
    if chromosomes.problem:
        return []
    regions: list[Interval] = []
    for target in targets:
        if target.contig in (chromosomes.x, chromosomes.y):
            regions += [
                Interval(target.contig, max(part.start, target.start), min(part.end, target.end))
                for part in chromosomes.haploid
                if part.contig == target.contig
                and part.start < target.end
                and target.start < part.end
            ]
        elif is_autosome(target.contig):
            regions.append(Interval(target.contig, target.start, target.end))
    return regions


def read_region_bases(summary: Path) -> dict[str, int]:
    """``{contig: bases}`` from the ``<contig>_region`` rows of a mosdepth summary (mosdepth
    run with ``--by``); mosdepth leaves out a contig without reads, and an empty file (no
    regions measured) gives nothing.

    Raises:
        InputFormatError: Naming the file when it is not a mosdepth summary.
    """
    try:
        lines = Path(summary).read_text().splitlines()
    except OSError as exc:
        raise InputFormatError(f"{summary}: cannot read the mosdepth summary ({exc})") from None
    if not lines:
        return {}
    if lines[0].split("\t")[:3] != ["chrom", "length", "bases"]:
        raise InputFormatError(f"{summary} line 1: not a mosdepth summary header")
    bases: dict[str, int] = {}
    for number, line in enumerate(lines[1:], start=2):
        fields = line.split("\t")
        if not fields[0].endswith("_region") or fields[0] == "total_region":
            continue
        try:
            bases[fields[0].removesuffix("_region")] = int(fields[2])
        except (IndexError, ValueError):
            raise InputFormatError(f"{summary} line {number}: expected whole numbers") from None
    return bases


def measure_sex_evidence(
    chromosomes: SexChromosomes, regions: Path, depth_summary: Path, vcf: Path, sample: str
) -> SexEvidence:
    """Depths from mosdepth over :func:`sex_depth_regions`; chrX SNVs from the VCF.

    Args:
        chromosomes: The reference's sex chromosomes.
        regions: The BED of :func:`sex_depth_regions`.
        depth_summary: ``mosdepth --by <regions>`` summary of the sample.
        vcf: The sample's calls.
        sample: Its name in the VCF.

    Raises:
        InputFormatError: The summary or the VCF is missing or malformed.
    """
    if chromosomes.problem:
        return SexEvidence(None, None, None, problem=chromosomes.problem)
    from labpipe.core.regions import read_bed

    lengths: dict[str, int] = {}
    for region in read_bed(regions):
        lengths[region.contig] = lengths.get(region.contig, 0) + region.length
    bases = read_region_bases(depth_summary)

    def mean(contigs: list[str], minimum: int) -> float | None:
        length = sum(lengths.get(c, 0) for c in contigs)
        total = sum(bases.get(c, 0) for c in contigs)
        return round(total / length, 4) if length >= max(minimum, 1) else None

    autosomes = [c for c in lengths if is_autosome(c)]
    x = [chromosomes.x] if chromosomes.x else []
    y = [chromosomes.y] if chromosomes.y else []
    snvs, hets = _x_snvs(chromosomes, vcf, sample)
    return SexEvidence(
        mean(autosomes, 1), mean(x, MIN_TARGET_BASES), mean(y, MIN_TARGET_BASES), snvs, hets
    )


def _x_snvs(chromosomes: SexChromosomes, vcf: Path, sample: str) -> tuple[int, int]:
    """PASS chrX SNVs outside the PARs, and how many of them are heterozygous."""
    import cyvcf2

    try:
        reader = cyvcf2.VCF(str(vcf), samples=[sample], lazy=True)
    except (OSError, ValueError) as exc:
        raise InputFormatError(f"{vcf}: cannot read the VCF ({exc})") from None
    pars = [p for p in chromosomes.pars if p.contig == chromosomes.x]
    snvs = hets = 0
    try:
        if sample not in reader.samples:
            raise InputFormatError(f"{vcf}: no sample '{sample}' in the VCF")
        has_ad = bool(reader.contains("AD"))
        records = reader(str(chromosomes.x)) if reader.seqnames else iter(reader)
        for record in records:
            if chromosomes.x != record.CHROM or record.FILTER not in (None, "PASS"):
                continue
            if len(record.REF) != 1 or len(record.ALT) != 1 or len(record.ALT[0]) != 1:
                continue
            if any(p.start <= record.POS - 1 < p.end for p in pars):
                continue
            genotype = list(record.genotypes[0][:-1]) if record.genotypes else []
            ad = record.format("AD") if has_ad else None
            depths = [int(d) for d in ad[0]] if ad is not None else None
            snvs += 1
            hets += is_heterozygous(depths, genotype)
    finally:
        reader.close()
    return snvs, hets


# --- the per-sample result -----------------------------------------------------------------


@dataclass(frozen=True)
class SexCheck:
    """One sample's sex check, as ``results/qc/sex/<sample>.sex.json`` holds it.

    Attributes:
        sample: Sample id.
        sex_declared: From the sample sheet: male, female or unknown.
        sex_inferred: male, female or :data:`NOT_INFERRED`.
        x_autosome_depth_ratio: chrX/autosomal depth; None when not measured.
        y_autosome_depth_ratio: chrY/autosomal depth; None when not measured.
        x_het_fraction: Heterozygous share of the chrX SNVs; None without SNVs.
        x_snvs: PASS chrX SNVs outside the PARs.
        x_het_snvs: Of those, heterozygous.
        note: The figures, or why the sex was not inferred.
        haploid_calling: Whether chrX/chrY outside the PARs were called haploid.
        ploidy_note: Why they were not, when the sheet says male.
    """

    sample: str
    sex_declared: str
    sex_inferred: str
    x_autosome_depth_ratio: float | None
    y_autosome_depth_ratio: float | None
    x_het_fraction: float | None
    x_snvs: int
    x_het_snvs: int
    note: str
    haploid_calling: bool
    ploidy_note: str = ""


def check_sex(
    sample: str,
    declared: str,
    chromosomes: SexChromosomes,
    regions: Path,
    depth_summary: Path,
    vcf: Path,
) -> SexCheck:
    """Measure, infer and record one sample's sex (see :func:`infer_sex` and
    :func:`measure_sex_evidence`)."""
    evidence = measure_sex_evidence(chromosomes, regions, depth_summary, vcf, sample)
    call = infer_sex(evidence)
    haploid = calls_haploid(declared, chromosomes)
    ploidy_note = ""
    if declared == MALE and not haploid:
        # The inference's note often gives the same reason already: say it once.
        reason = "" if chromosomes.problem in call.note else f": {chromosomes.problem}"
        ploidy_note = f"chrX and chrY called diploid{reason}"
    return SexCheck(
        sample=sample,
        sex_declared=declared,
        sex_inferred=call.inferred,
        x_autosome_depth_ratio=evidence.x_ratio,
        y_autosome_depth_ratio=evidence.y_ratio,
        x_het_fraction=evidence.het_fraction,
        x_snvs=evidence.x_snvs,
        x_het_snvs=evidence.x_het_snvs,
        note=call.note,
        haploid_calling=haploid,
        ploidy_note=ploidy_note,
    )


def write_sex_check(check: SexCheck, out: Path) -> None:
    """Write a sample's sex check as JSON, atomically."""
    write_record(check, out)


def read_sex_check(path: Path) -> SexCheck:
    """Read a file written by :func:`write_sex_check`.

    Raises:
        InputFormatError: Naming the file when it is missing or not a sex check.
    """
    return read_record(SexCheck, path, "a labpipe sex check")
