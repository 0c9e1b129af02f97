"""labpipe init's scan: run folders laid out as sequencers write them, built in each test."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from labpipe.config.lab import LabInfo
from labpipe.config.samplesheet import load_sample_sheet
from labpipe.config.settings import load_config
from labpipe.core.errors import InputFormatError, SampleSheetError, UsageError
from labpipe.inputs.discover.barcodes import load_barcode_table
from labpipe.inputs.discover.discovery import NO_READS, Discovery, FileNote
from labpipe.inputs.discover.init import init_lab, write_sample_sheet
from labpipe.inputs.discover.lab_config import lab_id_from_name, write_lab_config
from labpipe.inputs.discover.names import UNDETERMINED, UNKNOWN_NAME, WHOLE_LANE
from labpipe.inputs.discover.scan import discover_fastqs
from tests.builders import (
    IL_FLOWCELL,
    MGI_FLOWCELL,
    bcl_convert_run,
    dnbseq_read,
    fastq,
    illumina_read,
    mgi_run,
    pair,
    sra_read,
)


def units_of(found: Discovery, base: Path) -> list[tuple[str, str, str, str, str | None]]:
    """(sample, unit, fq1, fq2, platform) with paths relative to base, for short asserts."""
    return [
        (
            u.sample,
            u.unit,
            u.fq1.relative_to(base).as_posix(),
            u.fq2.relative_to(base).as_posix(),
            u.platform,
        )
        for u in found.units
    ]


def notes_of(notes: list[FileNote], base: Path) -> list[tuple[str, str]]:
    return [(n.path.relative_to(base).as_posix(), n.reason) for n in notes]


@pytest.fixture
def reference(tmp_path: Path) -> Path:
    path = tmp_path / "ref" / "genome.fa"
    path.parent.mkdir()
    path.write_text(">chr1\nACGTACGTACGT\n")
    return path


# --- Illumina ---------------------------------------------------------------------------------


def test_bcl_convert_folder(tmp_path: Path) -> None:
    run = bcl_convert_run(tmp_path / "run")
    found = discover_fastqs(run)
    assert units_of(found, run) == [
        (
            "PatientA",
            "L001",
            "PatientA_S1_L001_R1_001.fastq.gz",
            "PatientA_S1_L001_R2_001.fastq.gz",
            "ILLUMINA",
        ),
        (
            "PatientA",
            "L002",
            "PatientA_S1_L002_R1_001.fastq.gz",
            "PatientA_S1_L002_R2_001.fastq.gz",
            "ILLUMINA",
        ),
        (
            "PatientB",
            "L001",
            "PatientB_S2_L001_R1_001.fastq.gz",
            "PatientB_S2_L001_R2_001.fastq.gz",
            "ILLUMINA",
        ),
        (
            "PatientB",
            "L002",
            "PatientB_S2_L002_R1_001.fastq.gz",
            "PatientB_S2_L002_R2_001.fastq.gz",
            "ILLUMINA",
        ),
    ]
    index = "index read (I1): labpipe uses only R1 and R2"
    assert notes_of(found.skipped, run) == [
        ("PatientA_S1_L001_I1_001.fastq.gz", index),
        ("PatientA_S1_L002_I1_001.fastq.gz", index),
        ("Undetermined_S0_L001_R1_001.fastq.gz", UNDETERMINED),
        ("Undetermined_S0_L001_R2_001.fastq.gz", UNDETERMINED),
        ("Undetermined_S0_L002_R1_001.fastq.gz", UNDETERMINED),
        ("Undetermined_S0_L002_R2_001.fastq.gz", UNDETERMINED),
    ]
    assert found.unpaired == [] and found.problems == [] and found.warnings == []
    assert sorted(p.relative_to(run).as_posix() for p in found.ignored) == [
        "._PatientA_S1_L001_R1_001.fastq.gz",
        ".trash",
        "PatientA_S1_L001_R1_001.fastq.gz.md5",
        "Reports/Demultiplex_Stats.csv",
        "SampleSheet.csv",
    ]


def test_lanes_merged_bcl_convert_names_unit_after_flowcell(tmp_path: Path) -> None:
    pair(tmp_path, "S1_S1_R1_001.fastq.gz", "S1_S1_R2_001.fastq.gz", illumina_read(1, 1))
    assert units_of(discover_fastqs(tmp_path), tmp_path) == [
        ("S1", IL_FLOWCELL, "S1_S1_R1_001.fastq.gz", "S1_S1_R2_001.fastq.gz", "ILLUMINA")
    ]


def test_bcl2fastq_chunks_of_one_lane_are_separate_units(tmp_path: Path) -> None:
    pair(
        tmp_path,
        "S1_S1_L001_R1_001.fastq.gz",
        "S1_S1_L001_R2_001.fastq.gz",
        illumina_read(1, 1, x=1),
    )
    pair(
        tmp_path,
        "S1_S1_L001_R1_002.fastq.gz",
        "S1_S1_L001_R2_002.fastq.gz",
        illumina_read(1, 1, x=2),
    )
    assert [u.unit for u in discover_fastqs(tmp_path).units] == ["L001.001", "L001.002"]


def test_one_sample_on_two_flowcells_gets_flowcell_in_unit_names(tmp_path: Path) -> None:
    pair(
        tmp_path / "run1",
        "S1_S1_L001_R1_001.fastq.gz",
        "S1_S1_L001_R2_001.fastq.gz",
        illumina_read(1, 1, "H7KJ2DSXY"),
    )
    pair(
        tmp_path / "run2",
        "S1_S4_L001_R1_001.fastq.gz",
        "S1_S4_L001_R2_001.fastq.gz",
        illumina_read(1, 1, "HCVW3DSX2"),
    )
    found = discover_fastqs(tmp_path)
    assert [(u.sample, u.unit) for u in found.units] == [
        ("S1", "H7KJ2DSXY.L001"),
        ("S1", "HCVW3DSX2.L001"),
    ]
    assert found.warnings == [
        "sample S1: units from 2 flowcells (H7KJ2DSXY, HCVW3DSX2) are analysed as one sample;"
        " check that they are the same sample"
    ]


def test_third_read_is_skipped_with_the_risk_named(tmp_path: Path) -> None:
    pair(tmp_path, "S1_S1_L001_R1_001.fastq.gz", "S1_S1_L001_R2_001.fastq.gz", illumina_read(1, 1))
    fastq(tmp_path / "S1_S1_L001_R3_001.fastq.gz", illumina_read(1, 3))
    found = discover_fastqs(tmp_path)
    assert len(found.units) == 1
    assert notes_of(found.skipped, tmp_path) == [
        (
            "S1_S1_L001_R3_001.fastq.gz",
            "read 3 (R3): labpipe pairs R1 with R2; if this run wrote UMIs or an index as R2,"
            " that pairing is wrong: check the run's read structure",
        )
    ]


# --- MGI / DNBSEQ -----------------------------------------------------------------------------


def test_mgi_folder_without_barcode_table_names_samples_by_flowcell_and_barcode(
    tmp_path: Path,
) -> None:
    root = mgi_run(tmp_path / "mgi")
    found = discover_fastqs(root)
    fc = MGI_FLOWCELL
    assert units_of(found, root) == [
        (
            f"{fc}_bc59",
            "L01",
            f"{fc}/L01/{fc}_L01_59_1.fq.gz",
            f"{fc}/L01/{fc}_L01_59_2.fq.gz",
            "DNBSEQ",
        ),
        (
            f"{fc}_bc59",
            "L02",
            f"{fc}/L02/{fc}_L02_59_1.fq.gz",
            f"{fc}/L02/{fc}_L02_59_2.fq.gz",
            "DNBSEQ",
        ),
        (
            f"{fc}_bc60",
            "L01",
            f"{fc}/L01/{fc}_L01_60_1.fq.gz",
            f"{fc}/L01/{fc}_L01_60_2.fq.gz",
            "DNBSEQ",
        ),
        (
            f"{fc}_bc60",
            "L02",
            f"{fc}/L02/{fc}_L02_60_1.fq.gz",
            f"{fc}/L02/{fc}_L02_60_2.fq.gz",
            "DNBSEQ",
        ),
    ]
    assert notes_of(found.skipped, root) == [
        (f"{fc}/L01/{fc}_L01_undecoded_1.fq.gz", UNDETERMINED),
        (f"{fc}/L01/{fc}_L01_undecoded_2.fq.gz", UNDETERMINED),
        (f"{fc}/L02/{fc}_L02_undecoded_1.fq.gz", UNDETERMINED),
        (f"{fc}/L02/{fc}_L02_undecoded_2.fq.gz", UNDETERMINED),
    ]
    assert found.warnings == [
        f"2 sample(s) named after flowcell and barcode number ({fc}_bc59, {fc}_bc60):"
        " pass a barcode table (barcode → sample) to use the lab's sample names"
    ]
    ignored = {p.name for p in found.ignored}
    assert {
        f"{fc}_L01.summaryReport.html",
        "BarcodeStat.txt",
        f"{fc}_L01_59_1.fq.fqStat.txt",
    } <= ignored


def test_mgi_barcode_table_names_samples_and_skips_other_barcodes(tmp_path: Path) -> None:
    root = mgi_run(tmp_path / "mgi", barcodes=("59", "60", "61"))
    # "060": numbers match with or without leading zeros; 62 is on no file.
    found = discover_fastqs(root, {"59": "NA12878", "060": "NA24385", "62": "NA24631"})
    assert [(u.sample, u.unit) for u in found.units] == [
        ("NA12878", "L01"),
        ("NA12878", "L02"),
        ("NA24385", "L01"),
        ("NA24385", "L02"),
    ]
    not_in_table = (
        "barcode 61 is not in the barcode table: add it (barcode → sample) if it is a sample"
    )
    assert [(n.path.name, n.reason) for n in found.skipped if "61" in n.path.name] == [
        (f"{MGI_FLOWCELL}_L01_61_1.fq.gz", not_in_table),
        (f"{MGI_FLOWCELL}_L01_61_2.fq.gz", not_in_table),
        (f"{MGI_FLOWCELL}_L02_61_1.fq.gz", not_in_table),
        (f"{MGI_FLOWCELL}_L02_61_2.fq.gz", not_in_table),
    ]
    assert found.warnings == [
        "barcode table entries matched no file: 62 → NA24631; check the barcodes"
        " (a typo, or the wrong run folder?)"
    ]


def test_mgi_barcode_that_is_a_name_is_the_sample_name(tmp_path: Path) -> None:
    pair(
        tmp_path / "L02",
        f"{MGI_FLOWCELL}_L02_PK002_1.fq.gz",
        f"{MGI_FLOWCELL}_L02_PK002_2.fq.gz",
        dnbseq_read(2, 1),
    )
    found = discover_fastqs(tmp_path)
    assert [(u.sample, u.unit, u.platform) for u in found.units] == [("PK002", "L02", "DNBSEQ")]
    assert found.warnings == []


def test_same_barcode_number_on_two_flowcells_is_not_merged_without_a_table(tmp_path: Path) -> None:
    mgi_run(tmp_path, "V350012345", barcodes=("59",))
    mgi_run(tmp_path, "V350067890", barcodes=("59",))
    found = discover_fastqs(tmp_path)
    assert found.samples == ["V350012345_bc59", "V350067890_bc59"]


def test_one_sample_on_two_mgi_flowcells_via_qualified_table_keys(tmp_path: Path) -> None:
    mgi_run(tmp_path, "V350012345", barcodes=("59",))
    mgi_run(tmp_path, "V350067890", barcodes=("7",))
    found = discover_fastqs(tmp_path, {"59": "NA12878", "V350067890:7": "NA12878"})
    assert [(u.sample, u.unit) for u in found.units] == [
        ("NA12878", "V350012345.L01"),
        ("NA12878", "V350012345.L02"),
        ("NA12878", "V350067890.L01"),
        ("NA12878", "V350067890.L02"),
    ]
    assert found.warnings == [
        "sample NA12878: units from 2 flowcells (V350012345, V350067890) are analysed as one"
        " sample; check that they are the same sample"
    ]


def test_plain_table_key_matching_two_flowcells_is_flagged(tmp_path: Path) -> None:
    mgi_run(tmp_path, "V350012345", barcodes=("59",))
    mgi_run(tmp_path, "V350067890", barcodes=("59",))
    found = discover_fastqs(tmp_path, {"59": "NA12878"})
    assert found.warnings[-1] == (
        "barcode table entry 59 → NA12878 matched files of 2 flowcells (V350012345,"
        " V350067890); barcodes are reused from run to run: if these are different samples,"
        " write the entries as V350012345:59 and V350067890:59"
    )


def test_mgi_whole_lane_is_skipped(tmp_path: Path) -> None:
    pair(
        tmp_path,
        f"{MGI_FLOWCELL}_L01_read_1.fq.gz",
        f"{MGI_FLOWCELL}_L01_read_2.fq.gz",
        dnbseq_read(1, 1),
    )
    found = discover_fastqs(tmp_path)
    assert found.units == []
    assert [n.reason for n in found.skipped] == [WHOLE_LANE, WHOLE_LANE]


def test_unsafe_name_from_barcode_table_says_to_fix_the_table(tmp_path: Path) -> None:
    mgi_run(tmp_path, barcodes=("59",))
    found = discover_fastqs(tmp_path, {"59": "NA 12878"})
    assert found.units == []
    assert [n.reason for n in found.problems] == [
        "sample name 'NA 12878' (given to barcode 59 by the barcode table) may only contain"
        " letters, digits, '-', '_' and '.' and must start with a letter or digit: fix the"
        f" barcode table; its mate is {MGI_FLOWCELL}_L0{lane}_59_2.fq.gz"
        for lane in (1, 2)
    ]


# --- plain names and mixed folders ------------------------------------------------------------


def test_plain_names(tmp_path: Path) -> None:
    pair(tmp_path, "NA12878_R1.fastq.gz", "NA12878_R2.fastq.gz", illumina_read(3, 1))
    pair(tmp_path, "NA24385_1.fq.gz", "NA24385_2.fq.gz", dnbseq_read(1, 1))
    pair(tmp_path, "HG002.R1.fastq.gz", "HG002.R2.fastq.gz", sra_read(1))
    pair(tmp_path, "HG003_L002_R1_001.fastq", "HG003_L002_R2_001.fastq", illumina_read(2, 1))
    found = discover_fastqs(tmp_path)
    assert units_of(found, tmp_path) == [
        ("HG002", "1", "HG002.R1.fastq.gz", "HG002.R2.fastq.gz", None),
        ("HG003", "L002", "HG003_L002_R1_001.fastq", "HG003_L002_R2_001.fastq", "ILLUMINA"),
        ("NA12878", IL_FLOWCELL, "NA12878_R1.fastq.gz", "NA12878_R2.fastq.gz", "ILLUMINA"),
        ("NA24385", MGI_FLOWCELL, "NA24385_1.fq.gz", "NA24385_2.fq.gz", "DNBSEQ"),
    ]
    assert found.skipped == [] and found.unpaired == [] and found.warnings == []


def test_mixed_folder_lists_every_file_it_cannot_use(tmp_path: Path) -> None:
    pair(tmp_path, "S2_R1.fastq.gz", "S2_R2.fastq.gz", illumina_read(1, 1))
    fastq(tmp_path / "S1_R1.fastq.gz", illumina_read(1, 1, x=5))
    fastq(tmp_path / "S5_R2.fastq.gz", illumina_read(1, 2, x=6))
    fastq(tmp_path / "notes.fastq.gz", "@read1")
    (tmp_path / "S3_R1.fastq.ora").write_bytes(b"ORA")
    pair(tmp_path, "Patient 7_R1.fastq.gz", "Patient 7_R2.fastq.gz", illumina_read(1, 1, x=7))
    fastq(tmp_path / "S4_R1.fastq.gz", illumina_read(1, 1, x=8))
    with gzip.open(tmp_path / "S4_R2.fastq.gz", "wt"):
        pass
    found = discover_fastqs(tmp_path)
    assert units_of(found, tmp_path) == [
        ("S2", IL_FLOWCELL, "S2_R1.fastq.gz", "S2_R2.fastq.gz", "ILLUMINA")
    ]
    assert notes_of(found.unpaired, tmp_path) == [
        (
            "S1_R1.fastq.gz",
            "read 1 without read 2: no S1_R2.fastq.gz beside it; labpipe needs paired-end reads",
        ),
        ("S4_R1.fastq.gz", "its mate S4_R2.fastq.gz has no reads"),
        (
            "S5_R2.fastq.gz",
            "read 2 without read 1: no S5_R1.fastq.gz beside it; labpipe needs paired-end reads",
        ),
    ]
    assert notes_of(found.skipped, tmp_path) == [
        ("notes.fastq.gz", UNKNOWN_NAME),
        (
            "S3_R1.fastq.ora",
            "compressed as .ora, which fastp cannot read: decompress it with orad and gzip it",
        ),
        ("S4_R2.fastq.gz", NO_READS),
    ]
    assert notes_of(found.problems, tmp_path) == [
        (
            "Patient 7_R1.fastq.gz",
            "sample name 'Patient 7' (from the file name) may only contain letters, digits, '-',"
            " '_' and '.' and must start with a letter or digit: rename the pair (e.g. to"
            " Patient_7) and run labpipe init again; its mate is Patient 7_R2.fastq.gz",
        )
    ]


def test_copies_of_the_same_reads_are_both_left_out(tmp_path: Path) -> None:
    for folder in (tmp_path, tmp_path / "backup"):
        pair(
            folder, "S1_S1_L001_R1_001.fastq.gz", "S1_S1_L001_R2_001.fastq.gz", illumina_read(1, 1)
        )
    pair(
        tmp_path,
        "S2_S2_L001_R1_001.fastq.gz",
        "S2_S2_L001_R2_001.fastq.gz",
        illumina_read(1, 1, x=2),
    )
    found = discover_fastqs(tmp_path)
    assert found.samples == ["S2"]
    assert notes_of(found.problems, tmp_path) == [
        (
            "backup/S1_S1_L001_R1_001.fastq.gz",
            "begins with the same read as S1_S1_L001_R1_001.fastq.gz: copies of the same reads"
            " (raw and trimmed, or copied twice)? Keep one copy in the folder and run labpipe"
            " init again",
        ),
        (
            "S1_S1_L001_R1_001.fastq.gz",
            "begins with the same read as backup/S1_S1_L001_R1_001.fastq.gz: copies of the same"
            " reads (raw and trimmed, or copied twice)? Keep one copy in the folder and run"
            " labpipe init again",
        ),
    ]


def test_two_samples_under_one_name_on_one_lane_are_left_out(tmp_path: Path) -> None:
    pair(
        tmp_path / "ProjectA",
        "X_S1_L001_R1_001.fastq.gz",
        "X_S1_L001_R2_001.fastq.gz",
        illumina_read(1, 1, x=1),
    )
    pair(
        tmp_path / "ProjectB",
        "X_S7_L001_R1_001.fastq.gz",
        "X_S7_L001_R2_001.fastq.gz",
        illumina_read(1, 1, x=2),
    )
    found = discover_fastqs(tmp_path)
    assert found.units == []
    assert [n.reason for n in found.problems] == [
        f"sample X flowcell {IL_FLOWCELL} lane L001 also comes from"
        " ProjectB/X_S7_L001_R1_001.fastq.gz:"
        " a copy, or two samples with one name? Keep one in the folder (or rename one) and run"
        " labpipe init again",
        f"sample X flowcell {IL_FLOWCELL} lane L001 also comes from"
        " ProjectA/X_S1_L001_R1_001.fastq.gz:"
        " a copy, or two samples with one name? Keep one in the folder (or rename one) and run"
        " labpipe init again",
    ]


def test_pairs_with_nothing_to_tell_them_apart_are_numbered_with_a_warning(tmp_path: Path) -> None:
    pair(tmp_path / "a", "S1_R1.fastq.gz", "S1_R2.fastq.gz", sra_read(1, "SRR1"))
    pair(tmp_path / "b", "S1_R1.fastq.gz", "S1_R2.fastq.gz", sra_read(1, "SRR2"))
    found = discover_fastqs(tmp_path)
    assert [(u.sample, u.unit) for u in found.units] == [("S1", "1"), ("S1", "2")]
    assert found.warnings == [
        "sample S1: 2 read pairs whose names and reads carry no lane or flowcell"
        " (a/S1_R1.fastq.gz, b/S1_R1.fastq.gz) are numbered and analysed as one sample;"
        " check that they are"
    ]


def test_file_names_and_reads_that_disagree_are_warned_about(tmp_path: Path) -> None:
    # Lane 1 in the name, lane 2 in the reads (a renamed file).
    pair(tmp_path, "S1_S1_L001_R1_001.fastq.gz", "S1_S1_L001_R2_001.fastq.gz", illumina_read(2, 1))
    # Mates from different runs.
    fastq(tmp_path / "S2_R1.fastq.gz", illumina_read(1, 1, x=1))
    fastq(tmp_path / "S2_R2.fastq.gz", illumina_read(1, 2, x=2))
    # R1 and R2 swapped.
    fastq(tmp_path / "S3_1.fq.gz", dnbseq_read(1, 2))
    fastq(tmp_path / "S3_2.fq.gz", dnbseq_read(1, 1))
    # An MGI name holding Illumina reads.
    pair(
        tmp_path,
        f"{MGI_FLOWCELL}_L01_PK9_1.fq.gz",
        f"{MGI_FLOWCELL}_L01_PK9_2.fq.gz",
        illumina_read(1, 1, x=3),
    )
    found = discover_fastqs(tmp_path)
    assert len(found.units) == 4
    assert found.warnings == [
        f"S1_S1_L001_R1_001.fastq.gz: the file name says lane 1 but its reads are from lane 2"
        f" ({illumina_read(2, 1)}); was the file renamed? The unit is named after the file,"
        " the read group after the reads",
        f"S2_R1.fastq.gz and S2_R2.fastq.gz begin with different reads (A00123:8:{IL_FLOWCELL}"
        f":1:1101:1:1000 and A00123:8:{IL_FLOWCELL}:1:1101:2:1000): are they mates from the"
        " same run?",
        "S3_1.fq.gz holds read 2 and S3_2.fq.gz read 1: are R1 and R2 swapped?",
        f"{MGI_FLOWCELL}_L01_PK9_1.fq.gz: named like DNBSEQ output but its reads are ILLUMINA"
        f" ({illumina_read(1, 1, x=3)}); the sheet says ILLUMINA",
        f"{MGI_FLOWCELL}_L01_PK9_1.fq.gz: the file name says flowcell {MGI_FLOWCELL} but its"
        f" reads are from {IL_FLOWCELL} ({illumina_read(1, 1, x=3)}); was the file renamed?",
    ]


def test_labpipe_output_folder_is_not_scanned(tmp_path: Path) -> None:
    pair(tmp_path, "S1_R1.fastq.gz", "S1_R2.fastq.gz", illumina_read(1, 1))
    output = tmp_path / "labpipe-output"
    (output / ".labpipe").mkdir(parents=True)
    pair(
        output / "results" / "trimmed", "S1.1.R1.fastq.gz", "S1.1.R2.fastq.gz", illumina_read(1, 1)
    )
    found = discover_fastqs(tmp_path)
    assert found.samples == ["S1"]
    assert [n.path for n in found.skipped] == [output]


def test_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"FASTQ folder .*nowhere does not exist"):
        discover_fastqs(tmp_path / "nowhere")


# --- barcode table ----------------------------------------------------------------------------


def test_barcode_table_from_a_spreadsheet_csv(tmp_path: Path) -> None:
    path = tmp_path / "barcodes.csv"
    path.write_text(
        "\ufeffBarcode,Sample\n59,NA12878\n# not this one\n060,NA24385\nV350067890:7,NA12878\n"
    )
    assert load_barcode_table(path) == {"59": "NA12878", "60": "NA24385", "V350067890:7": "NA12878"}


def test_barcode_table_problems_name_their_lines(tmp_path: Path) -> None:
    path = tmp_path / "barcodes.tsv"
    path.write_text("59\tNA12878\n60\n59\tNA24385\n61\tbad name!\n62 Ali Khan\n")
    with pytest.raises(SampleSheetError) as err:
        load_barcode_table(path)
    assert err.value.problems == [
        "line 2: 1 column(s) in '60'; each line needs a barcode and a sample",
        "line 3: barcode 59 is already given to sample NA12878 on line 1",
        "line 4: sample name 'bad name!' may only contain letters, digits, '-', '_' and '.'"
        " (and must start with a letter or digit) (it holds a space: write e.g. bad_name_)",
        "line 5: '62 Ali Khan' has 3 space-separated fields; a sample name cannot hold a space"
        " ('Ali Khan'): write it as 'Ali_Khan', or separate barcode and sample with a tab",
    ]


# --- writing the sheet and the config ---------------------------------------------------------


def test_sheet_above_the_fastq_folder_has_relative_paths_and_loads(tmp_path: Path) -> None:
    run = bcl_convert_run(tmp_path / "run")
    found = discover_fastqs(run)
    sheet = write_sample_sheet(found, tmp_path / "samples.tsv")
    text = sheet.read_text()
    assert (
        "PatientA\tL001\trun/PatientA_S1_L001_R1_001.fastq.gz\trun/PatientA_S1_L001_R2_001.fastq.gz\tILLUMINA\t\n"
        in text
    )
    assert f"#   skipped: Undetermined_S0_L001_R1_001.fastq.gz: {UNDETERMINED}\n" in text
    units = load_sample_sheet(sheet)
    assert [(u.sample, u.unit, u.fq1, u.platform, u.platform_unit) for u in units] == [
        (d.sample, d.unit, d.fq1, "ILLUMINA", f"{IL_FLOWCELL}.{d.unit[-1]}.ACGTACGT+TTGACCAA")
        for d in found.units
    ]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run", "samples.tsv"]  # no temp left


def test_sheet_beside_the_fastq_folder_has_absolute_paths(tmp_path: Path) -> None:
    root = mgi_run(tmp_path / "mgi")
    sheet = write_sample_sheet(discover_fastqs(root), tmp_path / "analysis" / "samples.tsv")
    row = [
        line
        for line in sheet.read_text().splitlines()
        if line.startswith(f"{MGI_FLOWCELL}_bc59\tL01")
    ]
    assert row == [
        f"{MGI_FLOWCELL}_bc59\tL01\t{root}/{MGI_FLOWCELL}/L01/{MGI_FLOWCELL}_L01_59_1.fq.gz"
        f"\t{root}/{MGI_FLOWCELL}/L01/{MGI_FLOWCELL}_L01_59_2.fq.gz\tDNBSEQ\t"
    ]
    assert [(u.sample, u.unit, u.fq1.name) for u in load_sample_sheet(sheet)] == [
        (f"{MGI_FLOWCELL}_bc59", "L01", f"{MGI_FLOWCELL}_L01_59_1.fq.gz"),
        (f"{MGI_FLOWCELL}_bc59", "L02", f"{MGI_FLOWCELL}_L02_59_1.fq.gz"),
        (f"{MGI_FLOWCELL}_bc60", "L01", f"{MGI_FLOWCELL}_L01_60_1.fq.gz"),
        (f"{MGI_FLOWCELL}_bc60", "L02", f"{MGI_FLOWCELL}_L02_60_1.fq.gz"),
    ]


def test_unknown_platform_is_left_to_the_config_default(tmp_path: Path) -> None:
    pair(tmp_path / "run", "HG002_R1.fastq.gz", "HG002_R2.fastq.gz", sra_read(1))
    sheet = write_sample_sheet(discover_fastqs(tmp_path / "run"), tmp_path / "samples.tsv")
    assert (
        sheet.read_text().splitlines()[-1]
        == "HG002\t1\trun/HG002_R1.fastq.gz\trun/HG002_R2.fastq.gz\t\t"
    )
    assert [u.platform for u in load_sample_sheet(sheet, default_platform="DNBSEQ")] == ["DNBSEQ"]


def test_no_units_no_sheet(tmp_path: Path) -> None:
    with pytest.raises(SampleSheetError, match="no units to write"):
        write_sample_sheet(Discovery(tmp_path), tmp_path / "samples.tsv")


@pytest.mark.parametrize("with_targets", [True, False])
def test_written_config_passes_load_config(
    tmp_path: Path, reference: Path, with_targets: bool
) -> None:
    targets = tmp_path / "panel.bed"
    targets.write_text("chr1\t0\t10\n")
    (tmp_path / "out").mkdir()
    samples = tmp_path / "out" / "samples.tsv"
    samples.write_text("sample\tunit\tfq1\tfq2\n")
    path = write_lab_config(
        tmp_path / "out" / "config.yaml",
        lab_name="St Mary's Hospital: Genetics #2",
        reference=reference,
        targets=targets if with_targets else None,
        samples_path=samples,
        platform="DNBSEQ",
    )
    config = load_config(path)
    assert config.lab == LabInfo("St Mary's Hospital: Genetics #2", "st-marys-hospital-genetics-2")
    assert config.document["reference"] == {"fasta": str(reference)}
    assert config.targets == (targets if with_targets else None)
    assert config.samples == samples
    assert config.platform == "DNBSEQ"
    assert 'samples: "samples.tsv"' in path.read_text()  # beside the config: relative


def test_config_platform_must_be_known(tmp_path: Path, reference: Path) -> None:
    with pytest.raises(UsageError, match="platform 'BGI' is not one of ILLUMINA, DNBSEQ"):
        write_lab_config(
            tmp_path / "c.yaml",
            lab_name="Lab",
            reference=reference,
            targets=None,
            samples_path=tmp_path / "s.tsv",
            platform="BGI",
        )


@pytest.mark.parametrize(
    ("name", "lab_id"),
    [
        (
            "Example Hospital Molecular Genetics Laboratory",
            "example-hospital-molecular-genetics-labo",
        ),
        ("St Mary’s Hospital – Genetics", "st-marys-hospital-genetics"),
        ("Universitätsspital Zürich", "universitatsspital-zurich"),
        ("  _Lab 1_ ", "lab-1"),
        ("北京协和医院", "lab"),
    ],
)
def test_lab_id_from_name(name: str, lab_id: str) -> None:
    assert lab_id_from_name(name) == lab_id


# --- init_lab ---------------------------------------------------------------------------------


def test_init_writes_a_sheet_and_config_that_load(tmp_path: Path, reference: Path) -> None:
    root = mgi_run(tmp_path / "V350012345-run")
    result = init_lab(
        root,
        reference,
        None,
        "Thalassaemia Lab",
        tmp_path / "analysis",
        {"59": "NA12878", "60": "NA24385"},
    )
    assert result.sample_sheet == tmp_path / "analysis" / "samples.tsv"
    assert result.config == tmp_path / "analysis" / "config.yaml"
    config = load_config(result.config)
    assert config.lab.id == "thalassaemia-lab"
    assert config.platform == "DNBSEQ"
    units = load_sample_sheet(config.samples, config.platform)
    assert [(u.sample, u.unit, u.platform) for u in units] == [
        ("NA12878", "L01", "DNBSEQ"),
        ("NA12878", "L02", "DNBSEQ"),
        ("NA24385", "L01", "DNBSEQ"),
        ("NA24385", "L02", "DNBSEQ"),
    ]
    assert result.warnings == [
        f"the genome build could not be told from the contig lengths of {reference}: set"
        " reference.build in the config (or pass --build), so that reports and HGVS g. names"
        " state it",
        f"reference {reference} is not indexed yet: run `labpipe reference prepare {reference}`"
        " before `labpipe run`",
    ]
    undecoded = [
        f"{MGI_FLOWCELL}/L0{lane}/{MGI_FLOWCELL}_L0{lane}_undecoded_{read}.fq.gz"
        for lane in (1, 2)
        for read in (1, 2)
    ]
    assert result.report().splitlines() == [
        f"Found 4 unit(s) of 2 sample(s) in {root}:",
        "  NA12878  DNBSEQ  L01, L02",
        "  NA24385  DNBSEQ  L01, L02",
        f"Wrote {result.sample_sheet} and {result.config}",
        "Skipped (4):",
        f"  {', '.join(undecoded[:3])}, ... (4 files): {UNDETERMINED}",
        "Warnings (2):",
        *(f"  {warning}" for warning in result.warnings),
        f"Next: check the sheet, then run `labpipe validate {result.config}`",
    ]


def test_init_refuses_to_overwrite_unless_told(tmp_path: Path, reference: Path) -> None:
    run = bcl_convert_run(tmp_path / "run")
    out = tmp_path / "out"
    init_lab(run, reference, None, "Lab", out)
    with pytest.raises(UsageError) as err:
        init_lab(run, reference, None, "Lab", out)
    assert str(err.value) == (
        f"{out}/samples.tsv and {out}/config.yaml already exist; pass --overwrite to replace"
        " them, or choose another --outdir folder"
    )
    result = init_lab(run, reference, None, "Other Lab", out, overwrite=True)
    assert load_config(result.config).lab.id == "other-lab"


def test_init_without_lab_name_or_known_platform_warns(tmp_path: Path, reference: Path) -> None:
    pair(tmp_path / "run", "HG002_R1.fastq.gz", "HG002_R2.fastq.gz", sra_read(1))
    result = init_lab(tmp_path / "run", reference, None, None, tmp_path / "out")
    assert load_config(result.config).lab == LabInfo("Unnamed lab", "unnamed-lab")
    assert result.warnings[:2] == [
        f"no lab name given: {result.config} calls the lab 'Unnamed lab'; edit lab.name and"
        " lab.id there (the name is printed on reports)",
        "1 unit(s) have reads that name no platform and files named in no platform's scheme:"
        " they take the config's default platform ILLUMINA; set the platform column of"
        f" {result.sample_sheet} if that is wrong",
    ]


def test_init_with_nothing_usable_says_why(tmp_path: Path, reference: Path) -> None:
    run = tmp_path / "run"
    pair(
        run,
        "Undetermined_S0_L001_R1_001.fastq.gz",
        "Undetermined_S0_L001_R2_001.fastq.gz",
        illumina_read(1, 1),
    )
    fastq(run / "S1_R1.fastq.gz", illumina_read(1, 1, x=2))
    with pytest.raises(InputFormatError) as err:
        init_lab(run, reference, None, "Lab", tmp_path / "out")
    assert str(err.value) == f"no usable FASTQ pairs in {run}"
    assert err.value.problems == [
        "unpaired: S1_R1.fastq.gz: read 1 without read 2: no S1_R2.fastq.gz beside it;"
        " labpipe needs paired-end reads",
        f"skipped: Undetermined_S0_L001_R1_001.fastq.gz: {UNDETERMINED}",
        f"skipped: Undetermined_S0_L001_R2_001.fastq.gz: {UNDETERMINED}",
    ]
    assert not (tmp_path / "out").exists()


def test_init_with_an_empty_folder(tmp_path: Path, reference: Path) -> None:
    (tmp_path / "run").mkdir()
    with pytest.raises(InputFormatError) as err:
        init_lab(tmp_path / "run", reference, None, "Lab", tmp_path / "out")
    assert err.value.problems == [
        "it holds no FASTQ files (names ending .fastq.gz, .fq.gz, .fastq, .fq)"
    ]


def test_init_checks_reference_and_targets_first(tmp_path: Path) -> None:
    with pytest.raises(UsageError) as err:
        init_lab(tmp_path, tmp_path / "ref.fa", tmp_path, "Lab", tmp_path / "out")
    assert err.value.problems == [
        f"--reference {tmp_path / 'ref.fa'} does not exist",
        f"--targets {tmp_path} is not a file",
    ]
