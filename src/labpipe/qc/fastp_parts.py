"""fastp run over a unit's reads in parts, so that its memory stays bounded.

fastp 0.23 (Debian 12's) keeps what it has read until it exits: about 1.4 GB per million
read pairs (measured: 1.59 GB for 1.17 M pairs of 2x150, whether it reads a file or
standard input and whether its reader keeps up or not), so an exome's 50 M pairs would
need about 70 GB. Each read pair is trimmed and filtered on its own (labpipe names the
adapters; fastp's duplication estimate is off), so trimming the reads in consecutive parts
by one fastp each gives the same reads out as one fastp over all of them. The parts'
``--json`` reports are merged into one fastp report: counts summed, rates and means
recomputed, per-position curves averaged weighted by each part's reads.

One part, the common case for a panel, leaves fastp's own reports untouched.
"""

from __future__ import annotations

import contextlib
import html
import json
import re
import shlex
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from labpipe.core.atomic import write_text_atomic
from labpipe.core.errors import RunError

#: Read pairs per fastp: about 0.7 GB of fastp memory at 2x150.
PAIRS_PER_PART = 500_000


class FastpInParts:
    """A writer of interleaved read pairs that feeds them to one fastp per part.

    Each fastp writes its trimmed reads to this process's standard output (the aligner);
    the parts follow each other, so the aligner reads one stream in the input's order.

    Args:
        command: fastp's command line without ``--json``/``--html``.
        json_out: Where the (merged) ``--json`` report goes.
        html_out: Where the ``--html`` report goes.
        log: fastp's messages are appended here.
        pairs_per_part: Read pairs per fastp.
    """

    def __init__(
        self,
        command: str,
        json_out: Path,
        html_out: Path,
        log: Path,
        pairs_per_part: int = PAIRS_PER_PART,
    ) -> None:
        self.command = shlex.split(command)
        self.json_out, self.html_out, self.log = json_out, html_out, log
        self.pairs_per_part = pairs_per_part
        self.parts: list[tuple[Path, Path]] = []
        self._process: subprocess.Popen[bytes] | None = None
        self._pairs = 0

    def write(self, interleaved: bytes) -> None:
        """Whole pairs of FASTQ records (R1, R2, R1, R2, …), in order."""
        while interleaved:
            if self._process is None:
                self._start()
            assert self._process is not None and self._process.stdin is not None
            room = self.pairs_per_part - self._pairs
            pairs = interleaved.count(b"\n") // 8
            if pairs <= room:
                now, interleaved = interleaved, b""
            else:  # the part ends inside this block: after `room` pairs
                lines = interleaved.split(b"\n", 8 * room)
                interleaved = lines.pop()
                now, pairs = b"\n".join(lines) + b"\n", room
            self._process.stdin.write(now)
            self._pairs += pairs
            if self._pairs >= self.pairs_per_part:
                self._finish_part()

    def flush(self) -> None:
        """Nothing is held here; fastp's parts are finished by :meth:`close`."""

    def close(self) -> None:
        """Finish the last part and write the reports (one part's as fastp wrote them)."""
        if self._process is not None or not self.parts:
            if self._process is None:
                self._start()  # no reads at all: fastp still writes its (empty) report
            self._finish_part()
        if len(self.parts) == 1:
            json_part, html_part = self.parts[0]
            json_part.replace(self.json_out)
            html_part.replace(self.html_out)
            return
        reports = [json.loads(part.read_text()) for part, _ in self.parts]
        merged = merge_reports(reports)
        write_text_atomic(self.json_out, json.dumps(merged, indent=1) + "\n")
        write_text_atomic(self.html_out, summary_html(merged, len(self.parts), self.pairs_per_part))
        for json_part, html_part in self.parts:
            json_part.unlink(missing_ok=True)
            html_part.unlink(missing_ok=True)

    def abort(self) -> None:
        """Stop the running part's fastp (the input turned out bad); no report is written."""
        if self._process is not None:
            self._process.kill()
            self._process.wait()
            self._process = None

    def _start(self) -> None:
        number = len(self.parts) + 1
        json_part = self.json_out.with_name(f"{self.json_out.name}.part{number}")
        html_part = self.html_out.with_name(f"{self.html_out.name}.part{number}")
        self.parts.append((json_part, html_part))
        with open(self.log, "ab") as log:
            self._process = subprocess.Popen(
                [*self.command, "--json", str(json_part), "--html", str(html_part)],
                stdin=subprocess.PIPE,
                stderr=log,
            )
        self._pairs = 0

    def _finish_part(self) -> None:
        process, self._process = self._process, None
        assert process is not None and process.stdin is not None
        with contextlib.suppress(BrokenPipeError):  # fastp stopped early: see its status
            process.stdin.close()
        status = process.wait()
        if status != 0:
            raise RunError(
                f"fastp stopped with status {status} on part {len(self.parts)} of the reads;"
                f" its messages are in {self.log}"
            )


