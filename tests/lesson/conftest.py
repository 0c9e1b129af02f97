"""The lesson (`labpipe demo --explain --pause`), run once a session per language."""

from __future__ import annotations

import gzip
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pysam
import pytest

from labpipe.core.i18n import CHINESE, LANG_ENV, URDU, current_language, set_language
from labpipe.demo import run_demo
from labpipe.lesson.explain import STEPS

SAMPLE = "PK001"


@dataclass
class Lesson:
    """One `labpipe demo --explain --pause` run in this process, and what its files held
    while the lesson ran (the temporary ones are gone once it has finished)."""

    outdir: Path
    lines: list[str] = field(default_factory=list)
    waits: int = 0
    #: Read by the test, without the package's parsers, before the last step ran.
    seen: dict[str, object] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    def told(self) -> dict[str, str]:
        """Each step's narration, by step key."""
        parts = self.text.split("\nStep ")[1:]
        assert len(parts) == len(STEPS), self.text
        return {step.key: part for step, part in zip(STEPS, parts, strict=True)}

    def wait(self) -> bool:
        self.waits += 1
        if self.waits == len(STEPS) - 1:  # before the report: every earlier file is there
            self.seen = files_read_by_hand(self.outdir)
        return True


def bcf_count(path: Path) -> int:
    if path.stat().st_size == 0:
        return 0
    pysam.set_verbosity(0)
    with pysam.VariantFile(str(path)) as vcf:
        return sum(1 for _ in vcf)


def files_read_by_hand(out: Path) -> dict[str, object]:
    """The lesson's temporary files as they are during the lesson."""
    chunks = sorted((out / "results/vcf/chunks").glob(f"{SAMPLE}.*.bcf"))
    windows = (out / f"results/vcf/second_opinion/{SAMPLE}.windows.bed").read_text()
    csq = []
    with gzip.open(out / f"results/vcf/{SAMPLE}.csq.vcf.gz", "rt") as handle:
        for line in handle:
            if line.startswith("#"):
                continue
            fields = line.split("\t")
            info = dict(f.split("=", 1) for f in fields[7].split(";") if "=" in f)
            if fields[6] == "PASS" and "BCSQ" in info:
                label = f"{fields[0]}:{fields[1]} {fields[3]}>{fields[4]}"
                terms = [
                    (term.lstrip("*"), entry.split("|")[1])
                    for entry in info["BCSQ"].split(",")
                    if not entry.startswith("@")
                    for term in entry.split("|")[0].split("&")
                ]
                csq.append((label, terms))
    return {
        "chunk_files": len(chunks),
        "chunk_records": sum(bcf_count(c) for c in chunks),
        "windows": sum(bool(line.strip()) for line in windows.splitlines()),
        "freebayes": bcf_count(out / f"results/vcf/second_opinion/{SAMPLE}.freebayes.bcf"),
        "csq": csq,
    }


@contextmanager
def speaking(language: str | None) -> Iterator[None]:
    """labpipe's language as `--lang` sets it (the workflow's steps inherit it); the
    language in force before comes back after."""
    before = os.environ.get(LANG_ENV)
    spoken = current_language()
    if language:
        os.environ[LANG_ENV] = language
    try:
        yield
    finally:
        set_language(spoken)  # the run set the lab's language for this whole process
        if before is None:
            os.environ.pop(LANG_ENV, None)
        else:
            os.environ[LANG_ENV] = before


def run_lesson(outdir: Path, language: str | None = None) -> Lesson:
    """The lesson, run as `labpipe demo --explain --pause` runs it, Enter pressed at once."""
    taught = Lesson(outdir)
    with speaking(language):
        run_demo(outdir, 2, False, taught.lines.append, explain=True, pause=True,
                 wait=taught.wait)  # fmt: skip
    return taught


@pytest.fixture(scope="session")
def lesson(tmp_path_factory: pytest.TempPathFactory) -> Lesson:
    """The lesson in English. READ-ONLY."""
    return run_lesson(tmp_path_factory.mktemp("lesson") / "lesson")


@pytest.fixture(scope="session", params=[URDU, CHINESE])
def translated_lesson(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[str, Lesson]:
    """The lesson in Urdu, then in Chinese (`--lang`), with its language. READ-ONLY."""
    language = str(request.param)
    return language, run_lesson(tmp_path_factory.mktemp("lesson") / language, language)
