"""``labpipe simulate``: the embedded demo data set, or one sample on any reference.

**Demo data** (``test_data/``, no ``--reference``): everything is synthetic; the genome,
genes and truth variants come from :mod:`labpipe.simulation.genome_model`; this module samples reads
from each sample's two haplotypes with an instrument-like error and quality profile and
writes the files. The same seed gives byte-identical files. Regenerate with::

    python -m labpipe.simulation.simulate --outdir test_data          # seed 20261123
    python -m labpipe.simulation.simulate --outdir test_data --check  # and the bcftools checks

``--check`` (and :func:`verify_demo_data`) runs, in ``outdir``::

    bcftools norm -f reference.fa -c x truth.vcf.gz          # nothing may change
    bcftools csq -f reference.fa -g genes.gff3 -l -p a truth.vcf.gz

and compares INFO/BCSQ of the canonical transcript with every row of
``expected_consequences.tsv`` (first consequence term and amino-acid field).

**Any reference** (``--reference FASTA``, :func:`simulate_dataset`): variants drawn with a
germline-like spectrum (:mod:`labpipe.simulation.variant_spectrum`) or taken from a VCF, both
haplotypes built, and paired-end reads simulated (:mod:`labpipe.simulation.read_simulator`) with the
chosen read length, inserts, depth, duplicates, errors and platform; written as a truth
VCF, FASTQ pair, sample sheet and ``simulation.json``. The same seed gives the same bytes.
"""

from __future__ import annotations

import argparse
import json
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pysam

from labpipe import __version__
from labpipe.core.errors import (
    InputFormatError,
    LabpipeError,
    MissingToolError,
    RunError,
    UsageError,
)
from labpipe.core.regions import read_bed
from labpipe.inputs.reference import open_fasta
from labpipe.simulation.genome_model import (
    GenomeModel,
    PlantedVariant,
    Segment,
    build_genome,
    gff3_lines,
    in_segments,
    plant_variants,
    reverse_complement,
)
from labpipe.simulation.read_simulator import (
    DNBSEQ,
    ILLUMINA,
    ILLUMINA_INDEX,
    MGI_FLOWCELL,
    PLATFORMS,
    Emission,
    FastqPair,
    LibraryConfig,
    LibraryStats,
    Platform,
    SequencingConfig,
    draw_library,
    illumina_names,
    mgi_names,
    read_template,
    write_gzip,
    write_reads,
)
from labpipe.simulation.variant_spectrum import Segment as SpectrumSegment
from labpipe.simulation.variant_spectrum import (
    SpectrumConfig,
    SpectrumSummary,
    TruthVariant,
    summarise,
    variants_from_vcf,
)
from labpipe.simulation.variant_spectrum import plant_variants as plant_spectrum

DEFAULT_SEED = 20261123
SAMPLES: tuple[str, str] = ("PK001", "PK002")


@dataclass(frozen=True)
class SimulationConfig:
    """Knobs of the read simulation; the defaults make the committed demo data.

    Attributes:
        target_depth: Mean unique-fragment depth over targets per sample.
        off_target_fraction: Fragments drawn anywhere in the genome.
        duplicate_fraction: Fragments emitted a second time (PCR/optical duplicates).
        read_length: Bases per read.
        insert_mean: Mean fragment length.
        insert_sd: Standard deviation of the fragment length.
        target_pad: Fragment midpoints spread this far beyond each target.
    """

    target_depth: float = 100.0
    off_target_fraction: float = 0.05
    duplicate_fraction: float = 0.03
    read_length: int = 100
    insert_mean: float = 300.0
    insert_sd: float = 60.0
    target_pad: int = 250


@dataclass(frozen=True)
class Haplotype:
    """One haplotype of a sample.

    Attributes:
        seqs: Sequence of each contig with the haplotype's variants applied.
        breaks: Per contig, the reference end of each applied variant.
        shifts: Per contig, the cumulative length change after each break.
    """

    seqs: dict[str, str]
    breaks: dict[str, np.ndarray]
    shifts: dict[str, np.ndarray]

    def to_haplotype(self, contig: str, ref_pos: int) -> int:
        """Map a reference coordinate onto this haplotype."""
        i = int(np.searchsorted(self.breaks[contig], ref_pos, side="right"))
        return ref_pos + (int(self.shifts[contig][i - 1]) if i else 0)


