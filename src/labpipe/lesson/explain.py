"""``labpipe demo --explain``: the demo's workflow run one lesson step at a time, each step
told as soon as it has run, for a class.

Each step is a stage of the workflow: Snakemake is asked for the files of the step's rule(s)
for every sample (:attr:`Step.targets`), so it runs that rule and whatever it still needs,
and the class sees those jobs finish. Then the step is told: what it does and why
(:mod:`labpipe.lesson.narration`), the command exactly as it ran (from the events the run
recorded, :func:`labpipe.run.runner.events_log`, not a copy that could drift from the
rules), the file to open, and one number read from that file (:mod:`labpipe.lesson.readings`).

Temporary files (the lanes' BAMs, the calling chunks, freebayes' calls, csq's VCF) are kept
through the lesson (Snakemake's ``--notemp``), so that a step's file can still be opened when
it is told and a resumed lesson finds them; they are removed after the last step, before
the rest of the workflow (:mod:`labpipe.demo`) writes the manifest, so that the results are
those of ``labpipe run``.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO, Any

from labpipe.config.samplesheet import Unit, samples_of
from labpipe.core import layout
from labpipe.core.errors import LabpipeError
from labpipe.core.i18n import _
from labpipe.lesson import narration, readings
from labpipe.lesson.readings import Focus, Reader
from labpipe.run.runner import EVENTS_SUFFIX, events_log
from labpipe.run.workflow_support import calling_chunks

Echo = Callable[[str], None]
#: What follows the variant further once a step's files exist (see :func:`follow_unit`).
Follow = Callable[[Path, Focus], Focus]


def follow_unit(outdir: Path, focus: Focus) -> Focus:
    """From trimming on: the sample's first lane."""
    return replace(focus, unit=readings.first_unit(outdir, focus.sample))


def follow_most_severe(outdir: Path, focus: Focus) -> Focus:
    """From the consequences on: the call csq found most severe (no tier exists yet)."""
    return replace(focus, variant=readings.most_severe_call(outdir, focus.sample))


def follow_into_table(outdir: Path, focus: Focus) -> Focus:
    """From annotation on: the same call, with the tier the variant table gave it."""
    if focus.variant is None:
        return focus
    found = readings.table_variant(outdir, focus.sample, focus.variant.allele)
    return replace(focus, variant=found or focus.variant)


@dataclass(frozen=True)
class Step:
    """One step of the lesson: its stage of the workflow, and what is told of it.

    Attributes:
        rules: The rules whose command is shown.
        output: The file to open (a template of :mod:`labpipe.core.layout`; chunk 0).
        targets: The stage: the templates asked of Snakemake, for every sample (lane,
            chunk). Temporary files a later step needs are asked for too.
        follow: Updates the focus once the stage has run.
    """

    key: str
    rules: tuple[str, ...]
    output: str
    read: Reader
    targets: tuple[str, ...]
    follow: Follow | None = None


#: The steps in the order the workflow does them; ``key`` indexes narration.STEPS.
STEPS: tuple[Step, ...] = (
    Step(
        "trimming",
        ("align",),
        layout.FASTP_HTML,
        readings.fastp_reads,
        (layout.FASTP_JSON, layout.FASTP_HTML, layout.PAIRS_JSON, layout.UNIT_BAM),
        follow_unit,
    ),
    # Duplicates before the alignment's figures: samtools counts the BAM markdup wrote.
    Step(
        "duplicates",
        ("markdup",),
        layout.MARKDUP_STATS,
        readings.duplicates,
        (layout.BAM, layout.BAI, layout.MARKDUP_STATS),
    ),
    Step(
        "alignment",
        ("samtools_stats",),
        layout.FLAGSTAT_JSON,
        readings.mapped_reads,
        (layout.SAMTOOLS_STATS, layout.FLAGSTAT_JSON),
    ),
    Step(
        "coverage",
        ("mosdepth",),
        layout.MOSDEPTH_SUMMARY,
        readings.target_depth,
        (layout.MOSDEPTH_SUMMARY,),
    ),
    Step(
        "calling",
        ("call_chunk",),
        layout.CHUNK_BCF,
        readings.chunk_calls,
        (layout.CHUNK_BCF, layout.CHUNK_INDEL_SITES),
    ),
    Step(
        "second_opinion",
        ("indel_second_opinion",),
        layout.SECOND_OPINION_BCF,
        readings.freebayes_calls,
        (layout.SECOND_OPINION_WINDOWS, layout.SECOND_OPINION_BCF),
    ),
    Step(
        "filters", ("call_variants",), layout.VCF, readings.soft_filters, (layout.VCF, layout.TBI)
    ),
    Step(
        "consequences",
        ("bcftools_csq",),
        layout.CSQ_VCF,
        readings.consequence,
        (layout.CSQ_VCF,),
        follow_most_severe,
    ),
    Step(
        "annotation",
        ("annotate",),
        layout.VARIANTS_TSV,
        readings.tier,
        (layout.VARIANTS_TSV, layout.ANNOTATED_VCF, layout.ANNOTATED_TBI),
        follow_into_table,
    ),
    Step(
        "report",
        ("sample_report",),
        layout.REPORT_HTML,
        readings.report_status,
        (layout.REPORT_HTML,),
    ),
)


