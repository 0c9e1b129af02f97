"""What each step asks a cluster for, and the Snakemake options that ask for it."""

from __future__ import annotations

from pathlib import Path

import pytest

from labpipe.config.settings import config_sha256
from labpipe.core.errors import MissingToolError, UsageError
from labpipe.run import cluster
from labpipe.run.cluster import (
    GROUPS,
    LOCAL_RULES,
    StepResources,
    align_resources,
    cluster_arguments,
    depth_resources,
    executor_arguments,
    markdup_resources,
    reference_index_resources,
)
from tests.builders import lab_config
from tests.paths import REPO


def sized(path: Path, n_bytes: int) -> Path:
    """A sparse file of the given size (no disk used)."""
    with open(path, "wb") as handle:
        handle.truncate(n_bytes)
    return path


def test_alignment_memory_follows_the_index_and_the_sort_threads(tmp_path: Path) -> None:
    fasta = sized(tmp_path / "grch38.fa", 3_100_000_000)
    reads = [
        sized(tmp_path / "r1.fq.gz", 3_000_000_000),
        sized(tmp_path / "r2.fq.gz", 3_000_000_000),
    ]
    eight = align_resources(fasta, reads, 8)
    sixteen = align_resources(fasta, reads, 16)
    # bwa's index (2 x FASTA) + 600 MB per sort thread + fastp and pipes.
    assert eight == StepResources(mem_mb=6200 + 4800 + 1500, runtime=135)
    assert sixteen.mem_mb - eight.mem_mb == 8 * 600
    assert sixteen.runtime < eight.runtime  # more threads, less time
    # A small panel: the floor of half an hour, the same index memory.
    panel = [sized(tmp_path / "p1.fq.gz", 10_000_000), sized(tmp_path / "p2.fq.gz", 10_000_000)]
    assert align_resources(fasta, panel, 8) == StepResources(12500, 30)


def test_other_steps_are_sized_from_what_exists_before_the_run(tmp_path: Path) -> None:
    fasta = sized(tmp_path / "ref.fa", 3_100_000_000)
    reads = [sized(tmp_path / "r1.fq.gz", 6_000_000_000)]
    assert markdup_resources(reads, 4) == StepResources(2000 + 1200, 45)
    # GRCh38-sized: bwa index about 5 GB and an hour
    # (labpipe.inputs.reference_needs.build_needs), x1.5 memory and x3 time for the queue's limits.
    assert reference_index_resources(fasta) == StepResources(7440, 195)
    assert reference_index_resources(fasta, "minimap2").mem_mb == 37200
    fai = tmp_path / "ref.fa.fai"
    fai.write_text("chr1\t248956422\t6\t60\t61\nchrM\t16569\t1\t60\t61\n")
    assert depth_resources(fai, reads).mem_mb == 1000 + 996  # 4 bytes per base of chr1
    # Not indexed yet: room for a human chromosome 1.
    assert depth_resources(tmp_path / "absent.fai", reads).mem_mb == 2000


def test_cluster_section_becomes_the_slurm_plugins_options() -> None:
    section = {
        "partition": "main",
        "steps": {"align": {"mem_mb": 16000, "runtime": 240}, "markdup": {"partition": "big"}},
    }
    args = cluster_arguments(lab_config(cluster=section).cluster)
    joined = " ".join(args)
    assert "--executor slurm --jobs 50" in joined
    assert "--default-resources mem_mb=1000 runtime=30 slurm_partition=main" in joined
    # Without accounting: squeue for job states, no account guessed with sacct.
    assert "--slurm-status-command squeue" in joined
    assert "--slurm-no-account" in args
    assert args[args.index("--set-resources") + 1 :] == [
        "align:mem_mb=16000",
        "align:runtime=240",
        "markdup:slurm_partition=big",
    ]
    assert "call_chunk=calling" in args
    assert "calling=8" in args
    with_account = cluster_arguments(lab_config(cluster={**section, "account": "genetics"}).cluster)
    assert "slurm_account=genetics" in with_account
    assert "--slurm-no-account" not in with_account


def test_groups_and_local_steps_name_real_rules_and_do_not_overlap() -> None:
    workflow = REPO / "workflow" / "rules"
    lines = [line for smk in workflow.glob("*.smk") for line in smk.read_text().splitlines()]
    rules = {line.split()[1].rstrip(":") for line in lines if line.startswith("rule ")}
    # `use rule call_chunk as family_call_chunk with:` defines family_call_chunk.
    rules |= {line.split()[4] for line in lines if line.startswith("use rule ")}
    grouped = [rule for members in GROUPS.values() for rule in members]
    assert set(grouped) <= rules
    assert set(LOCAL_RULES) - {"all"} <= rules
    assert not set(grouped) & set(LOCAL_RULES)
    assert len(grouped) == len(set(grouped))


def test_where_steps_run_is_not_part_of_what_they_compute() -> None:
    moved = lab_config(cluster={"partition": "other", "steps": {"align": {"mem_mb": 900}}})
    assert config_sha256(lab_config()) == config_sha256(moved)


def test_executor_choices_are_checked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = lab_config().cluster
    assert executor_arguments("local", None, settings) == []
    with pytest.raises(UsageError, match="not a Snakemake profile"):
        executor_arguments("local", tmp_path, settings)
    (tmp_path / "config.yaml").write_text("executor: cluster-generic\n")
    args = executor_arguments("local", tmp_path, settings)
    assert args[:2] == ["--profile", str(tmp_path.resolve())] and "--groups" in args
    with pytest.raises(UsageError, match="not both"):
        executor_arguments("slurm", tmp_path, settings)
    monkeypatch.setattr(cluster.shutil, "which", lambda _: None)
    if cluster.importlib.util.find_spec("snakemake_executor_plugin_slurm") is not None:
        with pytest.raises(MissingToolError, match="sbatch/squeue are not on PATH"):
            executor_arguments("slurm", None, settings)
    monkeypatch.setattr(cluster.importlib.util, "find_spec", lambda _: None)
    with pytest.raises(MissingToolError, match=r"labpipe\[slurm\]"):
        executor_arguments("slurm", None, settings)
