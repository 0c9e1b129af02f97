"""The per-sample report and run index, built from workflow-shaped files made here."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from labpipe.annotation.annotate import AnnotationSettings
from labpipe.annotation.annotated_table import (
    AnnotatedVariant,
    ClinicalAnnotation,
    write_annotated_table,
)
from labpipe.annotation.roh import RohSettings
from labpipe.annotation.sources import PopulationSource
from labpipe.annotation.tiers import TierRules
from labpipe.annotation.variant_table import VariantRow
from labpipe.config.lab import AlignmentConfig, LabConfig
from labpipe.core.errors import ConfigError
from labpipe.qc.metrics import write_qc_table
from labpipe.report.build import _qc_extra, build_sample_report, report_time
from labpipe.report.contents import NOT_INTERPRETED, NOT_REPORTABLE, REPORTABLE, ReportInputs
from labpipe.report.html import _filters_text, css_string, render_sample_report, write_sample_report
from labpipe.report.run_index import read_summary, render_index, write_run_index
from tests.builders import EXTERNAL, GOOD, lab_config, write_fasta, write_mosdepth

Inputs = tuple[LabConfig, AnnotationSettings, ReportInputs]


def with_report(config: LabConfig, **settings: Any) -> LabConfig:
    """``config`` with these ``report:`` settings."""
    return replace(config, report=replace(config.report, **settings))


def variant(pos: int, gene: str, consequence: str, tier: int, **clinical: Any) -> AnnotatedVariant:
    zygosity = clinical.pop("zygosity", "het")
    flt = clinical.pop("filter", "PASS")
    row = VariantRow(
        "PK001", "chr1", pos, "C", "T", flt, 99.0, "0/1" if zygosity == "het" else "1/1",
        zygosity, 100, 50, 50, 0.5, gene, f"ENST{pos}", "+", "protein_coding", consequence,
        f"c.{pos}C>T", "p.Arg12Ter",
    )  # fmt: skip
    clinical.setdefault("in_panel", "Thal" if gene == "HBB" else "")
    return AnnotatedVariant(
        row, ClinicalAnnotation(tier=tier, population_afs=(clinical.pop("af", None),), **clinical)
    )


VARIANTS = [
    variant(
        1100, "HBB", "stop_gained", 1, tier_reason="ClinVar Pathogenic",
        clinvar_significance="Pathogenic", clinvar_stars=3, clinvar_id="15333",
        clinvar_review_status="reviewed_by_expert_panel",
        clinvar_condition="beta_Thalassemia|not_provided", zygosity="hom_alt",
        roh_segment="chr1:1000-3000000",
    ),
    variant(1200, "HBB", "missense", 2, tier_reason="rare missense in panel gene", af=0.0001),
    variant(
        1300, "HBB", "inframe_deletion", 3, tier_reason="rare inframe_deletion in panel gene",
        confidence="confirm orthogonally: depth 9 < 15",
    ),
    variant(1400, "HBB", "frameshift", 2, tier_reason="rare frameshift", filter="LowDepth"),
    variant(
        5000, "BRCA9", "missense", 1, tier_reason="ClinVar Pathogenic; incidental",
        clinvar_significance="Pathogenic", clinvar_stars=2, clinvar_condition="Cancer",
        incidental="yes",
    ),
    variant(9000, "OTHER<b>", "synonymous", 4, tier_reason="synonymous: not a coding change"),
]  # fmt: skip

GFF3 = """\
##gff-version 3
chr1\ttest\tgene\t1000\t1600\t.\t+\t.\tID=gene:G1;Name=HBB;biotype=protein_coding
chr1\ttest\tmRNA\t1000\t1600\t.\t+\t.\tID=transcript:ENST1100;Parent=gene:G1;\
biotype=protein_coding;tag=MANE_Select;version=3;Dbxref=RefSeq:NM_000518.5
chr1\ttest\texon\t1000\t1600\t.\t+\t.\tParent=transcript:ENST1100
chr1\ttest\tCDS\t1050\t1550\t.\t+\t0\tID=CDS:P1;Parent=transcript:ENST1100
"""


def settings_for(
    tmp_path: Path, gff3: bool = True, clinvar: bool = True, population: bool = True
) -> AnnotationSettings:
    (tmp_path / "genes.gff3").write_text(GFF3)
    gnomad = PopulationSource("gnomad", "gnomAD", tmp_path / "g.vcf", "South Asian", "AF_sas", None)
    return AnnotationSettings(
        tmp_path / "genes.gff3" if gff3 else None,
        tmp_path / "clinvar.vcf.gz" if clinvar else None,
        (gnomad,) if population else (),
        (),
        TierRules(),
        RohSettings(),
    )


@pytest.fixture
def inputs(tmp_path: Path) -> Inputs:
    config = lab_config(
        tmp_path,
        lab={"name": 'Lab "<Lahore>" & Co', "id": "lhr"},
        reference={"fasta": "GRCh38.fa", "build": "GRCh38"},
        samples="/x/samples.tsv",
    )
    write_fasta(tmp_path / "GRCh38.fa", {"chr1": "C" * 10_000})
    write_qc_table([GOOD], tmp_path / "qc.tsv")
    write_annotated_table(tmp_path / "PK001.tsv", ["gnomad_population_af"], VARIANTS)
    write_mosdepth(
        tmp_path / "PK001",
        [("chr1", 1000, 1500, "HBB", 90.0, 480), ("chr1", 5000, 5100, "X", 90.0, 100)],
    )
    sources = {
        "gff3": {"path": "/g.gff3", "bytes": 9, "modified": "2026-01-01T00:00:00+00:00",
                 "sha256": "cd" * 32},
        "sources": [],
        "panels": [
            {"name": "Thal", "path": "/p.txt", "bytes": 9, "modified": "2026-01-01T00:00:00+00:00",
             "sha256": "ab" * 32, "genes": ["HBB", "HBA9"], "unknown_genes": ["HBA9"],
             "samples": []}
        ],
        "tiers": TierRules().describe(),
    }  # fmt: skip
    (tmp_path / "sources.json").write_text(json.dumps(sources))
    (tmp_path / "roh.txt").write_text("RG\tPK001\tchr1\t1000\t3000000\t2999001\t40\t80.0\n")
    (tmp_path / "ref.fa.fai").write_text("chr1\t5000000\t6\t60\t61\nchr2\t4000000\t0\t60\t61\n")
    (tmp_path / "samples.tsv").write_text(
        "sample\tunit\tfq1\tfq2\tpatient_id\tdate_of_birth\treferral_reason\n"
        "PK001\tL1\ta.fq\tb.fq\tMRN-0042\t2019-03-04\tAnaemia, ?beta thalassaemia\n"
    )
    report_inputs = ReportInputs(
        "PK001", tmp_path / "qc.tsv", tmp_path / "PK001.tsv", tmp_path / "PK001",
        tmp_path / "sources.json", tmp_path / "roh.txt", tmp_path / "ref.fa.fai",
        tmp_path / "samples.tsv",
    )  # fmt: skip
    return config, settings_for(tmp_path), report_inputs


def render(inputs: Inputs, **changes: Any) -> str:
    config, settings, report_inputs = inputs
    settings = replace(settings, **changes)
    report = build_sample_report(config, settings, report_inputs, tools={"bcftools": "1.16"})
    return render_sample_report(report)


def section(html: str, name: str) -> str:
    """The text of one <section id=...> of a report."""
    match = re.search(rf'<section id="{name}">(.*?)</section>', html, re.DOTALL)
    assert match, f"no section {name}"
    return match.group(1)


def test_report_is_self_contained(inputs: Inputs) -> None:
    html = render(inputs)
    assert EXTERNAL.search(html) is None
    assert html.startswith("<!DOCTYPE html>") and "@page" in html and "<svg" in html


def test_reportable_report_shows_verdict_tiers_and_names(inputs: Inputs) -> None:
    html = render(inputs)
    assert 'id="verdict"' in html and ">PASS<" in html and "status-banner" not in html
    for tier in (1, 2, 3, 4):
        assert f'id="tier-{tier}"' in html
    # HGVS on the versioned transcript, predicted protein change in brackets, g. with the build.
    assert "ENST1100.3:c.1100C&gt;T" in html and "p.(Arg12Ter)" in html
    # In the tables the name breaks only after the transcript (print: "IDs never break").
    hgvs = '<span class="id">ENST1100.3:</span><wbr><span class="id">c.1100C&gt;T</span>'
    assert hgvs in section(html, "variants")
    assert '<span class="id">p.(Arg12Ter)</span>' in section(html, "variants")
    assert "GRCh38 chr1:g.1100C&gt;T" in html and "MANE Select, NM_000518.5" in html
    assert "beta Thalassemia" in html and "★★★☆" in html and "ClinVar <span" in html
    assert "in ROH" in html  # the homozygous call inside the run
    assert "South Asian (AF_sas): 0.0001" in html and "gnomAD" in html
    assert "LowDepth" in html and "failed the call filters (1)" in html
    assert 'id="reference">GRCh38 (GRCh38.fa)<' in html


def test_result_summary_leads_and_methods_follow_sign_off(inputs: Inputs) -> None:
    html = render(inputs)
    summary = section(html, "result")
    assert "A homozygous pathogenic variant in HBB, ENST1100.3:c.1100C&gt;T p.(Arg12Ter)" in summary
    assert "was found" in summary and "need" not in summary
    order = [html.index(f'<section id="{s}">') for s in ("result", "qc", "variants", "coverage",
                                                          "not-checked", "limitations",
                                                          "sign-off", "methods")]  # fmt: skip
    assert order == sorted(order)


def test_no_finding_sentence_counts_the_genes(inputs: Inputs, tmp_path: Path) -> None:
    config, settings, report_inputs = inputs
    write_annotated_table(report_inputs.variants_tsv, ["gnomad_population_af"], VARIANTS[5:])
    html = render_sample_report(build_sample_report(config, settings, report_inputs, tools={}))
    # HBB is the one panel gene the gene model has (HBA9 is unknown to it).
    assert "No pathogenic or likely pathogenic variant was found in the 1 genes analysed" in html


def test_print_names_where_tier_4_is_only_when_it_has_variants(
    inputs: Inputs, tmp_path: Path
) -> None:
    assert "Tier 4 is not printed: its 1 variants are in" in render(inputs)
    config, settings, report_inputs = inputs
    without_tier_4 = [v for v in VARIANTS if v.clinical.tier != 4]
    write_annotated_table(report_inputs.variants_tsv, ["gnomad_population_af"], without_tier_4)
    html = render_sample_report(build_sample_report(config, settings, report_inputs, tools={}))
    assert 'id="tier-4"' in html and "tier4-print-note" not in html


def test_confidence_flag_is_shown(inputs: Inputs) -> None:
    html = render(inputs)
    assert "confirm orthogonally" in section(html, "variants") and "depth 9 &lt; 15" in html


def test_incidental_findings_are_apart_from_tier_1(inputs: Inputs, tmp_path: Path) -> None:
    config, settings, report_inputs = inputs
    report = build_sample_report(config, settings, report_inputs, tools={})
    html = render_sample_report(report)
    assert "BRCA9" in section(html, "incidental") and "BRCA9" not in section(html, "variants")
    assert report.tier_counts() == {1: 1, 2: 1, 3: 1, 4: 1}
    # The annotate step decides (its table's `incidental` column); a lab that opts in gets
    # a table without the mark, and the report follows it.
    config = with_report(config, incidental_in_tier1=True)
    unmarked = [replace(v, clinical=replace(v.clinical, incidental="")) for v in VARIANTS]
    write_annotated_table(report_inputs.variants_tsv, ["gnomad_population_af"], unmarked)
    opted = build_sample_report(config, settings, report_inputs, tools={})
    assert opted.tier_counts() == {1: 2, 2: 1, 3: 1, 4: 1} and not opted.incidental()


@pytest.mark.parametrize(
    ("missing", "named"),
    [
        ({"clinvar": None}, "No ClinVar source configured"),
        ({"gff3": None}, "No gene model source configured"),
        ({"population": ()}, "No population frequency source configured"),
    ],
)
def test_missing_source_means_not_interpreted(
    inputs: Inputs, missing: dict[str, Any], named: str
) -> None:
    html = render(inputs, **missing)
    banner = html.index('id="status-banner"')
    assert "NOT INTERPRETED" in html and named in html
    # Before any result: the header's QC verdict, the result, the variants.
    assert banner < html.index('id="verdict"') < html.index('id="result-summary"')
    assert 'id="tier-1"' not in html and 'class="cards"' not in html
    assert "None.</p>" not in section(html, "variants")  # nothing that reads as a negative
    assert "No pathogenic" not in html and "not interpreted" in section(html, "result")
    if "ClinVar" not in named:  # a ClinVar hit is still named, unreviewed
        assert "ClinVar lists 2 of the calls as pathogenic" in section(html, "result")
    assert named.replace(" configured", "").replace("No ", "No ") in section(html, "not-checked")


def test_methods_describe_only_what_ran(inputs: Inputs) -> None:
    bare = section(render(inputs, gff3=None, clinvar=None, population=()), "methods")
    assert "csq" not in bare and "ClinVar classifications" not in bare
    assert "No ClinVar source was used" in bare and "every frequency is unknown" in bare
    assert "Tier rules" not in bare
    full = section(render(inputs), "methods")
    assert "bcftools csq" in full and "ClinVar classifications are matched" in full


def test_methods_name_the_aligner_the_config_chose(inputs: Inputs) -> None:
    config, settings, report_inputs = inputs
    assert "aligned with bwa mem to" in section(render(inputs), "methods")
    chosen = replace(config, alignment=AlignmentConfig(aligner="minimap2"))
    report = build_sample_report(chosen, settings, report_inputs, tools={})
    methods = section(render_sample_report(report), "methods")
    assert "aligned with minimap2 (-ax sr) to" in methods and "bwa" not in methods


def test_no_clinvar_column_does_not_say_not_in_clinvar(inputs: Inputs) -> None:
    html = render(inputs, clinvar=None)
    assert "not in ClinVar" not in html and "no ClinVar source" in html


def test_qc_failure_is_not_reportable(inputs: Inputs, tmp_path: Path) -> None:
    config, settings, report_inputs = inputs
    write_qc_table([replace(GOOD, mean_target_depth=20.0)], report_inputs.qc_table)
    report = build_sample_report(config, settings, report_inputs, tools={})
    html = render_sample_report(report)
    assert report.verdict.overall == "fail" and report.status == NOT_REPORTABLE
    assert "NOT REPORTABLE: QC FAIL" in html and "Mean target depth 20.0x" in html
    assert html.index('id="status-banner"') < html.index('id="verdict"')
    assert "repeat or review" in html
    # The calls only under the banner: no tier headings, cards or incidental section.
    assert 'id="tier-1"' not in html and 'class="cards"' not in html
    assert '<section id="incidental">' not in html
    assert "HBB" in html[html.index('id="unreported-calls"') :]
    assert report.tier_counts() is None


def test_a_failed_check_is_named_with_its_reason(inputs: Inputs, tmp_path: Path) -> None:
    """Banner, summary.json (run summary, index) say why a check failed, not only which."""
    config, settings, report_inputs = inputs
    swapped = replace(
        GOOD, sex_declared="male", sex_inferred="female", sex_note="chrX depth 1.01× autosomes"
    )
    write_qc_table([swapped], report_inputs.qc_table)
    out = tmp_path / "report"
    write_sample_report(config, settings, report_inputs, out / "PK001.html", out / "PK001.json")
    summary = json.loads((out / "PK001.json").read_text())
    reason = (
        "Sex (sample sheet vs data) female (sheet: male): sex mismatch: sample sheet says male,"
        " data say female (chrX depth 1.01× autosomes)"
    )
    assert summary["status"] == NOT_REPORTABLE
    assert summary["problems"] == [f"{reason} (fail)"] == summary["qc_reasons"]
    assert summary["status_reasons"] == [f"QC FAIL: {reason}"]
    banner = (out / "PK001.html").read_text().split('id="status-banner"')[1].split("</div>")[1]
    assert "sex mismatch: sample sheet says male, data say female" in banner


def test_everything_from_files_is_escaped(inputs: Inputs) -> None:
    html = render(inputs)
    assert "OTHER&lt;b&gt;" in html and "OTHER<b>" not in html
    assert "Lab &#34;&lt;Lahore&gt;&#34; &amp; Co" in html
    # In the CSS page footer the name is a CSS string, every symbol escaped.
    assert "Lab\\20 \\22 \\3c Lahore\\3e \\22 \\20 \\26 \\20 Co" in html


INJECTED = "</style><script>alert(1)</script>\"'><b onload=x>"


def test_injected_markup_is_escaped_everywhere(inputs: Inputs, tmp_path: Path) -> None:
    """A gene name, a ClinVar field, the lab name and a sample-sheet field carrying markup."""
    config, settings, report_inputs = inputs
    config = with_report(config, sign_off=(INJECTED,))
    config = replace(config, lab=replace(config.lab, name=INJECTED))
    hostile = [
        variant(
            1100, INJECTED, "stop_gained", 1, clinvar_significance="Pathogenic",
            clinvar_condition=INJECTED, clinvar_id=INJECTED, roh_segment=INJECTED,
            in_panel="Thal", tier_reason=INJECTED,
        ),
        *VARIANTS[1:],
    ]  # fmt: skip
    write_annotated_table(report_inputs.variants_tsv, ["gnomad_population_af"], hostile)
    (tmp_path / "samples.tsv").write_text(
        "sample\tunit\tfq1\tfq2\tpatient_id\treferring_clinician\n"
        f"PK001\tL1\ta.fq\tb.fq\t{INJECTED}\t{INJECTED}\n"
    )
    report = build_sample_report(config, settings, report_inputs, tools={})
    html = render_sample_report(report)
    assert EXTERNAL.search(html) is None
    assert html.count("</style") == 1 and html.count("<style") == 1
    assert "<b onload" not in html and "&lt;b onload=x&gt;" in html
    assert html.count("&lt;/style&gt;&lt;script&gt;") >= 6  # gene, ClinVar, lab, sheet, ...
    # Attribute values cannot be closed early either.
    for value in re.findall(r'title="([^"]*)"', html):
        assert "<" not in value and ">" not in value
    summary = write_and_read_index(config, report_inputs, tmp_path)
    assert "<script" not in summary and "&lt;/style&gt;" in summary


def write_and_read_index(
    config: dict[str, Any], report_inputs: ReportInputs, tmp_path: Path
) -> str:
    settings = settings_for(tmp_path)
    out = tmp_path / "report"
    write_sample_report(config, settings, report_inputs, out / "PK001.html", out / "PK001.json")
    write_run_index(config, [out / "PK001.json"], "../qc/multiqc_report.html", out / "index.html")
    return (out / "index.html").read_text()


def test_css_string_cannot_be_broken_out_of() -> None:
    assert css_string('a"b</style>') == '"a\\22 b\\3c \\2f style\\3e "'
    assert css_string("PK001 · Lab") == '"PK001\\20 \\b7 \\20 Lab"'


def test_patient_fields_in_the_header(inputs: Inputs) -> None:
    html = render(inputs)
    header = html[html.index("<header") : html.index("</header>")]
    # <bdi>: a value in Urdu (right to left) mixed with Latin text keeps its own direction.
    assert "<dt>Patient ID</dt><dd><bdi>MRN-0042</bdi></dd>" in header
    assert "<dt>Referral reason</dt><dd><bdi>Anaemia, ?beta thalassaemia</bdi></dd>" in header
    assert "Specimen type" not in header  # absent columns are left out


def test_report_time_in_the_lab_time_zone() -> None:
    moment = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
    config = lab_config(report={"timezone": "Asia/Karachi"})
    assert report_time(config, moment) == "2026-03-01 15:00 PKT (UTC+0500)"
    config = with_report(config, timezone="Asia/Lahore")  # past the loader's own check
    with pytest.raises(ConfigError, match=r"report.timezone: unknown time zone 'Asia/Lahore'"):
        report_time(config, moment)


def test_qc_extra_columns_are_read_when_present(tmp_path: Path) -> None:
    table = tmp_path / "qc.tsv"
    table.write_text("sample\treads\tpairs_in\tsex_inferred\nPK001\t10\t5000\tfemale\n")
    assert _qc_extra(table, "PK001") == [("Read pairs in", "5000"), ("Sex inferred", "female")]
    table.write_text("sample\treads\nPK001\t10\n")
    assert _qc_extra(table, "PK001") == []


def test_low_regions_are_capped_with_the_full_list_in_a_tsv(inputs: Inputs, tmp_path: Path) -> None:
    config, settings, report_inputs = inputs
    config = with_report(config, max_low_regions=1)
    write_mosdepth(
        tmp_path / "PK001",
        [("chr1", 1000 + 100 * i, 1100 + 100 * i, "HBB", 90.0 - i, 80) for i in range(5)],
    )
    out = tmp_path / "report"
    write_sample_report(config, settings, report_inputs, out / "PK001.html", out / "PK001.json")
    html = (out / "PK001.html").read_text()
    assert "The 1 least covered are listed" in html and "PK001.low_regions.tsv" in html
    assert len((out / "PK001.low_regions.tsv").read_text().splitlines()) == 6


def test_coverage_flags_panel_genes_the_annotation_lacks(inputs: Inputs) -> None:
    html = render(inputs)
    assert "HBA9" in html and "not targeted by the assay" not in html
    assert "not in the GFF3 (check the panel)" in html
    assert "Target regions with bases below 20x (1)" in html
    assert "chr1:1,001-1,500" in html
    assert "Panel genes not in the gene model, so not assessed: HBA9" in section(
        html, "not-checked"
    )


def test_what_validate_could_not_check_of_a_source_is_listed(inputs: Inputs) -> None:
    config, settings, report_inputs = inputs
    sources = json.loads(report_inputs.sources_json.read_text())
    sources["sources"] = [
        {"name": "gnomAD v4.1", "role": "population_af:gnomad", "path": "/g.vcf.gz",
         "bytes": 9, "modified": "2026-01-01", "sha256": None,
         "not_checked": ["too large to read through: REF agreement sampled by the index"]}
    ]  # fmt: skip
    report_inputs.sources_json.write_text(json.dumps(sources))
    html = render_sample_report(build_sample_report(config, settings, report_inputs, tools={}))
    assert "gnomAD v4.1: too large to read through" in section(html, "not-checked")


def test_roh_runs_are_listed_with_the_variants_inside(inputs: Inputs) -> None:
    html = render(inputs)
    assert "Runs reported: 1" in html and "3.00 Mb in total" in html
    assert "Homozygous variants inside a run (1)" in html


def test_summary_json_and_index(inputs: Inputs, tmp_path: Path) -> None:
    config, settings, report_inputs = inputs
    out = tmp_path / "report"
    write_sample_report(config, settings, report_inputs, out / "PK001.html", out / "PK001.json")
    summary = read_summary(out / "PK001.json")
    assert summary.tiers == {1: 1, 2: 1, 3: 1, 4: 1}  # PASS calls only, incidental apart
    assert summary.status == REPORTABLE and summary.qc_verdict == "PASS"
    assert summary.incidental == 1 and summary.to_confirm == 1
    assert summary.roh_segments == 1 and summary.verdict == "pass"
    assert any("below 20x" in item for item in summary.not_checked)
    write_run_index(config, [out / "PK001.json"], "../qc/multiqc_report.html", out / "index.html")
    index = (out / "index.html").read_text()
    assert 'href="PK001.html"' in index and 'href="../qc/multiqc_report.html"' in index
    assert EXTERNAL.search(index) is None
    assert "Germline variant reports of this run (1 samples)" in render_index(
        "L", [summary], "m.html", "now", "0" * 64
    )


def test_index_leaves_unreportable_samples_out_of_the_counts(inputs: Inputs) -> None:
    config, settings, report_inputs = inputs
    good = build_sample_report(config, settings, report_inputs, tools={})
    bare = build_sample_report(config, replace(settings, clinvar=None), report_inputs, tools={})
    from labpipe.report.html import summarise

    reportable, uninterpreted = summarise(good), summarise(bare)
    failed = replace(
        reportable, sample="PK002", status=NOT_REPORTABLE, tiers=None, verdict="fail",
        status_reasons=["QC FAIL: Mean target depth 20.0x"],
    )  # fmt: skip
    uninterpreted = replace(uninterpreted, sample="PK003")
    assert uninterpreted.status == NOT_INTERPRETED and uninterpreted.tiers is None
    assert "no ClinVar source configured (annotation.clinvar)" in uninterpreted.status_reasons
    index = render_index("L", [reportable, failed, uninterpreted], "m.html", "now", "0" * 64)
    assert "1 reportable, 1 not reportable (QC fail), 1 not interpreted" in index
    assert "NOT INTERPRETED: 1 of 3 samples" in index
    assert "NOT REPORTABLE: QC FAIL — <bdi>PK002</bdi>" in index
    rows = re.findall(r"<tr class=\"(\w+)\">(.*?)</tr>", index, re.DOTALL)
    counts = {status: len(re.findall(r"class=\"num tier-", row)) for status, row in rows}
    assert counts == {"reportable": 3, "not_reportable": 0, "not_interpreted": 0}


def test_methods_describe_the_second_opinion_only_when_it_ran() -> None:
    text = _filters_text(lab_config().calling)
    assert "second opinion from freebayes" in text and "ShadowIndel" in text
    for calling in ({"indel_second_opinion": False}, {"caller": "freebayes"}):
        assert "second opinion" not in _filters_text(lab_config(calling=calling).calling)


def test_index_names_a_sample_without_a_result(inputs: Inputs, tmp_path: Path) -> None:
    """A NO_RESULT summary (labpipe.provenance.no_result) is listed, unlinked and uncounted."""
    from labpipe.provenance.no_result import record_no_result, summary_path

    config, settings, report_inputs = inputs
    out = tmp_path / "report"
    write_sample_report(config, settings, report_inputs, out / "PK001.html", out / "PK001.json")
    record_no_result(tmp_path, {"PK002": "step 'align' failed, see logs/fastp/PK002.log"})
    no_result = read_summary(summary_path(tmp_path, "PK002"))
    assert no_result.status == "NO_RESULT" and no_result.tiers is None
    index = render_index(
        "L", [read_summary(out / "PK001.json"), no_result], "m.html", "now", "0" * 64
    )
    assert (
        "1 reportable, 0 not reportable (QC fail), 0 not interpreted, 1 without a result" in index
    )
    assert "NO RESULT — <bdi>PK002</bdi>" in index and 'href="PK002' not in index
    assert "step &#39;align&#39; failed" in index


def test_autozygosity_estimate_and_ideogram_of_every_assessed_contig(inputs: Inputs) -> None:
    report_inputs = inputs[2]
    assert report_inputs.roh_output is not None
    sites = "".join(f"ST\tPK001\tchr1\t{p}\t1\t80.0\n" for p in range(1000, 4_000_001, 100_000))
    sites += "".join(f"ST\tPK001\tchr2\t{p}\t0\t80.0\n" for p in range(1, 2_000_002, 100_000))
    report_inputs.roh_output.write_text(report_inputs.roh_output.read_text() + sites)
    roh = RohSettings(autozygosity_min_markers=50, autozygosity_min_assessed_bp=5_000_000)
    html = render(inputs, roh=roh)
    text = re.search(r'<p id="autozygosity">(.*?)</p>', html, re.S)
    assert text is not None
    # A 2,999,001 bp run over 3,900,001 bp of chr1 and 2,000,001 of chr2 assessed (61 sites).
    assert (
        text.group(1)
        .split("</b> ")[1]
        .startswith(
            "F_ROH 0.508: 50.8% of the assessed autosomes (3.0 Mb in runs of 61 autosomal sites "
            "spanning 5.9 Mb assessed)"
        )
    )
    ideogram = section(html, "roh").split("<svg", 1)[1]
    assert ">chr1</text>" in ideogram and ">chr2</text>" in ideogram  # chr2: assessed, no run
    # Too little data: no number, the figures instead.
    html = render(inputs)
    assert "Not estimated: 61 autosomal sites spanning 5.9 Mb assessed" in html
