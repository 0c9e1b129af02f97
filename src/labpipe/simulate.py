"""Generate labpipe's embedded demo data set (``test_data/``) from a fixed seed.

Everything written is synthetic: the genome, genes and truth variants come from
:mod:`labpipe.genome_model`; this module samples reads from each sample's two
haplotypes with an instrument-like error and quality profile and writes the
files. The same seed gives byte-identical files.

Regenerate with::

    python -m labpipe.simulate --outdir test_data            # seed 20261123
    python -m labpipe.simulate --outdir test_data --check    # also run the bcftools checks

``--check`` (and :func:`verify_demo_data`) runs, in ``outdir``::

    bcftools norm -f reference.fa -c x truth.vcf.gz          # nothing may change
    bcftools csq -f reference.fa -g genes.gff3 -l -p a truth.vcf.gz

and compares INFO/BCSQ of the canonical transcript with every row of
``expected_consequences.tsv`` (first consequence term and amino-acid field).
"""

from __future__ import annotations

import argparse
import gzip
import shlex
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pysam

from labpipe.errors import LabpipeError, MissingToolError, RunError, UsageError
from labpipe.genome_model import (
    GenomeModel,
    PlantedVariant,
    Segment,
    build_genome,
    gff3_lines,
    in_segments,
    plant_variants,
    reverse_complement,
)

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
class Platform:
    """What differs between the sequencers the demo imitates.

    Attributes:
        name: Sample-sheet platform value.
        adapter_r1: Adapter read through after a short fragment in R1.
        adapter_r2: The same for R2.
        quality_bins: Phred values the instrument emits, lowest first.
        short_fragment_fraction: Fragments of 60-95 bp (shorter than a read).
        optical_share: Share of duplicates that are optical (a neighbouring
            cluster on the same tile); zero on DNBSEQ's patterned arrays here.
        no_calls: Whether the instrument writes ``N`` (with the lowest bin).
    """

    name: str
    adapter_r1: str
    adapter_r2: str
    quality_bins: tuple[int, int, int, int]
    short_fragment_fraction: float
    optical_share: float
    no_calls: bool


ILLUMINA = Platform(
    "ILLUMINA",
    "AGATCGGAAGAGCACACGTCTGAACTCCAGTCA",
    "AGATCGGAAGAGCGTCGTGTAGGGAAAGAGTGT",
    (2, 12, 23, 37),
    0.0,
    1 / 3,
    True,
)
DNBSEQ = Platform(
    "DNBSEQ",
    "AAGTCGGAGGCCAAGCGGTCTTAGGAAGACAA",
    "AAGTCGGATCGTAGCCATGTCGTTCTGTGAGCCAAGGAGTTG",
    (10, 20, 30, 40),
    0.08,
    0.0,
    False,
)


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


@dataclass(frozen=True)
class Emission:
    """One read pair as the instrument reports it.

    Attributes:
        fragment: Fragment sequence in R1 orientation.
        optical: An optical duplicate of the previous emission (neighbouring cluster).
    """

    fragment: str
    optical: bool


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


def _read_template(frag: str, adapter: str, length: int, rng: np.random.Generator) -> str:
    """The first ``length`` bases an instrument reads from ``frag``: past a short
    fragment's end it reads the adapter, then unrelated sequence."""
    t = frag[:length] if len(frag) >= length else frag + adapter
    if len(t) < length:
        t += "".join("ACGT"[int(i)] for i in rng.integers(4, size=length - len(t)))
    return t


def read_pairs(
    emissions: Sequence[Emission],
    platform: Platform,
    config: SimulationConfig,
    errors: ErrorModel,
    rng: np.random.Generator,
) -> list[tuple[str, str, str, str]]:
    """(R1 seq, R1 qual, R2 seq, R2 qual) of each emission; R2 reads the other end."""
    rl = config.read_length
    r1 = [_read_template(e.fragment, platform.adapter_r1, rl + 1, rng) for e in emissions]
    r2 = [
        _read_template(reverse_complement(e.fragment), platform.adapter_r2, rl + 1, rng)
        for e in emissions
    ]
    s1 = sequence_reads(r1, platform, rl, errors, rng)
    s2 = sequence_reads(r2, platform, rl, errors, rng)
    return [(a[0], a[1], b[0], b[1]) for a, b in zip(s1, s2, strict=True)]


ILLUMINA_RUN = "A00123:8:H7KJ2DSXY"
ILLUMINA_INDEX = "ACGTACGT+TTGACCAA"
MGI_FLOWCELL = "V350012345"


