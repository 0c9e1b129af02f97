"""`snakemake --lint` over the workflow, as `make test` runs it; exit 1 on any lint.

Linted with the demo config (config/demo.yaml): every rule is defined whatever the
config, and this one also takes the optional inputs (targets, annotation sources,
ROH, the second opinion), so no branch of an input function goes unlinted. The
output folder is a temporary one: the workflow writes its checksum cache there.

One lint is accepted, and only where it holds: "Specify a conda environment or
container for each rule" on a rule whose command runs nothing but `labpipe …`.
Those steps are labpipe's own Python, which runs in labpipe's environment (the
locked install `make setup` makes), never in a per-rule conda environment; a rule
that runs any other program must name its conda environment.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CONDA_LINT = "Specify a conda environment or container for each rule."
_RULE = re.compile(r"^Lints for rule (?P<rule>\w+) \(line (?P<line>\d+), (?P<file>.+)\):$")
_SNAKEFILE = re.compile(r"^Lints for snakefile (?P<file>.+):$")
_LINT = re.compile(r"^    \* (?P<title>.+?):?$")
# A rule's shell command that runs only labpipe: every command of it is `labpipe …`.
_SHELL = re.compile(r"^\s+shell:\s*$")
_COMMAND = re.compile(r"(?:^|&&|\|\||;|\|)\s*\(?\s*(?P<program>[\w./-]+)")


def lint(config: Path) -> str:
    """Snakemake's lint report (text) for the workflow with ``config``."""
    with tempfile.TemporaryDirectory(prefix="labpipe-lint-") as outdir:
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "snakemake",
                "--lint",
                "--snakefile",
                str(REPO / "workflow" / "Snakefile"),
                "--directory",
                outdir,
                "--config",
                f"labpipe_config={config.resolve()}",
                f"labpipe_outdir={outdir}",
            ],
            capture_output=True,
            text=True,
            check=False,
        )
    return result.stdout + result.stderr


def rule_programs(snakefile: Path, line: int) -> set[str]:
    """The programs the shell command of the rule starting at ``line`` runs."""
    lines = snakefile.read_text().splitlines()[line - 1 :]
    start = next((i for i, text in enumerate(lines) if _SHELL.match(text)), None)
    if start is None:
        return set()
    command = []
    for text in lines[start + 1 :]:
        if not text.startswith("        "):
            break
        command.extend(re.findall(r'"((?:[^"\\]|\\.)*)"', text))
    return {m["program"] for m in _COMMAND.finditer("".join(command))}


def problems(report: str) -> list[str]:
    """Every lint in ``report`` but a missing conda environment of a labpipe-only rule."""
    found: list[str] = []
    where = ""
    rule: tuple[str, Path, int] | None = None
    for text in report.splitlines():
        if m := _RULE.match(text):
            where = f"rule {m['rule']} ({m['file']}, line {m['line']})"
            rule = (m["rule"], Path(m["file"]), int(m["line"]))
        elif m := _SNAKEFILE.match(text):
            where, rule = m["file"], None
        elif (m := _LINT.match(text)) and where:
            title = m["title"].rstrip(":")
            if title == CONDA_LINT.rstrip(":") and rule is not None:
                programs = rule_programs(rule[1], rule[2])
                if programs == {"labpipe"}:
                    continue
                title += f" (its command runs {', '.join(sorted(programs)) or 'nothing found'})"
            found.append(f"{where}: {title}")
    return found


def main() -> int:
    """Lint with the demo config; print what is wrong and return 1, or return 0."""
    report = lint(REPO / "config" / "demo.yaml")
    if "Lints for" not in report and "Congratulations" not in report:
        print(report, file=sys.stderr)
        print("lint_workflow: snakemake --lint did not run (its output is above)", file=sys.stderr)
        return 1
    found = problems(report)
    for problem in found:
        print(f"lint_workflow: {problem}", file=sys.stderr)
    if not found:
        print("lint_workflow: snakemake --lint: no lints (labpipe-only rules need no conda env)")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
