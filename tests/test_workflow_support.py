"""Names and parameters the workflow's rules take from labpipe."""

from __future__ import annotations

import re

import pytest

from labpipe.workflow_support import adapter_args, caller_command, name_pattern


def test_adapters_by_platform_and_lab_override() -> None:
    assert "--adapter_sequence AAGTCGGAGGCCAAGCGGTCTTAGGAAGACAA" in adapter_args("DNBSEQ")
    assert "--adapter_sequence AGATCGGAAGAGCACACGTCTGAACTCCAGTCA" in adapter_args("ILLUMINA")
    custom = {"DNBSEQ": {"r1": "ACGTACGTAC", "r2": "TTTTGGGGCC"}}
    assert adapter_args("DNBSEQ", custom) == (
        "--adapter_sequence ACGTACGTAC --adapter_sequence_r2 TTTTGGGGCC"
    )
    assert "AGATCGGAAGAGC" in adapter_args("ILLUMINA", custom)


def test_name_pattern_matches_only_sheet_names() -> None:
    pattern = re.compile(f"^(?:{name_pattern(['PK001', 'PK001.b'])})$")
    assert pattern.match("PK001") and pattern.match("PK001.b")
    assert not pattern.match("PK001.annotated") and not pattern.match("PK001xb")


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
    with pytest.raises(ValueError, match="unknown caller 'gatk'"):
        caller_command("gatk")
