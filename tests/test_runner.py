"""Snakemake output turned into progress lines and failure messages."""

from __future__ import annotations

from pathlib import Path

from labpipe.runner import ProgressParser, RunOutcome, dry_run_line, failure_message

LOG = """\
[Mon Nov 23 18:35:44 2026]
rule align:
    input: /data/PK001_L001_R1.fastq.gz, /data/PK001_L001_R2.fastq.gz
    output: results/bam/units/PK001.L001.bam
    log: logs/fastp/PK001.L001.log, logs/bwa_mem/PK001.L001.log
    jobid: 7
    reason: Missing output files
    wildcards: sample=PK001, unit=L001
    threads: 2
[Mon Nov 23 18:35:50 2026]
Finished jobid: 7 (Rule: align)
3 of 24 steps (12%) done
[Mon Nov 23 18:35:51 2026]
rule markdup:
    log: logs/markdup/PK001.log
    jobid: 9
    wildcards: sample=PK001
[Mon Nov 23 18:35:52 2026]
Error in rule markdup:
    message: None
    jobid: 9
    output: results/bam/PK001.bam
    log: logs/markdup/PK001.log (check log file(s) for error details)
"""


def test_progress_and_failure_are_parsed() -> None:
    echoed: list[str] = []
    parser = ProgressParser(echoed.append)
    for line in LOG.splitlines():
        parser.feed(line)
    assert echoed == ["[ 3/24] done  align PK001 L001"]
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
    for line in LOG.splitlines():
        parser.feed(line)
    error = failure_message(RunOutcome(1, parser.failed, tmp_path / "run.log", []), tmp_path)
    text = error.render()
    assert f"step 'markdup' failed for sample PK001; read {log}" in text
    assert "[markdup] error: truncated file" in text
    assert error.exit_code == 1


def finished(rule: str, jobid: int, done: int, total: int, wildcards: str = "") -> str:
    """Snakemake's lines for one job, from its start to its progress line."""
    lines = [f"localrule {rule}:", f"    jobid: {jobid}"]
    if wildcards:
        lines.append(f"    wildcards: {wildcards}")
    lines += [f"Finished jobid: {jobid} (Rule: {rule})", f"{done} of {total} steps done"]
    return "\n".join(lines) + "\n"


def test_progress_counts_only_the_steps_it_shows() -> None:
    """`rule all` is a job to Snakemake but no step to the user: it must not stop us at [2/3]."""
    log = (
        "Job stats:\njob        count\n---------  -------\nmarkdup          2\n"
        "all              1\ntotal            3\n\n"
        + finished("markdup", 1, 1, 3, "sample=PK001")
        + finished("markdup", 2, 2, 3, "sample=PK002")
        + finished("all", 0, 3, 3)
    )
    echoed: list[str] = []
    parser = ProgressParser(echoed.append)
    for line in log.splitlines():
        parser.feed(line)
    assert echoed == ["[1/2] done  markdup PK001", "[2/2] done  markdup PK002"]
    assert (parser.done, parser.total, parser.planned) == (2, 2, 2)


def test_dry_run_line_counts_steps_like_a_run() -> None:
    assert dry_run_line(0) == "labpipe: dry run: nothing to run, every result is up to date"
    assert dry_run_line(43) == "labpipe: dry run: 43 step(s) would run"
