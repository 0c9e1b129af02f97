"""labpipe.run.snakemake_main: Snakemake's command line, exiting without its idle timers."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
from pathlib import Path
from types import SimpleNamespace

import pytest

from labpipe.run.snakemake_main import exit_code, patch_reevaluation, patch_sigterm_handler

SNAKEFILE = """\
rule all:
    input: "b.txt"
rule a:
    output: "a.txt"
    shell: "echo a > {output}"
rule b:
    input: "a.txt"
    output: "b.txt"
    shell: "STEP_B"
"""


def run(tmp_path: Path, step_b: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "Snakefile").write_text(SNAKEFILE.replace("STEP_B", step_b))
    return subprocess.run(
        [sys.executable, "-m", "labpipe.run.snakemake_main", "--cores", "1"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_a_workflow_runs_and_its_logs_are_complete(tmp_path: Path) -> None:
    result = run(tmp_path, "cat {input} > {output}")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "b.txt").read_text() == "a\n"
    assert "3 of 3 steps (100%) done" in result.stderr
    # The exit handlers ran: Snakemake's own log file is flushed to its last line.
    log = next((tmp_path / ".snakemake" / "log").iterdir()).read_text()
    assert "3 of 3 steps (100%) done" in log


def test_a_failed_job_gives_snakemakes_failure_status(tmp_path: Path) -> None:
    result = run(tmp_path, "exit 3")
    assert result.returncode == 1
    assert "Error in rule b" in result.stderr
    assert not (tmp_path / "b.txt").exists()


@pytest.mark.parametrize(("status", "code"), [(None, 0), (0, 0), (1, 1), (2, 2), ("bad", 1)])
def test_exit_code_maps_like_python(status: object, code: int) -> None:
    assert exit_code(status) == code


def test_sigterm_handler_does_not_wait_for_the_scheduler_lock() -> None:
    """The signal is handled in the main thread, which may hold the lock at that moment."""
    assert patch_sigterm_handler()
    from snakemake.scheduling.job_scheduler import JobScheduler

    scheduler = SimpleNamespace(
        _lock=threading.Lock(), _open_jobs=threading.Semaphore(0), _user_kill=None
    )
    with scheduler._lock:
        JobScheduler.exit_gracefully(scheduler)  # type: ignore[arg-type]
    assert scheduler._user_kill == "graceful"
    assert scheduler._open_jobs.acquire(timeout=10)


def test_reevaluation_timers_do_not_pile_up() -> None:
    """Each scheduling round asked for a timer; they piled up, one more per finished job,
    each waking the scheduler every second (benchmarks/batch.py)."""
    assert patch_reevaluation()
    from snakemake.scheduling.job_scheduler import JobScheduler

    scheduler = SimpleNamespace(_open_jobs=threading.Semaphore(0))
    for _ in range(50):
        JobScheduler._schedule_reevalutation(scheduler, 0.2)  # type: ignore[arg-type]
    assert scheduler._open_jobs.acquire(timeout=10)
    # One wake-up, not 50: nothing else is released.
    assert not scheduler._open_jobs.acquire(timeout=0.5)
    # Once it has fired, the next round gets its own timer.
    JobScheduler._schedule_reevalutation(scheduler, 0.1)  # type: ignore[arg-type]
    assert scheduler._open_jobs.acquire(timeout=10)


def test_sigterm_finishes_the_running_job_and_stops(tmp_path: Path) -> None:
    (tmp_path / "Snakefile").write_text(
        SNAKEFILE.replace('"echo a > {output}"', '"sleep 2; echo a > {output}"').replace(
            "STEP_B", "cat {input} > {output}"
        )
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "labpipe.run.snakemake_main", "--cores", "1"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    for line in process.stdout:
        if line.startswith("rule a:") or line.startswith("localrule a:"):
            break
    process.send_signal(signal.SIGTERM)
    rest = process.stdout.read()
    assert process.wait(timeout=60) == 1
    assert "Will exit after finishing currently running jobs" in rest
    assert (tmp_path / "a.txt").read_text() == "a\n"
    assert not (tmp_path / "b.txt").exists()
