"""The real workflow, end to end, on the embedded demo data.

Runs fastp, bwa, samtools, bcftools, mosdepth and MultiQC for real (about a
minute per run on 2 cores) and checks what a lab would check: the planted
variants are called with the right genotypes, nothing false passes the filters,
the coding variants are annotated as planted, and the QC and provenance are
complete. A second run with another core count must give identical calls.
"""

from __future__ import annotations

import csv
import gzip
import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from importlib import metadata
from pathlib import Path

import pysam
import pytest

from labpipe.core.resources import demo_data_dir
from labpipe.core.tools import TOOLS, check_tool, find_executable
from labpipe.demo import prepare_demo
from labpipe.evaluation.evaluate import evaluate
from labpipe.provenance.lockcheck import check_environment, read_lock
from labpipe.run.workflow_support import ADAPTERS
from tests.builders import DemoRun, run_labpipe_run

pytestmark = pytest.mark.e2e

DATA = demo_data_dir()
SAMPLES = ("PK001", "PK002")


def run_demo_with(outdir: Path, extra_config: str, cores: int) -> None:
    """`labpipe run` on the demo data with some config keys added."""
    config = prepare_demo(outdir, overwrite=False)
    config.write_text(config.read_text() + extra_config)
    run_labpipe_run(config, cores)


def variant_records(vcf: Path) -> list[str]:
    """The VCF's records as text (header lines, which hold timestamps, left out)."""
    with pysam.VariantFile(str(vcf)) as handle:
        return [str(record) for record in handle]


@pytest.mark.parametrize("sample", SAMPLES)
def test_every_planted_variant_called_no_false_positive(demo_run: DemoRun, sample: str) -> None:
    outdir, _ = demo_run
    comparison = evaluate(
        DATA / "truth.vcf.gz",
        outdir / "results" / "vcf" / f"{sample}.vcf.gz",
        outdir / "reference" / "demo_reference.fa",
        regions_bed=DATA / "targets.bed",
        truth_sample=sample,
        calls_sample=sample,
    )
    assert comparison.false_negatives == [], "planted variants not called"
    assert comparison.false_positives == [], "false calls passing the filters inside the targets"
    assert comparison.genotype_mismatches == []
    assert comparison.all.tp > 10
    assert comparison.snv.tp > 0 and comparison.indel.tp > 0


def test_freebayes_confirms_every_planted_indel(demo_run: DemoRun) -> None:
    """The second opinion ran in windows around bcftools' indel candidates; at the
    demo's depth both callers agree on every indel, and nothing is added."""
    outdir, _ = demo_run
    for sample in SAMPLES:
        with pysam.VariantFile(str(outdir / "results" / "vcf" / f"{sample}.vcf.gz")) as vcf:
            assert "ShadowIndel" in vcf.header.filters
            indels = [r for r in vcf if len(r.ref) != len(r.alts[0])]
        passing = [r for r in indels if list(r.filter.keys()) == ["PASS"]]
        assert len(passing) >= 5
        assert {r.info["CALLERS"] for r in passing} == {"bcftools+freebayes"}
        log = (outdir / "logs" / "call_variants" / f"{sample}.log").read_text()
        assert f"{len(passing)} confirmed" in log and "0 added" in log
        with open(outdir / "results" / "variants" / f"{sample}.tsv") as table:
            rows = list(csv.DictReader(table, delimiter="\t"))
        for row in rows:
            indel = len(row["ref"]) != len(row["alt"])
            if indel and row["filter"] == "PASS":
                assert row["callers"] == "bcftools+freebayes", row
            elif not indel:
                assert row["callers"] == "", row


