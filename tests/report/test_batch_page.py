"""The batch page: kinship heat map, flagged pairs, contamination, what was not checked."""

from __future__ import annotations

import re

from labpipe.config.pedigree import Pedigree
from labpipe.qc.identity import assess_batch
from labpipe.report.batch_page import render_batch_page
from labpipe.report.svg_plots import kinship_heatmap
from tests.builders import lab_config
from tests.qc.identity_builders import Haplotypes, People, batch

CONFIG = lab_config()


def page(samples: dict[str, Haplotypes]) -> str:
    identity = assess_batch(batch(samples), Pedigree(), CONFIG.qc)
    return render_batch_page(identity, CONFIG, "2026-12-07 20:00 UTC", "0" * 64)


def test_the_heat_map_writes_each_kinship_and_frames_the_flagged_pairs() -> None:
    people = People(3000, seed=41)
    a = people.unrelated()
    html = page({"PK001": a, "PK002": people.unrelated(), "PK007": a.copy()})
    svg = html[html.index("<svg") : html.index("</svg>")]
    assert svg.count(">self</text>") == 3
    assert svg.count(">0.50</text>") == 2  # PK001/PK007, both halves of the matrix
    assert svg.count('stroke-width="3"') == 2  # their frames
    assert "PK001 and PK007 are the same individual (kinship 0.50)" in html
    assert 'id="flags-banner"' in html
    assert re.search(r'<ul id="not-checked"><li>sex chromosomes', html)


def test_a_panel_too_small_says_identity_was_not_checked() -> None:
    people = People(40, seed=42)
    html = page({"PK001": people.unrelated(), "PK002": people.unrelated()})
    assert "Sample identity was not checked:" in html
    assert ">n/e</text>" in html
    assert 'id="flags-banner"' not in html
    assert "None could be looked for: no pair was estimated." in html


def test_labels_are_escaped() -> None:
    svg = kinship_heatmap(["<a>", "b&c"], {frozenset(("<a>", "b&c")): None})
    assert "<a>" not in svg
    assert "&lt;a&gt;" in svg and "b&amp;c" in svg


def english_outside_data(html: str) -> list[str]:
    """Runs of three or more English words a reader sees outside the page's data (IDs,
    calls, file names, which stay as they are inside <bdi>/<code>/the SVG)."""
    body = html.split("</style>", 1)[1]
    for tag in ("bdi", "code", "svg", "title"):
        body = re.sub(rf"<{tag}\b.*?</{tag}>", " ", body, flags=re.DOTALL)
    text = re.sub(r"<[^>]+>", " ", body)
    return re.findall(r"[A-Za-z][a-z]+(?:[ ,'-]+[A-Za-z][a-z]+){2,}", text)


def test_the_page_in_urdu_and_chinese_has_no_english_sentence() -> None:
    people = People(3000, seed=41)
    a = people.unrelated()
    identity = assess_batch(
        batch({"PK001": a, "PK002": people.unrelated(), "PK007": a.copy()}), Pedigree(), CONFIG.qc
    )
    for language, word in (("ur", "آلودگی"), ("zh_Hans", "污染")):
        html = render_batch_page(identity, CONFIG, "now", "0" * 64, language)
        assert english_outside_data(html) == [], language
        assert word in html and "PK001" in html
    urdu = render_batch_page(identity, CONFIG, "now", "0" * 64, "ur")
    assert 'dir="rtl"' in urdu and "ایک ہی فرد ہیں" in urdu  # the flag, translated
    # The record itself stays English (the QC verdict quotes it).
    assert identity.flags[0].message.startswith("PK001 and PK007 are the same individual")
