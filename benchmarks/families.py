#!/usr/bin/env python
"""Families (issue 13): de novo precision/recall, Mendelian error rate, kinship, ROH.

For each seed, simulates two families on one synthetic genome and population
(``labpipe simulate --family``): FAM1, a quad with recombination, and FAM2, a
consanguineous trio. Runs ``labpipe run`` on each and scores what labpipe wrote against
the simulation's truth:

- de novo: labpipe's own labels when the run writes a family inheritance table
  (``results/family/<family>.inheritance.tsv``); otherwise candidates the benchmark takes
  from the calls (a child's PASS call that neither parent carries). Precision and recall
  against the planted de novo variants (three per proband, none in the sibling);
- Mendelian error rate: of the trio sites with a PASS non-reference call in any member,
  the share whose genotypes no inheritance explains (planted de novo sites left out and
  counted apart); from the family VCF when labpipe writes one, else from the per-sample
  VCFs (a site a sample's VCF lacks counts as homozygous reference: the whole genome is
  read at 60x);
- kinship: KING-robust (N_AaAa - 2 N_AAaa) / (N_Aa,i + N_Aa,j) over the autosomal
  biallelic SNVs called in any sample of the seed, computed here from labpipe's
  genotypes (a measurement of the calls, not of labpipe's own kinship QC), for
  parent-child, sibling, unrelated pairs (FAM1's parents, every FAM1-FAM2 pair) and
  FAM2's parents (related by the shared segment);
- ROH: the bcftools roh runs labpipe reports for each proband against ``truth/roh.bed``.

    .venv/bin/python benchmarks/families.py                    # seeds 1, 2, 3
    .venv/bin/python benchmarks/families.py --seeds 4,5 --cores 2

Needs no shared data. Writes under --scratch (default /tmp/labpipe-bench/families); the
figures also go to <scratch>/families.json, and a Markdown summary to stdout.
"""

from __future__ import annotations

import argparse
import itertools
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pysam

sys.path.insert(0, str(Path(__file__).resolve().parent))

from datasets import DEFAULT_SCRATCH, labpipe_bin, log, write_figures

from labpipe.core import layout
from labpipe.simulation.family import FamilyRequest, simulate_family

Key = tuple[str, int, str, str]
Genotype = tuple[int, ...]
FAMILIES = (("FAM1", "quad", False, True), ("FAM2", "trio", True, False))


def simulate(seed: int, scratch: Path) -> dict[str, Path]:
    """The seed's two families, each in its own folder."""
    made = {}
    for family_id, structure, consanguineous, recombination in FAMILIES:
        out = scratch / f"seed{seed}" / family_id
        if out.exists():
            shutil.rmtree(out)
        simulate_family(
            FamilyRequest(
                out, structure, seed, family_id, consanguineous=consanguineous,
                recombination=recombination,
            )
        )  # fmt: skip
        made[family_id] = out
    return made


def run_labpipe(folder: Path, cores: int) -> tuple[float, str]:
    """``labpipe run`` on a simulated family: wall seconds and how the pedigree was taken."""
    config = folder / "config.yaml"
    check = subprocess.run(
        [str(labpipe_bin()), "validate", str(config)], capture_output=True, text=True
    )
    mode = "pedigree"
    if check.returncode and "unknown column 'family'" in check.stderr:
        # This labpipe does not read pedigrees yet: run the members as singletons.
        sheet = (folder / "samples.tsv").read_text().splitlines()
        (folder / "samples.tsv").write_text(
            "\n".join("\t".join(line.split("\t")[:7]) for line in sheet) + "\n"
        )
        mode = "singletons (this labpipe rejects the pedigree columns)"
    elif check.returncode:
        raise SystemExit(f"labpipe validate {config} failed:\n{check.stderr}")
    started = time.monotonic()
    done = subprocess.run(
        [str(labpipe_bin()), "run", str(config), "--cores", str(cores)],
        capture_output=True, text=True,
    )  # fmt: skip
    if done.returncode:
        raise SystemExit(f"labpipe run {config} failed:\n{done.stdout[-3000:]}{done.stderr}")
    return time.monotonic() - started, mode


