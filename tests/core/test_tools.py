"""Tool discovery and version checks behind `labpipe doctor`."""

from __future__ import annotations

import stat
import sys
from importlib import metadata
from pathlib import Path

import pytest

from labpipe.core import tools
from labpipe.core.errors import MissingToolError
from labpipe.core.tools import TOOLS, Tool, ToolStatus, check_all, check_tool, version_tuple


def fake_tool(tmp_path: Path, name: str, prints: str) -> None:
    script = tmp_path / name
    script.write_text(f"#!/bin/sh\necho '{prints}'\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)


def test_version_tuple() -> None:
    assert version_tuple("1.16.1") == (1, 16, 1)
    assert version_tuple("0.7.17-r1188") == (0, 7, 17, 1188)
    assert version_tuple("1.9") < version_tuple("1.16")


def test_too_old_missing_and_ok(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    tool = Tool(
        "bcftools", "1.16", ("--version",), r"bcftools (\d+(?:\.\d+)+)", "bcftools", "bcftools"
    )
    assert check_tool(tool).problem == "not found on PATH"
    fake_tool(tmp_path, "bcftools", "bcftools 1.9")
    assert check_tool(tool).problem == "version 1.9 is older than 1.16"
    fake_tool(tmp_path, "bcftools", "bcftools 1.21")
    status = check_tool(tool)
    assert status.ok and status.version == "1.21"


def test_console_script_of_labpipes_python_is_read_without_starting_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A Python tool installed beside labpipe: its version comes from the package
    metadata (the script itself, here, would print a wrong one if it were run)."""
    monkeypatch.setenv("PATH", str(tmp_path))
    script = tmp_path / "pytool"
    script.write_text(
        f"#!{Path(sys.executable).parent / 'python3'}\nprint('pytool, version 0.1')\n"
    )
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    tool = Tool(
        "pytool",
        "1.0",
        ("--version",),
        r"version (\d+(?:\.\d+)+)",
        "-",
        "click",
        python_distribution="click",
    )
    status = check_tool(tool)
    assert status.ok and status.version == metadata.version("click")
    # Another environment's script is run and its own answer is used.
    fake_tool(tmp_path, "pytool", "pytool, version 0.1")
    status = check_tool(tool)
    assert status.version == "0.1" and status.problem == "version 0.1 is older than 1.0"


def test_check_all_keeps_the_table_order() -> None:
    assert [s.tool.name for s in check_all()] == [t.name for t in TOOLS]


def only_missing(name: str) -> list[ToolStatus]:
    """Every tool present and new enough except ``name``."""
    return [
        ToolStatus(t, None, None, "not found on PATH")
        if t.name == name
        else ToolStatus(t, f"/bin/{t.name}", t.minimum, None)
        for t in TOOLS
    ]


def test_freebayes_is_required_for_its_caller_or_its_second_opinion(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(tools, "check_all", lambda: only_missing("freebayes"))
    assert "freebayes" not in tools.require_tools("bcftools")
    for caller, second_opinion in (("freebayes", False), ("bcftools", True)):
        with pytest.raises(MissingToolError) as missing:
            tools.require_tools(caller, second_opinion)
        assert "freebayes: not found on PATH" in str(missing.value.problems)


def test_minimap2_is_required_only_when_it_is_the_aligner(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tools, "check_all", lambda: only_missing("minimap2"))
    assert "minimap2" not in tools.require_tools("bcftools", True, "bwa")
    with pytest.raises(MissingToolError) as missing:
        tools.require_tools("bcftools", True, "minimap2")
    assert "minimap2: not found on PATH" in str(missing.value.problems)


def test_doctor_reports_freebayes_missing_because_the_defaults_need_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from click.testing import CliRunner

    from labpipe.cli import cli

    statuses = [
        ToolStatus(t, None, None, "not found on PATH")
        if t.name == "freebayes"
        else ToolStatus(t, f"/bin/{t.name}", t.minimum, None)
        for t in TOOLS
    ]
    monkeypatch.setattr(tools, "check_all", lambda: statuses)
    result = CliRunner().invoke(cli, ["doctor"])
    assert result.exit_code == 1
    line = next(x for x in result.output.splitlines() if "freebayes" in x)
    assert line.startswith("MISSING") and "calling.indel_second_opinion (on by default)" in line


def _record(outdir: Path, rule: str, tools_: list[str], path: str) -> dict[str, object]:
    """``labpipe step tool-versions`` run as a job runs it: in the output folder."""
    import json
    import os
    import subprocess

    subprocess.run(
        [sys.executable, "-m", "labpipe.cli", "step", "tool-versions", "--rule", rule, *tools_],
        cwd=outdir,
        env={**os.environ, "PATH": path},
        check=True,
    )
    recorded: dict[str, object] = json.loads(tools.tool_versions_file(outdir, rule).read_text())
    return recorded


@pytest.mark.skipif(tools.find_executable("bcftools") is None, reason="bcftools not installed")
def test_versions_are_those_of_the_environment_each_rule_ran_in(tmp_path: Path) -> None:
    """A rule's tools as its own environment has them: PATH (apt), or a conda env's bin,
    which Snakemake puts first on PATH when it activates the env (--use-conda)."""
    import os

    outdir = tmp_path / "run"
    outdir.mkdir()
    conda_bin = tmp_path / "conda-env" / "bin"
    conda_bin.mkdir(parents=True)
    fake_tool(conda_bin, "bcftools", "bcftools 1.21")
    on_path = tools.check_tool(next(t for t in TOOLS if t.name == "bcftools"))
    system = _record(outdir, "bcftools_stats", ["bcftools"], os.environ["PATH"])
    assert system == {"bcftools": {"version": on_path.version, "path": on_path.path}}
    conda = _record(outdir, "call_variants", ["bcftools"], f"{conda_bin}:{os.environ['PATH']}")
    assert conda == {"bcftools": {"version": "1.21", "path": str(conda_bin / "bcftools")}}
    recorded = tools.recorded_tool_versions(outdir)
    # Only what ran: no rule ran samtools or fastp here.
    assert list(recorded) == ["bcftools"]
    # In the order of the rules' names.
    assert recorded["bcftools"]["version"] == f"{on_path.version}, 1.21"
    assert recorded["bcftools"]["runs"] == [
        {"version": on_path.version, "path": on_path.path, "rules": ["bcftools_stats"]},
        {"version": "1.21", "path": str(conda_bin / "bcftools"), "rules": ["call_variants"]},
    ]


def test_a_rule_records_its_tools_once_per_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json
    import os
    import time

    from labpipe.core import layout

    monkeypatch.setenv("PATH", str(tmp_path))
    fake_tool(tmp_path, "bcftools", "bcftools 1.21")
    state = tmp_path / layout.RUN_STATE
    state.parent.mkdir()
    state.write_text("{}")
    out = tools.record_tool_versions(tmp_path, "call_chunk", ["bcftools"])
    fake_tool(tmp_path, "bcftools", "bcftools 1.22")
    # The run's later jobs of the rule leave the record alone...
    tools.record_tool_versions(tmp_path, "call_chunk", ["bcftools"])
    assert json.loads(out.read_text())["bcftools"]["version"] == "1.21"
    # ...a new run records again.
    later = time.time() + 5
    os.utime(state, (later, later))
    tools.record_tool_versions(tmp_path, "call_chunk", ["bcftools"])
    assert json.loads(out.read_text())["bcftools"]["version"] == "1.22"
    with pytest.raises(ValueError, match="not tools labpipe knows: gatk"):
        tools.record_tool_versions(tmp_path, "call_chunk", ["bcftools", "gatk"])