def test_planted_coding_variants_get_expected_consequence(demo_run: DemoRun) -> None:
    outdir, _ = demo_run
    with open(DATA / "expected_consequences.tsv") as handle:
        expected = list(csv.DictReader(handle, delimiter="\t"))
    kinds = {row["consequence"].split("&")[0] for row in expected}
    assert {"missense", "synonymous", "stop_gained", "frameshift", "inframe_deletion"} <= kinds
    assert kinds & {"splice_donor", "splice_acceptor"}
    called: dict[tuple[str, str, str, str], dict[str, str]] = {}
    for sample in SAMPLES:
        with open(outdir / "results" / "variants" / f"{sample}.tsv") as handle:
            for row in csv.DictReader(handle, delimiter="\t"):
                called[(row["chrom"], row["pos"], row["ref"], row["alt"])] = row
    for row in expected:
        key = (row["chrom"], row["pos"], row["ref"], row["alt"])
        assert key in called, f"planted coding variant {key} missing from the variant tables"
        got = called[key]
        assert got["gene"] == row["gene"], key
        assert got["consequence"].split("&")[0] == row["consequence"].split("&")[0], key
        assert got["hgvs_p"] == row["hgvs_p"], key
        if row["consequence"] in {"missense", "synonymous", "stop_gained", "frameshift"}:
            assert got["hgvs_c"].startswith("c."), key


def test_read_groups_name_platform_and_unit(demo_run: DemoRun) -> None:
    outdir, _ = demo_run
    groups = {}
    for sample in SAMPLES:
        with pysam.AlignmentFile(str(outdir / "results" / "bam" / f"{sample}.bam")) as bam:
            for rg in bam.header.to_dict()["RG"]:
                groups[rg["ID"]] = rg
    assert set(groups) == {"PK001.L001", "PK001.L002", "PK002.L02"}
    assert groups["PK002.L02"]["PL"] == "DNBSEQ"
    assert groups["PK002.L02"]["PU"] == "V350012345.2.PK002"
    assert groups["PK001.L002"]["PL"] == "ILLUMINA"
    assert groups["PK001.L002"]["PU"].startswith("H7KJ2DSXY.2")
    assert {g["SM"] for g in groups.values()} == set(SAMPLES)


def test_qc_outputs_and_report_sections(demo_run: DemoRun) -> None:
    outdir, stdout = demo_run
    html = (outdir / "results" / "qc" / "multiqc_report.html").read_text()
    for section in ("fastp", "samtools", "mosdepth", "bcftools"):
        assert f'id="mqc-module-section-{section}"' in html or f'id="{section}"' in html, section
    with open(outdir / "results" / "qc" / "qc_summary.tsv") as handle:
        rows = {r["sample"]: r for r in csv.DictReader(handle, delimiter="\t")}
    assert set(rows) == set(SAMPLES)
    for row in rows.values():
        assert float(row["mapped_pct"]) > 95
        assert 60 < float(row["mean_target_depth"]) < 200
        assert float(row["pct_target_20x"]) > 90
    for sample in SAMPLES:
        assert sample in stdout
    assert "recall" in stdout or "rec" in stdout


