"""``labpipe simulate --check``: the demo data checked with bcftools.

Run in a copy of the data folder::

    bcftools norm -f reference.fa -c x truth.vcf.gz          # nothing may change
    bcftools csq -f reference.fa -g genes.gff3 -l -p a truth.vcf.gz

and INFO/BCSQ of the canonical transcript compared with every row of
``expected_consequences.tsv`` (first consequence term and amino-acid field).
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
import tempfile
from pathlib import Path

from labpipe.core.errors import MissingToolError, RunError
from labpipe.simulation.demo_data import EXPECTED_COLUMNS


def _run(command: str, cwd: Path) -> str:
    """Run a bcftools command line (shell-quoted, no shell) in ``cwd``; return its stdout."""
    try:
        done = subprocess.run(
            shlex.split(command), cwd=cwd, capture_output=True, text=True, check=False
        )
    except FileNotFoundError as exc:
        raise MissingToolError("bcftools not found on PATH; install bcftools >= 1.16") from exc
    if done.returncode != 0:
        raise RunError(f"`{command}` failed in {cwd}: {done.stderr.strip()}")
    return done.stdout


def verify_demo_data(outdir: Path) -> list[str]:
    """Check the truth VCF is normalised and the expected consequences match ``bcftools csq``.

    Args:
        outdir: A folder written by :func:`generate_demo_data`.

    Returns:
        One message per problem; empty when everything agrees.

    Raises:
        MissingToolError: If bcftools is not installed.
        RunError: If a bcftools command fails.
    """
    problems = []
    sites = "bcftools query -f '%CHROM\\t%POS\\t%REF\\t%ALT\\n'"
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        # Work on copies so htslib's .fai never lands in the data folder.
        for name in ("reference.fa", "genes.gff3", "truth.vcf.gz", "truth.vcf.gz.tbi"):
            shutil.copy(outdir / name, work / name)
        truth = _run(f"{sites} truth.vcf.gz", work)
        _run("bcftools norm -f reference.fa -c x -Oz -o norm.vcf.gz truth.vcf.gz", work)
        if _run(f"{sites} norm.vcf.gz", work) != truth:
            problems.append("bcftools norm changes truth.vcf.gz: it is not normalised")
        _run(
            "bcftools csq -f reference.fa -g genes.gff3 -l -p a -Oz -o csq.vcf.gz truth.vcf.gz",
            work,
        )
        csq_out = _run(
            "bcftools query -f '%CHROM\\t%POS\\t%REF\\t%ALT\\t%BCSQ\\n' csq.vcf.gz", work
        )
    bcsq = {}
    for line in csq_out.splitlines():
        chrom, pos, ref, alt, field = line.split("\t")
        bcsq[(chrom, pos, ref, alt)] = field
    rows = (outdir / "expected_consequences.tsv").read_text().splitlines()
    expected = {}
    for line in rows[1:]:
        r = dict(zip(EXPECTED_COLUMNS, line.split("\t"), strict=True))
        key = (r["chrom"], r["pos"], r["ref"], r["alt"])
        expected[key] = r
        entries = [e.split("|") for e in bcsq.get(key, ".").split(",")]
        mine = [e for e in entries if len(e) > 2 and e[2] == r["transcript"]]
        if not mine:
            problems.append(f"{':'.join(key)}: csq reports nothing for {r['transcript']}")
            continue
        got = (mine[0][0].split("&")[0], mine[0][5] if len(mine[0]) > 5 else "")
        if got != (r["consequence"], r["protein_change"]):
            problems.append(
                f"{':'.join(key)}: expected {r['consequence']} {r['protein_change'][:40]}, "
                f"csq says {got[0]} {got[1][:40]}"
            )
    for key, field in bcsq.items():
        if key not in expected and field != ".":
            problems.append(
                f"{':'.join(key)}: csq annotates it ({field[:40]}) but the table has no row"
            )
    return problems
