"""A run on packages other than the locked set says so before it starts."""

from __future__ import annotations

import platform

import pytest

from labpipe.core.errors import InstallError
from labpipe.provenance import lockcheck
from labpipe.run.pipeline import _install_warnings


def test_a_matching_install_says_nothing() -> None:
    if not lockcheck.check_environment().matches:
        pytest.skip("this venv was not installed from requirements.lock (`make setup` does)")
    assert _install_warnings() == []


def test_a_drifted_package_is_named_with_both_versions(monkeypatch: pytest.MonkeyPatch) -> None:
    drifted = {**lockcheck.installed_distributions(), "click": "0.0.1"}
    compared = lockcheck.compare(lockcheck.read_lock(), drifted, platform.python_version())
    monkeypatch.setattr(lockcheck, "check_environment", lambda: compared)
    (warning,) = _install_warnings()
    pinned = compared.lock.pins["click"]
    assert f"click: 0.0.1 installed, the lock pins {pinned}" in warning
    assert "not come from the validated set" in warning and "labpipe doctor" in warning


def test_an_unreadable_lock_is_said_not_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    def unreadable() -> lockcheck.LockComparison:
        raise InstallError("requirements.lock: not found")

    monkeypatch.setattr(lockcheck, "check_environment", unreadable)
    assert _install_warnings() == [
        "Python packages not checked against the lock: requirements.lock: not found"
    ]
