"""The installed Python packages against requirements.lock (`labpipe doctor`, the manifest)."""

from __future__ import annotations

import hashlib
import os
import platform
import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
from click.testing import CliRunner
from packaging.requirements import Requirement

from labpipe.cli import cli
from labpipe.core import tools
from labpipe.core.errors import InstallError
from labpipe.core.resources import python_lock
from labpipe.core.tools import TOOLS, ToolStatus
from labpipe.provenance import lockcheck
from labpipe.provenance.lockcheck import (
    canonical_name,
    compare,
    installed_distributions,
    read_lock,
)
from tests.paths import REPO


def write_lock(path: Path, pins: dict[str, str], python: str = "3.11") -> Path:
    """A lock in the shape `make lock` writes: header, pins with hashes, `# via` notes."""
    lines = ["# a test lock", f"# lock-python: {python}"]
    for name, version in pins.items():
        lines += [f"{name}=={version} \\", "    --hash=sha256:" + "0" * 64, "    # via labpipe"]
    path.write_text("\n".join(lines) + "\n")
    return path


def lock_of_this_environment(tmp_path: Path, **changed: str) -> Path:
    """A lock pinning exactly what is installed here, except the versions in ``changed``."""
    pins = {name: version for name, version in installed_distributions().items()}
    pins.pop("labpipe")
    pins.update(changed)
    python = ".".join(platform.python_version().split(".")[:2])
    return write_lock(tmp_path / "requirements.lock", pins, python)


@pytest.fixture
def tools_all_present(monkeypatch: pytest.MonkeyPatch) -> None:
    """The doctor's tool half passes, so its exit status is the packages' alone."""
    statuses = [ToolStatus(t, f"/bin/{t.name}", t.minimum, None) for t in TOOLS]
    monkeypatch.setattr(tools, "check_all", lambda: statuses)


def doctor_with_lock(monkeypatch: pytest.MonkeyPatch, lock: Path) -> tuple[int, str]:
    monkeypatch.setattr(lockcheck, "python_lock", lambda: lock)
    result = CliRunner().invoke(cli, ["doctor"])
    return result.exit_code, result.output


def test_read_lock_takes_pins_and_python_and_canonical_names(tmp_path: Path) -> None:
    lock = read_lock(write_lock(tmp_path / "l.txt", {"PyYAML": "6.0.2", "ruamel.yaml": "0.18.6"}))
    assert lock.python == "3.11"
    assert dict(lock.pins) == {"pyyaml": "6.0.2", "ruamel-yaml": "0.18.6"}
    assert len(lock.sha256) == 64


def test_read_lock_lists_every_line_that_is_not_a_pin(tmp_path: Path) -> None:
    path = tmp_path / "l.txt"
    path.write_text("numpy>=1.26\nclick==8.1.7\n-e .\n")
    with pytest.raises(InstallError) as error:
        read_lock(path)
    assert "make lock" in str(error.value)
    assert error.value.problems == [
        "line 1: not 'name==version': numpy>=1.26",
        "line 3: not 'name==version': -e .",
        "no '# lock-python: X.Y' line",
    ]


def test_a_missing_lock_says_which_file(tmp_path: Path) -> None:
    with pytest.raises(InstallError, match=r"cannot read the Python lock .*nowhere\.lock"):
        read_lock(tmp_path / "nowhere.lock")


def test_compare_names_each_package_and_both_versions(tmp_path: Path) -> None:
    lock = read_lock(write_lock(tmp_path / "l.txt", {"numpy": "2.1.0", "pysam": "0.23.0"}))
    installed = {"numpy": "2.2.1", "requests": "2.32.3", "labpipe": "0.1.0"}
    compared = compare(lock, installed, "3.11.2")
    assert not compared.matches
    assert [d.describe() for d in compared.differences] == [
        "numpy: 2.2.1 installed, the lock pins 2.1.0",
        "pysam: not installed (the lock pins 0.23.0)",
        "requests 2.32.3: installed, not in the lock",
    ]
    assert [d.kind for d in compared.differences] == ["version", "missing", "extra"]


def test_another_python_minor_version_does_not_match(tmp_path: Path) -> None:
    lock = read_lock(write_lock(tmp_path / "l.txt", {"click": "8.1.7"}, python="3.11"))
    assert compare(lock, {"click": "8.1.7"}, "3.11.9").matches
    compared = compare(lock, {"click": "8.1.7"}, "3.12.1")
    assert not compared.matches
    assert compared.summary()["differences"] == [
        "Python 3.12.1 runs labpipe; the lock is for Python 3.11"
    ]


