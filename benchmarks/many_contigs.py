#!/usr/bin/env python
"""labpipe's planning on a reference of thousands of small contigs (decoys, scaffolds).

Writes a synthetic reference (one 20 kb chromosome and --contigs small contigs of
300-1,200 bp, random sequence), one sample of a single read pair, and a whole-genome
config (no targets); then times ``labpipe run --dry-run`` (start-up, validation, DAG)
and counts the jobs it plans. Calling jobs must stay at ``calling.scatter`` (4) however
many contigs there are (tests/test_regions.py asserts the bound; this measures the time).

    .venv/bin/python benchmarks/many_contigs.py                   # 3,000 contigs, 3 repeats
    .venv/bin/python benchmarks/many_contigs.py --contigs 30000
"""

from __future__ import annotations

import argparse
import gzip
import os
import random
import re
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from datasets import DEFAULT_SCRATCH, labpipe_bin, log


def write_inputs(folder: Path, contigs: int) -> Path:
    """The reference, reads, sample sheet and config; returns the config."""
    rng = random.Random(contigs)
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "ref.fa").open("w") as out:
        out.write(">chr1\n" + "".join(rng.choices("ACGT", k=20_000)) + "\n")
        for i in range(contigs):
            length = rng.randint(300, 1_200)
            out.write(
                f">chrUn_decoy{i:06d}_decoy\n" + "".join(rng.choices("ACGT", k=length)) + "\n"
            )
    for mate in (1, 2):
        with gzip.open(folder / f"S1_R{mate}.fastq.gz", "wt") as handle:
            handle.write(f"@V350012345L1C001R0010000001/{mate}\n{'ACGT' * 25}\n+\n{'I' * 100}\n")
    (folder / "samples.tsv").write_text(
        "sample\tunit\tfq1\tfq2\nS1\tL1\tS1_R1.fastq.gz\tS1_R2.fastq.gz\n"
    )
    config = folder / "lab.yaml"
    config.write_text(
        "lab:\n  name: many contigs\n  id: bench\nreference:\n  fasta: ref.fa\n"
        "samples: samples.tsv\nplatform: DNBSEQ\n"
    )
    return config


def main(argv: list[str] | None = None) -> int:
    """Time the dry runs; print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scratch", type=Path, default=DEFAULT_SCRATCH)
    parser.add_argument("--contigs", type=int, default=3_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    folder = args.scratch.resolve() / f"many-contigs-{args.contigs}"
    shutil.rmtree(folder, ignore_errors=True)
    config = write_inputs(folder, args.contigs)
    load = os.getloadavg()
    times = []
    cpu = []
    out = ""
    for i in range(args.repeats):
        log(f"dry run {i + 1}/{args.repeats}")
        started = time.monotonic()
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        done = subprocess.run(
            [str(labpipe_bin()), "run", str(config), "--dry-run", "--cores", "2"],
            capture_output=True,
            text=True,
            check=False,
        )
        times.append(time.monotonic() - started)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
        if done.returncode != 0:
            raise SystemExit(f"dry run failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
        out = done.stdout
    counts = {m[1]: int(m[2]) for m in re.finditer(r"^(\w+)\s+(\d+)$", out, re.MULTILINE)}
    times.sort()
    cpu.sort()
    print(f"reference: chr1 + {args.contigs:,} small contigs; whole genome, one sample")
    print(f"load average before (1, 5, 15 min): {', '.join(f'{x:.2f}' for x in load)}")
    print(
        f"dry run (start-up, validation, DAG): median {times[len(times) // 2]:.1f} s"
        f" ({', '.join(f'{t:.1f}' for t in times)}); CPU median {cpu[len(cpu) // 2]:.1f} s"
        " (wall time on a loaded machine says little; CPU time less so)"
    )
    print(
        f"jobs planned: {counts.get('total')};"
        f" calling jobs (call_chunk): {counts.get('call_chunk')}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
