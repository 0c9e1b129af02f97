"""Files that describe the repository say what is in it (issue 14 item 8)."""

from __future__ import annotations

import re
import subprocess

import click
import pytest

from labpipe.cli import cli
from tests.paths import REPO, TEST_DATA


def ignored(path: str) -> bool:
    done = subprocess.run(["git", "check-ignore", "-q", path], cwd=REPO, check=False)
    return done.returncode == 0


def test_demo_output_folders_are_ignored() -> None:
    make_demo = re.search(r"^demo:.*\n\t.*--outdir (\S+)", (REPO / "Makefile").read_text(), re.M)
    assert make_demo is not None
    demo = cli.commands["demo"]
    default = next(p for p in demo.params if isinstance(p, click.Option) and p.name == "outdir")
    for folder in (make_demo.group(1), str(default.default)):
        assert ignored(f"{folder}/results/report/index.html"), folder


def test_test_data_readme_names_every_file() -> None:
    readme = (TEST_DATA / "README.md").read_text()
    tracked = subprocess.run(
        ["git", "ls-files", "test_data"], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout.split()
    unnamed = []
    for path in (REPO / p for p in tracked):
        relative = path.relative_to(TEST_DATA)
        if relative.name == "README.md":
            continue
        folder = f"`{relative.parts[0]}/`" if len(relative.parts) > 1 else None
        index = relative.name.endswith(".tbi") and f"`{relative.name[:-4]}` (+ `.tbi`)"
        if not any(n and n in readme for n in (f"`{relative.name}`", folder, index)):
            unnamed.append(str(relative))
    assert unnamed == []


def layers_in_importlinter() -> list[str]:
    text = (REPO / ".importlinter").read_text()
    block = text.split("layers =\n")[1].split("\n\n")[0]
    return [line.strip() for line in block.splitlines() if line.strip()]


def test_architecture_draws_the_layers_of_importlinter() -> None:
    drawing = (REPO / "docs" / "architecture.md").read_text().split("```")[1]
    drawn = [
        " | ".join(re.findall(r"labpipe\.\w+", line))
        for line in drawing.splitlines()
        if line.startswith(" labpipe.")
    ]
    assert drawn == layers_in_importlinter()


@pytest.mark.parametrize("doc", ["CONTRIBUTING.md", "docs/architecture.md"])
def test_files_the_docs_name_exist(doc: str) -> None:
    text = (REPO / doc).read_text()
    named = set(re.findall(r"`((?:src|tests|workflow|docs|labpipe|envs|config)/[\w./-]+)`", text))
    named |= set(re.findall(r"\b(labpipe(?:\.\w+)+)", text))
    missing = []
    for name in sorted(named):
        if name.startswith("labpipe.") and "/" not in name:
            path = REPO / "src" / name.replace(".", "/")
            exists = path.is_dir() or path.with_suffix(".py").is_file()
            if not exists:  # labpipe.module.function
                parent = path.parent
                exists = parent.with_suffix(".py").is_file()
        else:
            path = REPO / ("src/" + name if name.startswith("labpipe/") else name)
            exists = path.exists() or "<" in name or "*" in name
        if not exists:
            missing.append(name)
    assert missing == []
