#!/usr/bin/env python
"""Do fastp's N and quality filters help calling? labpipe with and without them.

Runs ``labpipe run`` on each data set (datasets.py) with three trimming settings and
scores the PASS calls with ``labpipe.evaluation.evaluate``; prints, per data set and setting, the
read ledger (pairs in, removed by each filter, aligned) and SNV/indel recall and
precision. The settings:

- ``fastp-default``: fastp's own filters (``--n_base_limit 5``, quality filter on);
- ``n-relaxed``: the N filter at fastp's maximum (``--n_base_limit 50``), quality filter on;
- ``no-quality-filter``: fastp's quality filter off (``-Q``), which also turns off its N
  filter.

Besides (a) giab, (b) easy and (c) hard, ``nheavy`` is (b) with N bases written into 8
cycles of R1 in 40% of the pairs (an instrument fault on part of a flowcell, which is
what made fastp's N filter remove 41% of a real NA12878 sample's pairs); ``nheavy-hard``
is (c) with the same N bases (15x, where the lost depth costs calls).

    .venv/bin/python benchmarks/filters.py                    # giab, easy, hard, nheavy
    .venv/bin/python benchmarks/filters.py --datasets giab,nheavy
    .venv/bin/python benchmarks/filters.py --datasets hard,nheavy-hard --seed 7

Skips (exit 0) when ../shared/data is absent; writes under --scratch.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import random
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from accuracy import run_labpipe, score
from callers import BY_NAME
from datasets import (
    DEFAULT_SCRATCH,
    DEFAULT_SEED,
    Dataset,
    datasets,
    log,
    shared_reference,
    simulated_dataset,
)

SETTINGS: dict[str, dict[str, Any]] = {
    "fastp-default": {"quality_filter": True, "max_n_bases": 5},
    "n-relaxed": {"quality_filter": True, "max_n_bases": 50},
    "no-quality-filter": {"quality_filter": False},
}
#: nheavy: share of pairs whose R1 gets N bases, and at which cycles (0-based).
N_PAIR_FRACTION = 0.4
N_CYCLES = range(60, 68)


def nheavy_dataset(scratch: Path, seed: int, base: str = "easy") -> Dataset:
    """(b) (or (c)) with N bases in 8 cycles of R1 in 40% of the pairs (made once per seed)."""
    easy = simulated_dataset(scratch, base, seed)
    name = "nheavy" if base == "easy" else f"nheavy-{base}"
    folder = scratch / f"{name}-seed{seed}"
    sheet = folder / "samples.tsv"
    if not sheet.exists():
        folder.mkdir(parents=True, exist_ok=True)
        rows = list(csv.DictReader(easy.samples_tsv.open(), delimiter="\t"))
        rng = random.Random(seed)
        for row in rows:
            source = (easy.samples_tsv.parent / row["fq1"]).resolve()
            target = folder / source.name
            log(f"nheavy: writing N bases into {target}")
            with gzip.open(source, "rt") as reads, gzip.open(target, "wt") as out:
                while header := reads.readline():
                    seq, plus, qual = reads.readline(), reads.readline(), reads.readline()
                    if rng.random() < N_PAIR_FRACTION:
                        bases, quals = list(seq.rstrip("\n")), list(qual.rstrip("\n"))
                        for cycle in N_CYCLES:
                            if cycle < len(bases):
                                bases[cycle], quals[cycle] = "N", "#"
                        seq, qual = "".join(bases) + "\n", "".join(quals) + "\n"
                    out.write(header + seq + plus + qual)
            row["fq1"] = str(target)
            row["fq2"] = str((easy.samples_tsv.parent / row["fq2"]).resolve())
        with sheet.open("w") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]), delimiter="\t")
            writer.writeheader()
            writer.writerows(rows)
    return Dataset(
        name,
        f"{base} with N in cycles 61-68 of R1 in {N_PAIR_FRACTION:.0%} of pairs; seed {seed}",
        sheet,
        easy.sample,
        easy.platform,
        easy.truth_vcf,
        easy.truth_sample,
        easy.regions_bed,
    )


def ledger(outdir: Path, sample: str) -> dict[str, str]:
    """The sample's read-ledger columns of qc_summary.tsv."""
    with open(outdir / "results" / "qc" / "qc_summary.tsv") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            if row["sample"] == sample:
                return {k: v for k, v in row.items() if k.startswith("pairs_")}
    raise SystemExit(f"{outdir}: no QC row for {sample}")


def main(argv: list[str] | None = None) -> int:
    """Run the settings on each data set; print the ledger and accuracy."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scratch", type=Path, default=DEFAULT_SCRATCH)
    parser.add_argument("--datasets", default="giab,easy,hard,nheavy")
    parser.add_argument("--settings", default=",".join(SETTINGS))
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--reuse", action="store_true", help="reuse finished labpipe runs")
    args = parser.parse_args(argv)
    scratch = args.scratch.resolve()
    ready = shared_reference(scratch)
    if ready is None:
        return 0
    reference, targets = ready
    names = args.datasets.split(",")
    sets = datasets(scratch, [n for n in names if not n.startswith("nheavy")], args.seed)
    if "nheavy" in names:
        sets.append(nheavy_dataset(scratch, args.seed))
    if "nheavy-hard" in names:
        # (c) is simulated with seed + 1, as datasets() makes it.
        sets.append(nheavy_dataset(scratch, args.seed + 1, "hard"))
    base = BY_NAME["labpipe"]
    rows: list[dict[str, Any]] = []
    for dataset in sets:
        for setting in args.settings.split(","):
            # Named by the data set's folder, which carries its seed.
            folder = scratch / "filters" / dataset.samples_tsv.parent.name / setting
            caller = replace(base, name=f"labpipe-{setting}")
            vcf = run_labpipe(
                dataset, caller, reference, targets, folder, args.reuse, SETTINGS[setting]
            )
            result = score(dataset, vcf, reference)
            row: dict[str, Any] = {"dataset": dataset.name, "setting": setting}
            row.update(ledger(folder / "out", dataset.sample))
            for kind in ("snv", "indel"):
                m = result.metrics(kind)
                row[kind] = {"tp": m.tp, "fp": m.fp, "fn": m.fn}
            rows.append(row)
    header = (
        f"{'data set':8} {'setting':18} {'pairs in':>9} {'low-q':>6} {'N':>6} {'short':>6}"
        f" {'aligned':>8} {'lost':>6}  {'SNV TP/FP/FN':>14}  {'indel TP/FP/FN':>14}"
    )
    print(header)
    for r in rows:
        snv, indel = r["snv"], r["indel"]
        print(
            f"{r['dataset']:8} {r['setting']:18} {r['pairs_in']:>9} "
            f"{r['pairs_removed_low_quality']:>6} {r['pairs_removed_too_many_n']:>6} "
            f"{r['pairs_removed_too_short']:>6} {r['pairs_aligned']:>8} "
            f"{float(r['pairs_lost_fraction']):>6.1%}  "
            f"{snv['tp']:>4}/{snv['fp']:>3}/{snv['fn']:>3}       "
            f"{indel['tp']:>4}/{indel['fp']:>3}/{indel['fn']:>3}"
        )
    (scratch / "filters.json").write_text(json.dumps(rows, indent=2) + "\n")
    log(f"figures written to {scratch / 'filters.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
