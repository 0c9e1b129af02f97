"""After a finished run, a changed config reruns only the steps it affects.

One real demo run, then dry runs of `labpipe run -n` with the config edited in
place: a QC threshold and a tier rule must not schedule alignment, duplicate
marking or calling (the VCF header records only the calling config's hash); a
calling parameter must re-call (and not re-align); the same config under another
file name must rerun nothing.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pysam
import pytest
import yaml

from labpipe.config.settings import load_config, stage_config_sha256
from labpipe.demo import prepare_demo
from labpipe.run.runner import dry_run_line
from tests.builders import LABPIPE

pytestmark = pytest.mark.e2e

ALIGNMENT = {"reference_bwa_index", "align", "markdup"}
CALLING = {"provenance_header", "call_chunk", "indel_second_opinion", "call_variants"}


def planned_jobs(config: Path) -> dict[str, int]:
    """Rule -> jobs a dry run schedules, from Snakemake's job table (`rule all` left out)."""
    result = subprocess.run(
        [*LABPIPE, "run", str(config), "--dry-run"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    table = result.stdout.partition("Job stats:")[2].split("\ntotal")[0]
    jobs = {m[1]: int(m[2]) for m in re.finditer(r"^(\w+)\s+(\d+)$", table, re.MULTILINE)}
    jobs.pop("all", None)
    assert dry_run_line(sum(jobs.values())) in result.stdout
    return jobs


def test_report_settings_do_not_recall_but_calling_settings_do(tmp_path: Path) -> None:
    outdir = tmp_path / "run"
    config = prepare_demo(outdir, overwrite=False)
    done = subprocess.run(
        [*LABPIPE, "run", str(config), "--cores", "2"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    original = config.read_text()
    assert planned_jobs(config) == {}
    # The same config under another name is the same analysis.
    renamed = config.with_name("copy of the config.yaml")
    renamed.write_text(original)
    assert planned_jobs(renamed) == {}
    # A report removed after the run is rebuilt (and the manifest that lists it), nothing else.
    html = outdir / "results" / "report" / "PK001.html"
    html.rename(html.with_suffix(".kept"))
    rebuilt = {"sample_report": 1, "report_index": 1, "input_checksums": 1, "manifest": 1}
    assert planned_jobs(config) == rebuilt
    html.with_suffix(".kept").rename(html)

    # A QC threshold and a tier rule: reports and annotation rerun, nothing upstream.
    data = yaml.safe_load(original)
    data["qc"] = {**data.get("qc", {}), "min_reads": 1000}
    data["annotation"]["tiers"] = {"max_af": 0.002}
    config.write_text(yaml.safe_dump(data))
    jobs = planned_jobs(config)
    assert not (ALIGNMENT | CALLING) & set(jobs), jobs
    assert jobs["annotate"] == 2 and jobs["sample_report"] == 2 and jobs["multiqc"] == 1

    # The VCF header stays true: it names the calling config, which did not change.
    header = str(pysam.VariantFile(str(outdir / "results" / "vcf" / "PK001.vcf.gz")).header)
    calling = stage_config_sha256(load_config(config), "calling")
    assert f"##labpipe_calling_config_sha256={calling}" in header

    # A calling parameter: every sample is called again, from the existing BAMs.
    data = yaml.safe_load(original)
    data["calling"] = {**data.get("calling", {}), "min_baseq": 20}
    config.write_text(yaml.safe_dump(data))
    jobs = planned_jobs(config)
    assert not ALIGNMENT & set(jobs), jobs
    assert jobs["call_chunk"] >= 2 and jobs["call_variants"] == 2 and jobs["provenance_header"] == 1
