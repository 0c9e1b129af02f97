"""Per-sample QC metrics (:class:`SampleQC`), collected from the tools' reports, and the QC
table (``qc_summary.tsv``) and read ledger written from them.

The reports are read by :mod:`labpipe.qc.tool_reports`. Percentages are 0-100 and rounded
to 4 decimals; read counts count mates separately.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Sequence
from dataclasses import astuple, dataclass, fields
from pathlib import Path
from typing import Any

from labpipe.core.atomic import write_text_atomic
from labpipe.core.errors import InputFormatError
from labpipe.core.i18n import N_
from labpipe.qc.tool_reports import (
    LEDGER_FILTERS,
    FastpSummary,
    FlagstatSummary,
    mosdepth_thresholds_path,
    percent,
    read_fastp_json,
    read_flagstat_json,
    read_markdup_stats,
    read_mosdepth_targets,
    read_samtools_stats_summary,
    stats_number,
    text_of_report,
)

#: How a missing value (e.g. insert size of single-end data) is written in the QC table.
MISSING = "NA"


@dataclass(frozen=True)
class SampleQC:
    """QC metrics of one sample: one row of ``qc.tsv``.

    Attributes:
        sample: Sample id.
        reads_total: Reads (mates counted separately) entering fastp, summed over units.
        reads_after_filter: Reads fastp kept, summed over units.
        q30_pct: Percentage of raw bases with quality >= 30, over all units.
        adapter_trimmed_reads: Reads in which fastp trimmed adapter, summed over units.
        mapped_pct: Primary mapped reads as a percentage of primary reads in the BAM.
        properly_paired_pct: Properly paired reads as a percentage of paired reads; None when
            the sample has no paired reads.
        duplicate_pct: Primary duplicates as a percentage of primary mapped reads (Picard's
            PERCENT_DUPLICATION, as a percentage).
        mean_insert_size: ``samtools stats`` insert size average; None without pairs.
        mean_target_depth: Mean depth over the target bases (mosdepth ``total_region``).
        pct_target_10x: Percentage of target bases with depth >= 10.
        pct_target_20x: Percentage of target bases with depth >= 20.
        pct_target_30x: Percentage of target bases with depth >= 30.
        estimated_library_size: ``samtools markdup`` ESTIMATED_LIBRARY_SIZE; None when its
            statistics were not given.
        sex_declared: The sample sheet's sex: male, female or unknown.
        sex_inferred: male, female or ``not inferred`` (:mod:`labpipe.qc.sex`).
        x_autosome_depth_ratio: chrX (outside the PARs) / autosomal target depth.
        y_autosome_depth_ratio: chrY (outside the PARs) / autosomal target depth.
        x_het_fraction: Share of PASS chrX SNVs outside the PARs that are heterozygous.
        x_snvs: Those SNVs.
        x_het_snvs: Of them, heterozygous.
        sex_note: The figures behind ``sex_inferred``, or why it was not inferred; and,
            for a male called diploid, why.
        pairs_in: Read pairs in the sample's FASTQs, counted from the files (the ledger's
            start); None when the pair counts were not given (so are the ledger's others).
        pairs_removed_low_quality: Pairs fastp removed for too many low-quality bases.
        pairs_removed_too_many_n: Pairs fastp removed for too many N bases.
        pairs_removed_too_short: Pairs fastp removed as shorter than ``trimming.min_length``
            after trimming, including pairs that were adapter only.
        pairs_removed_other: Pairs fastp removed by any other filter (too long, low
            complexity).
        pairs_aligned: Pairs in the final BAM (primary read 1 records, mapped or not).
        pairs_lost_fraction: Share of ``pairs_in`` not aligned (0-1, 4 decimals).
    """

    sample: str
    reads_total: int
    reads_after_filter: int
    q30_pct: float
    adapter_trimmed_reads: int
    mapped_pct: float
    properly_paired_pct: float | None
    duplicate_pct: float
    mean_insert_size: float | None
    mean_target_depth: float
    pct_target_10x: float
    pct_target_20x: float
    pct_target_30x: float
    estimated_library_size: int | None = None
    sex_declared: str = "unknown"
    sex_inferred: str = "not inferred"
    x_autosome_depth_ratio: float | None = None
    y_autosome_depth_ratio: float | None = None
    x_het_fraction: float | None = None
    x_snvs: int | None = None
    x_het_snvs: int | None = None
    sex_note: str = "the sex check did not run"
    pairs_in: int | None = None
    pairs_removed_low_quality: int | None = None
    pairs_removed_too_many_n: int | None = None
    pairs_removed_too_short: int | None = None
    pairs_removed_other: int | None = None
    pairs_aligned: int | None = None
    pairs_lost_fraction: float | None = None

    def pairs_removed(self) -> dict[str, int]:
        """Pairs removed by each filter (``low_quality``, ``too_many_n``, ``too_short``,
        ``other``); empty without a ledger."""
        removed = {name: getattr(self, f"pairs_removed_{name}") for name in LEDGER_FILTERS}
        return {k: v for k, v in removed.items() if v is not None}

    def pairs_unaccounted(self) -> int | None:
        """Pairs neither aligned nor removed by a filter (0 when the ledger adds up);
        None without a ledger."""
        if self.pairs_in is None or self.pairs_aligned is None:
            return None
        return self.pairs_in - self.pairs_aligned - sum(self.pairs_removed().values())


#: What each filter means, for QC reasons and the MultiQC table.
LEDGER_FILTER_NAMES: dict[str, str] = {
    "low_quality": N_("the low-quality filter"),
    "too_many_n": N_("the N filter (too many N bases)"),
    "too_short": N_("the length filter (too short after trimming, or adapter only)"),
    "other": N_("another fastp filter (too long or low complexity)"),
}
#: Each filter's short name, as the share of pairs it removed is listed.
LEDGER_FILTER_SHORT: dict[str, str] = {
    "low_quality": N_("low quality"),
    "too_many_n": N_("too many n"),
    "too_short": N_("too short"),
    "other": N_("other"),
}


#: Column names of the QC table, in order.
QC_COLUMNS: tuple[str, ...] = tuple(f.name for f in fields(SampleQC))


def collect_sample_qc(
    sample: str,
    fastp_jsons: Sequence[Path],
    flagstat_json: Path,
    stats_txt: Path,
    mosdepth_prefix: Path,
    markdup_stats: Path | None = None,
    pair_counts: Sequence[Path] | None = None,
) -> SampleQC:
    """Gather one sample's QC metrics from its tool reports.

    Args:
        sample: Sample id, copied into the row.
        fastp_jsons: fastp ``--json`` reports, one per unit of the sample.
        flagstat_json: ``samtools flagstat -O json`` of the final BAM.
        stats_txt: ``samtools stats`` of the final BAM.
        mosdepth_prefix: The PREFIX given to ``mosdepth --by ... --thresholds 10,20,30``.
        markdup_stats: Optional ``samtools markdup -f`` statistics file.
        pair_counts: ``labpipe step check-pairs`` counts, one per unit; without them the
            read ledger's columns are None.

    Returns:
        The sample's metrics.

    Raises:
        ValueError: When ``fastp_jsons`` is empty (a wiring bug, not a data problem).
        InputFormatError: Naming the file that is missing or malformed.
    """
    if not fastp_jsons:
        raise ValueError(f"sample {sample}: no fastp reports given")
    units = [read_fastp_json(Path(p)) for p in fastp_jsons]
    raw_bases = sum(u.raw_bases for u in units)
    flagstat = read_flagstat_json(Path(flagstat_json))
    stats_path = Path(stats_txt)
    stats = read_samtools_stats_summary(stats_path)
    insert_size: float | None = stats_number(stats, "insert size average", stats_path)
    if stats_number(stats, "reads paired", stats_path) == 0:
        # samtools reports 0 for single-end data; 0 would read as a broken library.
        insert_size = None
    coverage = read_mosdepth_targets(Path(mosdepth_prefix))
    thresholds_path = mosdepth_thresholds_path(Path(mosdepth_prefix))
    library_size = None
    if markdup_stats is not None:
        library_size = read_markdup_stats(Path(markdup_stats)).estimated_library_size
    return SampleQC(
        sample=sample,
        reads_total=sum(u.raw_reads for u in units),
        reads_after_filter=sum(u.reads_after_filter for u in units),
        q30_pct=percent(sum(u.raw_q30_bases for u in units), raw_bases),
        adapter_trimmed_reads=sum(u.adapter_trimmed_reads for u in units),
        mapped_pct=percent(flagstat.primary_mapped, flagstat.primary),
        properly_paired_pct=(
            percent(flagstat.properly_paired, flagstat.paired) if flagstat.paired else None
        ),
        duplicate_pct=percent(flagstat.primary_duplicates, flagstat.primary_mapped),
        mean_insert_size=insert_size,
        mean_target_depth=coverage.mean_depth,
        pct_target_10x=coverage.pct_at(10, thresholds_path),
        pct_target_20x=coverage.pct_at(20, thresholds_path),
        pct_target_30x=coverage.pct_at(30, thresholds_path),
        estimated_library_size=library_size,
        **_ledger(units, pair_counts, flagstat),
    )


def _ledger(
    units: Sequence[FastpSummary], pair_counts: Sequence[Path] | None, flagstat: FlagstatSummary
) -> dict[str, Any]:
    """The read ledger's columns: pairs counted in the files, removed by each filter, aligned.

    fastp judges a pair as one (both mates count under the worse mate's filter), so its
    read counts halve exactly into pairs. Pairs that fastp never read (a file it stopped
    early in) are in no column: :meth:`SampleQC.pairs_unaccounted` shows them.
    """
    if pair_counts is None:
        return {}
    from labpipe.qc.read_pairs import read_pair_count

    pairs_in = sum(read_pair_count(Path(p)).pairs for p in pair_counts)
    columns: dict[str, Any] = {"pairs_in": pairs_in}
    for name in LEDGER_FILTERS:
        columns[f"pairs_removed_{name}"] = sum(u.removed_reads.get(name, 0) for u in units) // 2
    columns["pairs_aligned"] = flagstat.read1
    lost = pairs_in - flagstat.read1
    columns["pairs_lost_fraction"] = round(lost / pairs_in, 4) if pairs_in else 0.0
    return columns


def write_ledger_mqc(rows: Sequence[SampleQC], out_tsv: Path) -> None:
    """The read ledger as a MultiQC custom-content table (``*_mqc.tsv``), atomically."""
    columns = ("pairs_in", *(f"pairs_removed_{n}" for n in LEDGER_FILTERS), "pairs_aligned")
    lines = [
        "# id: 'labpipe_read_ledger'",
        "# section_name: 'Read ledger'",
        "# description: 'Read pairs counted in the FASTQ files = pairs aligned + pairs removed"
        " by each fastp filter (labpipe checks that these add up).'",
        "# plot_type: 'table'",
        "\t".join(("Sample", *columns, "pairs_unaccounted", "pairs_lost_fraction")),
    ]
    for row in rows:
        if row.pairs_in is None:
            continue
        values = [getattr(row, c) for c in columns]
        values += [row.pairs_unaccounted(), row.pairs_lost_fraction]
        lines.append("\t".join([row.sample, *(_format_value(v) for v in values)]))
    write_text_atomic(Path(out_tsv), "\n".join(lines) + "\n")


def _format_value(value: object) -> str:
    if value is None:
        return MISSING
    # repr() of a float is the shortest text that reads back to the same float.
    return repr(value) if isinstance(value, float) else str(value)


def write_qc_table(rows: Sequence[SampleQC], out_tsv: Path) -> None:
    """Write QC rows as a TSV with a header of :data:`QC_COLUMNS`, atomically.

    The file appears complete or not at all, so a killed run never leaves a half table
    for MultiQC or the report to read.
    """
    lines = ["\t".join(QC_COLUMNS)]
    lines += ["\t".join(_format_value(v) for v in astuple(row)) for row in rows]
    write_text_atomic(Path(out_tsv), "\n".join(lines) + "\n")


def _column_types() -> dict[str, tuple[type, bool]]:
    """Column name -> (value type, whether NA is allowed), from SampleQC's annotations."""
    types_by_name: dict[str, tuple[type, bool]] = {}
    for name, hint in typing.get_type_hints(SampleQC).items():
        if isinstance(hint, types.UnionType):
            (inner,) = [arg for arg in typing.get_args(hint) if arg is not type(None)]
            types_by_name[name] = (inner, True)
        else:
            types_by_name[name] = (hint, False)
    return types_by_name


def read_qc_table(path: Path) -> list[SampleQC]:
    """Read a table written by :func:`write_qc_table`.

    Raises:
        InputFormatError: Naming the file and line of a wrong header, row or value.
    """
    path = Path(path)
    column_types = _column_types()
    rows: list[SampleQC] = []
    with text_of_report(path) as handle:
        header = handle.readline().rstrip("\r\n").split("\t")
        if tuple(header) != QC_COLUMNS:
            raise InputFormatError(
                f"{path} line 1: expected the columns {' '.join(QC_COLUMNS)}; "
                f"found {' '.join(header)}"
            )
        for number, line in enumerate(handle, start=2):
            if not line.strip():
                continue
            cells = line.rstrip("\r\n").split("\t")
            if len(cells) != len(QC_COLUMNS):
                raise InputFormatError(
                    f"{path} line {number}: {len(cells)} columns, expected {len(QC_COLUMNS)}"
                )
            values: dict[str, Any] = {}
            for name, cell in zip(QC_COLUMNS, cells, strict=True):
                kind, optional = column_types[name]
                if optional and cell == MISSING:
                    values[name] = None
                    continue
                try:
                    values[name] = kind(cell)
                except ValueError:
                    raise InputFormatError(
                        f"{path} line {number}: {name} is {cell!r}, expected "
                        f"{'a whole number' if kind is int else 'a number'}"
                    ) from None
            rows.append(SampleQC(**values))
    return rows
