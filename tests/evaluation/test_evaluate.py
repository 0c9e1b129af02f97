"""Tests for labpipe.evaluation.evaluate: hand-built truth and calls with known answers."""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path

import pysam
import pytest

from labpipe.core.errors import InputFormatError, UsageError
from labpipe.evaluation.evaluate import evaluate
from labpipe.evaluation.outputs import format_evaluation, write_evaluation
from labpipe.evaluation.primitives import genotype_text
from labpipe.evaluation.scores import ClassMetrics, Evaluation

needs_bcftools = pytest.mark.skipif(shutil.which("bcftools") is None, reason="needs bcftools")

CONTIG = "chrE"
LENGTH = 3000
# 1-based positions of the features planted in the random reference.
HOMOPOLYMER = (301, "GTTTTTTC")  # T6 at 302-307
STR = (601, "GCACACACACAT")  # (CA)5 at 602-611
FEATURES = (HOMOPOLYMER, STR)


def reference_sequence() -> str:
    rng = random.Random(5)
    bases = [rng.choice("ACGT") for _ in range(LENGTH)]
    for pos, motif in FEATURES:
        bases[pos - 1 : pos - 1 + len(motif)] = motif
    return "".join(bases)


SEQ = reference_sequence()


def base_at(pos: int) -> str:
    return SEQ[pos - 1]


def other(base: str, shift: int = 1) -> str:
    return "ACGT"[("ACGT".index(base) + shift) % 4]


def snv(pos: int, shift: int = 1) -> tuple[int, str, str]:
    return pos, SEQ[pos - 1], other(SEQ[pos - 1], shift)


class VcfBuilder:
    """Rows of a one-sample VCF on the test contig, checked against the reference."""

    def __init__(self, sample: str = "S1") -> None:
        self.sample = sample
        self.rows: list[str] = []

    def add(
        self, pos: int, ref: str, alt: str, gt: str, filt: str = "PASS", qual: str = "50"
    ) -> VcfBuilder:
        assert SEQ[pos - 1 : pos - 1 + len(ref)] == ref, f"REF {ref} is not the reference at {pos}"
        self.rows.append(f"{CONTIG}\t{pos}\t.\t{ref}\t{alt}\t{qual}\t{filt}\t.\tGT\t{gt}")
        return self

    def write(self, path: Path) -> Path:
        header = [
            "##fileformat=VCFv4.2",
            f"##contig=<ID={CONTIG},length={LENGTH}>",
            '##FILTER=<ID=PASS,Description="All filters passed">',
            '##FILTER=<ID=LowQual,Description="Low quality">',
            '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
            f"#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\t{self.sample}",
        ]
        rows = sorted(self.rows, key=lambda r: int(r.split("\t")[1]))
        plain = path.with_suffix("")
        plain.write_text("\n".join(header + rows) + "\n")
        pysam.tabix_compress(str(plain), str(path), force=True)
        plain.unlink()
        return path


@pytest.fixture
def reference(tmp_path: Path) -> Path:
    path = tmp_path / "ref.fa"
    path.write_text(f">{CONTIG}\n" + "\n".join(SEQ[i : i + 60] for i in range(0, LENGTH, 60)))
    pysam.faidx(str(path))
    return path


def run(
    tmp_path: Path,
    reference: Path,
    truth: VcfBuilder,
    calls: VcfBuilder,
    regions: str | None = None,
    targets: str | None = None,
    pass_only: bool = True,
) -> Evaluation:
    beds: dict[str, Path | None] = {"regions": None, "targets": None}
    for name, text in (("regions", regions), ("targets", targets)):
        if text is not None:
            beds[name] = tmp_path / f"{name}.bed"
            beds[name].write_text(text)  # type: ignore[union-attr]
    return evaluate(
        truth.write(tmp_path / "truth.vcf.gz"),
        calls.write(tmp_path / "calls.vcf.gz"),
        reference,
        regions_bed=beds["regions"],
        targets_bed=beds["targets"],
        pass_only=pass_only,
    )


def counts(m: ClassMetrics) -> tuple[int, int, int, int]:
    return (m.tp, m.fp, m.fn, m.genotype_matches)


