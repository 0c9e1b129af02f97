"""``labpipe simulate --family trio|quad``: a simulated family with its truth.

The genome is the demo's synthetic one (:func:`~labpipe.simulation.genome_build.build_genome`)
with a chrX of 60 kb holding one more gene (LPGX1), so that X-linked inheritance can be
planted. Population variants are drawn with the germline spectrum
(:mod:`labpipe.simulation.variant_spectrum`) at a density that gives each person about one
heterozygous site per kb, each with an allele frequency; the parents' haplotypes carry
them with that frequency, the children inherit (:mod:`labpipe.simulation.family_model`),
and variants fitting each inheritance model are planted in the genes. Reads are drawn
uniformly over the whole genome (a small "genome" run, so runs of homozygosity have
markers) with the one read simulator (:mod:`labpipe.simulation.read_simulator`); a
contaminated sample mixes in reads of an unrelated person, a swapped sample's file holds
another person's reads.

Written: ``reference.fa``, ``genes.gff3``, ``targets.bed``, ``population_af.vcf.gz``,
``par.tsv``, ``clinvar.vcf.gz`` (the planted variants as Pathogenic), ``samples.tsv``
(with the pedigree columns) and ``family.ped``, ``config.yaml`` (ready to run; it lowers
``annotation.roh`` to fit a 0.36 Mb genome), ``reads/``, and ``truth/``: one VCF per
person, ``inheritance.tsv``, ``identity.tsv`` (swaps, contamination), ``roh.bed`` (true
autozygous stretches); ``simulation.json`` and ``README.md``. The same seed gives the
same bytes.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from labpipe.core.errors import RunError, UsageError
from labpipe.core.folders import claim_output_folder, output_folder_problem
from labpipe.simulation.dataset import apply_variants, write_simulated_truth
from labpipe.simulation.demo_data import write_reference
from labpipe.simulation.demo_sources import write_population
from labpipe.simulation.demo_variants import PlantedVariant, place_coding
from labpipe.simulation.family_files import (
    write_config,
    write_family_clinvar,
    write_report,
    write_sheets,
    write_truth_tables,
)
from labpipe.simulation.family_model import (
    COMP_HET,
    DE_NOVO,
    HOM_RECESSIVE,
    X_CONTIG,
    X_LINKED,
    Family,
    FamilyRequest,
    Person,
    Site,
    draw_carriers,
    make_people,
    plant,
)
from labpipe.simulation.genome_build import add_contig, build_genome
from labpipe.simulation.genome_model import GeneSpec, GenomeModel, gff3_lines
from labpipe.simulation.read_simulator import (
    Emission,
    FastqPair,
    LibraryConfig,
    draw_library,
    write_reads,
)
from labpipe.simulation.sequencer import PLATFORMS, SequencingConfig
from labpipe.simulation.truth_variants import Segment, TruthVariant
from labpipe.simulation.variant_spectrum import SpectrumConfig
from labpipe.simulation.variant_spectrum import plant_variants as plant_spectrum

#: Default depth per person: labpipe's QC asks for a mean of 50x and 95% of bases at 20x.
FAMILY_DEPTH = 60.0
#: Children of each family structure (the first is the affected male proband).
STRUCTURES: dict[str, int] = {"trio": 1, "quad": 2}
X_LENGTH = 60_000
X_GENES: tuple[GeneSpec, ...] = (GeneSpec("LPGX1", X_CONTIG, 12_000, "+", 5),)
#: What the parents of a consanguineous family share by descent: 104 kb of chr1 around
#: LPG1 and LPG2 (a third of the genome, as much as first cousins' children may show).
SHARED_SEGMENT = ("chr1", 6_000, 110_000)
#: Planted variants: (model, gene, consequence, length change, on the father's side).
PLAN: tuple[tuple[str, str, str, int, bool], ...] = (
    (DE_NOVO, "LPG3", "missense", 0, True),
    (DE_NOVO, "LPG5", "stop_gained", 0, True),
    (DE_NOVO, "LPG6", "frameshift", -1, True),
    (COMP_HET, "LPG4", "missense", 0, True),
    (COMP_HET, "LPG4", "stop_gained", 0, False),
    (HOM_RECESSIVE, "LPG2", "stop_gained", 0, True),
    (X_LINKED, "LPGX1", "stop_gained", 0, False),
)
#: Population sites per base: with the allele frequencies below, about one heterozygous
#: site per kb in each person, as in human genomes.
POPULATION = SpectrumConfig(variant_rate=0.004, multiallelic_fraction=0.0, edge_margin=300)
#: Mean crossovers per transmitted contig with --recombination: far above a real genome's
#: ~0.001 per 100 kb, so that every family shows some.
CROSSOVERS = 1.0


@dataclass(frozen=True)
class SimulatedFamily:
    """What was written.

    Attributes:
        outdir: The folder.
        family: The people, sites and who carries what.
        reads: Each sequenced member's FASTQ pair.
        config: The ready config.
    """

    outdir: Path
    family: Family
    reads: dict[str, FastqPair]
    config: Path


def parse_swap(text: str) -> tuple[str, str]:
    """``A,B`` -> (A, B)."""
    parts = [p.strip() for p in text.split(",")]
    if len(parts) != 2 or not all(parts):
        raise UsageError(f"--swap {text!r}: give two samples or roles as A,B (e.g. father,proband)")
    return parts[0], parts[1]


def parse_contamination(text: str) -> tuple[str, float]:
    """``SAMPLE:FRACTION`` -> (sample, fraction)."""
    sample, _, fraction = text.rpartition(":")
    try:
        value = float(fraction)
    except ValueError:
        value = -1.0
    if not sample or not 0 < value < 1:
        raise UsageError(
            f"--contaminate {text!r}: give SAMPLE:FRACTION with a fraction between 0 and 1 "
            "(e.g. proband:0.10)"
        )
    return sample, value


def check_family_request(request: FamilyRequest) -> None:
    """Every problem with the request at once.

    Raises:
        UsageError: Listing them.
    """
    problems = []
    folder = output_folder_problem(request.outdir, request.overwrite)
    if folder is not None:
        problems.append(folder)
    if request.structure not in STRUCTURES:
        problems.append(f"--family {request.structure!r} is not one of {', '.join(STRUCTURES)}")
    roles = ["father", "mother", "proband", "sibling"][: 2 + STRUCTURES.get(request.structure, 1)]
    names = [*roles, *(f"{request.family_id}-{r}" for r in roles)]
    if request.swap is not None:
        a, b = request.swap
        if a not in names or b not in [*names, "unrelated"] or a == b:
            problems.append(
                f"--swap {a},{b}: A must be one of {', '.join(roles)} (or its sample name), "
                "B another member or 'unrelated'"
            )
    if request.contaminate is not None and request.contaminate[0] not in names:
        problems.append(
            f"--contaminate {request.contaminate[0]}: not a member ({', '.join(roles)})"
        )
    if request.platform not in PLATFORMS:
        problems.append(f"--platform {request.platform!r} is not one of {', '.join(PLATFORMS)}")
    if problems:
        raise UsageError("labpipe simulate --family: cannot simulate with these settings", problems)


def simulate_family(request: FamilyRequest) -> SimulatedFamily:
    """Simulate the family and write its reads, sample sheet, config and truth.

    Raises:
        UsageError: A setting is wrong or the folder cannot be used.
    """
    check_family_request(request)
    claim_output_folder(request.outdir, request.overwrite, "labpipe simulate")
    # The genome and the population depend on the seed only, the people on the family ID
    # too: families of one seed and different IDs are unrelated people of one population,
    # so their samples can share a batch.
    genome_seed, population_seed = np.random.SeedSequence(request.seed).spawn(2)
    family_key = [request.seed, zlib.crc32(request.family_id.encode())]
    place_seed, people_seed, carriers_seed, plant_seed, reads_seed = np.random.SeedSequence(
        family_key
    ).spawn(5)
    genome_rng = np.random.default_rng(genome_seed)
    model = add_contig(build_genome(genome_rng), genome_rng, X_CONTIG, X_LENGTH, X_GENES)
    contigs = {c: len(s) for c, s in model.contigs.items()}
    population = _population(model, np.random.default_rng(population_seed))
    planted = _place_planted(model, population, np.random.default_rng(place_seed))
    shared = SHARED_SEGMENT if request.consanguineous else None
    people = make_people(
        request.family_id,
        contigs,
        STRUCTURES[request.structure],
        np.random.default_rng(people_seed),
        CROSSOVERS if request.recombination else 0.0,
        shared,
    )
    family = Family(people, sites=population, shared_segment=shared)
    draw_carriers(family, np.random.default_rng(carriers_seed))
    plant_rng = np.random.default_rng(plant_seed)
    for (m, gene, consequence, _, paternal), v in zip(PLAN, planted, strict=True):
        site = Site(v.contig, v.pos, v.ref, v.alt, consequence, model=m, gene=gene)
        plant(family, site, plant_rng, paternal)
    out = request.outdir
    write_reference(out / "reference.fa", model)
    (out / "genes.gff3").write_text("\n".join(gff3_lines(model)) + "\n")
    # A token PAR, before any site (edge_margin), so that a male's chrX is called haploid.
    (out / "par.tsv").write_text(f"{X_CONTIG}\t1\t200\tPAR1\n")
    (out / "targets.bed").write_text("".join(f"{c}\t0\t{n}\tgenome\n" for c, n in contigs.items()))
    write_population(
        out / "population_af.vcf.gz",
        [(s.contig, s.pos + 1, s.ref, [s.alt], {"AF": [f"{s.af:.4g}"]}) for s in family.sites
         if s.af is not None],
        contigs,
    )  # fmt: skip
    write_family_clinvar(out / "clinvar.vcf.gz", family, model)
    truth = out / "truth"
    truth.mkdir(exist_ok=True)
    sequences = {}
    for person in family.people:
        variants = _truth_variants(family, person, model)
        # The unrelated person's too: the source of a contamination or swap.
        write_simulated_truth(
            truth / f"{person.name}.vcf.gz", variants, contigs, Path("reference.fa"),
            person.name, request.seed, haploid_contigs=_haploid(person),
        )  # fmt: skip
        sequences[person.name] = {
            c: tuple(
                apply_variants(seq, 0, [v for v in variants if v.contig == c], h)
                for h in range(len(person.haplotypes[c]))
            )
            for c, seq in model.contigs.items()
        }
    reads = _write_reads(request, family, sequences, reads_seed)
    write_sheets(out, request, family, reads)
    write_truth_tables(truth, request, family, model)
    config = write_config(out)
    write_report(out, request, family, reads)
    return SimulatedFamily(out, family, reads, config)


def _place_planted(
    model: GenomeModel, population: list[Site], rng: np.random.Generator
) -> list[PlantedVariant]:
    """The variants of :data:`PLAN`, each spaced from the others and from the population's."""
    genes = {g.name: g for g in model.genes}
    targets = model.targets()
    placed = [
        PlantedVariant(s.contig, s.pos, s.ref, s.alt, s.kind, "", None, None) for s in population
    ]
    for _, gene, consequence, size, _ in PLAN:
        variant = place_coding(model, genes[gene], consequence, size, placed, targets, rng)
        if variant is None:
            raise RunError(f"no room for a {consequence} variant in {gene} with this seed")
        placed.append(variant)
    return placed[len(population) :]


