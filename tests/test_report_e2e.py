"""The demo's clinical reports, opened in a real headless Chromium with the network off.

One ``labpipe demo`` run serves the module. Each report is loaded over the
DevTools protocol with the page's network switched off and every request
recorded: the page may load nothing but itself. The tests then read what the
browser rendered: each sample's QC verdict, and every planted variant the
demo's ClinVar-style source calls pathogenic, in the tier 1 table. A PNG of
each page and an A4 PDF as the browser prints it are written for people to
look at (``LABPIPE_SCREENSHOT_DIR``, else the test's temporary folder; the
path is printed).

Chromium comes from the Debian package ``chromium`` (``make test`` installs
it); without it these tests skip.
"""

from __future__ import annotations

import csv
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from headless_chromium import Chromium, find_chromium
from labpipe.config import load_config
from labpipe.demo_annotation import write_demo_annotation
from labpipe.qc import read_qc_table
from labpipe.qc_verdict import qc_verdict, variant_counts
from labpipe.resources import demo_data_dir
from labpipe.variant_table import read_annotated_table
from test_report_html import EXTERNAL

pytestmark = pytest.mark.e2e

SAMPLES = ("PK001", "PK002")
CHROMIUM = find_chromium()
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="Chromium not installed (Debian: apt-get install chromium)"
)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    outdir = tmp_path_factory.mktemp("report_e2e") / "demo"
    result = subprocess.run(
        [sys.executable, "-m", "labpipe.cli", "demo", "--outdir", str(outdir), "--cores", "2"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return outdir


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    chosen = os.environ.get("LABPIPE_SCREENSHOT_DIR")
    directory = Path(chosen) if chosen else tmp_path_factory.mktemp("report-screenshots")
    directory.mkdir(parents=True, exist_ok=True)
    return directory


@pytest.fixture(scope="module")
def browser() -> Chromium:
    if CHROMIUM is None:
        pytest.skip("Chromium not installed (Debian: apt-get install chromium)")
    with Chromium(CHROMIUM) as chromium:
        yield chromium


def report_dir(demo: Path) -> Path:
    return demo / "results" / "report"


def planted_tier1(sample: str, scratch: Path) -> set[str]:
    """'chrom:pos ref>alt' of the planted variants the demo ClinVar calls P/LP in this sample."""
    data = demo_data_dir()
    written = write_demo_annotation(
        data / "truth.vcf.gz", data / "genes.gff3", data / "reference.fa", scratch
    )
    index = SAMPLES.index(sample)
    return {
        f"{e.planted.chrom}:{e.planted.pos} {e.planted.ref}>{e.planted.alt}"
        for e in written.clinvar
        if e.pathogenic and "1" in e.planted.genotypes[index]
    }


def expected_verdict(demo: Path, sample: str) -> str:
    config = load_config(demo / "demo.yaml")
    qc = {row.sample: row for row in read_qc_table(demo / "results" / "qc" / "qc_summary.tsv")}
    table = read_annotated_table(demo / "results" / "variants" / f"{sample}.tsv")
    counts = variant_counts(v.row for v in table.variants)
    return qc_verdict(sample, qc[sample], counts, config["qc"]).overall


def test_every_report_and_the_index_are_written(demo: Path) -> None:
    for name in (*(f"{s}.html" for s in SAMPLES), "index.html"):
        html = (report_dir(demo) / name).read_text()
        assert EXTERNAL.search(html) is None, f"{name} refers to something outside itself"
    manifest = (demo / "results" / "run_manifest.json").read_text()
    assert "results/report/PK001.html" in manifest


@needs_chromium
@pytest.mark.parametrize("sample", SAMPLES)
def test_report_in_chromium_offline(
    demo: Path, browser: Chromium, screenshots: Path, sample: str, tmp_path: Path
) -> None:
    page = report_dir(demo) / f"{sample}.html"
    browser.open(page, offline=True)
    requested = browser.requested_urls()
    assert requested == [page.resolve().as_uri()], f"the report made requests: {requested}"

    verdict = browser.evaluate("document.querySelector('#verdict .word').innerText")
    assert verdict == expected_verdict(demo, sample).upper()
    assert browser.evaluate("document.getElementById('qc-verdict').innerText") == verdict

    tier1 = browser.evaluate("document.getElementById('tier-1').nextElementSibling.innerText")
    missing = {v for v in planted_tier1(sample, tmp_path) if v not in tier1}
    assert not missing, f"planted tier-1 variants not shown in {sample}'s tier 1: {missing}"
    assert browser.evaluate("document.querySelectorAll('svg').length") >= 1

    png = screenshots / f"{sample}.report.png"
    browser.screenshot(png)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 50_000
    pdf = screenshots / f"{sample}.report.pdf"
    pages = browser.print_pdf(pdf)
    assert 2 <= pages <= 20
    # A4 in PostScript points, as the report's @page asks.
    boxes = re.findall(rb"/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]", pdf.read_bytes())
    assert boxes and all(
        abs(float(w) - 595.3) < 1 and abs(float(h) - 841.9) < 1 for w, h in boxes
    ), boxes
    print(f"\n{sample}: screenshot {png}, print {pdf} ({pages} A4 pages)")


@needs_chromium
def test_index_links_every_report_and_multiqc(
    demo: Path, browser: Chromium, screenshots: Path
) -> None:
    index = report_dir(demo) / "index.html"
    browser.open(index, offline=True)
    assert browser.requested_urls() == [index.resolve().as_uri()]
    links = browser.evaluate("Array.from(document.links).map(a => a.href)")
    targets = {Path(link.removeprefix("file://")) for link in links}
    for sample in SAMPLES:
        assert (report_dir(demo) / f"{sample}.html").resolve() in targets
    multiqc = (demo / "results" / "qc" / "multiqc_report.html").resolve()
    assert multiqc in targets
    assert all(target.exists() for target in targets), "a link in index.html leads nowhere"
    text = browser.evaluate("document.body.innerText")
    for sample in SAMPLES:
        assert re.search(rf"{sample}\s+(PASS|WARN|FAIL)", text)
    browser.screenshot(screenshots / "index.png")


def test_variant_tables_and_workbooks_agree(demo: Path) -> None:
    from openpyxl import load_workbook

    for sample in SAMPLES:
        with open(demo / "results" / "variants" / f"{sample}.tsv") as handle:
            rows = list(csv.DictReader(handle, delimiter="\t"))
        workbook = load_workbook(demo / "results" / "variants" / f"{sample}.xlsx", read_only=True)
        for tier in (1, 2, 3, 4):
            in_tsv = sum(1 for row in rows if row["tier"] == str(tier))
            assert workbook[f"Tier {tier}"].max_row - 1 == in_tsv
            assert in_tsv > 0, f"{sample} has no tier {tier} variant: the demo should show each"
