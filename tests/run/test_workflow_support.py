"""Names and parameters the workflow's rules take from labpipe."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from labpipe.config.lab import AdapterPair, CallingConfig, TrimmingConfig
from labpipe.config.samplesheet import Unit
from labpipe.run.workflow_support import (
    CARRIES_ALT_STAGE,
    adapter_args,
    aligner_command,
    caller_command,
    fastp_plan,
    filter_command,
    labpipe_header_lines,
    name_pattern,
    second_opinion_command,
    second_opinion_filters,
    soft_filters,
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


def test_caller_commands_share_regions_and_quality_floors() -> None:
    bcftools, freebayes = caller_command("bcftools"), caller_command("freebayes")
    assert bcftools.startswith("bcftools mpileup") and "bcftools call -m -v" in bcftools
    assert freebayes.startswith("freebayes ")
    for command in (bcftools, freebayes):
        for placeholder in (
            "{input.regions}",
            "{params.mapq}",
            "{params.baseq}",
            "{params.max_depth}",
            "{input.bam}",
        ):
            assert placeholder in command
    assert " -g " not in freebayes  # would drop deep sites instead of downsampling
    assert "--indel-bias {params.indel_bias}" in bcftools and "-P {params.prior}" in bcftools
    with pytest.raises(ValueError, match="unknown caller 'gatk'"):
        caller_command("gatk")


def test_bcftools_writes_indel_candidates_for_the_second_opinion() -> None:
    command = caller_command("bcftools", indel_candidates=True)
    tee, call = command.split(" | bcftools call ")
    assert "tee >(bcftools query -i 'INFO/INDEL=1'" in tee and "> {output.candidates}" in tee
    # The candidates file is complete only once tee's process substitution has ended.
    assert "wait $!" in tee and "-P {params.prior}" in call
    assert "{output.candidates}" not in caller_command("bcftools")
    # freebayes gives its opinion with the caller's own settings, only in the windows.
    caller, second = caller_command("freebayes").split(), second_opinion_command().split()
    assert second[second.index("-t") + 1] == "{output.windows}"
    assert [(a, b) for a, b in zip(caller, second, strict=True) if a != b] == [
        ("{input.regions}", "{output.windows}")
    ]


def test_second_opinion_only_beside_bcftools() -> None:
    calling = lab_config().calling
    assert calling.second_opinion
    assert not lab_config(calling={"indel_second_opinion": False}).calling.second_opinion
    assert not lab_config(calling={"caller": "freebayes"}).calling.second_opinion
    # freebayes' indels count when they pass freebayes' own filters.
    names = {f.name: f.expression for f in second_opinion_filters(calling)}
    assert "IMF" not in names["IndelArtefact"] and "LowDepth" in names


def test_vcf_header_says_whether_the_second_opinion_ran() -> None:
    assert "indel_second_opinion:True" in labpipe_header_lines(lab_config())
    freebayes = lab_config(calling={"caller": "freebayes"})
    assert "indel_second_opinion:False" in labpipe_header_lines(freebayes)


FILTER_VCF = """\
##fileformat=VCFv4.2
##contig=<ID=chr1,length=1000>
##INFO=<ID=IMF,Number=1,Type=Float,Description="Fraction of reads with the indel">
##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">
##FORMAT=<ID=DP,Number=1,Type=Integer,Description="Depth">
##FORMAT=<ID=AD,Number=R,Type=Integer,Description="Allelic depths">
#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS1
chr1\t100\t.\tA\tG\t0.5\t.\t.\tGT:DP:AD\t0/1:9:5,4
chr1\t200\t.\tA\tG\t60\t.\t.\tGT:DP:AD\t0/1:2:1,1
chr1\t300\t.\tAT\tA\t0.5\t.\tIMF=0.5\tGT:DP:AD\t0/1:9:5,4
chr1\t400\t.\tAT\tA\t90\t.\tIMF=0.2\tGT:DP:AD\t1/1:10:2,2
chr1\t500\t.\tA\tAC\t90\t.\tIMF=0.5\tGT:DP:AD\t0/1:9:8,1
chr1\t600\t.\tA\tAC\t90\t.\tIMF=0.9\tGT:DP:AD\t1/1:10:0,9
"""


def filters_by_position(tmp_path: Path, calling: CallingConfig) -> dict[int, str]:
    """FILTER per position after the workflow's filter stages, run by bcftools."""
    vcf = tmp_path / "in.vcf"
    vcf.write_text(FILTER_VCF)
    command = f"cat {vcf} | {filter_command(calling)}bcftools query -f '%POS\\t%FILTER\\n'"
    out = subprocess.run(["bash", "-c", command], capture_output=True, text=True, check=True)
    return {int(p): f for p, f in (line.split("\t") for line in out.stdout.splitlines())}


