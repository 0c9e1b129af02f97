"""Every command spells its options the same way (issue 14 item 6).

The test walks the whole click tree, hidden ``labpipe step`` commands included, so a new
command that breaks a rule fails here without anyone listing it.
"""

from __future__ import annotations

import enum
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import click
import pytest

from labpipe.cli import cli
from labpipe.cli.options import AliasedCommand
from tests.builders import run_cli

# Spellings of "the output folder" and "how many CPUs" that labpipe does not use.
OTHER_SPELLINGS = {"--out", "--output", "--output-dir", "--out-dir", "--threads", "--jobs", "-j"}
# Where the rule does not hold, and why. `labpipe step` commands are written by the workflow,
# not typed by people: their --out is one output FILE, their --outdir the run's folder.
STEP_FILE_OUTPUT = "--out"


def commands(
    group: click.Group = cli, path: str = "labpipe"
) -> Iterator[tuple[str, click.Command]]:
    """Every leaf command under ``group`` as (command path, command)."""
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            yield from commands(command, f"{path} {name}")
        else:
            yield f"{path} {name}", command


def options(command: click.Command) -> list[click.Option]:
    return [p for p in command.params if isinstance(p, click.Option)]


def is_step(path: str) -> bool:
    return path.startswith("labpipe step ")


COMMANDS = list(commands())
# What people type: `labpipe step` commands are written into the workflow's rules.
TYPED = [(path, command) for path, command in COMMANDS if not is_step(path)]


def test_the_walk_finds_every_command() -> None:
    paths = {path for path, _ in COMMANDS}
    assert {"labpipe run", "labpipe init", "labpipe reference prepare"} <= paths
    assert {"labpipe evaluate", "labpipe simulate", "labpipe step annotate"} <= paths


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=[p for p, _ in COMMANDS])
def test_cores_and_outdir_have_one_spelling(path: str, command: click.Command) -> None:
    for option in options(command):
        names = set(option.opts) | set(option.secondary_opts)
        if "-c" in names:
            assert option.opts[0] == "--cores", f"{path}: -c means --cores, not {option.opts[0]}"
        if "-o" in names:
            assert option.opts[0] == "--outdir", f"{path}: -o means --outdir, not {option.opts[0]}"
        if "--cores" in names:
            assert "-c" in names, f"{path}: --cores without -c"
        if "--outdir" in names and not is_step(path):
            assert "-o" in names, f"{path}: --outdir without -o"
        allowed = {STEP_FILE_OUTPUT} if is_step(path) else set()
        assert not (names & OTHER_SPELLINGS) - allowed, f"{path}: write --outdir/-o, --cores/-c"


def test_a_long_option_has_the_same_short_form_in_every_command() -> None:
    short_forms: dict[str, set[tuple[str, ...]]] = defaultdict(set)
    long_form_of: dict[str, set[str]] = defaultdict(set)
    for _, command in TYPED:
        for option in options(command):
            long = next(o for o in option.opts if o.startswith("--"))
            shorts = tuple(sorted(o for o in option.opts if not o.startswith("--")))
            short_forms[long].add(shorts)
            for short in shorts:
                long_form_of[short].add(long)
    assert {k: v for k, v in short_forms.items() if len(v) > 1} == {}
    assert {k: v for k, v in long_form_of.items() if len(v) > 1} == {}


@pytest.mark.parametrize(("path", "command"), TYPED, ids=[p for p, _ in TYPED])
def test_help_explains_every_option_and_shows_its_default(
    path: str, command: click.Command
) -> None:
    # As `labpipe CMD --help` builds it: the group's context settings (show_default) apply.
    parent = click.Context(cli, info_name="labpipe", **cli.context_settings)
    context = click.Context(command, info_name=path, parent=parent)
    for option in options(command):
        if option.hidden:
            continue
        record = option.get_help_record(context)
        assert record is not None and option.help, f"{path} {option.opts[0]}: no help text"
        default = option.get_default(context, call=False)
        given = default not in (None, False, ()) and not isinstance(default, enum.Enum)
        if given and not option.required:  # click marks "no default" with an enum sentinel
            assert "[default: " in record[1], f"{path} {option.opts[0]}: default not shown"


def test_old_spellings_are_aliases_of_options_the_command_has() -> None:
    aliased = [(p, c) for p, c in COMMANDS if isinstance(c, AliasedCommand)]
    assert aliased, "init and evaluate keep their old --out as an alias"
    for path, command in aliased:
        spellings = {o for option in options(command) for o in option.opts}
        for old, current in command.aliases.items():
            assert old not in spellings and current in spellings, path


def test_old_out_spelling_still_works_with_a_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("")
    vcf = str(tmp_path / "x.vcf")
    args = ["evaluate", "-t", vcf, "--calls", vcf, "-r", vcf, "--out", str(not_a_folder)]
    code, _, err = run_cli(args, capsys)
    assert "labpipe: warning: labpipe evaluate --out is deprecated; write --outdir instead" in err
    # The value reached --outdir: evaluate checks its output folder before anything else.
    assert (code, f"labpipe: error: --outdir {not_a_folder} cannot be used" in err) == (2, True)


def test_evaluate_minus_c_is_refused_naming_calls(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, _, err = run_cli(["evaluate", "-t", "t.vcf", "-c", "c.vcf", "-r", "r.fa"], capsys)
    assert code == 2
    assert (
        "labpipe: error: labpipe evaluate -c is no longer accepted: "
        "write --calls (-c means --cores in labpipe) instead"
    ) in err
