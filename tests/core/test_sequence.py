"""Tests for labpipe.core.sequence: the genetic code and the helpers built on it."""

from __future__ import annotations

import pytest

from labpipe.core.sequence import (
    CODON_TABLE,
    STOP_CODONS,
    reverse_complement,
    three_letter,
    translate,
)


def test_genetic_code_landmarks() -> None:
    assert len(CODON_TABLE) == 64
    assert STOP_CODONS == ("TAA", "TAG", "TGA")
    assert (CODON_TABLE["ATG"], CODON_TABLE["TGG"], CODON_TABLE["GCC"]) == ("M", "W", "A")
    assert sum(aa == "L" for aa in CODON_TABLE.values()) == 6


def test_translate_marks_stops_unknown_codons_and_drops_a_partial_codon() -> None:
    assert translate("atgAAAtgaGCNgg") == "MK*X"


def test_reverse_complement_keeps_case_and_n() -> None:
    assert reverse_complement("ACGTNacg") == "cgtNACGT"


def test_three_letter_codes() -> None:
    assert three_letter("MK*X") == "MetLysTerXaa"
    with pytest.raises(ValueError, match="'#' is not an amino acid code"):
        three_letter("#")
