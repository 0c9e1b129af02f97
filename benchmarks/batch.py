#!/usr/bin/env python
"""A batch of N panel samples: how labpipe's costs grow from N = 1 to 48.

One sample of data set (b)'s kind is simulated (``--pairs`` read pairs over the real
1.1 Mb of chr20) and given to every sample of the batch under its own name (hard links,
so each sample is its own file to labpipe and no disk is used twice; every sample costs
the same, so any growth per sample comes from labpipe, not the data). For each batch
size N it measures:

* ``labpipe validate`` (config, sample sheet and every input file checked);
* ``labpipe run --dry-run`` from an empty output folder (start-up, validation,
  Snakefile, DAG build, the dry run's listing): the issue's target is under 5 s at 48;
* a real ``labpipe run`` (unless ``--dry-only``): wall time, CPU time, peak memory of
  the process tree, and the orchestration overhead two ways (see ``measure.py``): the
  time during which nothing worked (no tool and no labpipe step but ``finish`` alive:
  start-up, validation, DAG build, job launches, moving finished files into place), and
  the larger time during which no tool process was alive (labpipe's own Python steps,
  annotation and reports, counted as orchestration, as ``speed.py`` does). The issue's
  target is under 5% of the wall time at 48. Snakemake's job records also give when the
  first job started (start-up and DAG).

The default batch is smaller than the issue's "few hundred thousand read pairs" per
sample so that it fits a shared 2-core machine (``--pairs 300000`` is the issue's size).
Fewer reads make the tools' share smaller, so the orchestration share measured here is
an upper bound for larger samples.

    .venv/bin/python benchmarks/batch.py                        # N = 1, 4, 12, 48; 25,000 pairs
    .venv/bin/python benchmarks/batch.py --dry-only --sizes 1,12,48,96
    .venv/bin/python benchmarks/batch.py --pairs 300000 --sizes 1,48
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sys
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))

from datasets import (
    DEFAULT_SCRATCH,
    DEFAULT_SEED,
    REAL_SPAN,
    Dataset,
    labpipe_bin,
    log,
    shared_reference,
    simulated_dataset,
    write_figures,
)
from measure import measure, median
from speed import GB, job_timeline, labpipe_config

from labpipe.config.samplesheet import load_sample_sheet

#: Bases of a read pair at data set (b)'s 2 x 150.
PAIR_BASES = 300
_PLANNED = re.compile(r"dry run: (\d+) step\(s\) would run")


def batch_of(reads: Dataset, folder: Path, n: int) -> Path:
    """A sample sheet of ``n`` samples, each with its own hard links to ``reads``' FASTQs."""
    unit = load_sample_sheet(reads.samples_tsv)[0]
    fastqs = folder / "reads"
    shutil.rmtree(folder, ignore_errors=True)
    fastqs.mkdir(parents=True)
    lines = ["sample\tunit\tfq1\tfq2\tplatform\tlibrary"]
    for i in range(1, n + 1):
        sample = f"P{i:03d}"
        pair = []
        for mate, source in (("R1", unit.fq1), ("R2", unit.fq2)):
            link = fastqs / f"{sample}_S{i}_L001_{mate}_001.fastq.gz"
            try:
                os.link(source, link)
            except OSError:  # another file system: a copy costs disk, not correctness
                shutil.copyfile(source, link)
            pair.append(link)
        lines.append(f"{sample}\tL001\t{pair[0]}\t{pair[1]}\t{reads.platform}\t{sample}-lib1")
    sheet = folder / "samples.tsv"
    sheet.write_text("\n".join(lines) + "\n")
    return sheet


def write_config(
    reads: Dataset, sheet: Path, reference: Path, targets: Path, out: Path, threads: int
) -> Path:
    """speed.py's labpipe config (default settings) for the batch's sheet."""
    settings = labpipe_config(reads, reference, targets, out, threads)
    settings["samples"] = str(sheet)
    settings["lab"]["name"] = "labpipe batch benchmark"
    config = sheet.with_name(f"labpipe-{out.name}.yaml")
    config.write_text(yaml.safe_dump(settings, sort_keys=False))
    return config


