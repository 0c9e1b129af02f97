"""Issue 13's "Done when", end to end with the real tools on simulated families.

A consanguineous trio whose mother's sample is 10% contaminated: every planted de novo,
compound-heterozygous, recessive and X-linked variant is found with its model, no other
PASS call of the proband reads de novo, the mother fails QC for contamination (and no one
for relatedness), and the proband's run of homozygosity holds the planted recessive
variant. A second trio whose father's tube holds an unrelated person's DNA is flagged by
relatedness.
"""

from __future__ import annotations

import csv
import json
import subprocess
from pathlib import Path

import pytest

from tests.builders import LABPIPE

pytestmark = pytest.mark.e2e


def simulate(outdir: Path, *options: str) -> Path:
    done = subprocess.run(
        [
            *LABPIPE,
            "simulate",
            "--family",
            "trio",
            "--outdir",
            str(outdir),
            "--seed",
            "1",
            *options,
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    run = subprocess.run(
        [*LABPIPE, "run", str(outdir / "config.yaml"), "--cores", "2"],
        capture_output=True,
        text=True,
        check=False,
    )
    # A sample that fails QC makes no error of the run.
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    return outdir / "run" / "results"


def rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def verdict(results: Path, sample: str) -> dict:
    summary: dict = json.loads((results / "report" / f"{sample}.summary.json").read_text())
    return summary


def test_a_consanguineous_trio_with_a_contaminated_mother(tmp_path: Path) -> None:
    outdir = tmp_path / "fam"
    results = simulate(outdir, "--consanguineous", "--contaminate", "mother:0.10")
    truth = [row for row in rows(outdir / "truth" / "inheritance.tsv") if row["planted"] == "yes"]
    assert {row["model"] for row in truth} == {"de_novo", "comp_het", "hom_recessive", "x_linked"}
    called = {
        (row["chrom"], row["pos"], row["ref"], row["alt"]): row
        for row in rows(results / "variants" / "FAM1-proband.tsv")
    }
    for planted in truth:
        key = (planted["chrom"], planted["pos"], planted["ref"], planted["alt"])
        assert key in called, planted
        assert called[key]["filter"] == "PASS", planted
        assert called[key]["inheritance"] == planted["model"], (planted, called[key])
    planted_de_novo = {
        (r["chrom"], r["pos"], r["ref"], r["alt"]) for r in truth if r["model"] == "de_novo"
    }
    reads_de_novo = {
        key
        for key, row in called.items()
        if row["inheritance"] == "de_novo" and row["filter"] == "PASS"
    }
    assert reads_de_novo == planted_de_novo
    # The planted recessive variant lies in a run of homozygosity of the proband.
    (recessive,) = [r for r in truth if r["model"] == "hom_recessive"]
    key = (recessive["chrom"], recessive["pos"], recessive["ref"], recessive["alt"])
    assert called[key]["roh_segment"].startswith(f"{recessive['chrom']}:")
    # Contamination: the mother fails with the reason; relatedness raises nothing.
    identity = (results / "qc" / "identity" / "identity.json").read_text()
    assert "declared parent not related" not in identity
    mother = json.dumps(verdict(results, "FAM1-mother"))
    assert "contamination estimated" in mother
    assert verdict(results, "FAM1-mother")["qc_verdict"] == "FAIL"
    assert "contamination estimated" not in json.dumps(verdict(results, "FAM1-father"))
    # The trust gap: the proband's labels rest on the mother's failed sample, and both the
    # family page and the proband's report say so where the labels are.
    page = (results / "report" / "family-FAM1.html").read_text()
    top = page.split("<header")[0]
    assert 'mother <bdi class="id">FAM1-mother</bdi>: QC FAIL' in top
    assert "contamination estimated 10.1%" in top
    de_novo = page.split('id="de_novo"')[1].split("</section>")[0]
    rows_shown = de_novo.count("<tr><td")
    assert rows_shown >= 1
    assert de_novo.count("the mother&#39;s sample FAM1-mother, which failed QC") == rows_shown
    assert "rests on the mother&#39;s sample FAM1-mother" in page.split('id="not-checked"')[1]
    proband = (results / "report" / "FAM1-proband.html").read_text()
    assert "rests on the mother&#39;s sample FAM1-mother, which failed QC" in proband
    not_checked = verdict(results, "FAM1-proband")["not_checked"]
    assert any(
        item.startswith("Inheritance (de novo") and "FAM1-mother, which failed QC" in item
        for item in not_checked
    ), not_checked
    # Every member's report says it was called jointly with its family.
    for sample in ("FAM1-father", "FAM1-mother", "FAM1-proband"):
        items = verdict(results, sample)["not_checked"]
        assert any(item.startswith("Called jointly with family FAM1") for item in items), sample
    father = verdict(results, "FAM1-father")["not_checked"]
    assert any("carry no label" in item for item in father), father


def test_a_swapped_father_is_flagged_by_relatedness(tmp_path: Path) -> None:
    results = simulate(tmp_path / "swap", "--swap", "father,unrelated")
    identity = json.loads((results / "qc" / "identity" / "identity.json").read_text())
    assert "declared parent not related" in json.dumps(identity)
    father = json.dumps(verdict(results, "FAM1-father"))
    assert "declared the father of FAM1-proband" in father
    assert "declared the mother" not in json.dumps(identity)
