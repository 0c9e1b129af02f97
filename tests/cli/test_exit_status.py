"""The exit status documented in `labpipe --help` and README is the one the code returns."""

from __future__ import annotations

import re
import signal
from pathlib import Path

import pytest

from labpipe.cli.main import EXIT_STATUS, _interrupted
from labpipe.core.errors import LabpipeError
from labpipe.run.runner import RunInterrupted
from tests.builders import run_cli
from tests.paths import REPO


def documented_in_help() -> set[int]:
    block = EXIT_STATUS.split("Exit status:")[1].split("\n\n")[0]
    return {int(code) for code in re.findall(r"(?:^\s+|; )(\d+) ", block, re.M)}


def documented_in_readme() -> set[int]:
    text = (REPO / "README.md").read_text()
    table = text.split("Exit status, for scripts")[1].split("\n\n")[1]
    return {int(c) for row in table.splitlines()[2:] for c in re.findall(r"\d+", row.split("|")[1])}


def error_classes(cls: type[LabpipeError] = LabpipeError) -> list[type[LabpipeError]]:
    return [cls, *(sub for child in cls.__subclasses__() for sub in error_classes(child))]


def test_help_and_readme_list_the_same_codes() -> None:
    assert documented_in_help() == documented_in_readme() == {0, 1, 2, 130, 143}


def test_every_labpipe_error_exits_with_a_documented_code() -> None:
    codes = {cls.exit_code for cls in error_classes()}
    assert codes == {1, 2}


def test_interruptions_exit_as_documented() -> None:
    assert {RunInterrupted(s).exit_code for s in (signal.SIGINT, signal.SIGTERM)} == {130, 143}


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["--version"], 0),
        (["run", "--no-such-option", "x.yaml"], 2),
        (["run", "--cores", "0", "x.yaml"], 2),
        (["validate", "missing.yaml"], 2),
    ],
)
def test_what_the_cli_returns(
    args: list[str], code: int, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_cli(args, capsys)[0] == code


def test_a_file_that_is_not_what_it_claims_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fasta = tmp_path / "ref.fa"
    fasta.write_text("not a fasta\n")
    code, _, err = run_cli(["reference", "prepare", str(fasta)], capsys)
    assert (code, err.startswith("labpipe: error: ")) == (1, True)


@pytest.mark.parametrize(
    ("finished", "said"),
    [
        (False, "labpipe: interrupted; run the same command again to resume"),
        (True, "labpipe: interrupted after the last step had finished; the results are complete"),
    ],
)
def test_an_interruption_says_whether_the_results_are_complete(
    finished: bool, said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as stop:
        _interrupted(RunInterrupted(signal.SIGINT, finished=finished))
    assert stop.value.code == 130
    assert said in capsys.readouterr().err