def _population(model: GenomeModel, rng: np.random.Generator) -> list[Site]:
    """Population sites with allele frequencies: half rare (0.5-5%), half common (5-95%)."""
    segments = [Segment(c, 0, len(s)) for c, s in model.contigs.items()]
    drawn = plant_spectrum(
        segments, lambda s: model.contigs[s.contig][s.start : s.end], POPULATION, rng
    )
    sites = []
    for v in drawn:
        rare = rng.random() < 0.5
        af = float(rng.uniform(0.005, 0.05) if rare else rng.uniform(0.05, 0.95))
        sites.append(Site(v.contig, v.pos, v.ref, v.alts[0], v.kind, v.context, af))
    return sites


def _haploid(person: Person) -> frozenset[str]:
    return frozenset(c for c, copies in person.haplotypes.items() if len(copies) == 1)


def _truth_variants(family: Family, person: Person, model: GenomeModel) -> list[TruthVariant]:
    """The person's non-reference sites, in reference order (one copy: both alleles equal)."""
    order = {c: i for i, c in enumerate(model.contigs)}
    out = []
    for index in sorted(
        range(len(family.sites)), key=lambda i: (order[family.sites[i].contig], family.sites[i].pos)
    ):
        alleles = family.alleles(person, index)
        if not any(alleles):
            continue
        s = family.sites[index]
        kind = "snv" if len(s.ref) == len(s.alt) else "insertion" if len(s.alt) > len(s.ref) else (
            "deletion"
        )  # fmt: skip
        haps = (alleles[0], alleles[-1])
        out.append(TruthVariant(s.contig, s.pos, s.ref, (s.alt,), haps, kind, s.context))
    return out


