"""The table a run ends with, from the report summaries that exist (or do not)."""

from __future__ import annotations

import json
from pathlib import Path

from labpipe.run.run_summary import (
    NO_RESULT,
    NOT_INTERPRETED,
    NOT_REPORTABLE,
    SampleOutcome,
    format_run_summary,
    run_summary,
    sample_outcome,
)

TIERS = {"1": 4, "2": 11, "3": 5, "4": 7}


def test_reportable_sample_shows_its_tier_counts() -> None:
    assert sample_outcome("PK001", {"verdict": "pass", "tiers": TIERS}) == SampleOutcome(
        "PK001", "PASS", (4, 11, 5)
    )


def test_status_field_wins_over_counts() -> None:
    summary = {"qc_verdict": "warn", "status": "NOT_INTERPRETED", "tiers": TIERS}
    assert sample_outcome("A", summary) == SampleOutcome("A", "WARN", None, NOT_INTERPRETED)
    summary = {"qc_verdict": "fail", "status": "NOT_REPORTABLE", "tiers": None}
    assert sample_outcome("A", summary) == SampleOutcome("A", "FAIL", None, NOT_REPORTABLE)


def test_without_a_status_qc_fail_is_not_reportable_and_no_counts_not_interpreted() -> None:
    assert sample_outcome("A", {"verdict": "fail", "tiers": TIERS}).status == NOT_REPORTABLE
    assert sample_outcome("A", {"verdict": "pass", "tiers": None}).status == NOT_INTERPRETED
    assert sample_outcome("A", {"verdict": "pass"}).status == NOT_INTERPRETED
    assert sample_outcome("A", None) == SampleOutcome("A", "-", None, NO_RESULT)


def test_a_failed_sample_has_no_result() -> None:
    summary = {"status": "NO_RESULT", "verdict": "no result", "tiers": {}}
    assert sample_outcome("PK002", summary) == SampleOutcome("PK002", "-", None, NO_RESULT)


def test_table_reads_the_summaries_and_names_the_index(tmp_path: Path) -> None:
    reports = tmp_path / "results" / "report"
    reports.mkdir(parents=True)
    (reports / "PK001.summary.json").write_text(
        json.dumps({"verdict": "pass", "tiers": TIERS, "incidental": 1})
    )
    (reports / "PK002.summary.json").write_text(json.dumps({"verdict": "fail", "tiers": TIERS}))
    failed = {
        "qc_verdict": "fail",
        "status": "NOT_REPORTABLE",
        "tiers": None,
        "status_reasons": ["QC FAIL: Read pairs removed 100.00%: mostly the length filter"],
    }
    (reports / "PK003.summary.json").write_text(json.dumps(failed))
    (reports / "BROKEN.summary.json").write_text('{"verdict": "pa')
    (reports / "index.html").write_text("<html></html>")
    lines = run_summary(tmp_path, ["PK001", "PK002", "PK003", "BROKEN", "GONE"]).splitlines()
    assert lines[1:] == [
        "sample  QC     Tier 1  Tier 2  Tier 3  Incidental",
        "PK001   PASS        4      11       5           1",
        "PK002   FAIL   NOT REPORTABLE",
        "PK003   FAIL   NOT REPORTABLE",
        "BROKEN  -      NO RESULT",
        "GONE    -      NO RESULT",
        "  PK003: QC FAIL: Read pairs removed 100.00%: mostly the length filter",
        f"Reports: {reports / 'index.html'}",
    ]


def test_table_says_when_there_is_no_index() -> None:
    text = format_run_summary([SampleOutcome("A", "-", None, NO_RESULT)], None)
    assert text.endswith("Reports: no index.html was written (see the messages above)")


def test_a_translated_table_keeps_its_columns_under_wider_headings() -> None:
    from labpipe.core.i18n import CHINESE, display_width, using_language

    outcomes = [SampleOutcome("PK001", "PASS", (4, 11, 5), incidental=1)]
    with using_language(CHINESE):
        header, row = format_run_summary(outcomes, None).splitlines()[1:3]
    assert header.split()[:2] == ["样本", "QC"] and row.split()[:2] == ["PK001", "通过"]
    # Each count ends where its heading ends (a Chinese character takes two columns).
    ends = [
        display_width(header[: header.index(word) + len(word)]) for word in ("1 级", "偶然发现")
    ]
    assert display_width(row[: row.index("4") + 1]) == ends[0]
    assert display_width(row) == ends[1]
