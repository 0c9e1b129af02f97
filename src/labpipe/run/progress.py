"""What the terminal shows while the workflow runs: steps done, how long each took, what is
still running.

:class:`ProgressParser` reads the events labpipe's Snakemake logger plugin writes
(:mod:`labpipe.run.progress_plugin`); :mod:`labpipe.run.runner` feeds it and keeps the
process, and :mod:`labpipe.run.failures` turns the failed steps it collected into a message.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from labpipe.core.i18n import _

Echo = Callable[[str], None]

# The SLURM plugin's message for each job it submits (a group job has a UUID, not a number):
# a plain message, the one thing the logger plugin's events do not carry as a field.
_SUBMITTED = re.compile(
    r"^Job (?P<jobid>\S+) has been submitted with SLURM jobid (?P<slurm>\d+)"
    r" \(log: (?P<log>.+)\)\.$"
)
# Every minute, the steps that have run for at least half a minute say they are alive.
HEARTBEAT_SECONDS = 60.0
HEARTBEAT_MIN_AGE = 30.0
_HEARTBEAT_SHOWN = 3
# Jobs that do no work of their own: counted by Snakemake, never shown as a step.
_HIDDEN_RULES = frozenset({"all"})
# Snakemake adds notes to the files it lists ("… (check log file(s) for error details)").
_FILE_NOTE = re.compile(r" \(.*\)$")


@dataclass
class Job:
    """A workflow step as Snakemake announced it."""

    rule: str
    jobid: str = ""
    wildcards: dict[str, str] = field(default_factory=dict)
    logs: list[str] = field(default_factory=list)
    inputs: list[str] = field(default_factory=list)
    # Snakemake's own message about the failure (e.g. SLURM's verdict on the job).
    message: str = ""
    # The cluster's id for the job that ran this step, if it ran on a cluster.
    cluster_jobid: str = ""
    # That job's own log: the scheduler writes there why it killed the job.
    cluster_log: str = ""
    # The group job the step ran in with other steps ("calling"), if any.
    group: str = ""
    # What the step asked for (mem_mb, runtime in minutes, …), as Snakemake planned it.
    resources: dict[str, int] = field(default_factory=dict)

    def label(self) -> str:
        """'bwa_mem PK001 L001' — the step and what it works on."""
        keys = ("family", "sample", "unit")
        parts = [self.wildcards[k] for k in keys if k in self.wildcards]
        return " ".join([self.rule, *parts])


@dataclass
class RunOutcome:
    """How a workflow run ended."""

    returncode: int
    failed: list[Job]
    log_path: Path
    tail: list[str]
    planned: int = 0
    # Why the run was probably out of disk space (labpipe.inputs.disk), or nothing.
    out_of_space: list[str] = field(default_factory=list)

    def logs_of_failed(self, outdir: Path) -> list[Path]:
        """The log files of the failed steps."""
        return [outdir / log for job in self.failed for log in job.logs]


class ProgressParser:
    """Turns the run's events (:mod:`labpipe.run.progress_plugin`) into progress and failures.

    Each finished step is shown with how long it took, and :meth:`heartbeat`
    (called by a timer while the run lasts) shows the steps that have been
    running for a while, so a step of many minutes does not look like a hang.
    """

    def __init__(self, echo: Echo, clock: Callable[[], float] = time.monotonic) -> None:
        self.echo = echo
        self.clock = clock
        self.jobs: dict[str, Job] = {}
        # Steps announced and not finished: Snakemake's jobid → when it was announced.
        self.running: dict[str, float] = {}
        # The steps of the group job announced last (their SLURM id comes after them).
        self._group: list[Job] = []
        self._group_id = ""
        self.failed: list[Job] = []
        self.done = 0
        self.total = 0
        self._hidden_total = 0
        self._hidden_done = 0
        # Steps finished since the last progress count, with how long each took: a group
        # job (several steps as one cluster job) reports all its steps, then one count.
        self._pending: list[tuple[Job | None, float | None]] = []
        # Steps Snakemake plans to run, hidden jobs left out.
        self.planned = 0

    def feed(self, event: Mapping[str, Any]) -> None:
        """Consume one event (a JSON line of the logger plugin, decoded)."""
        kind = event.get("event")
        if kind == "run_info":
            self._count_jobs(event.get("stats") or {})
        elif kind == "group_info":
            self._group = []
            self._group_id = str(event.get("group_id") or "")
        elif kind == "job_info":
            self._announced(event)
        elif kind == "job_error":
            self._failed(event)
        elif kind == "job_finished":
            jobid = str(event.get("job_id"))
            started = self.running.pop(jobid, None)
            took = None if started is None else self.clock() - started
            self._pending.append((self.jobs.get(jobid), took))
        elif kind == "progress":
            self._progress(int(event["done"]), int(event["total"]))
        elif kind is None and (m := _SUBMITTED.match(str(event.get("msg", "")))):
            # Numbered jobs are known by jobid; a group job's UUID means the steps just read.
            known = self.jobs.get(m["jobid"])
            for submitted in [known] if known else self._group:
                submitted.cluster_jobid = m["slurm"]
                submitted.cluster_log = m["log"]

    def _announced(self, event: Mapping[str, Any]) -> None:
        job = _job_of(event)
        if event.get("indent"):
            job.group = self._group_id
            self._group.append(job)
        else:
            self._group = [job]
        self.jobs[job.jobid] = job
        self.running[job.jobid] = self.clock()

    def _failed(self, event: Mapping[str, Any]) -> None:
        job = _job_of(event)
        job.message = str(event.get("rule_msg") or "").strip()
        self.running.pop(job.jobid, None)
        known = self.jobs.get(job.jobid)
        if known:
            job.wildcards = job.wildcards or dict(known.wildcards)
            job.logs = job.logs or known.logs
            job.inputs = job.inputs or known.inputs
            job.cluster_jobid = known.cluster_jobid
            job.cluster_log = known.cluster_log
            job.group = known.group
            job.resources = known.resources
        self.failed.append(job)

    def _progress(self, done: int, total: int) -> None:
        finished, self._pending = self._pending or [(None, None)], []
        shown = [
            (job, took) for job, took in finished if job is None or job.rule not in _HIDDEN_RULES
        ]
        self._hidden_done += len(finished) - len(shown)
        # Steps the user sees: Snakemake's counts without the hidden jobs, so
        # that a finished run ends at [N/N] (also a resumed one).
        self.done = done - self._hidden_done
        self.total = total - self._hidden_total
        width = len(str(self.total))
        done_word = _("done")
        for n, (job, took) in enumerate(shown, start=self.done - len(shown) + 1):
            label = job.label() if job else _("a step")
            duration = "" if took is None else f" ({format_duration(took)})"
            self.echo(f"[{n:>{width}}/{self.total}] {done_word}  {label}{duration}")

    def heartbeat(self, min_seconds: float = HEARTBEAT_MIN_AGE) -> None:
        """Show the steps running for at least ``min_seconds``: the longest few, then a count.

        On a cluster a step's time includes its wait in the queue; its job id is shown.
        """
        now = self.clock()
        long = sorted(
            ((now - started, jobid) for jobid, started in list(self.running.items())),
            reverse=True,
        )
        long = [(age, jobid) for age, jobid in long if age >= min_seconds and jobid in self.jobs]
        shown = [job for _, job in long if self.jobs[job].rule not in _HIDDEN_RULES]
        for jobid in shown[:_HEARTBEAT_SHOWN]:
            job = self.jobs[jobid]
            where = f" [SLURM job {job.cluster_jobid}]" if job.cluster_jobid else ""
            age = format_duration(now - self.running.get(jobid, now), coarse=True)
            self.echo("… " + _("running %(age)s:") % {"age": age} + f" {job.label()}{where}")
        if len(shown) > _HEARTBEAT_SHOWN:
            more = len(shown) - _HEARTBEAT_SHOWN
            self.echo("… " + _("and %(count)s more step(s) running") % {"count": more})

    def _count_jobs(self, stats: Mapping[str, Any]) -> None:
        """Snakemake's job counts by rule (its 'Job stats'): how many steps it plans."""
        counts = {str(rule): int(n) for rule, n in stats.items()}
        self._hidden_total = sum(n for rule, n in counts.items() if rule in _HIDDEN_RULES)
        self.planned = counts.get("total", 0) - self._hidden_total


def _job_of(event: Mapping[str, Any]) -> Job:
    """The step an announcement or a failure names."""

    def files(key: str) -> list[str]:
        return [_FILE_NOTE.sub("", str(f)).strip() for f in event.get(key) or [] if str(f).strip()]

    return Job(
        str(event.get("rule_name", "")),
        jobid=str(event.get("jobid", "")),
        wildcards={str(k): str(v) for k, v in (event.get("wildcards") or {}).items()},
        logs=files("log"),
        inputs=files("input"),
        resources={
            str(k): v for k, v in (event.get("resources") or {}).items() if isinstance(v, int)
        },
    )


def format_duration(seconds: float, coarse: bool = False) -> str:
    """'45s', '2m14s', '1h03m'; ``coarse`` drops the seconds after the first minute ('3m')."""
    total = round(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m"
    if minutes:
        return f"{minutes}m" if coarse else f"{minutes}m{secs:02d}s"
    return f"{secs}s"
