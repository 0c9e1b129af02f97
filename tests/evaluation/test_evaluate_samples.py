"""labpipe.evaluation.evaluate on two-sample VCFs (one column compared), against a tiny reference.

The calls and truth VCFs are built here; each matching rule is exercised once.
"""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import pysam
import pytest

from labpipe.core.errors import InputFormatError
from labpipe.evaluation.evaluate import evaluate
from labpipe.evaluation.outputs import format_evaluation
from labpipe.evaluation.scores import (
    ClassMetrics,
    Evaluation,
    GenotypeMismatch,
    VariantRecord,
    variant_class,
)
from tests.paths import SHARED_DATA

pytestmark = pytest.mark.skipif(shutil.which("bcftools") is None, reason="needs bcftools")

CONTIG = "chrT"
SAMPLES = ("PK001", "PK002")
# 1-based: C at 501, AAAAA at 502-506, G at 507. Deleting one A can be written at 501
# (left-aligned, CA>C) or 505 (right-shifted, AA>A); bcftools norm turns both into CA>C.
HOMOPOLYMER_START = 501
HOMOPOLYMER = "CAAAAAG"
# Targets: everything before 1400 (0-based, half-open); 1501 and 1601 lie outside.
REGIONS = f"{CONTIG}\t0\t1400\n"

GIAB = SHARED_DATA / "giab-na12878-chr20-b37-nucleus"


def make_reference(directory: Path) -> tuple[Path, str]:
    """A 2 kb random contig with a homopolymer planted at HOMOPOLYMER_START."""
    rng = random.Random(11)
    bases = [rng.choice("ACGT") for _ in range(2000)]
    start = HOMOPOLYMER_START - 1
    bases[start : start + len(HOMOPOLYMER)] = HOMOPOLYMER
    sequence = "".join(bases)
    path = directory / "ref.fa"
    path.write_text(f">{CONTIG}\n" + "\n".join(sequence[i : i + 60] for i in range(0, 2000, 60)))
    pysam.faidx(str(path))
    return path, sequence


def other_base(base: str, shift: int = 1) -> str:
    """A base different from ``base`` (different ``shift`` values give different bases)."""
    order = "ACGT"
    return order[(order.index(base) + shift) % 4]


def write_vcf(path: Path, rows: list[str]) -> Path:
    """Write a two-sample VCF with ##contig lines and bgzip it with pysam."""
    header = [
        "##fileformat=VCFv4.2",
        f"##contig=<ID={CONTIG},length=2000>",
        '##FILTER=<ID=PASS,Description="All filters passed">',
        '##FILTER=<ID=LowQual,Description="Low quality">',
        '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
        "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\t" + "\t".join(SAMPLES),
    ]
    plain = path.with_suffix("")
    plain.write_text("\n".join(header + rows) + "\n")
    pysam.tabix_compress(str(plain), str(path), force=True)
    plain.unlink()
    return path


def row(sequence: str, pos: int, ref: str, alt: str, gts: str, filt: str = "PASS") -> str:
    """A VCF line; checks that ``ref`` really is the reference at ``pos``."""
    assert sequence[pos - 1 : pos - 1 + len(ref)] == ref, f"REF {ref} is wrong at {pos}"
    return f"{CONTIG}\t{pos}\t.\t{ref}\t{alt}\t50\t{filt}\t.\tGT\t{gts.replace(' ', chr(9))}"


@pytest.fixture
def case(tmp_path: Path) -> dict[str, Path]:
    """Truth and calls covering each matching rule once.

    PK001, by position:
      101  SNV, 0/1 both sides                         TP, genotype match
      201  SNV, truth 1/1, called 0/1                  TP, genotype mismatch
      501  homopolymer deletion, truth left-aligned,
           call right-shifted at 505                   TP (indel), genotype match
      801  truth split into two records (0/1 each),
           call one multi-allelic record 1/2           2 TP, genotype matches
      1001 SNV in truth, call FILTER LowQual           FN when pass_only, TP otherwise
      1101 SNV only PK002 has (PK001 0/0)              not expected from PK001
      1151 call ./. for PK001                          not a call
      1201 SNV called, not in truth                    FP
      1301 insertion in truth, not called              FN (indel)
      1501 SNV called, not in truth, outside regions   FP only without regions
      1601 SNV in truth, not called, outside regions   FN only without regions
    """
    reference, seq = make_reference(tmp_path)

    def snv(pos: int, shift: int = 1) -> tuple[str, str]:
        return seq[pos - 1], other_base(seq[pos - 1], shift)

    s101, s201, s801a, s801b = snv(101), snv(201), snv(801, 1), snv(801, 2)
    s1001, s1101, s1151, s1201 = snv(1001), snv(1101), snv(1151), snv(1201)
    s1501, s1601 = snv(1501), snv(1601)
    ins_ref = seq[1300]
    # The inserted bases end unlike the anchor base, so left-alignment leaves it at 1301.
    inserted = "".join(other_base(ins_ref, shift) for shift in (1, 2, 1))
    truth_rows = [
        row(seq, 101, *s101, "0/1 0/0"),
        row(seq, 201, *s201, "1/1 0/1"),
        row(seq, 501, "CA", "C", "0/1 0/0"),
        row(seq, 801, s801a[0], s801a[1], "0/1 0/0"),
        row(seq, 801, s801b[0], s801b[1], "0/1 0/0"),
        row(seq, 1001, *s1001, "0/1 0/0"),
        row(seq, 1101, *s1101, "0/0 0/1"),
        row(seq, 1301, ins_ref, ins_ref + inserted, "0/1 0/0"),
        row(seq, 1601, *s1601, "0/1 0/0"),
    ]
    call_rows = [
        row(seq, 101, *s101, "0/1 0/0"),
        row(seq, 201, *s201, "0/1 0/1"),
        row(seq, 505, "AA", "A", "0/1 0/0"),
        row(seq, 801, s801a[0], f"{s801a[1]},{s801b[1]}", "1/2 0/0"),
        row(seq, 1001, *s1001, "0/1 0/0", filt="LowQual"),
        row(seq, 1151, *s1151, "./. 0/1"),
        row(seq, 1201, *s1201, "0/1 0/0"),
        row(seq, 1501, *s1501, "0/1 0/0"),
    ]
    regions = tmp_path / "regions.bed"
    regions.write_text(REGIONS)
    return {
        "reference": reference,
        "truth": write_vcf(tmp_path / "truth.vcf.gz", truth_rows),
        "calls": write_vcf(tmp_path / "calls.vcf.gz", call_rows),
        "regions": regions,
    }


