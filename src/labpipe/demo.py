"""``labpipe demo``: the whole pipeline on the embedded synthetic data, summarised.

Instructors run it in a classroom and labs run it to check an installation:
it ends with each sample's QC figures and how the calls compare with the
variants planted in the data.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from pathlib import Path

import yaml

from labpipe.core import layout
from labpipe.core.errors import InputFormatError, UsageError
from labpipe.core.i18n import N_, _, display_width, padded
from labpipe.core.resources import demo_data_dir

Echo = Callable[[str], None]
DEMO_FILES = (
    "reference.fa",
    "genes.gff3",
    "targets.bed",
    "samples.tsv",
    "truth.vcf.gz",
    "clinvar.vcf.gz",
    "population_af.vcf.gz",
    "panel_genes.txt",
)


def demo_config(data: Path, reference: Path, outdir: Path) -> dict[str, object]:
    """The lab config the demo runs with (the same as config/demo.yaml)."""
    return {
        "lab": {"name": "labpipe demo lab", "id": "demo"},
        "reference": {"fasta": str(reference), "build": "synthetic-demo"},
        "targets": str(data / "targets.bed"),
        "samples": str(data / "samples.tsv"),
        "output_dir": str(outdir),
        "threads": 2,
        "annotation": {
            "gff3": str(data / "genes.gff3"),
            # Synthetic sources (labpipe.simulation.demo_annotation); ClinVar names contigs 1, 2, 3.
            "clinvar": str(data / "clinvar.vcf.gz"),
            "population_af": [
                {
                    "id": "popaf",
                    "name": "Demo population AFs (gnomAD-style)",
                    "vcf": str(data / "population_af.vcf.gz"),
                    "population": "South Asian",
                    "population_field": "AF_sas",
                    "global_field": "AF",
                }
            ],
            "panels": [
                {"name": "Demo inherited disease panel", "file": str(data / "panel_genes.txt")}
            ],
        },
    }


def resumable(outdir: Path) -> bool:
    """Whether ``outdir`` holds a demo that did not finish (see :func:`prepare_demo`)."""
    return (outdir / layout.DEMO_UNFINISHED).exists() and (outdir / "demo.yaml").exists()


def prepare_demo(outdir: Path, overwrite: bool, echo: Echo | None = None) -> Path:
    """Lay out a fresh demo directory and write its config; or, when ``outdir`` holds a
    demo that did not finish (a lesson stopped half-way) and ``overwrite`` is off, resume it.

    The reference is copied in, so that its indexes are built there and the
    shipped data stays untouched. Until :func:`run_demo` has finished, the folder is
    marked unfinished (:data:`labpipe.core.layout.DEMO_UNFINISHED`).

    Args:
        echo: Where to say that an unfinished demo is resumed.

    Returns:
        The config file written (or found, when resuming).
    """
    data = demo_data_dir()
    missing = [name for name in DEMO_FILES if not (data / name).exists()]
    if missing:
        raise InputFormatError(
            _(
                "the demo data in %(folder)s is incomplete (missing %(files)s); "
                "regenerate it with `make test-data`"
            )
            % {"folder": data, "files": ", ".join(missing)}
        )
    config_path = outdir / "demo.yaml"
    if not overwrite and resumable(outdir):
        if echo is not None:
            from labpipe.lesson import narration

            echo(_(narration.RESUMING).format(outdir=outdir))
        return config_path
    if outdir.exists() and any(outdir.iterdir()):
        if not overwrite:
            raise UsageError(
                _("%(outdir)s is not empty; choose a fresh --outdir or add --overwrite")
                % {"outdir": outdir}
            )
        if not (outdir / layout.STATE_DIR).exists() and not (outdir / "demo.yaml").exists():
            raise UsageError(
                _("%(outdir)s does not hold an earlier labpipe demo; not emptying it")
                % {"outdir": outdir}
            )
        shutil.rmtree(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    reference = outdir / "reference" / "demo_reference.fa"
    reference.parent.mkdir()
    shutil.copyfile(data / "reference.fa", reference)
    unfinished = outdir / layout.DEMO_UNFINISHED
    unfinished.parent.mkdir()
    unfinished.touch()
    config = demo_config(data, reference.resolve(), outdir.resolve())
    config_path.write_text(yaml.safe_dump(config, sort_keys=False))
    return config_path


def run_demo(
    outdir: Path,
    cores: int,
    overwrite: bool,
    echo: Echo,
    executor: str = "local",
    profile: Path | None = None,
    explain: bool = False,
    pause: bool = False,
    wait: Callable[[], bool] | None = None,
) -> None:
    """Run the pipeline on the demo data and print the per-sample summary.

    A demo left unfinished in ``outdir`` (interrupted) is resumed, unless ``overwrite``.

    Args:
        explain: Run it one step at a time, each told as soon as it has run
            (:func:`labpipe.lesson.explain.teach`), then the rest of the workflow.
        pause: Wait for Enter before each step told (on a terminal only).
        wait: What waits instead of reading Enter (see :func:`labpipe.lesson.explain.teach`).
    """
    from labpipe.run.pipeline import run_pipeline

    started = time.monotonic()
    resuming = not overwrite and resumable(outdir)
    config_path = prepare_demo(outdir, overwrite, echo)
    if resuming and not explain:
        # An interrupted lesson kept files a run deletes once used: not to be left over.
        from labpipe.lesson.explain import drop_kept_files

        drop_kept_files(config_path, outdir.resolve(), cores, echo)
    if explain:
        from labpipe.config.settings import load_config
        from labpipe.lesson import narration
        from labpipe.lesson.explain import teach
        from labpipe.run.cluster import executor_arguments

        cluster = load_config(config_path).cluster
        executor_args = executor_arguments(executor, profile, cluster)
        teach(config_path, outdir.resolve(), cores, echo, pause, wait, executor_args)
        echo("")
        echo(_(narration.RUNNING_REST))
    run_pipeline(config_path, None, cores, False, False, echo, executor=executor, profile=profile)
    echo("")
    echo(demo_summary(outdir.resolve(), demo_data_dir()))
    echo("")
    echo(
        _("Demo finished in %(seconds)s s on %(cores)s core(s).")
        % {"seconds": f"{time.monotonic() - started:.0f}", "cores": cores}
    )
    if explain:
        echo("")
        echo(
            _(narration.OUTRO).format(
                index=outdir.resolve() / layout.REPORT_INDEX,
                multiqc=outdir.resolve() / layout.MULTIQC_HTML,
            )
        )
    (outdir / layout.DEMO_UNFINISHED).unlink(missing_ok=True)


#: The summary's columns: heading and width (the first is left-aligned, the others right).
_SUMMARY_COLUMNS = (
    (N_("sample"), 8),
    (N_("reads"), 9),
    (N_("mapped%"), 8),
    (N_("dup%"), 6),
    (N_("depth"), 7),
    (N_(">=20x%"), 7),
    (N_("SNV rec"), 8),
    (N_("SNV prec"), 9),
    (N_("indel rec"), 10),
    (N_("indel prec"), 11),
    (N_("GT agree"), 9),
)


def demo_summary(outdir: Path, data: Path) -> str:
    """QC figures and truth comparison per sample, as a small table.

    The comparison is :func:`labpipe.evaluation.evaluate.evaluate`, as ``labpipe evaluate`` runs it:
    PASS calls inside the targets against the planted truth, both normalised.
    """
    from labpipe.evaluation.evaluate import evaluate
    from labpipe.evaluation.outputs import rate
    from labpipe.qc.metrics import read_qc_table

    rows = read_qc_table(outdir / layout.QC_SUMMARY)
    reference = outdir / "reference" / "demo_reference.fa"
    table: list[list[str]] = []
    for row in rows:
        result = evaluate(
            data / "truth.vcf.gz",
            layout.in_outdir(outdir, layout.VCF, sample=row.sample),
            reference,
            targets_bed=data / "targets.bed",
            truth_sample=row.sample,
            calls_sample=row.sample,
        )
        concordance = result.all.genotype_concordance
        table.append(
            [
                row.sample,
                f"{row.reads_total:,}",
                f"{row.mapped_pct:.2f}",
                f"{row.duplicate_pct:.2f}",
                f"{row.mean_target_depth:.1f}",
                f"{row.pct_target_20x:.2f}",
                rate(result.snv.recall, 3),
                rate(result.snv.precision, 3),
                rate(result.indel.recall, 3),
                rate(result.indel.precision, 3),
                "-" if concordance is None else f"{100 * concordance:.1f}%",
            ]
        )
    header = [_(name) for name, _width in _SUMMARY_COLUMNS]
    # A translated heading may be wider than the figures: the column takes the wider.
    widths = [
        max(width, display_width(name))
        for name, (_english, width) in zip(header, _SUMMARY_COLUMNS, strict=True)
    ]
    lines = [_("Summary (calls that PASS, inside the targets, against the planted truth):")]
    for cells in [header, *table]:
        lines.append(
            " ".join(
                padded(cell, width, left=column == 0)
                for column, (cell, width) in enumerate(zip(cells, widths, strict=True))
            )
        )
    return "\n".join(lines)
