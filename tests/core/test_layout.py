"""Output names are spelled once, in labpipe.core.layout."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from labpipe.core import layout
from tests.paths import REPO


def test_templates_fill_in_and_lists_follow_the_settings() -> None:
    assert layout.path(layout.FASTP_JSON, sample="S1", unit="L1") == (
        "results/qc/fastp/S1.L1.fastp.json"
    )
    assert layout.in_outdir(Path("/out"), layout.BAM, sample="S1") == Path(
        "/out/results/bam/S1.bam"
    )
    plain = layout.final_outputs(["S1", "S2"], annotate=False)
    annotated = layout.final_outputs(["S1", "S2"], annotate=True)
    assert plain[-1] == annotated[-1] == layout.MANIFEST
    assert set(annotated) - set(plain) == {
        "results/vcf/S1.annotated.vcf.gz",
        "results/vcf/S1.annotated.vcf.gz.tbi",
        "results/vcf/S2.annotated.vcf.gz",
        "results/vcf/S2.annotated.vcf.gz.tbi",
    }
    assert layout.clinical_outputs(["S1"], reports=False) == ["results/variants/S1.xlsx"]
    assert layout.clinical_outputs(["S1"], reports=True) == [
        "results/variants/S1.xlsx",
        "results/report/S1.html",
        layout.REPORT_BATCH,
        layout.REPORT_INDEX,
    ]
    assert layout.clinical_outputs(["S1"], reports=True, families=["F1"])[-3:] == [
        "results/report/family-F1.html",
        layout.REPORT_BATCH,
        layout.REPORT_INDEX,
    ]
    assert layout.family_vcf("F1") == "results/family/F1.vcf.gz"


def test_every_template_is_under_its_folder_and_names_only_known_wildcards() -> None:
    templates = {
        name: value
        for name, value in vars(layout).items()
        if name.isupper() and isinstance(value, str)
    }
    for name, value in templates.items():
        assert value.startswith((layout.RESULTS, layout.STATE_DIR, "../")), name
        assert set(re.findall(r"{(\w+)}", value)) <= {"sample", "unit", "chunk", "family"}, name
    # One name per file: no two templates spell the same path.
    assert len(set(templates.values())) == len(templates)


def _code_strings(source: str) -> list[str]:
    """The string constants of a module, its docstrings left out (they may name outputs)."""
    tree = ast.parse(source)
    documented = (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)
    docs = {ast.get_docstring(n, clean=False) for n in ast.walk(tree) if isinstance(n, documented)}
    strings = [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant)]
    return [text for text in strings if isinstance(text, str) and text not in docs]


def test_no_output_path_is_spelled_outside_the_layout() -> None:
    # A path under results/ or .labpipe/, or a join such as outdir / "results" / "bam".
    spelled = re.compile(r"(?:^|[\s\"'])(?:results|\.labpipe)(?:/|$)")
    found = []
    for module in sorted((REPO / "src" / "labpipe").rglob("*.py")):
        if module.name == "layout.py":
            continue
        for text in _code_strings(module.read_text()):
            if spelled.search(text):
                found.append(f"{module.relative_to(REPO)}: {text!r}")
    for rules in sorted((REPO / "workflow").rglob("*.smk")):
        for number, line in enumerate(rules.read_text().splitlines(), start=1):
            code = line.split("#", 1)[0]
            if spelled.search(code):
                found.append(f"{rules.relative_to(REPO)}:{number}: {line.strip()}")
    assert found == []
