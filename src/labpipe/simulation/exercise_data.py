"""The files of a classroom exercise (``labpipe simulate --scenario``): a synthetic genome
with its genes, each sample's reads, a sample sheet and a config that runs as it is.

Built from the demo's pieces: the genome of :mod:`labpipe.simulation.genome_build` (the
demo seed's, so students meet the genes LPG1-LPG6 of ``labpipe demo``), variants placed
by :mod:`labpipe.simulation.demo_variants`, haplotypes by
:func:`labpipe.simulation.demo_data.build_haplotypes`, and reads by labpipe's one read
simulator (:func:`~labpipe.simulation.read_simulator.draw_library`,
:func:`~labpipe.simulation.read_simulator.write_reads`). What a scenario changes (depth,
duplicates, short inserts, a swap, contig names, another build) is a parameter here;
:mod:`labpipe.simulation.scenarios` chooses them and says what the report should show.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import yaml

from labpipe.simulation.dataset import write_simulated_truth
from labpipe.simulation.demo_data import DEFAULT_SEED, build_haplotypes, write_reference
from labpipe.simulation.demo_sources import ClinVarEntry, Planted, write_clinvar, write_population
from labpipe.simulation.demo_variants import PlantedVariant, place_coding_variant
from labpipe.simulation.genome_build import build_genome, random_bases
from labpipe.simulation.genome_model import GenomeModel, Segment, gff3_lines
from labpipe.simulation.read_simulator import (
    FastqPair,
    LibraryConfig,
    LibraryStats,
    draw_library,
    write_reads,
)
from labpipe.simulation.sequencer import Platform, SequencingConfig
from labpipe.simulation.truth_variants import TruthVariant

#: Synthetic sex chromosomes added for the sex check (random sequence, no genes).
SEX_CONTIGS: dict[str, int] = {"chrX": 24_000, "chrY": 20_000}
#: Their pseudoautosomal stretch at the start (the config's par_regions names it).
PAR_END = 2_000
#: Starts of the 500-bp targets on each sex chromosome (2,000 bp outside the PAR each, the
#: sex check needs 1,000).
SEX_TARGET_STARTS: tuple[int, ...] = (4_000, 8_000, 12_000, 16_000)
SEX_TARGET_LENGTH = 500
#: Fragments start this far outside each target, so that depth is flat over the target.
TARGET_PAD = 400
READ_LENGTH = 100
#: Population frequency given to the background missense variants: common (tier 4).
COMMON_AF = {"AF": "0.046", "AF_sas": "0.071", "AF_nfe": "0.039"}
#: ... and to the background synonymous ones: rare, but synonymous is not a coding change.
RARE_AF = {"AF": "2.1e-05", "AF_sas": "3.3e-05", "AF_nfe": "1.2e-05"}
POPULATION_NAME = "population_af.vcf.gz"
PANEL_NAME = "panel_genes.txt"


def exercise_genome(sex_chromosomes: bool = False) -> GenomeModel:
    """The demo genome (the demo seed's), with synthetic chrX and chrY when asked."""
    model = build_genome(np.random.default_rng(np.random.SeedSequence(DEFAULT_SEED).spawn(1)[0]))
    if not sex_chromosomes:
        return model
    rng = np.random.default_rng(DEFAULT_SEED + 23)
    contigs = dict(model.contigs)
    for name, length in SEX_CONTIGS.items():
        contigs[name] = random_bases(rng, length, 0.4)
    return GenomeModel(contigs, list(model.genes), list(model.repeats))


def exercise_targets(model: GenomeModel) -> list[Segment]:
    """The panel targets (every CDS ±10 bp) and, with sex chromosomes, theirs."""
    targets = model.targets()
    for name in SEX_CONTIGS:
        if name in model.contigs:
            targets += [
                Segment(name, s, s + SEX_TARGET_LENGTH, f"{name}_target{k}")
                for k, s in enumerate(SEX_TARGET_STARTS, start=1)
            ]
    return targets


def background_variants(
    model: GenomeModel, rng: np.random.Generator, placed: Sequence[PlantedVariant] = ()
) -> list[PlantedVariant]:
    """A person's ordinary variants: synonymous ones (rare) and missense ones (common in
    the population file), in genes taken in turn, each het or hom at random."""
    variants = list(placed)
    out = []
    genes = list(model.genes)
    for k, kind in enumerate(("synonymous", "missense") * 3 + ("synonymous",)):
        gene = genes[(k + int(rng.integers(len(genes)))) % len(genes)]
        variant = place_coding_variant(model, gene, kind, variants, rng)
        if variant is None:
            continue
        variant = replace(variant, haplotypes=(random_genotype(rng),))
        variants.append(variant)
        out.append(variant)
    return out


def random_genotype(rng: np.random.Generator, hom_share: float = 0.3) -> tuple[bool, bool]:
    """Haplotypes carrying a variant: homozygous with ``hom_share``, else one at random."""
    if rng.random() < hom_share:
        return (True, True)
    first = bool(rng.random() < 0.5)
    return (first, not first)


@dataclass(frozen=True)
class Individual:
    """A person whose DNA is sequenced.

    Attributes:
        name: Who it is (the truth file's sample name).
        sex: ``male`` or ``female`` (matters only with sex chromosomes).
        variants: Their variants, one genotype each (``haplotypes`` of one sample).
        planted: Which of them the exercise is about (the rest are background).
    """

    name: str
    sex: str
    variants: tuple[PlantedVariant, ...]
    planted: frozenset[tuple[str, int, str, str]] = frozenset()

    def background(self) -> list[PlantedVariant]:
        """The ordinary variants: all but the exercise's planted ones."""
        return [v for v in self.variants if variant_key(v) not in self.planted]


def variant_key(v: PlantedVariant) -> tuple[str, int, str, str]:
    """(contig, 0-based position, REF, ALT)."""
    return (v.contig, v.pos, v.ref, v.alt)


@dataclass(frozen=True)
class SampleSpec:
    """One row of the sample sheet and the reads behind it.

    Attributes:
        sample: Sample name in the sheet.
        individual: Whose DNA the reads are (someone else's in a swap).
        platform: Sequencer: read names, adapters, quality bins.
        library: Depth, inserts, duplicates.
        declared_sex: The sheet's sex column; empty when the sheet has none.
    """

    sample: str
    individual: Individual
    platform: Platform
    library: LibraryConfig = field(default_factory=lambda: LibraryConfig(depth=100.0))
    declared_sex: str = ""


def _merged_padded(targets: Sequence[Segment], lengths: dict[str, int]) -> list[Segment]:
    out: list[Segment] = []
    for t in targets:
        lo, hi = max(0, t.start - TARGET_PAD), min(lengths[t.contig], t.end + TARGET_PAD)
        if out and out[-1].contig == t.contig and lo <= out[-1].end:
            out[-1] = Segment(t.contig, out[-1].start, max(out[-1].end, hi), out[-1].label)
        else:
            out.append(Segment(t.contig, lo, hi, t.label))
    return out


def write_sample_reads(
    folder: Path, model: GenomeModel, targets: Sequence[Segment], spec: SampleSpec, seed: int
) -> tuple[FastqPair, LibraryStats]:
    """Simulate and write one sample's reads over the (padded) targets.

    A male carries chrX on one haplotype and chrY on the other (the sex targets are the
    same size on both), so his chrX and chrY targets get half the autosomal depth; a
    female carries two chrX and no chrY.
    """
    lengths = {name: len(seq) for name, seq in model.contigs.items()}
    stretches = _merged_padded(targets, lengths)
    haps = build_haplotypes(model, spec.individual.variants, 0)
    sequences: list[list[str]] = [[], []]
    for s in stretches:
        if s.contig in SEX_CONTIGS:
            continue
        for h in (0, 1):
            lo, hi = (haps[h].to_haplotype(s.contig, p) for p in (s.start, s.end))
            sequences[h].append(haps[h].seqs[s.contig][lo:hi])
    x_stretches = [s for s in stretches if s.contig == "chrX"]
    y_stretches = [s for s in stretches if s.contig == "chrY"]
    second = y_stretches if spec.individual.sex == "male" else x_stretches
    for x, other in zip(x_stretches, second, strict=True):
        sequences[0].append(model.contigs["chrX"][x.start : x.end])
        sequences[1].append(model.contigs[other.contig][other.start : other.end])
    library_seed, sequencer_seed, names_seed = np.random.SeedSequence(seed).spawn(3)
    emissions, stats = draw_library(
        sequences, spec.library, spec.platform, np.random.default_rng(library_seed)
    )
    fastq = write_reads(
        folder / "reads",
        spec.sample,
        emissions,
        spec.platform,
        spec.library.read_length,
        SequencingConfig(),
        np.random.default_rng(sequencer_seed),
        np.random.default_rng(names_seed),
    )
    return fastq, stats


def renamed_genome(model: GenomeModel, rename: Callable[[str], str]) -> GenomeModel:
    """The same genome with its contigs named otherwise (``chr1`` -> ``1``)."""
    return GenomeModel(
        {rename(name): seq for name, seq in model.contigs.items()},
        [replace(g, contig=rename(g.contig)) for g in model.genes],
        [replace(r, contig=rename(r.contig)) for r in model.repeats],
    )


def another_build(model: GenomeModel, contig: str, at: int, inserted: str) -> GenomeModel:
    """The genome as another assembly would have it: ``inserted`` added to ``contig`` at
    ``at`` (before every gene), so that contig's length and every coordinate after ``at``
    differ, as between GRCh37 and GRCh38. Genes and repeats keep the first build's
    coordinates (the annotation is the first build's); only the sequence changes."""
    contigs = dict(model.contigs)
    seq = contigs[contig]
    contigs[contig] = seq[:at] + inserted + seq[at:]
    return GenomeModel(contigs, list(model.genes), list(model.repeats))


def shift_variants(
    variants: Sequence[PlantedVariant], contig: str, at: int, by: int
) -> tuple[PlantedVariant, ...]:
    """Variants moved ``by`` bases on ``contig`` after ``at`` (into :func:`another_build`)."""
    return tuple(
        replace(v, pos=v.pos + by) if v.contig == contig and v.pos >= at else v for v in variants
    )


def shift_segments(segments: Sequence[Segment], contig: str, at: int, by: int) -> list[Segment]:
    """Segments moved like :func:`shift_variants`."""
    return [
        replace(s, start=s.start + by, end=s.end + by)
        if s.contig == contig and s.start >= at
        else s
        for s in segments
    ]


def write_truth(path: Path, individual: Individual, model: GenomeModel, seed: int) -> None:
    """One person's planted variants as a bgzipped, indexed truth VCF (phased)."""
    order = {name: k for k, name in enumerate(model.contigs)}
    truth = [
        TruthVariant(
            v.contig,
            v.pos,
            v.ref,
            (v.alt,),
            (int(v.haplotypes[0][0]), int(v.haplotypes[0][1])),
            "snv"
            if len(v.ref) == len(v.alt)
            else "deletion"
            if len(v.ref) > len(v.alt)
            else "insertion",
        )
        for v in sorted(individual.variants, key=lambda v: (order[v.contig], v.pos))
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    lengths = {name: len(seq) for name, seq in model.contigs.items()}
    write_simulated_truth(path, truth, lengths, Path("reference.fa"), individual.name, seed)


#: A variant's (contig, 0-based pos, ref, alt) -> its population-file AF fields.
Frequencies = dict[tuple[str, int, str, str], dict[str, str]]


def population_af(background: Sequence[PlantedVariant]) -> Frequencies:
    """The AF fields the population file gives each background variant (the planted ones
    are absent from it)."""
    out: Frequencies = {}
    for v in background:
        if v.planted_as == "missense":
            out[variant_key(v)] = COMMON_AF
        elif v.planted_as == "synonymous":
            out[variant_key(v)] = RARE_AF
    return out


#: ClinVar classification of the background variants (the planted ones are not in ClinVar:
#: a novel variant, as a patient's often is).
CLINVAR_SIGNIFICANCE = {"synonymous": "Benign", "missense": "Likely_benign"}
CLINVAR_NAME = "clinvar.vcf.gz"


def clinvar_significance(background: PlantedVariant) -> str:
    """CLNSIG the exercise's ClinVar file gives a background variant; empty when absent."""
    return CLINVAR_SIGNIFICANCE.get(background.planted_as, "")


def _write_clinvar(
    out: Path, background: Sequence[PlantedVariant], lengths: dict[str, int]
) -> None:
    entries = []
    for v in background:
        significance = clinvar_significance(v)
        if not significance or v.gene is None:
            continue
        planted = Planted(v.contig, v.pos + 1, v.ref, v.alt, v.planted_as, "", v.gene.name, ())
        fields = {
            "CLNSIG": significance,
            "CLNREVSTAT": "criteria_provided,_multiple_submitters,_no_conflicts",
            "CLNDN": "not_provided",
            "GENEINFO": f"{v.gene.name}:9{v.gene.gene_id[-4:]}",
        }
        entries.append(ClinVarEntry(planted, v.pos + 1, v.ref, v.alt, fields))
    order = {name: k for k, name in enumerate(lengths)}
    entries.sort(key=lambda e: (order[e.planted.chrom], e.pos))
    write_clinvar(out, entries, lengths)


def write_annotation_files(
    folder: Path,
    reference: GenomeModel,
    model: GenomeModel,
    targets: Sequence[Segment],
    background: Sequence[PlantedVariant],
) -> None:
    """reference.fa (of ``reference``); genes.gff3, the panel, the population-AF and ClinVar
    VCFs of the ``background`` variants (of ``model``: the same genome, unless the exercise is
    the wrong build; the variants in its contig names); targets.bed."""
    folder.mkdir(parents=True, exist_ok=True)
    write_reference(folder / "reference.fa", reference)
    (folder / "genes.gff3").write_text("\n".join(gff3_lines(model)) + "\n")
    (folder / "targets.bed").write_text(
        "".join(f"{t.contig}\t{t.start}\t{t.end}\t{t.label}\n" for t in targets)
    )
    (folder / PANEL_NAME).write_text(
        "# Exercise gene panel (synthetic genes, not human genes).\n"
        + "".join(f"{g.name}\n" for g in model.genes)
    )
    lengths = {name: len(seq) for name, seq in model.contigs.items()}
    records = [
        (chrom, pos + 1, ref, [alt], {k: [value] for k, value in fields.items()})
        for (chrom, pos, ref, alt), fields in population_af(background).items()
    ]
    write_population(folder / POPULATION_NAME, records, lengths)
    _write_clinvar(folder / CLINVAR_NAME, background, lengths)


def write_sample_sheet(folder: Path, rows: Sequence[tuple[SampleSpec, FastqPair]]) -> None:
    """samples.tsv, with a sex column when any sample declares one."""
    with_sex = any(spec.declared_sex for spec, _ in rows)
    header = "sample\tunit\tfq1\tfq2\tplatform\tlibrary" + ("\tsex" if with_sex else "")
    lines = [header]
    for spec, fq in rows:
        line = (
            f"{spec.sample}\t{fq.unit}\treads/{fq.fq1.name}\treads/{fq.fq2.name}"
            f"\t{spec.platform.name}\t{spec.sample}-lib1"
        )
        lines.append(line + (f"\t{spec.declared_sex or 'unknown'}" if with_sex else ""))
    (folder / "samples.tsv").write_text("\n".join(lines) + "\n")


def write_config(folder: Path, sex_chromosomes: bool) -> Path:
    """config.yaml: every path relative to it, so the folder can be copied anywhere. It
    does not name the scenario: that would give the answer away."""
    reference: dict[str, str] = {"fasta": "reference.fa", "build": "synthetic-demo"}
    if sex_chromosomes:
        (folder / "par_regions.tsv").write_text(
            "".join(f"{name}\t1\t{PAR_END}\tPAR1\n" for name in SEX_CONTIGS)
        )
        reference["par_regions"] = "par_regions.tsv"
    config = {
        "lab": {"name": "labpipe classroom exercise", "id": "exercise"},
        "reference": reference,
        "targets": "targets.bed",
        "samples": "samples.tsv",
        "output_dir": "labpipe-output",
        "threads": 2,
        "annotation": {
            "gff3": "genes.gff3",
            "clinvar": CLINVAR_NAME,
            "population_af": [
                {
                    "id": "popaf",
                    "name": "Exercise population AFs (synthetic, gnomAD-style)",
                    "vcf": POPULATION_NAME,
                    "population": "South Asian",
                    "population_field": "AF_sas",
                    "global_field": "AF",
                }
            ],
            "panels": [{"name": "Exercise panel", "file": PANEL_NAME}],
        },
    }
    path = folder / "config.yaml"
    path.write_text(
        f"# labpipe classroom exercise (synthetic data). Run: labpipe run {path.name}\n"
        + yaml.safe_dump(config, sort_keys=False)
    )
    return path
