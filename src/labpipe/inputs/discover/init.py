"""``labpipe init``: scan a run folder, write the sample sheet and the lab config for it.

The sheet and config are written so that ``labpipe validate`` accepts them; the
sheet's comment lines list every FASTQ left out with the reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from labpipe.core.atomic import write_text_atomic
from labpipe.core.errors import InputFormatError, SampleSheetError, UsageError
from labpipe.inputs.discover.discovery import Discovery, absolute_path, path_relative_to
from labpipe.inputs.discover.lab_config import (
    InitSources,
    name_slug,
    one_line,
    with_build_of_reference,
    write_lab_config,
)
from labpipe.inputs.discover.names import FASTQ_SUFFIXES, natural_sort_key
from labpipe.inputs.discover.scan import discover_fastqs

SAMPLE_SHEET_NAME = "samples.tsv"
CONFIG_NAME = "config.yaml"
SHEET_COLUMNS = ("sample", "unit", "fq1", "fq2", "platform", "library")


@dataclass(frozen=True)
class InitResult:
    """What ``labpipe init`` wrote and what it found on the way.

    Attributes:
        sample_sheet: The sample sheet written.
        config: The lab config written.
        discovery: The scan, with every file left out and why.
        warnings: The scan's warnings plus those about the config (no lab name, an
            unindexed reference, units of unknown platform).
    """

    sample_sheet: Path
    config: Path
    discovery: Discovery
    warnings: list[str]

    def report(self, examples: int = 3) -> str:
        """A summary for the terminal: samples found, files left out, warnings, next step.

        Problems and unpaired files are listed one by one (the lab must act on each);
        skipped files are grouped by reason with a few examples, since a run has one
        index-read file per lane of every sample. The sheet's comments list them all.
        """
        found = self.discovery
        lines = [
            f"Found {len(found.units)} unit(s) of {len(found.samples)} sample(s)"
            f" in {found.fastq_dir}:"
        ]
        width = max(len(s) for s in found.samples)
        for sample in found.samples:
            units = [u for u in found.units if u.sample == sample]
            platforms = sorted({u.platform or "default platform" for u in units})
            lines.append(
                f"  {sample:<{width}}  {', '.join(platforms)}  {', '.join(u.unit for u in units)}"
            )
        lines.append(f"Wrote {self.sample_sheet} and {self.config}")
        for title, notes in (
            ("Not used until you act", found.problems),
            ("Not paired", found.unpaired),
        ):
            if notes:
                lines.append(f"{title} ({len(notes)}):")
                lines.extend(f"  {found.relative(n.path)}: {n.reason}" for n in notes)
        if found.skipped:
            lines.append(f"Skipped ({len(found.skipped)}):")
            by_reason: dict[str, list[str]] = {}
            for note in found.skipped:
                by_reason.setdefault(note.reason, []).append(found.relative(note.path))
            for reason, paths in by_reason.items():
                if len(paths) == 1:
                    lines.append(f"  {paths[0]}: {reason}")
                else:
                    more = f", ... ({len(paths)} files)" if len(paths) > examples else ""
                    lines.append(f"  {', '.join(paths[:examples])}{more}: {reason}")
        if self.warnings:
            lines.append(f"Warnings ({len(self.warnings)}):")
            lines.extend(f"  {w}" for w in self.warnings)
        lines.append(f"Next: check the sheet, then run `labpipe validate {self.config}`")
        return "\n".join(lines)


def write_sample_sheet(discovery: Discovery, path: Path) -> Path:
    """Write the units of a scan as a sample sheet, atomically.

    FASTQ paths are written relative to the sheet's folder when they lie under it,
    else absolute. Comment lines say where the sheet came from and list every FASTQ
    left out with the reason; the sheet loader skips them.

    Returns:
        The sheet's path.

    Raises:
        SampleSheetError: The scan found no units (the sheet would not load).
    """
    path = absolute_path(path)
    if not discovery.units:
        raise SampleSheetError(
            f"no units to write to {path}: no FASTQ pairs were found in {discovery.fastq_dir}"
        )
    base = path.parent
    lines = [
        f"# Sample sheet written by labpipe init from {one_line(str(discovery.fastq_dir))}",
        "# One row per unit (lane) of a sample: check the sample names before running.",
    ]
    left_out = discovery.left_out()
    if left_out:
        lines.append(f"# {len(left_out)} FASTQ file(s) found but not in this sheet:")
        lines.extend(
            f"#   {kind}: {one_line(discovery.relative(note.path))}: {one_line(note.reason)}"
            for kind, note in left_out
        )
    lines.append("\t".join(SHEET_COLUMNS))
    for unit in discovery.units:
        cells = [
            unit.sample,
            unit.unit,
            path_relative_to(unit.fq1, base),
            path_relative_to(unit.fq2, base),
            unit.platform or "",
            "",
        ]
        lines.append("\t".join(cells))
    write_text_atomic(path, "\n".join(lines) + "\n")
    return path


def init_lab(
    fastq_dir: Path,
    reference: Path,
    targets: Path | None,
    lab_name: str | None,
    out_dir: Path,
    barcodes: Mapping[str, str] | None = None,
    *,
    overwrite: bool = False,
    skip_unlisted_barcodes: bool = False,
    sources: InitSources | None = None,
) -> InitResult:
    """Scan a run folder and write ``samples.tsv`` and ``config.yaml`` into ``out_dir``.

    Units with problems, unpaired and skipped files are left out of the sheet and
    listed in the result (and in the sheet's comments); the sheet is written as
    long as one unit is usable.

    Args:
        fastq_dir: The sequencer's (or demultiplexer's) output folder.
        reference: Reference FASTA.
        targets: Targets BED, or None for whole-genome data.
        lab_name: The lab's name for reports; None writes a placeholder and a warning.
        out_dir: Where to write the two files (created if missing).
        barcodes: Optional MGI barcode → sample table (see :func:`discover_fastqs`).
        overwrite: Replace the two files if they exist.
        skip_unlisted_barcodes: Leave out (and list) files whose barcode the table lacks;
            without it such files stop ``init``, since a patient would be missed silently.
        sources: Genome build and annotation files for the config.

    Returns:
        The paths written, the scan, and warnings for the user.

    Raises:
        UsageError: A named file or folder is missing, or the output files exist.
        InputFormatError: No usable read pair was found, or a barcode of the run is not in
            the barcode table (without ``skip_unlisted_barcodes``); the problems say why.
    """
    out_dir = absolute_path(out_dir)
    sheet_path = out_dir / SAMPLE_SHEET_NAME
    config_path = out_dir / CONFIG_NAME
    sources = sources or InitSources()
    missing = sources.problems()
    named = [("--reference", reference), ("--targets", targets), *sources.files()]
    for option, given in named:
        if given is None or Path(given).is_file():
            continue
        state = "is not a file" if Path(given).exists() else "does not exist"
        missing.append(f"{option} {given} {state}")
    if missing:
        raise UsageError("labpipe init cannot start", missing)
    existing = [str(p) for p in (sheet_path, config_path) if p.exists()]
    if existing and not overwrite:
        raise UsageError(
            f"{' and '.join(existing)} already exist{'s' if len(existing) == 1 else ''};"
            " pass --overwrite to replace them, or choose another --outdir folder"
        )

    found = discover_fastqs(fastq_dir, barcodes)
    unlisted = _unlisted_barcode_lines(found)
    if unlisted and not skip_unlisted_barcodes:
        raise InputFormatError(
            f"{len(found.unlisted_barcodes)} barcode(s) of the run in {found.fastq_dir} are not in"
            " the barcode table, so their patients would be missing from the sample sheet: add"
            " them to the table (barcode → sample), or pass --skip-unlisted-barcodes to leave"
            " them out on purpose",
            unlisted,
        )
    if not found.units:
        notes = [
            f"{kind}: {found.relative(note.path)}: {note.reason}" for kind, note in found.left_out()
        ]
        raise InputFormatError(
            f"no usable FASTQ pairs in {found.fastq_dir}",
            notes or [f"it holds no FASTQ files (names ending {', '.join(FASTQ_SUFFIXES)})"],
        )

    warnings = list(found.warnings)
    if unlisted:
        warnings.append(
            f"left out on request (--skip-unlisted-barcodes): {len(found.unlisted_barcodes)}"
            " barcode(s) not in the barcode table: " + "; ".join(unlisted)
        )
    name = (lab_name or "").strip()
    if not name:
        name = "Unnamed lab"
        warnings.append(
            f"no lab name given: {config_path} calls the lab 'Unnamed lab'; edit lab.name"
            " and lab.id there (the name is printed on reports)"
        )
    elif not name_slug(name):
        warnings.append(
            f"lab.id in {config_path} is 'lab' (the name has no Latin letters or digits);"
            " edit it to a short id of your lab"
        )
    platform = found.main_platform() or "ILLUMINA"
    unknown = [u for u in found.units if u.platform is None]
    if unknown:
        warnings.append(
            f"{len(unknown)} unit(s) have reads that name no platform and files named in no"
            f" platform's scheme: they take the config's default platform {platform}; set the"
            f" platform column of {sheet_path} if that is wrong"
        )

    sources, build_warnings = with_build_of_reference(sources, reference)
    warnings += build_warnings
    out_dir.mkdir(parents=True, exist_ok=True)
    write_sample_sheet(found, sheet_path)
    write_lab_config(
        config_path,
        lab_name=name,
        reference=reference,
        targets=targets,
        samples_path=sheet_path,
        platform=platform,
        sources=sources,
    )
    from labpipe.inputs.reference import missing_indexes

    if missing_indexes(absolute_path(reference)):
        warnings.append(
            f"reference {reference} is not indexed yet: run"
            f" `labpipe reference prepare {reference}` before `labpipe run`"
        )
    return InitResult(sheet_path, config_path, found, warnings)


def _unlisted_barcode_lines(found: Discovery) -> list[str]:
    """One line per barcode the table lacks, naming its files."""
    return [
        f"barcode {barcode}: {', '.join(found.relative(p) for p in paths)}"
        for barcode, paths in sorted(
            found.unlisted_barcodes.items(), key=lambda i: natural_sort_key(i[0])
        )
    ]
