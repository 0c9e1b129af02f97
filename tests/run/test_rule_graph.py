"""`labpipe run CONFIG --dry-run --dag FILE.svg`: the real workflow's rule graph, drawn."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from labpipe.core.resources import workflow_dir
from labpipe.demo import prepare_demo
from labpipe.run.rule_graph import parse_rulegraph, rule_graph
from tests.builders import run_cli

SVG = "{http://www.w3.org/2000/svg}"


def test_the_picture_names_every_rule_of_the_workflow(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = prepare_demo(tmp_path / "demo", overwrite=False)
    picture = tmp_path / "slides" / "workflow.svg"
    picture.parent.mkdir()
    code, out, err = run_cli(["run", str(config), "--dry-run", "--dag", str(picture)], capsys)
    assert code == 0, err
    # Every rule this config's run needs (Snakemake's own rule graph); family rules, for
    # instance, are not needed by the demo's singletons and are not drawn.
    rules = set(rule_graph(config, tmp_path / "demo").rules) - {"all"}
    in_files = {
        rule
        for path in (workflow_dir() / "rules").glob("*.smk")
        for rule in re.findall(r"^rule (\w+):", path.read_text(), re.MULTILINE)
    }
    assert len(rules) > 20 and rules <= in_files
    root = ET.parse(picture).getroot()
    named = {t.text for t in root.iter(f"{SVG}text")}
    assert rules | {"all"} <= named, sorted(rules - named)
    assert f"the workflow's {len(rules) + 1} rules drawn in {picture}" in out


def test_dag_without_dry_run_is_refused_before_anything_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run_cli(
        ["run", str(tmp_path / "lab.yaml"), "--dag", str(tmp_path / "w.svg")], capsys
    )
    assert code == 2
    assert "add --dry-run" in err
    assert not (tmp_path / "w.svg").exists()


def test_snakemakes_dot_text_is_read_into_rules_and_edges() -> None:
    dot = (
        "digraph snakemake_dag {\n    graph[bgcolor=white];\n"
        '\t0[label = "all", color = "0.1 0.6 0.85", style="rounded"];\n'
        '\t1[label = "markdup", color = "0.2 0.6 0.85", style="rounded"];\n'
        "\t1 -> 0\n}\n"
    )
    assert parse_rulegraph(dot) == (["all", "markdup"], [("markdup", "all")])