def merge_reports(reports: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """One fastp ``--json`` report for the reads of several, as one fastp would have said.

    Exact: every count, rate, mean length, GC content and the insert-size histogram and
    peak. Weighted by each part's reads: the per-position quality and content curves
    (exact when the reads are all as long, as before trimming).
    """
    first = reports[0]
    merged: dict[str, Any] = {"summary": {}}
    merged["summary"]["fastp_version"] = first["summary"].get("fastp_version")
    merged["summary"]["sequencing"] = first["summary"].get("sequencing")
    for stage in ("before_filtering", "after_filtering"):
        merged["summary"][stage] = _summary([r["summary"][stage] for r in reports])
    merged["filtering_result"] = _sum_counts([r.get("filtering_result", {}) for r in reports])
    if all("duplication" in r for r in reports):
        merged["duplication"] = {"rate": _weighted(reports, ("duplication", "rate"))}
    if all("insert_size" in r for r in reports):
        merged["insert_size"] = _insert_sizes([r["insert_size"] for r in reports])
    if any("adapter_cutting" in r for r in reports):
        merged["adapter_cutting"] = _adapters(
            [r["adapter_cutting"] for r in reports if "adapter_cutting" in r]
        )
    for section in (
        "read1_before_filtering",
        "read2_before_filtering",
        "read1_after_filtering",
        "read2_after_filtering",
    ):
        if all(section in r for r in reports):
            merged[section] = _read_stats([r[section] for r in reports])
    # The first part's command, naming the reports the merge writes (as one fastp would).
    merged["command"] = re.sub(r"\.part1\b", "", str(first.get("command", "")))
    return merged


def _summary(parts: Sequence[dict[str, Any]]) -> dict[str, Any]:
    total = _sum_counts(parts, ("total_reads", "total_bases", "q20_bases", "q30_bases"))
    bases = total["total_bases"]
    merged: dict[str, Any] = dict(total)
    merged["q20_rate"] = round(total["q20_bases"] / bases, 6) if bases else 0.0
    merged["q30_rate"] = round(total["q30_bases"] / bases, 6) if bases else 0.0
    reads = total["total_reads"]
    for key in ("read1_mean_length", "read2_mean_length"):
        if all(key in part for part in parts):
            # Each mate is half of total_reads in a paired run.
            length = sum(part[key] * part["total_reads"] for part in parts)
            merged[key] = int(length / reads) if reads else 0
    merged["gc_content"] = (
        round(sum(part["gc_content"] * part["total_bases"] for part in parts) / bases, 6)
        if bases
        else 0.0
    )
    return merged


def _sum_counts(
    parts: Sequence[dict[str, Any]], keys: Sequence[str] | None = None
) -> dict[str, int]:
    names = keys if keys is not None else list(dict.fromkeys(k for p in parts for k in p))
    return {key: sum(int(part.get(key, 0)) for part in parts) for key in names}


def _weighted(reports: Sequence[dict[str, Any]], path: tuple[str, str]) -> float:
    reads = [r["summary"]["before_filtering"]["total_reads"] for r in reports]
    values = [r[path[0]][path[1]] for r in reports]
    total = sum(reads)
    return (
        round(sum(v * n for v, n in zip(values, reads, strict=True)) / total, 6) if total else 0.0
    )


def _insert_sizes(parts: Sequence[dict[str, Any]]) -> dict[str, Any]:
    width = max(len(part["histogram"]) for part in parts)
    histogram = [0] * width
    for part in parts:
        for size, count in enumerate(part["histogram"]):
            histogram[size] += count
    peak = max(range(width), key=lambda size: histogram[size]) if width else 0
    return {
        "peak": peak,
        "unknown": sum(part.get("unknown", 0) for part in parts),
        "histogram": histogram,
    }


def _adapters(parts: Sequence[dict[str, Any]]) -> dict[str, Any]:
    merged: dict[str, Any] = _sum_counts(parts, ("adapter_trimmed_reads", "adapter_trimmed_bases"))
    for mate in ("read1", "read2"):
        sequence = f"{mate}_adapter_sequence"
        if sequence in parts[0]:
            merged[sequence] = parts[0][sequence]
        counts: dict[str, int] = {}
        for part in parts:
            for adapter, count in (part.get(f"{mate}_adapter_counts") or {}).items():
                counts[adapter] = counts.get(adapter, 0) + count
        if counts:
            merged[f"{mate}_adapter_counts"] = counts
    return merged


def _read_stats(parts: Sequence[dict[str, Any]]) -> dict[str, Any]:
    merged: dict[str, Any] = _sum_counts(
        parts, ("total_reads", "total_bases", "q20_bases", "q30_bases")
    )
    merged["total_cycles"] = max(part.get("total_cycles", 0) for part in parts)
    reads = [part["total_reads"] for part in parts]
    for curves in ("quality_curves", "content_curves"):
        if all(curves in part for part in parts):
            merged[curves] = {
                name: _weighted_curve([part[curves][name] for part in parts], reads)
                for name in parts[0][curves]
            }
    if all("kmer_count" in part for part in parts):
        merged["kmer_count"] = _sum_counts([part["kmer_count"] for part in parts])
    merged["overrepresented_sequences"] = {}
    return merged


def _weighted_curve(curves: Sequence[Sequence[float]], reads: Sequence[int]) -> list[float]:
    width = max(len(curve) for curve in curves)
    merged = []
    for position in range(width):
        pairs = [(c[position], n) for c, n in zip(curves, reads, strict=True) if position < len(c)]
        total = sum(n for _, n in pairs)
        merged.append(round(sum(v * n for v, n in pairs) / total, 6) if total else 0.0)
    return merged


def summary_html(report: dict[str, Any], parts: int, pairs_per_part: int) -> str:
    """A self-contained page standing in for fastp's own when it ran in parts."""
    before = report["summary"]["before_filtering"]
    after = report["summary"]["after_filtering"]
    rows = [
        ("reads before filtering", f"{before['total_reads']:,}"),
        ("bases before filtering", f"{before['total_bases']:,}"),
        ("Q30 rate before filtering", f"{before['q30_rate']:.2%}"),
        ("reads after filtering", f"{after['total_reads']:,}"),
        ("Q30 rate after filtering", f"{after['q30_rate']:.2%}"),
        ("GC content after filtering", f"{after['gc_content']:.2%}"),
    ]
    rows += [
        (f"filter: {name.replace('_', ' ')}", f"{count:,}")
        for name, count in report.get("filtering_result", {}).items()
    ]
    if "adapter_cutting" in report:
        cut = report["adapter_cutting"]
        rows.append(("reads with adapter trimmed", f"{cut['adapter_trimmed_reads']:,}"))
    table = "\n".join(
        f"<tr><th>{html.escape(name)}</th><td>{html.escape(value)}</td></tr>"
        for name, value in rows
    )
    version = html.escape(str(report["summary"]["fastp_version"]))
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        "<title>fastp report</title></head><body>\n"
        "<h1>fastp report</h1>\n"
        f"<p>These reads were trimmed by fastp in {parts} parts of at most"
        f" {pairs_per_part:,} read pairs (fastp {version}"
        " keeps every read it has seen in memory; in parts its memory stays bounded)."
        " The figures below are summed over the parts. fastp's per-position quality and"
        " content plots are in the MultiQC report, merged from the parts weighted by their"
        " reads; over-represented sequences were not merged.</p>\n"
        f"<table>\n{table}\n</table>\n</body></html>\n"
    )
