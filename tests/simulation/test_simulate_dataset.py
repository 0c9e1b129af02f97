"""Tests of ``labpipe simulate --reference``: one sample on any reference, end to end."""

from __future__ import annotations

import json
import random
import shutil
import subprocess
from pathlib import Path

import pysam
import pytest

from labpipe.cli import main
from labpipe.config.samplesheet import load_sample_sheet
from labpipe.core.errors import InputFormatError, UsageError
from labpipe.simulation.dataset import apply_variants, dataset_request, simulate_dataset
from labpipe.simulation.truth_variants import TruthVariant

needs_bcftools = pytest.mark.skipif(shutil.which("bcftools") is None, reason="needs bcftools")


def write_reference(folder: Path) -> Path:
    """Two contigs: N-padded real-looking sequence (as the GIAB chr20 is) and a short one."""
    rng = random.Random(9)

    def bases(n: int) -> str:
        return "".join(rng.choice("ACGT") for _ in range(n))

    chr_a = "N" * 5_000 + bases(60_000).lower() + "N" * 3_000 + bases(1_000) + "N" * 2_000
    chr_b = bases(30_000)
    path = folder / "ref.fa"
    with path.open("w") as out:
        for name, seq in (("chrA", chr_a), ("chrB", chr_b)):
            lines = "".join(seq[i : i + 60] + "\n" for i in range(0, len(seq), 60))
            out.write(f">{name}\n{lines}")
    pysam.faidx(str(path))
    return path


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_reference(tmp_path_factory.mktemp("ref"))


def small(reference: Path, outdir: Path, **options: object) -> Path:
    request = dataset_request(
        reference, outdir, seed=5, depth=4.0, read_length=100, variant_rate=0.002, **options
    )  # type: ignore[arg-type]
    simulate_dataset(request)
    return outdir


def files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_writes_truth_reads_sheet_and_report(reference: Path, tmp_path: Path) -> None:
    out = small(reference, tmp_path / "sim", sample="P1", platform="DNBSEQ")
    assert set(files(out)) == {
        "truth.vcf.gz",
        "truth.vcf.gz.tbi",
        "regions.bed",
        "samples.tsv",
        "simulation.json",
        "reads/V350012345_L01_P1_1.fq.gz",
        "reads/V350012345_L01_P1_2.fq.gz",
    }
    # Only the stretches without N of 2 kb or more are simulated.
    assert (out / "regions.bed").read_text() == "chrA\t5000\t65000\nchrB\t0\t30000\n"
    units = load_sample_sheet(out / "samples.tsv")
    assert [(u.sample, u.unit, u.platform) for u in units] == [("P1", "L01", "DNBSEQ")]
    report = json.loads((out / "simulation.json").read_text())
    assert report["bases_simulated"] == 90_000
    assert report["read_pairs"] == report["library"]["unique_pairs"] == round(4 * 90_000 / 200)
    with pysam.VariantFile(str(out / "truth.vcf.gz")) as truth:
        assert list(truth.header.samples) == ["P1"]
        assert dict(truth.header.contigs.items()).keys() == {"chrA", "chrB"}
        records = list(truth)
    assert len(records) == report["variants"]["sites"] > 100
    with pysam.FastaFile(str(reference)) as fasta:
        for r in records:
            assert fasta.fetch(r.chrom, r.start, r.stop).upper() == r.ref
            assert r.samples["P1"].phased


def test_same_seed_same_bytes_other_seed_other_bytes(reference: Path, tmp_path: Path) -> None:
    first = files(small(reference, tmp_path / "a"))
    again = files(small(reference, tmp_path / "b"))
    assert first == again
    other = dataset_request(reference, tmp_path / "c", seed=6, depth=4.0, read_length=100)
    simulate_dataset(other)
    assert files(tmp_path / "c")["truth.vcf.gz"] != first["truth.vcf.gz"]


@needs_bcftools
def test_truth_is_already_normalised(reference: Path, tmp_path: Path) -> None:
    out = small(reference, tmp_path / "sim")
    query = ["bcftools", "query", "-f", "%CHROM %POS %REF %ALT\\n"]
    before = subprocess.run([*query, str(out / "truth.vcf.gz")], capture_output=True, text=True)
    normalised = subprocess.run(
        ["bcftools", "norm", "-f", str(reference), "-c", "e", str(out / "truth.vcf.gz")],
        capture_output=True,
        text=True,
        check=True,
    )
    after = subprocess.run([*query, "-"], input=normalised.stdout, capture_output=True, text=True)
    assert before.stdout == after.stdout


def test_variants_taken_from_a_vcf(reference: Path, tmp_path: Path) -> None:
    with pysam.FastaFile(str(reference)) as fasta:
        ref = fasta.fetch("chrB", 999, 1000).upper()
    alt = "ACGT"[("ACGT".index(ref) + 1) % 4]
    given = tmp_path / "given.vcf"
    given.write_text(
        "##fileformat=VCFv4.2\n##contig=<ID=chrB,length=30000>\n"
        '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">\n'
        "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tX\n"
        f"chrB\t1000\t.\t{ref}\t{alt}\t.\tPASS\t.\tGT\t1|0\n"
    )
    out = small(reference, tmp_path / "sim", variants=given)
    with pysam.VariantFile(str(out / "truth.vcf.gz")) as truth:
        (record,) = list(truth)
    assert (record.pos, record.alts, record.samples["SIM001"]["GT"]) == (1000, (alt,), (1, 0))


