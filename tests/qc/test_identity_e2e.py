"""The identity checks on real reads: the demo run's batch, and a sample mixed from two.

The demo's two samples give a gene panel's worth of SNVs: too few for a kinship, which the
run must say in words, and its verdicts must not change. A contaminated sample is made with
the real tools from the demo's BAMs (90% of PK001's reads, 10% of PK002's, read group
renamed MIX), genotyped with the workflow's own command beside the two, and must fail.
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from labpipe.config.settings import load_config
from labpipe.core import layout
from labpipe.qc.batch_genotypes import GENOTYPE_COMMAND
from labpipe.qc.check import FAIL
from labpipe.qc.identity import read_identity
from labpipe.qc.identity_verdict import CONTAMINATION
from labpipe.qc.verdict import qc_verdict, variant_counts
from tests.builders import DemoRun, lab_config
from tests.paths import TEST_DATA

pytestmark = pytest.mark.e2e


def test_the_demo_batch_says_kinship_not_estimated_and_keeps_its_verdicts(
    demo_run: DemoRun,
) -> None:
    out = demo_run.outdir
    identity = read_identity(out / layout.IDENTITY_JSON)
    assert identity.samples == ("PK001", "PK002")
    (pair,) = identity.pairs
    assert pair.kinship is None
    assert re.fullmatch(r"not estimated: \d+ sites \(needs 100\)", pair.shown)
    assert identity.flags == ()
    for sample in ("PK001", "PK002"):
        summary = json.loads((out / layout.path(layout.REPORT_SUMMARY, sample=sample)).read_text())
        assert summary["qc_verdict"] == "PASS"
        assert any(
            item.startswith("Relatedness to the batch: kinship not estimated: ")
            for item in summary["not_checked"]
        )
    page = (out / layout.REPORT_BATCH).read_text()
    assert "Sample identity was not checked:" in page
    assert "PK001/PK002: not estimated: " in page
    assert 'id="not-checked"' in page
    assert 'href="batch.html"' in (out / layout.REPORT_INDEX).read_text()


def _shell(template: str, **values: str | list[str]) -> str:
    """A Snakemake shell template with its placeholders filled in (quoted)."""

    def fill(match: re.Match[str]) -> str:
        value = values[match.group(1).replace(".", "_")]
        return " ".join(map(shlex.quote, value)) if isinstance(value, list) else shlex.quote(value)

    return re.sub(r"{([\w.]+)(?::q)?}", fill, template)


def _run(command: str | list[str], cwd: Path) -> None:
    done = subprocess.run(
        command, shell=isinstance(command, str), cwd=cwd, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-2000:]


def test_a_sample_mixed_ninety_ten_fails_for_contamination(
    demo_run: DemoRun, tmp_path: Path
) -> None:
    bams = demo_run.outdir / "results" / "bam"
    reference = next((demo_run.outdir / "reference").glob("*.fa"))
    mix = tmp_path / "MIX.bam"
    # samtools view -s SEED.FRACTION: a seeded, reproducible share of the reads (by name, so
    # mates stay together).
    parts = []
    for sample, share in (("PK001", "7.9"), ("PK002", "7.1")):
        part = tmp_path / f"{sample}.part.bam"
        _run(["samtools", "view", "-b", "-s", share, "-o", str(part), str(bams / f"{sample}.bam")],
             tmp_path)  # fmt: skip
        parts.append(str(part))
    merged = tmp_path / "merged.bam"
    _run(["samtools", "merge", "-f", "-o", str(merged), *parts], tmp_path)
    _run(["samtools", "addreplacerg", "-r", "ID:MIX", "-r", "SM:MIX", "-m", "overwrite_all",
          "-o", str(mix), str(merged)], tmp_path)  # fmt: skip
    _run(["samtools", "index", str(mix)], tmp_path)
    sites = tmp_path / "sites.tsv.gz"
    vcfs = [str(demo_run.outdir / layout.path(layout.VCF, sample=s)) for s in ("PK001", "PK002")]
    step = [sys.executable, "-m", "labpipe.cli", "step"]
    _run([*step, "identity-sites", "--targets", str(TEST_DATA / "targets.bed"),
          "--out", str(sites), *vcfs], tmp_path)  # fmt: skip
    genotypes = tmp_path / "genotypes.vcf.gz"
    config = demo_run.outdir / "demo.yaml"
    calling = load_config(config).calling
    command = _shell(
        GENOTYPE_COMMAND,
        input_ref=str(reference),
        input_sites=str(sites),
        input_bams=[str(bams / "PK001.bam"), str(bams / "PK002.bam"), str(mix)],
        params_mapq=str(calling.min_mapq),
        params_baseq=str(calling.min_baseq),
        params_max_depth=str(calling.max_depth),
        output=str(genotypes),
    )
    _run(command, tmp_path)
    Path(f"{genotypes}.partial").rename(genotypes)
    identity_json = tmp_path / "identity.json"
    _run([*step, "identity", "--config", str(config), "--sites", str(sites),
          "--genotypes", str(genotypes), "--out", str(identity_json)], tmp_path)  # fmt: skip
    identity = read_identity(identity_json)
    estimate = identity.estimate("MIX")
    assert estimate is not None and estimate.fraction is not None
    assert estimate.fraction == pytest.approx(0.10, abs=0.025)
    assert estimate.source == "PK002"
    for clean in ("PK001",):
        found = identity.estimate(clean)
        assert found is not None and found.fraction is not None and found.fraction < 0.01
    # The verdict: the demo's PK001 figures, with MIX's contamination.
    from labpipe.annotation.annotated_table import read_annotated_table
    from labpipe.qc.metrics import read_qc_table

    qc = {row.sample: row for row in read_qc_table(demo_run.outdir / layout.QC_SUMMARY)}
    variants = read_annotated_table(
        demo_run.outdir / layout.path(layout.VARIANTS_TSV, sample="PK001")
    )
    counts = variant_counts(v.row for v in variants.variants)
    verdict = qc_verdict("MIX", qc["PK001"], counts, lab_config().qc, identity)
    check = next(c for c in verdict.checks if c.metric == CONTAMINATION)
    assert verdict.overall == FAIL and check.status == FAIL
    assert check.note.startswith(
        f"contamination estimated {100 * estimate.fraction:.1f}% (limit 3%)"
    )
