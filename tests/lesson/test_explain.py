"""`labpipe demo --explain`: the demo's workflow runs one step at a time and each step is told
as soon as it has run; every number it says is what the step's file holds at that moment,
every command is the one that ran (as Snakemake's own log printed it); an interrupted lesson
leaves nothing looking complete and resumes; the results are those of `labpipe run`; and
--pause cannot hang a CI job."""

from __future__ import annotations

import csv
import gzip
import io
import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from labpipe.annotation.csq_choice import SEVERITY
from labpipe.core import layout
from labpipe.demo import prepare_demo
from labpipe.lesson import narration
from labpipe.lesson.explain import STEPS, ran_jobs, step_text, wait_for_enter
from labpipe.lesson.readings import Focus
from tests.builders import LABPIPE, DemoRun, run_cli, vcf_records
from tests.lesson.conftest import Lesson
from tests.run.test_faults import unfinished_results

SAMPLE = "PK001"
RULE_OF = {step.key: step.rules[0] for step in STEPS}


def said(part: str) -> str:
    """The step's 'What it says:' line."""
    return next(line for line in part.splitlines() if narration.NUMBER_LABEL in line)


def vcf_lines(path: Path) -> list[list[str]]:
    with gzip.open(path, "rt") as handle:
        return [line.rstrip("\n").split("\t") for line in handle if not line.startswith("#")]


@pytest.mark.e2e
def test_each_step_runs_its_stage_and_is_told_before_the_next_runs(lesson: Lesson) -> None:
    lines = lesson.lines
    starts = [
        lines.index(narration.RUNNING_STEP.format(
            number=n, steps=len(STEPS), title=narration.STEPS[s.key].title))
        for n, s in enumerate(STEPS, start=1)
    ]  # fmt: skip
    told = [next(i for i, line in enumerate(lines) if line.startswith(f"Step {n} of ")) for n in
            range(1, len(STEPS) + 1)]  # fmt: skip
    ends = [*starts[1:], lines.index(narration.RUNNING_REST)]
    for step, start, tell, end in zip(STEPS, starts, told, ends, strict=True):
        assert start < tell < end, step.key
        # The step's own jobs finished in its stage (progress lines), none in another.
        rule = RULE_OF[step.key]
        done = [i for i, line in enumerate(lines) if f"] done  {rule} " in line]
        assert done, (step.key, lesson.text)
        assert all(start < i < tell for i in done), step.key
    assert lesson.waits == len(STEPS) - 1  # --pause: before every step but the first
    # The rest (QC table, MultiQC, index, manifest) ran after the last step was told.
    rest = lines.index(narration.RUNNING_REST)
    assert any("] done  manifest" in line for line in lines[rest:])
    assert lines[-1] == narration.OUTRO.format(
        index=lesson.outdir.resolve() / layout.REPORT_INDEX,
        multiqc=lesson.outdir.resolve() / layout.MULTIQC_HTML,
    )


