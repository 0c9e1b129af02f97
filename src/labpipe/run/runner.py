"""Run the Snakemake workflow for a lab config, with readable progress.

Snakemake runs as a child process; its log is kept in full under ``logs/`` of
the output directory, while the terminal gets one line per finished step
(:mod:`labpipe.run.progress`) and, on failure, the step, the sample and the log file to
read (:mod:`labpipe.run.failures`). Over 400 lines because starting the child, streaming its
events, stopping it on a signal and holding the output folder's lock are one process lifecycle,
read best together.
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
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from labpipe.core import layout
from labpipe.core.atomic import remove_partials, write_text_atomic
from labpipe.core.errors import RunError
from labpipe.core.resources import snakefile
from labpipe.inputs.disk import out_of_space_problems
from labpipe.run.progress import HEARTBEAT_SECONDS, Echo, ProgressParser, RunOutcome

_PR_SET_PDEATHSIG = 1
_STOP_SECONDS = 60.0
_EVENTS_DRAIN_SECONDS = 10.0
_REPEAT_INTERRUPT_SECONDS = 1.0
#: What Snakemake logs once an interrupt has reached its scheduler.
SNAKEMAKE_STOPPING = "Terminating processes on user request"
#: Snakemake's ``--logger`` name of labpipe's plugin (labpipe.run.progress_plugin), and the
#: variable naming the file descriptor it writes the run's events to.
PLUGIN_NAME = "labpipe"
EVENTS_FD = "LABPIPE_EVENTS_FD"
#: Beside each run's text log, the plugin's events as they came (one JSON object a line):
#: each step's rule, wildcards and exact shell command (`labpipe demo --explain` reads them).
EVENTS_SUFFIX = ".events.jsonl"


def events_log(log_path: Path) -> Path:
    """The events file kept beside the text log ``log_path`` of a run."""
    return log_path.with_suffix(EVENTS_SUFFIX)


def run_workflow(
    config_path: Path,
    outdir: Path,
    cores: int,
    dry_run: bool = False,
    use_conda: bool = False,
    echo: Echo = print,
    executor_args: Sequence[str] = (),
    targets: Sequence[str] = (),
) -> RunOutcome:
    """Run (or dry-run) the workflow into ``outdir``.

    ``executor_args`` are further Snakemake options, e.g. for running steps elsewhere
    (:func:`labpipe.run.cluster.executor_arguments`); none runs them here. ``targets``
    (paths inside ``outdir``) run only the steps that make them; none runs ``rule all``.

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
        log_path = _new_log(log_dir, dry_run)
        command = [
            *snakemake_command(config_path, outdir, cores, dry_run, use_conda),
            *executor_args,
            *targets,
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


def _new_log(log_dir: Path, dry_run: bool) -> Path:
    """A run's text log, named by its start; runs started within one second (the stages
    of `labpipe demo --explain`) are numbered, so that none overwrites another's and they
    sort in the order they ran."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    kind = "-dryrun" if dry_run else ""
    log_path = log_dir / f"labpipe-run-{stamp}{kind}.log"
    number = 1
    while log_path.exists():
        number += 1
        log_path = log_dir / f"labpipe-run-{stamp}_{number:02d}{kind}.log"
    return log_path


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
    record = open(events_log(log_path), "w")  # noqa: SIM115 - closed below, as the log
    with contextlib.ExitStack() as stack:
        stack.callback(_close_quietly, log)
        stack.callback(_close_quietly, record)
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
            target=_read_events,
            args=(events_in, parser, record),
            name="labpipe-events",
            daemon=True,
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
                raise RunInterrupted(signum, finished=process.returncode == 0) from None
        returncode = process.wait()
        # The pipe ends with Snakemake; a job that kept a copy open must not hold labpipe.
        events.join(timeout=_EVENTS_DRAIN_SECONDS)
    return RunOutcome(returncode, parser.failed, log_path, tail, parser.planned)


def _read_events(fd: int, parser: ProgressParser, record: IO[str]) -> None:
    """Feed the logger plugin's events to ``parser`` (and ``record``) until Snakemake closes
    the pipe."""
    with os.fdopen(fd, closefd=False, errors="replace") as stream:
        for line in stream:
            _write_quietly(record, line)
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
        finished: Snakemake had finished every step when the interrupt reached it.
    """

    def __init__(self, signum: int, finished: bool = False) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum
        self.exit_code = 128 + signum
        self.finished = finished


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
    redoes them. The interrupt is repeated every second until Snakemake says it
    is stopping, as it can drop one. If it has not stopped after a minute, or the user
    interrupts again, the whole group is killed; the next run redoes what was running then.
    """

    def kill(*_: object) -> None:
        _signal_group(process.pid, signal.SIGKILL)

    stopping = threading.Event()

    def repeat_until_heard() -> None:
        # Snakemake drops an interrupt that arrives while it writes a log line (its
        # console handler swallows KeyboardInterrupt) and then finishes the whole run.
        while not stopping.wait(_REPEAT_INTERRUPT_SECONDS) and process.poll() is None:
            with suppress(ProcessLookupError):
                os.kill(process.pid, signal.SIGINT)

    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    for sig in previous:
        signal.signal(sig, kill)
    deadline = threading.Timer(_STOP_SECONDS, kill)
    deadline.daemon = True
    deadline.start()
    repeater = threading.Thread(target=repeat_until_heard, name="labpipe-stop", daemon=True)
    try:
        _signal_group(process.pid, signal.SIGINT)
        repeater.start()
        assert process.stdout is not None
        for line in _lines(process.stdout):
            if SNAKEMAKE_STOPPING in line:
                stopping.set()
            _write_quietly(log, line)
        process.wait()
    finally:
        stopping.set()
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
