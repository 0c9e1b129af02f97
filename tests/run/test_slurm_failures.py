"""Why SLURM ended a job, told from the job's state and its own log, and what to raise.

The SLURM log lines here are copied from jobs SLURM 22.05 killed on the single-node
cluster of scripts/slurm-single-node.sh (memory enforced by JobAcctGatherParams=
OverMemoryKill, which ends the job FAILED, not OUT_OF_MEMORY) and, for the cgroup
lines, from SLURM's task/cgroup plugin. The real kills are in tests/run/test_slurm.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from labpipe.run.failures import failure_message
from labpipe.run.progress import ProgressParser, RunOutcome

# The batch step (Snakemake inside the job) over a 200 MB --mem, polled by jobacct_gather.
POLLED_MEMORY_KILL = """\
host: vm
rule align:
slurmstepd-vm: error: StepId=31.batch exceeded memory limit (420601856 > 209715200), being killed
slurmstepd-vm: error: Exceeded job memory limit
slurmstepd-vm: error: *** JOB 31 ON vm CANCELLED AT 2026-12-07T22:50:15 ***
"""
CGROUP_MEMORY_KILL = (
    "rule align:\n"
    "slurmstepd: error: Detected 1 oom_kill event in StepId=31.batch."
    " Some of the step tasks have been OOM Killed.\n"
)
TIME_KILL = """\
rule markdup:
slurmstepd-vm: error: *** STEP 32.0 ON vm CANCELLED AT 2026-12-07T22:52:38 DUE TO TIME LIMIT ***
slurmstepd-vm: error: *** JOB 32 ON vm CANCELLED AT 2026-12-07T22:52:38 DUE TO TIME LIMIT ***
"""
SCANCEL = """\
rule align:
slurmstepd-vm: error: *** JOB 33 ON vm CANCELLED AT 2026-12-07T22:55:01 ***
"""


def _failed_run(
    tmp_path: Path,
    rule: str,
    state: str,
    slurm_log: str,
    resources: dict[str, int],
    group: str | None = None,
) -> str:
    """The failure message of a run whose one step's SLURM job ended in ``state``."""
    log = tmp_path / ".snakemake" / "slurm_logs" / f"rule_{rule}" / "31.log"
    log.parent.mkdir(parents=True)
    log.write_text(slurm_log)
    events: list[dict[str, Any]] = []
    if group:
        events.append({"event": "group_info", "group_id": group})
    events += [
        {
            "event": "job_info",
            "jobid": 7,
            "rule_name": rule,
            "wildcards": {"sample": "PK002"},
            "log": [f"logs/{rule}/PK002.log"],
            "resources": {**resources, "tmpdir": "/tmp", "slurm_partition": "main"},
            "indent": bool(group),
        },
        {
            "event": None,
            "msg": f"Job {'0e9c-uuid' if group else 7} has been submitted with SLURM jobid 31"
            f" (log: {log}).",
        },
        {
            "event": "job_error",
            "jobid": 7,
            "rule_name": rule,
            # A group's steps fail without the plugin's message: only the log tells.
            "rule_msg": ""
            if group
            else f"SLURM-job '31' failed, SLURM status is: '{state}'. Detailed failure"
            " reason unavailable (status command is not 'sacct').",
            "log": [f"logs/{rule}/PK002.log"],
        },
    ]
    parser = ProgressParser(lambda line: None)
    for event in events:
        parser.feed(event)
    outcome = RunOutcome(1, parser.failed, tmp_path / "run.log", [])
    return failure_message(outcome, tmp_path).render()


def test_a_polled_memory_kill_ends_failed_and_is_told_by_the_log(tmp_path: Path) -> None:
    text = _failed_run(tmp_path, "align", "FAILED", POLLED_MEMORY_KILL, {"mem_mb": 200})
    assert (
        "step 'align' failed for sample PK002 (SLURM job 31: killed by SLURM for using more"
        " memory than it asked for (401 MB in use when killed; it had 200 MB); raise"
        " cluster.steps.align.mem_mb in the config, e.g. to 1,000)"
    ) in text
    # The job's own log is named and its telling line quoted.
    assert str(tmp_path / ".snakemake/slurm_logs/rule_align/31.log") in text
    assert "exceeded memory limit (420601856 > 209715200)" in text


