"""``--lang``, ``report.language`` and ``LANG``: the language ``labpipe validate`` speaks."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from labpipe.core.i18n import ENGLISH, LANG_ENV, set_language
from tests.builders import run_cli


@pytest.fixture(autouse=True)
def english_afterwards(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """--lang sets LABPIPE_LANG for the steps it starts: undo it, and the language, after."""
    for variable in (LANG_ENV, "LC_ALL", "LC_MESSAGES"):
        # setenv first: delenv of an absent variable would not unset it again afterwards.
        monkeypatch.setenv(variable, "")
        monkeypatch.delenv(variable)
    monkeypatch.setenv("LANG", "C.UTF-8")
    yield
    set_language(ENGLISH)


def test_validate_speaks_the_language_asked_for(
    lab: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = str(lab / "lab.yaml")
    code, out, _ = run_cli(["validate", config, "--lang", "ur"], capsys)
    assert code == 0 and out.strip() == (
        f"{config}: درست — 1 نمونے، 1 یونٹ، آؤٹ پٹ {lab / 'labpipe-output'} میں"
    ), out
    code, out, _ = run_cli(["validate", config, "--lang", "zh_Hans"], capsys)
    assert code == 0 and "有效 — 1 个样本，1 个测序单元" in out


def test_the_config_then_lang_decide_without_the_option(
    lab: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    config = lab / "lab.yaml"
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    assert "有效" in run_cli(["validate", str(config)], capsys)[1]
    config.write_text(config.read_text() + "report:\n  language: ur\n")
    assert "درست" in run_cli(["validate", str(config)], capsys)[1]
    assert "valid —" in run_cli(["validate", str(config), "--lang", "en"], capsys)[1]


def test_an_error_headline_is_translated_and_keeps_its_prefix(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nope.yaml"
    code, _, err = run_cli(["validate", str(missing), "--lang", "zh_Hans"], capsys)
    # The prefix stays English: scripts and the lab's log searches look for it.
    assert code == 2 and err.startswith(f"labpipe: error: 配置文件 {missing} 不存在")


def test_a_language_labpipe_does_not_speak_is_a_usage_error(
    lab: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run_cli(["validate", str(lab / "lab.yaml"), "--lang", "fr"], capsys)
    assert code == 2 and "'fr' is not one of en, ur, zh_Hans" in err
