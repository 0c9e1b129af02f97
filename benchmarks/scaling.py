#!/usr/bin/env python
"""How labpipe's and the bare pipeline's costs grow with the reads: x1, x4, x16.

Data set (b) (simulated on the real 1.1 Mb of chr20, 2x150, Illumina) at its own 40x
and at 4 and 16 times as many reads (160x, 640x: the same span, more reads, simulated
with the same seed). On each, labpipe (``speed.py``'s config: defaults, same regions)
and speed.py's bare pipeline are run once, one after the other, with the same threads.

Printed per run: wall time, CPU time (user + system of every process), peak memory of the
process tree, peak disk used in the output folder; per step (process label: ``bwa``,
``samtools sort``, ``bcftools mpileup``, ``labpipe step annotate``…; see measure.py):
CPU seconds and peak memory. Each figure is fitted against the reads (least squares,
cost = fixed + slope x million reads), and the slopes give the planning estimates for a
30x exome and a 30x genome (``planning``). An SVG plot of CPU and peak memory against
the reads is written beside the JSON.

    .venv/bin/python benchmarks/scaling.py                      # x1, x4, x16, 2 threads
    .venv/bin/python benchmarks/scaling.py --factors 1,4 --threads 2
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))

from batch import linear_fit
from datasets import (
    DEFAULT_SCRATCH,
    DEFAULT_SEED,
    SIMULATED,
    labpipe_bin,
    log,
    shared_reference,
    simulated_dataset,
    write_figures,
)
from measure import Measurement, disk_usage, measure
from speed import GB, bare_script, job_timeline, labpipe_config

#: Data set (b)'s own nominal depth (datasets.SIMULATED).
BASE_DEPTH = float(SIMULATED["easy"][1][SIMULATED["easy"][1].index("--depth") + 1])
MB = 1e6


@dataclass(frozen=True)
class Target:
    """A sample a lab plans for, by its reads."""

    name: str
    million_reads: float


#: The issue's 30x exome (~100 M reads) and a 30x genome (3.1 Gb x 30 / 150 bp reads).
TARGETS = (
    Target("30x exome (~100 M reads)", 100.0),
    Target("30x genome (~620 M reads)", 620.0),
)
CORES = (8, 16, 32)
#: bwa mem holds the index in memory: about 1.7 times the FASTA (labpipe.cluster);
#: GRCh38 is 3.1 Gb, against the 63 Mb chr20 FASTA measured here.
GRCH38_BWA_INDEX_GB = 1.7 * 3.1


def run_one(command: list[str], cwd: Path | None, out: Path, log_file: Path) -> Measurement:
    """One measured run from an empty ``out``; stops the benchmark if it fails."""
    m = measure(command, cwd=cwd, log=log_file, watch=out)
    if m.returncode != 0:
        raise SystemExit(f"failed (exit {m.returncode}): {' '.join(command)}; see {log_file}")
    return m


def describe(m: Measurement, million_reads: float, out: Path) -> dict[str, Any]:
    """The figures of one run."""
    return {
        "million_reads": million_reads,
        "wall_s": m.wall,
        "cpu_s": m.cpu,
        "peak_rss_gb": m.peak_rss / GB,
        "peak_disk_gb": m.peak_disk / GB,
        "final_disk_gb": disk_usage(out) / GB,
        "no_tool_s": m.orchestration_only,
        "step_cpu_s": m.step_cpu,
        "step_peak_rss_gb": {k: v / GB for k, v in m.step_peak_rss.items()},
    }


def fit(rows: list[dict[str, Any]], key: str) -> tuple[float, float]:
    """(slope per million reads, fixed) of a figure over the runs."""
    return linear_fit([r["million_reads"] for r in rows], [r[key] for r in rows])


def step_fits(rows: list[dict[str, Any]]) -> dict[str, tuple[float, float]]:
    """Per step: (CPU seconds per million reads, fixed CPU seconds)."""
    labels = sorted({k for r in rows for k in r["step_cpu_s"]})
    xs = [r["million_reads"] for r in rows]
    return {
        label: linear_fit(xs, [r["step_cpu_s"].get(label, 0.0) for r in rows]) for label in labels
    }


#: Steps that use every core they are given (bwa -t, fastp --thread, sort and markdup -@).
THREADED = ("bwa", "fastp", "samtools sort", "samtools markdup", "samtools index")
#: One process a calling chunk (calling.scatter chunks run side by side, default 4).
PER_CHUNK = ("bcftools mpileup", "bcftools call", "bcftools view", "bcftools norm", "tee")
#: Single-threaded steps that run beside the alignment (in its pipe, or as their own job).
BESIDE_ALIGNMENT = ("samtools fixmate", "labpipe step check-pairs")
#: Single-threaded steps that run beside the calling chunks.
BESIDE_CALLING = ("mosdepth", "samtools stats", "samtools flagstat")
DEFAULT_SCATTER = 4


def stage_hours(step_cpu_s: dict[str, float], cores: int, scatter: int) -> float:
    """Wall hours of one sample on ``cores`` cores from each step's CPU seconds.

    A model, not a measurement: alignment takes its threaded steps' CPU spread over every
    core, or the slowest single-threaded step beside it if that is longer; duplicate
    marking likewise; calling spreads over min(cores, scatter) chunks, or the slowest BAM
    QC step beside it; every other step (annotation, reports, MultiQC) runs on one core
    after them.
    """

    def cpu(names: tuple[str, ...]) -> float:
        return sum(v for k, v in step_cpu_s.items() if k in names)

    align = max(
        cpu(("bwa", "fastp", "samtools sort")) / cores,
        max(step_cpu_s.get(k, 0.0) for k in BESIDE_ALIGNMENT),
    )
    markdup = cpu(("samtools markdup", "samtools index")) / cores
    calling = max(
        cpu(PER_CHUNK) / min(cores, scatter), max(step_cpu_s.get(k, 0.0) for k in BESIDE_CALLING)
    )
    known = set(THREADED) | set(PER_CHUNK) | set(BESIDE_ALIGNMENT) | set(BESIDE_CALLING)
    rest = sum(v for k, v in step_cpu_s.items() if k not in known)
    return (align + markdup + calling + rest) / 3600


def planning(rows: list[dict[str, Any]], threads: int) -> list[dict[str, Any]]:
    """Hours, peak RAM and disk for each target sample on 8, 16 and 32 cores.

    Each step's CPU is its fitted fixed + slope x reads; the hours follow
    :func:`stage_hours` with the default 4 calling chunks and with one chunk per core
    (``calling.scatter`` = cores). Memory: the largest peak measured minus this
    reference's bwa index, plus GRCh38's index, plus 512 MB of sort buffer per thread
    beyond the ``threads`` measured (samtools sort -m 512M -@ C). fastp's peak is taken
    as measured: labpipe runs it in parts of 500,000 read pairs, so it stops growing at
    the first full part (0.67 GB at 1.2 and at 4.7 M reads). Disk: the fitted peak disk of
    the output folder (the FASTQs not included).
    """
    fitted = step_fits(rows)
    cpu_slope, cpu_fixed = fit(rows, "cpu_s")
    disk_slope, disk_fixed = fit(rows, "peak_disk_gb")
    base_rss = max(r["peak_rss_gb"] for r in rows) - CHR20_BWA_INDEX_GB
    out = []
    for target in TARGETS:
        steps = {k: fixed + slope * target.million_reads for k, (slope, fixed) in fitted.items()}
        for cores in CORES:
            out.append(
                {
                    "sample": target.name,
                    "cores": cores,
                    "cpu_hours": (cpu_fixed + cpu_slope * target.million_reads) / 3600,
                    "hours": stage_hours(steps, cores, DEFAULT_SCATTER),
                    "hours_scatter_cores": stage_hours(steps, cores, cores),
                    "peak_ram_gb": base_rss + GRCH38_BWA_INDEX_GB + 0.5 * (cores - threads),
                    "disk_gb": disk_fixed + disk_slope * target.million_reads,
                }
            )
    return out


#: chr20 FASTA of the shared data: 64 MB, its bwa index in memory about 1.7 times that.
CHR20_BWA_INDEX_GB = 1.7 * 0.064


def print_steps(rows: list[dict[str, Any]], fitted: dict[str, tuple[float, float]]) -> None:
    """One line per step, the steps costing most per read first."""
    for label, (slope, _fixed) in sorted(fitted.items(), key=lambda kv: -kv[1][0]):
        cpus = " ".join(f"{r['step_cpu_s'].get(label, 0.0):7.1f}" for r in rows)
        peaks = " ".join(f"{r['step_peak_rss_gb'].get(label, 0.0):5.2f}" for r in rows)
        print(f"  {label:<32} {cpus}  {slope:7.2f}/M  {peaks}")


# ----------------------------------------------------------------------------- plot

_COLOURS = {"labpipe": "#1f5fa8", "bare": "#c0392b"}


def nice_step(raw: float) -> float:
    """The 1, 2 or 5 times a power of ten at or above ``raw``: a tick spacing."""
    power = 10 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= raw)


def svg_plot(series: dict[str, dict[str, list[tuple[float, float]]]], out: Path) -> None:
    """Panels (CPU s, peak GB, disk GB) of points against million reads, one line per
    pipeline, each panel with its own y axis from 0."""
    panels = list(next(iter(series.values())).keys())
    width, height, pad = 300, 220, 48
    total_w = width * len(panels)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{total_w}" height="{height + 30}"'
        f' viewBox="0 0 {total_w} {height + 30}" font-family="sans-serif" font-size="11">',
        f'<rect width="{total_w}" height="{height + 30}" fill="white"/>',
    ]
    xmax = max(x for s in series.values() for pts in s.values() for x, _ in pts) * 1.05
    for i, panel in enumerate(panels):
        ox = i * width
        tick = nice_step(max(y for s in series.values() for x, y in s[panel]) / 4 or 0.25)
        ymax = tick * (int(max(y for s in series.values() for x, y in s[panel]) / tick) + 1)

        def px(x: float, ox: int = ox) -> float:
            return ox + pad + (width - pad - 12) * x / xmax

        def py(y: float, ymax: float = ymax) -> float:
            return height - pad + 10 - (height - pad - 10) * y / ymax

        parts.append(
            f'<line x1="{px(0):.1f}" y1="{py(0):.1f}" x2="{px(xmax):.1f}" y2="{py(0):.1f}"'
            ' stroke="#444"/>'
            f'<line x1="{px(0):.1f}" y1="{py(0):.1f}" x2="{px(0):.1f}" y2="{py(ymax):.1f}"'
            ' stroke="#444"/>'
            f'<text x="{ox + width / 2:.1f}" y="14" text-anchor="middle"'
            f' font-weight="bold">{panel}</text>'
            f'<text x="{ox + width / 2:.1f}" y="{height + 8}" text-anchor="middle">'
            "million reads</text>"
        )
        for k in range(round(ymax / tick) + 1):
            y = tick * k
            parts.append(
                f'<text x="{px(0) - 4:.1f}" y="{py(y) + 4:.1f}" text-anchor="end">{y:g}</text>'
            )
        for x in sorted({x for s in series.values() for x, _ in s[panel]}):
            parts.append(
                f'<text x="{px(x):.1f}" y="{py(0) + 14:.1f}" text-anchor="middle">{x:.2g}</text>'
            )
        for name, s in series.items():
            pts = sorted(s[panel])
            path = " ".join(f"{px(x):.1f},{py(y):.1f}" for x, y in pts)
            colour = _COLOURS.get(name, "#333")
            parts.append(
                f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>'
            )
            parts += [
                f'<circle cx="{px(x):.1f}" cy="{py(y):.1f}" r="3" fill="{colour}"/>' for x, y in pts
            ]
    for j, name in enumerate(series):
        colour = _COLOURS.get(name, "#333")
        parts.append(
            f'<rect x="{10 + 90 * j}" y="{height + 16}" width="12" height="4" fill="{colour}"/>'
            f'<text x="{26 + 90 * j}" y="{height + 22}">{name}</text>'
        )
    parts.append("</svg>")
    out.write_text("\n".join(parts) + "\n")


def report(figures: dict[str, Any], work: Path, extra_json: Path | None) -> None:
    """Print the figures, fits and planning estimates; write the JSON and the SVG plot."""
    factors: list[float] = figures["factors"]
    results: dict[str, list[dict[str, Any]]] = figures["results"]
    timelines: dict[str, dict[str, float]] = figures["labpipe_rule_wall_s"]
    loads: dict[str, list[float]] = figures["load_average_after"]
    threads: int = figures["threads"]
    print(f"\nData set (b) at x{', x'.join(f'{f:g}' for f in factors)} reads, {threads} threads,")
    print(
        "one run each (load average after each: "
        + ", ".join(f"x{f} {load[0]:.1f}" for f, load in loads.items())
        + ")"
    )
    print(
        f"  {'':<8} {'x':>3} {'M reads':>8} {'wall s':>8} {'CPU s':>8} {'peak GB':>8}"
        f" {'disk GB':>8} {'no-tool s':>9}"
    )
    for name, rows in results.items():
        for r in rows:
            print(
                f"  {name:<8} {r['factor']:>4g} {r['million_reads']:>8.2f} {r['wall_s']:>8.1f}"
                f" {r['cpu_s']:>8.1f} {r['peak_rss_gb']:>8.2f} {r['peak_disk_gb']:>8.2f}"
                f" {r['no_tool_s']:>9.1f}"
            )
    fits: dict[str, Any] = {}
    print("\nFitted: fixed + slope per million reads")
    for name, rows in results.items():
        fits[name] = {
            key: fit(rows, key) for key in ("wall_s", "cpu_s", "peak_rss_gb", "peak_disk_gb")
        }
        for key, (slope, fixed) in fits[name].items():
            print(f"  {name:<8} {key:<13} {fixed:8.2f} + {slope:8.3f} / M reads")
        fits[name]["steps_cpu_s"] = step_fits(rows)
    for name, title in (("labpipe", "labpipe"), ("bare", "the bare pipeline")):
        print(f"\nPer step, {title}: CPU s at each x; CPU s per M reads (fit); peak GB at each x")
        print_steps(results[name], fits[name]["steps_cpu_s"])
        seen = ", ".join(
            f"x{r['factor']:g} {sum(r['step_cpu_s'].values()):.0f} of {r['cpu_s']:.0f} s"
            for r in results[name]
        )
        print(f"  (CPU seen per step, the rest was in processes shorter than 0.1 s: {seen})")
    print("\nlabpipe's wall time per rule (sum of its jobs, s):")
    by_factor = [timelines[f"{f:g}"] for f in factors]
    for rule in sorted(by_factor[-1], key=lambda r: -by_factor[-1][r]):
        walls = " ".join(f"{walls_of.get(rule, 0.0):7.1f}" for walls_of in by_factor)
        print(f"  {rule:<24} {walls}")
    plan = planning(results["labpipe"], threads)
    print("\nPlanning (extrapolated from these measurements; see planning()):")
    for p in plan:
        print(
            f"  {p['sample']:<26} {p['cores']:>2} cores: {p['hours']:6.1f} h"
            f" ({p['hours_scatter_cores']:.1f} h with scatter = cores; {p['cpu_hours']:.0f} CPU h),"
            f" peak RAM {p['peak_ram_gb']:.1f} GB,"
            f" disk {p['disk_gb']:.0f} GB"
        )
    series = {
        name: {
            "CPU s": [(r["million_reads"], r["cpu_s"]) for r in rows],
            "peak memory GB": [(r["million_reads"], r["peak_rss_gb"]) for r in rows],
            "peak disk GB": [(r["million_reads"], r["peak_disk_gb"]) for r in rows],
        }
        for name, rows in results.items()
    }
    svg_plot(series, work / "scaling.svg")
    figures = {**figures, "fits": fits, "planning": plan}
    write_figures(figures, work / "scaling.json", extra_json)
    log(f"plot written to {work / 'scaling.svg'}")


# ----------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scratch", type=Path, default=DEFAULT_SCRATCH)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument(
        "--factors", default="1,4,16", help="read multiples of (b), fractions too (1,4,16)"
    )
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument(
        "--report-only", action="store_true", help="print the figures of the last run again"
    )
    args = parser.parse_args(argv)
    factors = sorted({float(f) for f in args.factors.split(",")})
    scratch = args.scratch.resolve()
    work = scratch / "scaling"
    if args.report_only:
        report(json.loads((work / "scaling.json").read_text()), work, args.json)
        return 0
    ready = shared_reference(scratch)
    if ready is None:
        return 0
    reference, targets = ready
    work.mkdir(parents=True, exist_ok=True)
    results: dict[str, list[dict[str, Any]]] = {"labpipe": [], "bare": []}
    timelines: dict[str, dict[str, float]] = {}
    loads: dict[str, tuple[float, float, float]] = {}
    for factor in factors:
        dataset = simulated_dataset(scratch, "easy", args.seed, depth=BASE_DEPTH * factor)
        pairs = json.loads((dataset.samples_tsv.parent / "simulation.json").read_text())
        million_reads = 2 * pairs["read_pairs"] / MB
        folder = work / f"x{factor:g}"
        folder.mkdir(exist_ok=True)
        bare_dir = folder / "bare-out"
        shutil.rmtree(bare_dir, ignore_errors=True)
        bare_dir.mkdir()
        script = folder / "bare.sh"
        script.write_text(bare_script(dataset, reference, targets, args.threads))
        log(f"x{factor:g} ({million_reads:.2f} M reads): bare pipeline")
        m = run_one(["bash", str(script)], bare_dir, bare_dir, folder / "bare.log")
        results["bare"].append({"factor": factor, **describe(m, million_reads, bare_dir)})
        log(f"  {m.wall:.1f} s wall, {m.cpu:.1f} s CPU, {m.peak_rss / GB:.2f} GB")
        out = folder / "labpipe-out"
        shutil.rmtree(out, ignore_errors=True)
        config = folder / "labpipe.yaml"
        settings = labpipe_config(dataset, reference, targets, out, args.threads)
        config.write_text(yaml.safe_dump(settings, sort_keys=False))
        log(f"x{factor:g}: labpipe")
        command = [str(labpipe_bin()), "run", str(config), "--cores", str(args.threads)]
        m = run_one(command, None, out, folder / "labpipe.log")
        results["labpipe"].append({"factor": factor, **describe(m, million_reads, out)})
        log(f"  {m.wall:.1f} s wall, {m.cpu:.1f} s CPU, {m.peak_rss / GB:.2f} GB")
        rule_wall: dict[str, float] = {}
        for job in job_timeline(out, m.started_epoch):
            rule_wall[job.rule] = rule_wall.get(job.rule, 0.0) + job.end - job.start
        timelines[f"{factor:g}"] = rule_wall
        loads[f"{factor:g}"] = os.getloadavg()
        # The BAMs and trimmed reads of x16 are the big part of the scratch folder.
        for big in (bare_dir, out / "results" / "bam"):
            shutil.rmtree(big, ignore_errors=True)
        # Kept as measured, so that a series cut short keeps its first runs.
        partial = {"factors": factors, "results": results, "labpipe_rule_wall_s": timelines}
        (work / "scaling-partial.json").write_text(json.dumps(partial, indent=2) + "\n")

    figures = {
        "threads": args.threads,
        "factors": factors,
        "results": results,
        "labpipe_rule_wall_s": timelines,
        "load_average_after": loads,
        "command": " ".join([sys.executable, *sys.argv]),
    }
    report(figures, work, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