def _records(vcf: Path) -> dict[str, dict[Key, Genotype]]:
    """PASS genotypes per sample (non-reference and reference), by site."""
    out: dict[str, dict[Key, Genotype]] = {}
    with pysam.VariantFile(str(vcf)) as handle:
        samples = list(handle.header.samples)
        for sample in samples:
            out[sample] = {}
        for r in handle:
            if list(r.filter.keys()) not in ([], ["PASS"]) or not r.alts:
                continue
            key = (r.chrom, r.pos, r.ref or "", r.alts[0])
            for sample in samples:
                gt = r.samples[sample]["GT"]
                if gt and None not in gt:
                    out[sample][key] = tuple(int(a) for a in gt)
    return out


def called_genotypes(
    folder: Path, samples: list[str], family: str
) -> tuple[dict[str, dict[Key, Genotype]], str]:
    """Each sample's PASS genotypes: from the family VCF if written, else per-sample VCFs
    (a site missing from a sample's VCF: homozygous reference, filled in by the caller)."""
    run = folder / "run"
    family_vcf = run / f"results/family/{family}.vcf.gz"  # layout.family_vcf (issue 13)
    if family_vcf.exists():
        return _records(family_vcf), f"family VCF {family_vcf.name}"
    merged: dict[str, dict[Key, Genotype]] = {}
    for sample in samples:
        merged.update(_records(run / layout.path(layout.VCF, sample=sample)))
    return merged, "per-sample VCFs"


def genotype(calls: dict[str, dict[Key, Genotype]], sample: str, key: Key, ploidy: int) -> Genotype:
    return calls[sample].get(key, (0,) * ploidy)


def mendelian(
    calls: dict[str, dict[Key, Genotype]], child: str, father: str, mother: str, son: bool,
    de_novo: set[Key],
) -> dict[str, int]:  # fmt: skip
    """Trio sites with a non-reference PASS call in any member; errors among them."""
    sites = set().union(
        *(set(k for k, g in calls[s].items() if any(g)) for s in (child, father, mother))
    )
    counts = {"sites": 0, "errors": 0, "de_novo_sites": 0}
    for key in sites:
        x = key[0] == "chrX"
        kid = genotype(calls, child, key, 1 if x and son else 2)
        dad = genotype(calls, father, key, 1 if x else 2)
        mum = genotype(calls, mother, key, 2)
        if key in de_novo:
            counts["de_novo_sites"] += 1
            continue
        counts["sites"] += 1
        if len(kid) == 1:
            ok = kid[0] in mum
        elif len(kid) == 2:
            ok = any(a in dad and b in mum for a, b in (kid, kid[::-1]))
        else:
            ok = True
        counts["errors"] += not ok
    return counts


def de_novo_candidates(
    folder: Path,
    calls: dict[str, dict[Key, Genotype]],
    family: str,
    child: str,
    father: str,
    mother: str,
) -> tuple[set[Key], str]:
    """labpipe's de novo labels for ``child`` if the run wrote an inheritance table, else the
    child's PASS calls neither parent has a non-reference PASS genotype at."""
    table = folder / "run" / f"results/family/{family}.inheritance.tsv"
    if table.exists():
        header, *rows = table.read_text().splitlines()
        cols = header.split("\t")
        found = set()
        for line in rows:
            row = dict(zip(cols, line.split("\t"), strict=False))
            if row.get("sample") == child and row.get("inheritance") == "de_novo":
                found.add((row["chrom"], int(row["pos"]), row["ref"], row["alt"]))
        return found, "labpipe inheritance table"
    found = {
        k for k, g in calls[child].items()
        if any(g) and not any(calls[father].get(k, (0,))) and not any(calls[mother].get(k, (0,)))
    }  # fmt: skip
    return found, "benchmark: child PASS call absent from both parents' calls"


