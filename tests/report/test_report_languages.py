"""The report and index.html in each language: translated, right to left for Urdu, IDs kept
left to right, numbers and dates as the language writes them."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from labpipe.core.i18n import CHINESE, ENGLISH, LANG_ENV, LANGUAGES, URDU
from labpipe.qc.metrics import write_qc_table
from labpipe.report.build import build_sample_report
from labpipe.report.html import render_sample_report, summarise, write_sample_report
from labpipe.report.run_index import read_summary, render_index
from tests.builders import EXTERNAL, GOOD
from tests.report.english_left import DATA_COLUMNS, english_runs, words_in
from tests.report.test_report_html import VARIANTS, Inputs, inputs, section

__all__ = ["inputs"]  # the fixture, shared with test_report_html

HEADINGS = {
    ENGLISH: ("Quality control", "Coverage", "Sign-off"),
    URDU: ("کوالٹی کنٹرول", "کوریج", "دستخط و منظوری"),
    CHINESE: ("质量控制", "覆盖度", "签发"),
}
MOMENT = datetime(2026, 12, 7, 15, 30, tzinfo=ZoneInfo("UTC"))


def rendered(inputs: Inputs, language: str) -> str:
    config, settings, report_inputs = inputs
    report = build_sample_report(
        config, settings, report_inputs, generated=MOMENT, tools={}, language=language
    )
    return render_sample_report(report, language)


@pytest.mark.parametrize("language", LANGUAGES)
def test_report_is_in_the_language_and_still_self_contained(inputs: Inputs, language: str) -> None:
    html = rendered(inputs, language)
    assert EXTERNAL.search(html) is None
    for heading in HEADINGS[language]:
        assert f">{heading}</h2>" in html, heading
    tag = {ENGLISH: "en", URDU: "ur", CHINESE: "zh-Hans"}[language]
    direction = "rtl" if language == URDU else "ltr"
    assert f'<html lang="{tag}" dir="{direction}">' in html
    # Sample and reference keep their left-to-right order inside an Urdu sentence.
    assert '<bdi id="sample" class="id">PK001</bdi>' in html
    assert '<bdi id="reference">GRCh38 (GRCh38.fa)</bdi>' in html
    if language != ENGLISH:
        # No English heading, table header or status word of the template is left.
        for english in ("Quality control", "Limitations", ">Metric<", ">PASS<", "Tier 1"):
            assert english not in html, english


def test_numbers_and_dates_follow_the_language(inputs: Inputs) -> None:
    urdu, chinese, english = (rendered(inputs, x) for x in (URDU, CHINESE, ENGLISH))
    assert "2026-12-07 15:30 UTC (UTC+0000)" in english
    assert "7 دسمبر، 2026 15:30 UTC" in urdu
    assert "2026年12月7日 15:30 UTC" in chinese
    # Grouped thousands as each language groups them: the region starts and lengths.
    coverage = section(chinese, "coverage")
    assert re.search(r"<td class=\"num\">[\d,]+</td>", coverage)
    assert "第 1 级" in chinese and "درجہ 1" in urdu


def test_the_default_limitations_and_sign_off_are_translated_a_labs_own_are_kept(
    inputs: Inputs,
) -> None:
    urdu = rendered(inputs, URDU)
    assert "Repeat expansions (e.g. FMR1, HTT) are not detected." not in urdu
    assert "ریپیٹ ایکسپینشن (مثلاً FMR1، HTT) کا پتہ نہیں چلایا جاتا۔" in section(
        urdu, "limitations"
    )
    assert "دستخط و منظوری" in urdu and "Reviewed and authorised by" not in urdu


@pytest.mark.parametrize("language", [URDU, CHINESE])
def test_index_is_in_the_language(inputs: Inputs, language: str) -> None:
    config, settings, report_inputs = inputs
    summary = summarise(build_sample_report(config, settings, report_inputs, tools={}))
    index = render_index("L", [summary], "m.html", "now", "0" * 64, language=language)
    assert "Germline variant reports" not in index and "REPORTABLE" not in index
    assert ('dir="rtl"' in index) == (language == URDU)
    assert {URDU: "1 قابلِ رپورٹ", CHINESE: "1 个可报告"}[language] in index
    assert '<b class="id">PK001</b>' in index


# Every word the `inputs` fixture's data give the report (lab, patient, panel, source, calls).
FIXTURE_WORDS = words_in(
    [
        'Lab "<Lahore>" & Co',
        "MRN-0042 Anaemia, ?beta thalassaemia Thal gnomAD South Asian GRCh38 PK001 OTHER b",
        *(
            getattr(v.row, column, None) or getattr(v.clinical, column, "")
            for v in VARIANTS
            for column in DATA_COLUMNS
        ),
    ]
)


@pytest.mark.parametrize(
    "case",
    [
        "qc fail",  # NOT REPORTABLE: banner reasons, QC notes, the sex check, read ledger
        "no sources",  # NOT INTERPRETED: missing sources, what they mean
    ],
)
def test_no_english_of_labpipes_in_an_unreportable_report(
    inputs: Inputs, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, case: str
) -> None:
    """The banners, QC table, not-checked list and summary.json reasons of a report that is
    not a result are in the language too (the demo sample, reportable, is checked e2e)."""
    config, settings, report_inputs = inputs
    if case == "qc fail":
        failing = replace(
            GOOD,
            mean_target_depth=20.0,
            sex_declared="male",
            sex_inferred="female",
            sex_note="chrX depth 1.01× autosomes, 15 of 25 chrX SNVs heterozygous",
            pairs_in=1000,
            pairs_aligned=900,
            pairs_removed_low_quality=20,
            pairs_removed_too_many_n=0,
            pairs_removed_too_short=60,
            pairs_lost_fraction=0.08,
        )
        write_qc_table([failing], report_inputs.qc_table)
    else:
        settings = replace(settings, gff3=None, clinvar=None, population=())
    english = {}
    for language in LANGUAGES:
        out = tmp_path / language
        monkeypatch.setenv(LANG_ENV, language)  # as `labpipe run --lang` gives it the step
        write_sample_report(config, settings, report_inputs, out / "PK001.html", out / "s.json")
        summary = json.loads((out / "s.json").read_text())
        index = render_index("L", [read_summary(out / "s.json")], "m.html", "now", "0" * 64,
                             language=language)  # fmt: skip
        pages = [(out / "PK001.html").read_text(), index]
        texts = [*summary["status_reasons"], *summary["qc_reasons"], *summary["not_checked"]]
        english[language] = [
            *(run for page in pages for run in english_runs(page, FIXTURE_WORDS)),
            *(run for text in texts for run in english_runs(f"<p>{text}</p>", FIXTURE_WORDS)),
        ]
    assert len(english[ENGLISH]) >= 20, english[ENGLISH]  # the reader finds English
    assert english[URDU] == [] and english[CHINESE] == [], (english[URDU], english[CHINESE])
