"""The workflow picture: valid SVG, every rule named once, arrows from producer to consumer."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from labpipe.report.workflow_svg import direct_edges, layers, workflow_svg

SVG = "{http://www.w3.org/2000/svg}"
RULES = ["all", "markdup", "align", "reference_index", "call", "report <&>"]
EDGES = [
    ("markdup", "all"),
    ("align", "markdup"),
    ("reference_index", "align"),
    ("reference_index", "call"),
    ("markdup", "call"),
    ("call", "all"),
    ("reference_index", "all"),
    ("report <&>", "all"),
]


def test_each_rule_sits_below_everything_it_reads() -> None:
    rows = layers(RULES, EDGES)
    row = {rule: i for i, members in enumerate(rows) for rule in members}
    assert sorted(r for members in rows for r in members) == sorted(RULES)
    assert all(row[a] < row[b] for a, b in EDGES)
    assert row["reference_index"] == 0 and row["all"] == len(rows) - 1


def test_an_arrow_a_longer_path_implies_is_left_out() -> None:
    kept = direct_edges(EDGES)
    assert ("reference_index", "all") not in kept
    assert ("reference_index", "call") not in kept  # via align -> markdup -> call
    assert ("align", "markdup") in kept and ("markdup", "call") in kept


def test_the_picture_is_valid_xml_naming_every_rule_with_escaped_text() -> None:
    svg = workflow_svg(RULES, EDGES, {r: "align" for r in RULES} | {"all": "all"}, "demo <1>")
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    boxes = [t.text for t in root.iter(f"{SVG}text") if t.text in RULES]
    assert sorted(boxes) == sorted(RULES)
    assert root.find(f"{SVG}title").text == "demo <1>"  # type: ignore[union-attr]
    arrows = [p for p in root.iter(f"{SVG}path") if p.get("marker-end")]
    assert len(arrows) == len(direct_edges(EDGES))
    # The legend names the stages' rule files.
    assert {"rules/align.smk", "Snakefile"} <= {t.text for t in root.iter(f"{SVG}text")}
    assert not re.search(r"<script|href=\"http", svg)
