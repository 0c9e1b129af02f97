"""`labpipe demo --explain` and `labpipe demo` in Urdu and Chinese: every sentence of
labpipe's is translated, and every number is the one the English narration reads."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

from labpipe.annotation.tiers import reason_in_words
from labpipe.core.i18n import CHINESE, URDU, _, display_width, using_language
from labpipe.core.resources import demo_data_dir
from labpipe.demo import demo_summary
from labpipe.lesson import narration
from labpipe.lesson.explain import STEPS
from tests.builders import DemoRun
from tests.language_checks import english_words as latin_words
from tests.lesson.conftest import Lesson

# Latin words a translation keeps (glossary: tool, command and file-format names, Sequence
# Ontology terms), and the English msgids' own words that are such names.
KEPT = {
    "fastp", "bwa", "mem", "samtools", "markdup", "mosdepth", "bcftools", "mpileup", "call",
    "freebayes", "norm", "filter", "csq", "labpipe", "demo", "explain", "run", "step", "annotate",
    "sample-report", "indel", "indels", "missense", "stop", "gained", "frameshift", "splice",
    "site",
    "panel",  # the glossary's Chinese term: 基因panel
}  # fmt: skip


#: The workflow's rule names, shown as they are.
RULES = {rule for step in STEPS for rule in step.rules}


def english_words(text: str) -> list[str]:
    """English words of labpipe's left in a narration (commands and names left out)."""
    return latin_words(text, KEPT | RULES)


def narration_of(text: str, label: str) -> str:
    """The steps' narration in a lesson's output, in the current language: each step's
    heading and its indented lines (sentences, command, file, reading ``label``), without the
    workflow's own progress and summary lines."""
    headings = {
        _(narration.STEP_HEADING).format(
            number=number, steps=len(STEPS), title=narration.STEPS[step.key].translated().title
        )
        for number, step in enumerate(STEPS, start=1)
    }
    kept, inside = [], False
    for line in text.splitlines():
        inside = line in headings or (inside and line.startswith("  "))
        kept += [line] if inside else []
    assert sum(label in line for line in kept) == len(STEPS), text
    return "\n".join(kept)


def figures(text: str, label: str) -> list[list[str]]:
    """The numbers of each step's 'What it says' line (``label``), sorted: a translation
    may put them in another order."""
    return [
        sorted(re.findall(r"\d[\d,.]*\d|\d", line.split(label, 1)[1]))
        for line in text.splitlines()
        if label in line
    ]


def tier_reason(outdir: Path, variant: str) -> str:
    """The followed variant's tier_reason, as annotate wrote it (English, for programs)."""
    with open(outdir / "results/variants/PK001.tsv", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    return next(r for r in rows if f"{r['chrom']}:{r['pos']} {r['ref']}>{r['alt']}" == variant)[
        "tier_reason"
    ]


@pytest.mark.e2e
def test_the_narration_is_translated_and_reads_the_same_numbers(
    lesson: Lesson, translated_lesson: tuple[str, Lesson]
) -> None:
    language, taught = translated_lesson
    english = lesson.text
    assert english_words(english), "the check would not see English"
    followed = re.search(r"What it says: (\S+ \S+) in ", lesson.told()["annotation"])
    assert followed is not None
    with using_language(language):
        said = _(narration.NUMBER_LABEL)
        text = narration_of(taught.text, said)
        title = narration.STEPS["trimming"].translated().title
        # The tier reason as the report shows it: ClinVar's own words stay as ClinVar wrote them.
        reason = reason_in_words(tier_reason(taught.outdir, followed.group(1)))
    assert title in text and narration.STEPS["trimming"].title not in text
    assert reason in text
    leftover = english_words(text.replace(reason, ""))
    assert leftover == [], leftover
    readings = figures(text, said)
    assert len(readings) == len(STEPS)
    assert readings == figures(english, narration.NUMBER_LABEL)


@pytest.mark.e2e
@pytest.mark.parametrize("language", [URDU, CHINESE])
def test_the_demo_summary_is_translated_and_its_columns_line_up(
    demo_run: DemoRun, language: str
) -> None:
    english = demo_summary(demo_run.outdir, demo_data_dir()).splitlines()
    with using_language(language):
        lines = demo_summary(demo_run.outdir, demo_data_dir()).splitlines()
    assert english_words("\n".join(lines)) == [], lines
    assert lines[0] != english[0] and lines[1] != english[1]
    # Chinese headings take two columns a character: the figures still sit under them.
    assert len({display_width(line) for line in lines[1:]}) == 1, lines
    assert [line.split() for line in lines[2:]] == [line.split() for line in english[2:]]
