"""``labpipe simulate --reference FASTA``: one sample on any reference.

Variants drawn with a germline-like spectrum (:mod:`labpipe.simulation.variant_spectrum`)
or taken from a VCF, both haplotypes built, and paired-end reads simulated
(:mod:`labpipe.simulation.read_simulator`) with the chosen read length, inserts, depth,
duplicates, errors and platform; written as a truth VCF, FASTQ pair, sample sheet and
``simulation.json``. The same seed gives the same bytes. Just over 400 lines: the option
checks (all problems at once) and the one-pass writer belong to the same command.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pysam

from labpipe import __version__
from labpipe.core.errors import InputFormatError, UsageError
from labpipe.core.folders import claim_output_folder, output_folder_problem
from labpipe.core.regions import read_bed
from labpipe.inputs.reference import open_fasta
from labpipe.simulation.demo_data import DEFAULT_SEED
from labpipe.simulation.read_simulator import (
    FastqPair,
    LibraryConfig,
    LibraryStats,
    draw_library,
    write_reads,
)
from labpipe.simulation.sequencer import PLATFORMS, SequencingConfig
from labpipe.simulation.truth_variants import Segment as SpectrumSegment
from labpipe.simulation.truth_variants import (
    SpectrumSummary,
    TruthVariant,
    summarise,
    variants_from_vcf,
)
from labpipe.simulation.variant_spectrum import SpectrumConfig
from labpipe.simulation.variant_spectrum import plant_variants as plant_spectrum

#: Sample names the sample sheet accepts.
_SAMPLE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
DATASET_SCHEMA_VERSION = 1


@dataclass(frozen=True)
class DatasetRequest:
    """What ``labpipe simulate --reference`` makes: one sample's truth and reads.

    Attributes:
        reference: FASTA to simulate on (plain or bgzip; indexed, or in a writable folder).
        outdir: Output folder.
        seed: Seed of every random choice; the same seed gives the same bytes.
        sample: Sample name (truth VCF column, FASTQ names, sample sheet).
        platform: ``ILLUMINA`` or ``DNBSEQ``: read names, adapters, quality bins.
        regions: BED of the stretches to simulate; default every run of A/C/G/T of at
            least ``min_segment`` bases (so an N-padded reference works as it is).
        variants_vcf: Take the variants from this VCF instead of drawing them.
        variants_sample: Sample column of ``variants_vcf``; default the first.
        min_segment: Shortest stretch simulated when ``regions`` is not given.
        spectrum: Variant spectrum (when drawing).
        library: Depth, read length, inserts, duplicates.
        sequencing: Error model.
        overwrite: Write into a non-empty ``outdir``, replacing files of the same name.
    """

    reference: Path
    outdir: Path
    seed: int = 1
    sample: str = "SIM001"
    platform: str = "ILLUMINA"
    regions: Path | None = None
    variants_vcf: Path | None = None
    variants_sample: str | None = None
    min_segment: int = 2_000
    spectrum: SpectrumConfig = field(default_factory=SpectrumConfig)
    library: LibraryConfig = field(default_factory=LibraryConfig)
    sequencing: SequencingConfig = field(default_factory=SequencingConfig)
    overwrite: bool = False


@dataclass(frozen=True)
class Dataset:
    """The files a simulation wrote.

    Attributes:
        truth_vcf: Truth VCF (bgzipped, indexed), one sample column, phased genotypes.
        regions_bed: The stretches simulated; use it as targets and evaluation regions.
        samples_tsv: A labpipe sample sheet for the reads.
        report_json: Parameters and what was drawn (``simulation.json``).
        reads: The FASTQ pair.
        spectrum: Figures of the variants.
        library: Figures of the library.
        warnings: What the user should know about the result (regions too short to plant in).
    """

    truth_vcf: Path
    regions_bed: Path
    samples_tsv: Path
    report_json: Path
    reads: FastqPair
    spectrum: SpectrumSummary
    library: LibraryStats
    warnings: tuple[str, ...] = ()


class _ReferenceSequences:
    """Uppercase sequence of the reference's segments, read once per contig."""

    def __init__(self, fasta: Path) -> None:
        self._fasta = open_fasta(fasta)
        self.lengths = dict(zip(self._fasta.references, self._fasta.lengths, strict=True))
        self._cache: dict[str, str] = {}

    def contig(self, name: str) -> str:
        if name not in self._cache:
            self._cache = {name: self._fasta.fetch(name).upper()}
        return self._cache[name]

    def segment(self, seg: SpectrumSegment) -> str:
        return self.contig(seg.contig)[seg.start : seg.end]

    def close(self) -> None:
        self._fasta.close()


