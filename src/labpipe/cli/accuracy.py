"""Checking accuracy: ``labpipe evaluate`` and ``labpipe simulate``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from shlex import quote
from typing import Any, TypeVar

import click

from labpipe.cli.options import AliasedCommand, outdir_option
from labpipe.core.errors import UsageError

F = TypeVar("F", bound=Callable[..., Any])


@click.command(
    cls=AliasedCommand,
    aliases={"--out": "--outdir"},
    # -c means --cores in every labpipe command; evaluate's -c was --calls.
    retired={"-c": "--calls (-c means --cores in labpipe)"},
)
@click.option(
    "--truth",
    "-t",
    required=True,
    type=click.Path(path_type=Path),
    help="Truth VCF (plain or bgzipped).",
)
@click.option(
    "--calls",
    required=True,
    type=click.Path(path_type=Path),
    help="Calls VCF to score (plain or bgzipped).",
)
@click.option(
    "--reference",
    "-r",
    required=True,
    type=click.Path(path_type=Path),
    help="FASTA both VCFs were made against (indexed).",
)
@click.option(
    "--regions",
    type=click.Path(path_type=Path),
    default=None,
    help="Confident regions BED: only variants whose POS lies inside count.",
)
@click.option(
    "--targets",
    type=click.Path(path_type=Path),
    default=None,
    help="Targets BED (a panel): only variants inside count, as well.",
)
@outdir_option("Folder for evaluation.json and the FP, FN and genotype-mismatch VCFs.")
@click.option(
    "--truth-sample",
    default=None,
    help="Truth sample column (default: the only one, or the calls' name).",
)
@click.option(
    "--calls-sample",
    default=None,
    help="Calls sample column (default: the only one, or the truth's name).",
)
@click.option("--all-records", is_flag=True, help="Also score calls whose FILTER is not PASS.")
@click.option(
    "--list",
    "max_listed",
    type=click.IntRange(min=0),
    default=10,
    help="How many discordant records of each kind to print.",
)
def evaluate(
    truth: Path,
    calls: Path,
    reference: Path,
    regions: Path | None,
    targets: Path | None,
    outdir: Path | None,
    truth_sample: str | None,
    calls_sample: str | None,
    all_records: bool,
    max_listed: int,
) -> None:
    """Score a calls VCF against a truth VCF: SNV and indel precision, recall, F1, genotypes.

    Both sides are normalised first (multi-allelics split, MNPs and complex records broken
    into primitives, indels left-aligned against the reference), so one change written two
    ways counts once.
    """
    from labpipe.evaluation.evaluate import evaluate as score
    from labpipe.evaluation.outputs import format_evaluation, write_evaluation
    from labpipe.inputs.disk import output_folder_problems

    # Before the scoring, not after it.
    if outdir is not None and (problems := output_folder_problems(outdir)):
        raise UsageError(f"--outdir {outdir} cannot be used", problems)
    result = score(
        truth, calls, reference,
        regions_bed=regions, targets_bed=targets,
        truth_sample=truth_sample, calls_sample=calls_sample,
        pass_only=not all_records,
    )  # fmt: skip
    click.echo(format_evaluation(result, max_listed))
    if outdir is not None:
        files = write_evaluation(result, outdir)
        click.echo(f"\nwritten to {outdir}: " + ", ".join(p.name for p in files.values()))


def scenario_options(command: F) -> F:
    """``--scenario`` and its options: a classroom exercise (labpipe.simulation.scenarios)."""
    from labpipe.simulation.scenario_names import CONSEQUENCES, GENES, SCENARIOS, ZYGOSITIES

    for option in reversed(
        (
            click.option(
                "--scenario",
                type=click.Choice(SCENARIOS),
                default=None,
                help="Write a classroom exercise: reads, sample sheet, config.yaml and an "
                "instructor-only answer key (instructor/).",
            ),
            click.option(
                "--students",
                type=click.IntRange(min=1, max=200),
                default=None,
                help="With --scenario: N data sets (student01, ...), same goal, different "
                "seeds, one answer key each.",
            ),
            click.option(
                "--gene",
                default=None,
                help=f"pathogenic-variant: the gene ({', '.join(GENES)}; default LPG1).",
            ),
            click.option(
                "--consequence",
                default=None,
                help=f"pathogenic-variant: {', '.join(CONSEQUENCES)} (default frameshift).",
            ),
            click.option(
                "--zygosity",
                default=None,
                help=f"pathogenic-variant: {' or '.join(ZYGOSITIES)} (default hom).",
            ),
        )
    ):
        command = option(command)
    return command


@click.command()
@click.option(
    "--outdir",
    "-o",
    required=True,
    type=click.Path(path_type=Path),
    help="Folder to write into: new or empty, unless --overwrite.",
)
@click.option(
    "--overwrite",
    is_flag=True,
    help="Write into a non-empty OUTDIR, replacing files of the same name.",
)
@click.option(
    "--seed",
    type=int,
    default=None,
    help="Random seed: the same seed gives the same bytes (default: the demo's; --scenario: 1).",
)
@click.option(
    "--reference",
    "-r",
    type=click.Path(path_type=Path),
    default=None,
    help="Simulate one sample on this FASTA; without it, write the demo data set.",
)
@click.option(
    "--regions",
    type=click.Path(path_type=Path),
    default=None,
    help="BED of stretches to simulate (default: every run of 2 kb+ without N).",
)
@click.option(
    "--variants",
    type=click.Path(path_type=Path),
    default=None,
    help="Take the variants from this VCF instead of drawing them.",
)
@click.option("--variants-sample", default=None, help="Sample column of --variants.")
@click.option("--sample", default="SIM001", show_default=True, help="Sample name.")
@click.option(
    "--platform",
    type=click.Choice(["ILLUMINA", "DNBSEQ", "MGI", "BGISEQ"], case_sensitive=False),
    default="ILLUMINA",
    show_default=True,
    help="Read names, adapters, quality bins.",
)
@click.option(
    "--depth",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    help="Nominal depth (default 30; demo: depth over targets, default 100; family: 60).",
)
@click.option(
    "--read-length",
    type=click.IntRange(min=30),
    default=150,
    show_default=True,
    help="Bases per read.",
)
@click.option(
    "--insert-mean", type=float, default=350.0, show_default=True, help="Mean insert size (bp)."
)
@click.option(
    "--insert-sd", type=float, default=60.0, show_default=True, help="Insert size SD (bp)."
)
@click.option(
    "--short-insert-fraction",
    type=float,
    default=0.0,
    show_default=True,
    help="Share of inserts shorter than the read (read-through into the adapter).",
)
@click.option(
    "--duplicate-rate",
    type=float,
    default=0.0,
    show_default=True,
    help="Share of read pairs that are duplicates.",
)
@click.option(
    "--error-rate",
    type=float,
    default=0.002,
    show_default=True,
    help="Mean sequencing error per base; rises along the read.",
)
@click.option(
    "--variant-rate", type=float, default=0.001, show_default=True, help="Variant sites per base."
)
@click.option(
    "--indel-fraction", type=float, default=0.15, show_default=True, help="Share of indels."
)
@click.option(
    "--het-fraction", type=float, default=0.6, show_default=True, help="Share of het variants."
)
@click.option("--check", is_flag=True, help="Demo only: verify the data with bcftools norm/csq.")
@click.option(
    "--family",
    type=click.Choice(["trio", "quad"]),
    default=None,
    help="A family on the synthetic genome: parents and an affected son (quad: and a daughter).",
)
@click.option(
    "--consanguineous", is_flag=True, help="Family: the parents share a stretch by descent."
)
@click.option("--recombination", is_flag=True, help="Family: crossovers in transmitted haplotypes.")
@click.option(
    "--swap", default=None, help="Family: A,B = A's FASTQ holds B's reads (B may be 'unrelated')."
)
@click.option(
    "--contaminate",
    default=None,
    help="Family: SAMPLE:FRACTION = that share of SAMPLE's reads from an unrelated person.",
)
@scenario_options
def simulate(outdir: Path, seed: int | None, reference: Path | None, regions: Path | None,
             variants: Path | None, variants_sample: str | None, sample: str, platform: str,
             depth: float | None, read_length: int, insert_mean: float, insert_sd: float,
             short_insert_fraction: float, duplicate_rate: float, error_rate: float,
             variant_rate: float, indel_fraction: float, het_fraction: float,
             check: bool, overwrite: bool, family: str | None, consanguineous: bool,
             recombination: bool, swap: str | None, contaminate: str | None,
             **exercise: Any) -> None:  # fmt: skip
    """Write a simulated data set: truth VCF, paired FASTQ and a sample sheet.

    Without --reference: labpipe's demo data (test_data/), byte for byte from the seed.
    With --reference: one sample on that FASTA, with a germline-like variant spectrum
    (or the variants of --variants) and an Illumina- or DNBSEQ-like library.
    With --family: a trio or quad on the synthetic genome, with planted variants of each
    inheritance model and truth files saying which is which.
    With --scenario: a classroom exercise (reads, config, instructor-only answer key).
    """
    from labpipe.config.platform import canonical_platform
    from labpipe.core.errors import RunError
    from labpipe.simulation import dataset, demo_data
    from labpipe.simulation.demo_check import verify_demo_data
    from labpipe.simulation.read_simulator import LibraryConfig

    if exercise["scenario"] is not None:
        if family is not None:
            raise UsageError("--scenario and --family: choose one")
        given = click.get_current_context().params
        _simulate_scenario(outdir, seed, overwrite, given, **exercise)
        return
    seed = demo_data.DEFAULT_SEED if seed is None else seed
    family_only = {"--consanguineous": consanguineous, "--recombination": recombination,
                   "--swap": swap, "--contaminate": contaminate}  # fmt: skip
    if family is None and any(family_only.values()):
        named = ", ".join(k for k, v in family_only.items() if v)
        raise UsageError(f"{named}: only with --family trio or --family quad")
    if family is not None:
        from click.core import ParameterSource

        from labpipe.simulation.family import FAMILY_DEPTH, run_family_simulation

        context = click.get_current_context()
        not_for_families = [
            f"--{name.replace('_', '-')}"
            for name in ("reference", "regions", "variants", "variants_sample", "sample",
                         "variant_rate", "indel_fraction", "het_fraction", "check")
            if context.get_parameter_source(name) is not ParameterSource.DEFAULT
        ]  # fmt: skip
        run_family_simulation(
            outdir, family, seed, consanguineous, recombination, swap, contaminate,
            not_for_families=not_for_families,
            platform=canonical_platform(platform), overwrite=overwrite,
            library=LibraryConfig(
                depth=depth or FAMILY_DEPTH, read_length=read_length,
                insert_mean=insert_mean, insert_sd=insert_sd,
                short_insert_fraction=short_insert_fraction, duplicate_rate=duplicate_rate,
            ),
            error_rate=error_rate, echo=click.echo,
        )  # fmt: skip
        return
    if reference is None:
        config = demo_data.SimulationConfig(target_depth=depth) if depth else None
        demo_data.write_demo_data_set(outdir, seed, config, overwrite)
        click.echo(f"demo data written to {outdir} (seed {seed})")
        if check:
            problems = verify_demo_data(outdir)
            if problems:
                raise RunError("generated data fails its checks", problems)
            click.echo("checked: truth normalised, expected consequences match bcftools csq")
        _next_step(outdir, outdir / "reference.fa", outdir / "targets.bed", outdir / "genes.gff3")
        return
    request = dataset.dataset_request(
        reference, outdir, seed=seed, sample=sample, platform=canonical_platform(platform),
        regions=regions,
        variants=variants, variants_sample=variants_sample,
        depth=depth if depth is not None else LibraryConfig.depth,
        read_length=read_length, insert_mean=insert_mean, insert_sd=insert_sd,
        short_insert_fraction=short_insert_fraction, duplicate_rate=duplicate_rate,
        error_rate=error_rate, variant_rate=variant_rate, indel_fraction=indel_fraction,
        het_fraction=het_fraction, overwrite=overwrite,
    )  # fmt: skip
    written = dataset.simulate_dataset(request)
    click.echo(dataset.describe_dataset(written))
    for warning in written.warnings:
        click.echo(f"labpipe: warning: {warning}", err=True)
    _next_step(outdir, reference, written.regions_bed, None)


def _next_step(outdir: Path, reference: Path, targets: Path, gff3: Path | None) -> None:
    """What to run on a simulated data set: a config from its reads, then the run."""
    lab = outdir / "lab"
    init = (
        f"labpipe init --fastq-dir {quote(str(outdir / 'reads'))} "
        f"--reference {quote(str(reference))} --targets {quote(str(targets))}"
        + (f" --gff3 {quote(str(gff3))}" if gff3 is not None else "")
        + f" --outdir {quote(str(lab))}"
    )
    click.echo(f"\nnext: {init}\n      labpipe run {quote(str(lab / 'config.yaml'))}")


def _simulate_scenario(
    outdir: Path,
    seed: int | None,
    overwrite: bool,
    given: dict[str, Any],
    scenario: str,
    students: int | None,
    gene: str | None,
    consequence: str | None,
    zygosity: str | None,
) -> None:
    """``simulate --scenario``: refuse the data-set options it does not use, write, say next."""
    from labpipe.simulation.scenarios import ScenarioRequest, describe_exercise, write_scenario

    ignored = [
        f"--{name.replace('_', '-')}"
        for name in ("reference", "regions", "variants", "variants_sample", "depth", "check")
        if given.get(name) not in (None, False)
    ]
    if ignored:
        raise UsageError(
            f"--scenario makes its own data: leave out {', '.join(ignored)}",
        )
    request = ScenarioRequest(
        scenario, outdir, seed=seed, students=students, gene=gene, consequence=consequence,
        zygosity=zygosity, overwrite=overwrite,
    )  # fmt: skip
    click.echo(describe_exercise(write_scenario(request)))
