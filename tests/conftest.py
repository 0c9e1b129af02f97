"""Shared fixtures (builders that are plain functions live in tests/builders.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.builders import DemoRun, TinyDataset, one_read_fastq, simulate_tiny_dataset
from tests.paths import SHARED_DATA


def pytest_configure(config: pytest.Config) -> None:
    """Tests read English output whatever the machine's locale (tests/cli/test_lang.py and
    the language tests choose theirs); the runs they start inherit it."""
    from labpipe.core.i18n import LANG_ENV

    os.environ[LANG_ENV] = "en"


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Skip a ``shared_data`` test whose real data is absent, naming what is missing.

    ``@pytest.mark.shared_data("giab-na12878-chr20-b37-nucleus")`` (paths under SHARED_DATA;
    none: the folder itself); ``pytest -m shared_data`` runs just those tests.
    """
    for marker in item.iter_markers("shared_data"):
        for path in (SHARED_DATA / p for p in marker.args or ("",)):
            if not path.exists():
                pytest.skip(f"needs {path} (real public data in ../shared/data), absent here")


@pytest.fixture(scope="session")
def tiny_reference_and_reads(tmp_path_factory: pytest.TempPathFactory) -> TinyDataset:
    """A 20 kb random reference with ~3,260 simulated read pairs in two lanes (read-only).

    Session-scoped so that slow consumers (tool runs) can share one copy; tests must not
    modify its files.
    """
    return simulate_tiny_dataset(tmp_path_factory.mktemp("tiny_dataset"))


@pytest.fixture
def lab(tmp_path: Path) -> Path:
    """A valid lab folder: config, reference, sample sheet and reads."""
    (tmp_path / "ref.fa").write_text(">chr1\n" + "ACGT" * 50 + "\n")
    one_read_fastq(tmp_path / "S1_R1.fastq.gz", "@V350012345L1C001R0010000001/1")
    one_read_fastq(tmp_path / "S1_R2.fastq.gz", "@V350012345L1C001R0010000001/2")
    (tmp_path / "samples.tsv").write_text(
        "sample\tunit\tfq1\tfq2\nS1\tL1\tS1_R1.fastq.gz\tS1_R2.fastq.gz\n"
    )
    (tmp_path / "lab.yaml").write_text(
        "lab:\n  name: Test\n  id: test\nreference:\n  fasta: ref.fa\nsamples: samples.tsv\n"
        "platform: DNBSEQ\n"
    )
    return tmp_path


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> DemoRun:
    """`labpipe demo` run once for the whole session, start to end, uninterrupted. READ-ONLY.

    Every test that only reads a demo run's outputs shares this one (the run takes a minute
    or two); a test that changes the config, interrupts or re-runs makes its own run. It is
    also what a resumed or SLURM run must equal.
    """
    # A space in the path: user paths must reach every tool intact.
    outdir = tmp_path_factory.mktemp("demo") / "demo run"
    # Under the usual umask: results must come out 0644 (tests/run/test_faults.py).
    done = subprocess.run(
        [sys.executable, "-m", "labpipe.cli", "demo", "--outdir", str(outdir), "--cores", "2"],
        capture_output=True,
        text=True,
        check=False,
        preexec_fn=lambda: os.umask(0o022),
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return DemoRun(outdir, done.stdout)