@pytest.mark.skipif(shutil.which("bcftools") is None, reason="bcftools not installed")
def test_soft_filters_run_by_bcftools(tmp_path: Path) -> None:
    bcftools = lab_config(calling={"caller": "bcftools"}).calling
    assert filters_by_position(tmp_path, bcftools) == {
        100: "PASS",  # low QUAL alone filters nothing for bcftools
        200: "LowDepth",
        300: "PASS",
        400: "IndelArtefact",  # homozygous from 20% of the reads
        500: "IndelArtefact",  # the allele is in one read
        600: "PASS",
    }
    freebayes = lab_config(calling={"caller": "freebayes"}).calling
    assert filters_by_position(tmp_path, freebayes) == {
        100: "LowQual",  # a freebayes SNV below QUAL 1
        200: "LowDepth",
        300: "PASS",  # its indels keep their low QUAL
        400: "PASS",  # freebayes writes no IMF: only the read count applies
        500: "IndelArtefact",
        600: "PASS",
    }
    strict_section = {"min_qual": 30, "min_depth": 0, "indel_artefact_filter": False}
    strict = lab_config(calling=strict_section).calling
    assert filters_by_position(tmp_path, strict) == {
        100: "LowQual",
        200: "PASS",
        300: "LowQual",
        400: "PASS",
        500: "PASS",
        600: "PASS",
    }
    none = lab_config(calling={**strict_section, "min_qual": 0}).calling
    assert [f.name for f in soft_filters(none)] == []


GENOTYPES_VCF = (
    "##fileformat=VCFv4.2\n##contig=<ID=c,length=100>\n"
    '##FORMAT=<ID=GT,Number=1,Type=String,Description="genotype">\n'
    "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS\n"
    + "".join(
        f"c\t{pos}\t.\tA\tC\t50\tPASS\t.\tGT\t{gt}\n"
        for pos, gt in enumerate(
            ["0/0", "./.", "0/1", "1", "./1", "0", "0|0", ".", "0/.", "1/1"], 1
        )
    )
    + "c\t11\t.\tA\tC,G\t50\tPASS\t.\tGT\t2/2\n"
)


@pytest.mark.skipif(shutil.which("bcftools") is None, reason="bcftools not installed")
def test_the_calling_path_drops_every_reference_only_genotype(tmp_path: Path) -> None:
    """No 0/0, 0, ./. or ./0 record reaches the VCF, split multi-allelics included."""
    vcf = tmp_path / "calls.vcf"
    vcf.write_text(GENOTYPES_VCF)
    stage = CARRIES_ALT_STAGE.removesuffix(" | ").replace("-Ou", "-Ov")
    done = subprocess.run(
        ["bash", "-c", f"set -o pipefail; bcftools norm -m -any -Ou {vcf} | {stage} -H"],
        capture_output=True,
        text=True,
        check=True,
    )
    kept = [
        (line.split("\t")[1], line.split("\t")[4], line.split("\t")[9])
        for line in done.stdout.splitlines()
    ]
    assert kept == [
        ("3", "C", "0/1"),
        ("4", "C", "1"),
        ("5", "C", "./1"),
        ("10", "C", "1/1"),
        ("11", "G", "1/1"),
    ]


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
