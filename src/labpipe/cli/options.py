"""Options that several commands share, spelt once so that they read the same everywhere.

The spelling rules (checked for every command by tests/cli/test_option_spelling.py):
``--outdir``/``-o`` is the output folder, ``--cores``/``-c`` the CPU cores, and a long option
has the same short form in every command that has it. An old spelling a lab's scripts may
still use is kept as a deprecated alias (:class:`AliasedCommand`): it works, warns, and is
not shown in ``--help``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import click

from labpipe.core.errors import UsageError

F = TypeVar("F", bound=Callable[..., Any])


def default_cores() -> int:
    """The cores this process may use (its CPU affinity), at least 1."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def cores_option(command: F) -> F:
    """``--cores``/``-c``: CPU cores, all available ones by default."""
    return click.option(
        "--cores",
        "-c",
        type=click.IntRange(min=1),
        default=None,
        help="CPU cores to use (default: all available).",
    )(command)


def outdir_option(
    help: str, default: Path | None = None, required: bool = False
) -> Callable[[F], F]:
    """``--outdir``/``-o``: the folder a command writes into."""
    return click.option(
        "--outdir",
        "-o",
        type=click.Path(path_type=Path),
        default=default,
        required=required,
        help=help,
    )


def executor_options(command: F) -> F:
    """--executor and --profile: where the workflow's steps run (labpipe.run.cluster)."""
    command = click.option(
        "--profile",
        type=click.Path(path_type=Path, file_okay=False),
        default=None,
        help="Run steps as this Snakemake profile says (any executor plugin: SGE, PBS, LSF, …).",
    )(command)
    return click.option(
        "--executor",
        type=click.Choice(["local", "slurm"]),
        default="local",
        help="Where steps run: here, or as SLURM jobs (config `cluster:`, docs/cluster.md).",
    )(command)


def _use_language(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    if value is None:
        return
    from labpipe.core.i18n import LANG_ENV, language_of, set_language

    language = language_of(value)
    if language is None:
        raise click.BadParameter(f"{value!r} is not one of en, ur, zh_Hans", ctx, param)
    # The workflow's steps (separate processes) write the reports: they read it from here.
    os.environ[LANG_ENV] = language
    set_language(language)


def lang_option(command: F) -> F:
    """``--lang``: the language of messages and reports (over ``report.language`` and LANG)."""
    return click.option(
        "--lang",
        metavar="en|ur|zh_Hans",
        default=None,
        is_eager=True,
        expose_value=False,
        callback=_use_language,
        help="Language of the messages and reports: en, ur (Urdu) or zh_Hans (Simplified"
        " Chinese). Default: the config's report.language, else LANG, else English.",
    )(command)


class AliasedCommand(click.Command):
    """A command that still accepts the old spellings of some of its options.

    ``aliases`` maps an old spelling to the current one (used, with a warning on stderr) or to
    ``None`` when the old spelling now means something else in labpipe (refused, naming the
    current spelling in ``retired``). The old spellings are rewritten before click parses,
    so ``--help`` and the option table show only the current ones.
    """

    def __init__(
        self,
        *args: Any,
        aliases: Mapping[str, str] | None = None,
        retired: Mapping[str, str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.aliases = dict(aliases or {})
        self.retired = dict(retired or {})

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        rewritten: list[str] = []
        for position, arg in enumerate(args):
            if arg == "--":  # everything after it is an argument, not an option
                rewritten += args[position:]
                break
            name, equals, value = arg.partition("=")
            if name in self.retired:
                raise UsageError(
                    f"{ctx.command_path} {name} is no longer accepted: "
                    f"write {self.retired[name]} instead"
                )
            if name in self.aliases:
                current = self.aliases[name]
                click.echo(
                    f"labpipe: warning: {ctx.command_path} {name} is deprecated; "
                    f"write {current} instead",
                    err=True,
                )
                arg = current + equals + value
            rewritten.append(arg)
        return super().parse_args(ctx, rewritten)