def test_manifest_lists_tools_inputs_and_config(demo_run: DemoRun) -> None:
    outdir, _ = demo_run
    manifest = json.loads((outdir / "results" / "run_manifest.json").read_text())
    # The tools the rules ran, each as its rule's environment (here PATH) had it; bgzip
    # and tabix run in no rule of this workflow, and the demo aligns with bwa, so neither
    # they nor minimap2 are listed.
    not_run = ("bgzip", "tabix", "minimap2")
    assert list(manifest["tools"]) == [t.name for t in TOOLS if t.name not in not_run]
    assert "align" in {r for run in manifest["tools"]["bwa"]["runs"] for r in run["rules"]}
    by_name = {t.name: t for t in TOOLS}
    for name, entry in manifest["tools"].items():
        assert entry["version"] == check_tool(by_name[name]).version, name
        assert all(run["path"] == find_executable(name) for run in entry["runs"]), name
    bcftools_rules = {r for run in manifest["tools"]["bcftools"]["runs"] for r in run["rules"]}
    assert {"call_chunk", "call_variants", "bcftools_stats", "bcftools_csq"} <= bcftools_rules
    assert manifest["tools"]["fastp"]["runs"][0]["rules"] == ["align"]
    # Outputs are named relative to the output folder, whatever the working directory was.
    assert "results/vcf/PK001.vcf.gz" in manifest["outputs"]
    assert len(manifest["config_sha256"]) == 64
    fastqs = [role for role in manifest["inputs"] if role.startswith("fastq:")]
    assert len(fastqs) == 6
    assert all(len(entry["sha256"]) == 64 for entry in manifest["inputs"].values())
    assert manifest["started"] and manifest["finished"]
    # The Python packages that ran, every one, and the lock they were compared with.
    assert manifest["python_packages"]["pysam"] == metadata.version("pysam")
    assert manifest["python_packages"]["snakemake"] == metadata.version("snakemake")
    lock = read_lock()
    assert manifest["python_lock"]["sha256"] == lock.sha256
    assert manifest["python_lock"]["matches"] == check_environment().matches
    header = str(pysam.VariantFile(str(outdir / "results" / "vcf" / "PK001.vcf.gz")).header)
    calling = manifest["stage_config_sha256"]["calling"]
    assert f"##labpipe_calling_config_sha256={calling}" in header
    # The whole config's hash is the manifest's: a report setting does not touch the calls.
    assert manifest["config_sha256"] not in header


def test_run_ends_with_every_step_counted_and_the_sample_table(
    demo_run: DemoRun,
) -> None:
    outdir, stdout = demo_run
    steps = [line for line in stdout.splitlines() if line.startswith("[")]
    done_total = [line.split("]")[0].strip("[ ").split("/") for line in steps]
    total = int(done_total[0][1])
    # Every step shown once, numbered 1..N of N: no job is counted that is never printed.
    assert [int(done) for done, _ in done_total] == list(range(1, total + 1))
    assert {int(t) for _, t in done_total} == {total}

    lines = stdout.splitlines()
    start = lines.index("Run summary (QC verdict; tier counts are of PASS calls):")
    expected = []
    for sample in SAMPLES:
        with open(outdir / "results" / "variants" / f"{sample}.tsv") as handle:
            tiers = [
                r["tier"] for r in csv.DictReader(handle, delimiter="\t") if r["filter"] == "PASS"
            ]
        summary = json.loads((outdir / "results" / "report" / f"{sample}.summary.json").read_text())
        # The report keeps incidental findings (tier 1 in the table) out of its tier 1.
        incidental = summary["incidental"]
        counts = [tiers.count("1") - incidental, tiers.count("2"), tiers.count("3")]
        cells = "  ".join(f"{count:>6}" for count in counts)
        expected.append(f"{sample}   PASS   {cells}  {incidental:>10}")
    assert lines[start + 2 : start + 4] == expected
    assert lines[start + 4] == f"Reports: {outdir.resolve() / 'results' / 'report' / 'index.html'}"


def test_multiqc_general_stats_has_one_row_per_sample_with_the_verdict(
    demo_run: DemoRun,
) -> None:
    outdir, _ = demo_run
    stats = outdir / "results" / "qc" / "multiqc_report_data" / "multiqc_general_stats.txt"
    with open(stats) as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    assert [row["Sample"] for row in rows] == list(SAMPLES)
    verdicts = {row["Sample"]: row["custom_content_labpipe-qc_verdict"] for row in rows}
    assert verdicts == dict.fromkeys(SAMPLES, "PASS")
    # Reads summed over the lanes (PK001 has two), as labpipe's QC table has them.
    with open(outdir / "results" / "qc" / "qc_summary.tsv") as handle:
        reads = {r["sample"]: r["reads_total"] for r in csv.DictReader(handle, delimiter="\t")}
    assert {row["Sample"]: row["custom_content_labpipe-reads_total"] for row in rows} == reads


