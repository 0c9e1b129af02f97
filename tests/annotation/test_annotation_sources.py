"""ClinVar and population-AF sources: matched on normalised alleles, contig names mapped.

Each test writes its reference and source VCFs in code. Real gnomAD and ExAC
records (``../shared/data/annotation-af-subsets``) check the AF parsing on the
files labs actually have; those tests skip when the data is absent.
"""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import pysam
import pytest

from labpipe.annotation.source_checks import check_source
from labpipe.annotation.source_content import SourceCheck
from labpipe.annotation.source_fields import allele_frequency, is_pathogenic, review_stars
from labpipe.annotation.source_matcher import SourceMatcher
from labpipe.annotation.sources import (
    PopulationSource,
    SourceVcf,
    check_info_field,
    contig_aliases,
    map_contigs,
)
from labpipe.core.errors import ConfigError, InputFormatError
from tests.builders import write_fasta
from tests.paths import SHARED_DATA

AF_DATA = SHARED_DATA / "annotation-af-subsets"

rng = random.Random(7)
CHR1 = (
    "".join(rng.choice("ACGT") for _ in range(400))
    + "C"
    + "A" * 7
    + "G"
    + "".join(rng.choice("ACGT") for _ in range(400))
)
CHR2 = "".join(rng.choice("ACGT") for _ in range(600))
# The A7 run sits at chr1:402-408 (1-based), after a C at 401.
RUN_ANCHOR = 401
assert CHR1[RUN_ANCHOR - 1] == "C" and CHR1[RUN_ANCHOR : RUN_ANCHOR + 7] == "A" * 7

CLINVAR_INFO = (
    '##INFO=<ID=CLNSIG,Number=.,Type=String,Description="significance">\n'
    '##INFO=<ID=CLNREVSTAT,Number=.,Type=String,Description="review status">\n'
    '##INFO=<ID=CLNDN,Number=.,Type=String,Description="conditions">\n'
)
AF_INFO = (
    '##INFO=<ID=AF,Number=A,Type=Float,Description="AF">\n'
    '##INFO=<ID=AF_sas,Number=A,Type=Float,Description="AF South Asian">\n'
    '##INFO=<ID=AC_SAS,Number=A,Type=Integer,Description="AC South Asian">\n'
    '##INFO=<ID=AN_SAS,Number=1,Type=Integer,Description="AN South Asian">\n'
    '##INFO=<ID=NOTE,Number=1,Type=String,Description="text">\n'
)


def write_source(
    path: Path, records: list[str], info: str, contigs: dict[str, int] | None = None
) -> Path:
    """A bgzipped, tabix-indexed VCF of tab-separated record lines."""
    contigs = contigs if contigs is not None else {"chr1": len(CHR1), "chr2": len(CHR2)}
    header = "##fileformat=VCFv4.2\n##fileDate=20260101\n"
    header += "".join(f"##contig=<ID={c},length={n}>\n" for c, n in contigs.items())
    header += info + "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
    plain = path.with_suffix("")
    plain.write_text(header + "".join(r.replace(" ", "\t") + "\n" for r in records))
    pysam.tabix_index(str(plain), preset="vcf", force=True)
    return path


@pytest.fixture
def reference(tmp_path: Path) -> Path:
    return write_fasta(tmp_path / "ref.fa", {"chr1": CHR1, "chr2": CHR2})


def base(pos: int, contig: str = CHR1) -> str:
    return contig[pos - 1]


def other_base(pos: int, *avoid: str) -> str:
    return next(b for b in "ACGT" if b != base(pos) and b not in avoid)


def gnomad(path: Path, records: list[str]) -> PopulationSource:
    vcf = write_source(path, records, AF_INFO)
    return PopulationSource("gnomad", "gnomAD", vcf, "South Asian", "AF_sas", "AF")


