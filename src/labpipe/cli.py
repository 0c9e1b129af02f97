"""The ``labpipe`` command line.

This is the one place that turns :class:`~labpipe.core.errors.LabpipeError` into
``labpipe: error: …`` and an exit code. Heavy modules are imported inside the
commands so that ``labpipe --help`` answers at once.
"""

from __future__ import annotations

import os
import sys
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

import click

from labpipe import __version__
from labpipe.core.errors import LabpipeError, UsageError, from_os_or_format_error

_DEBUG_ENV = "LABPIPE_DEBUG"


def _default_cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="labpipe")
@click.option("--debug", is_flag=True, help="Show a traceback when something fails.")
def cli(debug: bool) -> None:
    """labpipe: germline variant analysis for hospital labs.

    A lab's path: `labpipe reference prepare FASTA`, write a config (see
    config/labs/example-lab.yaml), `labpipe validate CONFIG`, `labpipe run CONFIG`.
    """
    if debug:
        os.environ[_DEBUG_ENV] = "1"


def _executor_options(command: Callable[..., None]) -> Callable[..., None]:
    """--executor and --profile: where the workflow's steps run (labpipe.run.cluster)."""
    command = click.option(
        "--profile",
        type=click.Path(path_type=Path, file_okay=False),
        default=None,
        help="Run steps as this Snakemake profile says (any executor plugin: SGE, PBS, LSF, …).",
    )(command)
    return click.option(
        "--executor",
        type=click.Choice(["local", "slurm"]),
        default="local",
        show_default=True,
        help="Where steps run: here, or as SLURM jobs (config `cluster:`, docs/cluster.md).",
    )(command)


@cli.command()
@click.argument("config", type=click.Path(path_type=Path))
@click.option(
    "--cores",
    "-c",
    type=click.IntRange(min=1),
    default=None,
    help="CPU cores to use (default: all available).",
)
@click.option(
    "--outdir",
    "-o",
    type=click.Path(path_type=Path),
    default=None,
    help="Output directory (default: output_dir from the config).",
)
@click.option("--dry-run", "-n", is_flag=True, help="Show the steps that would run, run nothing.")
@click.option("--use-conda", is_flag=True, help="Run each tool from its pinned conda env in envs/.")
@click.option(
    "--no-space-check",
    is_flag=True,
    help="Start even when the output file system has less free space than the run's estimate.",
)
@_executor_options
def run(
    config: Path,
    cores: int | None,
    outdir: Path | None,
    dry_run: bool,
    use_conda: bool,
    no_space_check: bool,
    executor: str,
    profile: Path | None,
) -> None:
    """Run the whole analysis for the samples of a lab CONFIG."""
    from labpipe.run.pipeline import run_pipeline

    run_pipeline(
        config,
        outdir,
        cores or _default_cores(),
        dry_run,
        use_conda,
        echo=click.echo,
        space_check=not no_space_check,
        executor=executor,
        profile=profile,
    )


@cli.command()
@click.argument("config", type=click.Path(path_type=Path))
def validate(config: Path) -> None:
    """Check a lab CONFIG, its sample sheet and input files; run nothing."""
    from labpipe.run.pipeline import validate_inputs

    checked = validate_inputs(config)
    for warning in checked.warnings:
        click.echo(f"labpipe: warning: {warning}", err=True)
    click.echo(
        f"{config}: valid — {len(checked.samples)} sample(s), {len(checked.units)} unit(s), "
        f"output to {checked.config.output_dir}"
    )


@cli.command()
def doctor() -> None:
    """Check the external tools and the Python packages against requirements.lock.

    Lists each tool with the version found and the minimum needed, then every Python
    package that is missing, extra or at another version than the lock pins. Exit
    status 1 when a required tool is missing or too old or the packages differ from
    the lock (or it cannot be read); 0 when all is as it should be.
    """
    from labpipe.core.tools import ToolStatus, check_all, install_hint

    statuses = check_all()
    width = max(len(s.tool.name) for s in statuses)

    def optional(s: ToolStatus) -> bool:
        return bool(s.tool.needed_for) and not s.tool.needed_by_default

    for s in statuses:
        if s.ok:
            mark = "ok"
        elif optional(s):
            mark = "optional"
        else:
            mark = "MISSING" if s.path is None else "TOO OLD" if s.version else "BROKEN"
        found = s.version or "-"
        where = (s.path or "") if s.ok else f"({s.problem})"
        if s.tool.needed_for and not s.ok:
            where += f"; needed for {s.tool.needed_for}"
        click.echo(
            f"{mark:<8} {s.tool.name:<{width}}  found {found:<10} need >= {s.tool.minimum}  {where}"
        )
    bad = [s for s in statuses if not s.ok and not optional(s)]
    if bad:
        click.echo("\nTo install what is missing:\n" + install_hint(bad), err=True)
    else:
        click.echo("\nAll required tools present.")
    packages_ok = _doctor_python_packages()
    if bad or not packages_ok:
        raise SystemExit(1)


