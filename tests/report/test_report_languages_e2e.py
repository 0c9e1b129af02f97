"""The demo's report and index in English, Urdu and Chinese, opened and printed in Chromium.

The session's demo run (read-only) is reported again in each language by the workflow's own
step commands (``labpipe step sample-report`` / ``report-index`` with ``LABPIPE_LANG``, as
``labpipe run --lang`` sets it), into a temporary folder. Each page is then laid out by a real
headless Chromium, network off: a PNG and an A4 PDF of each are written for people to look at
(``LABPIPE_SCREENSHOT_DIR``, else the test's temporary folder), and the tests read what the
browser computed: the Urdu page runs right to left while its IDs run left to right, no text
is wider than its box, and the printout is about as long as the English one.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from labpipe.core import layout
from labpipe.core.i18n import CHINESE, ENGLISH, LANG_ENV, LANGUAGES, URDU
from tests.builders import EXTERNAL, DemoRun
from tests.headless_chromium import Chromium
from tests.report.test_report_e2e import (
    BROKEN_IDS,
    CLIPPED,
    SVG_CLIPPED,
    browser,
    needs_chromium,
    screenshots,
)

pytestmark = pytest.mark.e2e
__all__ = ["browser", "screenshots"]  # the fixtures, shared with test_report_e2e

SAMPLE = "PK001"
# The page's and a heading's direction; how many IDs (sample, gene, transcript, HGVS,
# region, reference, config keys) are laid out other than left to right, of how many.
DIRECTIONS = """
(() => {
  const ids = Array.from(document.querySelectorAll('.id, .hgvs, code, #sample, #reference'));
  return [getComputedStyle(document.documentElement).direction,
          getComputedStyle(document.querySelector('h1')).direction,
          ids.filter(e => e.getClientRects().length && getComputedStyle(e).direction !== 'ltr')
            .length,
          ids.length];
})()
"""


def step(outdir: Path, language: str, *arguments: str) -> None:
    """``labpipe step ARGUMENTS`` for the demo run, in ``language``; it must succeed."""
    env = {**os.environ, LANG_ENV: language}
    result = subprocess.run(
        [sys.executable, "-m", "labpipe.cli", "step", *arguments,
         "--config", str(outdir / "demo.yaml"), "--outdir", str(outdir)],
        capture_output=True, text=True, env=env, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]


@pytest.fixture(scope="module")
def pages(demo_run: DemoRun, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Each language's folder holding PK001.html and index.html of the demo run."""
    demo = demo_run.outdir

    def result(template: str) -> str:
        return str(layout.in_outdir(demo, template, sample=SAMPLE))

    written = {}
    for language in LANGUAGES:
        out = tmp_path_factory.mktemp(f"report-{language}")
        step(
            demo, language, "sample-report", "--sample", SAMPLE,
            "--qc", result(layout.QC_SUMMARY), "--variants", result(layout.VARIANTS_TSV),
            "--mosdepth-prefix", result(layout.MOSDEPTH_PREFIX),
            "--sources", result(layout.ANNOTATION_SOURCES), "--roh", result(layout.ROH),
            "--fai", str(demo / "reference" / "demo_reference.fa.fai"),
            "--out-html", str(out / f"{SAMPLE}.html"),
            "--out-summary", str(out / f"{SAMPLE}.summary.json"),
        )  # fmt: skip
        step(
            demo, language, "report-index", "--multiqc-link", "../qc/multiqc_report.html",
            "--out", str(out / "index.html"), str(out / f"{SAMPLE}.summary.json"),
        )  # fmt: skip
        written[language] = out
    return written


def test_each_language_is_written_self_contained(pages: dict[str, Path]) -> None:
    words = {ENGLISH: "Quality control", URDU: "کوالٹی کنٹرول", CHINESE: "质量控制"}
    sizes = {}
    for language, folder in pages.items():
        html = (folder / f"{SAMPLE}.html").read_text()
        assert EXTERNAL.search(html) is None, language
        assert "@font-face" not in html  # fonts are named, never embedded or fetched
        assert f">{words[language]}</h2>" in html
        assert ('dir="rtl"' in html) == (language == URDU)
        assert ('dir="rtl"' in (folder / "index.html").read_text()) == (language == URDU)
        sizes[language] = (folder / f"{SAMPLE}.html").stat().st_size
    # The size README states: a translated report is about the English one's size.
    assert all(size <= 1.3 * sizes[ENGLISH] for size in sizes.values()), sizes
    print(f"\n{SAMPLE}.html bytes by language: {sizes}")


@needs_chromium
def test_reports_render_and_print_in_every_language(
    pages: dict[str, Path], browser: Chromium, screenshots: Path
) -> None:
    printed = {}
    for language, folder in pages.items():
        for name in (f"{SAMPLE}.html", "index.html"):
            page = folder / name
            stem = f"{language}.{page.stem}"
            for media, width in (("screen", 1200), ("print", 700)):
                browser.emulate_media(media)
                browser.open(page, offline=True, width=width)
                assert browser.requested_urls() == [page.resolve().as_uri()]
                where = f"{language} {name} ({media})"
                assert browser.evaluate(CLIPPED) == [], f"{where}: text wider than its box"
                assert browser.evaluate(SVG_CLIPPED) == [], f"{where}: plot label cut off"
                assert browser.evaluate(BROKEN_IDS) == [], f"{where}: an ID over two lines"
                page_dir, heading_dir, not_ltr, ids = browser.evaluate(DIRECTIONS)
                expected = "rtl" if language == URDU else "ltr"
                assert (page_dir, heading_dir) == (expected, expected), where
                assert ids and not_ltr == 0, f"{where}: {not_ltr} IDs not left to right"
            browser.emulate_media("")
            browser.screenshot(screenshots / f"{stem}.png")
            printed[(language, name)] = browser.print_pdf(screenshots / f"{stem}.pdf")
    for (language, name), count in printed.items():
        english = printed[(ENGLISH, name)]
        # The same order of pages as English: a translation may run longer, not double.
        assert english / 1.5 <= count <= english * 1.5, (language, name, count, english)
    print(f"\npages printed: {printed}; screenshots and PDFs in {screenshots}")