def test_multiallelic_record_gives_each_alt_its_own_frequency(
    reference: Path, tmp_path: Path
) -> None:
    pos = 100
    common, rare = other_base(pos), other_base(pos, other_base(pos))
    source = gnomad(
        tmp_path / "af.vcf.gz",
        [f"chr1 {pos} . {base(pos)} {common},{rare} . PASS AF=0.2,0.0001;AF_sas=0.3,0.0004"],
    )
    matcher = SourceMatcher(reference, None, [source])
    try:
        assert matcher.lookup("chr1", pos, base(pos), rare).afs == (0.0004, 0.0001)
        assert matcher.lookup("chr1", pos, base(pos), common).afs == pytest.approx((0.3, 0.2))
        third = next(b for b in "ACGT" if b not in (base(pos), common, rare))
        assert matcher.lookup("chr1", pos, base(pos), third).afs == (None, None)
    finally:
        matcher.close()


def test_indel_written_at_the_right_end_of_its_run_matches_the_left_aligned_call(
    reference: Path, tmp_path: Path
) -> None:
    # The call deletes one A of the A7 run, left-aligned: C A > C at the anchor.
    call = ("chr1", RUN_ANCHOR, "CA", "C")
    right = f"chr1 {RUN_ANCHOR + 6} . AA A . PASS AF=0.001;AF_sas=0.002"
    clinvar = write_source(
        tmp_path / "clinvar.vcf.gz",
        [
            # Two As deleted is another allele, though it starts at the same base.
            f"chr1 {RUN_ANCHOR} 43 CAA C . . CLNSIG=Benign;CLNREVSTAT=no_assertion_provided",
            f"chr1 {RUN_ANCHOR + 5} 42 AAA AA . . "
            "CLNSIG=Pathogenic;CLNREVSTAT=reviewed_by_expert_panel;CLNDN=Some_disease",
        ],
        CLINVAR_INFO,
    )
    matcher = SourceMatcher(reference, clinvar, [gnomad(tmp_path / "af.vcf.gz", [right])])
    try:
        match = matcher.lookup(*call)
    finally:
        matcher.close()
    assert match.afs == pytest.approx((0.002, 0.001))
    assert match.clinvar is not None
    assert (match.clinvar.variation_id, match.clinvar.significance, match.clinvar.stars) == (
        "42",
        "Pathogenic",
        3,
    )
    assert match.clinvar.condition == "Some_disease"


def test_padded_record_matches(reference: Path, tmp_path: Path) -> None:
    pos = 200
    alt = other_base(pos)
    padded = f"{base(pos - 1)}{base(pos)}{base(pos + 1)}"
    source = gnomad(
        tmp_path / "af.vcf.gz",
        [f"chr1 {pos - 1} . {padded} {base(pos - 1)}{alt}{base(pos + 1)} . PASS AF=0.05"],
    )
    matcher = SourceMatcher(reference, None, [source])
    try:
        assert matcher.lookup("chr1", pos, base(pos), alt).afs == (None, 0.05)
        assert matcher.lookup("chr1", pos, base(pos), alt).max_af == 0.05
    finally:
        matcher.close()


def test_same_position_other_allele_never_matches(reference: Path, tmp_path: Path) -> None:
    pos = 300
    called, listed = other_base(pos), other_base(pos, other_base(pos))
    clinvar = write_source(
        tmp_path / "clinvar.vcf.gz",
        [f"chr1 {pos} 7 {base(pos)} {listed} . . CLNSIG=Pathogenic;CLNREVSTAT=practice_guideline"],
        CLINVAR_INFO,
    )
    matcher = SourceMatcher(reference, clinvar, [])
    try:
        assert matcher.lookup("chr1", pos, base(pos), called).clinvar is None
        assert matcher.lookup("chr1", pos, base(pos), listed).clinvar is not None
    finally:
        matcher.close()