def compare(
    calls: Path,
    truth: Path,
    reference: Path,
    sample: str,
    regions_bed: Path | None = None,
    pass_only: bool = True,
) -> Evaluation:
    """The same sample column compared on both sides."""
    return evaluate(
        truth,
        calls,
        reference,
        regions_bed=regions_bed,
        truth_sample=sample,
        calls_sample=sample,
        pass_only=pass_only,
    )


def counts(metrics: ClassMetrics) -> tuple[int, int, int, int]:
    return (metrics.tp, metrics.fp, metrics.fn, metrics.genotype_matches)


class TestCompare:
    def test_counts_within_regions(self, case: dict[str, Path]) -> None:
        result = compare(
            case["calls"], case["truth"], case["reference"], "PK001", regions_bed=case["regions"]
        )
        print(format_evaluation(result))
        assert counts(result.snv) == (4, 1, 1, 3)
        assert counts(result.indel) == (1, 0, 1, 1)
        assert counts(result.all) == (5, 1, 2, 4)
        assert result.all.precision == pytest.approx(5 / 6)
        assert result.all.recall == pytest.approx(5 / 7)
        assert result.all.f1 == pytest.approx(2 * 5 / (2 * 5 + 1 + 2))

    def test_discordant_records_are_listed(self, case: dict[str, Path]) -> None:
        result = compare(
            case["calls"], case["truth"], case["reference"], "PK001", regions_bed=case["regions"]
        )
        assert [(v.pos, v.gt) for v in result.false_positives] == [(1201, "0/1")]
        assert [(v.pos, len(v.alt) - len(v.ref)) for v in result.false_negatives] == [
            (1001, 0),
            (1301, 3),
        ]
        assert [(m.pos, m.call_gt, m.truth_gt) for m in result.genotype_mismatches] == [
            (201, "0/1", "1/1")
        ]

    def test_homopolymer_deletion_matches_after_left_alignment(self, case: dict[str, Path]) -> None:
        result = compare(case["calls"], case["truth"], case["reference"], "PK001")
        assert result.indel.tp == 1
        assert not any(v.pos in (501, 505) for v in result.false_positives)

    def test_without_regions_outside_records_count(self, case: dict[str, Path]) -> None:
        result = compare(case["calls"], case["truth"], case["reference"], "PK001")
        assert counts(result.all) == (5, 2, 3, 4)
        assert [v.pos for v in result.false_positives] == [1201, 1501]
        assert [v.pos for v in result.false_negatives] == [1001, 1301, 1601]

    def test_filtered_call_counts_when_pass_only_is_off(self, case: dict[str, Path]) -> None:
        result = compare(
            case["calls"],
            case["truth"],
            case["reference"],
            "PK001",
            regions_bed=case["regions"],
            pass_only=False,
        )
        assert counts(result.snv) == (5, 1, 0, 4)
        assert counts(result.all) == (6, 1, 1, 5)

    def test_other_sample_column(self, case: dict[str, Path]) -> None:
        # PK002's truth: 201 (0/1) and 1101 (0/1); its calls: 201 0/1 and 1151 0/1.
        result = compare(
            case["calls"], case["truth"], case["reference"], "PK002", regions_bed=case["regions"]
        )
        assert counts(result.all) == (1, 1, 1, 1)
        assert [v.pos for v in result.false_positives] == [1151]
        assert [v.pos for v in result.false_negatives] == [1101]

    def test_uncompressed_vcfs_work(self, case: dict[str, Path], tmp_path: Path) -> None:
        plain = tmp_path / "calls_plain.vcf"
        with pysam.BGZFile(str(case["calls"]), "rb") as handle:
            plain.write_bytes(handle.read())
        result = compare(
            plain, case["truth"], case["reference"], "PK001", regions_bed=case["regions"]
        )
        assert counts(result.all) == (5, 1, 2, 4)


