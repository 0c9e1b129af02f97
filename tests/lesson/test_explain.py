"""`labpipe demo --explain`: every number it says is what the file holds, every command is
the one that ran (as Snakemake's own log printed it), and --pause cannot hang a CI job."""

from __future__ import annotations

import csv
import gzip
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from labpipe.core import layout
from labpipe.lesson import narration
from labpipe.lesson.explain import STEPS, narrate, ran_jobs, step_text, wait_for_enter
from labpipe.lesson.readings import Focus
from tests.builders import DemoRun, run_cli

SAMPLE = "PK001"


def told(outdir: Path, **kwargs: object) -> dict[str, str]:
    """The narration of a run, by step key."""
    lines: list[str] = []
    narrate(outdir, lines.append, **kwargs)  # type: ignore[arg-type]
    text = "\n".join(lines)
    parts = text.split("Step ")[1:]
    assert len(parts) == len(STEPS), text
    return {step.key: part for step, part in zip(STEPS, parts, strict=True)}


def said(part: str) -> str:
    """The step's 'What it says:' line."""
    return next(line for line in part.splitlines() if narration.NUMBER_LABEL in line)


def vcf_lines(path: Path) -> list[list[str]]:
    with gzip.open(path, "rt") as handle:
        return [line.rstrip("\n").split("\t") for line in handle if not line.startswith("#")]


@pytest.mark.e2e
def test_each_number_is_read_from_the_steps_own_file(demo_run: DemoRun) -> None:
    out = demo_run.outdir
    steps = told(out)
    # Read again here, without the package's parsers, from the files each step names.
    fastp = json.loads((out / f"results/qc/fastp/{SAMPLE}.L001.fastp.json").read_text())
    passed = fastp["summary"]["after_filtering"]["total_reads"]
    total = fastp["summary"]["before_filtering"]["total_reads"]
    assert f"{passed:,} of {total:,} reads passed" in said(steps["trimming"])
    flagstat = json.loads((out / f"results/qc/samtools/{SAMPLE}.flagstat.json").read_text())
    assert f"{flagstat['QC-passed reads']['primary mapped %']:.2f}% of" in said(steps["alignment"])
    markdup = dict(
        line.split(": ", 1)
        for line in (out / f"results/qc/samtools/{SAMPLE}.markdup.txt").read_text().splitlines()
        if ": " in line
    )
    assert f"{int(markdup['DUPLICATE TOTAL']):,} of {int(markdup['READ']):,} reads" in said(
        steps["duplicates"]
    )
    summary = (out / f"results/qc/mosdepth/{SAMPLE}.mosdepth.summary.txt").read_text()
    region = next(r.split("\t") for r in summary.splitlines() if r.startswith("total_region"))
    assert f"targets: {region[3]}x ({int(region[1]):,} target bases)" in said(steps["coverage"])
    records = vcf_lines(out / f"results/vcf/{SAMPLE}.vcf.gz")
    assert records, "the demo calls variants"
    assert f" {len(records):,} variant records" in said(steps["calling"])
    by_freebayes = sum("CALLERS=" in r[7] and "freebayes" in r[7] for r in records)
    assert by_freebayes > 0
    assert f" {by_freebayes:,} indel record(s)" in said(steps["second_opinion"])
    passing = sum(r[6] == "PASS" for r in records)
    assert f" {passing:,} of {len(records):,} records PASS" in said(steps["filters"])
    assert f"{len(records) - passing:,} carry a soft filter" in said(steps["filters"])
    # The variant followed: the first PASS call of the lowest tier in the table.
    with open(out / f"results/variants/{SAMPLE}.tsv", newline="") as handle:
        rows = [r for r in csv.DictReader(handle, delimiter="\t") if r["filter"] == "PASS"]
    top = min((r for r in rows if r["tier"]), key=lambda r: int(r["tier"]))
    label = f"{top['chrom']}:{top['pos']} {top['ref']}>{top['alt']}"
    assert top["tier"] == "1", "the demo plants ClinVar pathogenic variants"
    assert f"{label} in {top['gene']} is tier 1 because: {top['tier_reason']}" in said(
        steps["annotation"]
    )
    annotated = vcf_lines(out / f"results/vcf/{SAMPLE}.annotated.vcf.gz")
    record = next(r for r in annotated if (r[0], r[1], r[3], r[4]) == (
        top["chrom"], top["pos"], top["ref"], top["alt"]))  # fmt: skip
    bcsq = next(f for f in record[7].split(";") if f.startswith("BCSQ="))[5:]
    consequence, gene = bcsq.split(",")[0].split("|")[:2]
    assert f"{label}: {consequence} in {gene}" in said(steps["consequences"])
    assert consequence == top["consequence"]
    report = json.loads((out / f"results/report/{SAMPLE}.summary.json").read_text())
    tiers = report["tiers"]
    assert (
        f"status {report['status']}, QC {report['qc_verdict']}; PASS calls per tier (1, 2, 3): "
        f"{tiers['1']}, {tiers['2']}, {tiers['3']}" in said(steps["report"])
    )