def test_source_without_chr_prefix_is_mapped(reference: Path, tmp_path: Path) -> None:
    pos = 50
    alt = other_base(pos)
    clinvar = write_source(
        tmp_path / "clinvar.vcf.gz",
        [
            f"1 {pos} 9 {base(pos)} {alt} . . "
            "CLNSIG=Likely_pathogenic;CLNREVSTAT=criteria_provided,_single_submitter"
        ],
        CLINVAR_INFO,
        contigs={"1": len(CHR1), "2": len(CHR2), "MT": 16569},
    )
    matcher = SourceMatcher(reference, clinvar, [])
    try:
        match = matcher.lookup("chr1", pos, base(pos), alt)
        assert match.clinvar is not None and match.clinvar.pathogenic
        assert match.clinvar.stars == 1
        assert matcher.clinvar is not None
        assert "1 = chr1" in matcher.clinvar.naming_note()
    finally:
        matcher.close()


def test_source_sharing_no_contig_is_an_error(reference: Path, tmp_path: Path) -> None:
    clinvar = write_source(
        tmp_path / "clinvar.vcf.gz",
        [f"NC_000001.11 5 9 {base(5)} {other_base(5)} . . CLNSIG=Benign"],
        CLINVAR_INFO,
        contigs={"NC_000001.11": 1000},
    )
    with pytest.raises(InputFormatError, match=r"NC_000001.11.*chr1, chr2.*same genome"):
        SourceMatcher(reference, clinvar, [])


def test_unindexed_source_names_the_fix(reference: Path, tmp_path: Path) -> None:
    plain = tmp_path / "clinvar.vcf"
    plain.write_text(
        "##fileformat=VCFv4.2\n" + CLINVAR_INFO + "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
    )
    with pytest.raises(
        InputFormatError,
        match=r"not compressed.*`bgzip -c \S*/clinvar.vcf > \S*/clinvar.bgzip.vcf.gz && tabix",
    ):
        SourceMatcher(reference, plain, [])


def test_misspelt_field_suggests_the_real_one(reference: Path, tmp_path: Path) -> None:
    vcf = write_source(tmp_path / "af.vcf.gz", [], AF_INFO)
    source = PopulationSource("gnomad", "gnomAD", vcf, "", "AF_SAS", None)
    with pytest.raises(
        ConfigError, match=r"population_af\[0\].population_field.*did you mean AF_sas"
    ):
        SourceMatcher(reference, None, [source])
    text = PopulationSource("gnomad", "gnomAD", vcf, "", None, "NOTE")
    with pytest.raises(ConfigError, match="String, not a number"):
        SourceMatcher(reference, None, [text])


def test_ratio_field_divides_allele_count_by_number(reference: Path, tmp_path: Path) -> None:
    pos = 120
    alt = other_base(pos)
    vcf = write_source(
        tmp_path / "af.vcf.gz",
        [f"chr1 {pos} . {base(pos)} {alt} . PASS AC_SAS=3;AN_SAS=600"],
        AF_INFO,
    )
    source = PopulationSource("exac", "ExAC", vcf, "South Asian", "AC_SAS/AN_SAS", None)
    matcher = SourceMatcher(reference, None, [source])
    try:
        assert matcher.lookup("chr1", pos, base(pos), alt).afs == (0.005,)
    finally:
        matcher.close()


def test_other_build_is_detected(reference: Path, tmp_path: Path) -> None:
    records = [
        f"chr2 {p} . {'A' if base(p, CHR2) != 'A' else 'C'} G . PASS AF=0.1" for p in range(10, 60)
    ]
    vcf = write_source(tmp_path / "af.vcf.gz", records, AF_INFO)
    pysam.faidx(str(reference))
    spec = SourceCheck(vcf, "population AF VCF 'x'", "annotation.population_af[0].vcf")
    report = check_source(spec, {"chr1": len(CHR1), "chr2": len(CHR2)}, reference, None)
    assert (report.ref_checked, report.ref_agree) == (20, 0)  # 20 records a contig
    assert len(report.problems) == 1
    assert "differs from the reference" in report.problems[0]


