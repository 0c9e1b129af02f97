"""Why a run failed, in words: each failed step, its sample, its log's telling lines, and
what a cluster's verdict on its job means."""

from __future__ import annotations

import re
from pathlib import Path

from labpipe.core.errors import RunError
from labpipe.run.progress import Job, RunOutcome

_ERROR_LINE = re.compile(r"\[E::|error|failed|cannot|can't|no such file|truncated", re.IGNORECASE)


def failure_message(outcome: RunOutcome, outdir: Path) -> RunError:
    """A RunError naming each failed step, its sample and the log to read."""
    space = outcome.out_of_space
    if not outcome.failed:
        return RunError(
            f"the workflow stopped (exit {outcome.returncode}); full log: {outcome.log_path}",
            [*space, *(line for line in outcome.tail[-15:] if line.strip())],
        )
    problems = []
    for job in outcome.failed:
        where = ", ".join(f"{k} {v}" for k, v in job.wildcards.items()) or "the whole run"
        detail = f"step '{job.rule}' failed for {where}"
        fastqs = [i for i in job.inputs if re.search(r"\.(fastq|fq)(\.gz)?$", i)]
        if fastqs:
            detail += f" reading {' and '.join(fastqs)}"
        if job.cluster_jobid or "SLURM" in job.message:
            detail += f" ({_cluster_verdict(job)})"
        logs = [outdir / log for log in job.logs]
        if logs:
            detail += f"; read {' and '.join(map(str, logs))}"
        for log in logs:
            last = _telling_lines(log)
            if last:
                detail += "\n      " + "\n      ".join(last)
        problems.append(detail)
    return RunError(f"the run failed; full log: {outcome.log_path}", [*space, *problems])


_SLURM_STATE = re.compile(r"SLURM status is: '(?P<state>\w+)'")
# What SLURM's job states mean to someone reading why a step failed.
_SLURM_MEANING = {
    "CANCELLED": "cancelled (scancel, or by an administrator)",
    "OUT_OF_MEMORY": "killed by SLURM for using more memory than asked for; "
    "raise cluster.steps.<step>.mem_mb",
    "TIMEOUT": "killed by SLURM at its time limit; raise cluster.steps.<step>.runtime",
    "NODE_FAIL": "its node failed",
    "PREEMPTED": "preempted by another job",
    "FAILED": "the command in it failed",
}


def _cluster_verdict(job: Job) -> str:
    """'SLURM job 12 was cancelled (scancel, …)' from the plugin's message."""
    state = m["state"] if (m := _SLURM_STATE.search(job.message)) else ""
    meaning = _SLURM_MEANING.get(state, f"ended {state}" if state else "failed")
    if job.rule and "<step>" in meaning:
        meaning = meaning.replace("<step>", job.rule)
    name = f"SLURM job {job.cluster_jobid}" if job.cluster_jobid else "its SLURM job"
    return f"{name}: {meaning}"


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
