"""Interrupted and competing runs, and input that turns out corrupt mid-run.

Real workflow runs on the demo data: a run killed with SIGKILL resumes to the
same calls, a second run on the same output directory is refused, and a FASTQ
malformed deep inside fails its sample by name without leaving a BAM behind.
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from labpipe.core.resources import demo_data_dir
from labpipe.demo import prepare_demo
from tests.builders import LABPIPE, DemoRun, lock_is_free, vcf_records

pytestmark = pytest.mark.e2e


def start_run_until(
    config: Path, marker: str, ignore_sigint: bool = False
) -> subprocess.Popen[str]:
    """Start `labpipe run` and read its output up to the first line holding ``marker``.

    ignore_sigint: start it as a shell script's `labpipe run … &` (or nohup) does, with
    SIGINT ignored, which its children inherit.
    """

    def sigint_as_asked() -> None:
        # Otherwise as a terminal starts it: a test suite itself started in the background
        # (`make test &`) has SIGINT ignored, and labpipe would inherit that.
        signal.signal(signal.SIGINT, signal.SIG_IGN if ignore_sigint else signal.SIG_DFL)

    run = subprocess.Popen(
        [*LABPIPE, "run", str(config), "--cores", "2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=sigint_as_asked,
    )
    assert run.stdout is not None
    seen = ""
    for line in run.stdout:
        seen += line
        if marker in line:
            return run
    raise AssertionError(f"labpipe run ended before printing {marker!r}:\n{seen}")


def test_kill_resume_and_concurrent_run(tmp_path: Path, demo_run: DemoRun) -> None:
    reference_run = demo_run.outdir
    outdir = tmp_path / "killed"
    config = prepare_demo(outdir, overwrite=False)
    first = start_run_until(config, "done  align")

    second = subprocess.run(
        [*LABPIPE, "run", str(config), "--cores", "1"], capture_output=True, text=True, check=False
    )
    assert second.returncode == 1
    assert f"another labpipe run is already using {outdir.resolve()}" in second.stderr

    os.kill(first.pid, signal.SIGKILL)
    first.wait()
    deadline = time.monotonic() + 60
    while not lock_is_free(outdir):
        assert time.monotonic() < deadline, "Snakemake outlived a killed labpipe"
        time.sleep(0.5)
    assert not (outdir / "results" / "run_manifest.json").exists()

    resumed = subprocess.run(
        [*LABPIPE, "run", str(config), "--cores", "2"], capture_output=True, text=True, check=False
    )
    assert resumed.returncode == 0, resumed.stdout[-2000:] + resumed.stderr[-2000:]
    for sample in ("PK001", "PK002"):
        vcf = Path("results") / "vcf" / f"{sample}.vcf.gz"
        assert vcf_records(outdir / vcf) == vcf_records(reference_run / vcf)
    assert (outdir / "results" / "run_manifest.json").exists()


def test_fastq_corrupt_deep_inside_fails_its_sample(tmp_path: Path) -> None:
    data = demo_data_dir()
    reads = tmp_path / "reads"
    shutil.copytree(data / "reads", reads)
    broken = reads / "V350012345_L02_PK002_1.fq.gz"
    with gzip.open(data / "reads" / broken.name, "rt") as handle:
        lines = handle.read().splitlines()
    # Record 8,001 loses half its sequence: far past what validation samples.
    lines[4 * 8000 + 1] = lines[4 * 8000 + 1][:50]
    with gzip.open(broken, "wt") as handle:
        handle.write("\n".join(lines) + "\n")
    sheet = (data / "samples.tsv").read_text().replace("reads/", f"{reads}/")
    (tmp_path / "samples.tsv").write_text(sheet)

    outdir = tmp_path / "run"
    config = prepare_demo(outdir, overwrite=False)
    text = config.read_text().replace(str(data / "samples.tsv"), str(tmp_path / "samples.tsv"))
    config.write_text(text)
    result = subprocess.run(
        [*LABPIPE, "run", str(config), "--cores", "2"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 1
    assert "labpipe: error: the run failed" in result.stderr
    # Found by counting the file, not from fastp's wording (0.23 exits 0 on it).
    assert f"step 'align' failed for sample PK002, unit L02 reading {broken}" in result.stderr
    assert f"{broken} record 8,001 (line 32,001): the sequence and quality lines differ" in (
        result.stderr
    )
    assert not (outdir / "results" / "bam" / "PK002.bam").exists()
    assert not (outdir / "results" / "vcf" / "PK002.vcf.gz").exists()
    # The other sample is finished regardless.
    assert (outdir / "results" / "vcf" / "PK001.vcf.gz").exists()
    assert (outdir / "results" / "variants" / "PK001.tsv").exists()
    assert "Traceback" not in result.stderr

    # ... up to its report, the QC table and an index that names the sample without a result.
    said = "NO RESULT: step 'align' failed, see logs/check_pairs/PK002.L02.log"
    assert f"PK002: {said}" in result.stderr
    assert "the index marks PK002 as NO RESULT" in result.stderr
    report = outdir / "results" / "report"
    assert (report / "PK001.html").exists()
    assert not (report / "PK002.html").exists()
    assert json.loads((report / "PK002.summary.json").read_text())["status"] == "NO_RESULT"
    index = (report / "index.html").read_text()
    assert said.replace("'", "&#39;") in index
    assert 'href="PK001.html"' in index
    assert qc_samples(outdir) == ["PK001"]
    manifest = json.loads((outdir / "results" / "run_manifest.json").read_text())
    assert list(manifest["no_result"]) == ["PK002"]
    # The run's closing table says so too, beside the sample that has a result.
    assert "PK001   PASS" in result.stdout
    assert "PK002   -      NO RESULT" in result.stdout

    # Reads fixed: the next run analyses PK002 and the index lists it like any other.
    shutil.copy(data / "reads" / broken.name, broken)
    fixed = subprocess.run(
        [*LABPIPE, "run", str(config), "--cores", "2"], capture_output=True, text=True, check=False
    )
    assert fixed.returncode == 0, fixed.stderr[-2000:]
    assert (report / "PK002.html").exists()
    assert "NO RESULT" not in (report / "index.html").read_text()
    assert qc_samples(outdir) == ["PK001", "PK002"]


def qc_samples(outdir: Path) -> list[str]:
    rows = (outdir / "results" / "qc" / "qc_summary.tsv").read_text().splitlines()[1:]
    return [row.split("\t")[0] for row in rows]


def test_sigterm_and_ctrl_c_stop_the_run_with_a_message_and_it_resumes(tmp_path: Path) -> None:
    """SIGTERM (143), then Ctrl-C's SIGINT (130) on the resumed run; a third run finishes."""
    outdir = tmp_path / "interrupted"
    config = prepare_demo(outdir, overwrite=False)
    for signum, code, after in ((signal.SIGTERM, 143, "done  align"), (signal.SIGINT, 130, "done")):
        run = start_run_until(config, after)
        run.send_signal(signum)
        stdout, stderr = run.communicate(timeout=120)
        logs = sorted((outdir / "logs").glob("labpipe-run-*.log"))
        assert run.returncode == code, stdout + stderr + logs[-1].read_text()[-3000:]
        assert "labpipe: interrupted; run the same command again to resume" in stderr
        assert "Traceback" not in stderr
        # Snakemake, which holds the run lock while it lives, has stopped with labpipe.
        assert lock_is_free(outdir)
        assert not (outdir / "results" / "run_manifest.json").exists()

    resumed = subprocess.run(
        [*LABPIPE, "run", str(config), "--cores", "2"], capture_output=True, text=True, check=False
    )
    assert resumed.returncode == 0, resumed.stdout[-2000:] + resumed.stderr[-2000:]
    steps = [line for line in resumed.stdout.splitlines() if line.startswith("[")]
    done, total = steps[-1].split("]")[0].strip("[ ").split("/")
    assert done == total
    assert "PK001   PASS" in resumed.stdout
    assert (outdir / "results" / "run_manifest.json").exists()


def test_sigterm_stops_a_run_started_in_the_background(tmp_path: Path) -> None:
    """`labpipe run … &` from a script starts with SIGINT ignored; SIGTERM must still stop
    Snakemake (labpipe passes the stop on as SIGINT), not let it finish the run unseen
    after labpipe said "interrupted"."""
    config = prepare_demo(tmp_path / "background", overwrite=False)
    run = start_run_until(config, "done  align", ignore_sigint=True)
    started = time.monotonic()
    run.send_signal(signal.SIGTERM)
    _, stderr = run.communicate(timeout=120)
    assert run.returncode == 143 and "labpipe: interrupted" in stderr
    assert time.monotonic() - started < 30  # stopped, not killed after the minute's grace
    assert lock_is_free(tmp_path / "background")
    assert not (tmp_path / "background" / "results" / "run_manifest.json").exists()