def test_identical_calls_with_one_core_and_no_scatter(demo_run: DemoRun, tmp_path: Path) -> None:
    outdir, _ = demo_run
    again = tmp_path / "one-core"
    # One calling chunk instead of four, on one core instead of two.
    run_demo_with(again, "calling:\n  scatter: 1\n", cores=1)
    assert len(list((outdir / "results" / "reference" / "chunks").iterdir())) == 4
    for sample in SAMPLES:
        first = variant_records(outdir / "results" / "vcf" / f"{sample}.vcf.gz")
        second = variant_records(again / "results" / "vcf" / f"{sample}.vcf.gz")
        assert first == second, f"{sample}: calls differ between --cores 2 and --cores 1"


def test_dnbseq_adapters_are_removed(demo_run: DemoRun) -> None:
    outdir, _ = demo_run
    mgi_r1, mgi_r2 = ADAPTERS["DNBSEQ"]
    with gzip.open(DATA / "reads" / "V350012345_L02_PK002_1.fq.gz", "rt") as handle:
        raw = handle.read()
    assert raw.count(mgi_r1[:18]) > 100, "the demo's DNBSEQ sample should have read-through"
    report = json.loads((outdir / "results" / "qc" / "fastp" / "PK002.L02.fastp.json").read_text())
    cutting = report["adapter_cutting"]
    assert cutting["read1_adapter_sequence"] == mgi_r1
    assert cutting["read2_adapter_sequence"] == mgi_r2
    assert cutting["adapter_trimmed_reads"] > 1000
    with pysam.AlignmentFile(str(outdir / "results" / "bam" / "PK002.bam")) as bam:
        left = sum(
            1
            for read in bam
            if read.query_sequence
            and (mgi_r1[:18] in read.query_sequence or mgi_r2[:18] in read.query_sequence)
        )
    assert left == 0


def test_freebayes_caller_finds_the_planted_variants(tmp_path: Path) -> None:
    outdir = tmp_path / "freebayes"
    run_demo_with(outdir, "calling:\n  caller: freebayes\n", cores=2)
    for sample in SAMPLES:
        comparison = evaluate(
            DATA / "truth.vcf.gz",
            outdir / "results" / "vcf" / f"{sample}.vcf.gz",
            outdir / "reference" / "demo_reference.fa",
            regions_bed=DATA / "targets.bed",
            truth_sample=sample,
            calls_sample=sample,
        )
        assert comparison.false_negatives == []
        assert comparison.false_positives == []
        assert comparison.genotype_mismatches == []
    header = (outdir / "results" / "vcf" / "PK001.vcf.gz").read_bytes()
    assert b"freebayes" in gzip.decompress(header)


def fastq_records(path: Path) -> int:
    with gzip.open(path, "rt") as handle:
        return sum(1 for _ in handle) // 4


def test_read_ledger_adds_up_and_poly_g_is_decided_per_unit(demo_run: DemoRun) -> None:
    outdir, _ = demo_run
    sheet = list(csv.DictReader((DATA / "samples.tsv").open(), delimiter="\t"))
    with open(outdir / "results" / "qc" / "qc_summary.tsv") as handle:
        rows = {r["sample"]: r for r in csv.DictReader(handle, delimiter="\t")}
    for sample in SAMPLES:
        row = {k: v for k, v in rows[sample].items() if k.startswith("pairs_")}
        counted = sum(fastq_records(DATA / u["fq1"]) for u in sheet if u["sample"] == sample)
        removed = sum(int(v) for k, v in row.items() if k.startswith("pairs_removed_"))
        assert int(row["pairs_in"]) == counted
        assert int(row["pairs_in"]) == int(row["pairs_aligned"]) + removed, row
        # Every demo pair passes fastp's filters and aligns: nothing lost (the min_length test
        # below is the run that loses pairs).
        assert (removed, float(row["pairs_lost_fraction"])) == (0, 0.0)
    assert "Read ledger" in (outdir / "results" / "qc" / "multiqc_report.html").read_text()
    logs = outdir / "logs" / "fastp"
    for unit in ("PK001.L001", "PK001.L002"):
        assert (
            "poly-G trimming on: auto: the read names show a two-colour NovaSeq 6000"
            in (logs / f"{unit}.log").read_text()
        )
    dnbseq = (logs / "PK002.L02.log").read_text()
    assert "poly-G trimming off: auto: DNBSEQ read names" in dnbseq
    assert "adapters: MGI/DNBSEQ for the unit's platform DNBSEQ" in dnbseq