@pytest.mark.e2e
def test_each_number_is_read_from_the_steps_own_file(lesson: Lesson) -> None:
    out = lesson.outdir
    steps = lesson.told()
    seen = lesson.seen
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
    assert seen["chunk_records"], "the demo calls variants"
    assert f"{seen['chunk_records']:,} call record(s) in the sample's {seen['chunk_files']:,}" in (
        said(steps["calling"])
    )
    assert seen["freebayes"], "freebayes looks again at the demo's indels"
    assert f"wrote {seen['freebayes']:,} record(s) in the {seen['windows']:,} window(s)" in said(
        steps["second_opinion"]
    )
    records = vcf_lines(out / f"results/vcf/{SAMPLE}.vcf.gz")
    passing = sum(r[6] == "PASS" for r in records)
    assert f" {passing:,} of {len(records):,} records PASS" in said(steps["filters"])
    assert f"{len(records) - passing:,} carry a soft filter" in said(steps["filters"])
    # The variant followed: the first PASS call with csq's most severe consequence ...
    rank = {term: n for n, term in enumerate(SEVERITY)}
    csq: list[tuple[str, list[tuple[str, str]]]] = seen["csq"]  # type: ignore[assignment]
    label, terms = min(csq, key=lambda call: min(rank.get(t, len(rank)) for t, _ in call[1]))
    consequence, gene = min(terms, key=lambda term: rank.get(term[0], len(rank)))
    assert f"{label}: {consequence}" in said(steps["consequences"])
    assert f" in {gene} " in said(steps["consequences"])
    # ... then its tier and reason, as the variant table has them.
    with open(out / f"results/variants/{SAMPLE}.tsv", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    row = next(r for r in rows if f"{r['chrom']}:{r['pos']} {r['ref']}>{r['alt']}" == label)
    assert row["tier"], "the variant followed is tiered"
    assert f"{label} in {row['gene']} is tier {row['tier']} because: {row['tier_reason']}" in (
        said(steps["annotation"])
    )
    report = json.loads((out / f"results/report/{SAMPLE}.summary.json").read_text())
    tiers = report["tiers"]
    assert (
        f"status {report['status']}, QC {report['qc_verdict']}; PASS calls per tier (1, 2, 3): "
        f"{tiers['1']}, {tiers['2']}, {tiers['3']}" in said(steps["report"])
    )


@pytest.mark.e2e
def test_each_command_is_the_one_snakemake_printed_for_the_run(lesson: Lesson) -> None:
    steps = lesson.told()
    # --printshellcmds puts every command into the runs' text logs: an independent record.
    printed = "\n".join(p.read_text() for p in (lesson.outdir / "logs").glob("labpipe-run-*.log"))
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
def test_the_lessons_results_are_those_of_labpipe_run(lesson: Lesson, demo_run: DemoRun) -> None:
    # The same files (no temporary file kept for the class is left), ...
    assert result_files(lesson.outdir) == result_files(demo_run.outdir)
    assert not unfinished_results(lesson.outdir)
    assert not (lesson.outdir / layout.DEMO_UNFINISHED).exists()
    # ... the same calls, tables and QC figures.
    for sample in ("PK001", "PK002"):
        for template in (layout.VCF, layout.ANNOTATED_VCF):
            vcf = layout.path(template, sample=sample)
            assert vcf_records(lesson.outdir / vcf) == vcf_records(demo_run.outdir / vcf), vcf
        table = layout.path(layout.VARIANTS_TSV, sample=sample)
        assert (lesson.outdir / table).read_text() == (demo_run.outdir / table).read_text()
    qc = layout.QC_SUMMARY
    assert (lesson.outdir / qc).read_text() == (demo_run.outdir / qc).read_text()


def interrupted_lesson(outdir: Path) -> list[str]:
    """Start `labpipe demo --explain` and stop it with Ctrl-C while step 4 runs; its command."""
    command = [*LABPIPE, "demo", "--explain", "--outdir", str(outdir), "--cores", "2"]
    first = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # SIGINT as a terminal gives it, even when the suite itself runs in the background
        # (`make test &` ignores SIGINT, and an ignored signal is inherited).
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    assert first.stdout is not None
    seen = ""
    for line in first.stdout:
        seen += line
        if line.startswith("Running step 4 of "):
            first.send_signal(signal.SIGINT)
            break
    _, err = first.communicate(timeout=300)
    assert first.returncode == 130, seen + err
    return command


def result_files(outdir: Path) -> set[str]:
    return {p.relative_to(outdir).as_posix() for p in (outdir / "results").rglob("*")}


@pytest.mark.e2e
def test_an_interrupted_lesson_looks_unfinished_and_the_same_command_resumes_it(
    tmp_path: Path, demo_run: DemoRun
) -> None:
    outdir = tmp_path / "class"
    command = interrupted_lesson(outdir)
    # Nothing looks complete: no manifest, index or report, no cut-short file; marked unfinished.
    assert (outdir / layout.DEMO_UNFINISHED).exists()
    for template in (layout.MANIFEST, layout.REPORT_INDEX, layout.QC_SUMMARY):
        assert not (outdir / template).exists(), template
    assert not (outdir / layout.path(layout.REPORT_HTML, sample=SAMPLE)).exists()
    assert not unfinished_results(outdir, partials_allowed=True)

    again = subprocess.run(command, capture_output=True, text=True, check=False, timeout=900)
    assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-3000:]
    assert narration.RESUMING.format(outdir=outdir) in again.stdout
    # The steps done before the interrupt are told again, with the commands that ran then.
    assert narration.NO_COMMAND.split("{")[0] not in again.stdout
    assert f"Step {len(STEPS)} of {len(STEPS)}" in again.stdout
    assert "] done  align " not in again.stdout  # aligned before the interrupt, not redone
    assert result_files(outdir) == result_files(demo_run.outdir)
    for sample in ("PK001", "PK002"):
        vcf = layout.path(layout.VCF, sample=sample)
        assert vcf_records(outdir / vcf) == vcf_records(demo_run.outdir / vcf)
    assert (outdir / layout.MANIFEST).exists()
    assert not (outdir / layout.DEMO_UNFINISHED).exists()