def _emissions(
    copies: dict[str, tuple[str, ...]],
    depth: float,
    request: FamilyRequest,
    rng: np.random.Generator,
) -> list[Emission]:
    """One person's library at ``depth``: a contig they have once gets half the reads."""
    platform = PLATFORMS[request.platform]
    two = [c for c, seqs in copies.items() if len(seqs) == 2]
    one = [c for c, seqs in copies.items() if len(seqs) == 1]
    haps = [[copies[c][0] for c in two], [copies[c][1] for c in two]]
    emissions, _ = draw_library(haps, replace(request.library, depth=depth), platform, rng)
    if one:
        single = [copies[c][0] for c in one]
        more, _ = draw_library(
            [single, single], replace(request.library, depth=depth / 2), platform, rng
        )
        emissions += more
    return emissions


def _write_reads(
    request: FamilyRequest,
    family: Family,
    sequences: dict[str, dict[str, tuple[str, ...]]],
    seed: np.random.SeedSequence,
) -> dict[str, FastqPair]:
    depth = request.library.depth
    members = family.members
    swap = (
        (family.person(request.swap[0]).name, family.person(request.swap[1]).name)
        if request.swap
        else None
    )
    dirty = (family.person(request.contaminate[0]).name, request.contaminate[1]) if (
        request.contaminate
    ) else None  # fmt: skip
    unrelated = family.person("unrelated").name
    written = {}
    for person, child_seed in zip(members, seed.spawn(len(members)), strict=True):
        library_rng, sequencer_rng, names_rng, mix_rng = (
            np.random.default_rng(s) for s in child_seed.spawn(4)
        )
        source = swap[1] if swap and swap[0] == person.name else person.name
        if dirty and dirty[0] == person.name:
            own = _emissions(sequences[source], depth * (1 - dirty[1]), request, library_rng)
            other = _emissions(sequences[unrelated], depth * dirty[1], request, library_rng)
            mixed = own + other
            emissions = [mixed[int(i)] for i in mix_rng.permutation(len(mixed))]
        else:
            emissions = _emissions(sequences[source], depth, request, library_rng)
        written[person.name] = write_reads(
            request.outdir / "reads", person.name, emissions, PLATFORMS[request.platform],
            request.library.read_length, request.sequencing, sequencer_rng, names_rng,
        )  # fmt: skip
    return written