def find_segments(reference: _ReferenceSequences, min_length: int) -> list[SpectrumSegment]:
    """Every run of A/C/G/T bases at least ``min_length`` long (N and other codes split)."""
    pattern = re.compile(f"[ACGT]{{{min_length},}}")
    return [
        SpectrumSegment(name, m.start(), m.end())
        for name in reference.lengths
        for m in pattern.finditer(reference.contig(name))
    ]


def apply_variants(seq: str, offset: int, variants: Sequence[TruthVariant], haplotype: int) -> str:
    """One haplotype of a segment: the variants it carries applied to the reference.

    Args:
        seq: The segment's reference sequence.
        offset: Contig coordinate of ``seq[0]``.
        variants: Non-overlapping variants inside the segment, sorted by position.
        haplotype: 0 or 1.
    """
    parts, cursor = [], 0
    for v in variants:
        alt = v.allele_on(haplotype)
        if alt is None:
            continue
        parts += [seq[cursor : v.pos - offset], alt]
        cursor = v.end - offset
    parts.append(seq[cursor:])
    return "".join(parts)


def write_simulated_truth(
    path: Path,
    variants: Sequence[TruthVariant],
    contigs: dict[str, int],
    reference: Path,
    sample: str,
    seed: int,
    haploid_contigs: Collection[str] = (),
) -> None:
    """Write the truth as a bgzipped, indexed VCF with phased genotypes (one allele on
    ``haploid_contigs``, e.g. a male's chrX)."""
    header = [
        "##fileformat=VCFv4.2",
        f"##source=labpipe simulate {__version__} seed={seed} (simulated truth)",
        f"##reference={reference}",
        *(f"##contig=<ID={c},length={n}>" for c, n in contigs.items()),
        '##INFO=<ID=KIND,Number=1,Type=String,Description="snv, insertion, deletion, '
        'multiallelic (or mnp when taken from a VCF)">',
        '##INFO=<ID=CONTEXT,Number=1,Type=String,Description="Repeat an indel was planted '
        'in: homopolymer, str, none (given: taken from a VCF)">',
        '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype (haplotype 1|2)">',
        f"#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\t{sample}",
    ]
    lines = [
        f"{v.contig}\t{v.pos + 1}\t.\t{v.ref}\t{','.join(v.alts)}\t.\tPASS\t"
        f"KIND={v.kind};CONTEXT={v.context}\tGT\t"
        f"{v.haplotypes[0] if v.contig in haploid_contigs else v.genotype()}"
        for v in variants
    ]
    plain = path.with_suffix("")
    plain.write_text("\n".join(header + lines) + "\n")
    pysam.tabix_index(str(plain), preset="vcf", force=True)


