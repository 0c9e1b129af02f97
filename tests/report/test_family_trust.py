"""A family member that failed or warned QC is named beside the results resting on its sample:
at the top of the family page, beside each label, in the child's report and in both "not
checked" lists; every member's report says it was called jointly."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from labpipe.annotation.annotated_table import write_annotated_table
from labpipe.annotation.inheritance import InheritanceCall, write_inheritance_table
from labpipe.config.pedigree import Member, Pedigree
from labpipe.core.i18n import LANG_ENV
from labpipe.qc.check import FAIL, PASS, WARN, QcCheck
from labpipe.qc.metrics import write_qc_table
from labpipe.report.build import build_sample_report
from labpipe.report.family import write_family_page
from labpipe.report.family_trust import FamilyQc, MemberQc, read_family_qc
from labpipe.report.html import render_sample_report
from tests.builders import GOOD, lab_config
from tests.report.test_family_page import MEMBERS
from tests.report.test_family_page import variant as family_variant
from tests.report.test_report_html import VARIANTS, Inputs, inputs, section

__all__ = ["inputs"]  # the fixture, used by name

CONTAMINATED = QcCheck(
    "Contamination",
    0.101,
    "10.1%",
    "fail > 3%",
    FAIL,
    "contamination estimated 10.1% (limit 3%) from 259 homozygous sites",
)
LOW_TSTV = QcCheck("Ts/Tv (PASS SNVs)", 1.6, "1.60", "warn < 1.8", WARN, "low Ts/Tv")


def trio_qc(mother: MemberQc, father: MemberQc | None = None, sib: str = PASS) -> FamilyQc:
    return FamilyQc(
        "F1",
        (
            father or MemberQc("DAD", PASS),
            mother,
            MemberQc("KID", PASS),
            MemberQc("SIB", sib, (LOW_TSTV,) if sib != PASS else ()),
        ),
        {"KID": ("DAD", "MUM"), "SIB": ("DAD", "MUM")},
    )


def test_labels_name_the_failed_parent_whose_genotypes_they_read() -> None:
    family = trio_qc(MemberQc("MUM", FAIL, (CONTAMINATED,)))
    caution = family.caution("KID", "de_novo", own=False)
    assert caution == ("rests on the mother's sample MUM, which failed QC (Contamination 10.1%)")
    assert family.caution("KID", "x_linked") == caution
    # Labels that claim nothing, and samples called alone, are not flagged.
    assert family.caution("KID", "not_assessable") == ""
    assert family.caution("OTHER", "de_novo") == ""


def test_x_linked_rests_on_the_mother_only_and_a_sibling_on_nothing() -> None:
    family = trio_qc(MemberQc("MUM", PASS), father=MemberQc("DAD", WARN, (LOW_TSTV,)), sib=FAIL)
    assert family.caution("KID", "x_linked") == ""
    assert "father's sample DAD, which has a QC warning (Ts/Tv" in family.caution(
        "KID", "inherited"
    )
    assert "SIB" not in family.caution("KID", "de_novo")
    # The child's own failed sample is named on the family page (own=True) only.
    own = replace(family, members=(*family.members[:2], MemberQc("KID", FAIL, (CONTAMINATED,))))
    assert "the child's own sample KID" in own.caution("KID", "de_novo")
    assert "KID" not in own.caution("KID", "de_novo", own=False)


def test_not_checked_names_the_parent_and_the_joint_call() -> None:
    family = trio_qc(MemberQc("MUM", FAIL, (CONTAMINATED,)))
    items = family.not_checked("KID")
    assert items[0].startswith(
        "Inheritance (de novo, homozygous recessive, compound heterozygous, X-linked, "
        "Mendelian error, inherited) rests on the mother's sample MUM, which failed QC: "
        "Contamination 10.1%: contamination estimated 10.1%"
    )
    assert "these labels are not confirmed" in items[0]
    assert items[1].startswith("Called jointly with family F1 (DAD, MUM, SIB):")
    assert "QUAL (and the LowQual filter)" in items[1]
    assert "The joint call includes samples that failed or warned QC: MUM" in items[1]
    # A parent's report: the joint call only (it has no labels).
    (only,) = family.not_checked("DAD")
    assert only.startswith("Called jointly with family F1 (MUM, KID, SIB):")
    assert "affected members of family F1 whose parents" in family.unlabelled_note()


def test_family_qc_from_the_run_files(tmp_path: Path) -> None:
    shallow = replace(GOOD, sample="MUM", mean_target_depth=20.0)
    write_qc_table(
        [replace(GOOD, sample="DAD", sex_declared="male", sex_inferred="male"), shallow,
         replace(GOOD, sample="KID")],
        tmp_path / "qc.tsv",
    )  # fmt: skip
    for sample in ("DAD", "MUM", "KID"):
        write_annotated_table(tmp_path / f"{sample}.tsv", [], [])
    pedigree = Pedigree(
        (
            Member("DAD", "F1", sex="male", affected=False),
            Member("MUM", "F1", sex="female", affected=False),
            Member("KID", "F1", "DAD", "MUM", "female", True),
        )
    )
    tables = [tmp_path / f"{s}.tsv" for s in ("DAD", "MUM", "KID")]
    family = read_family_qc(pedigree, "F1", tmp_path / "qc.tsv", None, tables, lab_config().qc)
    assert [m.sample for m in family.doubtful()] == ["MUM"]
    assert family.member("MUM").status == FAIL  # type: ignore[union-attr]
    assert "Mean target depth 20.0x" in family.caution("KID", "de_novo")
    assert family.parents == {"KID": ("DAD", "MUM")}


def test_family_page_names_the_failed_member_at_the_top_and_beside_labels(
    tmp_path: Path,
) -> None:
    members = MEMBERS.format(kid="0/1", dad="0/0", mum="0/0")
    calls = [
        InheritanceCall("KID", "chr1", 100, "C", "T", "de_novo", "", True, "", members),
        InheritanceCall("KID", "chr1", 200, "C", "T", "inherited", "father", False, "", members),
    ]
    table = tmp_path / "F1.inheritance.tsv"
    write_inheritance_table(table, calls)
    variants = tmp_path / "KID.tsv"
    write_annotated_table(
        variants,
        [],
        [family_variant(100, "G1", 2, "de_novo"), family_variant(200, "G2", 3, "inherited")],
    )
    out = tmp_path / "family-F1.html"
    family = trio_qc(MemberQc("MUM", FAIL, (CONTAMINATED,)))
    assert write_family_page(lab_config(), "F1", table, [variants], out, family) == 2
    html = out.read_text()
    top = html.split("<header")[0]
    assert 'id="qc-banner"' in top and "status-fail" in top
    assert 'mother <bdi class="id">MUM</bdi>: QC FAIL' in top
    assert "contamination estimated 10.1%" in top
    assert "2 candidate(s) listed below rest on this sample" in top
    for label in ("de_novo", "inherited"):
        assert "the mother&#39;s sample MUM, which failed QC" in html.split(f'id="{label}"')[1]
    not_checked = html.split('id="not-checked"')[1].split("</section>")[0]
    assert "rests on the mother&#39;s sample MUM, which failed QC" in not_checked
    assert "The members were called jointly" in not_checked
    # Every member passed: no banner, and the page says so.
    write_family_page(lab_config(), "F1", table, [variants], out, trio_qc(MemberQc("MUM", PASS)))
    html = out.read_text()
    assert "qc-banner" not in html and "Every member of the family passed QC." in html
    assert "which failed QC" not in html


def test_childs_report_names_the_failed_mother_beside_labels(inputs: Inputs) -> None:
    config, settings, report_inputs = inputs
    labelled = [
        replace(v, clinical=replace(v.clinical, inheritance="de_novo")) if v.row.pos == 1200 else v
        for v in VARIANTS
    ]
    write_annotated_table(report_inputs.variants_tsv, ["gnomad_population_af"], labelled)
    family = FamilyQc(
        "F1",
        (MemberQc("DAD", PASS), MemberQc("MUM", FAIL, (CONTAMINATED,)), MemberQc("PK001", PASS)),
        {"PK001": ("DAD", "MUM")},
    )
    report = build_sample_report(
        config,
        settings,
        replace(report_inputs, family_qc=family),
        tools={"bcftools": "1.16"},
    )
    html = render_sample_report(report)
    badge = 'class="badge status-fail caution"><bdi>rests on the mother&#39;s sample MUM'
    assert html.count(badge) == 1  # beside the one labelled variant
    assert "which failed QC (Contamination 10.1%)" in html
    not_checked = section(html, "not-checked")
    assert "Inheritance (de novo" in not_checked and "Called jointly with family F1" in not_checked
    assert any("rests on the mother's sample MUM" in item for item in report.not_checked())
    # Called alone: neither.
    alone = render_sample_report(
        build_sample_report(config, settings, report_inputs, tools={"bcftools": "1.16"})
    )
    assert "Called jointly" not in alone and "which failed QC" not in alone


def test_the_caution_is_translated_with_the_report(inputs: Inputs) -> None:
    config, settings, report_inputs = inputs
    family = FamilyQc(
        "F1",
        (MemberQc("DAD", PASS), MemberQc("MUM", FAIL, (CONTAMINATED,)), MemberQc("PK001", PASS)),
        {"PK001": ("DAD", "MUM")},
    )
    report = build_sample_report(
        config, settings, replace(report_inputs, family_qc=family), tools={"bcftools": "1.16"}
    )
    urdu = section(render_sample_report(report, "ur"), "not-checked")
    assert "والدہ کا نمونہ (نمونہ MUM)" in urdu
    chinese = section(render_sample_report(report, "zh_Hans"), "not-checked")
    assert "母亲的样本（样本 MUM）" in chinese and "联合检出" in chinese


def test_the_family_page_in_urdu_and_chinese_has_no_english_sentence(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.report.test_batch_page import english_outside_data

    members = MEMBERS.format(kid="0/1", dad="0/0", mum="0/0")
    table = tmp_path / "F1.inheritance.tsv"
    write_inheritance_table(
        table,
        [
            InheritanceCall("KID", "chr1", 100, "C", "T", "de_novo", "", True, "", members),
            InheritanceCall(
                "KID", "chr1", 200, "C", "T", "inherited", "father", False, "", members
            ),
        ],
    )
    variants = tmp_path / "KID.tsv"
    write_annotated_table(
        variants,
        [],
        [
            replace(
                family_variant(100, "G1", 2, "de_novo"),
                clinical=replace(
                    family_variant(100, "G1", 2, "de_novo").clinical,
                    inheritance_note="both parents homozygous reference; members",
                ),
            ),
            family_variant(200, "G2", 3, "inherited"),
        ],
    )
    # The QC note is the verdict's (its own catalog entry); the metric is named here.
    family = trio_qc(MemberQc("MUM", FAIL, (replace(CONTAMINATED, note=""),)))
    for language, words in (("ur", "والدہ کا نمونہ"), ("zh_Hans", "母亲的样本")):
        monkeypatch.setenv(LANG_ENV, language)  # as `--lang` does
        config = lab_config()
        out = tmp_path / f"family-{language}.html"
        write_family_page(config, "F1", table, [variants], out, family)
        html = out.read_text()
        assert english_outside_data(html) == [], language
        assert words in html and "MUM" in html
    assert 'dir="rtl"' in (tmp_path / "family-ur.html").read_text()