def build_haplotypes(
    model: GenomeModel, variants: Sequence[PlantedVariant], sample_index: int
) -> tuple[Haplotype, Haplotype]:
    """Apply one sample's genotypes to the reference: het on one haplotype, hom on both."""
    haps = []
    for h in range(2):
        seqs, breaks, shifts = {}, {}, {}
        for contig, ref_seq in model.contigs.items():
            mine = [v for v in variants if v.contig == contig and v.haplotypes[sample_index][h]]
            parts, cursor, shift, b, s = [], 0, 0, [], []
            for v in mine:
                parts += [ref_seq[cursor : v.pos], v.alt]
                cursor = v.end
                shift += len(v.alt) - len(v.ref)
                b.append(v.end)
                s.append(shift)
            parts.append(ref_seq[cursor:])
            seqs[contig] = "".join(parts)
            breaks[contig] = np.array(b, dtype=np.int64)
            shifts[contig] = np.array(s, dtype=np.int64)
        haps.append(Haplotype(seqs, breaks, shifts))
    return haps[0], haps[1]


@dataclass(frozen=True)
class ErrorModel:
    """Sequencing errors: substitutions rising linearly along the read, rare 1-bp indels.

    Attributes:
        substitution_first: Substitution rate at the first cycle.
        substitution_last: Substitution rate at the last cycle.
        indel_rate: 1-bp insertion/deletion errors per base.
        n_rate: No-calls per base, on platforms that write them.
    """

    substitution_first: float = 0.001
    substitution_last: float = 0.01
    indel_rate: float = 1e-5
    n_rate: float = 1e-4


def sequence_reads(
    templates: Sequence[str],
    platform: Platform,
    read_length: int,
    errors: ErrorModel,
    rng: np.random.Generator,
) -> list[tuple[str, str]]:
    """Turn read templates into (sequence, quality) pairs with errors and binned qualities.

    Args:
        templates: What the instrument would read without errors, each at least
            ``read_length + 1`` bases (the extra base feeds deletion errors).
        platform: Quality bins and whether no-calls occur.
        read_length: Bases per read.
        errors: The error model.
        rng: Randomness.

    Returns:
        One (sequence, Phred+33 quality) pair per template.
    """
    cut = []
    for t in templates:
        if rng.random() < errors.indel_rate * read_length:
            p = int(rng.integers(1, read_length - 1))
            t = (
                t[:p] + t[p + 1 :]
                if rng.random() < 0.5
                else t[:p] + "ACGT"[int(rng.integers(4))] + t[p:]
            )
        cut.append(t[:read_length])
    n = len(cut)
    lut = np.full(256, 4, dtype=np.uint8)
    lut[np.frombuffer(b"ACGT", dtype=np.uint8)] = np.arange(4, dtype=np.uint8)
    codes = lut[np.frombuffer("".join(cut).encode(), dtype=np.uint8)].reshape(n, read_length)
    frac = np.linspace(0.0, 1.0, read_length)
    rate = errors.substitution_first + (errors.substitution_last - errors.substitution_first) * frac
    wrong = rng.random((n, read_length)) < rate
    codes = np.where(wrong, (codes + rng.integers(1, 4, size=codes.shape)) % 4, codes).astype(
        np.uint8
    )
    # Binned qualities that track the errors: correct bases mostly get the top
    # bin (less so late in the read), wrong bases mostly the low ones.
    p_ok = np.stack([np.zeros_like(frac), 0.015 + 0.04 * frac, 0.045 + 0.08 * frac], axis=1)
    cum_ok = np.cumsum(p_ok, axis=1)  # per cycle: P(bin<=0), P(bin<=1), P(bin<=2)
    cum_bad = np.cumsum(np.array([0.15, 0.45, 0.30]))
    u = rng.random((n, read_length))
    thresholds = np.where(wrong[..., None], cum_bad[None, None, :], cum_ok[None, :, :])
    bins = (u[..., None] >= thresholds).sum(axis=2)
    if platform.no_calls and errors.n_rate > 0:
        no_call = rng.random((n, read_length)) < errors.n_rate
        codes[no_call] = 4
        bins[no_call] = 0
    quals = np.array(platform.quality_bins, dtype=np.uint8)[bins] + 33
    seq_bytes = np.frombuffer(b"ACGTN", dtype=np.uint8)[codes].tobytes().decode()
    qual_bytes = quals.astype(np.uint8).tobytes().decode()
    return [
        (
            seq_bytes[i * read_length : (i + 1) * read_length],
            qual_bytes[i * read_length : (i + 1) * read_length],
        )
        for i in range(n)
    ]