def test_unequal_or_shuffled_mates_fail_their_sample_by_name(tmp_path: Path) -> None:
    """fastp aligns the shorter file's reads and mixed-up mates without failing."""
    reads = tmp_path / "reads"
    shutil.copytree(DATA / "reads", reads)

    def rewrite(name: str, change: Callable[[list[str]], list[str]]) -> Path:
        path = reads / name
        with gzip.open(path, "rt") as handle:
            records = handle.read().splitlines()
        grouped = ["\n".join(records[i : i + 4]) for i in range(0, len(records), 4)]
        with gzip.open(path, "wt") as handle:
            handle.write("\n".join(change(grouped)) + "\n")
        return path

    truncated = rewrite("PK001_S1_L002_R2_001.fastq.gz", lambda records: records[:-37])
    shuffled = rewrite(
        "V350012345_L02_PK002_2.fq.gz",
        lambda records: [*records[:5000], records[5001], records[5000], *records[5002:]],
    )
    sheet = (DATA / "samples.tsv").read_text().replace("reads/", f"{reads}/")
    (tmp_path / "samples.tsv").write_text(sheet)
    outdir = tmp_path / "run"
    config = prepare_demo(outdir, overwrite=False)
    config.write_text(
        config.read_text().replace(str(DATA / "samples.tsv"), str(tmp_path / "samples.tsv"))
    )
    result = subprocess.run(
        [sys.executable, "-m", "labpipe.cli", "run", str(config), "--cores", "2"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1, result.stderr[-3000:]
    said = result.stderr
    total = fastq_records(DATA / "reads" / "PK001_S1_L002_R1_001.fastq.gz")
    assert f"sample 'PK001' unit 'L002': R1 has {total:,} reads but R2 has {total - 37:,}" in said
    assert str(truncated) in said
    assert (
        "sample 'PK002' unit 'L02': read names of R1 and R2 disagree from record 5,001 on" in said
    )
    assert str(shuffled) in said
    for sample in SAMPLES:
        assert not (outdir / "results" / "bam" / f"{sample}.bam").exists()
    assert "Traceback" not in said


def test_no_reference_only_genotype_is_a_variant(demo_run: DemoRun) -> None:
    outdir, _ = demo_run
    for sample in SAMPLES:
        with pysam.VariantFile(str(outdir / "results" / "vcf" / f"{sample}.vcf.gz")) as vcf:
            genotypes = [record.samples[sample]["GT"] for record in vcf]
        assert genotypes and all(any(a and a > 0 for a in gt) for gt in genotypes)
        with open(outdir / "results" / "variants" / f"{sample}.tsv") as handle:
            zygosities = {r["zygosity"] for r in csv.DictReader(handle, delimiter="\t")}
        assert not zygosities & {"hom_ref", "no_call", ""}, zygosities


def test_a_filter_that_removes_every_pair_is_named(tmp_path: Path) -> None:
    """Not "Mapped 0.00%": the QC verdict says which filter emptied the sample."""
    outdir = tmp_path / "emptied"
    run_demo_with(outdir, "trimming:\n  min_length: 500\n", cores=2)
    with open(outdir / "results" / "qc" / "qc_summary.tsv") as handle:
        rows = {r["sample"]: r for r in csv.DictReader(handle, delimiter="\t")}
    for sample in SAMPLES:
        row = rows[sample]
        assert row["pairs_removed_too_short"] == row["pairs_in"] != "0"
        assert (row["pairs_aligned"], row["pairs_lost_fraction"]) == ("0", "1.0")
        report = (outdir / "results" / "report" / f"{sample}.html").read_text()
        assert "no read pairs were aligned: mostly the length filter" in report