def test_regions_restrict_the_simulation(reference: Path, tmp_path: Path) -> None:
    bed = tmp_path / "regions.bed"
    bed.write_text("chrB\t0\t10000\nchrB\t5000\t20000\n")
    out = small(reference, tmp_path / "sim", regions=bed)
    assert (out / "regions.bed").read_text() == "chrB\t0\t20000\n"
    with pysam.VariantFile(str(out / "truth.vcf.gz")) as truth:
        assert {r.chrom for r in truth} == {"chrB"}


def test_apply_variants_builds_each_haplotype() -> None:
    seq = "AAAACCCCGGGGTTTT"
    variants = [
        TruthVariant("c", 102, "A", ("G",), (1, 0), "snv"),
        TruthVariant("c", 105, "CCC", ("C",), (1, 1), "deletion"),
        TruthVariant("c", 110, "G", ("GTT", "C"), (1, 2), "multiallelic"),
    ]
    assert apply_variants(seq, 100, variants, 0) == "AAGACCGGGTTGTTTT"
    assert apply_variants(seq, 100, variants, 1) == "AAAACCGGCGTTTT"


def test_bad_settings_are_listed_together(reference: Path, tmp_path: Path) -> None:
    request = dataset_request(
        reference, tmp_path / "x", platform="PACBIO", duplicate_rate=1.5, sample="bad name"
    )
    with pytest.raises(UsageError) as raised:
        simulate_dataset(request)
    text = raised.value.render()
    assert "--platform 'PACBIO' is not one of ILLUMINA, DNBSEQ" in text
    assert "--duplicate-rate 1.5 must be between 0 and 0.9" in text
    assert "--sample 'bad name'" in text


def test_reference_without_sequence(tmp_path: Path) -> None:
    empty = tmp_path / "n.fa"
    empty.write_text(">chrN\n" + "N" * 5_000 + "\n")
    with pytest.raises(InputFormatError, match=r"n\.fa: no stretch of 2000\+ bases without N"):
        simulate_dataset(dataset_request(empty, tmp_path / "out"))


def test_simulate_command_on_a_reference(
    reference: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def run(*args: str) -> int:
        try:
            code = main(["simulate", *args])
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        return int(code or 0)

    options = [
        "--reference", str(reference), "--outdir", str(tmp_path / "m"), "--seed", "3",
        "--depth", "2", "--read-length", "100", "--platform", "ILLUMINA",
        "--duplicate-rate", "0.1", "--short-insert-fraction", "0.3", "--error-rate", "0.01",
    ]  # fmt: skip
    assert run(*options) == 0
    said = capsys.readouterr().out
    assert "truth" in said and "duplicates" in said
    lab = tmp_path / "m" / "lab"
    assert f"next: labpipe init --fastq-dir {tmp_path / 'm' / 'reads'} " in said
    assert f"labpipe run {lab / 'config.yaml'}" in said
    assert (tmp_path / "m" / "reads" / "SIM001_S1_L001_R1_001.fastq.gz").is_file()
    assert run(*options) == 2
    assert f"--outdir {tmp_path / 'm'} is not empty" in capsys.readouterr().err
    assert run(*options, "--overwrite") == 0
    capsys.readouterr()
    assert run("--reference", str(tmp_path / "none.fa"), "--outdir", str(tmp_path / "z")) == 2
    assert "--reference" in capsys.readouterr().err


def test_regions_too_short_for_the_edge_margin_say_why_nothing_is_planted(
    reference: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    short = tmp_path / "short.bed"
    short.write_text("chrB\t1000\t1800\nchrB\t5000\t5600\n")
    with pytest.raises(InputFormatError) as raised:
        simulate_dataset(dataset_request(reference, tmp_path / "a", regions=short))
    text = raised.value.render()
    assert "every stretch is too short to plant a variant in" in text
    assert "variants keep 500 bp from each end" in text and "at least 1,041 bp" in text
    assert "chrB:1001-1800 (800 bp)" in text and "chrB:5001-5600 (600 bp)" in text
    # Some long enough: planted there, the short ones named in a warning.
    mixed = tmp_path / "mixed.bed"
    mixed.write_text("chrB\t1000\t1800\nchrB\t5000\t15000\n")
    code = main_exit(["simulate", "--reference", str(reference), "--regions", str(mixed),
                      "--outdir", str(tmp_path / "b"), "--depth", "1", "--seed", "4"])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 0
    assert "1 of 2 stretches are too short to plant a variant in" in err
    assert "labpipe: warning:" in err and "chrB:1001-1800 (800 bp)" in err
    with pysam.VariantFile(str(tmp_path / "b" / "truth.vcf.gz")) as truth:
        positions = [r.pos for r in truth]
    assert positions and all(5_500 < p <= 14_500 for p in positions)


def main_exit(args: list[str]) -> int:
    try:
        code = main(args)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    return int(code or 0)
