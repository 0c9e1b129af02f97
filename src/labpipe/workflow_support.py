"""Plain functions the workflow's rules call: names, parameters and small steps.

Kept out of the rule files so that each decision has a unit test and the
Snakefile only wires stages together.
"""

from __future__ import annotations

import re
import shlex
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from labpipe import __version__
from labpipe.config import config_sha256
from labpipe.samplesheet import Unit

# Adapter pairs (read 1, read 2) as the platforms' vendors publish them.
ADAPTERS: dict[str, tuple[str, str]] = {
    "ILLUMINA": ("AGATCGGAAGAGCACACGTCTGAACTCCAGTCA", "AGATCGGAAGAGCGTCGTGTAGGGAAAGAGTGT"),
    "DNBSEQ": ("AAGTCGGAGGCCAAGCGGTCTTAGGAAGACAA", "AAGTCGGATCGTAGCCATGTCGTTCTGTGAGCCAAGGAGTTG"),
}


def unit_table(units: list[Unit]) -> dict[tuple[str, str], Unit]:
    """Units keyed by (sample, unit), in sheet order."""
    return {(u.sample, u.unit): u for u in units}


def name_pattern(names: list[str]) -> str:
    """A regex matching exactly these names, for a Snakemake wildcard constraint."""
    return "|".join(re.escape(name) for name in sorted(set(names), key=len, reverse=True))


def adapter_args(platform: str, overrides: Mapping[str, Mapping[str, str]] | None = None) -> str:
    """fastp arguments naming the platform's adapter pair.

    Named explicitly rather than auto-detected so that trimming does not depend
    on what fastp guesses from the first reads.

    Args:
        platform: ILLUMINA or DNBSEQ.
        overrides: The lab config's ``trimming.adapters``, if it sets any.
    """
    custom = (overrides or {}).get(platform)
    r1, r2 = (custom["r1"], custom["r2"]) if custom else ADAPTERS[platform]
    return f"--adapter_sequence {r1} --adapter_sequence_r2 {r2}"


def caller_command(caller: str) -> str:
    """The calling part of the variant pipeline (Snakemake placeholders), before ``norm``.

    Both callers see the same padded regions, quality floors and depth cap, so
    switching caller changes only the caller.
    """
    if caller == "freebayes":
        # --limit-coverage downsamples like mpileup's -d; freebayes' -g would
        # instead skip deep sites entirely and lose their variants.
        return (
            "freebayes -f {params.ref:q} -t {input.regions} -m {params.mapq} -q {params.baseq}"
            " --limit-coverage {params.max_depth} --genotype-qualities {input.bam}"
        )
    if caller == "bcftools":
        return (
            "bcftools mpileup -f {params.ref:q} -R {input.regions} -q {params.mapq}"
            " -Q {params.baseq} -d {params.max_depth} -a FORMAT/AD,FORMAT/DP -Ou {input.bam}"
            " | bcftools call -m -v -a GQ -Ou"
        )
    raise ValueError(f"unknown caller {caller!r}")


def sample_outputs(sample: str, annotate: bool) -> list[str]:
    """The final files of one sample, relative to the output directory."""
    outputs = [
        f"results/bam/{sample}.bam",
        f"results/bam/{sample}.bam.bai",
        f"results/vcf/{sample}.vcf.gz",
        f"results/vcf/{sample}.vcf.gz.tbi",
        f"results/variants/{sample}.tsv",
        f"results/qc/mosdepth/{sample}.mosdepth.summary.txt",
        f"results/qc/bcftools/{sample}.bcftools_stats.txt",
    ]
    if annotate:
        outputs += [
            f"results/vcf/{sample}.annotated.vcf.gz",
            f"results/vcf/{sample}.annotated.vcf.gz.tbi",
        ]
    return outputs


def final_output_paths(samples: list[str], annotate: bool) -> list[str]:
    """Everything ``rule all`` asks for, the run manifest last."""
    paths: list[str] = []
    for sample in samples:
        paths += sample_outputs(sample, annotate)
    paths += [
        "results/qc/qc_summary.tsv",
        "results/qc/multiqc_report.html",
        "results/run_manifest.json",
    ]
    return paths


def labpipe_header_lines(config: Mapping[str, Any]) -> str:
    """``##labpipe…`` VCF header lines saying where a VCF came from."""
    calling = config["calling"]
    lines = [
        f"##labpipe_version={__version__}",
        f"##labpipe_config_sha256={config_sha256(config)}",
        f"##labpipe_lab={config['lab']['id']}",
        f"##labpipe_reference={config['reference']['fasta']}",
        "##labpipe_calling=caller:{caller},min_mapq:{min_mapq},min_baseq:{min_baseq},"
        "max_depth:{max_depth},target_padding:{target_padding},min_qual:{min_qual},"
        "min_depth:{min_depth}".format(**calling),
    ]
    return "\n".join(lines) + "\n"


def write_qc_summary(units: list[Unit], qc_dir: Path, out: Path) -> None:
    """Collect every sample's QC metrics into one table."""
    from labpipe.qc import collect_sample_qc, write_qc_table

    rows = []
    for sample in dict.fromkeys(u.sample for u in units):
        fastp = [
            qc_dir / "fastp" / f"{u.sample}.{u.unit}.fastp.json"
            for u in units
            if u.sample == sample
        ]
        rows.append(
            collect_sample_qc(
                sample,
                fastp,
                qc_dir / "samtools" / f"{sample}.flagstat.json",
                qc_dir / "samtools" / f"{sample}.stats.txt",
                qc_dir / "mosdepth" / sample,
                markdup_stats=qc_dir / "samtools" / f"{sample}.markdup.txt",
            )
        )
    write_qc_table(rows, out)


def labpipe_step_command() -> str:
    """How a rule runs ``labpipe step …``: the same Python that runs the workflow."""
    return f"{shlex.quote(sys.executable)} -m labpipe.cli step"
