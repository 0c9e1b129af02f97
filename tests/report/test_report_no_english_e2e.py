"""No English sentence of labpipe's own in the demo sample's Urdu and Chinese report and index.

The session's demo run is reported again in each language (the ``pages`` fixture of
test_report_languages_e2e) and read by :func:`tests.report.english_left.english_runs`, with the
words the demo's data give the report (config, sources.json's names, the variant table's
names and terms) allowed. The same reader finds plenty of English in the English report, so
an empty list means something.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from labpipe.core import layout
from labpipe.core.i18n import CHINESE, ENGLISH, URDU
from tests.builders import DemoRun
from tests.report.english_left import DATA_COLUMNS, english_runs, words_in
from tests.report.test_report_languages_e2e import SAMPLE, browser, pages, screenshots

pytestmark = pytest.mark.e2e
__all__ = ["browser", "pages", "screenshots"]  # the fixtures


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


@pytest.fixture(scope="module")
def allowed(demo_run: DemoRun) -> set[str]:
    """Every word the demo run's data give the report."""
    outdir = demo_run.outdir
    texts = list(_strings(yaml.safe_load((outdir / "demo.yaml").read_text())))
    sources = json.loads(layout.in_outdir(outdir, layout.ANNOTATION_SOURCES).read_text())
    for source in sources["sources"]:  # names the lab or the file gives, not labpipe's notes
        texts += [str(source.get(key, "")) for key in ("name", "role", "source", "reference")]
    texts += [panel["name"] for panel in sources["panels"]]
    variants = layout.in_outdir(outdir, layout.VARIANTS_TSV, sample=SAMPLE)
    with open(variants, newline="") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            texts += [row[column] for column in DATA_COLUMNS]
    return words_in(texts)


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
