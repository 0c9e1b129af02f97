"""The short windows the second caller examines: each indel candidate bcftools mpileup saw,
padded, merged and cut to the calling regions (:mod:`labpipe.calling.second_opinion`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from labpipe.core.regions import Interval, merge, read_bed, write_bed

#: bp around each indel candidate that freebayes examines (its haplotype window
#: and the longest repeat a short indel shifts along fit comfortably).
WINDOW_PADDING = 30


def indel_windows(
    candidates: Iterable[Interval],
    calling: Sequence[Interval],
    padding: int = WINDOW_PADDING,
) -> list[Interval]:
    """Windows (0-based, half-open) around indel candidates, inside the calling regions.

    Args:
        candidates: The span of each candidate record.
        calling: The calling regions, in reference order, as the regions step writes them.
        padding: bp added on each side of a candidate.

    Returns:
        Merged windows clipped to the calling regions, in the calling regions' order.
    """
    order = list(dict.fromkeys(iv.contig for iv in calling))
    rank = {contig: i for i, contig in enumerate(order)}
    padded = merge(
        [
            Interval(iv.contig, max(0, iv.start - padding), iv.end + padding)
            for iv in candidates
            if iv.contig in rank
        ],
        order,
    )
    regions = merge(list(calling), order)
    windows: list[Interval] = []
    first = 0
    for window in padded:
        while first < len(regions) and (
            rank[regions[first].contig],
            regions[first].end,
        ) <= (rank[window.contig], window.start):
            first += 1
        k = first
        while k < len(regions) and regions[k].contig == window.contig:
            if regions[k].start >= window.end:
                break
            low, high = max(window.start, regions[k].start), min(window.end, regions[k].end)
            if low < high:
                windows.append(Interval(window.contig, low, high))
            k += 1
    return merge(windows, order)


def read_candidates(paths: Iterable[Path]) -> list[Interval]:
    """The candidate spans the calling chunks wrote (``contig start end`` lines)."""
    candidates = []
    for path in paths:
        with open(path) as handle:
            for line in handle:
                contig, start, end = line.split("\t")[:3]
                candidates.append(Interval(contig, int(start), int(end)))
    return candidates


def write_windows(candidate_files: Sequence[Path], calling_bed: Path, out: Path) -> int:
    """Write the freebayes windows of one sample; returns how many there are."""
    windows = indel_windows(read_candidates(candidate_files), read_bed(calling_bed))
    write_bed(windows, out)
    return len(windows)
