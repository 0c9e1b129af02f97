"""Per-sample QC metrics, read from the reports the workflow's tools write.

Sources, per sample:

* one fastp ``--json`` report per unit (lane): raw and filtered reads, Q30, adapters;
* ``samtools flagstat -O json`` of the final duplicate-marked BAM: mapping, pairing, duplicates;
* ``samtools stats`` of the same BAM (its ``SN`` section): mean insert size;
* mosdepth run with ``--by <targets.bed> --thresholds 10,20,30``: depth over the targets;
* optionally ``samtools markdup -f <file>`` statistics: estimated library size;
* optionally ``labpipe step check-pairs``' count per unit: the read ledger (pairs counted in
  the FASTQs = pairs aligned + pairs removed by each of fastp's filters).

Percentages are 0-100 and rounded to 4 decimals; read counts count mates separately.
"""

from __future__ import annotations

import gzip
import json
import types
import typing
import zlib
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import astuple, dataclass, field, fields
from pathlib import Path
from typing import Any, TextIO

from labpipe.core.atomic import write_text_atomic
from labpipe.core.errors import InputFormatError

#: Depth thresholds whose target fractions :class:`SampleQC` reports.
DEPTH_THRESHOLDS: tuple[int, ...] = (10, 20, 30)

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


#: The read ledger's filters: fastp's filtering_result keys map onto these.
LEDGER_FILTERS: tuple[str, ...] = ("low_quality", "too_many_n", "too_short", "other")
#: What each filter means, for QC reasons and the MultiQC table.
LEDGER_FILTER_NAMES: dict[str, str] = {
    "low_quality": "the low-quality filter",
    "too_many_n": "the N filter (too many N bases)",
    "too_short": "the length filter (too short after trimming, or adapter only)",
    "other": "another fastp filter (too long or low complexity)",
}
_FASTP_FILTERS: dict[str, str] = {
    "low_quality_reads": "low_quality",
    "too_many_N_reads": "too_many_n",
    "too_short_reads": "too_short",
}


#: Column names of the QC table, in order.
QC_COLUMNS: tuple[str, ...] = tuple(f.name for f in fields(SampleQC))


@dataclass(frozen=True)
class FastpSummary:
    """What labpipe takes from one fastp JSON report.

    Attributes:
        raw_reads: ``summary.before_filtering.total_reads``.
        raw_bases: ``summary.before_filtering.total_bases``.
        raw_q30_bases: ``summary.before_filtering.q30_bases``.
        reads_after_filter: ``summary.after_filtering.total_reads``.
        adapter_trimmed_reads: ``adapter_cutting.adapter_trimmed_reads`` (0 when fastp wrote
            no adapter section, as it does with adapter trimming disabled).
        removed_reads: Reads (mates) removed by each ledger filter (see
            :data:`LEDGER_FILTERS`), from ``filtering_result``. fastp judges a pair as one:
            both mates count under the worse mate's filter.
    """

    raw_reads: int
    raw_bases: int
    raw_q30_bases: int
    reads_after_filter: int
    adapter_trimmed_reads: int
    removed_reads: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class FlagstatSummary:
    """QC-passed counts from ``samtools flagstat -O json``.

    Attributes:
        primary: Primary reads (mapped or not).
        primary_mapped: Primary reads that mapped.
        primary_duplicates: Primary reads flagged as duplicates.
        paired: Reads paired in sequencing.
        properly_paired: Reads flagged as properly paired.
        read1: Primary reads flagged as read 1: the pairs in the BAM (0 when absent).
    """

    primary: int
    primary_mapped: int
    primary_duplicates: int
    paired: int
    properly_paired: int
    read1: int = 0


