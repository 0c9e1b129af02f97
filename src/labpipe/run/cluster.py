"""Running the workflow's steps as cluster jobs: what each step asks for, and how.

Every rule declares its threads and its memory (``mem_mb``) and time limit
(``runtime``, minutes), sized here from what exists before the run starts —
the reference FASTA and the sample's FASTQs — so that the whole plan is known
up front and a job is neither killed for memory nor holding the queue for
hours it does not use. A local run ignores these (no limits are given to
Snakemake), so its behaviour and calls do not change.

``cluster_arguments`` turns the config's ``cluster:`` section into Snakemake's
command-line options for the SLURM executor plugin. The sizes are estimates
with a margin; a lab whose data differ sets ``cluster.steps.<rule>`` (see
docs/cluster.md, which lists every value).
"""

from __future__ import annotations

import contextlib
import importlib.util
import math
import os
import shutil
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from labpipe.config.lab import ClusterConfig, StepLimits
from labpipe.core.errors import MissingToolError, UsageError

# A step that only reads small tables: one CPU, 1 GB, half an hour.
SMALL_MEM_MB = 1000
SMALL_RUNTIME_MIN = 30

# Whole-run steps run by labpipe itself, not queued: each takes seconds, and a queued
# job could wait minutes for a slot. (Snakemake's `localrules`, see the Snakefile.)
LOCAL_RULES = (
    "all",
    "regions",
    "provenance_header",
    "sex_regions",
    "annotation_sources",
    "qc_summary",
    "identity_sites",
    "identity",
    "multiqc_general_stats",
    "multiqc",
    "sample_report",
    "batch_report",
    "report_index",
    "manifest",
)

# Small per-sample steps that run as one cluster job per group (and, with
# --group-components, several samples' groups per job): a 96-sample batch is then a few
# hundred jobs, not a thousand and a half jobs of seconds each.
GROUPS: Mapping[str, tuple[str, ...]] = {
    "calling": (
        "ploidy",
        "call_chunk",
        "indel_second_opinion",
        "call_variants",
        "bcftools_stats",
        # A family's joint calling (workflow/rules/call_family.smk).
        "family_ploidy",
        "family_call_chunk",
        "family_freebayes",
        "member_opinion",
        "family_opinion",
        "family_vcf",
    ),
    "bam_qc": ("samtools_stats", "mosdepth", "sex_depth", "sex_check"),
    "annotation": ("bcftools_csq", "roh_allele_frequencies", "bcftools_roh", "annotate"),
}

# bwa mem holds the index (.bwt, .sa, .pac: about 1.7 times the FASTA) in memory; 2x
# leaves room for its read batches. Estimates, not measured here on a human genome (no
# GRCh38 index on the test machine): docs/cluster.md says how to override them.
_BWA_MEM_PER_FASTA_BYTE = 2.0
# samtools sort -m 512M per thread, plus its own buffers.
_SORT_MB_PER_THREAD = 600
# fastp, samtools fixmate and the pipes between them.
_ALIGN_OVERHEAD_MB = 1500
# Assumed: bwa mem aligns about 1 GB of gzipped FASTQ (both reads) per CPU-hour; the
# limit is three times that, with a floor for queueing and start-up.
_ALIGN_MIN_PER_GB_PER_THREAD = 180
_MIN_RUNTIME_MIN = 30
# Index builds get half as much memory again as labpipe.inputs.reference estimates.
_INDEX_HEADROOM = 1.5
# mosdepth keeps one 32-bit counter per base of the longest chromosome.
_MOSDEPTH_BYTES_PER_BASE = 4


@dataclass(frozen=True)
class StepResources:
    """What one job asks the scheduler for."""

    mem_mb: int
    runtime: int


def _mb(n_bytes: float) -> int:
    return math.ceil(n_bytes / 1e6)


def _gb(paths: Iterable[str | Path]) -> float:
    """Total size of files in GB; a missing file counts as empty (validate reports it)."""
    total = 0
    for path in paths:
        with contextlib.suppress(OSError):
            total += os.path.getsize(path)
    return total / 1e9


def _fasta_bytes(fasta: str | Path) -> int:
    try:
        return os.path.getsize(fasta)
    except OSError:
        return 0


def align_resources(fasta: str | Path, fastqs: Iterable[str | Path], threads: int) -> StepResources:
    """fastp | bwa mem | samtools sort of one unit: the index, the sort buffers, the reads.

    Args:
        fasta: The reference FASTA (its index is about its size).
        fastqs: The unit's R1 and R2 files.
        threads: The step's threads (bwa's and the sort's).
    """
    mem = (
        _mb(_fasta_bytes(fasta) * _BWA_MEM_PER_FASTA_BYTE)
        + _SORT_MB_PER_THREAD * threads
        + _ALIGN_OVERHEAD_MB
    )
    minutes = _ALIGN_MIN_PER_GB_PER_THREAD * _gb(fastqs) / threads
    return StepResources(mem, max(_MIN_RUNTIME_MIN, math.ceil(minutes)))


def markdup_resources(fastqs: Iterable[str | Path], threads: int) -> StepResources:
    """samtools merge | markdup of one sample: memory grows with reads per window, not size."""
    minutes = 30 * _gb(fastqs) / threads
    return StepResources(2000 + 300 * threads, max(_MIN_RUNTIME_MIN, math.ceil(minutes)))