@pytest.mark.e2e
def test_each_command_is_the_one_snakemake_printed_for_the_run(demo_run: DemoRun) -> None:
    out = demo_run.outdir
    steps = told(out)
    # --printshellcmds puts every command into the run's text log: an independent record.
    (text_log,) = [p for p in (out / "logs").glob("labpipe-run-*.log") if "dryrun" not in p.name]
    printed = text_log.read_text()
    tools = {
        "trimming": "fastp --stdin",
        "alignment": "samtools flagstat",
        "duplicates": "samtools markdup",
        "coverage": "mosdepth",
        "calling": "bcftools mpileup",
        "second_opinion": "freebayes",
        "filters": "bcftools norm",
        "consequences": "bcftools csq",
        "annotation": "labpipe step annotate",
        "report": "labpipe step sample-report",
    }
    for step in STEPS:
        part = steps[step.key]
        assert narration.NO_COMMAND.split("{")[0] not in part, part
        commands = [line.strip()[2:] for line in part.splitlines() if line.strip()[:2] == "$ "]
        assert commands, part
        assert all(command in printed for command in commands), step.key
        assert tools[step.key] in part, step.key
        # The command of the sample followed, not another sample's.
        assert "PK002" not in "\n".join(commands), step.key


@pytest.mark.e2e
def test_pause_waits_before_every_step_but_the_first(demo_run: DemoRun) -> None:
    waits: list[int] = []
    told(demo_run.outdir, pause=True, wait=lambda: waits.append(1) or True)
    assert len(waits) == len(STEPS) - 1


@pytest.mark.e2e
def test_pause_without_a_terminal_says_so_once_and_goes_on(demo_run: DemoRun) -> None:
    lines: list[str] = []
    narrate(demo_run.outdir, lines.append, pause=True, wait=lambda: wait_for_enter(io.StringIO()))
    assert lines.count(narration.NOT_A_TERMINAL) == 1
    assert sum(line.startswith("Step ") for line in lines) == len(STEPS)


@pytest.mark.e2e
def test_a_step_that_did_not_run_or_a_missing_file_is_said_not_invented(
    demo_run: DemoRun, tmp_path: Path
) -> None:
    markdup = next(s for s in STEPS if s.key == "duplicates")
    focus = Focus(SAMPLE, "L001", None)
    text = step_text(markdup, 3, demo_run.outdir, focus, jobs=[])
    assert narration.NO_COMMAND.format(rule="markdup") in text
    text = step_text(markdup, 3, tmp_path, focus, ran_jobs(demo_run.outdir))
    assert "could not read a number from" in text
    assert str(tmp_path / layout.path(layout.MARKDUP_STATS, sample=SAMPLE)) in text


def test_waiting_for_enter_reads_nothing_from_input_that_is_not_a_terminal() -> None:
    class NeverEnds(io.StringIO):
        def readline(self, *_: object) -> str:
            raise AssertionError("read from input that is not a terminal")

    assert wait_for_enter(NeverEnds()) is False


def test_pause_needs_explain(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(["demo", "--pause", "--outdir", "unused"], capsys)
    assert code == 2
    assert "add --explain" in err


def test_every_step_has_its_words_and_every_word_a_step() -> None:
    assert [s.key for s in STEPS] == list(narration.STEPS)
    for text in narration.STEPS.values():
        sentences = text.about.count(". ") + 1
        assert 2 <= sentences <= 3, text.title


@pytest.mark.slow
@pytest.mark.e2e
def test_demo_explain_pause_with_an_open_pipe_for_input_does_not_hang(tmp_path: Path) -> None:
    # A CI job's stdin can be a pipe that never closes: --pause must not wait on it.
    with subprocess.Popen(
        [sys.executable, "-m", "labpipe.cli", "demo", "--explain", "--pause", "-c", "2",
         "--outdir", str(tmp_path / "demo")],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    ) as demo:  # fmt: skip
        out, err = demo.communicate(timeout=900)
    assert demo.returncode == 0, err[-2000:]
    assert narration.NOT_A_TERMINAL in out
    assert f"Step {len(STEPS)} of {len(STEPS)}" in out


@pytest.mark.e2e
def test_the_handouts_quote_what_the_narration_says_for_the_demo(demo_run: DemoRun) -> None:
    # docs/teaching/handouts show the demo's narration as examples: they must not drift.
    from tests.paths import REPO

    lines: list[str] = []
    narrate(demo_run.outdir, lines.append)
    told_text = "\n".join(lines)
    quoted = [
        line.strip()
        for page in sorted((REPO / "docs" / "teaching" / "handouts").glob("*.md"))
        for line in page.read_text().splitlines()
        if line.startswith(narration.NUMBER_LABEL)
    ]
    assert len(quoted) == len(STEPS), quoted  # one per step handout
    for line in quoted:
        assert line in told_text, line
