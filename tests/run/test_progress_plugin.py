"""The logger plugin on the installed Snakemake: its events carry what the progress needs."""

from __future__ import annotations

import sys
from pathlib import Path

from labpipe.run import failures, runner

SNAKEFILE = """\
rule all:
    input:
        expand("done/{sample}.txt", sample=["S1", "S2"]),


rule work:
    output:
        "done/{sample}.txt",
    log:
        "logs/work/{sample}.log",
    shell:
        "if [ {wildcards.sample} = S2 ]; then echo 'cannot read S2' > {log}; exit 3; fi;"
        " echo ok > {output}"
"""


def test_a_real_run_reports_steps_and_the_failed_one_through_the_plugin(tmp_path: Path) -> None:
    snakefile = tmp_path / "Snakefile"
    snakefile.write_text(SNAKEFILE)
    outdir = tmp_path / "out"
    outdir.mkdir()
    command = [
        sys.executable,
        "-m",
        "labpipe.run.snakemake_main",
        "--snakefile",
        str(snakefile),
        "--directory",
        str(outdir),
        "--cores",
        "1",
        "--keep-going",
        "--logger",
        runner.PLUGIN_NAME,
    ]
    echoed: list[str] = []
    with open(tmp_path / "lock", "w") as lock:
        outcome = runner._stream(command, tmp_path / "run.log", echoed.append, False, lock.fileno())
    assert outcome.returncode != 0
    # Snakemake plans the two steps and `all`; only the steps count.
    assert outcome.planned == 2
    assert [line.split("  ")[1].split(" (")[0] for line in echoed] == ["work S1"]
    assert echoed[0].startswith("[1/2] done")
    [failed] = outcome.failed
    assert (failed.rule, failed.wildcards, failed.logs) == (
        "work",
        {"sample": "S2"},
        ["logs/work/S2.log"],
    )
    message = failures.failure_message(outcome, outdir).render()
    assert f"step 'work' failed for sample S2; read {outdir / 'logs/work/S2.log'}" in message
    assert "cannot read S2" in message
    # Snakemake's own text log is kept in full beside the events.
    assert "Error in rule work" in (tmp_path / "run.log").read_text()
