"""The ``labpipe`` group and :func:`main`, the one place that turns errors into exit codes.

:class:`~labpipe.core.errors.LabpipeError` becomes ``labpipe: error: …`` and its exit code
(2 usage/config, 1 data/run); no traceback unless ``--debug``. The commands live in the
modules beside this one, one per part of a lab's path; heavy modules are imported inside the
commands so that ``labpipe --help`` answers at once.
"""

from __future__ import annotations

import os
import sys
import zlib
from typing import Any, NoReturn

import click

from labpipe import __version__
from labpipe.cli import accuracy, analyse, prepare
from labpipe.core.errors import LabpipeError, UsageError, from_os_or_format_error
from labpipe.core.i18n import _, choose_language, set_language

_DEBUG_ENV = "LABPIPE_DEBUG"

# Kept in step with main() below and README's "Exit status" (tests/cli/test_exit_status.py).
EXIT_STATUS = """\b
Exit status:
  0    done
  1    a data or run problem: an input file that is not what it claims, a step
       that failed, a missing tool (`doctor`: a required tool missing or the
       Python packages not as requirements.lock pins them)
  2    a usage or config problem: a wrong option, an invalid config or sample sheet
  130  interrupted (Ctrl-C); 143 stopped by SIGTERM: run the same command again
       to resume

\b
Shell completion (bash; zsh and fish likewise, with zsh_source/fish_source):
  eval "$(_LABPIPE_COMPLETE=bash_source labpipe)"   # e.g. in ~/.bashrc
"""


@click.group(
    context_settings={"help_option_names": ["-h", "--help"], "show_default": True},
    epilog=EXIT_STATUS,
)
@click.version_option(__version__, prog_name="labpipe")
@click.option("--debug", is_flag=True, help="Show a traceback when something fails.")
def cli(debug: bool) -> None:
    """labpipe: germline variant analysis for hospital labs.

    A lab's path: `labpipe reference prepare FASTA`, write a config (see
    config/labs/example-lab.yaml), `labpipe validate CONFIG`, `labpipe run CONFIG`.
    """
    if debug:
        os.environ[_DEBUG_ENV] = "1"
    # Messages before a config is read: --lang (LABPIPE_LANG), else LANG, else English.
    set_language(choose_language())


for _command in (
    analyse.run,
    analyse.validate,
    analyse.demo,
    prepare.doctor,
    prepare.init,
    prepare.reference,
    accuracy.evaluate,
    accuracy.simulate,
):
    cli.add_command(_command)


def _add_workflow_steps() -> None:
    from labpipe.run import family_steps  # noqa: F401  (registers its commands on `step`)
    from labpipe.run.steps import step

    cli.add_command(step)


_add_workflow_steps()


def main(argv: list[str] | None = None) -> Any:
    """Entry point: run the CLI, turning labpipe errors into messages and exit codes."""
    debug = "--debug" in (argv if argv is not None else sys.argv[1:])
    try:
        return cli.main(args=argv, prog_name="labpipe", standalone_mode=False)
    except LabpipeError as exc:
        if debug or os.environ.get(_DEBUG_ENV):
            raise
        click.echo(f"labpipe: error: {exc.render()}", err=True)
        sys.exit(exc.exit_code)
    except click.exceptions.Abort as exc:
        if isinstance(exc.__cause__, KeyboardInterrupt):  # click wraps Ctrl-C and SIGTERM
            _interrupted(exc.__cause__)
        click.echo("labpipe: aborted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(UsageError.exit_code if exc.exit_code == 2 else exc.exit_code)
    except KeyboardInterrupt as stop:
        _interrupted(stop)
    except (OSError, EOFError, zlib.error, UnicodeDecodeError, ValueError) as exc:
        # The expected ones (full disk, read-only folder, a file of the wrong type)
        # become messages; anything else is a bug and keeps its traceback.
        error = from_os_or_format_error(exc)
        if error is None or debug or os.environ.get(_DEBUG_ENV):
            raise
        click.echo(f"labpipe: error: {error.render()}", err=True)
        sys.exit(error.exit_code)


def _interrupted(stop: KeyboardInterrupt) -> NoReturn:
    if getattr(stop, "finished", False):
        click.echo(
            "labpipe: "
            + _(
                "interrupted after the last step had finished; the results are complete (run"
                " the same command again for the summary)"
            ),
            err=True,
        )
    else:
        click.echo("labpipe: " + _("interrupted; run the same command again to resume"), err=True)
    # 130 for Ctrl-C, 143 for SIGTERM (labpipe.run.runner.RunInterrupted).
    sys.exit(getattr(stop, "exit_code", 130))