def _truth_rows(folder: Path, name: str) -> list[dict[str, str]]:
    header, *lines = (folder / "truth" / name).read_text().splitlines()
    return [dict(zip(header.split("\t"), line.split("\t"), strict=True)) for line in lines]


def _pedigree(folder: Path) -> list[dict[str, str]]:
    """The simulation's PED file (the sample sheet may have lost its family columns)."""
    names = ("family", "sample", "father", "mother", "sex", "phenotype")
    return [dict(zip(names, line.split("\t"), strict=True))
            for line in (folder / "family.ped").read_text().splitlines()]  # fmt: skip


def king_robust(
    a: dict[Key, Genotype], b: dict[Key, Genotype], sites: list[Key]
) -> tuple[float, int]:
    """KING-robust kinship of two samples over ``sites`` (missing = homozygous reference)."""
    het_a = het_b = het_both = opposite = 0
    for key in sites:
        x, y = sum(a.get(key, (0, 0))), sum(b.get(key, (0, 0)))
        het_a += x == 1
        het_b += y == 1
        het_both += x == 1 and y == 1
        opposite += {x, y} == {0, 2}
    denominator = het_a + het_b
    return ((het_both - 2 * opposite) / denominator if denominator else float("nan")), len(sites)


def roh_overlap(folder: Path, sample: str) -> dict[str, Any]:
    """Called ROH of ``sample`` against its true autozygous stretches."""
    called = []
    roh = folder / "run" / layout.path(layout.ROH, sample=sample)
    if roh.exists():
        for line in roh.read_text().splitlines():
            if line.startswith("RG"):
                f = line.split("\t")
                called.append((f[2], int(f[3]) - 1, int(f[4])))
    true = [
        (f[0], int(f[1]), int(f[2]))
        for f in (
            line.split("\t") for line in (folder / "truth" / "roh.bed").read_text().splitlines()
        )
        if f[3] == sample
    ]
    covered = sum(
        max(0, min(e, e2) - max(s, s2)) for c, s, e in true for c2, s2, e2 in called if c == c2
    )
    return {
        "true_bp": sum(e - s for _, s, e in true),
        "called_bp": sum(e - s for _, s, e in called),
        "true_bp_called": covered,
        "runs": [f"{c}:{s + 1}-{e}" for c, s, e in called],
    }


def planted_labels(folder: Path, child: str) -> dict[str, Any]:
    """The ``inheritance`` label labpipe gives each planted variant in the child's variant
    table (results/variants/<child>.tsv), if the table has that column."""
    table = folder / "run" / layout.path(layout.VARIANTS_TSV, sample=child)
    header, *lines = table.read_text().splitlines()
    cols = header.split("\t")
    if "inheritance" not in cols:
        return {"source": "no inheritance column in the variant table"}
    labels = {}
    for line in lines:
        row = dict(zip(cols, line.split("\t"), strict=False))
        labels[(row["chrom"], int(row["pos"]), row["ref"], row["alt"])] = row["inheritance"]
    found: dict[str, list[int]] = {}
    for r in _truth_rows(folder, "inheritance.tsv"):
        if r["planted"] == "yes":
            got = labels.get((r["chrom"], int(r["pos"]), r["ref"], r["alt"]))
            counts = found.setdefault(r["model"], [0, 0])
            counts[0] += got == r["model"]
            counts[1] += 1
    return {"source": "labpipe variant table", "right_model": found}