def sample_fragments(
    model: GenomeModel,
    haps: tuple[Haplotype, Haplotype],
    platform: Platform,
    config: SimulationConfig,
    rng: np.random.Generator,
) -> list[Emission]:
    """Draw the library of one sample and the order the instrument reads it in.

    Fragment midpoints are uniform over each target ±``target_pad`` (so target
    depth is flat), plus off-target fragments anywhere; ``duplicate_fraction``
    of fragments are read twice, some as optical duplicates.
    """
    targets = model.targets()
    pad = config.target_pad
    widths = np.array([t.end - t.start + 2 * pad for t in targets], dtype=float)
    n_on = round(config.target_depth * widths.sum() / (2 * config.read_length))
    n_off = round(n_on * config.off_target_fraction / (1 - config.off_target_fraction))
    picks = rng.choice(len(targets), size=n_on, p=widths / widths.sum())
    where = [
        (targets[i].contig, targets[i].start - pad + int(rng.integers(int(widths[i]))))
        for i in picks
    ]
    names = list(model.contigs)
    lengths = np.array([len(s) for s in model.contigs.values()], dtype=float)
    for c in rng.choice(len(names), size=n_off, p=lengths / lengths.sum()):
        where.append((names[c], int(rng.integers(len(model.contigs[names[c]])))))
    n = len(where)
    sizes = np.clip(np.rint(rng.normal(config.insert_mean, config.insert_sd, n)), 60, 1_000).astype(
        int
    )
    short = rng.random(n) < platform.short_fragment_fraction
    sizes[short] = rng.integers(60, 96, size=int(short.sum()))
    which = rng.integers(2, size=n)
    flip = rng.random(n) < 0.5
    fragments = []
    for (contig, mid), size, h, rev in zip(where, sizes, which, flip, strict=True):
        seq = haps[h].seqs[contig]
        start = min(max(haps[h].to_haplotype(contig, mid) - size // 2, 0), len(seq) - size)
        frag = seq[start : start + size]
        fragments.append(reverse_complement(frag) if rev else frag)
    # Sort keys: unique fragments at integer ranks, an optical duplicate right
    # after its original (+0.5), PCR duplicates anywhere (+0.75 so they never
    # split an original from its optical twin).
    rank = rng.permutation(n)
    keyed = [(float(rank[i]), fragments[i], False) for i in range(n)]
    n_dup = round(config.duplicate_fraction * n)
    for i in rng.choice(n, size=n_dup, replace=False):
        if rng.random() < platform.optical_share:
            keyed.append((rank[i] + 0.5, fragments[i], True))
        else:
            keyed.append((int(rng.integers(n)) + 0.75, fragments[i], False))
    keyed.sort(key=lambda k: k[0])
    return [Emission(frag, optical) for _, frag, optical in keyed]


def read_pairs(
    emissions: Sequence[Emission],
    platform: Platform,
    config: SimulationConfig,
    errors: ErrorModel,
    rng: np.random.Generator,
) -> list[tuple[str, str, str, str]]:
    """(R1 seq, R1 qual, R2 seq, R2 qual) of each emission; R2 reads the other end."""
    rl = config.read_length
    r1 = [read_template(e.fragment, platform.adapter_r1, rl + 1, rng) for e in emissions]
    r2 = [
        read_template(reverse_complement(e.fragment), platform.adapter_r2, rl + 1, rng)
        for e in emissions
    ]
    s1 = sequence_reads(r1, platform, rl, errors, rng)
    s2 = sequence_reads(r2, platform, rl, errors, rng)
    return [(a[0], a[1], b[0], b[1]) for a, b in zip(s1, s2, strict=True)]


def _fastq(names: Sequence[str], reads: Sequence[tuple[str, str]], suffix: str) -> Iterable[str]:
    for name, (seq, qual) in zip(names, reads, strict=True):
        yield f"@{name}{suffix}\n{seq}\n+\n{qual}\n"


def _write_reference(path: Path, model: GenomeModel) -> None:
    with path.open("w") as fh:
        for name, seq in model.contigs.items():
            fh.write(f">{name}\n")
            fh.writelines(seq[i : i + 60] + "\n" for i in range(0, len(seq), 60))


def _write_truth_vcf(
    path: Path, model: GenomeModel, variants: Sequence[PlantedVariant], seed: int
) -> None:
    """Write ``truth.vcf.gz`` (BGZF) and its tabix index."""
    header = [
        "##fileformat=VCFv4.2",
        f"##source=labpipe.simulation.simulate seed={seed} (synthetic demo truth, not real data)",
        "##reference=reference.fa",
        *(f"##contig=<ID={c},length={len(s)}>" for c, s in model.contigs.items()),
        '##INFO=<ID=PLANTED,Number=1,Type=String,Description="Class the variant was built as '
        '(the bcftools csq consequence on the canonical transcript, or intergenic)">',
        '##INFO=<ID=TRACT,Number=1,Type=String,Description="Coding repeat the indel lies in '
        '(polyA7 = A7 homopolymer, CAGx5 = five CAG units, ...)">',
        '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
        "\t".join(
            ["#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO", "FORMAT", *SAMPLES]
        ),
    ]
    lines = []
    for v in variants:
        info = f"PLANTED={v.planted_as}" + (f";TRACT={v.tract}" if v.tract else "")
        gts = [v.genotype(i) for i in range(len(SAMPLES))]
        lines.append(
            "\t".join([v.contig, str(v.pos + 1), ".", v.ref, v.alt, ".", "PASS", info, "GT", *gts])
        )
    plain = path.with_suffix("")  # truth.vcf
    plain.write_text("\n".join(header + lines) + "\n")
    pysam.tabix_index(str(plain), preset="vcf", force=True)


EXPECTED_COLUMNS = (
    "chrom",
    "pos",
    "ref",
    "alt",
    "gene",
    "transcript",
    "consequence",
    "protein_change",
    "hgvs_p",
)


def _write_expected(path: Path, variants: Sequence[PlantedVariant]) -> None:
    rows = ["\t".join(EXPECTED_COLUMNS)]
    for v in variants:
        if v.effect is None or v.gene is None:
            continue
        e = v.effect
        rows.append(
            "\t".join(
                [
                    v.contig,
                    str(v.pos + 1),
                    v.ref,
                    v.alt,
                    v.gene.name,
                    v.gene.canonical.transcript_id,
                    e.consequence,
                    e.protein_change,
                    e.hgvs_p,
                ]
            )
        )
    path.write_text("\n".join(rows) + "\n")


@dataclass(frozen=True)
class ReadUnit:
    """One sequencing unit (sample × lane) with its FASTQ paths relative to the data folder."""

    sample: str
    unit: str
    fq1: str
    fq2: str
    platform: Platform
    library: str


def _write_sample_reads(
    outdir: Path,
    sample_index: int,
    model: GenomeModel,
    variants: Sequence[PlantedVariant],
    config: SimulationConfig,
    errors: ErrorModel,
    rng: np.random.Generator,
) -> list[ReadUnit]:
    sample = SAMPLES[sample_index]
    platform = ILLUMINA if sample_index == 0 else DNBSEQ
    haps = build_haplotypes(model, variants, sample_index)
    emissions = sample_fragments(model, haps, platform, config, rng)
    pairs = read_pairs(emissions, platform, config, errors, rng)
    library = f"{sample}-lib1"
    units = []
    if platform is ILLUMINA:
        # Two lanes of one library; an optical duplicate stays in its original's lane.
        lanes: list[int] = []
        for e in emissions:
            lanes.append(lanes[-1] if e.optical and lanes else int(rng.integers(1, 3)))
        for lane in (1, 2):
            idx = [i for i, ln in enumerate(lanes) if ln == lane]
            names = illumina_names([emissions[i] for i in idx], lane, rng)
            unit = f"L{lane:03d}"
            fq = [f"reads/{sample}_S1_{unit}_R{r}_001.fastq.gz" for r in (1, 2)]
            write_gzip(
                outdir / fq[0],
                _fastq(names, [pairs[i][:2] for i in idx], f" 1:N:0:{ILLUMINA_INDEX}"),
            )
            write_gzip(
                outdir / fq[1],
                _fastq(names, [pairs[i][2:] for i in idx], f" 2:N:0:{ILLUMINA_INDEX}"),
            )
            units.append(ReadUnit(sample, unit, fq[0], fq[1], platform, library))
    else:
        names = mgi_names(len(pairs), 2, rng)
        fq = [f"reads/{MGI_FLOWCELL}_L02_{sample}_{r}.fq.gz" for r in (1, 2)]
        write_gzip(outdir / fq[0], _fastq(names, [p[:2] for p in pairs], "/1"))
        write_gzip(outdir / fq[1], _fastq(names, [p[2:] for p in pairs], "/2"))
        units.append(ReadUnit(sample, "L02", fq[0], fq[1], platform, library))
    return units


def _summary(variants: Sequence[PlantedVariant], targets: Sequence[Segment]) -> list[str]:
    """Planted-variant counts for the README."""

    def count(vs: Iterable[PlantedVariant]) -> str:
        vs = list(vs)
        snv = sum(len(v.ref) == len(v.alt) for v in vs)
        return f"{len(vs)} ({snv} SNV, {len(vs) - snv} indel)"

    inside = [v for v in variants if in_segments(targets, v.contig, v.pos, v.end)]
    lines = [
        f"- {count(variants)} variants in total, {count(inside)} inside targets.bed;",
    ]
    for i, s in enumerate(SAMPLES):
        mine = [v for v in variants if sum(v.haplotypes[i])]
        het = sum(sum(v.haplotypes[i]) == 1 for v in mine)
        lines.append(f"- {s}: {count(mine)}, {het} het / {len(mine) - het} hom;")
    shared = sum(all(sum(h) for h in v.haplotypes) for v in variants)
    lines.append(f"- {shared} shared by both samples, the rest private (0/0 in the other);")
    by_csq: dict[str, int] = {}
    for v in variants:
        if v.effect is not None:
            by_csq[v.effect.consequence] = by_csq.get(v.effect.consequence, 0) + 1
    lines.append(
        "- coding/splice consequences: "
        + ", ".join(f"{k} {n}" for k, n in sorted(by_csq.items()))
        + ";"
    )
    tracts = [f"{v.tract} ({v.gene.name if v.gene else ''})" for v in variants if v.tract]
    lines.append("- indels in coding repeats: " + ", ".join(tracts) + ".")
    return lines


def _write_readme(
    path: Path, seed: int, variants: Sequence[PlantedVariant], model: GenomeModel
) -> None:
    genes = ", ".join(f"{g.name} ({g.contig}{g.strand})" for g in model.genes)
    lines = [
        "# labpipe demo data (synthetic)",
        "",
        "Everything in this folder is invented: no human or other real sequence, no real patient.",
        "It was generated, byte for byte reproducibly, by",
        "",
        f"    python -m labpipe.simulation.simulate --outdir test_data --seed {seed}",
        "",
        "(`--check` also verifies the truth and expected consequences with bcftools).",
        "",
        "- `reference.fa`: contigs chr1 (120 kb), chr2 (100 kb), chr3 (80 kb) with GC 35-60% by",
        "  region, A/T homopolymers, di/tri-nucleotide repeats and three 1.2-2 kb segments copied",
        "  elsewhere with 2% divergence (far from the genes). No index: the pipeline builds it.",
        "- `genes.gff3`: Ensembl-style GFF3 (as `bcftools csq` reads it) of six made-up",
        f"  protein-coding genes: {genes}. LPG3 and LPG5 also have a",
        "  non-canonical isoform that skips one in-frame exon.",
        "- `targets.bed`: the panel, every CDS segment ±10 bp; name column = gene.",
        "- `truth.vcf.gz` (+ `.tbi`): the planted variants, normalised, samples PK001 and PK002.",
        "- `expected_consequences.tsv`: for each coding/splice variant, what",
        "  `bcftools csq -f reference.fa -g genes.gff3 -l -p a truth.vcf.gz` reports on the",
        "  canonical transcript (first consequence term, amino-acid field) plus HGVS p.",
        "- `samples.tsv`: the sample sheet: PK001 Illumina (lanes L001, L002), PK002 DNBSEQ (L02).",
        "- `reads/`: 2x100 bp gzipped FASTQ, ~100x over targets per sample after deduplication,",
        "  ~5% off-target, ~3% duplicates, errors rising along the read, binned qualities;",
        "  ~8% of PK002's fragments are shorter than a read (MGI adapter read-through).",
        "",
        "Planted variants:",
        "",
        *_summary(variants, model.targets()),
    ]
    path.write_text("\n".join(lines) + "\n")


def generate_demo_data(
    outdir: Path,
    seed: int = DEFAULT_SEED,
    config: SimulationConfig | None = None,
    errors: ErrorModel | None = None,
) -> None:
    """Generate the whole demo data set into ``outdir``.

    Args:
        outdir: Destination folder (created if missing); files are overwritten.
        seed: Seed of every random choice; the same seed gives the same bytes.
        config: Read-simulation settings; a lower ``target_depth`` makes a quick
            small data set (genome, genes and variants do not depend on it).
        errors: Sequencing error model.

    Raises:
        UsageError: If ``outdir`` is an existing file.
        RunError: If the variant plan does not fit the genome (only with odd seeds).
    """
    if outdir.exists() and not outdir.is_dir():
        raise UsageError(f"{outdir} exists and is not a folder; choose another output folder")
    config = config or SimulationConfig()
    errors = errors or ErrorModel()
    genome_seed, variant_seed, *read_seeds = np.random.SeedSequence(seed).spawn(2 + len(SAMPLES))
    model = build_genome(np.random.default_rng(genome_seed))
    variants = plant_variants(model, np.random.default_rng(variant_seed))
    outdir.mkdir(parents=True, exist_ok=True)
    _write_reference(outdir / "reference.fa", model)
    (outdir / "genes.gff3").write_text("\n".join(gff3_lines(model)) + "\n")
    (outdir / "targets.bed").write_text(
        "".join(f"{t.contig}\t{t.start}\t{t.end}\t{t.label}\n" for t in model.targets())
    )
    _write_truth_vcf(outdir / "truth.vcf.gz", model, variants, seed)
    _write_expected(outdir / "expected_consequences.tsv", variants)
    units: list[ReadUnit] = []
    for i, read_seed in enumerate(read_seeds):
        units += _write_sample_reads(
            outdir, i, model, variants, config, errors, np.random.default_rng(read_seed)
        )
    sheet = ["sample\tunit\tfq1\tfq2\tplatform\tlibrary"]
    sheet += [
        f"{u.sample}\t{u.unit}\t{u.fq1}\t{u.fq2}\t{u.platform.name}\t{u.library}" for u in units
    ]
    (outdir / "samples.tsv").write_text("\n".join(sheet) + "\n")
    _write_readme(outdir / "README.md", seed, variants, model)


def write_demo_data_set(
    outdir: Path, seed: int = DEFAULT_SEED, config: SimulationConfig | None = None
) -> None:
    """Everything in ``test_data/``: :func:`generate_demo_data`, then the synthetic ClinVar,
    population-AF and panel files that :mod:`labpipe.simulation.demo_annotation` derives from it.

    Raises:
        UsageError: If ``outdir`` is an existing file.
        RunError: If the variant plan does not fit the genome (only with odd seeds).
    """
    from labpipe.simulation.demo_annotation import write_demo_annotation

    generate_demo_data(outdir, seed, config)
    if seed == DEFAULT_SEED:
        # The annotation examples (a pathogenic stop-gain, a right-shifted repeat
        # indel, …) are picked from this seed's planted variants; other seeds go without.
        write_demo_annotation(
            outdir / "truth.vcf.gz", outdir / "genes.gff3", outdir / "reference.fa", outdir
        )


def _run(command: str, cwd: Path) -> str:
    """Run a bcftools command line (shell-quoted, no shell) in ``cwd``; return its stdout."""
    try:
        done = subprocess.run(
            shlex.split(command), cwd=cwd, capture_output=True, text=True, check=False
        )
    except FileNotFoundError as exc:
        raise MissingToolError("bcftools not found on PATH; install bcftools >= 1.16") from exc
    if done.returncode != 0:
        raise RunError(f"`{command}` failed in {cwd}: {done.stderr.strip()}")
    return done.stdout


def verify_demo_data(outdir: Path) -> list[str]:
    """Check the truth VCF is normalised and the expected consequences match ``bcftools csq``.

    Args:
        outdir: A folder written by :func:`generate_demo_data`.

    Returns:
        One message per problem; empty when everything agrees.

    Raises:
        MissingToolError: If bcftools is not installed.
        RunError: If a bcftools command fails.
    """
    problems = []
    sites = "bcftools query -f '%CHROM\\t%POS\\t%REF\\t%ALT\\n'"
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        # Work on copies so htslib's .fai never lands in the data folder.
        for name in ("reference.fa", "genes.gff3", "truth.vcf.gz", "truth.vcf.gz.tbi"):
            shutil.copy(outdir / name, work / name)
        truth = _run(f"{sites} truth.vcf.gz", work)
        _run("bcftools norm -f reference.fa -c x -Oz -o norm.vcf.gz truth.vcf.gz", work)
        if _run(f"{sites} norm.vcf.gz", work) != truth:
            problems.append("bcftools norm changes truth.vcf.gz: it is not normalised")
        _run(
            "bcftools csq -f reference.fa -g genes.gff3 -l -p a -Oz -o csq.vcf.gz truth.vcf.gz",
            work,
        )
        csq_out = _run(
            "bcftools query -f '%CHROM\\t%POS\\t%REF\\t%ALT\\t%BCSQ\\n' csq.vcf.gz", work
        )
    bcsq = {}
    for line in csq_out.splitlines():
        chrom, pos, ref, alt, field = line.split("\t")
        bcsq[(chrom, pos, ref, alt)] = field
    rows = (outdir / "expected_consequences.tsv").read_text().splitlines()
    expected = {}
    for line in rows[1:]:
        r = dict(zip(EXPECTED_COLUMNS, line.split("\t"), strict=True))
        key = (r["chrom"], r["pos"], r["ref"], r["alt"])
        expected[key] = r
        entries = [e.split("|") for e in bcsq.get(key, ".").split(",")]
        mine = [e for e in entries if len(e) > 2 and e[2] == r["transcript"]]
        if not mine:
            problems.append(f"{':'.join(key)}: csq reports nothing for {r['transcript']}")
            continue
        got = (mine[0][0].split("&")[0], mine[0][5] if len(mine[0]) > 5 else "")
        if got != (r["consequence"], r["protein_change"]):
            problems.append(
                f"{':'.join(key)}: expected {r['consequence']} {r['protein_change'][:40]}, "
                f"csq says {got[0]} {got[1][:40]}"
            )
    for key, field in bcsq.items():
        if key not in expected and field != ".":
            problems.append(
                f"{':'.join(key)}: csq annotates it ({field[:40]}) but the table has no row"
            )
    return problems


# --- any reference: `labpipe simulate --reference FASTA` --------------------------------

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
    """

    truth_vcf: Path
    regions_bed: Path
    samples_tsv: Path
    report_json: Path
    reads: FastqPair
    spectrum: SpectrumSummary
    library: LibraryStats


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
) -> None:
    """Write the truth as a bgzipped, indexed VCF with phased genotypes."""
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
        f"KIND={v.kind};CONTEXT={v.context}\tGT\t{v.genotype()}"
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
        UsageError: A parameter is out of range or the output folder is a file.
        InputFormatError: The reference, regions or variants cannot be used.
    """
    _check_request(request)
    outdir = request.outdir
    outdir.mkdir(parents=True, exist_ok=True)
    reference = _ReferenceSequences(request.reference)
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
    return Dataset(truth, regions, sheet, report, fastq, spectrum, library_stats)


def _check_request(request: DatasetRequest) -> None:
    problems = []
    if request.outdir.exists() and not request.outdir.is_dir():
        problems.append(f"--outdir {request.outdir} exists and is not a folder")
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
) -> DatasetRequest:
    """A :class:`DatasetRequest` from command-line values (one place maps options to
    settings for both ``labpipe simulate`` and ``python -m labpipe.simulation.simulate``)."""
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


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: ``python -m labpipe.simulation.simulate --outdir DIR [--seed N]
    [--check]`` writes the demo data; with ``--reference FASTA`` it simulates one sample on
    that reference.

    Args:
        argv: Arguments without the program name; None reads ``sys.argv``.

    Returns:
        Exit code: 0, or the failing error's exit code.
    """
    parser = argparse.ArgumentParser(
        prog="python -m labpipe.simulation.simulate", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--outdir", type=Path, required=True, help="where to write the data")
    parser.add_argument(
        "--seed", type=int, default=DEFAULT_SEED, help=f"random seed (default {DEFAULT_SEED})"
    )
    parser.add_argument(
        "--target-depth",
        "--depth",
        dest="depth",
        type=float,
        default=None,
        help="demo: mean depth over targets per sample (lower it for a quick small data set); "
        f"--reference: nominal depth (default {LibraryConfig.depth:g})",
    )
    parser.add_argument(
        "--check", action="store_true", help="demo: verify with bcftools norm/csq afterwards"
    )
    any_ref = parser.add_argument_group("simulate on any reference (--reference)")
    any_ref.add_argument("--reference", type=Path, help="FASTA to simulate on")
    any_ref.add_argument("--regions", type=Path, help="BED of stretches to simulate")
    any_ref.add_argument("--variants", type=Path, help="take variants from this VCF")
    any_ref.add_argument("--variants-sample", help="sample column of --variants")
    any_ref.add_argument("--sample", default="SIM001", help="sample name (default SIM001)")
    any_ref.add_argument("--platform", default="ILLUMINA", help="ILLUMINA or DNBSEQ")
    numbers: list[tuple[str, type, object]] = [
        ("--read-length", int, LibraryConfig.read_length),
        ("--insert-mean", float, LibraryConfig.insert_mean),
        ("--insert-sd", float, LibraryConfig.insert_sd),
        ("--short-insert-fraction", float, LibraryConfig.short_insert_fraction),
        ("--duplicate-rate", float, LibraryConfig.duplicate_rate),
        ("--error-rate", float, SequencingConfig.error_rate),
        ("--variant-rate", float, SpectrumConfig.variant_rate),
        ("--indel-fraction", float, SpectrumConfig.indel_fraction),
        ("--het-fraction", float, SpectrumConfig.het_fraction),
    ]
    for flag, kind, default in numbers:
        any_ref.add_argument(flag, type=kind, default=default, help=f"(default {default:g})")
    args = parser.parse_args(argv)
    # A developer tool outside the labpipe CLI, so it reports its own errors.
    try:
        if args.reference is None:
            depth = args.depth if args.depth is not None else SimulationConfig.target_depth
            write_demo_data_set(args.outdir, args.seed, SimulationConfig(target_depth=depth))
            if args.check:
                problems = verify_demo_data(args.outdir)
                if problems:
                    raise RunError("generated data fails its checks", problems)
                print(f"{args.outdir}: truth normalised, expected consequences match bcftools csq")
            return 0
        request = dataset_request(
            args.reference,
            args.outdir,
            seed=args.seed,
            sample=args.sample,
            platform=args.platform,
            regions=args.regions,
            variants=args.variants,
            variants_sample=args.variants_sample,
            depth=args.depth if args.depth is not None else LibraryConfig.depth,
            read_length=args.read_length,
            insert_mean=args.insert_mean,
            insert_sd=args.insert_sd,
            short_insert_fraction=args.short_insert_fraction,
            duplicate_rate=args.duplicate_rate,
            error_rate=args.error_rate,
            variant_rate=args.variant_rate,
            indel_fraction=args.indel_fraction,
            het_fraction=args.het_fraction,
        )
        print(describe_dataset(simulate_dataset(request)))
    except LabpipeError as err:
        print(f"labpipe.simulation.simulate: error: {err.render()}", file=sys.stderr)
        return err.exit_code
    return 0


if __name__ == "__main__":
    sys.exit(main())