def run_family_simulation(
    outdir: Path,
    structure: str,
    seed: int,
    consanguineous: bool,
    recombination: bool,
    swap: str | None,
    contaminate: str | None,
    *,
    not_for_families: list[str],
    platform: str,
    library: LibraryConfig,
    error_rate: float,
    overwrite: bool,
    echo: Callable[[str], None],
) -> SimulatedFamily:
    """``labpipe simulate --family``: check the options, simulate, say what was written.

    Raises:
        UsageError: Every problem with the options at once.
    """
    # The synthetic genome and the population spectrum are fixed for families.
    problems = [f"{flag}: not used with --family; leave it out" for flag in not_for_families]
    try:
        swap_pair = parse_swap(swap) if swap else None
        dirty = parse_contamination(contaminate) if contaminate else None
    except UsageError as exc:
        problems.append(str(exc))
        swap_pair, dirty = None, None
    if problems:
        raise UsageError("labpipe simulate --family: cannot simulate with these settings", problems)
    request = FamilyRequest(
        outdir, structure, seed, consanguineous=consanguineous, recombination=recombination,
        swap=swap_pair, contaminate=dirty, platform=platform, library=library,
        sequencing=SequencingConfig(error_rate=error_rate), overwrite=overwrite,
    )  # fmt: skip
    result = simulate_family(request)
    for person in result.family.members:
        fq = result.reads[person.name]
        echo(f"{person.name:<16} {person.role:<8} {person.sex:<6} {fq.pairs:>8,} read pairs")
    echo(f"truth     {outdir / 'truth'} (inheritance.tsv, identity.tsv, roh.bed, one VCF each)")
    echo(f"next      labpipe run {result.config}")
    return result