def timed(command: list[str], repeats: int, log_file: Path) -> tuple[float, float, str]:
    """Median wall and CPU time of ``command``, and the output of its last run."""
    runs = []
    for _ in range(repeats):
        m = measure(command, log=log_file)
        runs.append(m)
        if m.returncode != 0:
            raise SystemExit(f"failed: {' '.join(command)}\n{log_file.read_text()}")
    return median([m.wall for m in runs]), median([m.cpu for m in runs]), log_file.read_text()


def linear_fit(xs: list[float], ys: list[float]) -> tuple[float, float]:
    """Least-squares (slope, intercept) of ys against xs."""
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    if sxx == 0:
        return 0.0, my
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sxx
    return slope, my - slope * mx


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scratch", type=Path, default=DEFAULT_SCRATCH)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--sizes", default="1,4,12,48", help="batch sizes N (default 1,4,12,48)")
    parser.add_argument(
        "--pairs", type=int, default=25_000, help="read pairs per sample (issue: 300000)"
    )
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--dry-repeats", type=int, default=3)
    parser.add_argument("--dry-only", action="store_true", help="no real runs, dry runs only")
    parser.add_argument(
        "--run-sizes", help="batch sizes that also get a real run (default: every size)"
    )
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    sizes = sorted({int(n) for n in args.sizes.split(",")})
    run_sizes = {int(n) for n in args.run_sizes.split(",")} if args.run_sizes else set(sizes)
    scratch = args.scratch.resolve()
    ready = shared_reference(scratch)
    if ready is None:
        return 0
    reference, targets = ready
    span = REAL_SPAN[2] - REAL_SPAN[1]
    depth = round(args.pairs * PAIR_BASES / span, 2)
    reads = simulated_dataset(scratch, "easy", args.seed, depth=depth)
    work = scratch / "batch" / f"pairs{args.pairs}"
    work.mkdir(parents=True, exist_ok=True)
    lp = str(labpipe_bin())

    rows: list[dict[str, Any]] = []
    for n in sizes:
        folder = work / f"n{n}"
        sheet = batch_of(reads, folder, n)
        dry_out = folder / "dry-out"
        dry_config = write_config(reads, sheet, reference, targets, dry_out, args.threads)
        log(f"N = {n}: validate and dry run, {args.dry_repeats} times each")
        validate_s, validate_cpu, _ = timed(
            [lp, "validate", str(dry_config)], args.dry_repeats, folder / "validate.log"
        )
        shutil.rmtree(dry_out, ignore_errors=True)
        dry_cmd = [lp, "run", str(dry_config), "--cores", str(args.threads), "--dry-run"]
        dry_s, dry_cpu, dry_text = timed(dry_cmd, args.dry_repeats, folder / "dry-run.log")
        planned = _PLANNED.search(dry_text)
        row: dict[str, Any] = {
            "n": n,
            "validate_s": validate_s,
            "validate_cpu_s": validate_cpu,
            "dry_run_s": dry_s,
            "dry_run_cpu_s": dry_cpu,
            "steps": int(planned.group(1)) if planned else None,
        }
        if not args.dry_only and n in run_sizes:
            out = folder / "out"
            shutil.rmtree(out, ignore_errors=True)
            config = write_config(reads, sheet, reference, targets, out, args.threads)
            log(f"N = {n}: labpipe run")
            m = measure(
                [lp, "run", str(config), "--cores", str(args.threads)], log=folder / "run.log"
            )
            if m.returncode != 0:
                raise SystemExit(f"N = {n}: labpipe run failed; see {folder / 'run.log'}")
            jobs = job_timeline(out, m.started_epoch)
            row.update(
                wall_s=m.wall,
                cpu_s=m.cpu,
                peak_rss_gb=m.peak_rss / GB,
                no_tool_s=m.orchestration_only,
                no_tool_share=m.orchestration_only / m.wall,
                nothing_working_s=m.nothing_working,
                nothing_working_share=m.nothing_working / m.wall,
                step_cpu_s=m.step_cpu,
                first_job_start_s=min(j.start for j in jobs),
                jobs=len(jobs),
            )
            log(
                f"  {m.wall:.1f} s wall, {m.cpu:.1f} s CPU, {m.peak_rss / GB:.2f} GB,"
                f" no tool running {m.orchestration_only:.1f} s"
            )
            shutil.rmtree(out / "results" / "bam", ignore_errors=True)  # the big part
        rows.append(row)
        # Written after each N too, so that a long batch cut short keeps what it measured.
        (work / "batch-partial.json").write_text(json.dumps(rows, indent=2) + "\n")

    load = os.getloadavg()
    print(f"\nBatch of N samples, {args.pairs:,} read pairs each ({depth:g}x nominal over")
    print(
        f"the 1.1 Mb of chr20; one simulation, hard-linked per sample), {args.threads} threads;"
        f" load average at the end {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}"
    )
    real = [r for r in rows if "wall_s" in r]
    head = f"  {'N':>3} {'steps':>6} {'validate s':>10} {'(CPU)':>6} {'dry run s':>9} {'(CPU)':>6}"
    if real:
        head += (
            f" {'wall s':>8} {'wall/N':>7} {'CPU s':>8} {'CPU/N':>6} {'peak GB':>7}"
            f" {'no-tool s':>9} {'share':>6} {'idle s':>6} {'share':>6} {'1st job s':>9}"
        )
    print(head)
    for r in rows:
        line = (
            f"  {r['n']:>3} {r['steps'] or 0:>6} {r['validate_s']:>10.2f}"
            f" {r['validate_cpu_s']:>6.2f} {r['dry_run_s']:>9.2f} {r['dry_run_cpu_s']:>6.2f}"
        )
        if "wall_s" in r:
            line += (
                f" {r['wall_s']:>8.1f} {r['wall_s'] / r['n']:>7.2f} {r['cpu_s']:>8.1f}"
                f" {r['cpu_s'] / r['n']:>6.2f} {r['peak_rss_gb']:>7.2f} {r['no_tool_s']:>9.1f}"
                f" {100 * r['no_tool_share']:>5.1f}% {r['nothing_working_s']:>6.1f}"
                f" {100 * r['nothing_working_share']:>5.1f}% {r['first_job_start_s']:>9.1f}"
            )
        print(line)
    fits: dict[str, tuple[float, float]] = {}
    print("\nLinear fits (per sample + fixed), and the cost per sample at the largest N")
    print("against the fit's slope (well above 1 = grows faster than linearly):")
    dry_keys = ["validate_s", "validate_cpu_s", "dry_run_s", "dry_run_cpu_s"]
    for key, measured in [(k, rows) for k in dry_keys] + [(k, real) for k in ("wall_s", "cpu_s")]:
        if len(measured) < 2:
            continue
        slope, fixed = linear_fit([float(r["n"]) for r in measured], [r[key] for r in measured])
        fits[key] = (slope, fixed)
        last, prev = measured[-1], measured[-2]
        marginal = (last[key] - prev[key]) / (last["n"] - prev["n"])
        ratio = marginal / slope if slope > 0 else float("nan")
        print(
            f"  {key:<14} {slope:7.3f} s/sample + {fixed:6.2f} s;"
            f" last step {prev['n']}->{last['n']}: {marginal:.3f} s/sample ({ratio:.2f} x slope)"
        )
    largest = rows[-1]
    print("\nTargets (the issue's at N = 48):")
    verdict = "HOLDS" if largest["dry_run_s"] < 5 else "FAILS"
    print(
        f"  N = {largest['n']}: DAG build + dry run < 5 s: {largest['dry_run_s']:.2f} s {verdict}"
    )
    if real:
        for what, key in (
            ("nothing working (no tool, no labpipe step but `finish`)", "nothing_working_share"),
            ("no tool running (labpipe's own steps counted as orchestration)", "no_tool_share"),
        ):
            share = real[-1][key]
            verdict = "HOLDS" if share < 0.05 else "FAILS"
            print(
                f"  N = {real[-1]['n']}: orchestration < 5% of wall, {what}:"
                f" {100 * share:.1f}% {verdict}"
            )
    report = {
        "pairs_per_sample": args.pairs,
        "depth": depth,
        "threads": args.threads,
        "load_average_end": load,
        "rows": rows,
        "fits_slope_fixed": fits,
        "command": " ".join([sys.executable, *sys.argv]),
    }
    write_figures(report, work / "batch.json", args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
