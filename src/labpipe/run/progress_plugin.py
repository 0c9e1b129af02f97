"""A Snakemake logger plugin that hands labpipe the run's events, one JSON line each.

Runs inside the Snakemake process (``labpipe.run.snakemake_main`` registers it and
``labpipe.run.runner`` selects it with ``--logger labpipe``). It writes each job's
announcement, finish, failure and the progress counts, as Snakemake's logger gives
them (``snakemake_interface_logger_plugins``: jobid, rule, wildcards, log files…),
to the file descriptor named by ``LABPIPE_EVENTS_FD``; the runner reads them there,
so the terminal's progress does not depend on the layout of Snakemake's text log,
which still goes to stdout and into ``logs/labpipe-run-….log`` unchanged.

Checked on Snakemake 9.27 with snakemake-interface-logger-plugins 2.1: the events
carry every field the progress lines and failure messages need. The one thing they
do not carry is a cluster job's id: the SLURM plugin says it in a plain message,
which is passed on as it is.
"""

from __future__ import annotations

import json
import os
import types
from logging import LogRecord
from typing import IO, Any

from snakemake_interface_logger_plugins.base import LogHandlerBase

from labpipe.run.runner import EVENTS_FD, PLUGIN_NAME

_FIELDS = (
    "jobid",
    "job_id",
    "rule_name",
    "rule_msg",
    "wildcards",
    "log",
    "input",
    "indent",
    "done",
    "total",
    "stats",
    "group_id",
    # What `labpipe demo --explain` shows of each step: the command exactly as it ran.
    "shellcmd",
    # What a step asked a cluster for (mem_mb, runtime): named when the cluster killed it.
    "resources",
)


def event_of(record: LogRecord) -> dict[str, Any]:
    """The parts of a Snakemake log record labpipe reads, as plain JSON values."""
    event = getattr(record, "event", None)
    data: dict[str, Any] = {"event": str(event) if event is not None else None}
    for name in _FIELDS:
        if hasattr(record, name):
            data[name] = getattr(record, name)
    if hasattr(data.get("resources"), "items"):
        # Snakemake's ResourceList: the plain numbers and names, not its internals.
        data["resources"] = {
            str(k): v for k, v in data["resources"].items() if isinstance(v, (int, float, str))
        }
    if data["event"] is None:
        data["msg"] = record.getMessage() if record.msg is not None else ""
    return data


class LogHandler(LogHandlerBase):
    """Writes :func:`event_of` each record to ``LABPIPE_EVENTS_FD``; prints nothing."""

    def __post_init__(self) -> None:
        fd = os.environ.get(EVENTS_FD)
        self._out: IO[str] | None = (
            os.fdopen(int(fd), "w", buffering=1, closefd=False) if fd else None
        )

    def emit(self, record: LogRecord) -> None:
        """Pass one record on (a closed reader only stops the progress, not the run)."""
        if self._out is None:
            return
        try:
            self._out.write(json.dumps(event_of(record), default=str) + "\n")
        except (OSError, ValueError):
            self._out = None

    @property
    def writes_to_stream(self) -> bool:
        """Snakemake's own text log stays on stdout."""
        return False

    @property
    def writes_to_file(self) -> bool:
        """Writes to a descriptor it is given, not a log file of its own."""
        return False

    @property
    def has_filter(self) -> bool:
        """Every record, whatever Snakemake's quietness settings."""
        return True

    @property
    def has_formatter(self) -> bool:
        """Formats its records itself (JSON)."""
        return True

    @property
    def needs_rulegraph(self) -> bool:
        """The rule graph is not needed."""
        return False


def register() -> None:
    """Make ``--logger labpipe`` known to Snakemake's plugin registry.

    Registered by hand: Snakemake finds plugins by a top-level package name
    (``snakemake_logger_plugin_…``), and labpipe installs none.
    """
    from snakemake_interface_logger_plugins.common import logger_plugin_module_prefix
    from snakemake_interface_logger_plugins.registry import LoggerPluginRegistry

    module = types.ModuleType(f"{logger_plugin_module_prefix}{PLUGIN_NAME}")
    module.LogHandler = LogHandler  # type: ignore[attr-defined]
    LoggerPluginRegistry().register_plugin(module.__name__, module)
