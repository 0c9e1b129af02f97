"""Inheritance labels on constructed trio genotypes, and the family VCF read."""

from __future__ import annotations

import subprocess
from dataclasses import replace
from pathlib import Path

import pysam
import pytest

from labpipe.annotation.annotated_table import AnnotatedVariant, ClinicalAnnotation
from labpipe.annotation.inheritance import (
    InheritanceCall,
    classify_family,
    labelled_children,
    read_family_sites,
    read_inheritance_table,
    write_inheritance_table,
)
from labpipe.annotation.inheritance_column import apply_inheritance
from labpipe.annotation.trio_rules import (
    COMP_HET,
    DE_NOVO,
    HOM_RECESSIVE,
    HOMOZYGOUS_IN_ROH,
    INHERITED,
    MENDELIAN_ERROR,
    NOT_ASSESSABLE,
    X_LINKED,
    HetCandidate,
    InheritanceRules,
    MemberCall,
    classify_trio_call,
    compound_heterozygous,
)
from labpipe.annotation.variant_table import VariantRow
from labpipe.config.pedigree import Member, Pedigree
from labpipe.core.errors import InputFormatError
from labpipe.core.regions import Interval
from tests.builders import MINIMAL, run_cli, write_config

RULES = InheritanceRules(min_parent_depth=10, max_parent_alt_reads=1, max_parent_alt_fraction=0.05)


