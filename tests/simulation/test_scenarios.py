"""``labpipe simulate --scenario``: the choices, the answer key's facts against the planted
truth, students' data sets (tests/simulation/test_scenarios_e2e.py runs them through labpipe)."""

from __future__ import annotations

import json
from pathlib import Path

import pysam
import pytest

from labpipe.core.errors import UsageError
from labpipe.simulation.answer_key import KEY_JSON
from labpipe.simulation.demo_variants import CODING_PLAN
from labpipe.simulation.scenario_names import CONSEQUENCES
from labpipe.simulation.scenarios import ScenarioRequest, write_scenario
from tests.builders import run_cli


def files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_the_consequences_offered_are_the_ones_the_planter_builds() -> None:
    assert set(CONSEQUENCES) == {kind for kind, _ in CODING_PLAN}


@pytest.mark.parametrize(
    ("gene", "consequence", "zygosity", "genotype"),
    [("LPG3", "stop_gained", "het", [0, 1]), ("LPG6", "missense", "hom", [1, 1])],
)
def test_the_key_names_the_chosen_variant_as_planted_in_the_truth(
    tmp_path: Path, gene: str, consequence: str, zygosity: str, genotype: list[int]
) -> None:
    request = ScenarioRequest(
        "pathogenic-variant", tmp_path / "ex", gene=gene, consequence=consequence,
        zygosity=zygosity, seed=5,
    )  # fmt: skip
    (exercise,) = write_scenario(request)
    key = json.loads(exercise.key_files[0].read_text())
    (sample,) = key["samples"]
    planted = [v for v in sample["variants"] if v["role"] == "planted"]
    assert len(planted) == 1
    v = planted[0]
    zygosity_word = "het" if zygosity == "het" else "hom_alt"
    assert (v["gene"], v["consequence"], v["zygosity"]) == (gene, consequence, zygosity_word)
    # Absent from ClinVar and the population file, in the panel: tier 2 (even a missense of a
    # kind the background has as common).
    assert (v["tier"], v["tier_reason"]) == (2, f"rare {consequence} in panel gene")
    assert v["hgvs_p"].endswith("Ter") == (consequence == "stop_gained")
    with pysam.VariantFile(str(tmp_path / "ex" / "instructor" / "truth" / "P001.vcf.gz")) as vcf:
        truth = {(r.chrom, r.pos, r.ref, r.alts[0]): r.samples[0]["GT"] for r in vcf}  # type: ignore[index]
    assert sorted(truth[(v["chrom"], v["pos"], v["ref"], v["alt"])]) == genotype
    assert len(truth) == len(sample["variants"])
    # Background: common missense and synonymous, all tier 4.
    assert {w["tier"] for w in sample["variants"] if w["role"] != "planted"} == {4}
    markdown = exercise.key_files[1].read_text()
    assert "INSTRUCTOR ONLY" in markdown and f"rare {consequence} in panel gene" in markdown
    # The exercise itself says nothing of the answer.
    handed_out = [p for p in files(tmp_path / "ex") if not p.startswith("instructor/")]
    assert not [p for p in handed_out if "answer" in p or "truth" in p]
    assert consequence not in (tmp_path / "ex" / "config.yaml").read_text()


def test_unknown_choices_are_one_error_listing_the_choices(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run_cli(
        ["simulate", "--scenario", "pathogenic-variant", "--outdir", str(tmp_path / "x"),
         "--gene", "BRCA1", "--consequence", "frameshft", "--zygosity", "homo"],
        capsys,
    )  # fmt: skip
    assert code == 2
    assert "--gene: unknown gene 'BRCA1'; choose one of the genes: LPG1, LPG2" in err
    assert "did you mean 'frameshift'? (choices: frameshift, stop_gained, missense" in err
    assert "--zygosity: unknown zygosity 'homo'; did you mean 'hom'? (choices: het, hom)" in err
    assert not (tmp_path / "x").exists()


def test_choices_and_data_set_options_belong_to_their_forms(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(UsageError) as raised:
        write_scenario(ScenarioRequest("low-depth", tmp_path / "a", gene="LPG1"))
    assert raised.value.problems == ["--gene goes only with --scenario pathogenic-variant"]
    code, _, err = run_cli(
        ["simulate", "--scenario", "low-depth", "--outdir", str(tmp_path / "b"), "--depth", "5"],
        capsys,
    )
    assert code == 2 and "--scenario makes its own data: leave out --depth" in err


def test_students_get_their_own_data_and_keys(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["simulate", "--scenario", "high-duplicates", "--students", "2", "--seed", "11"]
    code, out, _ = run_cli([*args, "--outdir", str(tmp_path / "class")], capsys)
    assert code == 0
    assert f"next: labpipe run {tmp_path / 'class' / 'student01' / 'config.yaml'}" in out
    one, two = (files(tmp_path / "class" / f"student0{k}") for k in (1, 2))
    assert set(one) == set(two) and not [p for p in one if "answer" in p or "truth" in p]
    assert one["reference.fa"] == two["reference.fa"]  # the same genes for the whole class
    fastq = "reads/V350012345_L01_P001_1.fq.gz"
    assert one[fastq] != two[fastq]
    instructor = tmp_path / "class" / "instructor"
    keys = [json.loads((instructor / f"student0{k}" / KEY_JSON).read_text()) for k in (1, 2)]
    assert [k["seed"] for k in keys] == [11, 12]
    assert [k["exercise"] for k in keys] == ["../../student01", "../../student02"]
    assert all(k["samples"][0]["qc_reasons"] == {"Duplicates": "(fail)"} for k in keys)
    # Reproducible: the same seed gives the same bytes.
    assert run_cli([*args, "--outdir", str(tmp_path / "again")], capsys)[0] == 0
    assert files(tmp_path / "again") == files(tmp_path / "class")