def stage_targets(step: Step, units: Sequence[Unit], chunks: int) -> list[str]:
    """The files a step's stage asks Snakemake for: its templates for every sample, each
    lane of it and each calling chunk."""
    paths: list[str] = []
    for sample in samples_of(list(units)):
        for template in step.targets:
            if "{unit}" in template:
                lanes = [u.unit for u in units if u.sample == sample]
                paths += [layout.path(template, sample=sample, unit=lane) for lane in lanes]
            elif "{chunk}" in template:
                paths += [layout.path(template, sample=sample, chunk=str(n)) for n in range(chunks)]
            else:
                paths.append(layout.path(template, sample=sample))
    return paths


def teach(
    config_path: Path,
    outdir: Path,
    cores: int,
    echo: Echo,
    pause: bool = False,
    wait: Callable[[], bool] | None = None,
    executor_args: Sequence[str] = (),
) -> None:
    """Run the workflow of ``config_path`` step by step into ``outdir``, telling each step
    for the first sample as soon as its stage has run; then remove the temporary files.

    What is left to run (QC table, MultiQC, index, manifest) is the caller's: a
    ``labpipe run`` of the same config, which finds every step's results already there.

    Args:
        pause: Wait (``wait``) before running each step after the first.
        wait: Returns False when it could not wait (input not a terminal).
        executor_args: Snakemake's options for where the steps run
            (:func:`labpipe.run.cluster.executor_arguments`).

    Raises:
        LabpipeError: The inputs do not validate, a tool is missing, or a step failed.
    """
    from labpipe.core.tools import require_tools
    from labpipe.run.pipeline import validate_inputs

    checked = validate_inputs(config_path, outdir)
    settings = checked.config
    require_tools(
        settings.calling.caller, settings.calling.second_opinion, settings.alignment.aligner
    )
    chunks = calling_chunks(settings)
    wait = wait or wait_for_enter
    focus = Focus(checked.samples[0], "", None)
    echo(_(narration.INTRO).format(steps=len(STEPS), sample=focus.sample, outdir=outdir))
    kept: list[str] = []
    for number, step in enumerate(STEPS, start=1):
        if pause and number > 1 and not wait():
            echo(_(narration.NOT_A_TERMINAL))
            pause = False
        title = _(narration.STEPS[step.key].title)
        echo("")
        echo(_(narration.RUNNING_STEP).format(number=number, steps=len(STEPS), title=title))
        targets = stage_targets(step, checked.units, chunks)
        kept += targets
        stage = run_stage(config_path, outdir, cores, echo, [*executor_args, "--notemp"], targets)
        if step.follow is not None:
            focus = _followed(step.follow, outdir, focus)
        jobs = jobs_logged(events_log(stage))
        if not any(job.rule in step.rules for job in jobs):
            jobs = ran_jobs(outdir)  # resumed: the step ran in an earlier run of the lesson
        echo("")
        echo(step_text(step, number, outdir, focus, jobs))
    # Kept for the class until now; gone before the manifest lists what results/ holds.
    drop_kept_files(config_path, outdir, cores, echo, kept)


def drop_kept_files(
    config_path: Path, outdir: Path, cores: int, echo: Echo, targets: Sequence[str] = ()
) -> None:
    """Delete the temporary files a lesson kept (``--notemp``) that the workflow for
    ``targets`` (default: all of it) makes, as ``labpipe run`` deletes them once used.

    One whose user has not run yet is made again when needed.
    """
    run_stage(config_path, outdir, cores, echo, ["--delete-temp-output"], targets)


def run_stage(
    config_path: Path,
    outdir: Path,
    cores: int,
    echo: Echo,
    options: Sequence[str],
    targets: Sequence[str],
) -> Path:
    """Run the workflow for ``targets`` only.

    Returns:
        The stage's text log.

    Raises:
        RunError: A step failed (naming it, its sample and its log).
    """
    from labpipe.run.failures import failure_message
    from labpipe.run.runner import run_workflow

    outcome = run_workflow(
        config_path, outdir, cores, echo=echo, executor_args=options, targets=targets
    )
    if outcome.returncode != 0:
        raise failure_message(outcome, outdir)
    return outcome.log_path