@dataclass(frozen=True)
class MarkdupStats:
    """The statistics ``samtools markdup -f FILE`` writes (text ``KEY: value`` lines in 1.16).

    Attributes:
        read: Reads read.
        examined: Reads examined for duplication (mapped primary reads).
        duplicate_pair: Reads in duplicate pairs.
        duplicate_single: Duplicate reads without a mapped mate.
        duplicate_pair_optical: Optical duplicates among ``duplicate_pair``.
        duplicate_total: All reads marked as duplicates.
        estimated_library_size: Picard-style library size estimate (0 when not estimable).
    """

    read: int
    examined: int
    duplicate_pair: int
    duplicate_single: int
    duplicate_pair_optical: int
    duplicate_total: int
    estimated_library_size: int


@dataclass(frozen=True)
class TargetCoverage:
    """Depth over the target regions from one mosdepth run.

    Attributes:
        target_bases: Total length of the target regions.
        mean_depth: Mean depth over the target bases.
        bases_at_threshold: For each ``--thresholds`` value, target bases at or above it.
    """

    target_bases: int
    mean_depth: float
    bases_at_threshold: dict[int, int]

    def pct_at(self, threshold: int, source: Path) -> float:
        """Percentage of target bases with depth >= ``threshold``.

        Raises:
            InputFormatError: When mosdepth was not run with this threshold.
        """
        if threshold not in self.bases_at_threshold:
            have = ",".join(str(t) for t in sorted(self.bases_at_threshold)) or "none"
            raise InputFormatError(
                f"{source}: no {threshold}X column (thresholds: {have}); run mosdepth with "
                f"--thresholds {','.join(str(t) for t in DEPTH_THRESHOLDS)}"
            )
        return _pct(self.bases_at_threshold[threshold], self.target_bases)


def _pct(part: int, whole: int) -> float:
    return round(100.0 * part / whole, 4) if whole else 0.0


@contextmanager
def _reading(path: Path) -> Iterator[TextIO]:
    """Open a text file (gzip when named .gz); turn read failures into errors naming it."""
    try:
        with gzip.open(path, "rt") if path.name.endswith(".gz") else open(path) as handle:
            yield handle
    except FileNotFoundError:
        raise InputFormatError(f"{path}: file not found") from None
    except IsADirectoryError:
        raise InputFormatError(f"{path}: is a directory, expected a file") from None
    except (OSError, EOFError, zlib.error, UnicodeDecodeError) as exc:
        # Truncated or mis-named gzip, or binary content: the file is damaged, not the code.
        raise InputFormatError(f"{path}: cannot read it ({exc})") from None


def _load_json(path: Path, what: str) -> dict[str, Any]:
    with _reading(path) as handle:
        try:
            data = json.load(handle)
        except json.JSONDecodeError as exc:
            raise InputFormatError(
                f"{path}: not valid JSON (line {exc.lineno}: {exc.msg}); expected {what}"
            ) from None
    if not isinstance(data, dict):
        raise InputFormatError(f"{path}: expected {what}, found a JSON {type(data).__name__}")
    return data


def _json_int(data: Mapping[str, Any], keys: Sequence[str], path: Path, what: str) -> int:
    """The integer at ``data[k0][k1]...``, or an error naming the missing key."""
    node: Any = data
    for depth, key in enumerate(keys):
        if not isinstance(node, Mapping) or key not in node:
            where = ".".join(keys[: depth + 1])
            raise InputFormatError(f"{path}: no '{where}'; is this {what}?")
        node = node[key]
    # bool is an int subclass; a true/false here means a different report format.
    if not isinstance(node, int) or isinstance(node, bool):
        raise InputFormatError(f"{path}: '{'.'.join(keys)}' is {node!r}, expected a whole number")
    return node