def test_a_cgroup_out_of_memory_names_what_the_step_asked_for(tmp_path: Path) -> None:
    text = _failed_run(tmp_path, "align", "OUT_OF_MEMORY", CGROUP_MEMORY_KILL, {"mem_mb": 3100})
    assert (
        "(SLURM job 31: killed by SLURM for using more memory than it asked for (it had"
        " 3,100 MB); raise cluster.steps.align.mem_mb in the config, e.g. to 6,200)"
    ) in text


@pytest.mark.parametrize("state", ["TIMEOUT", "CANCELLED"])
def test_a_time_limit_kill_names_the_runtime_to_raise(tmp_path: Path, state: str) -> None:
    """TIMEOUT as the state, or (a state missed) 'DUE TO TIME LIMIT' in the log."""
    text = _failed_run(tmp_path, "markdup", state, TIME_KILL, {"mem_mb": 2600, "runtime": 30})
    assert (
        "step 'markdup' failed for sample PK002 (SLURM job 31: killed by SLURM at its time"
        " limit (30 min); raise cluster.steps.markdup.runtime (minutes) in the config,"
        " e.g. to 60)"
    ) in text
    assert "cancelled (scancel" not in text


def test_a_group_jobs_kill_is_told_by_its_log_alone(tmp_path: Path) -> None:
    """A group job's steps fail without the plugin's message; the group's limit is not
    the step's own, so no new value for the step is suggested."""
    text = _failed_run(
        tmp_path, "call_chunk", "", POLLED_MEMORY_KILL, {"mem_mb": 2000}, group="calling"
    )
    assert (
        "(SLURM job 31, the 'calling' group of steps: killed by SLURM for using more memory"
        " than it asked for (401 MB in use when killed; it had 200 MB); raise"
        " cluster.steps.call_chunk.mem_mb in the config)"
    ) in text


def test_scancel_stays_a_cancellation(tmp_path: Path) -> None:
    text = _failed_run(tmp_path, "align", "CANCELLED", SCANCEL, {"mem_mb": 3100})
    assert "(SLURM job 31: cancelled (scancel, or by an administrator))" in text
    assert "mem_mb" not in text and "runtime" not in text


def test_a_step_caught_far_past_its_limit_is_offered_more_than_twice_it(tmp_path: Path) -> None:
    """Polling may catch a step well past its limit: what it used then sets the advice."""
    log = POLLED_MEMORY_KILL.replace("420601856 > 209715200", "3221225472 > 1073741824")
    text = _failed_run(tmp_path, "align", "FAILED", log, {"mem_mb": 1024})
    assert "(3,072 MB in use when killed; it had 1,024 MB)" in text
    assert "raise cluster.steps.align.mem_mb in the config, e.g. to 4,700)" in text


@pytest.mark.parametrize(
    ("language", "words"),
    [
        (
            "zh_Hans",
            ("运行失败", "SLURM 作业 31", "因使用的内存超过申请量被 SLURM 终止", "例如增至 1,000"),
        ),
        ("ur", ("رن ناکام ہوا", "SLURM جاب 31", "مانگی گئی میموری", "مثلاً 1,000 تک")),
    ],
)
def test_a_failed_run_is_told_in_the_language_chosen(
    tmp_path: Path, language: str, words: tuple[str, ...]
) -> None:
    from labpipe.core.i18n import using_language

    with using_language(language):
        text = _failed_run(tmp_path, "align", "FAILED", POLLED_MEMORY_KILL, {"mem_mb": 200})
    for word in words:
        assert word in text
    # The names a reader types or opens stay as they are; labpipe's English does not.
    assert "cluster.steps.align.mem_mb" in text
    assert "slurm_logs/rule_align/31.log" in text
    assert "killed by SLURM" not in text and "failed for" not in text