def _doctor_python_packages() -> bool:
    """The doctor's second half: installed Python packages against the lock."""
    from labpipe.provenance.lockcheck import check_environment

    try:
        compared = check_environment()
    except LabpipeError as exc:
        click.echo(f"\nNOT CHECKED  Python packages: {exc.render()}", err=True)
        return False
    lock = compared.lock
    click.echo(
        f"\nPython packages against {lock.path} "
        f"(Python {lock.python}, {len(lock.pins)} packages):"
    )
    marks = {"missing": "MISSING", "extra": "EXTRA", "version": "VERSION"}
    for difference in compared.differences:
        click.echo(f"{marks[difference.kind]:<8} {difference.describe()}")
    if not compared.python_matches:
        click.echo(f"{'PYTHON':<8} {compared.python_problem()}")
    if compared.matches:
        click.echo(f"ok       all as locked, on Python {compared.python}")
        return True
    click.echo(
        "\nThe Python packages are not the validated set in the lock: `make setup` "
        "installs exactly it into labpipe's .venv.",
        err=True,
    )
    return False


@cli.command()
@click.option(
    "--fastq-dir",
    required=True,
    type=click.Path(path_type=Path),
    help="Sequencer output folder to scan (searched recursively).",
)
@click.option(
    "--reference", required=True, type=click.Path(path_type=Path), help="Reference genome FASTA."
)
@click.option(
    "--targets",
    type=click.Path(path_type=Path),
    default=None,
    help="Targets BED of the panel or exome (leave out for whole genomes).",
)
@click.option("--lab", "lab_name", default=None, help="Lab name for the config and reports.")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path),
    default=Path("."),
    show_default=True,
    help="Where to write samples.tsv and config.yaml.",
)
@click.option(
    "--barcodes",
    type=click.Path(path_type=Path),
    default=None,
    help="MGI barcode-to-sample table (two columns: barcode, sample).",
)
@click.option("--overwrite", is_flag=True, help="Replace samples.tsv/config.yaml if present.")
@click.option(
    "--skip-unlisted-barcodes",
    is_flag=True,
    help="Leave out (and list) files whose barcode is not in --barcodes, instead of stopping.",
)
@click.option(
    "--build", default=None, help="Genome build, e.g. GRCh38 (default: told from the FASTA)."
)
@click.option(
    "--gff3",
    type=click.Path(path_type=Path),
    default=None,
    help="Ensembl GFF3 of the FASTA's build, for consequences (docs/offline-annotation.md).",
)
@click.option(
    "--clinvar",
    type=click.Path(path_type=Path),
    default=None,
    help="ClinVar VCF of the FASTA's build (bgzip + .tbi).",
)
@click.option(
    "--population-af",
    type=click.Path(path_type=Path),
    default=None,
    help="Population allele-frequency VCF, e.g. a gnomAD extract (bgzip + index).",
)
@click.option("--population-af-field", default=None, help="Its global AF INFO field, e.g. AF.")
@click.option(
    "--population-af-population-field",
    default=None,
    help="Its INFO field of the lab's population, e.g. AF_sas.",
)
@click.option(
    "--population-af-population", default=None, help="That population, e.g. 'South Asian'."
)
@click.option("--population-af-name", default=None, help="Source name, e.g. 'gnomAD v4.1 exomes'.")
@click.option(
    "--panel",
    "panels",
    type=click.Path(path_type=Path),
    multiple=True,
    help="Gene panel (gene list or BED); repeat for several.",
)
def init(
    fastq_dir: Path,
    reference: Path,
    targets: Path | None,
    lab_name: str | None,
    out_dir: Path,
    barcodes: Path | None,
    overwrite: bool,
    skip_unlisted_barcodes: bool,
    build: str | None,
    gff3: Path | None,
    clinvar: Path | None,
    population_af: Path | None,
    population_af_field: str | None,
    population_af_population_field: str | None,
    population_af_population: str | None,
    population_af_name: str | None,
    panels: tuple[Path, ...],
) -> None:
    """Scan a sequencer output folder; write a sample sheet and a lab config.

    The config shows every setting labpipe has (those not given commented out,
    with their defaults); the annotation options fill its annotation section.
    """
    from labpipe.inputs.discover import InitSources, init_lab, load_barcode_table

    sources = InitSources(
        build=build,
        gff3=gff3,
        clinvar=clinvar,
        population_af=population_af,
        global_field=population_af_field,
        population_field=population_af_population_field,
        population=population_af_population,
        population_name=population_af_name,
        panels=panels,
    )
    table = load_barcode_table(barcodes) if barcodes else None
    result = init_lab(
        fastq_dir,
        reference,
        targets,
        lab_name,
        out_dir,
        table,
        overwrite=overwrite,
        skip_unlisted_barcodes=skip_unlisted_barcodes,
        sources=sources,
    )
    click.echo(result.report())