@pytest.mark.slow
@pytest.mark.e2e
def test_an_interrupted_lesson_finished_by_a_plain_demo_leaves_no_kept_file(
    tmp_path: Path, demo_run: DemoRun
) -> None:
    outdir = tmp_path / "class"
    interrupted_lesson(outdir)
    assert list((outdir / "results" / "bam" / "units").glob("*.bam")), "the lesson keeps them"
    plain = subprocess.run(
        [*LABPIPE, "demo", "--outdir", str(outdir), "--cores", "2"],
        capture_output=True, text=True, check=False, timeout=900,
    )  # fmt: skip
    assert plain.returncode == 0, plain.stdout[-3000:] + plain.stderr[-3000:]
    assert result_files(outdir) == result_files(demo_run.outdir)
    for sample in ("PK001", "PK002"):
        vcf = layout.path(layout.VCF, sample=sample)
        assert vcf_records(outdir / vcf) == vcf_records(demo_run.outdir / vcf)


def test_a_finished_demo_is_not_resumed_but_an_unfinished_one_is(tmp_path: Path) -> None:
    from labpipe.core.errors import UsageError

    outdir = tmp_path / "demo"
    config = prepare_demo(outdir, overwrite=False)
    assert (outdir / layout.DEMO_UNFINISHED).exists()
    told: list[str] = []
    assert prepare_demo(outdir, overwrite=False, echo=told.append) == config
    assert told == [narration.RESUMING.format(outdir=outdir)]
    (outdir / layout.DEMO_UNFINISHED).unlink()  # as run_demo does once the demo has finished
    with pytest.raises(UsageError, match="is not empty"):
        prepare_demo(outdir, overwrite=False)


@pytest.mark.e2e
def test_a_step_that_did_not_run_or_a_missing_file_is_said_not_invented(
    demo_run: DemoRun, tmp_path: Path
) -> None:
    markdup = next(s for s in STEPS if s.key == "duplicates")
    focus = Focus(SAMPLE, "L001", None)
    text = step_text(markdup, 2, demo_run.outdir, focus, jobs=[])
    assert narration.NO_COMMAND.format(rule="markdup") in text
    text = step_text(markdup, 2, tmp_path, focus, ran_jobs(demo_run.outdir))
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
    assert sorted(s.key for s in STEPS) == sorted(narration.STEPS)
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
    assert out.count(narration.NOT_A_TERMINAL) == 1
    assert f"Step {len(STEPS)} of {len(STEPS)}" in out


@pytest.mark.e2e
def test_the_handouts_quote_what_the_narration_says_for_the_demo(lesson: Lesson) -> None:
    # docs/teaching/handouts show the demo's narration as examples: they must not drift.
    from tests.paths import REPO

    quoted = [
        line.strip()
        for page in sorted((REPO / "docs" / "teaching" / "handouts").glob("*.md"))
        for line in page.read_text().splitlines()
        if line.startswith(narration.NUMBER_LABEL)
    ]
    assert len(quoted) == len(STEPS), quoted  # one per step handout
    for line in quoted:
        assert line in lesson.text, line
