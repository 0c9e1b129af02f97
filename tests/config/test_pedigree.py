"""The pedigree: its model, and reading and checking it from the sheet and a PED file."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from labpipe.config.pedigree import Member, Pedigree, pedigree_sexes
from labpipe.config.pedigree_reader import load_pedigree
from labpipe.config.samplesheet import Unit, load_sample_sheet
from labpipe.core.errors import SampleSheetError
from tests.builders import one_read_fastq, run_cli


def test_trios_need_both_parents_sequenced() -> None:
    pedigree = Pedigree(
        (
            Member("F1", "FAM1", sex="male", affected=False),
            Member("M1", "FAM1", sex="female", affected=False),
            Member("C1", "FAM1", father="F1", mother="M1", sex="male", affected=True),
            Member("C2", "FAM1", father="F1", mother="M1", sex="female", affected=False),
            Member("F2", "FAM2", sex="male", sequenced=False),
            Member("C3", "FAM2", father="F2", sex="female", affected=True),
        )
    )
    assert [trio.child.sample for trio in pedigree.trios()] == ["C1", "C2"]
    assert pedigree.trios()[0].father.is_male and pedigree.trios()[0].mother.is_female
    assert pedigree.sequenced_family_members("FAM2") == ("C3",)
    assert pedigree.is_family_sample("C1")
    assert not pedigree.is_family_sample("C3")  # alone with reads in its family
    assert not pedigree.is_family_sample("PK001")  # not declared: a singleton
    assert pedigree.parents("C3")[0] is not None and pedigree.parents("C3")[1] is None
    assert list(pedigree.families()) == ["FAM1", "FAM2"]


# ---- Reading and checking: load_pedigree


def unit(sample: str, line: int, sex: str = "unknown", **family: str) -> Unit:
    """A sample sheet unit as load_sample_sheet makes it (only the pedigree reads these)."""
    return Unit(
        sample,
        "L1",
        Path(f"/reads/{sample}_1.fq.gz"),
        Path(f"/reads/{sample}_2.fq.gz"),
        "ILLUMINA",
        sample,
        f"{sample}.L1",
        line,
        sex=sex,
        **family,
    )


TRIO_UNITS = [
    unit("C1", 2, "female", family="FAM1", father="F1", mother="M1", affected="yes"),
    unit("F1", 3, "male", family="FAM1", father="0", mother="0", affected="no"),
    unit("M1", 4, "female", family="FAM1", affected="unknown"),
    unit("S9", 5, "male"),
]
TRIO_PED = (
    "# family individual father mother sex phenotype\n"
    "FAM1\tC1\tF1\tM1\t2\t2\n"
    "FAM1 F1 0 0 1 1\n"
    "FAM1\tM1\t0\t0\t2\t0\n"
)


def problems(units: list[Unit], ped: Path | None = None) -> list[str]:
    with pytest.raises(SampleSheetError) as error:
        load_pedigree(units, Path("/batch/samples.tsv"), ped)
    return error.value.problems


def test_sheet_and_ped_give_the_same_pedigree(tmp_path: Path) -> None:
    ped = tmp_path / "batch.ped"
    ped.write_text(TRIO_PED)
    plain = [unit(u.sample, u.line, u.sex) for u in TRIO_UNITS]
    from_sheet = load_pedigree(TRIO_UNITS, Path("samples.tsv"))
    from_ped = load_pedigree(plain, Path("samples.tsv"), ped)
    drop_lines = [replace(m, line=0) for m in from_sheet.members]
    assert drop_lines == [replace(m, line=0) for m in from_ped.members]
    assert from_sheet.member("C1") == Member(
        "C1", "FAM1", father="F1", mother="M1", sex="female", affected=True, line=2
    )
    assert from_ped.member("F1") == Member("F1", "FAM1", sex="male", affected=False, line=3)
    assert [t.child.sample for t in from_ped.trios()] == ["C1"]
    assert not from_ped.is_family_sample("S9")
    # Both at once, agreeing, is the same pedigree too.
    both = load_pedigree(TRIO_UNITS, Path("samples.tsv"), ped)
    assert [replace(m, line=0) for m in both.members] == drop_lines
    # The sheet naming only the family leaves the parents and status to the PED file.
    family_only = [unit(u.sample, u.line, u.sex, family="FAM1") for u in TRIO_UNITS[:3]]
    leaves = load_pedigree([*family_only, TRIO_UNITS[3]], Path("samples.tsv"), ped)
    assert [replace(m, line=0) for m in leaves.members] == drop_lines
    assert both.summary(["C1", "F1", "M1", "S9"]) == (
        "1 family: FAM1 (3 sequenced of 3); 1 called jointly, 1 trio(s); 1 sample(s) called alone"
    )


def test_no_family_columns_is_an_empty_pedigree() -> None:
    pedigree = load_pedigree([unit("S1", 2), unit("S2", 3)], Path("samples.tsv"))
    assert pedigree == Pedigree()


def test_a_ped_line_without_reads_is_a_parent_not_sequenced(tmp_path: Path) -> None:
    ped = tmp_path / "batch.ped"
    ped.write_text("FAM1 C1 F1 M1 2 2\nFAM1 F1 0 0 1 1\nFAM1 M1 0 0 2 1\n")
    pedigree = load_pedigree([unit("C1", 2), unit("M1", 3)], Path("samples.tsv"), ped)
    father = pedigree.member("F1")
    assert father is not None and not father.sequenced and father.is_male
    assert pedigree.sequenced_family_members("FAM1") == ("C1", "M1")
    assert pedigree.trios() == []
    assert pedigree.joint_families(["C1", "M1", "S9"]) == {"FAM1": ("C1", "M1")}
    assert pedigree.joint_families(["C1"]) == {}  # M1 without a result: C1 is called alone
    # The PED file's sex fills in a sample the sheet gives none.
    assert pedigree_sexes([unit("C1", 2), unit("M1", 3)], pedigree) == {
        "C1": "female",
        "M1": "female",
    }


def test_a_parent_named_in_the_sheet_must_be_a_sample_or_zero() -> None:
    found = problems([unit("C1", 2, family="FAM1", father="DAD", mother="0")])
    assert found == [
        "samples.tsv line 2: father 'DAD' of 'C1' is not a sample of the sheet nor a line of "
        "the PED file; write 0 if the parent was not sequenced, or give them a line of their "
        "own in a PED file (config 'pedigree:')"
    ]
    in_no_family = problems([unit("C1", 2, family="FAM1", mother="M1"), unit("M1", 3)])
    assert in_no_family == [
        "samples.tsv line 2: mother 'M1' of 'C1' is a sample of the sheet in no family; "
        "give it family 'FAM1'"
    ]


def test_parents_of_the_wrong_sex_and_other_families() -> None:
    found = problems(
        [
            unit("C1", 2, family="FAM1", father="M1", mother="F1"),
            unit("F1", 3, "male", family="FAM1"),
            unit("M1", 4, "female", family="FAM2"),
        ]
    )
    assert found == [
        "samples.tsv line 2: father 'M1' of 'C1' is in family 'FAM2' (samples.tsv line 4), not "
        "'FAM1'; a parent is in the child's family",
        "samples.tsv line 2: father 'M1' of 'C1' is female (samples.tsv line 4); a father is "
        "male: correct the sex or swap father and mother",
        "samples.tsv line 2: mother 'F1' of 'C1' is male (samples.tsv line 3); a mother is "
        "female: correct the sex or swap father and mother",
    ]


def test_cycles_are_found_once_each() -> None:
    found = problems(
        [
            unit("A", 2, "male", family="F", father="B"),
            unit("B", 3, "male", family="F", father="A"),
            unit("C", 4, "female", family="F", mother="C"),
        ]
    )
    assert found == [
        "samples.tsv line 2: 'A' is their own ancestor (A -> B -> A, each a child of the next); "
        "correct the father/mother columns",
        "samples.tsv line 4: 'C' is their own ancestor (C -> C, each a child of the next); "
        "correct the father/mother columns",
    ]


def test_sheet_values_and_names_are_checked_all_at_once() -> None:
    found = problems(
        [
            unit("C1", 2, family="FAM 1", affected="maybe"),
            unit("C2", 3, father="F1", affected="yes"),
            unit("C3", 4, family="FAM2", mother="x;rm"),
            unit("C4", 5, family="FAM2", father="P", mother="P"),
            unit("P", 6, family="FAM2"),
        ]
    )
    assert found == [
        "samples.tsv line 2: family 'FAM 1' may only contain letters, digits, '-', '_' and '.' "
        "(and must not start with '-', '_' or '.'); rename it",
        "samples.tsv line 2: affected 'maybe' is not one of yes, no, unknown (or PED's 2, 1, 0, "
        "-9)",
        "samples.tsv line 3: sample 'C2' has father but no family; give its family in the "
        "'family' column",
        "samples.tsv line 4: mother 'x;rm' may only contain letters, digits, '-', '_' and '.' "
        "(and must not start with '-', '_' or '.'); rename it",
        "samples.tsv line 5: 'C4' has 'P' as both father and mother",
    ]


def test_ped_file_problems_with_their_lines(tmp_path: Path) -> None:
    ped = tmp_path / "batch.ped"
    ped.write_text(
        "FAM1 C1 F1 M1 2 2\n"  # 1
        "FAM1 F1 0 0 3 1\n"  # 2: sex 3
        "FAM1 M1 0 0 2 x\n"  # 3: phenotype x
        "FAM2 C1 0 0 2 2\n"  # 4: C1 again
        "FAM3 X1 0 0 1\n"  # 5: five columns
        "FAM4 Y1 0 0 1 1\n"  # 6: nobody sequenced
    )
    found = problems([unit("C1", 2, "male")], ped)
    assert found == [
        "batch.ped line 2: sex '3' is not one of 1 (male), 2 (female), 0",
        "batch.ped line 3: phenotype 'x' is not one of 2 (affected), 1 (unaffected), 0 or -9 "
        "(unknown)",
        "batch.ped line 4: 'C1' is already on line 1 (family 'FAM1'); a person is in one "
        "family, on one line",
        "batch.ped line 5: 5 columns; a PED line has 6: family, individual, father, mother, sex "
        "(1/2/0), phenotype (2/1/0/-9)",
        "batch.ped line 6: no individual of family 'FAM4' is a sample of the sample sheet; check "
        "the names, or remove the family from the PED file",
        "batch.ped line 1: 'C1' is female here but male in the sample sheet samples.tsv; give "
        "one sex",
    ]


def test_sheet_and_ped_must_agree(tmp_path: Path) -> None:
    ped = tmp_path / "batch.ped"
    ped.write_text(TRIO_PED.replace("FAM1\tC1\tF1\tM1\t2\t2", "FAM1\tC1\tF1\t0\t2\t1"))
    units = [*TRIO_UNITS, unit("S8", 6, family="FAM8")]
    assert problems(units, ped) == [
        "samples.tsv line 2: mother of 'C1' is 'M1' here but not given in batch.ped line 2; "
        "give one value",
        "samples.tsv line 2: affected of 'C1' is yes here but no in batch.ped line 2; give one "
        "value",
        "samples.tsv line 6: sample 'S8' is in family 'FAM8' in the sheet but has no line in "
        "the PED file batch.ped; add it there",
    ]


def test_units_of_one_sample_must_name_one_family(tmp_path: Path) -> None:
    for name in ("r1.fq.gz", "r2.fq.gz", "r3.fq.gz", "r4.fq.gz"):
        one_read_fastq(tmp_path / name, "@r1/1")
    sheet = tmp_path / "samples.tsv"
    sheet.write_text(
        "sample\tunit\tfq1\tfq2\tfamily\taffected\n"
        "C1\tL1\tr1.fq.gz\tr2.fq.gz\tFAM1\tyes\n"
        "C1\tL2\tr3.fq.gz\tr4.fq.gz\tFAM2\tyes\n"
    )
    with pytest.raises(SampleSheetError) as error:
        load_sample_sheet(sheet)
    assert error.value.problems == [
        "line 3: family 'FAM2' differs from 'FAM1' on line 2 for the same sample; give one value"
    ]


def test_validate_prints_the_families_and_names_a_ped_files_problems(
    lab: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sheet = lab / "samples.tsv"
    sheet.write_text(
        "sample\tunit\tfq1\tfq2\tsex\nS1\tL1\tS1_R1.fastq.gz\tS1_R2.fastq.gz\tfemale\n"
    )
    (lab / "family.ped").write_text("FAM1\tS1\tDAD\t0\t2\t2\nFAM1\tDAD\t0\t0\t1\t1\n")
    config = lab / "lab.yaml"
    config.write_text(config.read_text() + "pedigree: family.ped\n")
    code, out, _ = run_cli(["validate", str(config)], capsys)
    assert code == 0
    assert (
        "pedigree: 1 family: FAM1 (1 sequenced of 2); 0 called jointly, 0 trio(s); "
        "1 sample(s) called alone"
    ) in out
    (lab / "family.ped").write_text("FAM1\tS1\tDAD\t0\t1\t2\nFAM1\tDAD\t0\t0\t2\t1\n")
    code, _, err = run_cli(["validate", str(config)], capsys)
    assert code == 2
    assert "family.ped: 2 problem(s) in the pedigree" in err
    assert "family.ped line 1: 'S1' is male here but female in the sample sheet" in err
    assert "father 'DAD' of 'S1' is female (family.ped line 2); a father is male" in err