def _followed(follow: Follow, outdir: Path, focus: Focus) -> Focus:
    """``follow(outdir, focus)``; the focus as it was when the files cannot tell more (the
    reading that needs them then says why)."""
    try:
        return follow(outdir, focus)
    except (LabpipeError, OSError, KeyError, ValueError):
        return focus


@dataclass(frozen=True)
class RanJob:
    """A job of the run as Snakemake announced it (the logger plugin's ``job_info``)."""

    rule: str
    wildcards: dict[str, str]
    command: str


def ran_jobs(outdir: Path) -> list[RanJob]:
    """Every job the real runs in ``outdir`` announced, oldest run first (dry runs left out)."""
    logs = sorted((outdir / "logs").glob(f"labpipe-run-*{EVENTS_SUFFIX}"))
    return [job for path in logs if "-dryrun" not in path.name for job in jobs_logged(path)]


def jobs_logged(log_path: Path) -> list[RanJob]:
    """The jobs one run announced, from its events file (``log_path`` may name its text log)."""
    events = log_path if log_path.name.endswith(EVENTS_SUFFIX) else events_log(log_path)
    if not events.exists():
        return []
    jobs: list[RanJob] = []
    for line in events.read_text(errors="replace").splitlines():
        try:
            event: Any = json.loads(line)
        except ValueError:
            continue  # a line cut short by a killed run
        if isinstance(event, dict) and event.get("event") == "job_info":
            jobs.append(
                RanJob(
                    str(event.get("rule_name", "")),
                    {str(k): str(v) for k, v in (event.get("wildcards") or {}).items()},
                    str(event.get("shellcmd") or "").strip(),
                )
            )
    return jobs


def commands_for(jobs: Sequence[RanJob], rule: str, focus: Focus) -> tuple[str, int]:
    """The command of ``rule``'s job for the focus sample and lane (its first chunk), and how
    many other jobs the rule ran; ``("", 0)`` when it ran none."""
    # Newest first: after a resumed run, the command that made the file now there.
    mine = [j for j in reversed(jobs) if j.rule == rule and j.command]
    if not mine:
        return "", 0

    def closeness(job: RanJob) -> tuple[bool, bool, str]:
        wc = job.wildcards
        return (
            wc.get("sample", focus.sample) != focus.sample,
            wc.get("unit", focus.unit) != focus.unit,
            wc.get("chunk", "").zfill(6),
        )

    chosen = min(mine, key=closeness)
    return chosen.command, len(mine) - 1


def wait_for_enter(stdin: IO[str] | None = None) -> bool:
    """Wait for Enter on a terminal; at once (False) when input is not a terminal.

    Input that is not a terminal (a CI job, a pipe, /dev/null) might never send a line or
    close: waiting on it could hang a class's script, so it is not read.
    """
    stream = stdin if stdin is not None else sys.stdin
    if stream is None or not stream.isatty():
        return False
    sys.stdout.write(_(narration.PAUSE_PROMPT))
    sys.stdout.flush()
    stream.readline()
    return True


def step_text(step: Step, number: int, outdir: Path, focus: Focus, jobs: Sequence[RanJob]) -> str:
    """What the narration says for one step."""
    text = narration.STEPS[step.key].translated()
    lines = [
        _(narration.STEP_HEADING).format(number=number, steps=len(STEPS), title=text.title),
        f"  {text.about}",
    ]
    if text.command_note:
        lines.append(f"  {text.command_note}")
    for rule in step.rules:
        command, more = commands_for(jobs, rule, focus)
        lines.append("  " + _(narration.COMMAND_LABEL).format(rule=rule))
        if command:
            # A command can hold a quoted newline: only its first line gets the prompt.
            first, *rest = command.splitlines()
            lines += [f"    $ {first}", *(f"      {line}" for line in rest)]
            if more:
                lines.append("    " + _(narration.MORE_JOBS).format(more=more))
        else:
            lines.append("    " + _(narration.NO_COMMAND).format(rule=rule))
    output = layout.in_outdir(outdir, step.output, sample=focus.sample, unit=focus.unit, chunk="0")
    lines.append("  " + _(narration.OUTPUT_LABEL) + f" {output}")
    try:
        reading = text.reading.format(**step.read(outdir, focus))
    except (LabpipeError, OSError, KeyError, ValueError) as exc:
        why = exc.render() if isinstance(exc, LabpipeError) else str(exc)
        reading = _(narration.NUMBER_MISSING).format(path=output, why=why)
    lines.append("  " + _(narration.NUMBER_LABEL) + f" {reading}")
    return "\n".join(lines)
