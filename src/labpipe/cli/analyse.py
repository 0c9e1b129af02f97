"""Analysing samples: ``labpipe validate``, ``labpipe run`` and ``labpipe demo``."""

from __future__ import annotations

from pathlib import Path

import click

from labpipe.cli.options import (
    cores_option,
    default_cores,
    executor_options,
    lang_option,
    outdir_option,
)
from labpipe.core.i18n import _


@click.command()
@click.argument("config", type=click.Path(path_type=Path))
@cores_option
@outdir_option("Output directory (default: output_dir from the config).")
@click.option("--dry-run", "-n", is_flag=True, help="Show the steps that would run, run nothing.")
@click.option("--use-conda", is_flag=True, help="Run each tool from its pinned conda env in envs/.")
@click.option(
    "--no-space-check",
    is_flag=True,
    help="Start even when the output file system has less free space than the run's estimate.",
)
@click.option(
    "--dag",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="With --dry-run: also draw the workflow's steps and what feeds what as an SVG "
    "picture into this file (for slides; no Graphviz needed).",
)
@executor_options
@lang_option
def run(
    config: Path,
    cores: int | None,
    outdir: Path | None,
    dry_run: bool,
    use_conda: bool,
    no_space_check: bool,
    dag: Path | None,
    executor: str,
    profile: Path | None,
) -> None:
    """Run the whole analysis for the samples of a lab CONFIG."""
    from labpipe.core.errors import UsageError
    from labpipe.run.pipeline import run_pipeline

    if dag is not None and not dry_run:
        raise UsageError("--dag draws the workflow without running it: add --dry-run")
    target = run_pipeline(
        config,
        outdir,
        cores or default_cores(),
        dry_run,
        use_conda,
        echo=click.echo,
        space_check=not no_space_check,
        executor=executor,
        profile=profile,
    )
    if dag is not None:
        from labpipe.run.rule_graph import draw_workflow

        graph = draw_workflow(config, target, dag)
        click.echo(f"labpipe: the workflow's {len(graph.rules)} rules drawn in {dag}")


@click.command()
@click.argument("config", type=click.Path(path_type=Path))
@lang_option
def validate(config: Path) -> None:
    """Check a lab CONFIG, its sample sheet and input files; run nothing."""
    from labpipe.run.pipeline import validate_inputs

    checked = validate_inputs(config)
    for warning in checked.warnings:
        click.echo(f"labpipe: warning: {warning}", err=True)
    click.echo(
        _("%(config)s: valid — %(samples)s sample(s), %(units)s unit(s), output to %(outdir)s")
        % {
            "config": config,
            "samples": len(checked.samples),
            "units": len(checked.units),
            "outdir": checked.config.output_dir,
        }
    )
    if checked.pedigree.members:
        click.echo(
            _("pedigree: %(summary)s") % {"summary": checked.pedigree.summary(checked.samples)}
        )


@click.command()
@outdir_option("Fresh directory to run the demo in.", default=Path("labpipe-demo"))
@cores_option
@click.option(
    "--overwrite",
    is_flag=True,
    help="Empty OUTDIR first if it holds an earlier demo (without it, a demo left unfinished "
    "there is resumed).",
)
@click.option(
    "--explain",
    is_flag=True,
    help="Run it one step at a time and tell each step as soon as it has run: what it does "
    "and why, the command that ran, the file to open and a number read from it (for teaching).",
)
@click.option(
    "--pause",
    is_flag=True,
    help="With --explain: wait for Enter before running the next step (only on a terminal; "
    "otherwise the steps follow straight on).",
)
@executor_options
@lang_option
def demo(
    outdir: Path,
    cores: int | None,
    overwrite: bool,
    explain: bool,
    pause: bool,
    executor: str,
    profile: Path | None,
) -> None:
    """Run the whole pipeline on the embedded demo data and summarise it."""
    from labpipe.core.errors import UsageError
    from labpipe.demo import run_demo

    if pause and not explain:
        raise UsageError(_("--pause pauses the narrated steps of --explain: add --explain"))
    run_demo(
        outdir,
        cores or default_cores(),
        overwrite,
        click.echo,
        executor,
        profile,
        explain=explain,
        pause=pause,
    )