def reference_index_resources(fasta: str | Path, aligner: str = "bwa") -> StepResources:
    """The reference's indexes (once per FASTA): what ``reference prepare`` says a build
    needs (:func:`labpipe.inputs.reference_needs.build_needs`), with room to spare."""
    from labpipe.inputs.reference import index_files
    from labpipe.inputs.reference_needs import build_needs

    try:
        needs = build_needs(Path(fasta), list(index_files(Path(fasta), aligner)))
    except OSError:  # no FASTA yet: validate says so
        return StepResources(SMALL_MEM_MB, _MIN_RUNTIME_MIN)
    return StepResources(
        max(SMALL_MEM_MB, _mb(needs.memory * _INDEX_HEADROOM)),
        max(_MIN_RUNTIME_MIN, needs.minutes * 3),
    )


def depth_resources(fai: str | Path, fastqs: Iterable[str | Path]) -> StepResources:
    """mosdepth over a sample's BAM: one counter per base of the longest chromosome."""
    longest = 0
    try:
        for line in Path(fai).read_text().splitlines():
            fields = line.split("\t")
            if len(fields) > 1 and fields[1].isdigit():
                longest = max(longest, int(fields[1]))
    except OSError:
        longest = 250_000_000  # no index yet: room for a human chromosome 1
    mem = SMALL_MEM_MB + _mb(longest * _MOSDEPTH_BYTES_PER_BASE)
    return StepResources(mem, max(_MIN_RUNTIME_MIN, math.ceil(20 * _gb(fastqs))))


def reads_resources(fastqs: Iterable[str | Path]) -> StepResources:
    """A step that reads a sample's reads once (pair checks, BAM statistics, calling)."""
    return StepResources(2000, max(_MIN_RUNTIME_MIN, math.ceil(30 * _gb(fastqs))))


def cluster_arguments(cluster: ClusterConfig) -> list[str]:
    """Snakemake options that run the workflow's steps as SLURM jobs.

    Job states come from ``squeue``, not ``sacct``: many small sites run SLURM
    without accounting (slurmdbd), where sacct fails and the plugin would wait
    forever; squeue sees a job until SLURM forgets it (MinJobAge, 300 s by default).
    """
    defaults = [f"mem_mb={SMALL_MEM_MB}", f"runtime={SMALL_RUNTIME_MIN}"]
    if cluster.partition:
        defaults.append(f"slurm_partition={cluster.partition}")
    if cluster.account:
        defaults.append(f"slurm_account={cluster.account}")
    args = [
        "--executor",
        "slurm",
        "--jobs",
        str(cluster.max_jobs),
        "--default-resources",
        *defaults,
        "--slurm-status-command",
        "squeue",
        "--slurm-init-seconds-before-status-checks",
        "5",
        # A shared filesystem may show a job's outputs late.
        "--latency-wait",
        str(cluster.latency_wait),
    ]
    if not cluster.account:
        # Otherwise the plugin guesses one with sacct, which fails without accounting.
        args.append("--slurm-no-account")
    # Each job's SLURM log stays beside the run's (.snakemake/slurm_logs/), not only a failed one's.
    args.append("--slurm-keep-successful-logs")
    args += grouping_arguments(cluster.samples_per_job)
    overrides = step_overrides(cluster.steps)
    if overrides:
        args += ["--set-resources", *overrides]
    return args


def grouping_arguments(samples_per_job: int) -> list[str]:
    """Group the small per-sample steps, ``samples_per_job`` samples' worth to a job."""
    groups = [f"{rule}={group}" for group, rules in GROUPS.items() for rule in rules]
    components = [f"{group}={samples_per_job}" for group in GROUPS]
    return ["--groups", *groups, "--group-components", *components]


def step_overrides(steps: Mapping[str, StepLimits]) -> list[str]:
    """``cluster.steps`` as Snakemake's ``--set-resources RULE:NAME=VALUE`` items."""
    return [
        f"{rule}:{name}={value}"
        for rule, limits in sorted(steps.items())
        for name, value in (
            ("mem_mb", limits.mem_mb),
            ("slurm_partition", limits.partition),
            ("runtime", limits.runtime),
        )
        if value is not None
    ]


def executor_arguments(executor: str, profile: Path | None, cluster: ClusterConfig) -> list[str]:
    """Snakemake options for where the steps run: here, on SLURM, or as a profile says.

    Args:
        executor: ``local`` or ``slurm``.
        profile: A Snakemake profile directory (any executor plugin: SGE, PBS, LSF, …);
            its settings win over the config's ``cluster:`` section.
        cluster: The config's ``cluster:`` section.

    Raises:
        UsageError: Both a profile and the SLURM executor, or a profile that is not a
            directory with a config.yaml.
        MissingToolError: The SLURM executor without its plugin or without sbatch.
    """
    if profile is not None:
        if executor != "local":
            raise UsageError("give either --executor slurm or --profile DIR, not both")
        if not (profile / "config.yaml").is_file():
            raise UsageError(
                f"--profile {profile}: not a Snakemake profile (a directory with config.yaml)"
            )
        return [
            "--profile",
            str(profile.resolve()),
            *grouping_arguments(cluster.samples_per_job),
        ]
    if executor == "local":
        return []
    if importlib.util.find_spec("snakemake_executor_plugin_slurm") is None:
        raise MissingToolError(
            "--executor slurm needs Snakemake's SLURM plugin; `make setup` installs it as "
            "pinned in requirements.lock (outside labpipe's .venv: "
            f"`{sys.executable} -m pip install 'labpipe[slurm]'`)"
        )
    if shutil.which("sbatch") is None or shutil.which("squeue") is None:
        raise MissingToolError(
            "--executor slurm: sbatch/squeue are not on PATH; run labpipe on a machine "
            "that submits to your SLURM cluster (a login node)"
        )
    return cluster_arguments(cluster)