class TestErrors:
    def test_sample_missing_from_calls(self, case: dict[str, Path]) -> None:
        with pytest.raises(
            InputFormatError,
            match=r"calls\.vcf\.gz: the calls VCF has no sample column 'PK009' "
            r"\(it has: PK001, PK002\)",
        ):
            compare(case["calls"], case["truth"], case["reference"], "PK009")

    def test_calls_made_against_another_reference(
        self, case: dict[str, Path], tmp_path: Path
    ) -> None:
        _, seq = make_reference(tmp_path)
        wrong_ref = other_base(seq[100])
        line = f"{CONTIG}\t101\t.\t{wrong_ref}\t{seq[100]}\t50\tPASS\t.\tGT\t0/1\t0/0"
        calls = write_vcf(tmp_path / "wrong.vcf.gz", [line])
        with pytest.raises(InputFormatError, match=r"wrong\.vcf\.gz: bcftools norm") as raised:
            compare(calls, case["truth"], case["reference"], "PK001")
        assert "same reference build" in str(raised.value)
        assert any("mismatch" in problem.lower() for problem in raised.value.problems)

    def test_missing_truth_file(self, case: dict[str, Path], tmp_path: Path) -> None:
        with pytest.raises(InputFormatError, match=r"nope\.vcf\.gz: truth VCF not found"):
            compare(case["calls"], tmp_path / "nope.vcf.gz", case["reference"], "PK001")

    def test_malformed_regions_bed(self, case: dict[str, Path], tmp_path: Path) -> None:
        bed = tmp_path / "bad.bed"
        bed.write_text(f"{CONTIG}\t100\n")
        with pytest.raises(InputFormatError, match=r"bad\.bed"):
            compare(case["calls"], case["truth"], case["reference"], "PK001", bed)


class TestMetrics:
    def test_nothing_called_nothing_expected_has_no_rates(self) -> None:
        m = ClassMetrics.from_counts(tp=0, fp=0, fn=0, genotype_matches=0)
        assert (m.precision, m.recall, m.f1) == (None, None, None)

    def test_nothing_called_with_truth_scores_zero_f1(self) -> None:
        m = ClassMetrics.from_counts(tp=0, fp=0, fn=3, genotype_matches=0)
        assert (m.precision, m.recall, m.f1) == (None, 0.0, 0.0)

    def test_only_false_calls(self) -> None:
        m = ClassMetrics.from_counts(tp=0, fp=2, fn=0, genotype_matches=0)
        assert (m.precision, m.recall, m.f1) == (0.0, None, 0.0)

    @pytest.mark.parametrize(
        ("ref", "alt", "expected"),
        [("A", "G", "snv"), ("CA", "C", "indel"), ("C", "CTT", "indel"), ("AC", "GT", "mnp")],
    )
    def test_variant_class(self, ref: str, alt: str, expected: str) -> None:
        assert variant_class(ref, alt) == expected


def test_format_evaluation_lists_what_differs(case: dict[str, Path]) -> None:
    result = compare(
        case["calls"], case["truth"], case["reference"], "PK001", regions_bed=case["regions"]
    )
    text = format_evaluation(result, max_listed=1)
    lines = text.splitlines()
    assert lines[0].startswith(
        f"calls {case['calls']} (PK001) against truth {case['truth']} (PK001)"
    )
    assert lines[2].split()[:4] == ["snv", "4", "1", "1"]
    assert lines[4].split()[:4] == ["all", "5", "1", "2"]
    assert "false negatives (2):" in lines
    assert "  ... and 1 more" in lines
    mismatch = result.genotype_mismatches[0]
    assert f"  {CONTIG}:201 {mismatch.ref}>{mismatch.alt} called 0/1, truth 1/1" in lines


def test_record_text() -> None:
    assert str(VariantRecord("chr1", 10, "CA", "C", "0/1")) == "chr1:10 CA>C 0/1"
    assert str(GenotypeMismatch("chr1", 10, "A", "G", "0/1", "1/1")) == (
        "chr1:10 A>G called 0/1, truth 1/1"
    )


@pytest.mark.shared_data("giab-na12878-chr20-b37-nucleus")
def test_giab_truth_against_itself_is_perfect() -> None:
    truth = GIAB / "test_nist.b37_chr20_100kbp_at_10mb.vcf.gz"
    reference = GIAB / "ucsc.hg19.chr20.unittest.fasta.gz"
    bed = GIAB / "test_nist.b37_chr20_100kbp_at_10mb.bed"
    result = compare(truth, truth, reference, "INTEGRATION", regions_bed=bed)
    assert result.all.fp == result.all.fn == 0
    # `bcftools view -H -T <bed>` counts 49 records in the confident regions, none multi-allelic.
    assert result.all.genotype_matches == result.all.tp == 49
    assert result.snv.tp > 0 and result.indel.tp > 0