def illumina_names(emissions: Sequence[Emission], lane: int, rng: np.random.Generator) -> list[str]:
    """NovaSeq-style names ``A00123:8:H7KJ2DSXY:<lane>:<tile>:<x>:<y>``, tiles in order,
    y increasing within a tile; optical duplicates sit next to their original."""
    names: list[str] = []
    tile_index, in_tile, x, y = 0, 0, 0, 1_000
    for e in emissions:
        tile = (1101, 2101)[tile_index // 78 % 2] + tile_index % 78
        if e.optical and names:
            ox = max(1_000, x + int(rng.integers(-40, 41)))
            names.append(f"{ILLUMINA_RUN}:{lane}:{tile}:{ox}:{y + int(rng.integers(1, 20))}")
            continue
        if in_tile == 500:
            tile_index, in_tile, y = tile_index + 1, 0, 1_000
            tile = (1101, 2101)[tile_index // 78 % 2] + tile_index % 78
        in_tile += 1
        y += int(rng.integers(40, 71))
        x = int(rng.integers(1_000, 32_001))
        names.append(f"{ILLUMINA_RUN}:{lane}:{tile}:{x}:{y}")
    return names


def mgi_names(n: int, lane: int, rng: np.random.Generator) -> list[str]:
    """DNBSEQ-style names ``V350012345L2C001R0010000123``: field of view (column,
    row) then an increasing DNB index within it."""
    names = []
    fov, index = 0, 0
    for k in range(n):
        if k and k % 2_000 == 0:
            fov, index = fov + 1, 0
        index += int(rng.integers(1, 31))
        names.append(f"{MGI_FLOWCELL}L{lane}C{fov // 10 + 1:03d}R{fov % 10 + 1:03d}{index:07d}")
    return names


def _write_gzip(path: Path, text: Iterable[str]) -> None:
    """gzip with no name and mtime 0, so the same content gives the same bytes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as gz:
        for chunk in text:
            gz.write(chunk.encode())


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
        f"##source=labpipe.simulate seed={seed} (synthetic demo truth, not real data)",
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
            _write_gzip(
                outdir / fq[0],
                _fastq(names, [pairs[i][:2] for i in idx], f" 1:N:0:{ILLUMINA_INDEX}"),
            )
            _write_gzip(
                outdir / fq[1],
                _fastq(names, [pairs[i][2:] for i in idx], f" 2:N:0:{ILLUMINA_INDEX}"),
            )
            units.append(ReadUnit(sample, unit, fq[0], fq[1], platform, library))
    else:
        names = mgi_names(len(pairs), 2, rng)
        fq = [f"reads/{MGI_FLOWCELL}_L02_{sample}_{r}.fq.gz" for r in (1, 2)]
        _write_gzip(outdir / fq[0], _fastq(names, [p[:2] for p in pairs], "/1"))
        _write_gzip(outdir / fq[1], _fastq(names, [p[2:] for p in pairs], "/2"))
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
        f"    python -m labpipe.simulate --outdir test_data --seed {seed}",
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


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: ``python -m labpipe.simulate --outdir DIR [--seed N] [--check]``.

    Args:
        argv: Arguments without the program name; None reads ``sys.argv``.

    Returns:
        Exit code: 0, or the failing error's exit code.
    """
    parser = argparse.ArgumentParser(
        prog="python -m labpipe.simulate", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--outdir", type=Path, required=True, help="where to write the demo data")
    parser.add_argument(
        "--seed", type=int, default=DEFAULT_SEED, help=f"random seed (default {DEFAULT_SEED})"
    )
    parser.add_argument(
        "--target-depth",
        type=float,
        default=SimulationConfig.target_depth,
        help="mean depth over targets per sample; lower it for a quick small data set",
    )
    parser.add_argument(
        "--check", action="store_true", help="verify with bcftools norm/csq afterwards"
    )
    args = parser.parse_args(argv)
    # A developer tool outside the labpipe CLI, so it reports its own errors.
    try:
        generate_demo_data(args.outdir, args.seed, SimulationConfig(target_depth=args.target_depth))
        if args.check:
            problems = verify_demo_data(args.outdir)
            if problems:
                raise RunError("generated data fails its checks", problems)
            print(f"{args.outdir}: truth normalised, expected consequences match bcftools csq")
    except LabpipeError as err:
        print(f"labpipe.simulate: error: {err.render()}", file=sys.stderr)
        return err.exit_code
    return 0


if __name__ == "__main__":
    sys.exit(main())
