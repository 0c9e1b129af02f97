"""The demo through a real SLURM: `labpipe run --executor slurm` on a single-node cluster.

Starts munged, slurmctld and slurmd with scripts/slurm-single-node.sh (as a lab
admin would), runs the demo with every heavy step as a SLURM job, has SLURM kill
jobs for memory and for time and cancels one with scancel, checks that each run
fails naming the step, its logs and what to raise, reruns the same command to
completion, and compares the VCF records with a local run's. Stops only the
daemons it started. Needs root, slurm-wlm and munge (installed by
`scripts/setup.sh --test` on Debian); skipped, with the reason, elsewhere.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pysam
import pytest
import yaml

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


def _running_align(deadline: float, workdir: Path, skip: set[str]) -> tuple[str, str]:
    """The SLURM job id and comment (rule, wildcards) of the first alignment job of the
    run in ``workdir`` seen running, jobs in ``skip`` left out.

    Only this run's jobs (by their working directory): another run sharing the
    SLURM (a second checkout's tests) must not have its jobs killed, nor this
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
            if mine and "rule_align" in comment and state == "RUNNING" and jobid not in skip:
                return jobid, comment
        time.sleep(0.5)
    raise AssertionError(f"no alignment job of {workdir} seen running in squeue:\n{queue}")


def _time_limit(jobid: str) -> str:
    """The job's time limit as squeue shows it ('30:00')."""
    return subprocess.run(
        ["squeue", "-h", "-j", jobid, "-o", "%l"], capture_output=True, text=True, check=True
    ).stdout.strip()


def _hang(jobid: str) -> None:
    """Stop every process of the job (SIGSTOP), as a step stalled on a hung disk would be:
    it then runs until SLURM ends it. Twice, for children started meanwhile."""
    for _ in range(2):
        listed = subprocess.run(
            ["scontrol", "listpids", jobid], capture_output=True, text=True, check=True
        ).stdout
        for line in listed.splitlines()[1:]:
            with contextlib.suppress(ValueError, ProcessLookupError):
                os.kill(int(line.split()[0]), signal.SIGSTOP)
        time.sleep(0.5)


def _set_align_memory(config: Path, mem_mb: int | None) -> None:
    """Set (or, with None, remove) ``cluster.steps.align.mem_mb`` as a lab would."""
    settings = yaml.safe_load(config.read_text())
    if mem_mb is None:
        settings.pop("cluster", None)
    else:
        settings["cluster"] = {"steps": {"align": {"mem_mb": mem_mb}}}
    config.write_text(yaml.safe_dump(settings, sort_keys=False))


def test_demo_through_slurm_survives_kills_and_matches_a_local_run(
    slurm: Path, tmp_path: Path, demo_run: DemoRun
) -> None:
    """Jobs killed by SLURM for memory, for time and by scancel are each named with what
    to do, the same command resumes, and the calls equal a local run's.

    ``demo_run`` (conftest): the same demo run here, shared with other tests.
    """
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
    command = ("run", str(slurm_config), "--cores", "2", "--executor", "slurm")

    # 1. Too little memory for the alignment jobs: SLURM kills each (the Snakemake inside
    #    a job alone uses more than 100 MB), and labpipe says which setting to raise.
    _set_align_memory(slurm_config, 100)
    code, output = _finish(_labpipe(*command))
    assert code == 1, output
    for sample, unit in (("PK001", "L001"), ("PK001", "L002"), ("PK002", "L02")):
        assert re.search(
            rf"step 'align' failed for sample {sample}, unit {unit} reading .*"
            rf"\(SLURM job \d+: killed by SLURM for using more memory than it asked for "
            rf"\([\d,]+ MB in use when killed; it had 100 MB\); "
            rf"raise cluster\.steps\.align\.mem_mb in the config, e\.g\. to [\d,]+\)",
            output,
        ), output
    assert "slurm_logs/rule_align" in output  # the job's own log is named
    assert "exceeded memory limit" in output  # and its telling line quoted

    # 2. Memory as labpipe sizes it. One alignment job is cancelled with scancel; the
    #    other sample's hangs and reaches its time limit: SLURM's shortest limit is a
    #    minute, so the hung job's limit is lowered to nothing (as an administrator
    #    may), and SLURM ends it as TIMEOUT at its next check, within seconds.
    _set_align_memory(slurm_config, None)
    run = _labpipe(*command)
    deadline = time.monotonic() + 300
    cancelled = timed_out = ""
    while not (cancelled and timed_out):
        # The alignment jobs run in any order (here one at a time: each asks for both CPUs).
        jobid, comment = _running_align(deadline, slurm_dir, {cancelled, timed_out})
        if "PK001" in comment and not cancelled:
            subprocess.run(["scancel", jobid], check=True)
            cancelled = jobid
        elif "PK002" in comment and not timed_out:
            assert _time_limit(jobid) == "30:00"  # the runtime labpipe planned for align
            _hang(jobid)
            subprocess.run(["scontrol", "update", f"JobId={jobid}", "TimeLimit=0"], check=True)
            timed_out = jobid
        else:
            time.sleep(0.5)  # PK001's other unit, after its first was cancelled
    code, output = _finish(run)
    assert code == 1, output
    assert re.search(
        rf"step 'align' failed for sample PK001, unit L00\d reading .*"
        rf"\(SLURM job {cancelled}: cancelled \(scancel, or by an administrator\)\)",
        output,
    ), output
    assert (
        f"(SLURM job {timed_out}: killed by SLURM at its time limit (30 min); "
        "raise cluster.steps.align.runtime (minutes) in the config, e.g. to 60)"
    ) in output, output
    assert "DUE TO TIME LIMIT" in output

    # 3. The same command again resumes and completes.
    started = time.monotonic()
    code, output = _finish(_labpipe(*command))
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

    # 4. A local run of the same data gives the same calls.
    for sample in SAMPLES:
        local = variant_records(demo_run.outdir / "results" / "vcf" / f"{sample}.vcf.gz")
        remote = variant_records(slurm_dir / "results" / "vcf" / f"{sample}.vcf.gz")
        assert local and remote == local, sample
    print(f"SLURM rerun completed in {rerun_seconds:.0f} s")


@pytest.mark.slow
def test_a_hung_step_is_killed_at_the_time_limit_its_config_sets(
    slurm: Path, tmp_path: Path
) -> None:
    """``cluster.steps.align.runtime: 1`` reaches SLURM as the job's limit, and SLURM
    ends a hung alignment job at that minute by itself (slow: a minute at least).

    One sample, one unit: its one alignment job hangs, and nothing else is left to run.
    """
    slurm_dir = tmp_path / "slurm"
    config = prepare_demo(slurm_dir, overwrite=False)
    settings = yaml.safe_load(config.read_text())
    sheet = Path(settings["samples"])
    header, *rows = sheet.read_text().splitlines()
    [row] = [r.split("\t") for r in rows if r.startswith("PK002\t")]
    row[2:4] = [str(sheet.parent / fq) for fq in row[2:4]]
    one_sample = tmp_path / "samples.tsv"
    one_sample.write_text(header + "\n" + "\t".join(row) + "\n")
    settings["samples"] = str(one_sample)
    settings["cluster"] = {"steps": {"align": {"runtime": 1}}}
    config.write_text(yaml.safe_dump(settings, sort_keys=False))

    run = _labpipe("run", str(config), "--cores", "2", "--executor", "slurm")
    jobid, _ = _running_align(time.monotonic() + 300, slurm_dir, set())
    assert _time_limit(jobid) == "1:00"
    _hang(jobid)
    code, output = _finish(run)
    assert code == 1, output
    assert (
        f"step 'align' failed for sample PK002, unit L02 reading {row[2]} and {row[3]}"
        f" (SLURM job {jobid}: killed by SLURM at its time limit (1 min); raise"
        " cluster.steps.align.runtime (minutes) in the config, e.g. to 2)"
    ) in output, output
    ran = subprocess.run(
        ["squeue", "-h", "--states=all", "-j", jobid, "-o", "%T %M"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert ran[0] == "TIMEOUT", ran
    print(f"SLURM job {jobid} ended {ran[0]} after {ran[1]} (limit 1:00)")