@cli.group()
def reference() -> None:
    """Reference genome tasks."""


@reference.command("prepare")
@click.argument("fasta", type=click.Path(path_type=Path))
@click.option(
    "--aligner",
    type=click.Choice(["bwa", "minimap2"]),
    default="bwa",
    show_default=True,
    help="Whose index to build beside the .fai (the config's alignment.aligner).",
)
def reference_prepare(fasta: Path, aligner: str) -> None:
    """Build the samtools and aligner indexes of FASTA beside it (skips ones present).

    Says first what a build needs (memory, disk, time, scaled from the FASTA's size) and
    stops when this computer has too little; warns about ALT contigs.
    """
    from labpipe.inputs.reference import prepare_reference

    for line in prepare_reference(fasta, aligner):
        click.echo(line)


@cli.command()
@click.option(
    "--outdir",
    "-o",
    type=click.Path(path_type=Path),
    default=Path("labpipe-demo"),
    show_default=True,
    help="Fresh directory to run the demo in.",
)
@click.option(
    "--cores",
    "-c",
    type=click.IntRange(min=1),
    default=None,
    help="CPU cores to use (default: all available).",
)
@click.option("--overwrite", is_flag=True, help="Empty OUTDIR first if it holds an earlier demo.")
@_executor_options
def demo(
    outdir: Path, cores: int | None, overwrite: bool, executor: str, profile: Path | None
) -> None:
    """Run the whole pipeline on the embedded demo data and summarise it."""
    from labpipe.demo import run_demo

    run_demo(outdir, cores or _default_cores(), overwrite, click.echo, executor, profile)


