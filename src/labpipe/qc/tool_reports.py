"""The reports the workflow's tools write, read for the QC metrics.

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
import zlib
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from labpipe.core.errors import InputFormatError

#: Depth thresholds whose target fractions :class:`SampleQC` reports.
DEPTH_THRESHOLDS: tuple[int, ...] = (10, 20, 30)


#: The read ledger's filters: fastp's filtering_result keys map onto these.
LEDGER_FILTERS: tuple[str, ...] = ("low_quality", "too_many_n", "too_short", "other")
_FASTP_FILTERS: dict[str, str] = {
    "low_quality_reads": "low_quality",
    "too_many_N_reads": "too_many_n",
    "too_short_reads": "too_short",
}


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
        return percent(self.bases_at_threshold[threshold], self.target_bases)


def percent(part: int, whole: int) -> float:
    return round(100.0 * part / whole, 4) if whole else 0.0


@contextmanager
def text_of_report(path: Path) -> Iterator[TextIO]:
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
    with text_of_report(path) as handle:
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
    with text_of_report(path) as handle:
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


def stats_number(summary: Mapping[str, str], key: str, path: Path) -> float:
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
    with text_of_report(path) as handle:
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
    with text_of_report(summary_path) as handle:
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
    with text_of_report(thresholds_path) as handle:
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
