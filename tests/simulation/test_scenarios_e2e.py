"""Every ``labpipe simulate --scenario`` exercise run through labpipe (real tools), its
answer key checked against what labpipe's outputs say.

The key is written from the planted truth (labpipe.simulation.scenarios); here the
validate message, each sample's QC verdict and reasons (``<sample>.summary.json``) and the
variant table (tier, zygosity, consequence) must say what it says. About 15-25 s a
scenario on 2 cores (the two validate-only ones: a second).
"""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from labpipe.core import layout
from labpipe.simulation.scenario_names import SCENARIOS

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(shutil.which("bwa") is None, reason="needs the pipeline's tools"),
]


def labpipe(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "labpipe.cli", *args], capture_output=True, text=True, check=False
    )


def table(path: Path) -> dict[tuple[str, int, str, str], dict[str, str]]:
    with path.open() as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    return {(r["chrom"], int(r["pos"]), r["ref"], r["alt"]): r for r in rows}


def check_sample(outdir: Path, expected: dict[str, Any]) -> None:
    sample = expected["sample"]
    summary = json.loads(layout.in_outdir(outdir, layout.REPORT_SUMMARY, sample=sample).read_text())
    assert (summary["qc_verdict"], summary["status"]) == (
        expected["qc_verdict"],
        expected["status"],
    ), (sample, summary["qc_reasons"])
    # Every failing or warning check is in the key, and every one in the key is reported.
    failing = {
        metric: reason
        for reason in summary["qc_reasons"]
        for metric in expected["qc_reasons"]
        if reason.startswith(metric + " ")
    }
    assert set(failing) == set(expected["qc_reasons"]), (sample, summary["qc_reasons"])
    assert len(summary["qc_reasons"]) == len(failing), (sample, summary["qc_reasons"])
    for metric, words in expected["qc_reasons"].items():
        assert words in failing[metric], (sample, failing[metric])
    if not expected["variants"]:
        return
    rows = table(layout.in_outdir(outdir, layout.VARIANTS_TSV, sample=sample))
    passing = {key for key, row in rows.items() if row["filter"] == "PASS"}
    planted = {(v["chrom"], v["pos"], v["ref"], v["alt"]): v for v in expected["variants"]}
    assert passing == set(planted), (sample, sorted(passing ^ set(planted)))
    for key, want in planted.items():
        row = rows[key]
        assert want["consequence"] in row["consequence"].split("&"), (key, row["consequence"])
        got = (row["gene"], row["zygosity"], int(row["tier"]), row["tier_reason"])
        assert got == (want["gene"], want["zygosity"], want["tier"], want["tier_reason"]), key
        assert row["hgvs_p"] == want["hgvs_p"], key


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_the_answer_key_matches_what_labpipe_reports(scenario: str, tmp_path: Path) -> None:
    folder = tmp_path / scenario
    made = labpipe("simulate", "--scenario", scenario, "--outdir", str(folder))
    assert made.returncode == 0, made.stderr
    key = json.loads((folder / "instructor" / "answer_key.json").read_text())
    config = folder / "config.yaml"
    assert f"next: labpipe {'validate' if key['validate_error'] else 'run'} {config}" in made.stdout
    checked = labpipe("validate", str(config))
    if key["validate_error"]:
        assert checked.returncode != 0
        for phrase in key["validate_error"]:
            assert phrase in checked.stderr, (phrase, checked.stderr)
        return
    assert checked.returncode == 0, checked.stderr
    run = labpipe("run", str(config), "--cores", "2")
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert key["samples"]
    for expected in key["samples"]:
        check_sample(folder / "labpipe-output", expected)
