"""Classes found by the independent batch of bad inputs (benchmarks/bad_inputs_batch.md).

Each test drives the real CLI on a small lab and asserts what the user reads: the exit code,
the message, and that no traceback is printed.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from test_cli import run_cli as cli

needs_tools = pytest.mark.skipif(
    not (shutil.which("bwa") and shutil.which("samtools")),
    reason="needs bwa and samtools",
)


def run_cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code, out, err = cli(args, capsys)
    assert "Traceback" not in out + err
    return code, out, err


@needs_tools
@pytest.mark.parametrize("index", [".bwt", ".fai", ".sa"])
def test_index_cut_short_after_prepare_is_refused_then_rebuilt(
    lab: Path, capsys: pytest.CaptureFixture[str], index: str
) -> None:
    """A killed copy or prepare leaves an index file shorter than the one stamped."""
    fasta = lab / "ref.fa"
    assert run_cli(["reference", "prepare", str(fasta)], capsys)[0] == 0
    damaged = Path(f"{fasta}{index}")
    whole = damaged.read_bytes()
    damaged.write_bytes(whole[: len(whole) // 3])
    code, _, err = run_cli(["validate", str(lab / "lab.yaml")], capsys)
    assert code == 1
    assert f"ref.fa{index} is {len(whole) // 3} bytes, {len(whole)} when it was built" in err
    assert f"rerun `labpipe reference prepare {fasta}`" in err
    code, out, _ = run_cli(["reference", "prepare", str(fasta)], capsys)
    assert code == 0
    assert f"indexes rebuilt: ref.fa{index} is" in out
    assert damaged.read_bytes() == whole
    assert run_cli(["validate", str(lab / "lab.yaml")], capsys)[0] == 0
