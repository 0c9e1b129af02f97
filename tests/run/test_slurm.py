"""The demo through a real SLURM: `labpipe run --executor slurm` on a single-node cluster.

Starts munged, slurmctld and slurmd with scripts/slurm-single-node.sh (as a lab
admin would), runs the demo with every heavy step as a SLURM job, cancels one
job with scancel and checks that the run names it and fails, reruns the same
command to completion, and compares the VCF records with a local run's. Stops
only the daemons it started. Needs root, slurm-wlm and munge (installed by
`scripts/setup.sh --test` on Debian); skipped, with the reason, elsewhere.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pysam
import pytest

from labpipe.demo import prepare_demo
from tests.builders import DemoRun
from tests.paths import REPO

SCRIPT = REPO / "scripts" / "slurm-single-node.sh"
SYSTEM_CONF = Path("/etc/slurm/slurm.conf")
SAMPLES = ("PK001", "PK002")


def _skip_reason() -> str | None:
    if sys.platform != "linux" or os.geteuid() != 0:
        return "starts SLURM's daemons: needs root on Linux"
    for daemon in ("slurmctld", "slurmd", "munged"):
        if shutil.which(daemon) is None and not Path(f"/usr/sbin/{daemon}").exists():
            return f"{daemon} is not installed (scripts/setup.sh --test installs it)"
    if importlib.util.find_spec("snakemake_executor_plugin_slurm") is None:
        return "Snakemake's SLURM plugin is not installed (pip install 'labpipe[slurm]')"
    if SYSTEM_CONF.exists() and not SYSTEM_CONF.is_symlink():
        return f"{SYSTEM_CONF} belongs to this machine's own SLURM; not starting a test cluster"
    return None


pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(_skip_reason() is not None, reason=str(_skip_reason())),
]


def _script(action: str, state: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(SCRIPT), action],
        env={**os.environ, "SLURM_STATE_DIR": str(state)},
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture(scope="module")
def slurm() -> Iterator[Path]:
    """A running single-node SLURM; stopped afterwards if this test started it."""
    state = Path(os.environ.get("SLURM_STATE_DIR", "/var/tmp/labpipe-slurm"))
    pid_files = [state / "slurmctld.pid", state / "slurmd.pid", state / "munged.pid"]
    already = all(_alive(p) for p in pid_files)
    started = _script("start", state)
    assert started.returncode == 0, started.stdout + started.stderr
    try:
        yield state
    finally:
        if not already:
            stopped = _script("stop", state)
            assert stopped.returncode == 0, stopped.stdout + stopped.stderr
            assert not any(_alive(p) for p in pid_files)


def _alive(pid_file: Path) -> bool:
    try:
        os.kill(int(pid_file.read_text().strip()), 0)
    except (OSError, ValueError):
        return False
    return True


def _labpipe(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "labpipe.cli", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _finish(process: subprocess.Popen[str], timeout: float = 600) -> tuple[int, str]:
    output, _ = process.communicate(timeout=timeout)
    return process.returncode, output


def variant_records(vcf: Path) -> list[str]:
    """The VCF's records as text (the header holds timestamps and paths)."""
    with pysam.VariantFile(str(vcf)) as handle:
        return [str(record) for record in handle]


def _cancel_first_align(deadline: float, workdir: Path) -> str:
    """scancel the first alignment job of the run in ``workdir``; its SLURM job id.

    Only this run's jobs (by their working directory): another run sharing the
    SLURM (a second checkout's tests) must not have its jobs cancelled, nor this
    test pass on theirs.
    """
    queue = ""
    while time.monotonic() < deadline:
        queue = subprocess.run(
            ["squeue", "-h", "-o", "%i %k %T %Z"], capture_output=True, text=True, check=False
        ).stdout
        for line in queue.splitlines():
            jobid, comment, state, folder = line.split(maxsplit=3)
            mine = Path(folder).resolve() == workdir.resolve()
            if mine and "align" in comment and state == "RUNNING":
                subprocess.run(["scancel", jobid], check=True)
                return jobid
        time.sleep(0.5)
    raise AssertionError(f"no alignment job of {workdir} seen running in squeue:\n{queue}")


def test_demo_through_slurm_matches_a_local_run_and_survives_scancel(
    slurm: Path, tmp_path: Path, demo_run: DemoRun
) -> None:
    """``demo_run`` (conftest): the same demo run here, shared with other tests."""
    slurm_dir = tmp_path / "slurm"
    slurm_config = prepare_demo(slurm_dir, overwrite=False)
    # Indexed beforehand, as a lab does once (`labpipe reference prepare`): one job less per run.
    fasta = slurm_dir / "reference" / "demo_reference.fa"
    indexed = subprocess.run(
        [sys.executable, "-m", "labpipe.cli", "reference", "prepare", str(fasta)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert indexed.returncode == 0, indexed.stdout + indexed.stderr

    # 1. Through SLURM, with one alignment job cancelled while it runs.
    run = _labpipe("run", str(slurm_config), "--cores", "2", "--executor", "slurm")
    cancelled = _cancel_first_align(time.monotonic() + 180, slurm_dir)
    code, output = _finish(run)
    assert code == 1, output
    assert re.search(
        rf"step 'align' failed for sample PK00\d, unit \w+ reading .*"
        rf"\(SLURM job {cancelled}: cancelled \(scancel, or by an administrator\)\)",
        output,
    ), output
    assert "slurm_logs/rule_align" in output  # the job's own log is named

    # 2. The same command again resumes and completes.
    started = time.monotonic()
    code, output = _finish(
        _labpipe("run", str(slurm_config), "--cores", "2", "--executor", "slurm")
    )
    assert code == 0, output
    rerun_seconds = time.monotonic() - started
    # Each finished step says how long it took.
    assert re.search(r"\] done  align PK00\d \w+ \(\d+s\)", output), output
    # The steps ran as SLURM jobs: the run's log has the ids sbatch gave them.
    logs = "\n".join(p.read_text() for p in (slurm_dir / "logs").glob("labpipe-run-*.log"))
    submitted = re.findall(r"submitted with SLURM jobid (\d+)", logs)
    assert submitted and re.search(r"rule align:.*\n(?:.*\n)*?Job \d+ has been submitted", logs)
    assert (slurm_dir / ".snakemake" / "slurm_logs" / "rule_align").is_dir()
    # The cheap whole-run steps ran here, not in the queue.
    assert "localrule report_index:" in logs

    # 3. A local run of the same data gives the same calls.
    for sample in SAMPLES:
        local = variant_records(demo_run.outdir / "results" / "vcf" / f"{sample}.vcf.gz")
        remote = variant_records(slurm_dir / "results" / "vcf" / f"{sample}.vcf.gz")
        assert local and remote == local, sample
    print(f"SLURM rerun completed in {rerun_seconds:.0f} s")