def read_fastp_json(path: Path) -> FastpSummary:
    """Read the counts labpipe needs from one fastp ``--json`` report.

    Raises:
        InputFormatError: Naming the file, when it is missing or not a fastp report.
    """
    what = "a fastp --json report"
    data = _load_json(path, what)
    adapter_trimmed = 0
    if "adapter_cutting" in data:
        adapter_trimmed = _json_int(data, ("adapter_cutting", "adapter_trimmed_reads"), path, what)
    removed = dict.fromkeys(LEDGER_FILTERS, 0)
    for key in data.get("filtering_result") or {}:
        if key != "passed_filter_reads":
            count = _json_int(data, ("filtering_result", key), path, what)
            removed[_FASTP_FILTERS.get(key, "other")] += count
    return FastpSummary(
        raw_reads=_json_int(data, ("summary", "before_filtering", "total_reads"), path, what),
        raw_bases=_json_int(data, ("summary", "before_filtering", "total_bases"), path, what),
        raw_q30_bases=_json_int(data, ("summary", "before_filtering", "q30_bases"), path, what),
        reads_after_filter=_json_int(
            data, ("summary", "after_filtering", "total_reads"), path, what
        ),
        adapter_trimmed_reads=adapter_trimmed,
        removed_reads=removed,
    )


def read_flagstat_json(path: Path) -> FlagstatSummary:
    """Read the QC-passed counts of ``samtools flagstat -O json``.

    Raises:
        InputFormatError: Naming the file, when it is missing or not flagstat JSON.
    """
    what = "`samtools flagstat -O json` output"
    data = _load_json(path, what)
    section = "QC-passed reads"

    def count(key: str) -> int:
        return _json_int(data, (section, key), path, what)

    return FlagstatSummary(
        primary=count("primary"),
        primary_mapped=count("primary mapped"),
        primary_duplicates=count("primary duplicates"),
        paired=count("paired in sequencing"),
        properly_paired=count("properly paired"),
        read1=count("read1"),
    )


def read_samtools_stats_summary(path: Path) -> dict[str, str]:
    """The ``SN`` (summary numbers) section of ``samtools stats`` output.

    Returns:
        Field name without its trailing colon (e.g. ``"insert size average"``) -> value text.

    Raises:
        InputFormatError: Naming the file, when it is missing or has no SN lines.
    """
    summary: dict[str, str] = {}
    with _reading(path) as handle:
        for number, line in enumerate(handle, start=1):
            if not line.startswith("SN\t"):
                continue
            parts = line.rstrip("\r\n").split("\t")
            if len(parts) < 3:
                raise InputFormatError(
                    f"{path} line {number}: an SN line needs a name and a value, got {line!r}"
                )
            summary[parts[1].rstrip(":")] = parts[2]
    if not summary:
        raise InputFormatError(f"{path}: no SN lines; is this `samtools stats` output?")
    return summary


def _stats_number(summary: Mapping[str, str], key: str, path: Path) -> float:
    if key not in summary:
        raise InputFormatError(f"{path}: no 'SN {key}:' line; is this `samtools stats` output?")
    try:
        return float(summary[key])
    except ValueError:
        raise InputFormatError(
            f"{path}: 'SN {key}:' is {summary[key]!r}, expected a number"
        ) from None


def read_markdup_stats(path: Path) -> MarkdupStats:
    """Read the statistics of ``samtools markdup -f FILE``.

    samtools 1.16 writes ``KEY: value`` text lines (its ``--json`` option came later).

    Raises:
        InputFormatError: Naming the file, when it is missing or lacks a field.
    """
    values: dict[str, str] = {}
    with _reading(path) as handle:
        for line in handle:
            key, sep, value = line.partition(":")
            if sep:
                values[key.strip()] = value.strip()

    def count(key: str) -> int:
        if key not in values:
            raise InputFormatError(
                f"{path}: no '{key}:' line; is this `samtools markdup -f` statistics output?"
            )
        try:
            return int(values[key])
        except ValueError:
            raise InputFormatError(
                f"{path}: '{key}' is {values[key]!r}, expected a whole number"
            ) from None

    return MarkdupStats(
        read=count("READ"),
        examined=count("EXAMINED"),
        duplicate_pair=count("DUPLICATE PAIR"),
        duplicate_single=count("DUPLICATE SINGLE"),
        duplicate_pair_optical=count("DUPLICATE PAIR OPTICAL"),
        duplicate_total=count("DUPLICATE TOTAL"),
        estimated_library_size=count("ESTIMATED_LIBRARY_SIZE"),
    )


