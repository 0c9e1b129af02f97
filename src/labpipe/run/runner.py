"""Run the Snakemake workflow for a lab config, with readable progress.

Snakemake runs as a child process; its log is kept in full under ``logs/`` of
the output directory, while the terminal gets one line per finished step and,
on failure, the step, the sample and the log file to read.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from labpipe.core import layout
from labpipe.core.atomic import remove_partials, write_text_atomic
from labpipe.core.errors import RunError
from labpipe.core.resources import snakefile
from labpipe.inputs.disk import out_of_space_problems

Echo = Callable[[str], None]
_PR_SET_PDEATHSIG = 1
_STOP_SECONDS = 60.0
_EVENTS_DRAIN_SECONDS = 10.0
#: Snakemake's ``--logger`` name of labpipe's plugin (labpipe.run.progress_plugin), and the
#: variable naming the file descriptor it writes the run's events to.
PLUGIN_NAME = "labpipe"
EVENTS_FD = "LABPIPE_EVENTS_FD"

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
_ERROR_LINE = re.compile(r"\[E::|error|failed|cannot|can't|no such file|truncated", re.IGNORECASE)
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

    def label(self) -> str:
        """'bwa_mem PK001 L001' — the step and what it works on."""
        parts = [self.wildcards[k] for k in ("sample", "unit") if k in self.wildcards]
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

    def _announced(self, event: Mapping[str, Any]) -> None:
        job = _job_of(event)
        if event.get("indent"):
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
        for n, (job, took) in enumerate(shown, start=self.done - len(shown) + 1):
            label = job.label() if job else "a step"
            duration = "" if took is None else f" ({format_duration(took)})"
            self.echo(f"[{n:>{width}}/{self.total}] done  {label}{duration}")

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
            self.echo(f"… running {age}: {job.label()}{where}")
        if len(shown) > _HEARTBEAT_SHOWN:
            self.echo(f"… and {len(shown) - _HEARTBEAT_SHOWN} more step(s) running")

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


def run_workflow(
    config_path: Path,
    outdir: Path,
    cores: int,
    dry_run: bool = False,
    use_conda: bool = False,
    echo: Echo = print,
    executor_args: Sequence[str] = (),
) -> RunOutcome:
    """Run (or dry-run) the workflow into ``outdir``.

    ``executor_args`` are Snakemake's options for running steps elsewhere
    (:func:`labpipe.run.cluster.executor_arguments`); none runs them here.

    Raises:
        RunError: If another run holds the output directory.
    """
    outdir.mkdir(parents=True, exist_ok=True)
    state_dir = outdir / layout.STATE_DIR
    state_dir.mkdir(exist_ok=True)
    with _exclusive(state_dir / "lock", outdir) as lock_fd:
        if not dry_run:
            _write_state(outdir / layout.RUN_STATE, cores)
        log_dir = outdir / "logs"
        log_dir.mkdir(exist_ok=True)
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        log_path = log_dir / f"labpipe-run-{stamp}{'-dryrun' if dry_run else ''}.log"
        command = [
            *snakemake_command(config_path, outdir, cores, dry_run, use_conda),
            *executor_args,
        ]
        if not dry_run:
            remove_partials(outdir / layout.RESULTS)  # left by a killed run
        outcome = _stream(command, log_path, echo, dry_run, lock_fd)
        if outcome.returncode != 0 and not dry_run:
            # Before the step's .partial files are removed: they may be what filled the disk.
            logs = [log_path, *outcome.logs_of_failed(outdir)]
            outcome.out_of_space = out_of_space_problems(outdir, logs)
            remove_partials(outdir / layout.RESULTS)
    if dry_run and outcome.returncode == 0:
        echo(dry_run_line(outcome.planned))
    return outcome


def dry_run_line(planned: int) -> str:
    """What a dry run ends with, counting steps as a real run's progress does."""
    if not planned:
        return "labpipe: dry run: nothing to run, every result is up to date"
    return f"labpipe: dry run: {planned} step(s) would run"


