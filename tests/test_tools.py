"""Tool discovery and version checks behind `labpipe doctor`."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from labpipe.tools import Tool, check_tool, version_tuple


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
