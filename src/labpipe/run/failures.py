"""Why a run failed, in words: each failed step, its sample, its log's telling lines, and
what a cluster's verdict on its job means (for a job SLURM killed for memory or time:
what it had and the ``cluster.steps`` setting to raise)."""

from __future__ import annotations

import math
import re
from pathlib import Path

from labpipe.core.errors import RunError
from labpipe.core.i18n import N_, _
from labpipe.run.cluster import SMALL_MEM_MB
from labpipe.run.progress import Job, RunOutcome

_ERROR_LINE = re.compile(r"\[E::|error|failed|cannot|can't|no such file|truncated", re.IGNORECASE)


def failure_message(outcome: RunOutcome, outdir: Path) -> RunError:
    """A RunError naming each failed step, its sample and the log to read."""
    space = outcome.out_of_space
    if not outcome.failed:
        return RunError(
            _("the workflow stopped (exit %(code)s); full log: %(log)s")
            % {"code": outcome.returncode, "log": outcome.log_path},
            [*space, *(line for line in outcome.tail[-15:] if line.strip())],
        )
    problems = []
    for job in outcome.failed:
        where = ", ".join(f"{k} {v}" for k, v in job.wildcards.items()) or _("the whole run")
        detail = _("step '%(rule)s' failed for %(where)s") % {"rule": job.rule, "where": where}
        fastqs = [i for i in job.inputs if re.search(r"\.(fastq|fq)(\.gz)?$", i)]
        if fastqs:
            detail += " " + _("reading %(files)s") % {"files": _(" and ").join(fastqs)}
        if job.cluster_jobid or "SLURM" in job.message:
            detail += f" ({_cluster_verdict(job, outdir)})"
        logs = [outdir / log for log in job.logs]
        if job.cluster_log and outdir / job.cluster_log not in logs:
            logs.append(outdir / job.cluster_log)
        if logs:
            detail += "; " + _("read %(logs)s") % {"logs": _(" and ").join(map(str, logs))}
        for log in logs:
            last = _telling_lines(log)
            if last:
                detail += "\n      " + "\n      ".join(last)
        problems.append(detail)
    return RunError(
        _("the run failed; full log: %(log)s") % {"log": outcome.log_path}, [*space, *problems]
    )


_SLURM_STATE = re.compile(r"SLURM status is: '(?P<state>\w+)'")
# What SLURM's job states mean to someone reading why a step failed.
_SLURM_MEANING = {
    "CANCELLED": N_("cancelled (scancel, or by an administrator)"),
    "NODE_FAIL": N_("its node failed"),
    "PREEMPTED": N_("preempted by another job"),
    "FAILED": N_("the command in it failed"),
}
# What slurmstepd writes into a job's log when SLURM kills it. A memory kill is told by
# the log, not the state: where memory is enforced by polling (JobAcctGatherParams=
# OverMemoryKill, no cgroups) the job ends FAILED, and only cgroups give OUT_OF_MEMORY.
_MEMORY_KILLED = re.compile(
    r"exceeded (?:job |step )?memory limit|oom[-_ ]kill event|OOM Killed", re.IGNORECASE
)
# "StepId=12.batch exceeded memory limit (420601856 > 104857600), being killed": bytes.
_MEMORY_FIGURES = re.compile(r"exceeded memory limit \((?P<used>\d+) > (?P<limit>\d+)\)")
_TIME_KILLED = re.compile(r"CANCELLED AT \S+ DUE TO TIME LIMIT")
_CANCELLED = re.compile(r"\*\*\* JOB \S+ ON \S+ CANCELLED AT \S+ \*\*\*")
_MIB = 1024 * 1024


def _cluster_verdict(job: Job, outdir: Path) -> str:
    """'SLURM job 12: cancelled (scancel, …)': the state the plugin saw, read with the
    job's own log, and for a memory or time kill the setting to raise."""
    state = m["state"] if (m := _SLURM_STATE.search(job.message)) else ""
    log = _read(outdir / job.cluster_log) if job.cluster_log else ""
    if job.cluster_jobid:
        name = _("SLURM job %(id)s") % {"id": job.cluster_jobid}
    else:
        name = _("its SLURM job")
    if job.group:
        name += ", " + _("the '%(group)s' group of steps") % {"group": job.group}
    if state == "OUT_OF_MEMORY" or _MEMORY_KILLED.search(log):
        return f"{name}: {_memory_advice(job, log)}"
    if state == "TIMEOUT" or _TIME_KILLED.search(log):
        return f"{name}: {_time_advice(job)}"
    if not state and _CANCELLED.search(log):
        state = "CANCELLED"
    if state in _SLURM_MEANING:
        meaning = _(_SLURM_MEANING[state])
    else:
        meaning = _("ended %(state)s") % {"state": state} if state else _("failed")
    return f"{name}: {meaning}"


def _memory_advice(job: Job, log: str) -> str:
    """How much memory the job used and had, and what to set instead."""
    figures = _MEMORY_FIGURES.search(log)
    if figures:
        used, limit = int(figures["used"]) / _MIB, int(figures["limit"]) / _MIB
        had = " (" + _("%(used)s MB in use when killed; it had %(limit)s MB") % {
            "used": f"{used:,.0f}",
            "limit": f"{limit:,.0f}",
        }
        had += ")"
    else:
        limit = job.resources.get("mem_mb", 0) if not job.group else 0
        used = limit
        had = " (" + _("it had %(limit)s MB") % {"limit": f"{limit:,}"} + ")" if limit else ""
    advice = _(
        "killed by SLURM for using more memory than it asked for%(had)s;"
        " raise cluster.steps.%(rule)s.mem_mb in the config"
    ) % {"had": had, "rule": job.rule}
    if limit and not job.group:  # a group job's limit is its steps' together, not this one's
        # Twice the limit, or more if the step was caught well past it, and never below
        # what labpipe gives its smallest steps: the job also holds the Snakemake that
        # runs the step (measured: 120-150 MB). A rerun killed again costs more than a
        # generous request.
        wanted = max(2 * limit, 1.5 * used, SMALL_MEM_MB)
        advice += ", " + _("e.g. to %(value)s") % {"value": f"{_round_up(wanted, 100):,}"}
    return advice


def _time_advice(job: Job) -> str:
    """The time limit the job had, and what to set instead."""
    minutes = job.resources.get("runtime", 0) if not job.group else 0
    had = " (" + _("%(minutes)s min") % {"minutes": minutes} + ")" if minutes else ""
    advice = _(
        "killed by SLURM at its time limit%(had)s;"
        " raise cluster.steps.%(rule)s.runtime (minutes) in the config"
    ) % {"had": had, "rule": job.rule}
    if minutes:
        advice += ", " + _("e.g. to %(value)s") % {"value": 2 * minutes}
    return advice


def _round_up(value: float, step: int) -> int:
    return step * math.ceil(value / step)


def _read(path: Path) -> str:
    try:
        return path.read_text(errors="replace")
    except OSError:
        return ""


def _telling_lines(path: Path, count: int = 6) -> list[str]:
    """The lines of a log that explain a failure: its first errors, then its end.

    Tools often print the cause once and then a cascade of follow-on complaints,
    so the end of a log alone can hide what went wrong.
    """
    try:
        lines = [line for line in path.read_text(errors="replace").splitlines() if line.strip()]
    except OSError:
        return []
    errors = [line for line in lines if _ERROR_LINE.search(line)][:3]
    picked: list[str] = []
    for line in [*errors, *lines[-(count - len(errors)) :]]:
        if line not in picked:
            picked.append(line)
    return picked
