"""The family page: candidates by inheritance model with every member's genotype and depth."""

from __future__ import annotations

import re
from pathlib import Path

from labpipe.annotation.annotated_table import (
    AnnotatedVariant,
    ClinicalAnnotation,
    write_annotated_table,
)
from labpipe.annotation.inheritance import InheritanceCall, write_inheritance_table
from labpipe.annotation.variant_table import VariantRow
from labpipe.report.family import write_family_page
from labpipe.report.run_index import render_index
from tests.builders import lab_config

MEMBERS = "child KID: {kid}; father DAD: {dad}; mother MUM: {mum}"


def variant(pos: int, gene: str, tier: int, label: str, zygosity: str = "het") -> AnnotatedVariant:
    row = VariantRow(
        "KID", "chr1", pos, "C", "T", "PASS", 60.0, "0/1", zygosity, 30, 15, 15, 0.5,
        gene=gene, hgvs_c=f"c.{pos}C>T",
    )  # fmt: skip
    clinical = ClinicalAnnotation(tier, "rare missense in panel gene", inheritance=label,
                                  inheritance_note=f"{label} because; members")  # fmt: skip
    return AnnotatedVariant(row, clinical)


def test_family_page_lists_candidates_by_model(tmp_path: Path) -> None:
    calls = [
        InheritanceCall("KID", "chr1", 100, "C", "T", "de_novo", "", True, "",
                        MEMBERS.format(kid="0/1 DP 30 AD 15,15", dad="0/0 DP 28 AD 28,0",
                                       mum="0/0 DP 31 AD 31,0")),
        InheritanceCall("KID", "chr1", 200, "C", "T", "inherited", "father", False, "",
                        MEMBERS.format(kid="0/1 DP 30 AD 15,15", dad="0/1 DP 25 AD 12,13",
                                       mum="0/0 DP 30 AD 30,0")),
        InheritanceCall("KID", "chr1", 300, "C", "T", "inherited", "mother", False, "",
                        MEMBERS.format(kid="0/1 DP 30 AD 15,15", dad="0/0 DP 25 AD 25,0",
                                       mum="0/1 DP 30 AD 15,15")),
        InheritanceCall("KID", "chr1", 400, "C", "T", "inherited", "father", False, "",
                        MEMBERS.format(kid="0/1", dad="0/1", mum="0/0")),
    ]  # fmt: skip
    table = tmp_path / "F1.inheritance.tsv"
    write_inheritance_table(table, calls)
    variants = tmp_path / "KID.tsv"
    write_annotated_table(
        variants,
        [],
        [
            variant(100, "GENE1", 2, "de_novo"),
            variant(200, "GENE2", 2, "comp_het"),
            variant(300, "GENE2", 3, "comp_het"),
            variant(400, "GENE3", 4, "inherited"),  # tier 4: not on the page
        ],
    )
    out = tmp_path / "family-F1.html"
    config = lab_config(lab={"name": "Test lab", "id": "test"})
    assert write_family_page(config, "F1", table, [variants], out) == 3
    html = out.read_text()
    sections = re.findall(r'<section id="(\w+)"><h2>([^<]*)</h2>', html)
    assert [(s, re.sub(r"\s*\(.*", "", t)) for s, t in sections][:2] == [
        ("de_novo", "De novo"),
        ("comp_het", "Compound heterozygous"),
    ]
    assert "Compound heterozygous (one variant from each parent, same gene) (2)" in html
    de_novo = html.split('id="de_novo"')[1].split("</section>")[0]
    assert "father DAD: 0/0 DP 28 AD 28,0" in de_novo and "mother MUM: 0/0 DP 31 AD 31,0" in de_novo
    assert "c.400C&gt;T" not in html and "c.400C>T" not in html
    assert "depth &gt;= 10" in html  # the thresholds are stated
    assert '<a href="KID.html">' in html


def test_index_links_family_pages() -> None:
    html = render_index("Lab", [], "../qc/multiqc_report.html", "now", "0" * 64, ["F1"])
    assert '<a href="family-F1.html"><b class="id">F1</b></a>' in html
