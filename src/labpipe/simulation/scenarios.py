"""``labpipe simulate --scenario NAME``: classroom exercises with instructor-only answer keys.

Each scenario writes a ready exercise (reads, ``samples.tsv``, ``config.yaml`` that runs as
it is, the synthetic annotation) and, apart from it under ``instructor/``, the answer key
(:mod:`labpipe.simulation.answer_key`) and the truth VCFs. The key is derived from what was
planted and from labpipe's documented rules (tier rules, QC thresholds of the config's
defaults, the validate checks), never from a labpipe run; ``tests/simulation/
test_scenarios_e2e.py`` runs every scenario and checks its key against labpipe's outputs.
``--students N`` writes N data sets (seeds ``seed``..``seed+N-1``) with the same goal, each
with its own key; student folders hold no key.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from shlex import quote
from typing import Any

import numpy as np

from labpipe.config.settings import DEFAULTS
from labpipe.core.errors import RunError, UsageError
from labpipe.core.folders import claim_output_folder
from labpipe.core.suggest import unknown_name
from labpipe.simulation import exercise_data as data
from labpipe.simulation.answer_key import (
    AnswerKey,
    ExpectedSample,
    expected_sample,
    write_answer_key,
)
from labpipe.simulation.demo_variants import PlantedVariant, place_coding_variant
from labpipe.simulation.genome_model import CONTIG_LENGTHS, GenomeModel, Segment
from labpipe.simulation.read_simulator import LibraryConfig, LibraryStats
from labpipe.simulation.scenario_names import CONSEQUENCES, GENES, SCENARIOS, ZYGOSITIES
from labpipe.simulation.scenario_texts import TEXTS, filled
from labpipe.simulation.sequencer import DNBSEQ, ILLUMINA, Platform

DEFAULT_SCENARIO_SEED = 1
INSTRUCTOR = "instructor"
_QC = DEFAULTS["qc"]


@dataclass(frozen=True)
class ScenarioRequest:
    """What ``labpipe simulate --scenario`` was asked for (None: the default)."""

    scenario: str
    outdir: Path
    seed: int | None = None
    students: int | None = None
    gene: str | None = None
    consequence: str | None = None
    zygosity: str | None = None
    overwrite: bool = False


@dataclass(frozen=True)
class Exercise:
    """One data set written: its folder, its config and its key."""

    folder: Path
    config: Path
    key: AnswerKey
    key_files: tuple[Path, Path]


@dataclass
class _Build:
    """What a scenario builder fills in: the data set's parts and the key's facts."""

    model: GenomeModel
    targets: list[Segment]
    samples: list[data.SampleSpec]
    reference: GenomeModel | None = None  # another build or other contig names
    reads_model: GenomeModel | None = None
    reads_targets: list[Segment] | None = None
    # The variants in the annotation's coordinates, when the reads' differ (another build).
    annotated: list[PlantedVariant] | None = None
    validate_error: tuple[str, ...] = ()
    # The answer key's {name} fields (labpipe.simulation.scenario_texts).
    values: dict[str, object] = field(default_factory=dict)


def check_request(request: ScenarioRequest) -> tuple[str, str, str]:
    """The pathogenic-variant choices (gene, consequence, zygosity), every problem at once.

    Raises:
        UsageError: An unknown scenario, gene, consequence or zygosity, or a choice given
            to a scenario that takes none.
    """
    problems = []
    if request.scenario not in SCENARIOS:
        problems.append(unknown_name("scenario", request.scenario, SCENARIOS))
    chosen = {"--gene": request.gene, "--consequence": request.consequence,
              "--zygosity": request.zygosity}  # fmt: skip
    if request.scenario != "pathogenic-variant":
        given = [flag for flag, value in chosen.items() if value is not None]
        if given:
            verb = "goes" if len(given) == 1 else "go"
            problems.append(f"{', '.join(given)} {verb} only with --scenario pathogenic-variant")
    gene, consequence, zygosity = (
        request.gene or "LPG1",
        request.consequence or "frameshift",
        (request.zygosity or "hom").lower(),
    )
    for kind, value, options in (
        ("gene", gene, GENES),
        ("consequence", consequence, CONSEQUENCES),
        ("zygosity", zygosity, ZYGOSITIES),
    ):
        if value not in options:
            message = unknown_name(kind, value, options, listed_as=f"choose one of the {kind}s")
            if "did you mean" in message:
                message += f" (choices: {', '.join(options)})"
            problems.append(f"--{kind}: {message}")
    if problems:
        raise UsageError("labpipe simulate --scenario: cannot make this exercise", problems)
    return gene, consequence, zygosity


def write_scenario(request: ScenarioRequest) -> list[Exercise]:
    """Write the exercise(s) and their answer keys into ``request.outdir``.

    One data set: the exercise in ``outdir``, its key in ``outdir/instructor``. With
    ``students``: ``outdir/student01``... and ``outdir/instructor/student01``...

    Raises:
        UsageError: See :func:`check_request`; or the folder is not new or empty.
    """
    choices = check_request(request)
    claim_output_folder(request.outdir, request.overwrite, "labpipe simulate")
    base = DEFAULT_SCENARIO_SEED if request.seed is None else request.seed
    if request.students is None:
        jobs = [(request.outdir, request.outdir / INSTRUCTOR, base)]
    else:
        names = [f"student{k:02d}" for k in range(1, request.students + 1)]
        jobs = [
            (request.outdir / name, request.outdir / INSTRUCTOR / name, base + k)
            for k, name in enumerate(names)
        ]
    return [
        _write_one(request.scenario, folder, key_folder, seed, choices)
        for folder, key_folder, seed in jobs
    ]


def _write_one(
    scenario: str, folder: Path, key_folder: Path, seed: int, choices: tuple[str, str, str]
) -> Exercise:
    rng = np.random.default_rng(seed)
    build = _BUILDERS[scenario](rng, choices)
    reference = build.reference or build.model
    variants = build.annotated or [
        v for spec in build.samples for v in spec.individual.background()
    ]
    frequencies = data.population_af(variants)
    if build.reference is not None and set(build.reference.contigs) != set(build.model.contigs):
        # Contigs renamed: the annotation carries the reference's names, the targets do not.
        rename = dict(zip(build.model.contigs, build.reference.contigs, strict=True))
        annotated = [replace(v, contig=rename[v.contig]) for v in variants]
        annotation = build.reference
    else:
        annotated, annotation = variants, build.model
    data.write_annotation_files(folder, reference, annotation, build.targets, annotated)
    rows = []
    stats: dict[str, LibraryStats] = {}
    for k, spec in enumerate(build.samples):
        read_seed = int(np.random.SeedSequence([seed, k]).generate_state(1)[0])
        fastq, stats[spec.sample] = data.write_sample_reads(
            folder,
            build.reads_model or build.model,
            build.reads_targets or build.targets,
            spec,
            read_seed,
        )
        rows.append((spec, fastq))
    build.values["insert"] = min(s.mean_insert for s in stats.values())
    data.write_sample_sheet(folder, rows)
    sex = any(name in build.model.contigs for name in data.SEX_CONTIGS)
    config = data.write_config(folder, sex)
    individuals = {spec.individual.name: spec.individual for spec in build.samples}
    for person in individuals.values():
        data.write_truth(
            key_folder / "truth" / f"{person.name}.vcf.gz",
            person,
            build.reads_model or build.model,
            seed,
        )
    samples: tuple[ExpectedSample, ...] = ()
    if not build.validate_error:
        samples = tuple(
            expected_sample(spec, stats[spec.sample], frequencies, build.targets)
            for spec in build.samples
        )
    planted = [v for sample in samples for v in sample.variants if v.role == "planted"]
    if planted:
        build.values.update(tier=planted[0].tier, tier_reason=planted[0].tier_reason)
    text = filled(TEXTS[scenario], build.values)
    key = AnswerKey(
        scenario=scenario,
        learning_goal=text.goal,
        seed=seed,
        exercise=os.path.relpath(folder, key_folder),
        commands=_commands(bool(build.validate_error)),
        validate_error=build.validate_error,
        samples=samples,
        answer=text.answer,
        questions=text.questions,
        planted=text.planted,
    )
    return Exercise(folder, config, key, write_answer_key(key_folder, key))


def _commands(stops: bool) -> tuple[str, ...]:
    """What the student runs, inside the exercise folder."""
    if stops:
        return (
            "labpipe validate config.yaml",
            "# fix what it names, then: labpipe run config.yaml",
        )
    return ("labpipe validate config.yaml", "labpipe run config.yaml")


def _person(name: str, sex: str, rng: np.random.Generator, model: GenomeModel,
            extra: tuple[PlantedVariant, ...] = ()) -> data.Individual:  # fmt: skip
    variants = [*extra, *data.background_variants(model, rng, extra)]
    order = {contig: k for k, contig in enumerate(model.contigs)}
    # Sorted: haplotypes are built by walking each contig's variants in order.
    variants.sort(key=lambda v: (order[v.contig], v.pos))
    return data.Individual(name, sex, tuple(variants))


def _library(
    depth: float = 100.0, duplicate_rate: float = 0.0, short_insert_fraction: float = 0.0
) -> LibraryConfig:
    return LibraryConfig(
        depth=depth,
        read_length=data.READ_LENGTH,
        insert_mean=300.0,
        duplicate_rate=duplicate_rate,
        short_insert_fraction=short_insert_fraction,
    )


def _one_sample(
    rng: np.random.Generator,
    platform: Platform = ILLUMINA,
    library: LibraryConfig | None = None,
    extra: Callable[[GenomeModel], tuple[PlantedVariant, ...]] = lambda _: (),
    **build: Any,
) -> _Build:
    """The demo genome and one woman, P001: ``extra`` variants and background ones."""
    model = data.exercise_genome()
    planted = extra(model)
    person = _person("P001", "female", rng, model, planted)
    person = replace(person, planted=frozenset(data.variant_key(v) for v in planted))
    spec = data.SampleSpec("P001", person, platform, library or _library())
    return _Build(model, data.exercise_targets(model), [spec], **build)


def _pathogenic(rng: np.random.Generator, choices: tuple[str, str, str]) -> _Build:
    gene_name, consequence, zygosity = choices

    def planted(model: GenomeModel) -> tuple[PlantedVariant, ...]:
        gene = next(g for g in model.genes if g.name == gene_name)
        variant = place_coding_variant(model, gene, consequence, [], rng)
        if variant is None:
            raise RunError(f"no room for a {consequence} variant in {gene_name}; try another seed")
        hom = zygosity == "hom"
        genotype = (True, True) if hom else data.random_genotype(rng, hom_share=0.0)
        return (replace(variant, haplotypes=(genotype,)),)

    values = {"gene": gene_name, "consequence": consequence, "zygosity": zygosity}
    return _one_sample(rng, extra=planted, values=values)


def _qc_failure(library: LibraryConfig) -> Callable[..., _Build]:
    """A sample whose library fails QC; the key's figures are the library's."""
    values: dict[str, object] = {
        "depth": library.depth,
        "min_depth": _QC["min_mean_target_depth"],
        "min_pct_20x": _QC["min_pct_target_20x"],
        "duplicates": 100 * library.duplicate_rate,
        "max_duplicates": _QC["max_duplicate_pct"],
        "short": 100 * library.short_insert_fraction,
        "read_length": library.read_length,
        "min_insert": _QC["min_insert_size"],
    }

    def build(rng: np.random.Generator, _choices: tuple[str, str, str]) -> _Build:
        return _one_sample(rng, DNBSEQ, library, values=dict(values))

    return build


def _sample_swap(rng: np.random.Generator, _choices: tuple[str, str, str]) -> _Build:
    model = data.exercise_genome(sex_chromosomes=True)
    woman = _person("P001", "female", rng, model)
    man = _person("P002", "male", rng, model)
    return _Build(
        model,
        data.exercise_targets(model),
        [
            data.SampleSpec("P001", man, ILLUMINA, _library(), declared_sex="female"),
            data.SampleSpec("P002", woman, ILLUMINA, _library(), declared_sex="male"),
        ],
    )


def _wrong_build(rng: np.random.Generator, _choices: tuple[str, str, str]) -> _Build:
    at, extra = 6_000, 1_500
    length = CONTIG_LENGTHS["chr1"]
    exercise = _one_sample(
        rng,
        validate_error=(
            f"##sequence-region says chr1 is {length:,} bp",
            f"in the reference chr1 is {length + extra:,} bp",
            "the GFF3 is for another genome build",
        ),
        values={"extra": extra, "at": at},
    )
    other = data.another_build(exercise.model, "chr1", at, data.random_bases(rng, extra, 0.45))
    spec = exercise.samples[0]
    person = spec.individual
    moved = data.shift_variants(person.variants, "chr1", at, extra)
    exercise.samples = [replace(spec, individual=replace(person, variants=moved))]
    exercise.reference = exercise.reads_model = other
    exercise.reads_targets = data.shift_segments(exercise.targets, "chr1", at, extra)
    exercise.annotated = person.background()
    return exercise


def _chr_prefix(rng: np.random.Generator, _choices: tuple[str, str, str]) -> _Build:
    exercise = _one_sample(
        rng, validate_error=("targets use 'chr1', the reference uses '1'", "chr-prefix mismatch")
    )
    exercise.reference = data.renamed_genome(exercise.model, lambda name: name.removeprefix("chr"))
    return exercise


def _platforms(rng: np.random.Generator, _choices: tuple[str, str, str]) -> _Build:
    exercise = _one_sample(rng)
    person = exercise.samples[0].individual
    exercise.samples = [
        data.SampleSpec("P001-ILMN", person, ILLUMINA, _library()),
        data.SampleSpec("P001-DNB", person, DNBSEQ, _library()),
    ]
    return exercise


_BUILDERS: dict[str, Callable[[np.random.Generator, tuple[str, str, str]], _Build]] = {
    "pathogenic-variant": _pathogenic,
    "low-depth": _qc_failure(_library(depth=12.0)),
    "high-duplicates": _qc_failure(_library(duplicate_rate=0.45)),
    "adapter-readthrough": _qc_failure(_library(depth=300.0, short_insert_fraction=0.9)),
    "sample-swap": _sample_swap,
    "wrong-build": _wrong_build,
    "chr-prefix-mismatch": _chr_prefix,
    "illumina-vs-dnbseq": _platforms,
}


def describe_exercise(exercises: list[Exercise]) -> str:
    """What was written and the next command, for the terminal."""
    first = exercises[0]
    key_root = first.key_files[0].parent
    if len(exercises) > 1:
        key_root = key_root.parent
    seeds = ", ".join(str(e.key.seed) for e in exercises)
    step = "validate" if first.key.validate_error else "run"
    return "\n".join(
        [
            f"exercise '{first.key.scenario}': {len(exercises)} data set(s) (seed {seeds})",
            *(f"  {e.folder}" for e in exercises),
            f"answer keys and truth: {key_root} (INSTRUCTOR ONLY: do not hand this folder out)",
            "",
            f"next: labpipe {step} {quote(str(first.config))}"
            + (" (and the same in each student's folder)" if len(exercises) > 1 else ""),
        ]
    )
