"""Finding English that labpipe wrote and did not translate, on a page in another language.

Every run of two or more Latin-script words on the page (its text, plot labels and tooltips),
spaced as a sentence is, is looked at: words that come from the data stay as they are (the
lab's names, gene and panel names, ClinVar's classifications and conditions, csq consequence
terms, file names) and so do the terms the glossary keeps in Latin script (tool names, PASS,
Ts/Tv, MANE Select); a run with two or more other words is English of labpipe's.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from html.parser import HTMLParser

from labpipe.config.settings import DEFAULTS

# Kept in Latin script in every language (docs/glossary.md): tools, formats, abbreviations.
KEPT = """
labpipe fastp bwa mem samtools markdup bcftools norm csq roh mosdepth freebayes multiqc MultiQC
ClinVar VCF TSV XLSX GFF HGVS MANE Select Ensembl canonical INFO CALLERS PASS SNV SNVs Ts Tv
QC ROH F_ROH AF bp Mb MiB UTC PKT x sha het hom alt chr chrX chrY X Y A C G T p c g del dup
ins fs LowQual LowDepth IndelArtefact ShadowIndel de novo linked minimap ax sr
"""
# Table columns whose text is data (names, classifications, terms), not labpipe's sentences.
DATA_COLUMNS = (
    "gene", "transcript", "consequence", "hgvs_c", "hgvs_p", "protein_change",
    "clinvar_significance", "clinvar_review_status", "clinvar_condition", "in_panel",
)  # fmt: skip
_RUN = re.compile(r"[A-Za-z][A-Za-z_'’-]*(?:[ ,:;()/.]+[A-Za-z][A-Za-z_'’-]*)+")
_WORD = re.compile(r"[A-Za-z]+")


def words_in(texts: Iterable[str]) -> set[str]:
    """The words of data texts, with the kept terms and csq's consequence terms, lower case."""
    tiers = DEFAULTS["annotation"]["tiers"]
    every = [*texts, *tiers["lof_consequences"], *tiers["other_coding_consequences"], KEPT]
    return {word.lower() for text in every for word in _WORD.findall(text.replace("_", " "))}


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


def english_runs(html: str, allowed: set[str]) -> list[str]:
    """Runs of Latin-script words, spaced as a sentence is, with two or more words that are
    not in ``allowed`` (see :func:`words_in`)."""
    reader = _Text()
    reader.feed(html)
    found = []
    for text in reader.parts:
        for run in _RUN.findall(text):
            if " " not in run:  # a file name or config key (results/x.tsv, report.language)
                continue
            words = [w for w in _WORD.findall(run) if w.lower() not in allowed]
            if len(words) >= 2 and run not in found:
                found.append(run)
    return found