def test_genotype_text_sorts_and_marks_missing() -> None:
    assert genotype_text((True, False)) == "0/1"
    assert genotype_text((False, True)) == "0/1"
    assert genotype_text((True, True)) == "1/1"
    assert genotype_text((None, True)) == "1/."
    assert genotype_text((True,)) == "1"


# --- whole evaluations on the hand-built cases ----------------------------------------------


@needs_bcftools
class TestEvaluate:
    def test_homopolymer_deletion_left_and_right_shifted_match(
        self, tmp_path: Path, reference: Path
    ) -> None:
        truth = VcfBuilder().add(301, "GT", "G", "0/1")
        calls = VcfBuilder().add(306, "TT", "T", "0/1")
        result = run(tmp_path, reference, truth, calls)
        assert counts(result.indel) == (1, 0, 0, 1)
        assert result.indel.f1 == 1.0

    def test_padded_deletion_matches_the_trimmed_one(self, tmp_path: Path, reference: Path) -> None:
        padded = SEQ[299] + "GTT"  # random base at 300, then G and the first two Ts of T6
        truth = VcfBuilder().add(301, "GT", "G", "0/1")
        calls = VcfBuilder().add(300, padded, padded[:-1], "0/1")
        result = run(tmp_path, reference, truth, calls)
        assert counts(result.indel) == (1, 0, 0, 1)

    def test_mnp_counts_as_one_record(self, tmp_path: Path, reference: Path) -> None:
        # Its SNVs are compared; the record counts are of records as written (after splitting).
        ref = SEQ[1199:1203]
        alt = other(ref[0]) + ref[1:3] + other(ref[3])
        truth = VcfBuilder().add(1200, ref, alt, "0/1")
        calls = VcfBuilder().add(1200, ref, alt, "0/1", filt="LowQual")
        result = run(tmp_path, reference, truth, calls)
        assert (result.truth_counts.records, result.truth_counts.primitives) == (1, 2)
        assert (result.calls_counts.records, result.calls_counts.not_pass) == (1, 1)
        assert counts(result.snv) == (0, 0, 2, 0)

    def test_str_insertion_written_two_ways_matches(self, tmp_path: Path, reference: Path) -> None:
        truth = VcfBuilder().add(601, "G", "GCA", "1/1")
        calls = VcfBuilder().add(610, "CA", "CACA", "1/1")
        result = run(tmp_path, reference, truth, calls)
        assert counts(result.indel) == (1, 0, 0, 1)

    def test_multiallelic_record_matches_split_records(
        self, tmp_path: Path, reference: Path
    ) -> None:
        pos, ref, alt_a = snv(1000, 1)
        alt_b = other(ref, 2)
        truth = VcfBuilder().add(pos, ref, alt_a, "0/1").add(pos, ref, alt_b, "0/1")
        calls = VcfBuilder().add(pos, ref, f"{alt_a},{alt_b}", "1/2")
        result = run(tmp_path, reference, truth, calls)
        assert counts(result.snv) == (2, 0, 0, 2)

    def test_multiallelic_truth_with_a_missed_allele(self, tmp_path: Path, reference: Path) -> None:
        # Truth 1/2 of a deletion and a longer deletion in the STR; only one is called.
        truth = VcfBuilder().add(601, "GCACA", "GCA,G", "1/2")
        calls = VcfBuilder().add(601, "GCA", "G", "0/1")
        result = run(tmp_path, reference, truth, calls)
        assert counts(result.indel) == (1, 0, 1, 1)
        assert [(v.pos, v.ref, v.alt) for v in result.false_negatives] == [(601, "GCACA", "G")]

    def test_mnp_matches_two_snvs(self, tmp_path: Path, reference: Path) -> None:
        ref = SEQ[1199:1202]
        alt = other(ref[0]) + ref[1] + other(ref[2])
        truth = VcfBuilder().add(1200, ref[0], alt[0], "0/1").add(1202, ref[2], alt[2], "0/1")
        calls = VcfBuilder().add(1200, ref, alt, "0/1")
        result = run(tmp_path, reference, truth, calls)
        assert counts(result.snv) == (2, 0, 0, 2)
        assert result.indel.tp == result.indel.fp == result.indel.fn == 0

    def test_complex_deletion_matches_its_snv_and_deletion(
        self, tmp_path: Path, reference: Path
    ) -> None:
        # One record 300-303 "xGTT" > "yGT": an SNV at 300 and one T of T6 deleted. bcftools
        # norm -a (1.16) leaves such a record whole; the hand decomposition must not.
        ref = SEQ[299:303]
        calls = VcfBuilder().add(300, ref, other(ref[0]) + "GT", "0/1")
        truth = VcfBuilder().add(300, ref[0], other(ref[0]), "0/1").add(306, "TT", "T", "0/1")
        result = run(tmp_path, reference, truth, calls)
        assert (counts(result.snv), counts(result.indel)) == ((1, 0, 0, 1), (1, 0, 0, 1))

    def test_shared_primitive_of_two_alleles_is_homozygous(
        self, tmp_path: Path, reference: Path
    ) -> None:
        # 1/2 where both alleles change base 1400 and only ALT 2 changes 1401.
        ref = SEQ[1399:1401]
        first = other(ref[0])
        truth = VcfBuilder().add(1400, ref[0], first, "1/1").add(1401, ref[1], other(ref[1]), "0/1")
        calls = VcfBuilder().add(1400, ref, f"{first}{ref[1]},{first}{other(ref[1])}", "1/2")
        result = run(tmp_path, reference, truth, calls)
        assert counts(result.snv) == (2, 0, 0, 2)

    def test_genotype_mismatch_is_a_true_positive_with_wrong_genotype(
        self, tmp_path: Path, reference: Path
    ) -> None:
        truth = VcfBuilder().add(*snv(1500), "1/1")
        calls = VcfBuilder().add(*snv(1500), "0/1")
        result = run(tmp_path, reference, truth, calls)
        assert counts(result.snv) == (1, 0, 0, 0)
        assert result.snv.genotype_concordance == 0.0
        assert [(m.pos, m.call_gt, m.truth_gt) for m in result.genotype_mismatches] == [
            (1500, "0/1", "1/1")
        ]

    def test_filtered_record(self, tmp_path: Path, reference: Path) -> None:
        truth = VcfBuilder().add(*snv(1600), "0/1")
        calls = (
            VcfBuilder()
            .add(*snv(1600), "0/1", filt="LowQual")  # would be a TP
            .add(*snv(1700), "0/1", filt="LowQual")  # would be an FP
        )
        result = run(tmp_path, reference, truth, calls)
        assert counts(result.snv) == (0, 0, 1, 0)
        assert result.calls_counts.not_pass == 2
        everything = run(tmp_path, reference, truth, calls, pass_only=False)
        assert counts(everything.snv) == (1, 1, 0, 1)
        assert everything.false_positives[0].filters == "LowQual"

    def test_records_outside_regions_and_targets_are_left_out(
        self, tmp_path: Path, reference: Path
    ) -> None:
        truth = VcfBuilder().add(*snv(100), "0/1").add(*snv(2100), "0/1").add(*snv(2600), "0/1")
        calls = VcfBuilder().add(*snv(100), "0/1").add(*snv(2200), "0/1").add(*snv(2700), "0/1")
        regions = f"{CONTIG}\t0\t2500\n"  # 2600 and 2700 outside
        targets = f"{CONTIG}\t0\t2000\n"  # 2100 and 2200 outside as well
        both = run(tmp_path, reference, truth, calls, regions=regions, targets=targets)
        assert counts(both.snv) == (1, 0, 0, 1)
        assert both.truth_counts.outside_regions == 2 and both.calls_counts.outside_regions == 2
        regions_only = run(tmp_path, reference, truth, calls, regions=regions)
        assert counts(regions_only.snv) == (1, 1, 1, 1)
        nothing = run(tmp_path, reference, truth, calls)
        assert counts(nothing.snv) == (1, 2, 2, 1)

    def test_reference_only_and_missing_genotypes_are_not_variants(
        self, tmp_path: Path, reference: Path
    ) -> None:
        truth = VcfBuilder().add(*snv(1800), "0/0")
        calls = VcfBuilder().add(*snv(1800), "./.").add(*snv(1900), "0/0")
        result = run(tmp_path, reference, truth, calls)
        assert counts(result.all) == (0, 0, 0, 0)
        assert (result.all.precision, result.all.recall, result.all.f1) == (None, None, None)

    def test_report_files(self, tmp_path: Path, reference: Path) -> None:
        truth = VcfBuilder().add(*snv(100), "1/1").add(301, "GT", "G", "0/1")
        calls = VcfBuilder().add(*snv(100), "0/1").add(*snv(2200), "0/1", qual="12.5")
        result = run(tmp_path, reference, truth, calls)
        files = write_evaluation(result, tmp_path / "report")
        report = json.loads(files["json"].read_text())
        assert report["schema_version"] == 1
        assert report["metrics"]["snv"] == {
            "tp": 1,
            "fp": 1,
            "fn": 0,
            "precision": 0.5,
            "recall": 1.0,
            "f1": pytest.approx(2 / 3),
            "genotype_matches": 0,
            "genotype_concordance": 0.0,
        }
        assert report["metrics"]["indel"]["fn"] == 1
        assert report["inputs"]["truth_sample"] == "S1"
        with pysam.VariantFile(str(files["false_positives"])) as fp:
            (record,) = list(fp)
            assert (record.pos, record.qual, record.info["CLASS"]) == (2200, 12.5, "snv")
        with pysam.VariantFile(str(files["false_negatives"])) as fn:
            assert [(r.pos, r.ref, r.alts) for r in fn] == [(301, "GT", ("G",))]
        with pysam.VariantFile(str(files["genotype_mismatches"])) as gm:
            (record,) = list(gm)
            assert record.info["TRUTH_GT"] == "1/1"
            assert record.samples["S1"]["GT"] == (0, 1)
        text = format_evaluation(result)
        assert "false negatives (1):" in text
        assert "chrE:301 GT>G 0/1" in text

    def test_sample_names_may_differ_when_each_file_has_one(
        self, tmp_path: Path, reference: Path
    ) -> None:
        truth = VcfBuilder("INTEGRATION").add(*snv(100), "0/1")
        calls = VcfBuilder("NA12878").add(*snv(100), "0/1")
        result = run(tmp_path, reference, truth, calls)
        assert (result.truth_sample, result.calls_sample) == ("INTEGRATION", "NA12878")
        assert result.snv.tp == 1


