#!/usr/bin/env python
"""Accuracy of labpipe on real and simulated data, next to bare bcftools and freebayes.

Runs ``labpipe run`` on each data set (see datasets.py), then every requested caller
configuration (see callers.py), scores each call set with ``labpipe.evaluation.evaluate`` against
the truth inside the data set's regions, and prints SNV and indel precision, recall and F1
per data set and configuration, then the accuracy targets and whether they hold.

    .venv/bin/python benchmarks/accuracy.py                       # (a), (b), (c), 4 callers
    .venv/bin/python benchmarks/accuracy.py --seed 7              # other simulated sets
    .venv/bin/python benchmarks/accuracy.py --callers all         # the whole tuning grid
    .venv/bin/python benchmarks/accuracy.py --datasets easy --callers labpipe,bcf-noBAQ

Skips (exit 0) with a message when ../shared/data is absent. Everything is written under
--scratch (default /tmp/labpipe-bench); the figures also go to <scratch>/accuracy.json.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))

from callers import BY_NAME, CONFIGS, DEFAULT_CALLERS, MAIN_CALLERS, CallerConfig
from crosscheck import crosscheck
from datasets import (
    DEFAULT_SCRATCH,
    DEFAULT_SEED,
    GIAB_TRUTH,
    Dataset,
    MissingSharedData,
    datasets,
    labpipe_bin,
    log,
    prepare_reference,
    real_span_bed,
    require_shared_data,
    write_figures,
)

from labpipe.config.settings import config_schema
from labpipe.evaluation.evaluate import evaluate
from labpipe.evaluation.outputs import rate, write_evaluation
from labpipe.evaluation.scores import Evaluation

POLY_G = {"giab": False, "easy": True, "nheavy": True, "hard": False}


def labpipe_config(
    dataset: Dataset,
    reference: Path,
    targets: Path,
    outdir: Path,
    calling: dict[str, Any],
    trimming: dict[str, Any] | None = None,
    alignment: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A lab config for one data set; ``calling`` (``trimming``, ``alignment``) override
    labpipe's calling (trimming, alignment) defaults."""
    return {
        "lab": {"name": "labpipe benchmark", "id": "bench"},
        "reference": {"fasta": str(reference), "build": "hg19"},
        "targets": str(targets),
        "samples": str(dataset.samples_tsv),
        "platform": dataset.platform,
        "output_dir": str(outdir),
        "threads": 2,
        # Named explicitly: poly-G tails come from two-colour instruments (the simulated
        # Illumina set has NovaSeq names), not from HiSeq or DNBSEQ.
        "trimming": {"poly_g": POLY_G.get(dataset.name, False), **(trimming or {})},
        **({"calling": calling} if calling else {}),
        **({"alignment": alignment} if alignment else {}),
    }


def run_labpipe(
    dataset: Dataset,
    caller: CallerConfig,
    reference: Path,
    targets: Path,
    folder: Path,
    reuse: bool,
    trimming: dict[str, Any] | None = None,
) -> Path:
    """Run labpipe for one data set and configuration; return its VCF."""
    out = folder / "out"
    vcf = out / "results" / "vcf" / f"{dataset.sample}.vcf.gz"
    if reuse and (out / "results" / "run_manifest.json").exists() and vcf.exists():
        return vcf
    if out.exists():
        shutil.rmtree(out)
    folder.mkdir(parents=True, exist_ok=True)
    config = folder / "config.yaml"
    settings = labpipe_config(
        dataset, reference, targets, out, caller.calling, trimming, caller.alignment
    )
    config.write_text(yaml.safe_dump(settings, sort_keys=False))
    log(f"{dataset.name}: labpipe run ({caller.name})")
    started = time.monotonic()
    done = subprocess.run(
        [str(labpipe_bin()), "run", str(config), "--cores", "2"],
        capture_output=True,
        text=True,
        check=False,
    )
    (folder / "labpipe.log").write_text(done.stdout + done.stderr)
    if done.returncode != 0:
        said = [line for line in (done.stdout + done.stderr).splitlines() if line.strip()]
        if not vcf.exists():
            raise SystemExit(
                f"labpipe run failed for {dataset.name} ({caller.name}); see "
                f"{folder}/labpipe.log\n" + "\n".join(said[-15:])
            )
        # A later step failed (not calling): the VCF is complete, so it is still scored.
        log(f"{dataset.name}: labpipe run ({caller.name}) failed after calling; scoring its VCF:")
        for line in said[-3:]:
            log(f"    {line}")
    log(f"{dataset.name}: labpipe run ({caller.name}) took {time.monotonic() - started:.0f} s")
    return vcf


def score(dataset: Dataset, vcf: Path, reference: Path) -> Evaluation:
    """A call set scored against the data set's truth inside its regions."""
    return evaluate(
        dataset.truth_vcf,
        vcf,
        reference,
        regions_bed=dataset.regions_bed,
        truth_sample=dataset.truth_sample,
        calls_sample=dataset.sample,
    )


