#!/usr/bin/env python
"""labpipe end to end against a bare shell pipeline of the same tools, on data set (b).

The bare pipeline is what a seasoned bioinformatician would type, with the same threads
(see ``bare_script``): fastp writing trimmed, gzipped FASTQ; bwa mem -K reading it, piped
uncompressed through fixmate, sort and markdup; then bcftools mpileup | call over the same
regions, and bcftools norm.
labpipe runs its whole workflow (QC, reports, manifest included) with ``--cores`` equal
to the bare pipeline's threads. Each is run ``--repeats`` times, alternating, from an empty
output folder; the reference indexes are built once beforehand and used by both.

Printed: median wall time of each and their ratio, CPU time (user + system of every
process), peak memory (the largest sum of resident memory over the process tree), and
labpipe's orchestration overhead measured three ways: ``labpipe run --dry-run`` (start-up,
validation, Snakefile and DAG), a no-op rerun of a finished run, and, within the real runs,
the time no tool process was alive.

    .venv/bin/python benchmarks/speed.py                 # 3 repeats, 2 threads
    .venv/bin/python benchmarks/speed.py --repeats 5 --seed 7
    .venv/bin/python benchmarks/speed.py --aligner minimap2   # both with minimap2 -ax sr

Targets (issue 12): labpipe at most 1.05 x the bare pipeline with the same aligner; with
minimap2, below the bare bwa pipeline (run it with --aligner bwa the same hour to compare).
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import shutil
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))

from datasets import (
    DEFAULT_SCRATCH,
    DEFAULT_SEED,
    Dataset,
    labpipe_bin,
    log,
    run,
    shared_reference,
    simulated_dataset,
    write_figures,
)
from measure import Measurement, measure, median

from labpipe.config.samplesheet import load_sample_sheet
from labpipe.evaluation.evaluate import evaluate
from labpipe.run.workflow_support import ADAPTERS

GB = 1024**3


def bare_aligner(aligner: str, reference: Path, threads: int, rg: str) -> str:
    """The bare pipeline's aligner reading the trimmed FASTQs."""
    if aligner == "minimap2":
        return f"minimap2 -ax sr -t {threads} -K 100M -Y -R '{rg}' {reference}.mmi"
    return f"bwa mem -t {threads} -K 10000000 -Y -R '{rg}' {reference}"


def bare_script(
    dataset: Dataset, reference: Path, regions: Path, threads: int, aligner: str = "bwa"
) -> str:
    """The bare pipeline as a bash script run in an empty folder."""
    unit = load_sample_sheet(dataset.samples_tsv)[0]
    r1, r2 = ADAPTERS[dataset.platform]
    sample = dataset.sample
    rg = f"@RG\\tID:{sample}.{unit.unit}\\tSM:{sample}\\tPL:{dataset.platform}\\tLB:{sample}-lib1"
    return f"""#!/bin/bash
# Bare pipeline: fastp -> {aligner} | fixmate | sort | markdup -> mpileup | call -> norm
set -euo pipefail
fastp --in1 {unit.fq1} --in2 {unit.fq2} --out1 trimmed_R1.fastq.gz --out2 trimmed_R2.fastq.gz \\
    --adapter_sequence {r1} --adapter_sequence_r2 {r2} --trim_poly_g \\
    --length_required 36 --thread {threads} --json fastp.json --html fastp.html 2> fastp.log
{bare_aligner(aligner, reference, threads, rg)} \\
    trimmed_R1.fastq.gz trimmed_R2.fastq.gz 2> aligner.log \\
  | samtools fixmate -m -u - - \\
  | samtools sort -u -@ {threads} -m 512M -T sort.tmp - \\
  | samtools markdup -@ {threads} -T markdup.tmp - {sample}.bam
samtools index -@ {threads} {sample}.bam
bcftools mpileup -f {reference} -R {regions} -q 20 -Q 20 -d 2000 -a FORMAT/AD,FORMAT/DP \\
    -Ou {sample}.bam 2> mpileup.log \\
  | bcftools call -m -v -a GQ -Oz -o {sample}.calls.vcf.gz
bcftools norm -f {reference} -m -any -Oz -o {sample}.vcf.gz {sample}.calls.vcf.gz
bcftools index -t {sample}.vcf.gz
"""


def labpipe_config(
    dataset: Dataset,
    reference: Path,
    targets: Path,
    outdir: Path,
    threads: int,
    aligner: str = "bwa",
) -> dict[str, Any]:
    """labpipe's config for the run: default settings, the same regions and trimming."""
    return {
        "lab": {"name": "labpipe speed benchmark", "id": "bench"},
        "reference": {"fasta": str(reference), "build": "hg19"},
        "targets": str(targets),
        "samples": str(dataset.samples_tsv),
        "platform": dataset.platform,
        "output_dir": str(outdir),
        "threads": threads,
        # The simulated reads carry NovaSeq names; both pipelines trim poly-G, explicitly.
        "trimming": {"poly_g": True},
        "alignment": {"aligner": aligner},
    }


