"""Snakemake's events (labpipe.run.progress_plugin) turned into progress lines and failures."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from labpipe.run import runner
from labpipe.run.failures import failure_message
from labpipe.run.progress import ProgressParser, RunOutcome, format_duration
from labpipe.run.runner import dry_run_line


def announced(
    rule: str, jobid: int, wildcards: dict[str, str] | None = None, **fields: Any
) -> dict[str, Any]:
    """The logger plugin's event for a job Snakemake starts (labpipe.run.progress_plugin)."""
    return {
        "event": "job_info",
        "rule_name": rule,
        "jobid": jobid,
        "wildcards": wildcards or {},
        "log": [],
        "input": [],
        **fields,
    }


def finished_event(jobid: int) -> dict[str, Any]:
    return {"event": "job_finished", "job_id": jobid}


def progress(done: int, total: int) -> dict[str, Any]:
    return {"event": "progress", "done": done, "total": total}


EVENTS: list[dict[str, Any]] = [
    announced(
        "align",
        7,
        {"sample": "PK001", "unit": "L001"},
        input=["/data/PK001_L001_R1.fastq.gz", "/data/PK001_L001_R2.fastq.gz"],
        log=["logs/fastp/PK001.L001.log", "logs/bwa_mem/PK001.L001.log"],
    ),
    finished_event(7),
    progress(3, 24),
    announced("markdup", 9, {"sample": "PK001"}, log=["logs/markdup/PK001.log"]),
    {
        "event": "job_error",
        "rule_name": "markdup",
        "rule_msg": None,
        "jobid": 9,
        "input": [],
        "log": ["logs/markdup/PK001.log (check log file(s) for error details)"],
    },
]