def mosdepth_summary_path(prefix: Path) -> Path:
    """``PREFIX.mosdepth.summary.txt``."""
    return Path(f"{prefix}.mosdepth.summary.txt")


def mosdepth_thresholds_path(prefix: Path) -> Path:
    """``PREFIX.thresholds.bed.gz``."""
    return Path(f"{prefix}.thresholds.bed.gz")


def read_mosdepth_targets(prefix: Path) -> TargetCoverage:
    """Depth over the targets of ``mosdepth --by BED --thresholds ... PREFIX BAM``.

    The mean comes from the summary's ``total_region`` row as bases / length, which is exact
    (the per-region means in ``regions.bed.gz`` are rounded to 2 decimals).

    Raises:
        InputFormatError: Naming the file, when one is missing or mosdepth ran without
            ``--by`` or ``--thresholds``.
    """
    summary_path = mosdepth_summary_path(prefix)
    region_bases: int | None = None
    region_length: int | None = None
    with _reading(summary_path) as handle:
        header = handle.readline().rstrip("\r\n").split("\t")
        if header[:3] != ["chrom", "length", "bases"]:
            raise InputFormatError(
                f"{summary_path} line 1: expected a 'chrom length bases ...' header; "
                "is this a mosdepth summary?"
            )
        for number, line in enumerate(handle, start=2):
            parts = line.rstrip("\r\n").split("\t")
            if parts[0] != "total_region":
                continue
            try:
                region_length, region_bases = int(parts[1]), int(parts[2])
            except (IndexError, ValueError):
                raise InputFormatError(
                    f"{summary_path} line {number}: cannot read length and bases from {line!r}"
                ) from None
    if region_length is None or region_bases is None:
        raise InputFormatError(
            f"{summary_path}: no 'total_region' row; run mosdepth with --by <targets.bed>"
        )

    thresholds_path = mosdepth_thresholds_path(prefix)
    with _reading(thresholds_path) as handle:
        header = handle.readline().rstrip("\r\n").split("\t")
        if header[:4] != ["#chrom", "start", "end", "region"]:
            raise InputFormatError(
                f"{thresholds_path} line 1: expected a '#chrom start end region NX...' header; "
                "is this a mosdepth thresholds file?"
            )
        try:
            thresholds = [int(column.removesuffix("X")) for column in header[4:]]
        except ValueError:
            raise InputFormatError(
                f"{thresholds_path} line 1: threshold columns {header[4:]} are not like '10X'"
            ) from None
        target_bases = 0
        at_threshold = dict.fromkeys(thresholds, 0)
        for number, line in enumerate(handle, start=2):
            parts = line.rstrip("\r\n").split("\t")
            try:
                if len(parts) != len(header):
                    raise ValueError
                target_bases += int(parts[2]) - int(parts[1])
                for threshold, value in zip(thresholds, parts[4:], strict=True):
                    at_threshold[threshold] += int(value)
            except ValueError:
                raise InputFormatError(
                    f"{thresholds_path} line {number}: expected {len(header)} columns of "
                    f"whole numbers after the region name, got {line.rstrip()!r}"
                ) from None
    if target_bases == 0:
        raise InputFormatError(f"{thresholds_path}: no target regions")
    return TargetCoverage(
        target_bases=target_bases,
        mean_depth=round(region_bases / region_length, 4) if region_length else 0.0,
        bases_at_threshold=at_threshold,
    )


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
    insert_size: float | None = _stats_number(stats, "insert size average", stats_path)
    if _stats_number(stats, "reads paired", stats_path) == 0:
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
        q30_pct=_pct(sum(u.raw_q30_bases for u in units), raw_bases),
        adapter_trimmed_reads=sum(u.adapter_trimmed_reads for u in units),
        mapped_pct=_pct(flagstat.primary_mapped, flagstat.primary),
        properly_paired_pct=(
            _pct(flagstat.properly_paired, flagstat.paired) if flagstat.paired else None
        ),
        duplicate_pct=_pct(flagstat.primary_duplicates, flagstat.primary_mapped),
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
    with _reading(path) as handle:
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
