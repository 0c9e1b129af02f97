"""Run a command and measure it: wall time, CPU time, peak memory, what ran when.

CPU time is the children's rusage (every descendant that was waited for, which is all of
them when a pipeline exits cleanly). Peak memory is the largest sum of resident set sizes
over the whole process tree, sampled every ``interval`` seconds, so tools that run at the
same time add up (a pipe of bwa | samtools sort counts both). The samples also record
which processes were alive, so a workflow's time can be split into "some tool running"
and "only the orchestrator (Python) running", and what each step cost: CPU seconds and
peak memory per process label (``samtools sort``, ``bwa``, ``labpipe step annotate``…;
a process shorter than the sampling interval may be missed there, not in the total).
With ``watch``, the disk space used under that folder is sampled too (every second).
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import psutil

#: Processes that are the orchestration itself rather than a tool doing the work.
ORCHESTRATORS = ("python", "snakemake", "labpipe", "bash", "sh", "time")


@dataclass
class Measurement:
    """What one run cost.

    Attributes:
        wall: Elapsed seconds.
        cpu: User + system CPU seconds of all descendants.
        peak_rss: Largest summed resident set size of the process tree, bytes.
        max_single_rss: Largest resident set size of any one descendant, bytes.
        tool_busy: Seconds during which at least one non-orchestrator process was alive.
        returncode: Exit status.
        tool_seconds: Per tool name, seconds it was seen alive (summed over processes).
        started_epoch: When the command was started (seconds since the epoch), to place
            a workflow's own job times (Snakemake records epoch times) on the run.
        step_cpu: Per process label (:func:`process_label`), CPU seconds last seen.
        step_peak_rss: Per process label, the largest summed resident set size, bytes.
        peak_disk: Largest disk use seen under the watched folder, bytes.
        work_busy: Seconds during which a tool or one of labpipe's own working steps
            (``labpipe step …`` other than ``finish``, which only moves finished files
            into place) was alive.
    """

    wall: float
    cpu: float
    peak_rss: int
    max_single_rss: int
    tool_busy: float
    returncode: int
    tool_seconds: dict[str, float] = field(default_factory=dict)
    started_epoch: float = 0.0
    step_cpu: dict[str, float] = field(default_factory=dict)
    step_peak_rss: dict[str, int] = field(default_factory=dict)
    peak_disk: int = 0
    work_busy: float = 0.0

    @property
    def orchestration_only(self) -> float:
        """Seconds when no tool process was alive: start-up, planning, job launches and
        work done inside the orchestrator's own Python process."""
        return max(self.wall - self.tool_busy, 0.0)

    @property
    def nothing_working(self) -> float:
        """Seconds when neither a tool nor a working labpipe step was alive: start-up,
        planning, job launches and the moves of finished files."""
        return max(self.wall - self.work_busy, 0.0)


def _is_tool(process: psutil.Process) -> tuple[bool, str]:
    try:
        name = process.name()
        cmdline = process.cmdline()
    except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
        return False, ""
    if name.startswith(ORCHESTRATORS) or name in ORCHESTRATORS:
        # multiqc runs as "python .../multiqc": a tool, not the orchestrator.
        tool = next((Path(a).name for a in cmdline[1:3] if Path(a).name == "multiqc"), "")
        return (tool != ""), tool
    return True, name


#: Tools whose first argument names the step (``samtools sort``, ``bcftools mpileup``).
_SUBCOMMAND_TOOLS = ("samtools", "bcftools")


def process_label(name: str, cmdline: Sequence[str]) -> str:
    """What a process is doing, for per-step costs: the tool, its subcommand, or the
    ``labpipe step`` it runs; Snakemake and labpipe's own start as ``orchestration``."""
    words = [Path(a).name for a in cmdline]
    if name in _SUBCOMMAND_TOOLS and len(words) > 1:
        return f"{name} {words[1]}"
    if "multiqc" in words[1:3]:
        return "multiqc"
    if "step" in words and "labpipe.cli" in words:
        after = words[words.index("step") + 1 :]
        return f"labpipe step {after[0]}" if after else "labpipe step"
    if name.startswith(ORCHESTRATORS) or name in ORCHESTRATORS:
        return "orchestration"
    return name


