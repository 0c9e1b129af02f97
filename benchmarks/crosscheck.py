"""A second opinion on the counts, with bcftools alone.

``labpipe.evaluation.evaluate`` normalises with the same ``bcftools norm`` steps, then reads the
genotypes, applies the regions and matches in Python. This recounts TP/FP/FN per class the plain
bcftools way, so that a bug in labpipe's reading, region filter or matching shows up as a
disagreement:

    bcftools view -s SAMPLE [-f PASS,.]        (calls: PASS only)
    | bcftools norm -f REF -m -any             (split multi-allelics)
    | bcftools norm -f REF -a --atom-overlaps . (MNPs and complex records into primitives)
    | bcftools view -i 'GT="alt"' -T REGIONS   (the sample carries it; POS in the regions)
    | bcftools norm -f REF -d exact            (a primitive once)
    bcftools isec -c none truth calls          (exact CHROM, POS, REF, ALT)

Genotypes are not compared here.
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path


def _prepare(
    vcf: Path, sample: str, reference: Path, regions: Path, out: Path, pass_only: bool
) -> None:
    keep = "-f PASS,. " if pass_only else ""
    script = (
        "set -o pipefail; "
        f"bcftools view -s {sample} {keep}{vcf} -Ou"
        f" | bcftools norm -f {reference} -m -any -Ou 2>/dev/null"
        f" | bcftools norm -f {reference} -a --atom-overlaps . -Ou 2>/dev/null"
        f" | bcftools view -i 'GT=\"alt\"' -T {regions} -Ou"
        f" | bcftools norm -f {reference} -d exact -Oz -o {out} 2>/dev/null"
        f" && bcftools index -t {out}"
    )
    subprocess.run(["bash", "-c", script], check=True)


def _count(vcf: Path, kind: str) -> int:
    done = subprocess.run(
        ["bcftools", "view", "-H", "-v", kind, str(vcf)], capture_output=True, text=True, check=True
    )
    return len(done.stdout.splitlines())


def crosscheck(
    truth: Path,
    truth_sample: str,
    calls: Path,
    calls_sample: str,
    reference: Path,
    regions: Path,
) -> dict[str, tuple[int, int, int]]:
    """(TP, FP, FN) of ``snv`` and ``indel`` counted with bcftools only."""
    with tempfile.TemporaryDirectory(prefix="labpipe-crosscheck-") as scratch:
        work = Path(scratch)
        _prepare(truth, truth_sample, reference, regions, work / "t.vcf.gz", pass_only=False)
        _prepare(calls, calls_sample, reference, regions, work / "c.vcf.gz", pass_only=True)
        subprocess.run(
            [
                "bcftools",
                "isec",
                "-c",
                "none",
                "-p",
                str(work / "isec"),
                str(work / "t.vcf.gz"),
                str(work / "c.vcf.gz"),
            ],
            check=True,
            capture_output=True,
        )
        out = {}
        for name, kind in (("snv", "snps"), ("indel", "indels")):
            fn = _count(work / "isec" / "0000.vcf", kind)
            fp = _count(work / "isec" / "0001.vcf", kind)
            tp = _count(work / "isec" / "0002.vcf", kind)
            out[name] = (tp, fp, fn)
        return out