def snakemake_command(
    config_path: Path, outdir: Path, cores: int, dry_run: bool, use_conda: bool
) -> list[str]:
    """The Snakemake command line labpipe runs."""
    command = [
        sys.executable,
        "-m",
        # Snakemake itself, minus its wait for idle timers at exit (see the module).
        "labpipe.run.snakemake_main",
        "--snakefile",
        str(snakefile()),
        "--directory",
        str(outdir.resolve()),
        "--cores",
        str(cores),
        "--config",
        f"labpipe_config={config_path.resolve()}",
        f"labpipe_outdir={outdir.resolve()}",
        # labpipe holds its own lock (released by the kernel even after kill -9),
        # so Snakemake's, which a killed run leaves behind, is not needed.
        "--nolock",
        "--rerun-incomplete",
        # One sample's bad input must not stop the others.
        "--keep-going",
        "--printshellcmds",
        # Strictly by rule priority (see the Snakefile): the default ILP scheduler
        # maximises the summed priority of what it starts, so two small jobs win
        # over alignment, and it starts a solver process at every decision.
        "--scheduler",
        "greedy",
        # Progress and failures come from the logger plugin's events, not from the text log.
        "--logger",
        PLUGIN_NAME,
    ]
    if dry_run:
        command += ["--dry-run", "--quiet", "rules"]
    if use_conda:
        command += ["--software-deployment-method", "conda"]
    return command


def _die_with_parent() -> None:
    """In the child: get SIGTERM when labpipe dies, even by kill -9 (Linux only); heed SIGINT.

    Snakemake then stops its jobs and exits, instead of running on unseen and
    racing the next `labpipe run` on the same output directory.
    """
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except OSError:
        pass
    # labpipe stops Snakemake with SIGINT (_stop_workflow). A run started in the background
    # by a script (`labpipe run … &`, nohup) has SIGINT ignored, and an ignored signal is
    # inherited: Snakemake would finish the whole run after labpipe said "interrupted".
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _stream(
    command: list[str], log_path: Path, echo: Echo, dry_run: bool, lock_fd: int
) -> RunOutcome:
    env = dict(os.environ)
    # Tools installed in labpipe's own environment (multiqc, labpipe) must be found.
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    parser = ProgressParser(echo)
    tail: list[str] = []
    # The logger plugin's events come through a pipe of their own (labpipe.run.progress_plugin).
    events_in, events_out = os.pipe()
    env[EVENTS_FD] = str(events_out)
    log = open(log_path, "w")  # noqa: SIM115 - closed below, where a full disk is no error
    with contextlib.ExitStack() as stack:
        stack.callback(_close_quietly, log)
        stack.callback(os.close, events_in)
        try:
            process = subprocess.Popen(
                command,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                env=env,
                bufsize=1,
                # The child keeps the run lock while it lives, so an orphaned
                # Snakemake still blocks a second run on the same directory.
                pass_fds=(lock_fd, events_out),
                preexec_fn=_die_with_parent,
                # Its own process group, jobs included: an interrupt is passed on to
                # all of them at once (see _stop_workflow), also when it did not come
                # from a terminal; and nothing waits on the terminal's input.
                start_new_session=True,
                stdin=subprocess.DEVNULL,
            )
        finally:
            os.close(events_out)  # the child's copy is the only writer left
        assert process.stdout is not None
        events = threading.Thread(
            target=_read_events, args=(events_in, parser), name="labpipe-events", daemon=True
        )
        events.start()
        with _raise_on_sigterm(), _heartbeat(parser, enabled=not dry_run):
            try:
                for line in _lines(process.stdout):
                    _write_quietly(log, line)
                    tail = [*tail[-39:], line.rstrip("\n")]
                    if dry_run:
                        echo(line.rstrip("\n"))
            except KeyboardInterrupt as stop:
                signum = stop.signum if isinstance(stop, RunInterrupted) else signal.SIGINT
                _stop_workflow(process, log)
                raise RunInterrupted(signum) from None
        returncode = process.wait()
        # The pipe ends with Snakemake; a job that kept a copy open must not hold labpipe.
        events.join(timeout=_EVENTS_DRAIN_SECONDS)
    return RunOutcome(returncode, parser.failed, log_path, tail, parser.planned)


def _read_events(fd: int, parser: ProgressParser) -> None:
    """Feed the logger plugin's events to ``parser`` until Snakemake closes the pipe."""
    with os.fdopen(fd, closefd=False, errors="replace") as stream:
        for line in stream:
            try:
                event = json.loads(line)
            except ValueError:
                continue
            if isinstance(event, dict):
                parser.feed(event)