def disk_usage(folder: Path) -> int:
    """Bytes of disk the files under ``folder`` take (allocated blocks; hard links once)."""
    seen: set[tuple[int, int]] = set()
    total = 0
    for root, _dirs, files in os.walk(folder):
        for name in files:
            try:
                info = os.lstat(os.path.join(root, name))
            except OSError:
                continue
            if (info.st_dev, info.st_ino) not in seen:
                seen.add((info.st_dev, info.st_ino))
                total += info.st_blocks * 512
    return total


def measure(
    command: Sequence[str],
    cwd: Path | None = None,
    log: Path | None = None,
    interval: float = 0.1,
    env: dict[str, str] | None = None,
    watch: Path | None = None,
) -> Measurement:
    """Run ``command`` to the end and measure it (see the module docstring)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    sink = open(log, "w") if log else subprocess.DEVNULL  # noqa: SIM115 - closed below
    started = time.monotonic()
    started_epoch = time.time()
    process = subprocess.Popen(
        list(command), cwd=cwd, stdout=sink, stderr=subprocess.STDOUT, env=env or os.environ.copy()
    )
    root = psutil.Process(process.pid)
    peak = 0
    busy = 0.0
    tool_seconds: dict[str, float] = {}
    # pid -> (label, CPU seconds when last seen); labels' peak summed memory.
    cpu_of: dict[int, tuple[str, float]] = {}
    label_peak: dict[str, int] = {}
    labels: dict[int, str] = {}
    peak_disk = 0
    work_busy = 0.0
    next_disk = started
    last = started
    while process.poll() is None:
        try:
            tree = [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            tree = []
        total = 0
        any_tool = False
        any_work = False
        rss_by_label: dict[str, int] = {}
        for member in tree:
            try:
                rss = member.memory_info().rss
                cpu = member.cpu_times()
                if member.pid not in labels:
                    labels[member.pid] = process_label(member.name(), member.cmdline())
            except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
                continue
            total += rss
            label = labels[member.pid]
            rss_by_label[label] = rss_by_label.get(label, 0) + rss
            cpu_of[member.pid] = (label, cpu.user + cpu.system)
            if label.startswith("labpipe step ") and label != "labpipe step finish":
                any_work = True
            is_tool, name = _is_tool(member)
            if is_tool:
                any_tool = True
                tool_seconds[name] = tool_seconds.get(name, 0.0) + interval
        for label, rss in rss_by_label.items():
            label_peak[label] = max(label_peak.get(label, 0), rss)
        now = time.monotonic()
        if watch is not None and now >= next_disk:
            peak_disk = max(peak_disk, disk_usage(watch))
            next_disk = now + 1.0
        if any_tool:
            busy += now - last
        if any_tool or any_work:
            work_busy += now - last
        last = now
        peak = max(peak, total)
        time.sleep(interval)
    step_cpu: dict[str, float] = {}
    for label, cpu in cpu_of.values():
        step_cpu[label] = step_cpu.get(label, 0.0) + cpu
    if watch is not None:
        peak_disk = max(peak_disk, disk_usage(watch))
    wall = time.monotonic() - started
    if log:
        sink.close()  # type: ignore[union-attr]
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Measurement(
        wall=wall,
        cpu=cpu,
        peak_rss=peak,
        max_single_rss=after.ru_maxrss * 1024,
        tool_busy=busy,
        returncode=process.returncode,
        tool_seconds={k: round(v, 1) for k, v in sorted(tool_seconds.items())},
        started_epoch=started_epoch,
        step_cpu={k: round(v, 2) for k, v in sorted(step_cpu.items())},
        step_peak_rss=dict(sorted(label_peak.items())),
        peak_disk=peak_disk,
        work_busy=work_busy,
    )


def median(values: Sequence[float]) -> float:
    """The median (of an odd or even count)."""
    return float(statistics.median(values))
