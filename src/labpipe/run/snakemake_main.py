"""Run Snakemake's command line, with two fixes for how it stops.

labpipe's runner starts Snakemake as ``python -m labpipe.run.snakemake_main``.

* Exit: Snakemake's job rate limiter starts a one-second ``threading.Timer`` after every
  scheduling round, and the interpreter waits for the last of them before it exits, so
  every run ended up to a second after its last job. Here Snakemake's ``main`` runs to its
  end (every job finished or failed, its logs written), the exit handlers run (logging is
  flushed and closed), and the process exits with Snakemake's status without joining
  those timers.
* SIGTERM (which Snakemake gets when labpipe dies, see ``labpipe.run.runner``): Snakemake's
  handler takes the scheduler's lock, but it runs in the main thread, which may hold that
  lock already (while it records a finished job); Snakemake then hangs for ever, holding
  labpipe's run lock. The replacement only sets the same flag and wakes the scheduler
  from another thread; Snakemake still finishes its running jobs and stops.
"""

from __future__ import annotations

import atexit
import os
import sys
import threading
from typing import Any


def exit_code(status: object) -> int:
    """The process status for a ``SystemExit`` code, as Python itself would map it."""
    if status is None:
        return 0
    if isinstance(status, int):
        return status
    print(status, file=sys.stderr)
    return 1


def _exit_gracefully(scheduler: Any, *_signal: object) -> None:
    """Snakemake's SIGTERM handler without its lock (see the module docstring)."""
    scheduler._user_kill = "graceful"
    threading.Thread(target=scheduler._open_jobs.release, daemon=True).start()


def patch_sigterm_handler() -> bool:
    """Replace Snakemake's SIGTERM handler; False when this Snakemake has none to replace."""
    from snakemake.scheduling import job_scheduler

    scheduler = getattr(job_scheduler, "JobScheduler", None)
    if scheduler is None or not hasattr(scheduler, "exit_gracefully"):
        return False
    scheduler.exit_gracefully = _exit_gracefully
    return True


def main() -> None:
    """Snakemake's ``main`` with the arguments this process was given."""
    from snakemake.cli import main as snakemake_main

    patch_sigterm_handler()
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
