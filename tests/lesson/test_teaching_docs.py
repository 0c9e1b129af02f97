"""Every `labpipe …` command written in docs/teaching/ is one the real CLI accepts.

Commands are taken from the fenced code blocks and the inline code of every page, split as a
shell would, and parsed by click exactly as `labpipe` parses them (options, choices, types,
the subcommand chain) without running anything. So a renamed option or a mistyped scenario
fails here, not in a class.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import click
import pytest

from labpipe.cli.main import cli
from tests.paths import REPO

TEACHING = REPO / "docs" / "teaching"
_FENCE = re.compile(r"^```[a-z]*\n(.*?)^```", re.MULTILINE | re.DOTALL)
_INLINE = re.compile(r"`(labpipe [^`]+)`")


def commands_in(text: str) -> list[str]:
    """`labpipe` commands of a Markdown page: lines of code blocks and inline code."""
    fenced = [
        line.strip()
        for block in _FENCE.findall(text)
        for line in block.splitlines()
        if line.strip().startswith("labpipe ")
    ]
    prose = _FENCE.sub("", text)
    inline = [
        c
        for c in _INLINE.findall(prose)
        # Placeholders and elisions are prose, not commands.
        if "…" not in c and "NAME" not in c.split() and "COMMAND" not in c.split()
    ]
    return fenced + inline


def parse(argv: list[str]) -> click.Context:
    """Parse ``labpipe ARGV`` down to its last subcommand, as click would before running it."""
    command: click.Command = cli
    name, parent = "labpipe", None
    while True:
        ctx = command.make_context(name, list(argv), parent=parent)
        if not isinstance(command, click.Group):
            return ctx
        rest = [*ctx._protected_args, *ctx.args]
        found, sub, argv = command.resolve_command(ctx, rest)
        assert sub is not None and found is not None
        command, name, parent = sub, found, ctx


def has_scenarios() -> bool:
    simulate = cli.commands["simulate"]
    return any(p.name == "scenario" for p in simulate.params)


PAGES = sorted(TEACHING.rglob("*.md"))
COMMANDS = [
    pytest.param(command, id=f"{page.relative_to(TEACHING)}: {command[:60]}")
    for page in PAGES
    for command in commands_in(page.read_text())
]


def test_the_teaching_pages_are_there_and_name_commands() -> None:
    names = {p.relative_to(TEACHING).as_posix() for p in PAGES}
    assert {"README.md", "lesson-plan-half-day.md", "lesson-plan-full-day.md", "exercises.md"} <= (
        names
    )
    assert len([n for n in names if n.startswith("handouts/")]) >= 11
    assert len(COMMANDS) > 20


def names_a_command(argv: list[str]) -> bool:
    """Prose names a command (`labpipe validate`) without its arguments: it must exist."""
    command: click.Command = cli
    for word in argv:
        if not isinstance(command, click.Group) or word not in command.commands:
            return False
        command = command.commands[word]
    return True


@pytest.mark.parametrize("command", COMMANDS)
def test_each_command_parses_with_the_real_cli(
    command: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from labpipe.core.i18n import LANG_ENV, current_language, using_language

    # Parsing `--lang ur` sets the language and LABPIPE_LANG: neither may reach other tests.
    monkeypatch.setenv(LANG_ENV, "en")
    with using_language(current_language()):
        parse_command(command)


def parse_command(command: str) -> None:
    argv = shlex.split(command)[1:]
    if "--scenario" in argv and not has_scenarios():
        pytest.skip("labpipe simulate has no --scenario yet (issue 15 item 2, in progress)")
    if all(not a.startswith("-") for a in argv) and names_a_command(argv):
        return
    try:
        parse(argv)
    except click.exceptions.Exit as done:  # --help, --version: accepted, nothing to run
        assert done.exit_code == 0
    except click.ClickException as exc:
        pytest.fail(f"{command!r}: {exc.format_message()}")


def test_every_agreed_scenario_has_an_exercise() -> None:
    # The names agreed in HELPERS.md; once `simulate --scenario` lands, its choices are them.
    agreed = {
        "pathogenic-variant", "low-depth", "high-duplicates", "adapter-readthrough",
        "sample-swap", "wrong-build", "chr-prefix-mismatch", "illumina-vs-dnbseq",
    }  # fmt: skip
    text = (TEACHING / "exercises.md").read_text()
    used = set(re.findall(r"--scenario ([a-z][\w-]*)", text))  # not the NAME placeholder
    assert agreed <= used
    if has_scenarios():
        option = next(p for p in cli.commands["simulate"].params if p.name == "scenario")
        assert isinstance(option.type, click.Choice)
        assert used <= set(option.type.choices)


def test_the_parser_refuses_what_labpipe_refuses() -> None:
    # The check itself must fail on a wrong command, or it proves nothing.
    for wrong in (["demo", "--explian"], ["run"], ["simulate", "--platform", "pacbio", "-o", "x"]):
        with pytest.raises(click.ClickException):
            parse(wrong)


def test_every_handout_has_its_three_parts() -> None:
    for page in sorted((TEACHING / "handouts").glob("[0-9][1-9]-*.md")) + sorted(
        (TEACHING / "handouts").glob("10-*.md")
    ):
        text = page.read_text()
        assert "**What it does.**" in text and "**Why.**" in text, page.name
        assert "## What to look at" in text and "## Common mistakes" in text, page.name


def test_pages_link_only_to_pages_that_exist() -> None:
    for page in PAGES:
        for target in re.findall(r"\]\(([^)#:]+)\)", page.read_text()):
            assert (page.parent / target).exists(), f"{page.name} links to {target}"


def test_the_files_the_handouts_show_are_the_runs_outputs(tmp_path: Path) -> None:
    # Paths like labpipe-demo/results/... must be where a demo run writes them.
    from labpipe.core import layout

    templates = [v for k, v in vars(layout).items() if k.isupper() and isinstance(v, str)]
    shapes = [
        re.compile(re.sub(r"\\\{\w+\\\}", r"[\\w.-]+", re.escape(t)) + "$") for t in templates
    ]
    for page in sorted((TEACHING / "handouts").glob("*.md")):
        for path in re.findall(r"labpipe-demo/(results/[\w./-]+\.\w+)", page.read_text()):
            assert any(s.match(path) for s in shapes), f"{page.name}: {path}"