@needs_bcftools
class TestErrors:
    def test_several_samples_need_a_name(self, tmp_path: Path, reference: Path) -> None:
        truth = VcfBuilder().add(*snv(100), "0/1").write(tmp_path / "truth.vcf.gz")
        two = tmp_path / "two.vcf"
        two.write_text(
            "##fileformat=VCFv4.2\n"
            f"##contig=<ID={CONTIG},length={LENGTH}>\n"
            '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">\n'
            "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tA\tB\n"
        )
        with pytest.raises(UsageError, match=r"two\.vcf: the calls VCF has 2 samples \(A, B\)"):
            evaluate(truth, two, reference)

    def test_wrong_reference(self, tmp_path: Path, reference: Path) -> None:
        pos, ref, _ = snv(100)
        bad = tmp_path / "bad.vcf"
        bad.write_text(
            "##fileformat=VCFv4.2\n"
            f"##contig=<ID={CONTIG},length={LENGTH}>\n"
            '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">\n'
            "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS1\n"
            f"{CONTIG}\t{pos}\t.\t{other(ref)}\t{ref}\t50\tPASS\t.\tGT\t0/1\n"
        )
        truth = VcfBuilder().add(*snv(100), "0/1").write(tmp_path / "truth.vcf.gz")
        with pytest.raises(InputFormatError, match="same reference build"):
            evaluate(truth, bad, reference)

    def test_missing_targets_file(self, tmp_path: Path, reference: Path) -> None:
        truth = VcfBuilder().add(*snv(100), "0/1").write(tmp_path / "truth.vcf.gz")
        with pytest.raises(InputFormatError, match=r"panel\.bed: targets BED not found"):
            evaluate(truth, truth, reference, targets_bed=tmp_path / "panel.bed")