def run_on_bam(
    caller: CallerConfig, bam: Path, reference: Path, targets: Path, folder: Path
) -> Path:
    """Run a ``bam`` configuration; the raw calls are cached per command line."""
    command = caller.command.format(ref=reference, bam=bam, regions=targets)
    digest = hashlib.sha256(f"{command}\n{bam.stat().st_mtime_ns}".encode()).hexdigest()[:12]
    raw = folder / "raw" / f"{digest}.vcf.gz"
    if not raw.exists():
        raw.parent.mkdir(parents=True, exist_ok=True)
        script = f"set -o pipefail; {command} | bcftools norm -f {reference} -m -any -Oz -o {raw}"
        done = subprocess.run(["bash", "-c", script], capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raw.unlink(missing_ok=True)
            raise SystemExit(f"{caller.name} failed:\n{script}\n{done.stderr[-2000:]}")
    if not caller.exclude:
        return raw
    filtered = folder / f"{caller.name}.vcf.gz"
    done = subprocess.run(
        [
            "bcftools",
            "filter",
            "-s",
            "BenchFilter",
            "-e",
            caller.exclude,
            "-Oz",
            "-o",
            str(filtered),
            str(raw),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(
            f"{caller.name}: bcftools filter -e '{caller.exclude}' failed:\n" + done.stderr[-2000:]
        )
    return filtered


def supported(caller: CallerConfig) -> str | None:
    """Why a pipeline configuration cannot run with this labpipe, or None."""
    if caller.kind != "pipeline":
        return None
    if caller.alignment and "alignment" not in config_schema()["properties"]:
        return "this labpipe's config has no alignment section"
    allowed = config_schema()["properties"]["calling"]["properties"]
    for key, value in caller.calling.items():
        if key not in allowed:
            return f"this labpipe's config has no calling.{key}"
        choices = allowed[key].get("enum")
        if choices is not None and value not in choices:
            return f"this labpipe's calling.{key} does not accept {value!r}"
    return None


def row(dataset: Dataset, caller: CallerConfig, result: Evaluation) -> dict[str, Any]:
    """The figures of one (data set, configuration) pair."""
    return {
        "dataset": dataset.name,
        "caller": caller.name,
        "description": caller.description,
        "snv": result.snv.as_dict(),
        "indel": result.indel.as_dict(),
        "all": result.all.as_dict(),
        "false_positives": [str(v) for v in result.false_positives[:50]],
        "false_negatives": [str(v) for v in result.false_negatives[:50]],
        "genotype_mismatches": [str(m) for m in result.genotype_mismatches[:50]],
    }


def print_table(rows: list[dict[str, Any]], titles: dict[str, str]) -> None:
    """One block per data set: a line per configuration."""
    for name, title in titles.items():
        print(f"\n{title}")
        print(
            f"  {'caller':<20} {'SNV P':>7} {'SNV R':>7} {'SNV F1':>7} {'TP/FP/FN':>13}"
            f"   {'indel P':>7} {'indel R':>7} {'indel F1':>8} {'TP/FP/FN':>11}   {'GT conc':>7}"
        )
        for r in (r for r in rows if r["dataset"] == name):
            s, i, a = r["snv"], r["indel"], r["all"]
            conc = a["genotype_concordance"]
            print(
                f"  {r['caller']:<20} {rate(s['precision']):>7} {rate(s['recall']):>7}"
                f" {rate(s['f1']):>7} {s['tp']:>5}/{s['fp']}/{s['fn']:<5}"
                f"   {rate(i['precision']):>7} {rate(i['recall']):>7} {rate(i['f1']):>8}"
                f" {i['tp']:>4}/{i['fp']}/{i['fn']:<4}"
                f"   {conc if conc is None else format(conc, '.4f'):>7}"
            )


def targets_report(rows: list[dict[str, Any]]) -> list[str]:
    """The issue's accuracy targets, each with the figures that decide it."""

    def get(dataset: str, caller: str) -> dict[str, Any] | None:
        return next((r for r in rows if r["dataset"] == dataset and r["caller"] == caller), None)

    lines = []
    a = get("giab", "labpipe")
    if a is not None:
        everything = a["all"]
        ok = everything["fn"] == 0 and everything["genotype_matches"] == everything["tp"]
        lines.append(
            f"(a) every truth variant under the reads called with the right genotype: "
            f"{everything['genotype_matches']}/{everything['tp'] + everything['fn']}"
            f" ({everything['fp']} FP)  {'HOLDS' if ok else 'FAILS'}"
        )
    b = get("easy", "labpipe")
    if b is not None:
        ok = b["snv"]["f1"] >= 0.999 and b["indel"]["f1"] >= 0.995
        lines.append(
            f"(b) SNV F1 {b['snv']['f1']:.4f} >= 0.999 and indel F1 {b['indel']['f1']:.4f}"
            f" >= 0.995  {'HOLDS' if ok else 'FAILS'}"
        )
    c = get("hard", "labpipe")
    bare = [r for r in (get("hard", "bcftools-bare"), get("hard", "freebayes-bare")) if r]
    if c is not None and bare:
        best_snv = max(r["snv"]["f1"] for r in bare)
        best_indel = max(r["indel"]["f1"] for r in bare)
        ok = c["snv"]["f1"] >= best_snv and c["indel"]["f1"] >= best_indel
        lines.append(
            f"(c) default SNV F1 {c['snv']['f1']:.4f} >= best bare {best_snv:.4f} and indel F1 "
            f"{c['indel']['f1']:.4f} >= best bare {best_indel:.4f}  {'HOLDS' if ok else 'FAILS'}"
        )
    return lines


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scratch", type=Path, default=DEFAULT_SCRATCH)
    parser.add_argument("--datasets", default="giab,easy,hard", help="giab,easy,hard")
    parser.add_argument(
        "--callers",
        "--caller-configs",
        default=",".join(DEFAULT_CALLERS),
        help=f"comma-separated, 'main' or 'all' ({', '.join(BY_NAME)})",
    )
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="easy; hard uses seed+1")
    parser.add_argument("--reuse", action="store_true", help="reuse finished labpipe runs")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument(
        "--crosscheck",
        action="store_true",
        help="also count TP/FP/FN with bcftools alone (crosscheck.py) and report disagreements",
    )
    args = parser.parse_args(argv)
    try:
        require_shared_data()
    except MissingSharedData as skip:
        print(skip)
        return 0
    names = [n for n in args.datasets.split(",") if n]
    wanted = (
        [c.name for c in CONFIGS]
        if args.callers == "all"
        else list(MAIN_CALLERS)
        if args.callers == "main"
        else args.callers.split(",")
    )
    unknown = [n for n in wanted if n not in BY_NAME]
    if unknown:
        parser.error(f"unknown caller configuration(s): {', '.join(unknown)}")
    callers = [BY_NAME[n] for n in wanted]
    scratch = args.scratch.resolve()
    reference = prepare_reference(scratch)
    targets = real_span_bed(scratch)
    rows: list[dict[str, Any]] = []
    titles: dict[str, str] = {}
    scored: list[tuple[Dataset, str, Path]] = []
    for dataset in datasets(scratch, names, args.seed):
        titles[dataset.name] = dataset.title
        runs = scratch / "runs" / dataset.truth_vcf.parent.name / dataset.name
        default_vcf = run_labpipe(
            dataset, BY_NAME["labpipe"], reference, targets, runs / "labpipe", args.reuse
        )
        bam = default_vcf.parents[2] / "results" / "bam" / f"{dataset.sample}.bam"
        for caller in callers:
            why_not = supported(caller)
            if why_not:
                log(f"{dataset.name}: {caller.name} skipped: {why_not}")
                continue
            if caller.name == "labpipe":
                vcf = default_vcf
            elif caller.kind == "pipeline":
                vcf = run_labpipe(
                    dataset, caller, reference, targets, runs / caller.name, args.reuse
                )
            else:
                vcf = run_on_bam(caller, bam, reference, targets, runs / "bam-callers")
            result = score(dataset, vcf, reference)
            write_evaluation(result, runs / "evaluation" / caller.name)
            scored.append((dataset, caller.name, vcf))
            rows.append(row(dataset, caller, result))
            if args.crosscheck:
                second = crosscheck(
                    dataset.truth_vcf,
                    dataset.truth_sample,
                    vcf,
                    dataset.sample,
                    reference,
                    dataset.regions_bed,
                )
                rows[-1]["crosscheck"] = second
                ours = {
                    c: (result.metrics(c).tp, result.metrics(c).fp, result.metrics(c).fn)
                    for c in ("snv", "indel")
                }
                if ours != second:
                    log(
                        f"{dataset.name} {caller.name}: labpipe evaluate {ours} but bcftools "
                        f"alone {second}"
                    )
    print_table(rows, titles)
    span = scratch / "giab" / "read_span.bed"
    giab_vcf = next((v for d, c, v in scored if d.name == "giab" and c == "labpipe"), None)
    if giab_vcf is not None and span.exists():
        whole = evaluate(
            GIAB_TRUTH,
            giab_vcf,
            reference,
            regions_bed=span,
            truth_sample="INTEGRATION",
            calls_sample="NA12878",
        )
        m = whole.all
        print(
            f"\n(a) without the confident BED, every truth variant under the reads: labpipe "
            f"calls {m.genotype_matches}/{m.tp + m.fn} with the right genotype, {m.fp} other "
            f"call(s): {', '.join(str(v) for v in whole.false_positives) or 'none'}"
        )
    print("\nTargets:")
    for line in targets_report(rows):
        print(f"  {line}")
    if args.crosscheck:
        checked = [r for r in rows if "crosscheck" in r]
        agree = sum(
            all(
                tuple(r["crosscheck"][c]) == (r[c]["tp"], r[c]["fp"], r[c]["fn"])
                for c in ("snv", "indel")
            )
            for r in checked
        )
        print(
            f"\nCross-check with bcftools alone: {agree}/{len(checked)} rows give the same"
            " TP/FP/FN (differences are logged above)"
        )
    report = {"seed": args.seed, "datasets": titles, "results": rows}
    write_figures(report, scratch / "accuracy.json", args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
