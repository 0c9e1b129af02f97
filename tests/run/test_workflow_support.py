"""Names and parameters the workflow's rules take from labpipe."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from labpipe.config.lab import AdapterPair, TrimmingConfig
from labpipe.config.samplesheet import Unit
from labpipe.run.workflow_support import (
    adapter_args,
    aligner_command,
    fastp_plan,
    labpipe_environment,
    labpipe_header_lines,
    name_pattern,
)
from tests.builders import lab_config


def test_adapters_by_platform_and_lab_override() -> None:
    assert "--adapter_sequence AAGTCGGAGGCCAAGCGGTCTTAGGAAGACAA" in adapter_args("DNBSEQ")
    assert "--adapter_sequence AGATCGGAAGAGCACACGTCTGAACTCCAGTCA" in adapter_args("ILLUMINA")
    custom = {"DNBSEQ": AdapterPair("ACGTACGTAC", "TTTTGGGGCC")}
    assert adapter_args("DNBSEQ", custom) == (
        "--adapter_sequence ACGTACGTAC --adapter_sequence_r2 TTTTGGGGCC"
    )
    assert "AGATCGGAAGAGC" in adapter_args("ILLUMINA", custom)


def test_name_pattern_matches_only_sheet_names() -> None:
    pattern = re.compile(f"^(?:{name_pattern(['PK001', 'PK001.b'])})$")
    assert pattern.match("PK001") and pattern.match("PK001.b")
    assert not pattern.match("PK001.annotated") and not pattern.match("PK001xb")


def test_aligners_read_interleaved_pairs_with_the_read_group_and_a_fixed_batch() -> None:
    bwa, minimap2 = aligner_command("bwa"), aligner_command("minimap2")
    assert bwa.startswith("bwa mem -p ") and " -K 10000000 " in bwa
    assert minimap2.startswith("minimap2 -ax sr ") and " -K 100M " in minimap2
    assert "{input.index:q}" in minimap2  # the .mmi, not the FASTA
    for command in (bwa, minimap2):
        assert "-t {threads}" in command and " -Y " in command
        assert "-R '{params.rg}'" in command and command.endswith(" -")
    with pytest.raises(ValueError, match="unknown aligner 'bowtie2'"):
        aligner_command("bowtie2")


def test_vcf_header_says_whether_the_second_opinion_ran() -> None:
    assert "indel_second_opinion:True" in labpipe_header_lines(lab_config())
    freebayes = lab_config(calling={"caller": "freebayes"})
    assert "indel_second_opinion:False" in labpipe_header_lines(freebayes)


def _unit(
    tmp_path: Path, name: str, platform: str = "ILLUMINA", file_stem: str = "S1_S1_L001"
) -> Unit:
    fq1, fq2 = tmp_path / f"{file_stem}_R1_001.fastq", tmp_path / f"{file_stem}_R2_001.fastq"
    for path, mate in ((fq1, 1), (fq2, 2)):
        path.write_text(f"{name} {mate}:N:0:ACGT\nACGT\n+\nIIII\n")
    return Unit("S1", "L1", fq1, fq2, platform, "S1", "X.1", 2)


TRIMMING = {"min_length": 36, "poly_g": "auto", "quality_filter": True, "max_n_bases": 5}


def trimming(**overrides: object) -> TrimmingConfig:
    """The ``trimming`` section of a config setting TRIMMING and ``overrides``."""
    return lab_config(trimming={**TRIMMING, **overrides}).trimming


@pytest.mark.parametrize(
    ("name", "trim", "why"),
    [
        ("@A00123:8:HXXXXDSXX:1:1101:1000:1000", True, "two-colour NovaSeq 6000"),
        ("@LH00456:12:22XXXXLT3:2:1101:1000:1000", True, "two-colour NovaSeq X"),
        ("@NB501234:99:HXXXXBGXX:1:11101:1000:1000", True, "two-colour NextSeq 500/550"),
        ("@VH00789:3:AAXXXXM5:1:1101:1000:1000", True, "two-colour NextSeq 1000/2000"),
        ("@M01234:55:000000000-AXXXX:1:1101:1000:1000", False, "four-colour MiSeq"),
        ("@HSQ1004:134:C0D8DACXX:4:2201:3445:134887", False, "do not show the instrument"),
    ],
)
def test_poly_g_is_decided_per_unit_from_the_instrument(
    tmp_path: Path, name: str, trim: bool, why: str
) -> None:
    plan = fastp_plan(_unit(tmp_path, name), trimming())
    assert ("--trim_poly_g" if trim else "--disable_trim_poly_g") in plan.options.split()
    assert f"poly-G trimming {'on' if trim else 'off'}: auto:" in plan.log_text
    assert why in plan.log_text
    assert "adapters: Illumina TruSeq for the unit's platform ILLUMINA" in plan.log_text


def test_the_lab_can_force_poly_g_and_turn_the_quality_filter_off(tmp_path: Path) -> None:
    unit = _unit(tmp_path, "@A00123:8:HXXXXDSXX:1:1101:1000:1000")
    plan = fastp_plan(unit, trimming(poly_g=False, quality_filter=False))
    assert "--disable_trim_poly_g" in plan.options and "--disable_quality_filtering" in plan.options
    assert "--n_base_limit" not in plan.options
    assert "trimming.poly_g is false in the config (forced)" in plan.log_text
    plan = fastp_plan(unit, trimming(max_n_bases=10))
    assert "--n_base_limit 10" in plan.options and "--length_required 36" in plan.options


def test_file_names_of_one_platform_holding_reads_of_the_other_are_a_warning(
    tmp_path: Path,
) -> None:
    fq1 = tmp_path / "V350012345_L01_59_1.fq"
    fq2 = tmp_path / "V350012345_L01_59_2.fq"
    for path, mate in ((fq1, 1), (fq2, 2)):
        path.write_text(f"@A00123:8:HXXXXDSXX:1:1101:1000:1000 {mate}:N:0:ACGT\nACGT\n+\nIIII\n")
    unit = Unit("S1", "L1", fq1, fq2, "ILLUMINA", "S1", "X.1", 2)
    plan = fastp_plan(unit, trimming())
    assert (
        "WARNING: V350012345_L01_59_1.fq is named like an MGI file but holds Illumina-style "
        "read names; adapters: Illumina TruSeq for the unit's platform ILLUMINA"
    ) in plan.log_text

    dnb = tmp_path / "P1_S3_L002_R1_001.fastq"
    dnb.write_text("@V350012345L2C001R0010000001/1\nACGT\n+\nIIII\n")
    unit = Unit("S1", "L1", dnb, dnb, "ILLUMINA", "S1", "X.1", 2, detected_platform="DNBSEQ")
    plan = fastp_plan(unit, trimming())
    assert (
        "P1_S3_L002_R1_001.fastq is named like an Illumina file but holds DNBSEQ" in plan.log_text
    )
    assert "(its read names look like DNBSEQ: check the sheet)" in plan.log_text
    assert "auto: DNBSEQ read names" in plan.log_text


def test_jobs_find_this_labpipe_and_the_run_folders(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os
    import sys

    monkeypatch.setenv("PATH", "/usr/bin")
    monkeypatch.chdir(tmp_path)
    env = labpipe_environment(Path("my lab.yaml"), Path("out"))
    here = str(Path(sys.executable).parent)
    assert env["PATH"] == f"{here}{os.pathsep}/usr/bin"
    assert env["LABPIPE_CONFIG"] == str(tmp_path / "my lab.yaml")
    assert env["LABPIPE_OUTDIR"] == str(tmp_path / "out")
    # Read again in a cluster job's Snakemake: PATH does not grow.
    monkeypatch.setenv("PATH", env["PATH"])
    assert labpipe_environment(Path("my lab.yaml"), Path("out"))["PATH"] == env["PATH"]
