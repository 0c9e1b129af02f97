"""Plain functions the workflow's rules call: names, parameters and small steps.

Kept out of the rule files so that each decision has a unit test and the
Snakefile only wires stages together.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from labpipe import __version__
from labpipe.config.lab import AdapterPair, LabConfig, TrimmingConfig
from labpipe.config.samplesheet import Unit
from labpipe.config.settings import stage_config_sha256
from labpipe.core import layout

if TYPE_CHECKING:
    from labpipe.qc.metrics import SampleQC

# Adapter pairs (read 1, read 2) as the platforms' vendors publish them.
ADAPTERS: dict[str, tuple[str, str]] = {
    "ILLUMINA": ("AGATCGGAAGAGCACACGTCTGAACTCCAGTCA", "AGATCGGAAGAGCGTCGTGTAGGGAAAGAGTGT"),
    "DNBSEQ": ("AAGTCGGAGGCCAAGCGGTCTTAGGAAGACAA", "AAGTCGGATCGTAGCCATGTCGTTCTGTGAGCCAAGGAGTTG"),
}


def unit_table(units: list[Unit]) -> dict[tuple[str, str], Unit]:
    """Units keyed by (sample, unit), in sheet order."""
    return {(u.sample, u.unit): u for u in units}


def calling_chunks(lab: LabConfig) -> int:
    """How many chunks each sample's calling is split into (the workflow's ``CHUNKS``;
    `labpipe demo --explain` asks for each chunk by name)."""
    from labpipe.core.regions import calling_chunk_count
    from labpipe.inputs.checks.fasta import reference_contigs

    contigs = {} if lab.targets else reference_contigs(lab.reference.fasta)
    calling = lab.calling
    return calling_chunk_count(lab.targets, contigs, calling.target_padding, calling.scatter)


def name_pattern(names: list[str]) -> str:
    """A regex matching exactly these names, for a Snakemake wildcard constraint."""
    return "|".join(re.escape(name) for name in sorted(set(names), key=len, reverse=True))


def adapter_args(platform: str, overrides: Mapping[str, AdapterPair] | None = None) -> str:
    """fastp arguments naming the platform's adapter pair.

    Named explicitly rather than auto-detected so that trimming does not depend
    on what fastp guesses from the first reads.

    Args:
        platform: ILLUMINA or DNBSEQ.
        overrides: The lab config's ``trimming.adapters``, if it sets any.
    """
    custom = (overrides or {}).get(platform)
    r1, r2 = (custom.r1, custom.r2) if custom else ADAPTERS[platform]
    return f"--adapter_sequence {r1} --adapter_sequence_r2 {r2}"


ADAPTER_NAMES = {"ILLUMINA": "Illumina TruSeq", "DNBSEQ": "MGI/DNBSEQ"}


@dataclass(frozen=True)
class FastpPlan:
    """How fastp trims and filters one unit, and why (the lines go to its log).

    Attributes:
        options: fastp's trimming and filtering options.
        log_lines: Which adapters and poly-G trimming were chosen and why, and any
            warning about the unit's names.
    """

    options: str
    log_lines: tuple[str, ...]

    @property
    def log_text(self) -> str:
        """The log lines, each prefixed ``labpipe:``."""
        return "".join(f"labpipe: {line}\n" for line in self.log_lines)


def fastp_plan(unit: Unit, trimming: TrimmingConfig) -> FastpPlan:
    """fastp's options for one unit: adapters, poly-G, length, N and quality filters.

    Poly-G trimming follows ``trimming.poly_g``: ``auto`` decides per unit from the
    instrument its read names show (:func:`labpipe.config.platform.poly_g_decision`).
    """
    from labpipe.config.platform import first_read_name, name_style_mismatch, poly_g_decision

    first_name = first_read_name(unit.fq1)
    poly_g = poly_g_decision(trimming.poly_g, first_name)
    custom = unit.platform in trimming.adapters
    source = f"trimming.adapters.{unit.platform}" if custom else ADAPTER_NAMES[unit.platform]
    adapters = f"adapters: {source} for the unit's platform {unit.platform}"
    if unit.detected_platform and unit.detected_platform != unit.platform:
        adapters += f" (its read names look like {unit.detected_platform}: check the sheet)"
    lines = [f"sample {unit.sample} unit {unit.unit}: {adapters}"]
    lines.append(f"poly-G trimming {'on' if poly_g.trim else 'off'}: {poly_g.reason}")
    for fastq in (unit.fq1, unit.fq2):
        mismatch = name_style_mismatch(fastq.name, first_read_name(fastq))
        if mismatch:
            lines.append(f"WARNING: {mismatch}; {adapters}")
    options = [
        adapter_args(unit.platform, trimming.adapters),
        poly_g.fastp_option,
        f"--length_required {trimming.min_length}",
    ]
    if trimming.quality_filter:
        options.append(f"--n_base_limit {trimming.max_n_bases}")
    else:
        # fastp's N limit is part of its quality filter: both go together.
        options.append("--disable_quality_filtering")
    return FastpPlan(" ".join(options), tuple(lines))


def aligner_command(aligner: str) -> str:
    """The aligner in the alignment pipe (Snakemake placeholders): interleaved pairs in,
    SAM out, with the unit's read group.

    A fixed batch size (bwa ``-K`` in bases, minimap2 ``-K``) makes the alignments
    independent of the thread count; ``-Y`` soft-clips supplementary alignments in both,
    so duplicate marking and the caller see the same kind of records.

    Args:
        aligner: ``bwa`` (bwa mem) or ``minimap2`` (``-ax sr``, adjacent reads with one
            name are a pair).
    """
    if aligner == "minimap2":
        return "minimap2 -ax sr -t {threads} -K 100M -Y -R '{params.rg}' {input.index:q} -"
    if aligner == "bwa":
        return "bwa mem -p -t {threads} -K 10000000 -Y -R '{params.rg}' {input.ref:q} -"
    raise ValueError(f"unknown aligner {aligner!r}")


def labpipe_header_lines(lab: LabConfig) -> str:
    """``##labpipe…`` VCF header lines saying where a VCF came from.

    They hold only what the calls depend on (the calling sections' hash, not the
    whole config's), so that a report setting changed later leaves them true
    without re-calling; the run manifest records the whole config and its hash.
    """
    calling = lab.calling
    lines = [
        f"##labpipe_version={__version__}",
        f"##labpipe_calling_config_sha256={stage_config_sha256(lab, 'calling')}",
        f"##labpipe_lab={lab.lab.id}",
        f"##labpipe_reference={lab.reference.fasta}",
        f"##labpipe_calling=caller:{calling.caller},min_mapq:{calling.min_mapq},"
        f"min_baseq:{calling.min_baseq},max_depth:{calling.max_depth},prior:{calling.prior},"
        f"indel_bias:{calling.indel_bias},target_padding:{calling.target_padding},"
        f"min_qual_snv:{calling.min_qual.snv:g},min_qual_indel:{calling.min_qual.indel:g},"
        f"min_depth:{calling.min_depth},indel_artefact_filter:{calling.indel_artefact_filter},"
        f"indel_second_opinion:{calling.second_opinion}",
    ]
    return "\n".join(lines) + "\n"


def write_qc_summary(
    units: list[Unit], outdir: Path, out: Path, ledger_mqc: Path | None = None
) -> None:
    """Collect every sample's QC metrics into one table (and the read ledger for MultiQC).

    Args:
        units: The units whose samples the table lists, in sheet order.
        outdir: The run's output folder, whose QC files (:mod:`labpipe.core.layout`) are read.
        out: The table to write.
        ledger_mqc: Where to write the read ledger for MultiQC, if wanted.
    """
    from labpipe.qc.metrics import collect_sample_qc, write_ledger_mqc, write_qc_table

    def qc_file(template: str, **wildcards: str) -> Path:
        return layout.in_outdir(outdir, template, **wildcards)

    rows = []
    for sample in dict.fromkeys(u.sample for u in units):
        own = [u for u in units if u.sample == sample]
        rows.append(
            collect_sample_qc(
                sample,
                [qc_file(layout.FASTP_JSON, sample=u.sample, unit=u.unit) for u in own],
                qc_file(layout.FLAGSTAT_JSON, sample=sample),
                qc_file(layout.SAMTOOLS_STATS, sample=sample),
                qc_file(layout.MOSDEPTH_PREFIX, sample=sample),
                markdup_stats=qc_file(layout.MARKDUP_STATS, sample=sample),
                pair_counts=[qc_file(layout.PAIRS_JSON, sample=u.sample, unit=u.unit) for u in own],
            )
        )
    rows = [with_sex_check(row, qc_file(layout.SEX_JSON, sample=row.sample)) for row in rows]
    write_qc_table(rows, out)
    if ledger_mqc is not None:
        write_ledger_mqc(rows, ledger_mqc)


def with_sex_check(row: SampleQC, sex_json: Path) -> SampleQC:
    """A QC row with the sample's sex check (:mod:`labpipe.qc.sex`) filled in, when it ran."""
    from dataclasses import replace

    from labpipe.qc.sex import read_sex_check

    if not sex_json.exists():
        return row
    check = read_sex_check(sex_json)
    note = "; ".join(n for n in (check.note, check.ploidy_note) if n)
    return replace(
        row,
        sex_declared=check.sex_declared,
        sex_inferred=check.sex_inferred,
        x_autosome_depth_ratio=check.x_autosome_depth_ratio,
        y_autosome_depth_ratio=check.y_autosome_depth_ratio,
        x_het_fraction=check.x_het_fraction,
        x_snvs=check.x_snvs,
        x_het_snvs=check.x_het_snvs,
        # One table cell: no tabs or line breaks.
        sex_note=" ".join(note.split()),
    )


def labpipe_environment(config_path: Path, outdir: Path) -> dict[str, str]:
    """What every job's environment adds, so that a rule's command reads as typed.

    ``labpipe`` is found on PATH: the folder of the Python that runs the workflow
    comes first (it holds labpipe's own scripts, and MultiQC); a rule's conda
    environment, when ``--use-conda`` activates one, still goes before it.
    ``LABPIPE_CONFIG`` and ``LABPIPE_OUTDIR`` are the absolute lab config and output folder.
    """
    here = str(Path(sys.executable).parent)
    path = os.environ.get("PATH", "")
    if path.split(os.pathsep)[0] != here:
        path = os.pathsep.join([here, path]) if path else here
    return {
        "PATH": path,
        "LABPIPE_CONFIG": str(config_path.resolve()),
        "LABPIPE_OUTDIR": str(outdir.resolve()),
    }
