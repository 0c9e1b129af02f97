"""The embedded demo data set (``test_data/``): ``labpipe simulate`` without ``--reference``.

Everything is synthetic: the genome, genes and truth variants come from
:mod:`labpipe.simulation.genome_model` and :mod:`labpipe.simulation.demo_variants`; this
module draws a targeted library from each sample's two haplotypes, reads it with
:mod:`labpipe.simulation.read_simulator` (its demo error model) and writes the files. The
same seed gives byte-identical files. Regenerate with::

    labpipe simulate --outdir test_data --overwrite          # seed 20261123 (make test-data)
    labpipe simulate --outdir test_data --overwrite --check  # and the bcftools checks

(:mod:`labpipe.simulation.demo_check` holds the checks). Over 400 lines on purpose: it is
one job, writing the demo's files in order from one random stream, and cutting it would
spread that order, which the committed bytes depend on, over several modules.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pysam

from labpipe.core.folders import claim_output_folder
from labpipe.core.sequence import reverse_complement
from labpipe.simulation.demo_variants import PlantedVariant, plant_variants
from labpipe.simulation.genome_build import build_genome
from labpipe.simulation.genome_model import GenomeModel, Segment, gff3_lines, in_segments
from labpipe.simulation.read_simulator import (
    ILLUMINA_INDEX,
    MGI_FLOWCELL,
    Emission,
    illumina_names,
    mgi_names,
    read_pairs,
    reading_order,
    write_fastq_pair,
)
from labpipe.simulation.sequencer import DNBSEQ, ILLUMINA, DemoErrorModel, Platform

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
    rank = rng.permutation(n)
    n_dup = round(config.duplicate_fraction * n)
    originals = rng.choice(n, size=n_dup, replace=False)
    emissions, _ = reading_order(fragments, rank, originals, platform, rng)
    return emissions


def write_reference(path: Path, model: GenomeModel) -> None:
    """Write the model's contigs as FASTA, 60 bases a line."""
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
        # The generator's name when the committed test_data was made (before the
        # subpackages), kept so that regenerating it gives the same bytes.
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
    errors: DemoErrorModel,
    rng: np.random.Generator,
) -> list[ReadUnit]:
    sample = SAMPLES[sample_index]
    platform = ILLUMINA if sample_index == 0 else DNBSEQ
    haps = build_haplotypes(model, variants, sample_index)
    emissions = sample_fragments(model, haps, platform, config, rng)
    pairs = list(read_pairs(emissions, platform, config.read_length, errors, rng, chunk=None))
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
            suffixes = (f" 1:N:0:{ILLUMINA_INDEX}", f" 2:N:0:{ILLUMINA_INDEX}")
            write_fastq_pair(
                outdir / fq[0], outdir / fq[1], names, [pairs[i] for i in idx], suffixes, level=9
            )
            units.append(ReadUnit(sample, unit, fq[0], fq[1], platform, library))
    else:
        names = mgi_names(len(pairs), 2, rng)
        fq = [f"reads/{MGI_FLOWCELL}_L02_{sample}_{r}.fq.gz" for r in (1, 2)]
        write_fastq_pair(outdir / fq[0], outdir / fq[1], names, pairs, ("/1", "/2"), level=9)
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
        f"    labpipe simulate --outdir test_data --seed {seed} --overwrite",
        "",
        "(`make test-data` runs this; `--check` also verifies the truth and expected",
        "consequences with bcftools).",
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
    errors: DemoErrorModel | None = None,
    overwrite: bool = False,
) -> None:
    """Generate the whole demo data set into ``outdir``.

    Args:
        outdir: Destination folder: new or empty (created if missing), unless ``overwrite``.
        seed: Seed of every random choice; the same seed gives the same bytes.
        config: Read-simulation settings; a lower ``target_depth`` makes a quick
            small data set (genome, genes and variants do not depend on it).
        errors: Sequencing error model.
        overwrite: Write into a non-empty folder, replacing files of the same name.

    Raises:
        UsageError: If ``outdir`` is an existing file, or holds files and not ``overwrite``.
        RunError: If the variant plan does not fit the genome (only with odd seeds).
    """
    claim_output_folder(outdir, overwrite, "labpipe simulate")
    config = config or SimulationConfig()
    errors = errors or DemoErrorModel()
    genome_seed, variant_seed, *read_seeds = np.random.SeedSequence(seed).spawn(2 + len(SAMPLES))
    model = build_genome(np.random.default_rng(genome_seed))
    variants = plant_variants(model, np.random.default_rng(variant_seed))
    write_reference(outdir / "reference.fa", model)
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


# test_data/README.md names every file in the folder (tests/test_repository_docs.py).
_ANNOTATION_README = """
Synthetic annotation sources (this seed only; `labpipe.simulation.demo_annotation` says how
they are chosen; none of it is real ClinVar or gnomAD data):

- `clinvar.vcf.gz` (+ `.tbi`): ClinVar-style records with contigs named 1, 2, 3 (the
  reference says chr1…): pathogenic, conflicting, uncertain and benign planted variants.
- `population_af.vcf.gz` (+ `.tbi`): gnomAD-style AF, AF_sas and AF_nfe.
- `panel_genes.txt`: the demo's gene panel, every demo gene but the last.
"""


def write_demo_data_set(
    outdir: Path,
    seed: int = DEFAULT_SEED,
    config: SimulationConfig | None = None,
    overwrite: bool = False,
) -> None:
    """Everything in ``test_data/``: :func:`generate_demo_data`, then the synthetic ClinVar,
    population-AF and panel files that :mod:`labpipe.simulation.demo_annotation` derives from it.

    Raises:
        UsageError: If ``outdir`` is an existing file, or holds files and not ``overwrite``.
        RunError: If the variant plan does not fit the genome (only with odd seeds).
    """
    from labpipe.simulation.demo_annotation import write_demo_annotation

    generate_demo_data(outdir, seed, config, overwrite=overwrite)
    if seed == DEFAULT_SEED:
        # The annotation examples (a pathogenic stop-gain, a right-shifted repeat
        # indel, …) are picked from this seed's planted variants; other seeds go without.
        write_demo_annotation(
            outdir / "truth.vcf.gz", outdir / "genes.gff3", outdir / "reference.fa", outdir
        )
        with open(outdir / "README.md", "a") as readme:
            readme.write(_ANNOTATION_README)
