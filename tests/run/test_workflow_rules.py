"""The rule files: each rule's conda environment holds the tools the rule records it ran."""

from __future__ import annotations

import re

import yaml

from labpipe.core.resources import envs_dir
from labpipe.core.tools import TOOLS
from tests.paths import REPO

_RULE = re.compile(r"^rule (\w+):$", re.MULTILINE)
_CONDA = re.compile(r'conda:\s*\n\s*str\(ENVS / "([\w.]+)"\)')
_FINISH_TOOLS = re.compile(r"--tools ([\w,{}]+)")
_TOOL_VERSIONS = re.compile(r"tool-versions --rule \w+ ([\w {}]+?)\)")
# Names common.smk gives a rule's tools, with every tool each may stand for.
_TOOL_NAMES = {
    "{CALLER_TOOLS}": "freebayes,bcftools",
    "{ALIGN_TOOLS}": "fastp,bwa,minimap2,samtools",
    "{ALIGNER}": "bwa,minimap2",
}


def _tools(listed: str) -> set[str]:
    for name, tools in _TOOL_NAMES.items():
        listed = listed.replace(name, tools)
    return set(re.split(r"[, ]+", listed.strip()))


def rule_blocks() -> dict[str, str]:
    """Each rule's text, by name."""
    blocks: dict[str, str] = {}
    for rules in sorted((REPO / "workflow" / "rules").glob("*.smk")):
        text = rules.read_text()
        starts = [(m.group(1), m.start()) for m in _RULE.finditer(text)]
        ends = [start for _, start in starts[1:]] + [len(text)] if starts else []
        for (name, start), end in zip(starts, ends, strict=True):
            blocks[name] = text[start:end]
    return blocks


def test_a_rule_that_records_its_tools_has_them_in_its_conda_env() -> None:
    conda_package = {tool.name: tool.conda_package for tool in TOOLS}
    checked = 0
    for name, block in rule_blocks().items():
        recorded: set[str] = set()
        for m in _FINISH_TOOLS.finditer(block):
            recorded |= _tools(m.group(1))
        for m in _TOOL_VERSIONS.finditer(block):
            recorded |= _tools(m.group(1))
        if not recorded:
            continue
        env = _CONDA.search(block)
        assert env, f"rule {name} runs {sorted(recorded)} but names no conda environment"
        spec = yaml.safe_load((envs_dir() / env.group(1)).read_text())
        packages = {str(dep).split("=")[0] for dep in spec["dependencies"]}
        unknown = recorded - conda_package.keys()
        assert not unknown, f"rule {name} records {sorted(unknown)}: not tools labpipe knows"
        missing = {tool for tool in recorded if conda_package[tool] not in packages}
        assert not missing, f"rule {name}: {env.group(1)} lacks {sorted(missing)}"
        checked += 1
    assert checked >= 12