@pytest.mark.parametrize(
    ("significance", "pathogenic"),
    [
        ("Pathogenic", True),
        ("Likely_pathogenic", True),
        ("Pathogenic/Likely_pathogenic", True),
        ("Pathogenic|risk_factor", True),
        ("Likely_pathogenic,_low_penetrance", True),
        ("Conflicting_classifications_of_pathogenicity", False),
        ("Conflicting_interpretations_of_pathogenicity", False),
        ("Uncertain_significance", False),
        ("Benign/Likely_benign", False),
        ("", False),
    ],
)
def test_clinvar_significance(significance: str, pathogenic: bool) -> None:
    assert is_pathogenic(significance) is pathogenic


def test_review_stars() -> None:
    assert review_stars("practice_guideline") == 4
    assert review_stars("criteria_provided,_multiple_submitters,_no_conflicts") == 2
    assert review_stars("no_assertion_criteria_provided") == 0
    assert review_stars("something_new") is None


def test_contig_aliases_and_mapping() -> None:
    assert contig_aliases("chr7") == ["chr7", "7"]
    assert contig_aliases("7") == ["7", "chr7"]
    assert {"MT", "chrM"} <= set(contig_aliases("chrM"))
    assert map_contigs(["chr1", "chrX", "chrM", "chrUn_x"], ["1", "X", "MT"]) == {
        "chr1": "1",
        "chrX": "X",
        "chrM": "MT",
    }


@pytest.fixture
def real_gnomad(tmp_path: Path) -> Path:
    plain = AF_DATA / "gnomad-pysam" / "gnomad.vcf"
    copy = tmp_path / "gnomad.vcf"
    shutil.copyfile(plain, copy)
    return Path(pysam.tabix_index(str(copy), preset="vcf", force=True))


@pytest.mark.shared_data("annotation-af-subsets/gnomad-pysam/gnomad.vcf")
def test_real_gnomad_multiallelic_frequencies(real_gnomad: Path) -> None:
    # b37 contig "22" against a "chr22" reference: mapped, and fields checked.
    source = SourceVcf(real_gnomad, "population AF VCF 'gnomad'", ["chr22"])
    try:
        assert source.contig_map == {"chr22": "22"}
        check_info_field(source, "AF_SAS" if "AF_SAS" in source.header.info else "AF_EAS", "x")
        records = {r.pos: r for r in source.records("chr22", 16050000, 16050200)}
        record = records[16050129]
        assert record.alts == ("GACA", "C")
        assert allele_frequency(record, source.header, "AF", 0) == pytest.approx(1.81378e-04)
        assert allele_frequency(record, source.header, "AF", 1) == 0.0
        assert allele_frequency(record, source.header, "AC/AN", 0) == pytest.approx(3 / 16540)
        assert allele_frequency(records[16050036], source.header, "AF", 0) == pytest.approx(
            0.429487
        )
        with pytest.raises(ConfigError, match="did you mean"):
            check_info_field(source, "AF_EASt", "annotation.population_af[0].population_field")
    finally:
        source.close()


@pytest.mark.shared_data("annotation-af-subsets/exac-vcfanno/exac.vcf.gz")
def test_real_exac_south_asian_ratio() -> None:
    exac = AF_DATA / "exac-vcfanno" / "exac.vcf.gz"
    source = SourceVcf(exac, "population AF VCF 'exac'", ["chr1"])
    try:
        check_info_field(source, "AC_SAS/AN_SAS", "annotation.population_af[0].population_field")
        record = next(source.records("chr1", 13372, 13372))
        # 2 South Asian alleles of 5052 (ExAC has no AF_SAS field of its own).
        assert allele_frequency(record, source.header, "AC_SAS/AN_SAS", 0) == pytest.approx(
            2 / 5052
        )
        assert allele_frequency(record, source.header, "AF", 0) == pytest.approx(6.998e-05)
    finally:
        source.close()
