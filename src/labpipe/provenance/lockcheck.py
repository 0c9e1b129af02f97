"""The installed Python packages against ``requirements.lock``, the validated set.

``make setup`` installs exactly the lock (every package pinned, with hashes);
``labpipe doctor`` and the run manifest use this module to say whether the
environment labpipe runs in still holds exactly that set, for the Python version
the lock was resolved for.
"""

from __future__ import annotations

import hashlib
import platform
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from labpipe.core.errors import InstallError
from labpipe.core.resources import python_lock

# labpipe itself is installed from the checkout beside the lock, not from it.
_PROJECT = "labpipe"
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+?)(?:\s*\\)?$")
_LOCK_PYTHON = re.compile(r"^# lock-python:\s*(\S+)\s*$")


def canonical_name(name: str) -> str:
    """A distribution name as package indexes compare them (PEP 503): 'PyYAML' -> 'pyyaml'."""
    return re.sub(r"[-_.]+", "-", name).lower()


@dataclass(frozen=True)
class Lock:
    """A parsed ``requirements.lock``.

    Attributes:
        path: The lock file.
        python: The Python version it was resolved for, e.g. '3.11'.
        pins: Canonical distribution name -> pinned version.
        sha256: The sha256 of the file, to name the exact lock in a manifest.
    """

    path: Path
    python: str
    pins: Mapping[str, str]
    sha256: str


def read_lock(path: Path | None = None) -> Lock:
    """Read the lock (by default the one shipped with labpipe).

    Raises:
        InstallError: The file is missing or is not a lock ``make lock`` wrote,
            with every line that is not a pin.
    """
    if path is None:
        try:
            path = python_lock()
        except FileNotFoundError as exc:
            raise InstallError(f"{exc}; reinstall it with `make setup`") from exc
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InstallError(
            f"cannot read the Python lock {path}: {exc.strerror or exc}; "
            "labpipe is installed without it (reinstall with `make setup`)"
        ) from exc
    python = ""
    pins: dict[str, str] = {}
    problems: list[str] = []
    for number, line in enumerate(data.decode("utf-8", errors="replace").splitlines(), 1):
        if found := _LOCK_PYTHON.match(line):
            python = found.group(1)
        if not line.strip() or line.lstrip().startswith(("#", "--hash")):
            continue
        pin = _PIN.match(line.strip())
        if pin is None:
            problems.append(f"line {number}: not 'name==version': {line.strip()[:80]}")
        else:
            pins[canonical_name(pin.group(1))] = pin.group(2)
    if not python:
        problems.append("no '# lock-python: X.Y' line")
    if problems:
        raise InstallError(
            f"{path} is not a lock written by `make lock`; regenerate it with `make lock`",
            problems,
        )
    return Lock(path, python, pins, hashlib.sha256(data).hexdigest())


def installed_distributions() -> dict[str, str]:
    """Canonical name -> version of every distribution the running Python can import.

    Where one name is installed twice on ``sys.path``, the first is the one imports
    find, so that one is reported.
    """
    found: dict[str, str] = {}
    for dist in metadata.distributions():
        name = dist.metadata["Name"]
        if name:
            found.setdefault(canonical_name(name), dist.version)
    return dict(sorted(found.items()))


@dataclass(frozen=True)
class Difference:
    """One package that is not installed as the lock pins it.

    Attributes:
        name: Canonical distribution name.
        locked: The version the lock pins, or None when the lock does not have it.
        installed: The version installed, or None when it is missing.
    """

    name: str
    locked: str | None
    installed: str | None

    @property
    def kind(self) -> str:
        """'missing', 'extra' or 'version'."""
        if self.installed is None:
            return "missing"
        return "extra" if self.locked is None else "version"

    def describe(self) -> str:
        """One line a person reads: the package and both versions."""
        if self.installed is None:
            return f"{self.name}: not installed (the lock pins {self.locked})"
        if self.locked is None:
            return f"{self.name} {self.installed}: installed, not in the lock"
        return f"{self.name}: {self.installed} installed, the lock pins {self.locked}"


@dataclass(frozen=True)
class LockComparison:
    """The running environment against the lock.

    Attributes:
        lock: The lock compared with.
        python: The running Python's version, e.g. '3.11.2'.
        differences: Every package missing, extra or at another version, by name.
    """

    lock: Lock
    python: str
    differences: tuple[Difference, ...]

    @property
    def python_matches(self) -> bool:
        """True when the running Python is the version the lock was resolved for."""
        return _same_minor(self.python, self.lock.python)

    @property
    def matches(self) -> bool:
        """True when the Python version and every package are as locked."""
        return self.python_matches and not self.differences

    def summary(self) -> dict[str, Any]:
        """What a run manifest records about the lock."""
        return {
            "file": str(self.lock.path),
            "sha256": self.lock.sha256,
            "python": self.lock.python,
            "packages": len(self.lock.pins),
            "matches": self.matches,
            "differences": [d.describe() for d in self.differences]
            + ([] if self.python_matches else [self.python_problem()]),
        }

    def python_problem(self) -> str:
        """The Python-version mismatch, in words."""
        return f"Python {self.python} runs labpipe; the lock is for Python {self.lock.python}"


def _same_minor(version: str, lock_python: str) -> bool:
    return version.split(".")[:2] == lock_python.split(".")[:2]


def compare(lock: Lock, installed: Mapping[str, str], python: str) -> LockComparison:
    """Compare installed distributions (canonical name -> version) with the lock."""
    names = sorted((set(lock.pins) | set(installed)) - {_PROJECT})
    differences = tuple(
        Difference(name, lock.pins.get(name), installed.get(name))
        for name in names
        if lock.pins.get(name) != installed.get(name)
    )
    return LockComparison(lock, python, differences)


def check_environment(lock_path: Path | None = None) -> LockComparison:
    """The running Python's packages against the lock (by default labpipe's own).

    Raises:
        InstallError: The lock is missing or unreadable.
    """
    return compare(read_lock(lock_path), installed_distributions(), platform.python_version())


_USAGE = "usage: python -m labpipe.provenance.lockcheck --not-in-lock | --matches"


def main(argv: list[str] | None = None) -> int:
    """What ``scripts/setup.sh`` asks before and after installing the lock.

    ``--matches`` exits 0 when the environment is the lock, else 1 (setup then
    installs it again); ``--not-in-lock`` prints the installed names the lock lacks,
    which setup removes, so packages an earlier lock brought do not stay behind.
    """
    args = sys.argv[1:] if argv is None else argv
    if args == ["--matches"]:
        return 0 if check_environment().matches else 1
    if args != ["--not-in-lock"]:
        print(_USAGE, file=sys.stderr)
        return 2
    for difference in check_environment().differences:
        if difference.kind == "extra":
            print(difference.name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
