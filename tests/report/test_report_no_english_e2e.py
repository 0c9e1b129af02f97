"""No English sentence of labpipe's own in the demo sample's Urdu and Chinese report and index.

The session's demo run is reported again in each language (the ``pages`` fixture of
test_report_languages_e2e). Every run of two or more Latin-script words on the page (its text,
plot labels and tooltips) is looked at: words that come from the data stay as they are (the
lab's names in the config, gene and panel names, ClinVar's classifications and conditions,
csq consequence terms, file names) and so do the terms the glossary keeps in Latin script (tool
names, PASS, Ts/Tv, MANE Select); a run with two or more other words is English that labpipe
wrote and did not translate. The same reader finds plenty of such runs in the English report,
so an empty list means something.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
import yaml

from labpipe.config.settings import DEFAULTS
from labpipe.core import layout
from labpipe.core.i18n import CHINESE, ENGLISH, URDU
from tests.builders import DemoRun
from tests.report.test_report_languages_e2e import SAMPLE, browser, pages, screenshots

pytestmark = pytest.mark.e2e
__all__ = ["browser", "pages", "screenshots"]  # the fixtures

# Kept in Latin script in every language (docs/glossary.md): tools, formats, abbreviations.
KEPT = """
labpipe fastp bwa mem samtools markdup bcftools norm csq roh mosdepth freebayes multiqc MultiQC
ClinVar VCF TSV XLSX GFF HGVS MANE Select Ensembl canonical INFO CALLERS PASS SNV SNVs Ts Tv
QC ROH F_ROH AF bp Mb MiB UTC PKT x sha het hom alt chr chrX chrY X Y A C G T p c g del dup
ins fs LowQual LowDepth IndelArtefact ShadowIndel de novo linked
"""
# Table columns whose text is data (names, classifications, terms), not labpipe's sentences.
DATA_COLUMNS = (
    "gene", "transcript", "consequence", "hgvs_c", "hgvs_p", "protein_change",
    "clinvar_significance", "clinvar_review_status", "clinvar_condition", "in_panel",
)  # fmt: skip
LATIN_RUN = re.compile(r"[A-Za-z][A-Za-z_'’-]*(?:[ ,:;()/.]+[A-Za-z][A-Za-z_'’-]*)+")
WORD = re.compile(r"[A-Za-z]+")


class _Text(HTMLParser):
    """The text a reader sees: text nodes, plot labels, tooltips (no CSS)."""

    def __init__(self) -> None:
        super().__init__()
        self.hidden = 0
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.hidden += tag in ("style", "script")
        self.parts += [value for name, value in attrs if name in ("title", "alt") and value]

    def handle_endtag(self, tag: str) -> None:
        self.hidden -= tag in ("style", "script")

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data)


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def data_words(outdir: Path) -> set[str]:
    """Every word the demo run's data give the report, lower case."""
    texts = list(_strings(yaml.safe_load((outdir / "demo.yaml").read_text())))
    sources = json.loads(layout.in_outdir(outdir, layout.ANNOTATION_SOURCES).read_text())
    for source in sources["sources"]:  # names the lab or the file gives, not labpipe's notes
        texts += [str(source.get(key, "")) for key in ("name", "role", "source", "reference")]
    texts += [panel["name"] for panel in sources["panels"]]
    variants = layout.in_outdir(outdir, layout.VARIANTS_TSV, sample=SAMPLE)
    with open(variants, newline="") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            texts += [row[column] for column in DATA_COLUMNS]
    tiers = DEFAULTS["annotation"]["tiers"]
    texts += tiers["lof_consequences"] + tiers["other_coding_consequences"] + [KEPT]
    return {word.lower() for text in texts for word in WORD.findall(text.replace("_", " "))}


def english_runs(html: str, allowed: set[str]) -> list[str]:
    """Runs of Latin-script words, spaced as a sentence is, with two or more words that are
    not data or kept terms."""
    reader = _Text()
    reader.feed(html)
    found = []
    for text in reader.parts:
        for run in LATIN_RUN.findall(text):
            if " " not in run:  # a file name or config key (results/x.tsv, report.language)
                continue
            words = [w for w in WORD.findall(run) if w.lower() not in allowed]
            if len(words) >= 2 and run not in found:
                found.append(run)
    return found


@pytest.fixture(scope="module")
def allowed(demo_run: DemoRun) -> set[str]:
    return data_words(demo_run.outdir)


@pytest.mark.parametrize("name", [f"{SAMPLE}.html", "index.html"])
def test_no_english_of_labpipes_in_the_urdu_and_chinese_pages(
    pages: dict[str, Path], allowed: set[str], name: str
) -> None:
    english = english_runs((pages[ENGLISH] / name).read_text(), allowed)
    # The reader sees labpipe's English where it is: the check below is not vacuous.
    assert len(english) >= (40 if name.endswith(f"{SAMPLE}.html") else 5), english
    for language in (URDU, CHINESE):
        left = english_runs((pages[language] / name).read_text(), allowed)
        assert left == [], f"{language} {name}: English left: {left}"
