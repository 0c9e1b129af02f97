"""Run Snakemake's command line, then exit without waiting for its idle timers.

Snakemake's job rate limiter starts a one-second ``threading.Timer`` after every
scheduling round, and the interpreter waits for the last of them before it exits: every
run ended up to a second after its last job. Here Snakemake's ``main`` runs to its end
(every job finished or failed, its logs written), the exit handlers run (logging is
flushed and closed), and the process exits with Snakemake's status without joining
those timers. labpipe's runner starts Snakemake as ``python -m labpipe.snakemake_main``.
"""

from __future__ import annotations

import atexit
import os
import sys


def exit_code(status: object) -> int:
    """The process status for a ``SystemExit`` code, as Python itself would map it."""
    if status is None:
        return 0
    if isinstance(status, int):
        return status
    print(status, file=sys.stderr)
    return 1


def main() -> None:
    """Snakemake's ``main`` with the arguments this process was given."""
    from snakemake.cli import main as snakemake_main

    try:
        snakemake_main()
        status: object = 0
    except SystemExit as stop:
        status = stop.code
    code = exit_code(status)
    atexit._run_exitfuncs()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    main()