def simulate_dataset(request: DatasetRequest) -> Dataset:
    """Simulate one sample on any reference: truth VCF, reads and a sample sheet.

    Files written into ``request.outdir``: ``truth.vcf.gz`` (+ ``.tbi``), ``regions.bed``,
    ``reads/<FASTQ pair>``, ``samples.tsv`` and ``simulation.json``.

    Raises:
        UsageError: A parameter is out of range, or the output folder is a file or holds
            files (without ``overwrite``).
        InputFormatError: The reference, regions or variants cannot be used.
    """
    _check_request(request)
    outdir = request.outdir
    claim_output_folder(outdir, request.overwrite, "labpipe simulate")
    reference = _ReferenceSequences(request.reference)
    warnings: tuple[str, ...] = ()
    try:
        segments = _segments(request, reference)
        variant_seed, phase_seed, library_seed, sequencer_seed, names_seed = np.random.SeedSequence(
            request.seed
        ).spawn(5)
        if request.variants_vcf is not None:
            variants, skipped = variants_from_vcf(
                request.variants_vcf,
                segments,
                reference.segment,
                request.variants_sample,
                np.random.default_rng(phase_seed),
            )
        else:
            skipped = 0
            warnings = _too_short_to_plant(request, segments)
            variants = plant_spectrum(
                segments, reference.segment, request.spectrum, np.random.default_rng(variant_seed)
            )
        haplotypes: list[list[str]] = [[], []]
        for seg in segments:
            seq = reference.segment(seg)
            mine = [v for v in variants if v.contig == seg.contig and seg.start <= v.pos < seg.end]
            for h in (0, 1):
                haplotypes[h].append(apply_variants(seq, seg.start, mine, h))
        contigs = dict(reference.lengths)
    finally:
        reference.close()

    truth = outdir / "truth.vcf.gz"
    write_simulated_truth(
        truth, variants, contigs, request.reference.resolve(), request.sample, request.seed
    )
    regions = outdir / "regions.bed"
    regions.write_text("".join(f"{s.contig}\t{s.start}\t{s.end}\n" for s in segments))
    platform = PLATFORMS[request.platform]
    emissions, library_stats = draw_library(
        haplotypes, request.library, platform, np.random.default_rng(library_seed)
    )
    fastq = write_reads(
        outdir / "reads",
        request.sample,
        emissions,
        platform,
        request.library.read_length,
        request.sequencing,
        np.random.default_rng(sequencer_seed),
        np.random.default_rng(names_seed),
    )
    sheet = outdir / "samples.tsv"
    sheet.write_text(
        "sample\tunit\tfq1\tfq2\tplatform\tlibrary\n"
        f"{request.sample}\t{fastq.unit}\treads/{fastq.fq1.name}\treads/{fastq.fq2.name}"
        f"\t{platform.name}\t{request.sample}-lib1\n"
    )
    spectrum = summarise(variants)
    report = outdir / "simulation.json"
    report.write_text(
        json.dumps(
            {
                "schema_version": DATASET_SCHEMA_VERSION,
                "labpipe_version": __version__,
                "seed": request.seed,
                "reference": str(request.reference.resolve()),
                "sample": request.sample,
                "platform": platform.name,
                "regions": str(request.regions) if request.regions else None,
                "variants_vcf": str(request.variants_vcf) if request.variants_vcf else None,
                "bases_simulated": sum(s.length for s in segments),
                "spectrum_config": asdict(request.spectrum),
                "library_config": asdict(request.library),
                "sequencing_config": asdict(request.sequencing),
                "variants": {**asdict(spectrum), "ts_tv": spectrum.ts_tv},
                "variants_skipped": skipped,
                "library": asdict(library_stats),
                "read_pairs": fastq.pairs,
            },
            indent=2,
        )
        + "\n"
    )
    return Dataset(truth, regions, sheet, report, fastq, spectrum, library_stats, warnings)


def _too_short_to_plant(
    request: DatasetRequest, segments: Sequence[SpectrumSegment]
) -> tuple[str, ...]:
    """Say which ``--regions`` stretches are too short for the edge margin to hold a variant.

    Variants keep ``edge_margin`` bases from each end of a stretch (reads thin out there),
    so a stretch shorter than :attr:`SpectrumConfig.min_plantable_length` gets reads but no
    variant. All of them too short is an error (the truth would be empty); some, a warning.

    Raises:
        InputFormatError: No stretch is long enough for a variant.
    """
    need = request.spectrum.min_plantable_length
    short = [s for s in segments if s.length < need]
    if request.regions is None or not short or request.spectrum.variant_rate == 0:
        return ()
    shown = [f"{s.contig}:{s.start + 1}-{s.end} ({s.length:,} bp)" for s in short[:5]]
    if len(short) > 5:
        shown.append(f"... and {len(short) - 5} more")
    why = (
        f"variants keep {request.spectrum.edge_margin} bp from each end of a stretch "
        f"(reads thin out there), so a stretch needs at least {need:,} bp"
    )
    if len(short) == len(segments):
        raise InputFormatError(
            f"--regions {request.regions}: every stretch is too short to plant a variant in; "
            f"{why}: widen the regions (e.g. pad each by {request.spectrum.edge_margin} bp on "
            "both sides) or merge neighbouring ones",
            shown,
        )
    return (
        f"--regions {request.regions}: {len(short)} of {len(segments)} stretches are too short "
        f"to plant a variant in ({why}); they get reads but no variants: " + ", ".join(shown),
    )