def het(depth: int = 30) -> MemberCall:
    return MemberCall("0/1", "het", depth, depth // 2, depth - depth // 2, 99)


def hom(depth: int = 30) -> MemberCall:
    return MemberCall("1/1", "hom_alt", depth, 0, depth, 99)


def ref(depth: int = 30, alt: int = 0, gq: int | None = 99) -> MemberCall:
    return MemberCall("0/0", "hom_ref", depth, depth - alt, alt, gq)


HEMI = MemberCall("1", "hemizygous", 20, 0, 20, 99)
MISSING = MemberCall("./.", "no_call", None, None, None, None)


def label(child: MemberCall, father: MemberCall, mother: MemberCall, **kw: bool) -> str:
    return classify_trio_call(child, father, mother, RULES, **kw).label


def test_de_novo_needs_both_parents_confidently_reference() -> None:
    assert label(het(), ref(), ref()) == DE_NOVO
    assert label(hom(), ref(), ref()) == MENDELIAN_ERROR


@pytest.mark.parametrize(
    ("father", "why"),
    [
        (MISSING, "father no call"),
        (ref(depth=6), "father shallow"),
        (ref(depth=40, alt=3), "father ALT reads in a reference call"),
        (ref(gq=10), "father low GQ"),
    ],
)
def test_a_missing_or_weak_parent_is_not_assessable_never_de_novo(
    father: MemberCall, why: str
) -> None:
    called = classify_trio_call(het(), father, ref(), RULES)
    assert called.label == NOT_ASSESSABLE
    assert why in called.note


def test_gq_absent_is_not_held_against_a_parent() -> None:
    assert label(het(), ref(gq=None), ref(gq=None)) == DE_NOVO


def test_recessive_and_errors() -> None:
    assert label(hom(), het(), het()) == HOM_RECESSIVE
    # A parent homozygous too fits only when affected (a shared common allele otherwise).
    assert label(hom(), hom(), het()) == INHERITED
    assert label(hom(), hom(), het(), affected_parents=frozenset({"father"})) == HOM_RECESSIVE
    assert label(hom(), het(), ref()) == MENDELIAN_ERROR
    assert label(hom(), het(), ref(depth=5)) == NOT_ASSESSABLE
    assert label(het(), hom(), hom()) == MENDELIAN_ERROR
    # A shallow homozygous parent is no evidence of an error.
    assert label(het(), hom(depth=4), hom()) == NOT_ASSESSABLE


def test_inherited_heterozygous_variants_name_their_origin() -> None:
    assert classify_trio_call(het(), het(), ref(), RULES).origin == "father"
    assert classify_trio_call(het(), ref(), hom(), RULES).origin == "mother"
    both = classify_trio_call(het(), het(), het(), RULES)
    assert (both.label, both.origin) == (INHERITED, "both")
    unsure = classify_trio_call(het(), het(), MISSING, RULES)
    assert (unsure.label, unsure.origin) == (NOT_ASSESSABLE, "")


def test_male_chrx_outside_par() -> None:
    assert label(HEMI, ref(), het(), male_haploid_x=True) == X_LINKED
    assert label(hom(), ref(), het(), male_haploid_x=True) == X_LINKED  # called diploid
    # A father's X does not reach his son: his genotype does not matter when the mother's
    # reference call is confident, and a father-only allele is an error.
    assert label(HEMI, MISSING, ref(), male_haploid_x=True) == DE_NOVO
    assert label(HEMI, HEMI, ref(), male_haploid_x=True) == MENDELIAN_ERROR
    assert label(HEMI, ref(), ref(depth=3), male_haploid_x=True) == NOT_ASSESSABLE
    # The same genotypes on an autosome: a homozygous child of a reference father.
    assert label(hom(), ref(), het()) == MENDELIAN_ERROR


def key(pos: int) -> tuple[str, int, str, str]:
    return ("chr1", pos, "A", "G")


def test_compound_heterozygous_needs_one_variant_from_each_parent() -> None:
    found = compound_heterozygous(
        [
            HetCandidate(key(1), "GENE1", "father"),
            HetCandidate(key(2), "GENE1", "mother"),
            HetCandidate(key(3), "GENE1", "both"),
            # Two from the same parent lie on one haplotype: not compound heterozygous.
            HetCandidate(key(10), "GENE2", "father"),
            HetCandidate(key(11), "GENE2", "father"),
            HetCandidate(key(20), "GENE3", "mother"),
            HetCandidate(key(21), "GENE3", ""),
        ]
    )
    assert found == {key(1), key(2)}


TRIO = Pedigree(
    (
        Member("DAD", "F1", sex="male", affected=False, line=1),
        Member("MUM", "F1", sex="female", affected=False, line=2),
        Member("KID", "F1", father="DAD", mother="MUM", sex="male", affected=True, line=3),
        Member("SIB", "F1", father="DAD", mother="MUM", sex="female", affected=False, line=4),
    )
)

HEADER = """##fileformat=VCFv4.2
##FILTER=<ID=PASS,Description="All filters passed">
##FILTER=<ID=LowDepth,Description="low depth">
##contig=<ID=chr1,length=100000>
##contig=<ID=chrX,length=100000>
##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">
##FORMAT=<ID=DP,Number=1,Type=Integer,Description="Depth">
##FORMAT=<ID=AD,Number=R,Type=Integer,Description="Allelic depths">
#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tKID\tDAD\tMUM\tSIB
"""


def write_family_vcf(path: Path, records: list[str]) -> Path:
    plain = path.with_suffix("")
    plain.write_text(HEADER + "".join(r.replace(" ", "\t") + "\n" for r in records))
    pysam.tabix_index(str(plain), preset="vcf", force=True)
    return path


def test_family_vcf_labels_each_variant_of_the_affected_child(tmp_path: Path) -> None:
    vcf = write_family_vcf(
        tmp_path / "F1.vcf.gz",
        [
            "chr1 100 . C T 50 PASS . GT:DP:AD 0/1:30:15,15 0/0:30:30,0 0/0:28:28,0 0/0:30:30,0",
            "chr1 200 . G A 50 PASS . GT:DP:AD 0/1:30:15,15 0/0:4:4,0 0/0:28:28,0 0/0:30:30,0",
            "chr1 300 . G A 50 PASS . GT:DP:AD 1/1:30:0,30 0/1:30:15,15 0/1:30:15,15 0/1:30:15,15",
            "chr1 400 . G A,T 50 PASS . GT:DP:AD 1/2:30:0,15,15 0/1:30:15,15,0 0/2:30:15,0,15 ./.",
            "chr1 600 . G A 50 PASS . GT:DP:AD 0/0:30:30,0 0/1:30:15,15 0/0:30:30,0 0/1:30:15,15",
            "chrX 500 . G A 50 PASS . GT:DP:AD 1/1:20:0,20 0:15:15,0 0/0:30:30,0 0/1:30:15,15",
            "chrX 5000 . G A 50 PASS . GT:DP:AD 1:20:0,20 0:15:15,0 0/1:30:15,15 0/1:30:15,15",
        ],
    )
    sites = read_family_sites(vcf, ["KID", "DAD", "MUM", "SIB"])
    haploid_x = [Interval("chrX", 2700, 100000)]  # a PAR on chrX:1-2700
    calls = classify_family(sites, TRIO, "F1", RULES, haploid_x)
    labels = {(c.chrom, c.pos, c.alt): c.label for c in calls}
    assert labels == {
        ("chr1", 100, "T"): DE_NOVO,
        ("chr1", 200, "A"): NOT_ASSESSABLE,  # shallow father
        ("chr1", 300, "A"): HOM_RECESSIVE,
        ("chr1", 400, "A"): INHERITED,
        ("chr1", 400, "T"): INHERITED,
        ("chrX", 5000, "A"): X_LINKED,
        ("chrX", 500, "A"): MENDELIAN_ERROR,  # in the PAR: diploid rules, reference mother
    }
    origins = {(c.pos, c.alt): c.origin for c in calls if c.label == INHERITED}
    assert origins == {(400, "A"): "father", (400, "T"): "mother"}
    first = next(c for c in calls if c.pos == 100)
    assert first.sample == "KID" and first.fits
    assert "father DAD: 0/0 DP 30 AD 30,0" in first.members
    assert "SIB: 0/0 DP 30 AD 30,0" in first.members
    assert not next(c for c in calls if c.pos == 200).fits

    table = tmp_path / "F1.inheritance.tsv"
    assert write_inheritance_table(table, calls) == len(calls)
    assert read_inheritance_table(table) == calls


def test_unknown_pars_leave_a_male_chrx_not_assessable(tmp_path: Path) -> None:
    vcf = write_family_vcf(
        tmp_path / "F1.vcf.gz",
        ["chrX 5000 . G A 50 PASS . GT:DP:AD 1/1:20:0,20 0/0:15:15,0 0/1:30:15,15 0/1:30:15,15"],
    )
    sites = read_family_sites(vcf, ["KID", "DAD", "MUM"])
    (call,) = classify_family(sites, TRIO, "F1", RULES, None)
    assert call.label == NOT_ASSESSABLE
    assert "pseudoautosomal" in call.note


def test_a_member_missing_from_the_vcf_is_named(tmp_path: Path) -> None:
    vcf = write_family_vcf(tmp_path / "F1.vcf.gz", [])
    with pytest.raises(InputFormatError, match="GRANDMA"):
        read_family_sites(vcf, ["KID", "GRANDMA"])


def test_bcftools_written_family_vcf_reads(tmp_path: Path) -> None:
    """A VCF as bcftools writes it (GQ absent, multi-sample) reads the same."""
    vcf = write_family_vcf(
        tmp_path / "F1.vcf.gz",
        ["chr1 100 . C T 50 PASS . GT:DP:AD 0/1:30:15,15 0/0:30:30,0 0/0:28:28,0 0/0:30:30,0"],
    )
    out = tmp_path / "norm.vcf.gz"
    subprocess.run(["bcftools", "view", "-Oz", "-o", str(out), str(vcf)], check=True)
    (site,) = read_family_sites(out, ["KID", "DAD", "MUM"])
    assert site.call("KID").shown() == "0/1 DP 30 AD 15,15"
    assert site.call("DAD").quality is None


# --- the sample's table: compound heterozygotes, ROH mark, tier rule -----------------------


def annotated(
    pos: int, gene: str, tier: int = 2, zygosity: str = "het", roh: str = ""
) -> AnnotatedVariant:
    row = VariantRow(
        "KID", "chr1", pos, "A", "G", "PASS", 50.0, "0/1", zygosity, 30, 15, 15, 0.5, gene=gene
    )
    return AnnotatedVariant(
        row, ClinicalAnnotation(tier, "rare missense in panel gene", roh_segment=roh)
    )


def family_row(pos: int, label: str, origin: str = "", fits: bool = False) -> InheritanceCall:
    return InheritanceCall("KID", "chr1", pos, "A", "G", label, origin, fits, "", "father DAD: 0/1")


def test_compound_heterozygote_from_the_family_table() -> None:
    variants = [
        annotated(10, "GENE1"),
        annotated(20, "GENE1", tier=3),
        annotated(30, "GENE2"),
        annotated(40, "GENE2"),
        annotated(50, "GENE3", tier=4),  # not a candidate: pairs with nothing
        annotated(60, "GENE3"),
        annotated(70, "GENE4"),  # not in the family VCF
    ]
    family = [
        family_row(10, INHERITED, "father"),
        family_row(20, INHERITED, "mother"),
        family_row(30, INHERITED, "father"),
        family_row(40, INHERITED, "father"),
        family_row(50, INHERITED, "father"),
        family_row(60, INHERITED, "mother"),
    ]
    labelled = apply_inheritance(variants, family, require_inheritance=True)
    labels = [v.clinical.inheritance for v in labelled]
    assert labels == [
        COMP_HET,
        COMP_HET,
        INHERITED,
        INHERITED,
        INHERITED,
        INHERITED,
        NOT_ASSESSABLE,
    ]
    assert "with chr1:20A>G from mother" in labelled[0].clinical.inheritance_note
    # require_inheritance: the misfits of tier 2 go to tier 3; compound hets stay.
    assert [v.clinical.tier for v in labelled] == [2, 3, 3, 3, 4, 3, 2]
    assert labelled[2].clinical.tier_reason.endswith(
        "fits no inheritance mode in the trio (was tier 2)"
    )


def test_tier_rule_keeps_tier_1_and_leaves_fitting_or_unassessable_candidates() -> None:
    variants = [
        annotated(10, "G", tier=1),
        annotated(20, "G"),
        annotated(30, "G"),
        annotated(40, "G"),
    ]
    family = [
        family_row(10, MENDELIAN_ERROR),
        family_row(20, DE_NOVO, fits=True),
        family_row(30, NOT_ASSESSABLE),
        family_row(40, INHERITED, "mother", fits=True),  # from an affected mother
    ]
    labelled = apply_inheritance(variants, family, require_inheritance=True)
    assert [v.clinical.tier for v in labelled] == [1, 2, 2, 2]
    assert labelled[0].clinical.tier_reason.endswith("fits no inheritance mode in the trio")
    unmoved = apply_inheritance(variants, family, require_inheritance=False)
    assert [v.clinical.tier_reason for v in unmoved] == [v.clinical.tier_reason for v in variants]


def test_a_singleton_has_only_its_homozygous_candidates_in_roh_marked() -> None:
    variants = [
        annotated(10, "G", zygosity="hom_alt", roh="chr1:1-5000000"),
        annotated(20, "G", zygosity="het", roh=""),
        annotated(30, "G", zygosity="hom_alt", roh=""),
        annotated(40, "G", tier=4, zygosity="hom_alt", roh="chr1:1-5000000"),
    ]
    labels = [v.clinical.inheritance for v in apply_inheritance(variants, None)]
    assert labels == [HOMOZYGOUS_IN_ROH, "", "", ""]


def test_inheritance_step_writes_the_family_table(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`labpipe step inheritance`: PARs from reference.build (GRCh38: chrX:2,781,479 is past
    PAR1), the pedigree from labpipe.config.pedigree's reader (stood in for here)."""
    import labpipe.config.pedigree_reader as pedigree_module

    # The batch's pedigree stands in: this test is of the step, not of reading pedigrees.
    monkeypatch.setattr(pedigree_module, "batch_pedigree", lambda lab: TRIO)
    config = write_config(
        tmp_path, MINIMAL.replace("  fasta: ref.fa", "  fasta: ref.fa\n  build: GRCh38")
    )
    fai = tmp_path / "ref.fa.fai"
    fai.write_text("chr1\t248956422\t6\t60\t61\nchrX\t156040895\t0\t60\t61\n")
    vcf = write_family_vcf(
        tmp_path / "F1.vcf.gz",
        [
            "chrX 1000000 . G A 50 PASS . GT:DP:AD 1/1:20:0,20 0/0:15:15,0 0/1:30:15,15 ./.",
            "chrX 5000000 . G A 50 PASS . GT:DP:AD 1:20:0,20 0:15:15,0 0/1:30:15,15 0/1:30:15,15",
        ],
    )
    out = tmp_path / "F1.inheritance.tsv"
    args = ["step", "inheritance", "--config", str(config), "--family", "F1"]
    code, stdout, stderr = run_cli(
        [*args, "--vcf", str(vcf), "--fai", str(fai), "--out", str(out)], capsys
    )
    assert code == 0 and "2 variant(s) of family F1" in stdout, stderr
    # In PAR1 the son is diploid, and a homozygous son of a reference father is an error.
    assert [c.label for c in read_inheritance_table(out)] == [MENDELIAN_ERROR, X_LINKED]


def test_only_affected_children_with_both_parents_analysable_are_labelled() -> None:
    assert labelled_children(TRIO, ["KID", "DAD", "MUM", "SIB"]) == {"KID": "F1"}
    assert labelled_children(TRIO, ["KID", "MUM", "SIB"]) == {}  # the father failed


def test_a_child_of_unknown_sex_is_not_assessed_outside_the_pars(tmp_path: Path) -> None:
    unknown = Pedigree(
        tuple(replace(m, sex="unknown") if m.sample == "KID" else m for m in TRIO.members)
    )
    vcf = write_family_vcf(
        tmp_path / "F1.vcf.gz",
        [
            "chr1 100 . C T 50 PASS . GT:DP:AD 0/1:30:15,15 0/0:30:30,0 0/0:28:28,0 ./.",
            "chrX 5000 . G A 50 PASS . GT:DP:AD 1/1:20:0,20 0:15:15,0 0/1:30:15,15 ./.",
        ],
    )
    sites = read_family_sites(vcf, ["KID", "DAD", "MUM"])
    calls = classify_family(sites, unknown, "F1", RULES, [Interval("chrX", 2700, 100000)])
    assert [c.label for c in calls] == [DE_NOVO, NOT_ASSESSABLE]
    assert "sex unknown" in calls[1].note
