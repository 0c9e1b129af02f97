"""The ``shared_data`` marker: tests that need ../shared/data say which folder is missing."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import pytest_runtest_setup
from tests.paths import SHARED_DATA


class MarkedItem:
    """What pytest_runtest_setup reads of a test item: its markers."""

    def __init__(self, *paths: str) -> None:
        self.marks = [pytest.mark.shared_data(*paths).mark]

    def iter_markers(self, name: str) -> Any:
        return (m for m in self.marks if m.name == name)


def test_absent_shared_data_skips_naming_the_missing_path() -> None:
    with pytest.raises(pytest.skip.Exception) as skipped:
        pytest_runtest_setup(MarkedItem("no-such-data-set/file.vcf"))  # type: ignore[arg-type]
    assert str(SHARED_DATA / "no-such-data-set" / "file.vcf") in str(skipped.value)


def test_present_shared_data_runs() -> None:
    if not SHARED_DATA.exists():
        pytest.skip(f"needs {SHARED_DATA}")
    pytest_runtest_setup(MarkedItem())  # type: ignore[arg-type]
