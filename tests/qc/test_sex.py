"""Sex chromosomes: PAR tables, haploid regions, ploidy files and the inference thresholds."""

from __future__ import annotations

from pathlib import Path

import pysam
import pytest

from labpipe.config.samplesheet import FEMALE, MALE, parse_sex
from labpipe.core.errors import InputFormatError
from labpipe.core.regions import Interval
from labpipe.qc.sex import (
    NOT_INFERRED,
    SexEvidence,
    check_sex,
    infer_sex,
    is_heterozygous,
    measure_sex_evidence,
    read_region_bases,
    sex_depth_regions,
)
from labpipe.qc.sex_chromosomes import (
    ploidy_warnings,
    read_par_file,
    sex_chromosomes,
    shipped_par_file,
    write_ploidy_files,
)

GRCH38 = {"chr1": 248_956_422, "chrX": 156_040_895, "chrY": 57_227_415}


def evidence(x: float | None, y: float | None, snvs: int = 20, hets: int = 0) -> SexEvidence:
    """Evidence at 100× autosomal depth with the given chrX/chrY ratios."""
    return SexEvidence(
        100.0, None if x is None else 100 * x, None if y is None else 100 * y, snvs, hets
    )


@pytest.mark.parametrize(
    ("text", "sex"),
    [
        ("male", MALE),
        ("M", MALE),
        ("Female", FEMALE),
        ("f", FEMALE),
        ("UNKNOWN", "unknown"),
        ("", "unknown"),
        ("man", None),
        ("1", None),
    ],
)
def test_parse_sex(text: str, sex: str | None) -> None:
    assert parse_sex(text) == sex


def test_shipped_par_tables_hold_the_grc_coordinates() -> None:
    grch38 = shipped_par_file("GRCh38")
    assert grch38 is not None and shipped_par_file("hg38") == grch38
    assert [(p.chrom, p.start, p.end, p.name) for p in read_par_file(grch38)] == [
        ("X", 10_001, 2_781_479, "PAR1"),
        ("X", 155_701_383, 156_030_895, "PAR2"),
        ("Y", 10_001, 2_781_479, "PAR1"),
        ("Y", 56_887_903, 57_217_415, "PAR2"),
    ]
    grch37 = shipped_par_file("hg19")
    assert grch37 is not None
    assert [(p.chrom, p.start, p.end) for p in read_par_file(grch37)] == [
        ("X", 60_001, 2_699_520),
        ("X", 154_931_044, 155_260_560),
        ("Y", 10_001, 2_649_520),
        ("Y", 59_034_050, 59_363_566),
    ]
    assert shipped_par_file("synthetic-demo") is None


def test_par_file_problems_are_reported_with_their_lines(tmp_path: Path) -> None:
    path = tmp_path / "par.tsv"
    path.write_text(
        "# comment\nchrX\t1\t100\tPAR1\nchr7\t1\t5\tx\nX\tten\t20\tPAR2\nY\t50\t10\tP\n"
    )
    with pytest.raises(InputFormatError) as err:
        read_par_file(path)
    assert err.value.problems == [
        "line 3: contig 'chr7' is not chrX or chrY",
        "line 4: expected 'contig<TAB>start<TAB>end<TAB>name'",
        "line 5: start 50 and end 10 are not 1 <= start <= end",
    ]
    assert str(path) in str(err.value)


def test_haploid_regions_are_x_and_y_outside_the_pars_in_the_reference_naming() -> None:
    chromosomes = sex_chromosomes(GRCH38, "GRCh38", None)
    assert chromosomes.problem == ""
    assert (chromosomes.x, chromosomes.y) == ("chrX", "chrY")
    assert chromosomes.haploid == (
        Interval("chrX", 0, 10_000),
        Interval("chrX", 2_781_479, 155_701_382),
        Interval("chrX", 156_030_895, 156_040_895),
        Interval("chrY", 0, 10_000),
        Interval("chrY", 2_781_479, 56_887_902),
        Interval("chrY", 57_217_415, 57_227_415),
    )
    plain = sex_chromosomes({k.removeprefix("chr"): v for k, v in GRCH38.items()}, "hg38", None)
    assert plain.haploid[1] == Interval("X", 2_781_479, 155_701_382)