@contextmanager
def _heartbeat(parser: ProgressParser, enabled: bool) -> Iterator[None]:
    """While the run lasts, every HEARTBEAT_SECONDS show the steps still running."""
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(HEARTBEAT_SECONDS):
            parser.heartbeat()

    thread = threading.Thread(target=beat, name="labpipe-heartbeat", daemon=True)
    if enabled:
        thread.start()
    try:
        yield
    finally:
        stop.set()
        if enabled:
            thread.join()


class RunInterrupted(KeyboardInterrupt):
    """The run was stopped by SIGINT (Ctrl-C) or SIGTERM; its jobs are stopped too.

    Attributes:
        signum: The signal.
        exit_code: 128 + the signal's number, as a shell reports a process it stopped.
    """

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum
        self.exit_code = 128 + signum


@contextmanager
def _raise_on_sigterm() -> Iterator[None]:
    """Turn SIGTERM into :class:`RunInterrupted`, as Python turns SIGINT into KeyboardInterrupt."""

    def interrupt(signum: int, _frame: object) -> None:
        raise RunInterrupted(signum)

    try:
        previous = signal.signal(signal.SIGTERM, interrupt)
    except ValueError:  # not the main thread: signals cannot be caught here
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _stop_workflow(process: subprocess.Popen[str], log: IO[str]) -> None:
    """Interrupt Snakemake and its jobs, keep its last words in the log, wait for it.

    Snakemake stops its jobs and marks their outputs incomplete, so the next run
    redoes them. If it has not stopped after a minute, or the user interrupts
    again, the whole group is killed; the next run redoes what was running then.
    """

    def kill(*_: object) -> None:
        _signal_group(process.pid, signal.SIGKILL)

    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    for sig in previous:
        signal.signal(sig, kill)
    deadline = threading.Timer(_STOP_SECONDS, kill)
    deadline.daemon = True
    deadline.start()
    try:
        _signal_group(process.pid, signal.SIGINT)
        assert process.stdout is not None
        for line in _lines(process.stdout):
            _write_quietly(log, line)
        process.wait()
    finally:
        deadline.cancel()
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _signal_group(pid: int, sig: int) -> None:
    with suppress(ProcessLookupError):
        os.killpg(pid, sig)


def _write_quietly(log: IO[str], line: str) -> None:
    # A full disk must not stop labpipe from following Snakemake: the run's
    # outcome (and the message naming the full disk) still comes from its output.
    with contextlib.suppress(OSError):
        log.write(line)
        log.flush()


def _close_quietly(log: IO[str]) -> None:
    with contextlib.suppress(OSError):
        log.close()


def _lines(stream: IO[str]) -> Iterator[str]:
    yield from iter(stream.readline, "")


def _orphaned(holder: str) -> str:
    """What to add when the labpipe that took the lock is gone but its workflow still runs.

    Snakemake runs in a session of its own (so Ctrl-C reaches it through labpipe), so when
    labpipe itself is killed its steps go on, holding the lock, until they finish.
    """
    match = re.match(r"pid (\d+)", holder)
    if match is None:
        return ""
    try:
        os.kill(int(match.group(1)), 0)
    except ProcessLookupError:
        return (
            ": that labpipe has ended, but the steps it started are still running (they"
            " finish on their own; `ps -ef | grep snakemake` shows them)"
        )
    except OSError:
        return ""
    return ""


@contextmanager
def _exclusive(lock_path: Path, outdir: Path) -> Iterator[int]:
    handle = open(lock_path, "a+")  # noqa: SIM115 - held open for the lock's lifetime
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        holder = handle.read().strip() or "another process"
        handle.close()
        raise RunError(
            f"another labpipe run is already using {outdir} ({holder}){_orphaned(holder)}; "
            "wait for it to finish, or choose another output directory"
        ) from None
    try:
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}, started {time.strftime('%Y-%m-%d %H:%M:%S')}\n")
        handle.flush()
        yield handle.fileno()
    finally:
        fcntl.flock(handle, fcntl.LOCK_UN)
        handle.close()


def _write_state(path: Path, cores: int) -> None:
    state: dict[str, Any] = {
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": " ".join(sys.argv),
        "cores": cores,
        "pid": os.getpid(),
    }
    write_text_atomic(path, json.dumps(state, indent=2) + "\n")


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