class FakeClock:
    """Seconds that pass only when the test says so."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_progress_and_failure_are_parsed() -> None:
    echoed: list[str] = []
    clock = FakeClock()
    parser = ProgressParser(echoed.append, clock)
    for event in EVENTS:
        if event["event"] == "job_finished":
            clock.now += 134
        parser.feed(event)
    assert echoed == ["[ 3/24] done  align PK001 L001 (2m14s)"]
    assert len(parser.failed) == 1
    failed = parser.failed[0]
    assert (failed.rule, failed.wildcards, failed.logs) == (
        "markdup",
        {"sample": "PK001"},
        ["logs/markdup/PK001.log"],
    )


def test_failure_message_names_step_sample_and_log(tmp_path: Path) -> None:
    log = tmp_path / "logs" / "markdup" / "PK001.log"
    log.parent.mkdir(parents=True)
    log.write_text("[markdup] error: truncated file\n")
    parser = ProgressParser(lambda _: None)
    for event in EVENTS:
        parser.feed(event)
    error = failure_message(RunOutcome(1, parser.failed, tmp_path / "run.log", []), tmp_path)
    text = error.render()
    assert f"step 'markdup' failed for sample PK001; read {log}" in text
    assert "[markdup] error: truncated file" in text
    assert error.exit_code == 1


def finished(
    rule: str, jobid: int, done: int, total: int, wildcards: dict[str, str] | None = None
) -> list[dict[str, Any]]:
    """The events of one job, from its start to its progress count."""
    return [announced(rule, jobid, wildcards), finished_event(jobid), progress(done, total)]


def test_progress_counts_only_the_steps_it_shows() -> None:
    """`rule all` is a job to Snakemake but no step to the user: it must not stop us at [2/3]."""
    events = [
        {"event": "run_info", "stats": {"markdup": 2, "all": 1, "total": 3}},
        *finished("markdup", 1, 1, 3, {"sample": "PK001"}),
        *finished("markdup", 2, 2, 3, {"sample": "PK002"}),
        *finished("all", 0, 3, 3),
    ]
    echoed: list[str] = []
    parser = ProgressParser(echoed.append)
    for event in events:
        parser.feed(event)
    assert echoed == ["[1/2] done  markdup PK001 (0s)", "[2/2] done  markdup PK002 (0s)"]
    assert (parser.done, parser.total, parser.planned) == (2, 2, 2)


def test_dry_run_line_counts_steps_like_a_run() -> None:
    assert dry_run_line(0) == "labpipe: dry run: nothing to run, every result is up to date"
    assert dry_run_line(43) == "labpipe: dry run: 43 step(s) would run"


def test_durations_read_as_a_person_would_say_them() -> None:
    assert [format_duration(s) for s in (0, 45.4, 134, 3599, 3780)] == [
        "0s",
        "45s",
        "2m14s",
        "59m59s",
        "1h03m",
    ]
    assert format_duration(200, coarse=True) == "3m"


def test_heartbeat_names_long_running_steps_and_counts_the_rest() -> None:
    """A step of minutes shows it is alive; short ones and finished ones stay quiet."""
    echoed: list[str] = []
    clock = FakeClock()
    parser = ProgressParser(echoed.append, clock)
    for n in range(1, 6):
        parser.feed(announced("align", n, {"sample": f"PK00{n}", "unit": "L001"}))
        clock.now += 10
    parser.heartbeat(min_seconds=60)
    assert echoed == []  # nothing has run a minute yet
    clock.now += 170  # PK001 started 220 s ago, PK005 180 s ago
    parser.feed(finished_event(2))
    parser.heartbeat(min_seconds=60)
    assert echoed == [
        "… running 3m: align PK001 L001",
        "… running 3m: align PK003 L001",
        "… running 3m: align PK004 L001",
        "… and 1 more step(s) running",
    ]


# A SLURM run's events: a group job's steps are indented and share one SLURM job, which
# the SLURM plugin names in a plain message; a job cancelled with scancel fails with the
# plugin's message.
SLURM_EVENTS: list[dict[str, Any]] = [
    {"event": "group_info", "group_id": "calling"},
    announced(
        "call_chunk",
        21,
        {"sample": "PK001", "chunk": "0"},
        log=["logs/call_chunk/PK001.0.log"],
        indent=True,
    ),
    {
        "event": None,
        "msg": "Job 88e1150e-b6d2-5f76-82c7-50a94783023f has been submitted with SLURM jobid 3"
        " (log: /out/.snakemake/slurm_logs/group_calling/3.log).",
    },
    announced(
        "align",
        7,
        {"sample": "PK002", "unit": "L1"},
        input=["/data/PK002_R1.fastq.gz", "/data/PK002_R2.fastq.gz"],
        log=["logs/fastp/PK002.L1.log", "logs/bwa_mem/PK002.L1.log"],
    ),
    {
        "event": None,
        "msg": "Job 7 has been submitted with SLURM jobid 12"
        " (log: /out/.snakemake/slurm_logs/rule_align/12.log).",
    },
    {
        "event": "job_error",
        "rule_name": "align",
        "rule_msg": "SLURM-job '12' failed, SLURM status is: 'CANCELLED'. Detailed failure"
        " reason unavailable (status command is not 'sacct').",
        "jobid": 7,
        "input": ["/data/PK002_R1.fastq.gz", "/data/PK002_R2.fastq.gz"],
        "log": ["logs/fastp/PK002.L1.log", "/out/.snakemake/slurm_logs/rule_align/12.log"],
    },
]


def test_slurm_jobs_are_named_and_a_cancelled_one_is_explained(tmp_path: Path) -> None:
    echoed: list[str] = []
    clock = FakeClock()
    parser = ProgressParser(echoed.append, clock)
    for event in SLURM_EVENTS:
        parser.feed(event)
    assert parser.jobs["21"].label() == "call_chunk PK001"
    assert parser.jobs["21"].cluster_jobid == "3"
    clock.now += 300
    parser.heartbeat(min_seconds=60)
    assert echoed == ["… running 5m: call_chunk PK001 [SLURM job 3]"]
    error = failure_message(RunOutcome(1, parser.failed, tmp_path / "run.log", []), tmp_path)
    text = error.render()
    assert (
        "step 'align' failed for sample PK002, unit L1 reading /data/PK002_R1.fastq.gz and "
        "/data/PK002_R2.fastq.gz (SLURM job 12: cancelled (scancel, or by an administrator))"
    ) in text
    assert "/out/.snakemake/slurm_logs/rule_align/12.log" in text


def test_a_group_jobs_steps_are_each_counted() -> None:
    """A cluster group job reports its finished steps together, then one count."""
    echoed: list[str] = []
    parser = ProgressParser(echoed.append, FakeClock())
    parser.feed({"event": "group_info", "group_id": "pairs"})
    for n, unit in ((5, "L001"), (6, "L002")):
        parser.feed(announced("check_pairs", n, {"sample": "PK001", "unit": unit}, indent=True))
    parser.feed(finished_event(5))
    parser.feed(finished_event(6))
    parser.feed(progress(9, 54))
    assert echoed == [
        "[ 8/54] done  check_pairs PK001 L001 (0s)",
        "[ 9/54] done  check_pairs PK001 L002 (0s)",
    ]


def test_heartbeat_timer_speaks_while_a_step_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    """The timer the run uses: a step started long ago is reported without any new output."""
    monkeypatch.setattr(runner, "HEARTBEAT_SECONDS", 0.05)
    echoed: list[str] = []
    parser = ProgressParser(echoed.append)
    parser.feed(announced("align", 3, {"sample": "PK001", "unit": "L001"}))
    parser.running["3"] -= 200  # started 200 s ago
    with runner._heartbeat(parser, enabled=True):
        deadline = time.monotonic() + 5
        while not echoed and time.monotonic() < deadline:
            time.sleep(0.01)
    assert echoed and echoed[0] == "… running 3m: align PK001 L001"
    count = len(echoed)
    time.sleep(0.15)
    assert len(echoed) == count  # stopped with the run


# A stand-in for Snakemake that drops the first interrupt, as Snakemake does when the
# signal arrives while its console handler writes a line, and stops at the next one.
_DROPS_FIRST_INTERRUPT = """
import signal, sys, time
heard = []
def on_interrupt(signum, frame):
    heard.append(signum)
    if len(heard) > 1:
        print("Terminating processes on user request, this might take some time.", flush=True)
        sys.exit(1)
signal.signal(signal.SIGINT, on_interrupt)
print("ready", flush=True)
time.sleep(50)
print("finished the whole run", flush=True)
"""


def test_an_interrupt_snakemake_drops_is_repeated_until_it_stops(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runner, "_REPEAT_INTERRUPT_SECONDS", 0.2)
    process = subprocess.Popen(
        [sys.executable, "-c", _DROPS_FIRST_INTERRUPT],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    assert process.stdout is not None
    assert process.stdout.readline() == "ready\n"
    with open(tmp_path / "run.log", "w") as log:
        runner._stop_workflow(process, log)
    # Stopped by the repeated interrupt: not killed at the deadline, not run to its end.
    assert process.returncode == 1
    said = (tmp_path / "run.log").read_text()
    assert runner.SNAKEMAKE_STOPPING in said
    assert "finished the whole run" not in said