def test_unknown_build_or_missing_x_is_stated_not_guessed(tmp_path: Path) -> None:
    unknown = sex_chromosomes(GRCH38, "CHM13", None)
    assert unknown.haploid == ()
    assert unknown.problem.startswith("build 'CHM13' in the config, so labpipe does not know")
    assert "GRCh37, GRCh38" in unknown.problem
    assert "no reference.build" in sex_chromosomes(GRCH38, None, None).problem
    assert sex_chromosomes({"1": 100}, "GRCh38", None).problem == (
        "the reference has no chrX (or X) contig"
    )
    # A GRCh38 table on a small reference: the PAR2 lies beyond chrX's end.
    small = sex_chromosomes({"chrX": 3_000_000}, "GRCh38", None)
    assert "PAR2 at chrX:155701383 lies beyond the end of chrX" in small.problem
    # The lab's own table wins over the build.
    own = tmp_path / "par.tsv"
    own.write_text("chrX\t1\t500\tPAR1\n")
    chromosomes = sex_chromosomes({"chrX": 2000, "chrY": 800}, "CHM13", own)
    assert chromosomes.haploid == (Interval("chrX", 500, 2000), Interval("chrY", 0, 800))


def test_ploidy_files_make_only_a_declared_male_haploid(tmp_path: Path) -> None:
    chromosomes = sex_chromosomes({"chrX": 2000, "chrY": 800, "chr1": 5000}, None, _par(tmp_path))
    files = [tmp_path / "p.txt", tmp_path / "s.txt", tmp_path / "cnv.bed"]
    write_ploidy_files("M1", MALE, chromosomes, *files)
    assert files[0].read_text() == (
        "chrX\t501\t2000\tM\t1\nchrY\t1\t800\tM\t1\n*\t*\t*\tM\t2\n*\t*\t*\tF\t2\n"
    )
    assert files[1].read_text() == "M1\tM\n"
    assert files[2].read_text() == "chrX\t500\t2000\tM1\t1\nchrY\t0\t800\tM1\t1\n"
    for sex in (FEMALE, "unknown"):
        write_ploidy_files("S2", sex, chromosomes, *files)
        assert files[1].read_text() == "S2\tF\n"
        assert files[2].read_text() == ""
    # PARs unknown: a male is called diploid too.
    write_ploidy_files("M1", MALE, sex_chromosomes({"chrX": 2000}, None, None), *files)
    assert files[1].read_text() == "M1\tF\n" and files[2].read_text() == ""


def _par(tmp_path: Path) -> Path:
    path = tmp_path / "par.tsv"
    path.write_text("chrX\t1\t500\tPAR1\n")
    return path


def test_depth_regions_cut_targets_at_the_pars(tmp_path: Path) -> None:
    chromosomes = sex_chromosomes(
        {"chrX": 2000, "chrY": 800, "chr1": 5000, "chrM": 16}, None, _par(tmp_path)
    )
    targets = [
        Interval("chr1", 0, 100),
        Interval("chrX", 400, 700),  # straddles the PAR's end
        Interval("chrX", 100, 300),  # inside the PAR
        Interval("chrY", 10, 20),
        Interval("chrM", 0, 16),
    ]
    assert sex_depth_regions(targets, chromosomes) == [
        Interval("chr1", 0, 100),
        Interval("chrX", 500, 700),
        Interval("chrY", 10, 20),
    ]
    assert sex_depth_regions(targets, sex_chromosomes({"chr1": 5000}, None, None)) == []