@dataclass(frozen=True)
class Job:
    """One Snakemake job of a labpipe run, in seconds after labpipe was started."""

    rule: str
    start: float
    end: float
    output: str


def job_timeline(outdir: Path, started_epoch: float) -> list[Job]:
    """The jobs of a finished labpipe run, from Snakemake's per-output metadata."""
    jobs: dict[int, Job] = {}
    for path in (outdir / ".snakemake" / "metadata").iterdir():
        record = json.loads(path.read_text())
        output = base64.b64decode(path.name).decode()
        job = Job(
            record["rule"],
            record["starttime"] - started_epoch,
            record["endtime"] - started_epoch,
            output,
        )
        # One record per output file; a job's outputs share its hash.
        seen = jobs.get(record["job_hash"])
        if seen is None or output < seen.output:
            jobs[record["job_hash"]] = job
    return sorted(jobs.values(), key=lambda job: (job.start, job.rule))


def describe(name: str, runs: list[Measurement]) -> dict[str, Any]:
    """Medians (and every run) of one pipeline."""
    return {
        "name": name,
        "wall_s": median([r.wall for r in runs]),
        "cpu_s": median([r.cpu for r in runs]),
        "peak_rss_gb": median([r.peak_rss for r in runs]) / GB,
        "max_single_rss_gb": median([r.max_single_rss for r in runs]) / GB,
        "orchestration_only_s": median([r.orchestration_only for r in runs]),
        "runs": [r.__dict__ for r in runs],
    }


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scratch", type=Path, default=DEFAULT_SCRATCH)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--aligner", choices=("bwa", "minimap2"), default="bwa")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    scratch = args.scratch.resolve()
    ready = shared_reference(scratch)
    if ready is None:
        return 0
    reference, targets = ready
    dataset = simulated_dataset(scratch, "easy", args.seed)
    work = scratch / "speed" / f"seed{args.seed}-{args.aligner}"
    work.mkdir(parents=True, exist_ok=True)
    if args.aligner != "bwa":  # its index, built once, outside the measured runs
        run([str(labpipe_bin()), "reference", "prepare", "--aligner", args.aligner, str(reference)])
    script = work / "bare.sh"
    script.write_text(bare_script(dataset, reference, targets, args.threads, args.aligner))
    config = work / "labpipe.yaml"
    labpipe_out = work / "labpipe-out"
    settings = labpipe_config(dataset, reference, targets, labpipe_out, args.threads, args.aligner)
    config.write_text(yaml.safe_dump(settings, sort_keys=False))
    labpipe_cmd = [str(labpipe_bin()), "run", str(config), "--cores", str(args.threads)]

    # The machine is shared: the load before and after goes with the figures.
    load_before = os.getloadavg()
    labpipe_runs: list[Measurement] = []
    bare_runs: list[Measurement] = []
    for i in range(args.repeats):
        # Alternate which goes first so that warm caches favour neither.
        order = ("labpipe", "bare") if i % 2 == 0 else ("bare", "labpipe")
        for which in order:
            if which == "labpipe":
                shutil.rmtree(labpipe_out, ignore_errors=True)
                log(f"run {i + 1}/{args.repeats}: labpipe")
                m = measure(labpipe_cmd, log=work / f"labpipe-{i + 1}.log")
                labpipe_runs.append(m)
            else:
                bare_dir = work / "bare-out"
                shutil.rmtree(bare_dir, ignore_errors=True)
                bare_dir.mkdir()
                log(f"run {i + 1}/{args.repeats}: bare pipeline")
                m = measure(["bash", str(script)], cwd=bare_dir, log=work / f"bare-{i + 1}.log")
                bare_runs.append(m)
            if m.returncode != 0:
                raise SystemExit(f"{which} failed (exit {m.returncode}); see the logs in {work}")
            log(f"  {m.wall:.1f} s wall, {m.cpu:.1f} s CPU, {m.peak_rss / GB:.2f} GB peak")

    log("orchestration: dry runs and no-op reruns")
    noop = [measure(labpipe_cmd, log=work / "noop.log") for _ in range(args.repeats)]
    dry_out = work / "dry-out"
    shutil.rmtree(dry_out, ignore_errors=True)
    dry_settings = labpipe_config(dataset, reference, targets, dry_out, args.threads, args.aligner)
    dry_config = work / "labpipe-dry.yaml"
    dry_config.write_text(yaml.safe_dump(dry_settings, sort_keys=False))
    dry = [
        measure([str(labpipe_bin()), "run", str(dry_config), "--cores", "2", "--dry-run"])
        for _ in range(args.repeats)
    ]

    lp, bare = describe("labpipe", labpipe_runs), describe("bare", bare_runs)
    ratio = lp["wall_s"] / bare["wall_s"]
    sample = dataset.sample
    accuracy = {}
    for name, vcf in (
        ("labpipe", labpipe_out / "results" / "vcf" / f"{sample}.vcf.gz"),
        ("bare", work / "bare-out" / f"{sample}.vcf.gz"),
    ):
        result = evaluate(dataset.truth_vcf, vcf, reference, regions_bed=dataset.regions_bed)
        accuracy[name] = {"snv_f1": result.snv.f1, "indel_f1": result.indel.f1}

    load_after = os.getloadavg()
    print(f"\n{dataset.title}")
    print(
        "load average (1, 5, 15 min) before: "
        + ", ".join(f"{x:.2f}" for x in load_before)
        + "; after: "
        + ", ".join(f"{x:.2f}" for x in load_after)
    )
    print(f"{args.repeats} runs each, {args.threads} threads, aligner {args.aligner}, medians:")
    print(
        f"  {'':<10} {'wall s':>8} {'CPU s':>8} {'peak GB':>8} {'no-tool s':>10}"
        f" {'SNV F1':>7} {'indel F1':>8}"
    )
    for d in (lp, bare):
        acc = accuracy[d["name"]]
        print(
            f"  {d['name']:<10} {d['wall_s']:>8.1f} {d['cpu_s']:>8.1f} {d['peak_rss_gb']:>8.2f}"
            f" {d['orchestration_only_s']:>10.1f} {acc['snv_f1']:>7.4f} {acc['indel_f1']:>8.4f}"
        )
    print(f"  wall-time ratio labpipe / bare: {ratio:.2f}")
    print(
        "  every run (wall s): labpipe "
        + ", ".join(f"{r.wall:.1f}" for r in labpipe_runs)
        + "; bare "
        + ", ".join(f"{r.wall:.1f}" for r in bare_runs)
    )
    tools = labpipe_runs[len(labpipe_runs) // 2].tool_seconds
    print(
        "  labpipe, seconds each tool was seen running (median run): "
        + ", ".join(f"{k} {v:.0f}" for k, v in sorted(tools.items(), key=lambda kv: -kv[1]))
    )
    timeline = job_timeline(labpipe_out, labpipe_runs[-1].started_epoch)
    print(f"\nlabpipe's jobs in its last run ({labpipe_runs[-1].wall:.1f} s), seconds after start:")
    for job in timeline:
        took = job.end - job.start
        print(f"  {job.start:6.1f} {job.end:6.1f} {took:5.1f}  {job.rule:<22} {job.output}")
    vcf_ready = max((j.end for j in timeline if j.rule == "call_variants"), default=float("nan"))
    print(
        f"  final VCF written at {vcf_ready:.1f} s (the bare pipeline's last step ends at"
        f" {bare['wall_s']:.1f} s, median); first job started at {timeline[0].start:.1f} s,"
        f" last ended at {timeline[-1].end:.1f} s"
    )
    print("\nOrchestration overhead (labpipe):")
    print(f"  dry run (start-up, validation, DAG):   {median([m.wall for m in dry]):.1f} s")
    print(f"  no-op rerun of a finished run:         {median([m.wall for m in noop]):.1f} s")
    print(
        f"  time with no tool running, real runs:  {lp['orchestration_only_s']:.1f} s"
        " (start-up, DAG, job launches, and labpipe's own Python steps)"
    )
    print("\nTargets:")
    print(f"  wall time <= 1.05 x bare: {ratio:.2f}  {'HOLDS' if ratio <= 1.05 else 'FAILS'}")
    peak = lp["peak_rss_gb"]
    print(f"  peak memory < 2 GB: {peak:.2f} GB  {'HOLDS' if peak < 2 else 'FAILS'}")
    report = {
        "dataset": dataset.title,
        "threads": args.threads,
        "aligner": args.aligner,
        "load_average_before_after": [load_before, load_after],
        "repeats": args.repeats,
        "labpipe": lp,
        "bare": bare,
        "ratio": ratio,
        "accuracy": accuracy,
        "dry_run_s": [m.wall for m in dry],
        "noop_rerun_s": [m.wall for m in noop],
        "bare_script": script.read_text(),
        "labpipe_jobs_last_run": [asdict(job) for job in timeline],
    }
    write_figures(report, work / "speed.json", args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
