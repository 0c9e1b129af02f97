"""Sex inference and haploid chrX/chrY calling, end to end on a simulated genome with sex
chromosomes.

The demo data have no chrX, so the test makes its own: an autosome (chr1), a chrX whose
first 6 kb are a pseudoautosomal region (PAR) and a chrY segment, then reads of a male
(one X outside the PAR, one Y, at half the autosomal depth) and a female (two X, no Y)
with planted SNVs, and runs the real workflow (bwa, bcftools, mosdepth ...) on them:

* a male the sheet calls male: chrX outside the PAR and chrY called haploid (GT ``1``,
  zygosity ``hemizygous``), the PAR diploid; inferred male;
* a female the sheet calls female: inferred female, her chrX SNVs heterozygous;
* the male's reads under a sheet saying female: the QC verdict fails with the reason;
* the same reads on a panel without chrX/chrY targets: sex not inferred, with the reason.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pysam
import pytest
import yaml

from labpipe.qc.check import FAIL, NOT_ASSESSED, PASS
from labpipe.qc.metrics import read_qc_table
from labpipe.qc.verdict import VariantCounts, qc_verdict, sex_check
from labpipe.simulation.read_simulator import Emission, LibraryConfig, draw_library, write_reads
from labpipe.simulation.sequencer import ILLUMINA, SequencingConfig
from tests.builders import lab_config, run_labpipe_run, write_fasta

pytestmark = pytest.mark.e2e

LENGTHS = {"chr1": 40_000, "chrX": 30_000, "chrY": 12_000}
PAR_END = 6_000  # chrX:1-6000 is the PAR
DEPTH = 40.0
READ_LENGTH = 100
# 0-based positions of the planted SNVs.
AUTOSOME_SNVS = list(range(1_000, 39_000, 1_900))
PAR_SNVS = [700, 1_900, 3_100, 4_300, 5_300]
X_SNVS = list(range(7_000, 29_000, 1_600))  # 14, outside the PAR
Y_SNVS = [2_000, 5_000, 8_000]
FEMALE_HOM_X = X_SNVS[::4]  # the rest are heterozygous in the female


def _mutate(seq: str, positions: list[int]) -> str:
    bases = list(seq)
    for pos in positions:
        bases[pos] = {"A": "C", "C": "G", "G": "T", "T": "A"}[bases[pos]]
    return "".join(bases)


def _fragments(
    haplotypes: list[list[str]], depth: float, rng: np.random.Generator
) -> list[Emission]:
    """The library of two haplotypes (same segments) at ``depth``."""
    library = LibraryConfig(depth=depth, read_length=READ_LENGTH, insert_mean=300, insert_sd=40)
    emissions, _ = draw_library(haplotypes, library, ILLUMINA, rng)
    return emissions


def _write(folder: Path, name: str, parts: list[list[Emission]], seed: int) -> tuple[Path, Path]:
    emissions = [e for part in parts for e in part]
    pair = write_reads(
        folder,
        name,
        emissions,
        ILLUMINA,
        READ_LENGTH,
        SequencingConfig(),
        np.random.default_rng(seed),
        np.random.default_rng(seed + 1),
    )
    return pair.fq1, pair.fq2


def make_data(root: Path) -> dict[str, tuple[Path, Path]]:
    """Reference, PAR table and the FASTQ pairs of a male and a female."""
    rng = np.random.default_rng(7)
    ref = {c: "".join(rng.choice(list("ACGT"), size=n)) for c, n in LENGTHS.items()}
    write_fasta(root / "reference.fa", ref)
    (root / "par.tsv").write_text("#contig\tstart\tend\tname\nchrX\t1\t6000\tPAR1\n")
    auto_het, auto_hom = AUTOSOME_SNVS[::2], AUTOSOME_SNVS[1::2]
    chr1 = [_mutate(ref["chr1"], auto_het + auto_hom), _mutate(ref["chr1"], auto_hom)]
    par = ref["chrX"][:PAR_END]
    pars = [_mutate(par, PAR_SNVS), par]
    x_rest = ref["chrX"][PAR_END:]
    shifted = [p - PAR_END for p in X_SNVS]
    male_x = _mutate(x_rest, shifted)
    male_y = _mutate(ref["chrY"], Y_SNVS)
    hom = [p - PAR_END for p in FEMALE_HOM_X]
    female_x = [_mutate(x_rest, shifted), _mutate(x_rest, hom)]

    reads = root / "reads"
    male_parts = [
        _fragments([[chr1[0], pars[0]], [chr1[1], pars[1]]], DEPTH, rng),
        # One X (outside the PAR) and one Y: both haplotypes the same, half the depth.
        _fragments([[male_x, male_y], [male_x, male_y]], DEPTH / 2, rng),
    ]
    female_parts = [
        _fragments([[chr1[0], pars[0], female_x[0]], [chr1[1], pars[1], female_x[1]]], DEPTH, rng)
    ]
    return {
        "M1": _write(reads, "M1", male_parts, 11),
        "F1": _write(reads, "F1", female_parts, 21),
        # The male's reads again (other read errors), under a sheet that says female.
        "SWAP": _write(reads, "SWAP", male_parts, 31),
    }


def run(
    root: Path,
    name: str,
    targets: str,
    sheet: list[tuple[str, str]],
    fastqs: dict[str, tuple[Path, Path]],
    calling: dict[str, object] | None = None,
    cores: int = 2,
) -> Path:
    outdir = root / name
    outdir.mkdir()
    (outdir / "targets.bed").write_text(targets)
    with open(outdir / "samples.tsv", "w") as handle:
        handle.write("sample\tunit\tfq1\tfq2\tsex\n")
        for sample, sex in sheet:
            fq1, fq2 = fastqs[sample]
            handle.write(f"{sample}\tL001\t{fq1}\t{fq2}\t{sex}\n")
    config = {
        "lab": {"name": "sex test lab", "id": "sex"},
        "reference": {"fasta": str(root / "reference.fa"), "par_regions": str(root / "par.tsv")},
        "targets": str(outdir / "targets.bed"),
        "samples": str(outdir / "samples.tsv"),
        "output_dir": str(outdir / "out"),
        "threads": 2,
        **({"calling": calling} if calling else {}),
    }
    (outdir / "config.yaml").write_text(yaml.safe_dump(config))
    run_labpipe_run(outdir / "config.yaml", cores)
    return outdir / "out" / "results"


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("sex")
    fastqs = make_data(root)
    # Targets split at the PAR's end, as exome targets would be.
    sex_targets = "chr1\t0\t40000\nchrX\t0\t6000\nchrX\t6000\t30000\nchrY\t0\t12000\n"
    sheet = [("M1", "male"), ("F1", "F"), ("SWAP", "female")]
    return {
        "sex": run(root, "with_xy", sex_targets, sheet, fastqs),
        "panel": run(root, "autosomal_panel", "chr1\t0\t40000\n", [("M1", "male")], fastqs),
        # One calling chunk on one core instead of one chunk per contig on two.
        "one_chunk": run(
            root, "one_chunk", sex_targets, [("M1", "male")], fastqs, {"scatter": 1}, cores=1
        ),
        "freebayes": run(
            root, "freebayes", sex_targets, [("M1", "male")], fastqs, {"caller": "freebayes"}
        ),
    }


def variants(results: Path, sample: str) -> dict[tuple[str, int], dict[str, str]]:
    with open(results / "variants" / f"{sample}.tsv") as handle:
        rows = csv.DictReader(
            (line for line in handle if not line.startswith("##")), delimiter="\t"
        )
        return {(r["chrom"], int(r["pos"])): r for r in rows if r["filter"] == "PASS"}


def test_male_x_hemizygous_outside_the_par_diploid_inside(runs: dict[str, Path]) -> None:
    calls = variants(runs["sex"], "M1")
    for pos in X_SNVS:
        row = calls[("chrX", pos + 1)]
        assert (row["genotype"], row["zygosity"]) == ("1", "hemizygous"), row
    for pos in Y_SNVS:
        assert calls[("chrY", pos + 1)]["zygosity"] == "hemizygous"
    for pos in PAR_SNVS:
        row = calls[("chrX", pos + 1)]
        assert (row["genotype"], row["zygosity"]) == ("0/1", "het"), row
    assert {k for k in calls if k[0] == "chrX"} == {("chrX", p + 1) for p in PAR_SNVS + X_SNVS}


def test_haploid_calls_do_not_depend_on_chunks_or_cores(runs: dict[str, Path]) -> None:
    def records(results: Path) -> list[str]:
        with pysam.VariantFile(str(results / "vcf" / "M1.vcf.gz")) as handle:
            return [str(record) for record in handle]

    assert records(runs["one_chunk"]) == records(runs["sex"])


def test_freebayes_calls_the_male_x_hemizygous(runs: dict[str, Path]) -> None:
    calls = variants(runs["freebayes"], "M1")
    for pos in X_SNVS + [p for p in Y_SNVS]:
        chrom = "chrX" if pos in X_SNVS else "chrY"
        row = calls[(chrom, pos + 1)]
        assert (row["genotype"], row["zygosity"]) == ("1", "hemizygous"), row
    for pos in PAR_SNVS:
        assert calls[("chrX", pos + 1)]["genotype"] == "0/1"
    (row,) = read_qc_table(runs["freebayes"] / "qc" / "qc_summary.tsv")
    assert row.sex_inferred == "male"


def test_sex_inferred_and_compared_with_the_sheet(runs: dict[str, Path]) -> None:
    rows = {r.sample: r for r in read_qc_table(runs["sex"] / "qc" / "qc_summary.tsv")}
    male, female, swap = rows["M1"], rows["F1"], rows["SWAP"]
    assert (male.sex_declared, male.sex_inferred) == ("male", "male")
    assert male.x_autosome_depth_ratio is not None and 0.4 < male.x_autosome_depth_ratio < 0.6
    assert male.y_autosome_depth_ratio is not None and 0.4 < male.y_autosome_depth_ratio < 0.6
    assert (male.x_snvs, male.x_het_snvs, male.x_het_fraction) == (14, 0, 0.0)
    assert sex_check(male).status == PASS

    assert (female.sex_declared, female.sex_inferred) == ("female", "female")
    assert female.x_autosome_depth_ratio is not None and female.x_autosome_depth_ratio > 0.9
    assert female.y_autosome_depth_ratio == 0.0
    assert (female.x_snvs, female.x_het_snvs) == (14, 14 - len(FEMALE_HOM_X))
    assert sex_check(female).status == PASS
    female_calls = variants(runs["sex"], "F1")
    assert female_calls[("chrX", X_SNVS[1] + 1)]["genotype"] == "0/1"

    # The swapped sample is called diploid (the sheet says female) and fails QC.
    assert (swap.sex_declared, swap.sex_inferred) == ("female", "male")
    check = sex_check(swap)
    assert check.status == FAIL
    assert check.note.startswith(
        "sex mismatch: sample sheet says female, data say male (chrX depth 0."
    )
    assert "0 of 14 chrX SNVs heterozygous" in check.note
    verdict = qc_verdict("SWAP", swap, VariantCounts(), lab_config().qc)
    assert verdict.overall == FAIL
    report = (runs["sex"] / "report" / "SWAP.html").read_text()
    assert "sex mismatch: sample sheet says female, data say male" in report
    assert variants(runs["sex"], "SWAP")[("chrX", X_SNVS[0] + 1)]["genotype"] == "1/1"


def test_panel_without_sex_chromosome_targets_says_not_inferred(runs: dict[str, Path]) -> None:
    (row,) = read_qc_table(runs["panel"] / "qc" / "qc_summary.tsv")
    assert row.sex_inferred == "not inferred"
    check = sex_check(row)
    assert check.status == NOT_ASSESSED
    assert check.note.startswith(
        "sex not inferred: the targets include less than 1,000 bp of chrX outside the "
        "pseudoautosomal regions"
    )
    assert check.note in (runs["panel"] / "report" / "M1.html").read_text()
