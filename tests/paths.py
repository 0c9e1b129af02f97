"""Where the tests find the repository, its embedded data and the shared real data."""

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TEST_DATA = REPO / "test_data"
# Real public data sets beside the project root (../shared/data); tests that need them skip
# cleanly when the folder is absent.
SHARED_DATA = REPO.parent / "shared" / "data"