def measure_seed(seed: int, scratch: Path, cores: int, reuse: bool) -> dict[str, Any]:
    """One seed's figures; ``reuse``: score the runs already in ``scratch``."""
    folders = (
        {f: scratch / f"seed{seed}" / f for f, *_ in FAMILIES} if reuse else simulate(seed, scratch)
    )
    figures: dict[str, Any] = {"seed": seed, "families": {}}
    all_calls: dict[str, dict[Key, Genotype]] = {}
    for family, folder in folders.items():
        wall, mode = (0.0, "reused run") if reuse else run_labpipe(folder, cores)
        sheet = _pedigree(folder)
        samples = [r["sample"] for r in sheet]
        calls, source = called_genotypes(folder, samples, family)
        all_calls.update(calls)
        father, mother = f"{family}-father", f"{family}-mother"
        planted_de_novo = {
            (r["chrom"], int(r["pos"]), r["ref"], r["alt"])
            for r in _truth_rows(folder, "inheritance.tsv") if r["model"] == "de_novo"
        }  # fmt: skip
        children = [r for r in sheet if r["father"] not in ("", "0")]
        per_child = {}
        for row in children:
            child = row["sample"]
            truth = planted_de_novo if child.endswith("proband") else set()
            found, how = de_novo_candidates(folder, calls, family, child, father, mother)
            per_child[child] = {
                "mendelian": mendelian(calls, child, father, mother, row["sex"] == "1", truth),
                "de_novo": {"true": len(truth), "called": len(found), "tp": len(found & truth),
                            "fp": sorted(f"{c}:{p} {r}>{a}" for c, p, r, a in found - truth),
                            "missed": sorted(f"{c}:{p} {r}>{a}" for c, p, r, a in truth - found),
                            "source": how},
                "roh": roh_overlap(folder, child),
                "planted_labels": planted_labels(folder, child) if truth else {},
            }  # fmt: skip
        figures["families"][family] = {
            "wall_s": round(wall, 1), "pedigree": mode, "genotypes_from": source,
            "children": per_child, "labpipe_kinship": labpipe_kinship(folder),
        }  # fmt: skip
    snvs = sorted({k for g in all_calls.values() for k, v in g.items()
                   if any(v) and len(k[2]) == len(k[3]) == 1 and k[0] != "chrX"})  # fmt: skip
    pairs: dict[str, list[tuple[str, str, float]]] = {}
    for a, b in itertools.combinations(sorted(all_calls), 2):
        kind = relationship(a, b)
        phi, _ = king_robust(all_calls[a], all_calls[b], snvs)
        pairs.setdefault(kind, []).append((a, b, round(phi, 4)))
    figures["kinship"] = {"sites": len(snvs), "pairs": pairs}
    return figures


def labpipe_kinship(folder: Path) -> list[tuple[str, str, str, float | None]]:
    """labpipe's own identity QC of the run: (relationship, first, second, kinship)."""
    path = folder / "run" / "results/qc/identity/identity.json"
    if not path.exists():
        return []
    found = json.loads(path.read_text())
    return [
        (relationship(pair["first"], pair["second"]), pair["first"], pair["second"],
         pair.get("kinship"))
        for pair in found.get("pairs", [])
    ]  # fmt: skip


def relationship(a: str, b: str) -> str:
    """The true relationship of two simulated samples (by their names).

    FAM2's proband is autozygous over a third of the autosomes: KING-robust reads an
    inbred sample's extra homozygosity as distance, so its pairs are kept apart.
    """
    fa, ra = a.split("-")
    fb, rb = b.split("-")
    inbred = " (FAM2 proband: autozygous)" if "FAM2-proband" in (a, b) else ""
    if fa != fb:
        return "unrelated, other family" + inbred
    roles = {ra, rb}
    if roles == {"father", "mother"}:
        return (
            "FAM2 parents (share 104 kb by descent)" if fa == "FAM2" else "unrelated, FAM1 parents"
        )
    if roles == {"proband", "sibling"}:
        return "siblings"
    return "parent-child" + inbred


