"""Preparing a lab: ``labpipe doctor``, ``labpipe init`` and ``labpipe reference prepare``."""

from __future__ import annotations

from pathlib import Path

import click

from labpipe.cli.options import AliasedCommand, outdir_option
from labpipe.core.errors import LabpipeError


@click.command()
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
        f"\nPython packages against {lock.path} (Python {lock.python}, {len(lock.pins)} packages):"
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


@click.command(cls=AliasedCommand, aliases={"--out": "--outdir"})
@click.option(
    "--fastq-dir",
    required=True,
    type=click.Path(path_type=Path),
    help="Sequencer output folder to scan (searched recursively).",
)
@click.option(
    "--reference",
    "-r",
    required=True,
    type=click.Path(path_type=Path),
    help="Reference genome FASTA.",
)
@click.option(
    "--targets",
    type=click.Path(path_type=Path),
    default=None,
    help="Targets BED of the panel or exome (leave out for whole genomes).",
)
@click.option("--lab", "lab_name", default=None, help="Lab name for the config and reports.")
@outdir_option("Where to write samples.tsv and config.yaml.", default=Path("."))
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
    outdir: Path,
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
    from labpipe.inputs.discover.barcodes import load_barcode_table
    from labpipe.inputs.discover.init import init_lab
    from labpipe.inputs.discover.lab_config import InitSources

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
        outdir,
        table,
        overwrite=overwrite,
        skip_unlisted_barcodes=skip_unlisted_barcodes,
        sources=sources,
    )
    click.echo(result.report())


@click.group()
def reference() -> None:
    """Reference genome tasks."""


@reference.command("prepare")
@click.argument("fasta", type=click.Path(path_type=Path))
@click.option(
    "--aligner",
    type=click.Choice(["bwa", "minimap2"]),
    default="bwa",
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
