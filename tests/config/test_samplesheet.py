"""Sample sheets: every problem found with its line, names safe for paths and shells."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from labpipe.config.samplesheet import load_sample_sheet, platform_warnings
from labpipe.core.errors import SampleSheetError

HEADER = "sample\tunit\tfq1\tfq2\tplatform\tlibrary\n"


def fastq(path: Path, name: str) -> Path:
    with gzip.open(path, "wt") as handle:
        handle.write(f"{name}\nACGT\n+\nIIII\n")
    return path


def sheet(tmp_path: Path, rows: list[str], header: str = HEADER) -> Path:
    path = tmp_path / "samples.tsv"
    path.write_text(header + "".join(r + "\n" for r in rows))
    return path


@pytest.fixture
def reads(tmp_path: Path) -> Path:
    fastq(
        tmp_path / "a_R1.fastq.gz", "@A00123:8:H7KJ2DSXY:2:1101:1000:1000 1:N:0:ACGTACGT+TTGACCAA"
    )
    fastq(
        tmp_path / "a_R2.fastq.gz", "@A00123:8:H7KJ2DSXY:2:1101:1000:1000 2:N:0:ACGTACGT+TTGACCAA"
    )
    fastq(tmp_path / "b_1.fq.gz", "@V350012345L2C001R0010000001/1")
    fastq(tmp_path / "b_2.fq.gz", "@V350012345L2C001R0010000001/2")
    return tmp_path


def test_valid_sheet_builds_complete_read_groups(reads: Path) -> None:
    units = load_sample_sheet(
        sheet(
            reads,
            [
                "S1\tL002\ta_R1.fastq.gz\ta_R2.fastq.gz\tILLUMINA\tlibA",
                "S2\tL2\tb_1.fq.gz\tb_2.fq.gz\tdnbseq\t",
            ],
        )
    )
    assert [u.read_group() for u in units] == [
        "@RG\\tID:S1.L002\\tSM:S1\\tLB:libA\\tPL:ILLUMINA\\tPU:H7KJ2DSXY.2.ACGTACGT+TTGACCAA",
        "@RG\\tID:S2.L2\\tSM:S2\\tLB:S2\\tPL:DNBSEQ\\tPU:V350012345.2",
    ]
    assert units[0].fq1 == reads / "a_R1.fastq.gz"


def test_sample_name_with_space_or_shell_characters(reads: Path) -> None:
    path = sheet(
        reads,
        [
            "S 1\tL1\ta_R1.fastq.gz\ta_R2.fastq.gz\tILLUMINA\t",
            "S2;rm\tL1\tb_1.fq.gz\tb_2.fq.gz\tDNBSEQ\t",
        ],
    )
    with pytest.raises(SampleSheetError) as err:
        load_sample_sheet(path)
    assert err.value.problems == [
        "line 2: sample name 'S 1' may only contain letters, digits, '-', '_' and '.'"
        " (and must not start with '-', '_' or '.'); rename it",
        "line 3: sample name 'S2;rm' may only contain letters, digits, '-', '_' and '.'"
        " (and must not start with '-', '_' or '.'); rename it",
    ]


def test_duplicate_unit_and_reused_file(reads: Path) -> None:
    path = sheet(
        reads,
        [
            "S1\tL1\ta_R1.fastq.gz\ta_R2.fastq.gz\tILLUMINA\t",
            "S1\tL1\ta_R1.fastq.gz\tb_2.fq.gz\tILLUMINA\t",
        ],
    )
    with pytest.raises(SampleSheetError) as err:
        load_sample_sheet(path)
    assert "line 3: sample 'S1' unit 'L1' appears more than once" in err.value.render()
    assert "line 3: fq1 a_R1.fastq.gz is already used on line 2" in err.value.render()


def test_r1_without_r2_and_missing_file(reads: Path) -> None:
    path = sheet(
        reads,
        [
            "S1\tL1\ta_R1.fastq.gz\t\tILLUMINA\t",
            "S2\tL1\tmissing_1.fq.gz\tb_2.fq.gz\tDNBSEQ\t",
        ],
    )
    with pytest.raises(SampleSheetError) as err:
        load_sample_sheet(path)
    assert err.value.problems[0] == (
        "line 2: sample 'S1' has fq1 but no fq2; labpipe needs paired-end reads: add the R2 file"
    )
    assert err.value.problems[1].startswith(
        "line 3: fq1 missing_1.fq.gz does not exist (looked for"
    )


def test_platform_typo_suggests_the_right_one(reads: Path) -> None:
    path = sheet(reads, ["S1\tL1\ta_R1.fastq.gz\ta_R2.fastq.gz\tilumina\t"])
    with pytest.raises(SampleSheetError) as err:
        load_sample_sheet(path)
    assert err.value.problems == [
        "line 2: platform 'ilumina' is not one of ILLUMINA, DNBSEQ (did you mean ILLUMINA?)"
    ]


def test_header_problems(reads: Path) -> None:
    path = sheet(reads, ["S1\tL1\ta_R1.fastq.gz"], header="sample\tunit\tfq1\tread2\n")
    with pytest.raises(SampleSheetError) as err:
        load_sample_sheet(path)
    assert err.value.problems[0] == "line 1: missing column 'fq2'"
    assert err.value.problems[1].startswith(
        "line 1: unknown column 'read2'; known columns: sample, unit, fq1, fq2, platform,"
        " library, sex, family, father, mother, affected, patient_id"
    )
    assert len(err.value.problems) == 2


def test_patient_columns_are_read_per_sample(reads: Path) -> None:
    from labpipe.config.samplesheet import patient_fields

    header = "sample\tunit\tfq1\tfq2\tpatient_id\tspecimen_type\n"
    lane1 = "S1\tL1\ta_R1.fastq.gz\ta_R2.fastq.gz\tMRN-1\tBlood"
    path = sheet(reads, [lane1, "S1\tL2\tb_1.fq.gz\tb_2.fq.gz\t\tBlood"], header)
    load_sample_sheet(path)  # the patient columns are known ones
    assert patient_fields(path) == {"S1": {"patient_id": "MRN-1", "specimen_type": "Blood"}}
    path = sheet(reads, [lane1, "S1\tL2\tb_1.fq.gz\tb_2.fq.gz\t\tSaliva"], header)
    disagreement = [
        "line 3: specimen_type 'Saliva' differs from 'Blood' on line 2 for the same sample; "
        "give one value"
    ]
    with pytest.raises(SampleSheetError) as err:
        patient_fields(path)
    assert err.value.problems == disagreement
    # Validation (which reads the sheet with load_sample_sheet) names it before a run starts,
    # not the report step of every sample at the end.
    with pytest.raises(SampleSheetError) as err:
        load_sample_sheet(path)
    assert err.value.problems == disagreement


def test_wrong_column_count_and_empty_sheet(reads: Path, tmp_path: Path) -> None:
    path = sheet(reads, ["S1 L1 a_R1.fastq.gz a_R2.fastq.gz"])
    with pytest.raises(SampleSheetError) as err:
        load_sample_sheet(path)
    assert err.value.problems == [
        "line 2: 1 columns, the header has 6 (columns must be separated by tabs)"
    ]
    empty = tmp_path / "empty.tsv"
    empty.write_text("")
    with pytest.raises(SampleSheetError, match="the sample sheet is empty"):
        load_sample_sheet(empty)
    with pytest.raises(SampleSheetError, match="does not exist"):
        load_sample_sheet(tmp_path / "absent.tsv")


def test_platform_detected_from_reads_and_sheet_wins_with_warning(reads: Path) -> None:
    fastq(reads / "V350012345_L02_BC07_1.fq.gz", "@V350012345L2C001R0010000001/1")
    fastq(reads / "V350012345_L02_BC07_2.fq.gz", "@V350012345L2C001R0010000001/2")
    units = load_sample_sheet(
        sheet(
            reads,
            [
                "S1\tL1\ta_R1.fastq.gz\ta_R2.fastq.gz\t\t",
                "S2\tL2\tV350012345_L02_BC07_1.fq.gz\tV350012345_L02_BC07_2.fq.gz\t\t",
                "S3\tL2\tb_1.fq.gz\tb_2.fq.gz\tILLUMINA\t",
            ],
        ),
        default_platform="DNBSEQ",
    )
    assert [u.platform for u in units] == ["ILLUMINA", "DNBSEQ", "ILLUMINA"]
    assert units[1].platform_unit == "V350012345.2.BC07"
    assert units[2].platform_unit == "V350012345.2"
    assert platform_warnings(units) == [
        "line 4: sample 'S3' unit 'L2': the sheet says ILLUMINA but the read names in b_1.fq.gz"
        " look like DNBSEQ; using ILLUMINA (the sheet wins — correct it if it is wrong)"
    ]


def test_sex_column_accepts_the_spellings_and_checks_every_lane(reads: Path) -> None:
    header = "sample\tunit\tfq1\tfq2\tsex\n"
    path = sheet(
        reads,
        ["S1\tL1\ta_R1.fastq.gz\ta_R2.fastq.gz\tM", "S2\tL1\tb_1.fq.gz\tb_2.fq.gz\t"],
        header=header,
    )
    assert [u.sex for u in load_sample_sheet(path)] == ["male", "unknown"]
    path = sheet(
        reads,
        ["S1\tL1\ta_R1.fastq.gz\ta_R2.fastq.gz\tFemale", "S1\tL2\tb_1.fq.gz\tb_2.fq.gz\tmale"],
        header=header,
    )
    with pytest.raises(SampleSheetError) as err:
        load_sample_sheet(path)
    assert err.value.problems == [
        "line 3: sample 'S1' is male here but female on line 2;"
        " give every line of a sample the same sex"
    ]
    path = sheet(reads, ["S1\tL1\ta_R1.fastq.gz\ta_R2.fastq.gz\tboy"], header=header)
    with pytest.raises(SampleSheetError) as err:
        load_sample_sheet(path)
    assert err.value.problems == ["line 2: sex 'boy' is not one of male, female, unknown (or M, F)"]


def test_file_named_for_one_platform_holding_the_others_reads_warns(reads: Path) -> None:
    illumina_name = "@A00123:8:H7KJ2DSXY:2:1101:1000:1000 1:N:0:ACGTACGT"
    fastq(reads / "V350012345_L02_BC07_1.fq.gz", illumina_name)
    fastq(reads / "V350012345_L02_BC07_2.fq.gz", illumina_name.replace(" 1:", " 2:"))
    fastq(reads / "P2_S2_L001_R1_001.fastq.gz", "@V350012345L2C001R0010000001/1")
    fastq(reads / "P2_S2_L001_R2_001.fastq.gz", "@V350012345L2C001R0010000001/2")
    units = load_sample_sheet(
        sheet(
            reads,
            [
                "S1\tL1\tV350012345_L02_BC07_1.fq.gz\tV350012345_L02_BC07_2.fq.gz\t\t",
                "S2\tL1\tP2_S2_L001_R1_001.fastq.gz\tP2_S2_L001_R2_001.fastq.gz\tDNBSEQ\t",
            ],
        )
    )
    assert platform_warnings(units) == [
        "line 2: sample 'S1' unit 'L1': V350012345_L02_BC07_1.fq.gz is named like an MGI file"
        " but holds Illumina-style read names; trimming uses the ILLUMINA adapters (the unit's"
        " platform): check the files were not renamed or mixed up",
        "line 3: sample 'S2' unit 'L1': P2_S2_L001_R1_001.fastq.gz is named like an Illumina file"
        " but holds DNBSEQ-style read names; trimming uses the DNBSEQ adapters (the unit's"
        " platform): check the files were not renamed or mixed up",
    ]