@cli.command()
@click.option(
    "--truth",
    "-t",
    required=True,
    type=click.Path(path_type=Path),
    help="Truth VCF (plain or bgzipped).",
)
@click.option(
    "--calls",
    "-c",
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
@click.option(
    "--out",
    "-o",
    type=click.Path(path_type=Path),
    default=None,
    help="Folder for evaluation.json and the FP, FN and genotype-mismatch VCFs.",
)
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
    show_default=True,
    help="How many discordant records of each kind to print.",
)
def evaluate(
    truth: Path,
    calls: Path,
    reference: Path,
    regions: Path | None,
    targets: Path | None,
    out: Path | None,
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
    from labpipe.evaluation.evaluate import format_evaluation, write_evaluation
    from labpipe.inputs.disk import output_folder_problems

    # Before the scoring, not after it.
    if out is not None and (problems := output_folder_problems(out)):
        raise UsageError(f"--out {out} cannot be used", problems)
    result = score(
        truth, calls, reference,
        regions_bed=regions, targets_bed=targets,
        truth_sample=truth_sample, calls_sample=calls_sample,
        pass_only=not all_records,
    )  # fmt: skip
    click.echo(format_evaluation(result, max_listed))
    if out is not None:
        files = write_evaluation(result, out)
        click.echo(f"\nwritten to {out}: " + ", ".join(p.name for p in files.values()))


@cli.command()
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
    help="Random seed: the same seed gives the same bytes (default: the demo's).",
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
    help="Nominal depth (default 30; demo: depth over targets, default 100).",
)
@click.option("--read-length", type=click.IntRange(min=30), default=150, show_default=True)
@click.option("--insert-mean", type=float, default=350.0, show_default=True)
@click.option("--insert-sd", type=float, default=60.0, show_default=True)
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
@click.option("--indel-fraction", type=float, default=0.15, show_default=True)
@click.option("--het-fraction", type=float, default=0.6, show_default=True)
@click.option("--check", is_flag=True, help="Demo only: verify the data with bcftools norm/csq.")
def simulate(outdir: Path, seed: int | None, reference: Path | None, regions: Path | None,
             variants: Path | None, variants_sample: str | None, sample: str, platform: str,
             depth: float | None, read_length: int, insert_mean: float, insert_sd: float,
             short_insert_fraction: float, duplicate_rate: float, error_rate: float,
             variant_rate: float, indel_fraction: float, het_fraction: float,
             check: bool, overwrite: bool) -> None:  # fmt: skip
    """Write a simulated data set: truth VCF, paired FASTQ and a sample sheet.

    Without --reference: labpipe's demo data (test_data/), byte for byte from the seed.
    With --reference: one sample on that FASTA, with a germline-like variant spectrum
    (or the variants of --variants) and an Illumina- or DNBSEQ-like library.
    """
    from labpipe.config.platform import canonical_platform
    from labpipe.core.errors import RunError
    from labpipe.simulation import dataset, demo_data
    from labpipe.simulation.demo_check import verify_demo_data
    from labpipe.simulation.read_simulator import LibraryConfig

    seed = demo_data.DEFAULT_SEED if seed is None else seed
    if reference is None:
        config = demo_data.SimulationConfig(target_depth=depth) if depth else None
        demo_data.write_demo_data_set(outdir, seed, config, overwrite)
        click.echo(f"demo data written to {outdir} (seed {seed})")
        if check:
            problems = verify_demo_data(outdir)
            if problems:
                raise RunError("generated data fails its checks", problems)
            click.echo("checked: truth normalised, expected consequences match bcftools csq")
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
    click.echo(dataset.describe_dataset(dataset.simulate_dataset(request)))


def _add_workflow_steps() -> None:
    from labpipe.run.steps import step

    cli.add_command(step)


_add_workflow_steps()


def main(argv: list[str] | None = None) -> Any:
    """Entry point: run the CLI, turning labpipe errors into messages and exit codes."""
    debug = "--debug" in (argv if argv is not None else sys.argv[1:])
    try:
        return cli.main(args=argv, prog_name="labpipe", standalone_mode=False)
    except LabpipeError as exc:
        if debug or os.environ.get(_DEBUG_ENV):
            raise
        click.echo(f"labpipe: error: {exc.render()}", err=True)
        sys.exit(exc.exit_code)
    except click.exceptions.Abort as exc:
        if isinstance(exc.__cause__, KeyboardInterrupt):  # click wraps Ctrl-C and SIGTERM
            _interrupted(exc.__cause__)
        click.echo("labpipe: aborted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(UsageError.exit_code if exc.exit_code == 2 else exc.exit_code)
    except KeyboardInterrupt as stop:
        _interrupted(stop)
    except (OSError, EOFError, zlib.error, UnicodeDecodeError, ValueError) as exc:
        # The expected ones (full disk, read-only folder, a file of the wrong type)
        # become messages; anything else is a bug and keeps its traceback.
        error = from_os_or_format_error(exc)
        if error is None or debug or os.environ.get(_DEBUG_ENV):
            raise
        click.echo(f"labpipe: error: {error.render()}", err=True)
        sys.exit(error.exit_code)


def _interrupted(stop: KeyboardInterrupt) -> NoReturn:
    click.echo("labpipe: interrupted; run the same command again to resume", err=True)
    # 130 for Ctrl-C, 143 for SIGTERM (labpipe.run.runner.RunInterrupted).
    sys.exit(getattr(stop, "exit_code", 130))


if __name__ == "__main__":
    main()
