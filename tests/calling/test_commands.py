"""The calling commands the workflow's rules run (labpipe.calling.commands)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from labpipe.calling.commands import (
    CARRIES_ALT_STAGE,
    caller_command,
    filter_command,
    sample_columns_stage,
    second_opinion_command,
    second_opinion_filters,
)
from labpipe.calling.filters import soft_filters
from labpipe.config.lab import CallingConfig
from tests.builders import lab_config


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


FAMILY_VCF = (
    "##fileformat=VCFv4.2\n##contig=<ID=c,length=100>\n"
    '##FORMAT=<ID=GT,Number=1,Type=String,Description="genotype">\n'
    "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tMUM\tKID\n"
    "c\t1\t.\tA\tC\t50\tPASS\t.\tGT\t0/1\t0/0\n"
    "c\t2\t.\tA\tC,G\t50\tPASS\t.\tGT\t0/1\t0/2\n"
    "c\t3\t.\tA\tC\t50\tPASS\t.\tGT\t0/0\t1/1\n"
)


@pytest.mark.skipif(shutil.which("bcftools") is None, reason="bcftools not installed")
def test_a_members_calls_are_its_own_column_and_alleles(tmp_path: Path) -> None:
    """A family member's VCF: its column, the ALT alleles it carries, none it does not."""
    assert sample_columns_stage([]) == ""
    vcf = tmp_path / "family.vcf"
    vcf.write_text(FAMILY_VCF)
    stage = sample_columns_stage(["KID"])
    carries = CARRIES_ALT_STAGE.removesuffix(" | ").replace("-Ou", "-Ov")
    done = subprocess.run(
        [
            "bash",
            "-c",
            f"set -o pipefail; bcftools view -Ou {vcf} | {stage}"
            f"bcftools norm -m -any -Ou | {carries} -H",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    kept = [line.split("\t")[1:5] + line.split("\t")[9:] for line in done.stdout.splitlines()]
    assert kept == [["2", ".", "A", "G", "0/1"], ["3", ".", "A", "C", "1/1"]]


@pytest.mark.skipif(shutil.which("bcftools") is None, reason="bcftools not installed")
def test_the_family_vcf_columns_are_put_in_pedigree_order(tmp_path: Path) -> None:
    vcf = tmp_path / "family.vcf"
    vcf.write_text(FAMILY_VCF)
    stage = sample_columns_stage(["KID", "MUM"]).removesuffix(" | ").replace("-Ou", "-Ov")
    done = subprocess.run(
        ["bash", "-c", f"bcftools view -Ou {vcf} | {stage} | grep -v '^##'"],
        capture_output=True,
        text=True,
        check=True,
    )
    lines = [line.split("\t")[9:] for line in done.stdout.splitlines()]
    assert lines[0] == ["KID", "MUM"] and lines[1] == ["0/0", "0/1"]
