"""Run Snakemake's command line, with labpipe's logger plugin, two fixes for how it stops
and one for how it waits.

labpipe's runner starts Snakemake as ``python -m labpipe.run.snakemake_main``, which
registers the logger plugin (``labpipe.run.progress_plugin``) that hands the runner
the run's events.

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
* Re-evaluation timers: every scheduling round ends by starting another one-second timer
  that wakes the scheduler (a semaphore release) for another round, and a round that a
  finished job started starts one too, so the timers never stop piling up: after k
  finished jobs, k timers wake the scheduler every second, and each round re-checks the
  inputs of every ready job. A batch's orchestration CPU grew faster than its samples
  (benchmarks/batch.py: 2.5 s for 1 sample, 61 s for 12; 2,741 rounds for 82 jobs).
  Here a round starts a timer only when none is pending: the scheduler still looks again
  within a second (the job rate limit keeps its meaning), and rounds follow events.
"""

from __future__ import annotations

import atexit
import os
import sys
import threading
from collections.abc import Callable
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


def _replace_scheduler_method(name: str, replacement: Callable[..., None]) -> bool:
    """Put ``replacement`` in place of Snakemake's ``JobScheduler.<name>``; False when this
    Snakemake has no such method (the fix is then not needed or no longer fits)."""
    from snakemake.scheduling import job_scheduler

    scheduler = getattr(job_scheduler, "JobScheduler", None)
    if scheduler is None or not hasattr(scheduler, name):
        return False
    setattr(scheduler, name, replacement)
    return True


def patch_sigterm_handler() -> bool:
    """Replace Snakemake's SIGTERM handler; False when this Snakemake has none to replace."""
    return _replace_scheduler_method("exit_gracefully", _exit_gracefully)


def _reevaluate_once(scheduler: Any, delay: float) -> None:
    """Snakemake's ``_schedule_reevalutation`` without piling up timers (module docstring)."""
    if getattr(scheduler, "_labpipe_reevaluation", None) is not None:
        return

    def wake() -> None:
        # Cleared before the wake-up, so that the round it starts may ask for the next.
        scheduler._labpipe_reevaluation = None
        scheduler._open_jobs.release()

    timer = threading.Timer(delay, wake)
    timer.daemon = True
    scheduler._labpipe_reevaluation = timer
    timer.start()


def patch_reevaluation() -> bool:
    """Replace Snakemake's re-evaluation timer; False when this Snakemake has none."""
    return _replace_scheduler_method("_schedule_reevalutation", _reevaluate_once)


def main() -> None:
    """Snakemake's ``main`` with the arguments this process was given."""
    from snakemake.cli import main as snakemake_main

    from labpipe.run.progress_plugin import register

    patch_sigterm_handler()
    patch_reevaluation()
    # `--logger labpipe`: the run's events for labpipe's progress (labpipe.run.runner).
    register()
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
