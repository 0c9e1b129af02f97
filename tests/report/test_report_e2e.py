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
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pysam
import pytest
import yaml

from labpipe.annotation.hgvs import hgvs_g
from labpipe.core.resources import demo_data_dir
from labpipe.simulation.demo_annotation import write_demo_annotation
from tests.builders import EXTERNAL, DemoRun
from tests.headless_chromium import Chromium, find_chromium

pytestmark = pytest.mark.e2e

SAMPLES = ("PK001", "PK002")
CHROMIUM = find_chromium()
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="Chromium not installed (Debian: apt-get install chromium)"
)


def run_labpipe(*arguments: str) -> None:
    """``labpipe <arguments> --cores 2``, which must succeed."""
    result = subprocess.run(
        [sys.executable, "-m", "labpipe.cli", *arguments, "--cores", "2"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]


@pytest.fixture(scope="module")
def demo(demo_run: DemoRun) -> Path:
    """The session's shared demo run (tests/conftest.py): read it, never change it."""
    return demo_run.outdir


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


def shown_as(planted: str, demo: Path) -> str:
    """How a report row names a planted variant: its HGVS g. name on the demo reference."""
    where, change = planted.split(" ")
    chrom, pos = where.split(":")
    ref, alt = change.split(">")
    with pysam.FastaFile(str(demo / "reference" / "demo_reference.fa")) as fasta:
        return f"{chrom}:{hgvs_g(fasta, chrom, int(pos), ref, alt)}"


# What the demo's QC comes to (PK001 ~101x, PK002 ~94x over targets, both above every default
# threshold): written out, not recomputed with the verdict code the report itself uses.
DEMO_VERDICT = {"PK001": "PASS", "PK002": "PASS"}


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
    assert verdict == DEMO_VERDICT[sample]
    assert browser.evaluate("document.getElementById('qc-verdict').innerText") == verdict

    # P/LP in a panel gene in tier 1; outside the panel under Incidental findings.
    tier1 = browser.evaluate(
        "document.getElementById('tier-1').nextElementSibling.innerText"
        " + document.getElementById('incidental').innerText"
    )
    missing = {v for v in planted_tier1(sample, tmp_path) if shown_as(v, demo) not in tier1}
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
    targets = {Path(unquote(link.removeprefix("file://"))) for link in links}
    for sample in SAMPLES:
        assert (report_dir(demo) / f"{sample}.html").resolve() in targets
    multiqc = (demo / "results" / "qc" / "multiqc_report.html").resolve()
    assert multiqc in targets
    assert all(target.exists() for target in targets), "a link in index.html leads nowhere"
    text = browser.evaluate("document.body.innerText")
    for sample in SAMPLES:
        assert re.search(rf"{sample}\s+REPORTABLE\s+(PASS|WARN)", text)
    browser.screenshot(screenshots / "index.png")


def test_variant_tables_and_workbooks_agree(demo: Path) -> None:
    from openpyxl import load_workbook

    for sample in SAMPLES:
        with open(demo / "results" / "variants" / f"{sample}.tsv") as handle:
            rows = list(csv.DictReader(handle, delimiter="\t"))
        workbook = load_workbook(demo / "results" / "variants" / f"{sample}.xlsx", read_only=True)
        # Incidental findings (tier 1, marked) have their own sheet, as the report lists them.
        incidental = sum(1 for row in rows if row["incidental"] == "yes")
        assert workbook["Incidental"].max_row - 1 == incidental
        for tier in (1, 2, 3, 4):
            in_tsv = sum(1 for row in rows if row["tier"] == str(tier) and not row["incidental"])
            assert workbook[f"Tier {tier}"].max_row - 1 == in_tsv
            assert in_tsv > 0, f"{sample} has no tier {tier} variant: the demo should show each"
        summary = json.loads((report_dir(demo) / f"{sample}.summary.json").read_text())
        assert summary["incidental"] == incidental  # PASS ones in the report; the demo's all PASS


# ---------------------------------------------------------------------------- statuses


def run_variant(demo: Path, outdir: Path, change: Callable[[dict[str, Any]], None]) -> Path:
    """The demo's config, changed, run into ``outdir`` with the real workflow."""
    config = yaml.safe_load((demo / "demo.yaml").read_text())
    config["output_dir"] = str(outdir)
    change(config)
    outdir.mkdir(parents=True)
    path = outdir / "lab.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    run_labpipe("run", str(path))
    return outdir


@pytest.fixture(scope="module")
def bare(demo: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo without any annotation source (the issue's new user): nothing interpreted."""

    def no_sources(config: dict[str, Any]) -> None:
        config["annotation"] = {"panels": config["annotation"]["panels"]}

    return run_variant(demo, tmp_path_factory.mktemp("report_bare") / "run", no_sources)


@pytest.fixture(scope="module")
def failing(demo: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo with a depth limit PK002 (94x) misses and PK001 (101x) meets; patient columns."""
    outdir = tmp_path_factory.mktemp("report_fail") / "run"
    data = demo_data_dir()

    def stricter(config: dict[str, Any]) -> None:
        config["qc"] = {"min_mean_target_depth": 97.0}
        config["report"] = {"timezone": "Asia/Karachi"}
        with open(data / "samples.tsv") as handle:
            rows = list(csv.DictReader(handle, delimiter="\t"))
        sheet = outdir.parent / "samples.tsv"
        columns = [*rows[0], "patient_id", "date_of_birth", "specimen_type", "referral_reason"]
        lines = ["\t".join(columns)]
        for row in rows:
            row["fq1"], row["fq2"] = str(data / row["fq1"]), str(data / row["fq2"])
            patient = [f"MRN-{row['sample']}", "2019-03-04", "EDTA blood", "Anaemia; ?thal"]
            lines.append("\t".join([*(row[c] for c in rows[0]), *patient]))
        sheet.write_text("\n".join(lines) + "\n")
        config["samples"] = str(sheet)

    return run_variant(demo, outdir, stricter)


def summary(run: Path, sample: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((report_dir(run) / f"{sample}.summary.json").read_text())
    return data


def test_without_annotation_sources_nothing_is_interpreted(bare: Path) -> None:
    for sample in SAMPLES:
        html = (report_dir(bare) / f"{sample}.html").read_text()
        banner = html.index('id="status-banner"')
        assert banner < html.index('id="verdict"') and "NOT INTERPRETED" in html
        for source in ("No gene model", "No ClinVar", "No population frequency"):
            assert f"{source} source configured" in html
        assert 'id="tier-1"' not in html and 'class="cards"' not in html
        assert "No pathogenic" not in html and "None.</p>" not in html
        methods = html[html.index('<section id="methods">') :]
        assert "csq" not in methods and "No ClinVar source was used" in methods
        assert "Reference</dt><dd" in html and "not stated" not in html
        data = summary(bare, sample)
        assert data["status"] == "NOT_INTERPRETED" and data["tiers"] is None
        assert any("ClinVar" in item for item in data["not_checked"])
        # The four planted ClinVar-pathogenic variants are still listed, unclassified.
        assert "NOT INTERPRETED — calls listed without classification" in html
    table = (bare / "results" / "variants" / "PK001.tsv").read_text().splitlines()
    frequency = table[0].split("\t").index("frequency")
    assert {line.split("\t")[frequency] for line in table[1:]} == {"unknown"}
    index = (report_dir(bare) / "index.html").read_text()
    assert "NOT INTERPRETED: 2 of 2 samples" in index
    assert "0 reportable, 0 not reportable (QC fail), 2 not interpreted" in index
    assert "no ClinVar source configured (annotation.clinvar)" in index


def test_qc_failure_is_not_reportable(failing: Path) -> None:
    html = (report_dir(failing) / "PK002.html").read_text()
    assert "NOT REPORTABLE: QC FAIL" in html and "repeat or review" in html
    assert html.index('id="status-banner"') < html.index('id="verdict"')
    assert 'id="tier-1"' not in html and 'class="cards"' not in html
    assert "calls for the laboratory's review only" in html
    data = summary(failing, "PK002")
    assert data["status"] == "NOT_REPORTABLE" and data["tiers"] is None
    assert data["qc_verdict"] == "FAIL" and any(
        "Mean target depth" in r for r in data["qc_reasons"]
    )
    passing = (report_dir(failing) / "PK001.html").read_text()
    assert "status-banner" not in passing and 'id="tier-1"' in passing
    assert "<dt>Patient ID</dt><dd><bdi>MRN-PK001</bdi></dd>" in passing
    assert "<dt>Referral reason</dt><dd><bdi>Anaemia; ?thal</bdi></dd>" in passing
    assert "PKT (UTC+0500)" in passing
    assert summary(failing, "PK001")["status"] == "REPORTABLE"
    index = (report_dir(failing) / "index.html").read_text()
    assert "1 reportable, 1 not reportable (QC fail), 0 not interpreted" in index
    assert "NOT REPORTABLE: QC FAIL — <bdi>PK002</bdi>" in index


# Boxes whose content is wider than the box: text a reader (or the printout) loses.
CLIPPED = """
Array.from(document.querySelectorAll(
  'td, th, dd, dt, h1, h2, h3, p, li, .card, .verdict, .banner, .result-box'))
  .filter(e => e.getClientRects().length && e.scrollWidth > e.clientWidth + 1)
  .map(e => e.tagName + ': ' + e.innerText.slice(0, 80))
"""
# SVG labels outside their SVG's drawing area (cut off at its edge).
SVG_CLIPPED = """
Array.from(document.querySelectorAll('svg')).flatMap(svg => {
  const width = svg.viewBox.baseVal.width;
  return Array.from(svg.querySelectorAll('text')).filter(t => {
    const box = t.getBBox();
    return box.x < -0.5 || box.x + box.width > width + 0.5;
  }).map(t => t.textContent);
})
"""
# Identifiers (sample, gene, transcript, ClinVar ID, region) split over two lines.
BROKEN_IDS = """
Array.from(document.querySelectorAll('.id'))
  .filter(e => e.getClientRects().length > 1).map(e => e.innerText)
"""
# Every variant table's caption row, which print repeats on each page it spans.
CAPTIONS = """
Array.from(document.querySelectorAll('table.variant-table')).filter(t => t.getClientRects().length)
  .map(t => {
    const caption = t.querySelector('thead tr.caption');
    return [getComputedStyle(t.tHead).display, caption ? getComputedStyle(caption).display : '',
            caption ? caption.innerText : ''];
  })
"""

# A variant table's header row, as pdftotext -layout prints it, and the captions above it.
VARIANT_HEADER = re.compile(r"^\s*Gene /\s+Variant \(HGVS\)")
CAPTIONS_PRINTED = (
    "Tier 1:",
    "Tier 2:",
    "Tier 3:",
    "Tier 1-3 calls that failed",
    "Incidental findings",
    "Homozygous variants inside a run",
    "NOT REPORTABLE: QC FAIL",
    "NOT INTERPRETED",
)


def printed_pages(pdf: Path) -> list[list[str]]:
    """The PDF's text, page by page, line by line (poppler's pdftotext, layout kept)."""
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    pages = text.split("\f")
    return [[line for line in page.splitlines() if line.strip()] for page in pages if page.strip()]


# Headings whose table carries them as a caption row in print.
HEADINGS = """
Array.from(document.querySelectorAll('h3.has-table')).map(h => [getComputedStyle(h).display,
  h.innerText, h.nextElementSibling.querySelector('thead tr.caption').innerText])
"""


@needs_chromium
@pytest.mark.parametrize(
    ("run", "sample", "status"),
    [
        ("failing", "PK001", "REPORTABLE"),
        ("failing", "PK002", "NOT_REPORTABLE"),
        ("bare", "PK001", "NOT_INTERPRETED"),
    ],
)
def test_report_reads_and_prints_whole(
    request: pytest.FixtureRequest,
    browser: Chromium,
    screenshots: Path,
    run: str,
    sample: str,
    status: str,
) -> None:
    page = report_dir(request.getfixturevalue(run)) / f"{sample}.html"
    name = f"{status.lower()}.{sample}"
    for media, width in (("screen", 1200), ("print", 700)):
        browser.emulate_media(media)
        browser.open(page, offline=True, width=width)
        assert browser.evaluate(CLIPPED) == [], f"{media}: text cut off"
        assert browser.evaluate(SVG_CLIPPED) == [], f"{media}: plot label cut off"
        assert browser.evaluate(BROKEN_IDS) == [], f"{media}: an ID broken over two lines"
        banner = browser.evaluate("(document.getElementById('status-banner') || {}).innerText")
        if status == "REPORTABLE":
            assert banner is None
        else:
            assert status.replace("_", " ") in banner
            assert browser.evaluate("document.querySelectorAll('[id^=tier-]').length") == 0
        if media == "print":
            captions = browser.evaluate(CAPTIONS)
            assert captions, "no variant table printed"
            for thead, row, text in captions:
                assert (thead, row) == ("table-header-group", "table-row") and text
            if status == "REPORTABLE":
                # Each tier heading is its table's caption row in print (repeated per page).
                headings = browser.evaluate(HEADINGS)
                assert [h for h in headings if h[1].startswith("Tier 1")], headings
                for display, heading, caption in headings:
                    assert display == "none" and caption.strip() == heading.strip()
                note = "getComputedStyle(document.getElementById('tier4-print-note')).display"
                assert browser.evaluate(note) == "block"  # where the unprinted tier 4 is
        browser.screenshot(screenshots / f"{name}.{media}.png", width=width)
    browser.emulate_media("")  # no override: printing uses print media, as a browser does
    pdf = screenshots / f"{name}.pdf"
    pages = browser.print_pdf(pdf)
    assert 2 <= pages <= 12, pages
    if shutil.which("pdftotext"):
        printed = printed_pages(pdf)
        assert len(printed) == pages
        tables = [page for page in printed if any(VARIANT_HEADER.match(line) for line in page)]
        assert tables, "no variant table in the printout"
        for number, page in enumerate(printed, start=1):
            for index, line in enumerate(page):
                if VARIANT_HEADER.match(line):
                    # On every page a variant table reaches, its caption heads it.
                    caption = next(x for x in reversed(page[:index]) if x.strip()).strip()
                    assert caption.startswith(CAPTIONS_PRINTED), (number, caption)
        assert f"Page {pages} of {pages}" in printed[-1][-1]
        assert status.replace("_", " ") in printed[0][-1]  # the margin names the status
    print(f"\n{name}: {screenshots / name}.screen.png, .print.png, .pdf ({pages} A4 pages)")


def test_demo_panel_is_too_small_for_an_autozygosity_estimate(demo: Path) -> None:
    """The demo is a small panel: the ROH section says 'not estimated' with the figures, and
    what-was-not-checked says so, instead of printing an inbreeding coefficient."""
    for sample in SAMPLES:
        html = (report_dir(demo) / f"{sample}.html").read_text()
        found = re.search(r'<p id="autozygosity">(.*?)</p>', html, re.S)
        assert found is not None, sample
        text = found.group(1)
        assert "Not estimated:" in text and "F_ROH 0" not in text
        assert re.search(r"\d[\d,]* autosomal sites spanning [\d.,]+ Mb assessed", text)
        assert "needs at least 2,000 sites spanning 1,000 Mb" in text
        assert "Autozygosity (F_ROH). Not estimated" in html  # what was not checked
