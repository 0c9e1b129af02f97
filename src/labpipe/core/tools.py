"""The external tools labpipe runs: how to find them and their versions.

``labpipe doctor`` and the run manifest both read this one table.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from labpipe.core.errors import MissingToolError


@dataclass(frozen=True)
class Tool:
    """An external program labpipe needs.

    Attributes:
        name: Executable name.
        minimum: Oldest version known to work, as a dotted string.
        version_args: Arguments that make it print its version.
        pattern: Regex whose group 1 is the version in that output.
        debian_package: The apt package that provides it.
        conda_package: The bioconda/conda-forge package that provides it.
        needed_for: Empty when always needed, else the settings that need it.
        needed_by_default: The default settings need it (a lab may switch them off).
        python_distribution: For a tool that is a Python console script: its
            distribution, whose installed version is read directly when the script
            runs on labpipe's own Python (starting MultiQC only to print its version
            takes over a second).
    """

    name: str
    minimum: str
    version_args: tuple[str, ...]
    pattern: str
    debian_package: str
    conda_package: str
    needed_for: str = ""
    needed_by_default: bool = False
    python_distribution: str = ""


TOOLS: tuple[Tool, ...] = (
    Tool("fastp", "0.23.0", ("--version",), r"fastp (\d+(?:\.\d+)+)", "fastp", "fastp"),
    Tool("bwa", "0.7.17", (), r"Version: (\d+\.\d+\.\d+)", "bwa", "bwa"),
    Tool("samtools", "1.16", ("--version",), r"samtools (\d+(?:\.\d+)+)", "samtools", "samtools"),
    Tool("bcftools", "1.16", ("--version",), r"bcftools (\d+(?:\.\d+)+)", "bcftools", "bcftools"),
    Tool("bgzip", "1.16", ("--version",), r"bgzip \(htslib\) (\d+(?:\.\d+)+)", "tabix", "htslib"),
    Tool("tabix", "1.16", ("--version",), r"tabix \(htslib\) (\d+(?:\.\d+)+)", "tabix", "htslib"),
    Tool("mosdepth", "0.3.3", ("--version",), r"mosdepth (\d+(?:\.\d+)+)", "mosdepth", "mosdepth"),
    Tool(
        "multiqc",
        "1.25",
        ("--version",),
        r"version (\d+(?:\.\d+)+)",
        "-",
        "multiqc",
        python_distribution="multiqc",
    ),
    Tool(
        "freebayes",
        "1.3.6",
        ("--version",),
        r"v(\d+(?:\.\d+)+)",
        "freebayes",
        "freebayes",
        needed_for="calling.indel_second_opinion (on by default) or calling.caller: freebayes",
        needed_by_default=True,
    ),
    Tool(
        "minimap2",
        "2.24",
        ("--version",),
        r"(\d+\.\d+)",
        "minimap2",
        "minimap2",
        needed_for="alignment.aligner: minimap2",
    ),
)


@dataclass(frozen=True)
class ToolStatus:
    """What was found for one tool.

    Attributes:
        tool: The tool.
        path: Where it was found, or None.
        version: The version it printed, or None.
        problem: Why it cannot be used, or None when it is fine.
    """

    tool: Tool
    path: str | None
    version: str | None
    problem: str | None

    @property
    def ok(self) -> bool:
        """True when the tool is present and new enough."""
        return self.problem is None


def version_tuple(version: str) -> tuple[int, ...]:
    """'1.16.1' -> (1, 16, 1); non-numeric parts are dropped."""
    return tuple(int(part) for part in re.findall(r"\d+", version))


def find_executable(name: str) -> str | None:
    """A tool on PATH, or beside the running Python (a venv's bin/)."""
    found = shutil.which(name)
    if found:
        return found
    beside = Path(sys.executable).parent / name
    return str(beside) if beside.exists() else None


def _runs_on_this_python(script: str) -> bool:
    """True when ``script``'s ``#!`` line names a Python in labpipe's own environment.

    Compared by folder, not by resolved file: every venv's python links to the same
    interpreter, but only this one's packages are the ones labpipe can read.
    """
    try:
        with open(script, "rb") as handle:
            first = handle.readline(4096)
    except OSError:
        return False
    words = first[2:].split()
    if not first.startswith(b"#!") or not words or not words[0].startswith(b"/"):
        return False
    interpreter = Path(words[0].decode(errors="replace"))
    return interpreter.parent == Path(sys.executable).parent


def check_tool(tool: Tool) -> ToolStatus:
    """Find a tool and compare its version with the minimum."""
    path = find_executable(tool.name)
    if path is None:
        return ToolStatus(tool, None, None, "not found on PATH")
    if tool.python_distribution and _runs_on_this_python(path):
        try:
            version = metadata.version(tool.python_distribution)
        except metadata.PackageNotFoundError:
            pass
        else:
            return _judged(tool, path, version)
    try:
        result = subprocess.run(
            [path, *tool.version_args],
            capture_output=True,
            text=True,
            errors="replace",
            timeout=60,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return ToolStatus(tool, path, None, f"cannot run it: {exc}")
    match = re.search(tool.pattern, result.stdout + result.stderr)
    if match is None:
        first = (result.stdout + result.stderr).strip().splitlines()[:1]
        said = first[0] if first else "nothing"
        return ToolStatus(tool, path, None, f"cannot read its version (it printed: {said})")
    return _judged(tool, path, match.group(1))


def _judged(tool: Tool, path: str, version: str) -> ToolStatus:
    if version_tuple(version) < version_tuple(tool.minimum):
        return ToolStatus(tool, path, version, f"version {version} is older than {tool.minimum}")
    return ToolStatus(tool, path, version, None)


def check_all() -> list[ToolStatus]:
    """Status of every tool in :data:`TOOLS`, in that order (probed concurrently)."""
    with ThreadPoolExecutor(max_workers=len(TOOLS)) as pool:
        return list(pool.map(check_tool, TOOLS))


def require_tools(
    caller: str = "bcftools", second_opinion: bool = False, aligner: str = "bwa"
) -> dict[str, str]:
    """Versions of the tools a run needs, or an error listing every missing/old one.

    Args:
        caller: The configured variant caller; freebayes is needed only for it...
        second_opinion: ...or for its second opinion on bcftools' indels.
        aligner: The configured aligner; minimap2 is needed only for it.

    Raises:
        MissingToolError: With the install command for the missing tools.
    """
    optional = {caller, aligner} | ({"freebayes"} if second_opinion else set())
    statuses = [s for s in check_all() if not s.tool.needed_for or s.tool.name in optional]
    bad = [s for s in statuses if not s.ok]
    if bad:
        raise MissingToolError(
            "some tools labpipe needs are missing or too old; run `make setup` "
            "(or see `labpipe doctor`)",
            [f"{s.tool.name}: {s.problem}" for s in bad],
        )
    return {s.tool.name: s.version or "" for s in statuses}


def install_hint(statuses: list[ToolStatus]) -> str:
    """The command that installs the missing tools, for the doctor's report."""
    missing = [s.tool for s in statuses if not s.ok]
    apt = sorted({t.debian_package for t in missing if t.debian_package != "-"})
    conda = sorted({t.conda_package for t in missing})
    hints = []
    if apt:
        hints.append(f"Debian/Ubuntu: sudo apt-get install -y {' '.join(apt)}")
    if conda:
        hints.append(f"conda: mamba install -c conda-forge -c bioconda {' '.join(conda)}")
    if any(t.name == "multiqc" for t in missing):
        hints.append("multiqc: pip install multiqc (inside labpipe's .venv: make setup)")
    return "\n".join(hints)


def tool_versions_file(outdir: Path, rule: str) -> Path:
    """Where the versions of the tools a workflow rule ran are recorded."""
    from labpipe.core import layout

    return outdir / layout.TOOL_VERSIONS_DIR / f"{rule}.json"


def record_tool_versions(outdir: Path, rule: str, names: Sequence[str]) -> Path:
    """Record the versions of the tools ``rule`` runs, as this process finds them.

    Called from inside the rule's job, so the tools are those of the job's own
    environment (its conda environment under ``--use-conda``, PATH otherwise):
    the manifest then reports what ran, not what ``labpipe`` itself finds on PATH.
    Once a run has recorded a rule, its later jobs leave the file alone (the
    environment is the same within a run).

    Raises:
        ValueError: If a name is not one of :data:`TOOLS`.
    """
    import json

    from labpipe.core import layout
    from labpipe.core.atomic import write_text_atomic

    known = {tool.name: tool for tool in TOOLS}
    unknown = [name for name in names if name not in known]
    if unknown:
        raise ValueError(f"not tools labpipe knows: {', '.join(unknown)}")
    out = tool_versions_file(outdir, rule)
    run_state = outdir / layout.RUN_STATE
    if out.exists() and run_state.exists() and out.stat().st_mtime > run_state.stat().st_mtime:
        return out
    statuses = [check_tool(known[name]) for name in names]
    record = {s.tool.name: {"version": s.version, "path": s.path} for s in statuses}
    write_text_atomic(out, json.dumps(record, indent=2) + "\n")
    return out


def recorded_tool_versions(outdir: Path) -> dict[str, dict[str, object]]:
    """The tools the workflow's rules ran, from what each rule recorded.

    Returns:
        By tool, in :data:`TOOLS` order: ``version`` (several, comma-separated, when
        rules saw different ones), ``minimum``, and ``runs``: each version and path
        seen with the rules that ran it.
    """
    import json

    from labpipe.core import layout

    seen: dict[str, dict[tuple[str | None, str | None], list[str]]] = {}
    for record in sorted((outdir / layout.TOOL_VERSIONS_DIR).glob("*.json")):
        try:
            tools = json.loads(record.read_text())
        except (OSError, ValueError):
            continue
        for name, entry in tools.items():
            key = (entry.get("version"), entry.get("path"))
            seen.setdefault(name, {}).setdefault(key, []).append(record.stem)
    versions: dict[str, dict[str, object]] = {}
    for tool in TOOLS:
        if tool.name not in seen:
            continue
        runs = [
            {"version": version, "path": path, "rules": rules}
            for (version, path), rules in seen[tool.name].items()
        ]
        distinct = dict.fromkeys(str(run["version"]) for run in runs if run["version"])
        versions[tool.name] = {
            "version": ", ".join(distinct) or None,
            "minimum": tool.minimum,
            "runs": runs,
        }
    return versions
