"""The workflow's rules and what feeds what, as Snakemake's ``--rulegraph`` says, for a picture.

``labpipe run CONFIG --dry-run --dag FILE.svg`` draws it (:mod:`labpipe.report.workflow_svg`)
for slides and the teaching handouts. It asks the same Snakemake, with the same config, that a
run would use, so the picture cannot drift from the rules; and it needs no Graphviz.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from labpipe.core.errors import RunError
from labpipe.core.resources import workflow_dir

_NODE = re.compile(r'^\s*(\d+)\[label = "([^"]+)"')
_EDGE = re.compile(r"^\s*(\d+) -> (\d+)\s*$")
_RULE = re.compile(r"^rule (\w+):", re.MULTILINE)


@dataclass(frozen=True)
class RuleGraph:
    """The rules a run needs and the edges between them.

    Attributes:
        rules: Rule names, in Snakemake's order.
        edges: ``(producer, consumer)``: the consumer reads an output of the producer.
        stages: Each rule's stage: the name of its file under ``workflow/rules/`` (``align``,
            ``call``…); ``all`` for the Snakefile's ``rule all``.
    """

    rules: list[str]
    edges: list[tuple[str, str]]
    stages: dict[str, str]


def parse_rulegraph(dot: str) -> tuple[list[str], list[tuple[str, str]]]:
    """Rule names and edges from Snakemake's ``--rulegraph`` (Graphviz dot) text."""
    names: dict[str, str] = {}
    edges: list[tuple[str, str]] = []
    for line in dot.splitlines():
        if node := _NODE.match(line):
            names[node[1]] = node[2]
        elif edge := _EDGE.match(line):
            edges.append((edge[1], edge[2]))
    return list(names.values()), [(names[a], names[b]) for a, b in edges]


def rule_stages(rules_dir: Path) -> dict[str, str]:
    """Each rule's stage: the file of ``rules_dir`` that defines it."""
    return {
        rule: path.stem
        for path in sorted(rules_dir.glob("*.smk"))
        for rule in _RULE.findall(path.read_text())
    }


def rule_graph(config_path: Path, outdir: Path) -> RuleGraph:
    """The rule graph of a run of ``config_path`` into ``outdir`` (nothing is run).

    Raises:
        RunError: When Snakemake cannot build the graph (its message is passed on).
    """
    from labpipe.run.runner import snakemake_command

    command = [*snakemake_command(config_path, outdir, 1, False, False), "--rulegraph"]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    rules, edges = parse_rulegraph(done.stdout)
    if done.returncode != 0 or not rules:
        tail = "\n".join(done.stderr.strip().splitlines()[-10:])
        raise RunError(f"Snakemake could not draw the workflow's rule graph:\n{tail}")
    stages = rule_stages(workflow_dir() / "rules")
    return RuleGraph(rules, edges, {rule: stages.get(rule, "all") for rule in rules})


def draw_workflow(config_path: Path, outdir: Path, out_svg: Path) -> RuleGraph:
    """Write the rule graph of a run of ``config_path`` as an SVG picture (written atomically).

    Returns:
        The graph drawn.
    """
    from labpipe.core.atomic import write_text_atomic
    from labpipe.report.workflow_svg import workflow_svg

    graph = rule_graph(config_path, outdir)
    title = f"labpipe workflow for {config_path.name}: {len(graph.rules)} rules"
    write_text_atomic(out_svg, workflow_svg(graph.rules, graph.edges, graph.stages, title))
    return graph