def test_region_bases_from_a_mosdepth_summary(tmp_path: Path) -> None:
    summary = tmp_path / "s.txt"
    summary.write_text(
        "chrom\tlength\tbases\tmean\tmin\tmax\nchr1\t5000\t1\t0\t0\t0\n"
        "chr1_region\t100\t4000\t40\t0\t50\nchrX_region\t200\t4000\t20\t0\t30\n"
        "total_region\t300\t8000\t26\t0\t50\n"
    )
    assert read_region_bases(summary) == {"chr1": 4000, "chrX": 4000}
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    assert read_region_bases(empty) == {}
    summary.write_text("not a summary\n")
    with pytest.raises(InputFormatError, match="line 1: not a mosdepth summary"):
        read_region_bases(summary)


@pytest.mark.parametrize(
    ("depths", "genotype", "het"),
    [
        ([10, 10], [1], True),  # a haploid call whose reads show two alleles
        ([0, 20], [1], False),
        ([17, 3], [0, 1], False),  # 15% alt: not two copies
        ([16, 4], [0, 1], True),  # 20%
        (None, [0, 1], True),
        (None, [1, 1], False),
        ([-1, -1], [0, 1], True),  # AD missing: the genotype decides
    ],
)
def test_heterozygous_by_reads(depths: list[int] | None, genotype: list[int], het: bool) -> None:
    assert is_heterozygous(depths, genotype) is het


@pytest.mark.parametrize(
    ("x", "y", "snvs", "hets", "sex"),
    [
        (0.50, 0.48, 23, 0, MALE),
        (0.65, 0.20, 23, 4, MALE),  # at the limits: 0.65×, 0.2×, 4/23 = 17% het
        (0.50, None, 23, 0, MALE),  # chrY not targeted: X decides
        (0.50, 0.48, 5, 5, MALE),  # too few SNVs to count
        (1.00, 0.01, 23, 12, FEMALE),
        (0.85, 0.10, 23, 0, FEMALE),  # low X heterozygosity does not argue against female
        (1.00, None, 23, 12, FEMALE),
        (0.75, 0.48, 23, 0, NOT_INFERRED),  # between one and two X
        (0.50, 0.02, 23, 0, NOT_INFERRED),  # one X, no Y
        (0.50, 0.15, 23, 0, NOT_INFERRED),  # Y between absent and present
        (0.50, 0.48, 20, 5, NOT_INFERRED),  # one X, 25% heterozygous
        (1.00, 0.45, 23, 12, NOT_INFERRED),  # two X and a Y
        (1.00, 0.15, 23, 12, NOT_INFERRED),
        (None, 0.48, 23, 0, NOT_INFERRED),  # no chrX targets
    ],
)
def test_inference_thresholds(
    x: float | None, y: float | None, snvs: int, hets: int, sex: str
) -> None:
    assert infer_sex(evidence(x, y, snvs, hets)).inferred == sex


def test_reasons_say_what_the_data_could_not_tell() -> None:
    male = infer_sex(evidence(0.51, 0.48, 23, 0))
    assert male.note == "chrX depth 0.51× autosomes, chrY 0.48×, 0 of 23 chrX SNVs heterozygous"
    assert infer_sex(evidence(None, None)).note == (
        "the targets include less than 1,000 bp of chrX outside the pseudoautosomal regions"
    )
    assert "45,X" in infer_sex(evidence(0.5, 0.0)).note
    assert "47,XXY" in infer_sex(evidence(1.0, 0.5, 23, 10)).note
    assert "too few to judge" in infer_sex(evidence(0.5, 0.5, 3, 0)).note
    shallow = SexEvidence(6.0, 3.0, 3.0, 20, 0)
    assert infer_sex(shallow).note == (
        "the autosomal targets' mean depth is 6.0×; inference needs 10×"
    )
    assert "no autosome" in infer_sex(SexEvidence(None, 30.0, None)).note
    assert infer_sex(SexEvidence(None, None, None, problem="no chrX")).note == "no chrX"


