"""Allele normalisation: one variant written several ways gives one key."""

from __future__ import annotations

import pytest

from labpipe.core.alleles import (
    AlleleKey,
    is_sequence_allele,
    normalise,
    normalise_in,
    right_align,
    rightmost_end,
)

#            1         2         3
#   123456789012345678901234567890
SEQ = "GATTACAAAAAAAGCTCAGCAGCAGTTGCA"
# A7 run at 7-13; CAG x3 at 17-25.


def fetch(start: int, end: int) -> str:
    return SEQ[max(start, 0) : end]


def key(pos: int, ref: str, alt: str) -> AlleleKey:
    return normalise("chrT", pos, ref, alt, fetch)


def test_snv_is_unchanged_but_upper_cased() -> None:
    assert key(3, "t", "c") == AlleleKey("chrT", 3, "T", "C")


@pytest.mark.parametrize(
    ("pos", "ref", "alt"),
    [
        (6, "CA", "C"),  # left-aligned: the form our calls use
        (12, "AA", "A"),  # right end of the A7 run
        (9, "AA", "A"),  # middle of the run
        (5, "ACA", "AC"),  # padded on the left
        (6, "CAAAAAAAG", "CAAAAAAG"),  # the whole run written out
    ],
)
def test_deletion_in_a_run_written_any_way_gives_one_key(pos: int, ref: str, alt: str) -> None:
    assert key(pos, ref, alt) == AlleleKey("chrT", 6, "CA", "C")


def test_insertion_in_a_repeat_is_left_aligned() -> None:
    # One more CAG, written after the last copy (HGVS style), a middle one, or the first.
    expected = AlleleKey("chrT", 16, "T", "TCAG")
    assert key(25, "G", "GCAG") == key(19, "G", "GCAG") == key(16, "T", "TCAG") == expected


def test_mnp_is_trimmed_to_the_changed_bases() -> None:
    assert key(2, "ATT", "AGT") == AlleleKey("chrT", 3, "T", "G")


def test_different_alleles_at_one_position_stay_different() -> None:
    assert key(3, "T", "C") != key(3, "T", "G")
    assert key(6, "CA", "C") != key(6, "CAA", "C")


def test_ref_equal_to_alt_is_left_alone() -> None:
    assert key(3, "T", "T") == AlleleKey("chrT", 3, "T", "T")


def test_rightmost_end_covers_the_whole_repeat() -> None:
    assert rightmost_end(6, "CA", "C", fetch) == 13  # the last A of the run
    assert rightmost_end(16, "T", "TCAG", fetch) == 25
    assert rightmost_end(3, "T", "C", fetch) == 3


@pytest.mark.parametrize(
    ("allele", "expected"),
    [("ACGT", True), ("<DEL>", False), ("*", False), (".", False), ("A[chr2:10[", False)],
)
def test_sequence_alleles(allele: str, expected: bool) -> None:
    assert is_sequence_allele(allele) is expected


@pytest.mark.parametrize(
    ("pos", "ref", "alt", "expected"),
    [
        (7, "A", "G", (7, "A", "G")),  # SNV untouched
        (6, "AA", "A", (2, "CA", "C")),  # deletion in the A run moves to its left end
        (8, "A", "AA", (2, "C", "CA")),  # insertion likewise
        (2, "CAAAAAAG", "CAAAAAG", (2, "CA", "C")),  # padded allele pair trimmed
        (9, "GTG", "G", (8, "AGT", "A")),  # TG unit shifted across GTGT
    ],
)
def test_normalise_in_a_sequence_counts_from_zero(
    pos: int, ref: str, alt: str, expected: tuple[int, str, str]
) -> None:
    seq = "TTCAAAAAAGTGTC"
    assert seq[pos : pos + len(ref)] == ref
    assert normalise_in(seq, pos, ref, alt) == expected


def test_an_indel_stops_at_the_first_base_without_an_empty_allele() -> None:
    # AAAC: deleting one A slides to the contig's first base and no further.
    start = "AAAC"
    assert normalise("chrT", 3, "AA", "A", lambda s, e: start[s:e]) == AlleleKey(
        "chrT", 1, "AA", "A"
    )
    assert normalise_in("AAAC", 2, "A", "AA") == (0, "A", "AA")


def test_right_align_writes_an_indel_at_the_end_of_its_repeat() -> None:
    # A7 run at 7-13: the left-aligned deletion CA>C at 6 is AA>A at 12 written 3'.
    assert right_align(6, "CA", "C", fetch) == (12, "AA", "A")
    # CAG x3 at 17-25: one CAG more, left-aligned at 16 (T>TCAG), 3'-most at 25 (G>GCAG).
    assert right_align(16, "T", "TCAG", fetch) == (25, "G", "GCAG")
    assert key(25, "G", "GCAG") == AlleleKey("chrT", 16, "T", "TCAG")
    # Nothing to shift: an SNV, and an indel whose next base differs.
    assert right_align(3, "T", "C", fetch) == (3, "T", "C")
    assert right_align(1, "GA", "G", fetch) == (1, "GA", "G")