def summary(results: list[dict[str, Any]]) -> str:
    """The figures as Markdown for RESULTS.md."""
    tp = called = true = errors = sites = 0
    lines = [
        "| seed | family | child | genotypes from; de novo from | de novo TP/called/true "
        "| Mendelian errors / sites | ROH: true bp called / true bp (bp called) |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in results:
        for family, f in r["families"].items():
            for child, c in f["children"].items():
                d, m, roh = c["de_novo"], c["mendelian"], c["roh"]
                tp, called, true = tp + d["tp"], called + d["called"], true + d["true"]
                errors, sites = errors + m["errors"], sites + m["sites"]
                lines.append(
                    f"| {r['seed']} | {family} | {child.split('-')[1]} "
                    f"| {f['genotypes_from']}; {d['source']} "
                    f"| {d['tp']}/{d['called']}/{d['true']} | {m['errors']}/{m['sites']} "
                    f"| {roh['true_bp_called']:,}/{roh['true_bp']:,} ({roh['called_bp']:,}) |"
                )
    precision = f"{tp / called:.3f}" if called else "n/a"
    recall = f"{tp / true:.3f}" if true else "n/a"
    rate = f"{errors / sites:.4f}" if sites else "n/a"
    lines += [
        "",
        f"De novo precision {precision} ({tp}/{called}), recall {recall} ({tp}/{true}); "
        f"Mendelian error rate {rate} ({errors}/{sites} sites; planted de novo sites excluded).",
        "",
        "| relationship | pairs | kinship mean | min | max |",
        "|---|---|---|---|---|",
    ]
    right: dict[str, list[int]] = {}
    for r in results:
        for f in r["families"].values():
            for c in f["children"].values():
                for model, (ok, n) in c.get("planted_labels", {}).get("right_model", {}).items():
                    right.setdefault(model, [0, 0])
                    right[model][0] += ok
                    right[model][1] += n
    labelled = ", ".join(f"{m} {ok}/{n}" for m, (ok, n) in sorted(right.items()))
    lines.insert(
        lines.index("| relationship | pairs | kinship mean | min | max |") - 1,
        "Planted variants given their model in the probands' variant tables (`inheritance` "
        f"column): {labelled or 'not measured (no inheritance column)'}.",
    )
    kinds: dict[str, list[float]] = {}
    for r in results:
        for kind, pairs in r["kinship"]["pairs"].items():
            kinds.setdefault(kind, []).extend(phi for _, _, phi in pairs)
    for kind, values in sorted(kinds.items()):
        mean = sum(values) / len(values)
        lines.append(
            f"| {kind} | {len(values)} | {mean:.3f} | {min(values):.3f} | {max(values):.3f} |"
        )
    own: dict[str, list[float]] = {}
    for r in results:
        for f in r["families"].values():
            for kind, _, _, phi in f.get("labpipe_kinship", []):
                if phi is not None:
                    own.setdefault(kind, []).append(phi)
    lines += [
        "",
        "labpipe's own identity QC (`results/qc/identity/identity.json`, within each run):",
        "",
        "| relationship | pairs | kinship mean | min | max |",
        "|---|---|---|---|---|",
    ]
    for kind, values in sorted(own.items()):
        mean = sum(values) / len(values)
        lines.append(
            f"| {kind} | {len(values)} | {mean:.3f} | {min(values):.3f} | {max(values):.3f} |"
        )
    if not own:
        lines.append("| (no estimate: too few sites, or identity QC not run) | 0 | | | |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="1,2,3", help="Comma-separated seeds.")
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--scratch", type=Path, default=DEFAULT_SCRATCH / "families")
    parser.add_argument("--reuse", action="store_true", help="Score the runs in --scratch again.")
    args = parser.parse_args()
    results = []
    for seed in (int(s) for s in args.seeds.split(",")):
        log(f"seed {seed}")
        results.append(measure_seed(seed, args.scratch, args.cores, args.reuse))
        write_figures(results, args.scratch / "families.json")
    print(summary(results))


if __name__ == "__main__":
    main()
