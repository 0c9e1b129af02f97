"""``labpipe demo --explain``: a finished run told step by step, for a class.

Each step names the rule(s) of the workflow that did it, says what it does and why
(:mod:`labpipe.lesson.narration`), shows the command exactly as it ran (from the events
the run recorded, :func:`labpipe.run.runner.events_log`, not a copy that could drift from
the rules), the file to open, and one number read from that file
(:mod:`labpipe.lesson.readings`).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from labpipe.core import layout
from labpipe.core.errors import LabpipeError
from labpipe.core.i18n import _
from labpipe.lesson import narration, readings
from labpipe.lesson.readings import Focus, Reader
from labpipe.run.runner import EVENTS_SUFFIX

Echo = Callable[[str], None]


@dataclass(frozen=True)
class Step:
    """One step of the lesson: the rules that did it, the file to open, its number."""

    key: str
    rules: tuple[str, ...]
    output: str
    read: Reader


#: The steps in the order a sample goes through them; ``key`` indexes narration.STEPS.
STEPS: tuple[Step, ...] = (
    Step("trimming", ("align",), layout.FASTP_HTML, readings.fastp_reads),
    Step("alignment", ("samtools_stats",), layout.FLAGSTAT_JSON, readings.mapped_reads),
    Step("duplicates", ("markdup",), layout.MARKDUP_STATS, readings.duplicates),
    Step("coverage", ("mosdepth",), layout.MOSDEPTH_SUMMARY, readings.target_depth),
    Step("calling", ("call_chunk",), layout.VCF, readings.vcf_records),
    Step("second_opinion", ("indel_second_opinion",), layout.VCF, readings.second_opinion),
    Step("filters", ("call_variants",), layout.VCF, readings.soft_filters),
    Step("consequences", ("bcftools_csq",), layout.ANNOTATED_VCF, readings.consequence),
    Step("annotation", ("annotate",), layout.VARIANTS_TSV, readings.tier),
    Step("report", ("sample_report",), layout.REPORT_HTML, readings.report_status),
)


@dataclass(frozen=True)
class RanJob:
    """A job of the run as Snakemake announced it (the logger plugin's ``job_info``)."""

    rule: str
    wildcards: dict[str, str]
    command: str


def ran_jobs(outdir: Path) -> list[RanJob]:
    """Every job the real runs in ``outdir`` announced, oldest run first (dry runs left out)."""
    jobs: list[RanJob] = []
    logs = sorted((outdir / "logs").glob(f"labpipe-run-*{EVENTS_SUFFIX}"))
    for path in logs:
        if "-dryrun" in path.name:
            continue
        for line in path.read_text(errors="replace").splitlines():
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


def narrate(
    outdir: Path,
    echo: Echo,
    pause: bool = False,
    wait: Callable[[], bool] = wait_for_enter,
    sample: str | None = None,
) -> None:
    """Tell a finished run in ``outdir`` step by step, for ``sample`` (default: the first).

    Args:
        pause: Wait (``wait``) before each step after the first.
        wait: Returns False when it could not wait (input not a terminal).
    """
    from labpipe.qc.metrics import read_qc_table

    if sample is None:
        sample = read_qc_table(outdir / layout.QC_SUMMARY)[0].sample
    focus = Focus(
        sample,
        readings.first_unit(outdir, sample),
        readings.most_important_variant(outdir, sample),
    )
    jobs = ran_jobs(outdir)
    echo(_(narration.INTRO).format(steps=len(STEPS), sample=sample, outdir=outdir))
    for number, step in enumerate(STEPS, start=1):
        if pause and number > 1 and not wait():
            echo(_(narration.NOT_A_TERMINAL))
            pause = False
        echo("")
        echo(step_text(step, number, outdir, focus, jobs))
    echo("")
    echo(
        _(narration.OUTRO).format(
            index=outdir / layout.REPORT_INDEX, multiqc=outdir / layout.MULTIQC_HTML
        )
    )


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
    output = layout.in_outdir(outdir, step.output, sample=focus.sample, unit=focus.unit)
    lines.append("  " + _(narration.OUTPUT_LABEL) + f" {output}")
    try:
        reading = text.reading.format(**step.read(outdir, focus))
    except (LabpipeError, OSError, KeyError, ValueError) as exc:
        why = exc.render() if isinstance(exc, LabpipeError) else str(exc)
        reading = _(narration.NUMBER_MISSING).format(path=output, why=why)
    lines.append("  " + _(narration.NUMBER_LABEL) + f" {reading}")
    return "\n".join(lines)