def test_doctor_names_the_package_whose_version_differs_and_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tools_all_present: None
) -> None:
    installed = metadata.version("click")
    lock = lock_of_this_environment(tmp_path, click="1.0.0")
    status, output = doctor_with_lock(monkeypatch, lock)
    assert status == 1
    assert f"VERSION  click: {installed} installed, the lock pins 1.0.0" in output
    assert "not the validated set" in output
    assert "all as locked" not in output


def test_doctor_says_so_when_the_environment_is_as_locked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tools_all_present: None
) -> None:
    status, output = doctor_with_lock(monkeypatch, lock_of_this_environment(tmp_path))
    assert status == 0
    assert f"ok       all as locked, on Python {platform.python_version()}" in output


def test_doctor_fails_when_the_lock_cannot_be_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tools_all_present: None
) -> None:
    status, output = doctor_with_lock(monkeypatch, tmp_path / "gone.lock")
    assert status == 1
    assert "NOT CHECKED  Python packages: cannot read the Python lock" in output


def test_not_in_lock_lists_what_setup_removes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    lock = lock_of_this_environment(tmp_path)
    text = lock.read_text().replace(f"click=={metadata.version('click')} \\", "")
    monkeypatch.setattr(lockcheck, "python_lock", lambda: write_text(lock, text))
    assert lockcheck.main(["--not-in-lock"]) == 0
    assert capsys.readouterr().out == "click\n"


def test_matches_is_setups_question_whether_to_install_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    same, other = tmp_path / "same", tmp_path / "other"
    same.mkdir(), other.mkdir()
    monkeypatch.setattr(lockcheck, "python_lock", lambda: lock_of_this_environment(same))
    assert lockcheck.main(["--matches"]) == 0
    changed = lock_of_this_environment(other, click="1.0.0")
    monkeypatch.setattr(lockcheck, "python_lock", lambda: changed)
    assert lockcheck.main(["--matches"]) == 1


def write_text(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def installed_by_setup_from_this_lock() -> bool:
    """setup.sh's stamp: the sha256 of pyproject.toml and the lock it installed from."""
    stamp = Path(sys.prefix) / ".labpipe-installed"
    this = hashlib.sha256((REPO / "pyproject.toml").read_bytes() + python_lock().read_bytes())
    return stamp.exists() and stamp.read_text().strip() == this.hexdigest()


@pytest.mark.skipif(
    not installed_by_setup_from_this_lock(),
    reason="this virtualenv was not installed by scripts/setup.sh from this lock (make setup)",
)
def test_the_environment_setup_installed_is_the_lock() -> None:
    compared = lockcheck.check_environment()
    assert compared.lock.path == REPO / "requirements.lock"
    assert [d.describe() for d in compared.differences] == []
    assert compared.matches


def test_the_lock_satisfies_pyproject() -> None:
    """A dependency added to pyproject.toml without `make lock` fails here, not in setup."""
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text())
    project = pyproject["project"]
    wanted = [*project["dependencies"], *pyproject["build-system"]["requires"]]
    for extra in ("dev", "slurm"):
        wanted += project["optional-dependencies"][extra]
    pins = read_lock(python_lock()).pins
    unmet = []
    for text in wanted:
        requirement = Requirement(text)
        pinned = pins.get(canonical_name(requirement.name))
        if pinned is None or not requirement.specifier.contains(pinned, prereleases=True):
            unmet.append(f"{text} (lock: {pinned})")
    assert unmet == []


def test_setup_refuses_another_python_with_what_to_do(tmp_path: Path) -> None:
    fake = tmp_path / "python3"
    fake.write_text("#!/bin/sh\necho 3.99\n")
    fake.chmod(0o755)
    result = subprocess.run(
        ["bash", str(REPO / "scripts" / "setup.sh")],
        env={**os.environ, "VENV": str(tmp_path / "venv"), "PYTHON": str(fake)},
        capture_output=True,
        text=True,
        check=False,
    )
    lock_python = read_lock(python_lock()).python
    assert result.returncode == 1
    assert f"is for Python {lock_python}, but {fake} is Python 3.99" in result.stderr
    assert "make lock LOCK_PYTHON=3.99" in result.stderr
    assert not (tmp_path / "venv").exists()