def _check_request(request: DatasetRequest) -> None:
    problems = []
    folder = output_folder_problem(request.outdir, request.overwrite)
    if folder is not None:
        problems.append(folder)
    if not request.reference.is_file():
        problems.append(f"--reference {request.reference} not found")
    if request.platform not in PLATFORMS:
        problems.append(f"--platform {request.platform!r} is not one of {', '.join(PLATFORMS)}")
    if not _SAMPLE_NAME.match(request.sample):
        problems.append(f"--sample {request.sample!r}: use letters, digits, '-', '_' and '.'")
    lib, seqc, spec = request.library, request.sequencing, request.spectrum
    if lib.depth <= 0:
        problems.append(f"--depth {lib.depth} must be above 0")
    if lib.read_length < 30:
        problems.append(f"--read-length {lib.read_length} must be at least 30")
    if lib.insert_mean < lib.min_insert or lib.insert_sd < 0:
        problems.append(
            f"--insert-mean {lib.insert_mean} must be at least {lib.min_insert} "
            f"and --insert-sd {lib.insert_sd} not negative"
        )
    for flag, value, top in (
        ("--short-insert-fraction", lib.short_insert_fraction, 1.0),
        ("--duplicate-rate", lib.duplicate_rate, 0.9),
        ("--error-rate", seqc.error_rate, 0.2),
        ("--het-fraction", spec.het_fraction, 1.0),
        ("--indel-fraction", spec.indel_fraction, 1.0),
        ("--variant-rate", spec.variant_rate, 0.05),
    ):
        if not 0 <= value <= top:
            problems.append(f"{flag} {value} must be between 0 and {top}")
    for path, flag in ((request.regions, "--regions"), (request.variants_vcf, "--variants")):
        if path is not None and not path.is_file():
            problems.append(f"{flag} {path} not found")
    if problems:
        raise UsageError("labpipe simulate: cannot simulate with these settings", problems)


def _segments(request: DatasetRequest, reference: _ReferenceSequences) -> list[SpectrumSegment]:
    if request.regions is None:
        segments = find_segments(reference, request.min_segment)
        if not segments:
            raise InputFormatError(
                f"{request.reference}: no stretch of {request.min_segment}+ bases without N; "
                "give --regions or a reference with sequence in it"
            )
        return segments
    intervals = sorted(read_bed(request.regions, reference.lengths))
    merged: list[SpectrumSegment] = []
    for iv in intervals:
        if merged and merged[-1].contig == iv.contig and iv.start <= merged[-1].end:
            last = merged[-1]
            merged[-1] = SpectrumSegment(last.contig, last.start, max(last.end, iv.end))
        else:
            merged.append(SpectrumSegment(iv.contig, iv.start, iv.end))
    return merged


def dataset_request(
    reference: Path,
    outdir: Path,
    seed: int = DEFAULT_SEED,
    sample: str = "SIM001",
    platform: str = "ILLUMINA",
    regions: Path | None = None,
    variants: Path | None = None,
    variants_sample: str | None = None,
    depth: float = LibraryConfig.depth,
    read_length: int = LibraryConfig.read_length,
    insert_mean: float = LibraryConfig.insert_mean,
    insert_sd: float = LibraryConfig.insert_sd,
    short_insert_fraction: float = LibraryConfig.short_insert_fraction,
    duplicate_rate: float = LibraryConfig.duplicate_rate,
    error_rate: float = SequencingConfig.error_rate,
    variant_rate: float = SpectrumConfig.variant_rate,
    indel_fraction: float = SpectrumConfig.indel_fraction,
    het_fraction: float = SpectrumConfig.het_fraction,
    overwrite: bool = False,
) -> DatasetRequest:
    """A :class:`DatasetRequest` from ``labpipe simulate``'s option values."""
    return DatasetRequest(
        reference=reference,
        outdir=outdir,
        seed=seed,
        sample=sample,
        platform=platform.upper(),
        regions=regions,
        variants_vcf=variants,
        variants_sample=variants_sample,
        spectrum=SpectrumConfig(
            variant_rate=variant_rate, indel_fraction=indel_fraction, het_fraction=het_fraction
        ),
        library=LibraryConfig(
            depth=depth,
            read_length=read_length,
            insert_mean=insert_mean,
            insert_sd=insert_sd,
            short_insert_fraction=short_insert_fraction,
            duplicate_rate=duplicate_rate,
        ),
        sequencing=SequencingConfig(error_rate=error_rate),
        overwrite=overwrite,
    )


def describe_dataset(dataset: Dataset) -> str:
    """What a simulation wrote, for the terminal."""
    v, lib = dataset.spectrum, dataset.library
    return "\n".join(
        [
            f"truth     {dataset.truth_vcf}: {v.sites} variants ({v.snvs} SNV, "
            f"{v.insertions} insertion and {v.deletions} deletion alleles, "
            f"{v.multiallelic} multi-allelic); Ts/Tv {v.ts_tv:.2f}; "
            f"{v.het} het / {v.hom} hom; {v.indels_in_repeats} indels in repeats",
            f"reads     {dataset.reads.fq1.parent}: {dataset.reads.pairs:,} pairs "
            f"({lib.duplicate_pairs:,} duplicates, {lib.short_inserts:,} inserts shorter "
            f"than a read, mean insert {lib.mean_insert:.0f})",
            f"regions   {dataset.regions_bed}",
            f"sheet     {dataset.samples_tsv}",
            f"report    {dataset.report_json}",
        ]
    )
