"""The per-sample report and run index, built from workflow-shaped files made here."""

from __future__ import annotations

import copy
import json
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from labpipe.annotate import AnnotationSettings
from labpipe.annotation_sources import PopulationSource
from labpipe.config import DEFAULTS
from labpipe.qc import write_qc_table
from labpipe.report_html import (
    ReportInputs,
    _filters_text,
    build_sample_report,
    read_summary,
    render_index,
    render_sample_report,
    write_run_index,
    write_sample_report,
)
from labpipe.roh import RohSettings
from labpipe.tiers import TierRules
from labpipe.variant_table import (
    AnnotatedVariant,
    ClinicalAnnotation,
    VariantRow,
    write_annotated_table,
)
from test_gene_coverage import write_mosdepth
from test_qc_verdict import GOOD

# Anything a browser would fetch: a URL in src/href/url(), an @import, a script.
EXTERNAL = re.compile(
    r"""(?:src|href)\s*=\s*["']?\s*(?:https?:|//)|url\(\s*["']?(?:https?:|//)|@import|<script|<link|<img|<iframe""",
    re.IGNORECASE,
)


def variant(pos: int, gene: str, consequence: str, tier: int, **clinical: Any) -> AnnotatedVariant:
    zygosity = clinical.pop("zygosity", "het")
    flt = clinical.pop("filter", "PASS")
    row = VariantRow(
        "PK001", "chr1", pos, "C", "T", flt, 99.0, "0/1" if zygosity == "het" else "1/1",
        zygosity, 100, 50, 50, 0.5, gene, f"ENST{pos}", "+", "protein_coding", consequence,
        f"c.{pos}C>T", "p.Arg12Ter",
    )  # fmt: skip
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
    variant(1300, "HBB", "inframe_deletion", 3, tier_reason="rare inframe_deletion in panel gene"),
    variant(1400, "HBB", "frameshift", 2, tier_reason="rare frameshift", filter="LowDepth"),
    variant(9000, "OTHER<b>", "synonymous", 4, tier_reason="synonymous: not a coding change"),
]  # fmt: skip


@pytest.fixture
def inputs(tmp_path: Path) -> tuple[dict[str, Any], AnnotationSettings, ReportInputs]:
    config = copy.deepcopy(DEFAULTS)
    config.update(
        {
            "lab": {"name": 'Lab "<Lahore>" & Co', "id": "lhr"},
            "reference": {"fasta": "/ref/GRCh38.fa", "build": "GRCh38"},
            "samples": "/x/samples.tsv",
        }
    )
    write_qc_table([GOOD], tmp_path / "qc.tsv")
    write_annotated_table(tmp_path / "PK001.tsv", ["gnomad_population_af"], VARIANTS)
    write_mosdepth(
        tmp_path / "PK001",
        [("chr1", 1000, 1500, "HBB", 90.0, 480), ("chr1", 5000, 5100, "X", 90.0, 100)],
    )
    sources = {
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
    gnomad = PopulationSource("gnomad", "gnomAD", tmp_path / "g.vcf", "South Asian", "AF_sas", None)
    settings = AnnotationSettings(None, None, (gnomad,), (), TierRules(), RohSettings())
    report_inputs = ReportInputs(
        "PK001", tmp_path / "qc.tsv", tmp_path / "PK001.tsv", tmp_path / "PK001",
        tmp_path / "sources.json", tmp_path / "roh.txt", tmp_path / "ref.fa.fai",
    )  # fmt: skip
    return config, settings, report_inputs


def render(inputs: tuple[dict[str, Any], AnnotationSettings, ReportInputs]) -> str:
    config, settings, report_inputs = inputs
    report = build_sample_report(config, settings, report_inputs, tools={"bcftools": "1.16"})
    return render_sample_report(report)


def test_report_is_self_contained(inputs: Any) -> None:
    html = render(inputs)
    assert EXTERNAL.search(html) is None
    assert html.startswith("<!DOCTYPE html>") and "@page" in html and "<svg" in html


def test_verdict_tiers_and_annotations_are_shown(inputs: Any) -> None:
    html = render(inputs)
    assert 'id="verdict"' in html and ">PASS<" in html
    for tier in (1, 2, 3, 4):
        assert f'id="tier-{tier}"' in html
    assert "c.1100C&gt;T" in html and "p.Arg12Ter" in html
    assert "beta Thalassemia" in html and "★★★☆" in html and "ClinVar 15333" in html
    assert "in ROH" in html  # the homozygous call inside the run
    assert "AF_sas 0.0001" in html
    assert "LowDepth" in html and "failed the call filters (1)" in html


def test_everything_from_files_is_escaped(inputs: Any) -> None:
    html = render(inputs)
    assert "OTHER&lt;b&gt;" in html and "OTHER<b>" not in html
    assert "Lab &quot;&lt;Lahore&gt;&quot; &amp; Co" in html
    # In the CSS page footer the name is a CSS string, quotes escaped.
    assert 'PK001 · Lab \\"<Lahore>\\" & Co' in html


def test_coverage_flags_panel_genes_the_annotation_lacks(inputs: Any) -> None:
    html = render(inputs)
    assert "HBA9" in html and "not targeted by the assay" not in html
    assert "not in the GFF3 (check the panel)" in html
    assert "Target regions with bases below 20x (1)" in html
    assert "chr1:1,001-1,500" in html


def test_roh_runs_are_listed_with_the_variants_inside(inputs: Any) -> None:
    html = render(inputs)
    assert "Runs reported: 1" in html and "3.00 Mb in total" in html
    assert "Homozygous variants inside a run (1)" in html


def test_qc_failure_shows_in_the_verdict(inputs: Any, tmp_path: Path) -> None:
    config, settings, report_inputs = inputs
    write_qc_table([replace(GOOD, mean_target_depth=20.0)], report_inputs.qc_table)
    report = build_sample_report(config, settings, report_inputs, tools={})
    html = render_sample_report(report)
    assert report.verdict.overall == "fail"
    assert "Mean target depth 20.0x (fail)" in html


def test_summary_and_index(inputs: Any, tmp_path: Path) -> None:
    config, settings, report_inputs = inputs
    out = tmp_path / "report"
    write_sample_report(config, settings, report_inputs, out / "PK001.html", out / "PK001.json")
    summary = read_summary(out / "PK001.json")
    assert summary.tiers == {1: 1, 2: 1, 3: 1, 4: 1}  # PASS calls only
    assert summary.roh_segments == 1 and summary.verdict == "pass"
    write_run_index(config, [out / "PK001.json"], "../qc/multiqc_report.html", out / "index.html")
    index = (out / "index.html").read_text()
    assert 'href="PK001.html"' in index and 'href="../qc/multiqc_report.html"' in index
    assert EXTERNAL.search(index) is None
    assert "Germline variant reports of this run (1 samples)" in render_index(
        "L", [summary], "m.html", "now", "0" * 64
    )


def test_methods_describe_the_second_opinion_only_when_it_ran() -> None:
    calling = dict(DEFAULTS["calling"])
    text = _filters_text(calling)
    assert "second opinion from freebayes" in text and "ShadowIndel" in text
    assert "second opinion" not in _filters_text({**calling, "indel_second_opinion": False})
    assert "second opinion" not in _filters_text({**calling, "caller": "freebayes"})