def test_validate_warns_of_diploid_x_before_calling(tmp_path: Path) -> None:
    contigs = {"chr1": 5000, "chrX": 2000}
    declared = {"M1": MALE, "U1": "unknown", "F1": FEMALE}
    warnings = ploidy_warnings(contigs, "CHM13", None, declared, None)
    assert warnings[0].startswith(
        "sample(s) M1 are male in the sample sheet, but chrX and chrY will be called diploid: "
        "build 'CHM13'"
    )
    assert warnings[1].startswith("no sex in the sample sheet for U1: chrX will be called diploid")
    assert ploidy_warnings(contigs, None, _par(tmp_path), {"M1": MALE}, None) == []
    # A panel without chrX targets: the ploidy of chrX does not matter.
    assert ploidy_warnings(contigs, None, None, declared, [Interval("chr1", 0, 10)]) == []
    assert ploidy_warnings({"chr1": 5000}, None, None, declared, None) == []


def test_evidence_from_depths_and_the_chrx_calls(tmp_path: Path) -> None:
    chromosomes = sex_chromosomes({"chr1": 5000, "chrX": 4000, "chrY": 3000}, None, _par(tmp_path))
    vcf = tmp_path / "calls.vcf"
    records = [
        ("chr1", 100, "A", "G", "PASS", "0/1", "10,10"),
        ("chrX", 200, "A", "G", "PASS", "0/1", "10,10"),  # in the PAR: left out
        ("chrX", 1000, "A", "G", "PASS", "1", "0,20"),
        ("chrX", 1100, "C", "T", "PASS", "1", "9,11"),  # haploid call, two alleles in reads
        ("chrX", 1200, "C", "T", "LowDepth", "0/1", "1,1"),  # filtered: left out
        ("chrX", 1300, "C", "CT", "PASS", "1", "0,20"),  # indel: left out
        ("chrX", 1400, "G", "A", "PASS", "1", "0,18"),
    ]
    vcf.write_text(
        "##fileformat=VCFv4.2\n"
        + "".join(f"##contig=<ID={c},length={n}>\n" for c, n in (("chr1", 5000), ("chrX", 4000)))
        + '##FILTER=<ID=LowDepth,Description="low">\n'
        + '##FORMAT=<ID=GT,Number=1,Type=String,Description="GT">\n'
        + '##FORMAT=<ID=AD,Number=R,Type=Integer,Description="AD">\n'
        + "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS1\n"
        + "".join(
            f"{c}\t{p}\t.\t{r}\t{a}\t50\t{f}\t.\tGT:AD\t{g}:{d}\n"
            for c, p, r, a, f, g, d in records
        )
    )
    indexed = Path(pysam.tabix_index(str(vcf), preset="vcf", force=True))
    regions = tmp_path / "regions.bed"
    regions.write_text("chr1\t0\t2000\nchrX\t500\t2500\nchrY\t0\t1000\n")
    summary = tmp_path / "summary.txt"
    summary.write_text(
        "chrom\tlength\tbases\tmean\tmin\tmax\n"
        "chr1_region\t2000\t80000\t40\t0\t50\nchrX_region\t2000\t40000\t20\t0\t30\n"
        "total_region\t4000\t120000\t30\t0\t50\n"  # chrY: no reads, so no row
    )
    found = measure_sex_evidence(chromosomes, regions, summary, indexed, "S1")
    assert (found.autosome_depth, found.x_depth, found.y_depth) == (40.0, 20.0, 0.0)
    assert (found.x_ratio, found.y_ratio) == (0.5, 0.0)
    assert (found.x_snvs, found.x_het_snvs, found.het_fraction) == (3, 1, 0.3333)


def test_a_male_on_a_reference_without_chrx_is_told_why_once(tmp_path: Path) -> None:
    chromosomes = sex_chromosomes({"chr1": 1000}, "GRCh38", None)
    missing = tmp_path / "absent"
    check = check_sex("S1", MALE, chromosomes, missing, missing, missing)
    assert check.note == "the reference has no chrX (or X) contig"
    assert check.ploidy_note == "chrX and chrY called diploid"
    assert not check.haploid_calling
