"""The "confirm orthogonally" flag and its thresholds."""

from __future__ import annotations

import pytest

from labpipe.annotation.confidence import ConfidenceRules, confidence_flag
from tests.builders import lab_config

RULES = ConfidenceRules()


def test_defaults_match_the_config_defaults() -> None:
    assert ConfidenceRules.from_config(lab_config().annotation.confidence) == RULES


@pytest.mark.parametrize(
    ("zygosity", "depth", "fraction", "flag"),
    [
        ("het", 40, 0.5, ""),
        ("het", 15, 0.25, ""),  # limits are inclusive
        ("het", 14, 0.5, "confirm orthogonally: depth 14 < 15"),
        ("het", 40, 0.18, "confirm orthogonally: het allele fraction 0.18 outside 0.25-0.75"),
        ("het", 40, 0.80, "confirm orthogonally: het allele fraction 0.80 outside 0.25-0.75"),
        ("hom_alt", 40, 0.97, ""),
        ("hom_alt", 40, 0.80, "confirm orthogonally: hom allele fraction 0.80 < 0.85"),
        (
            "hemizygous",
            9,
            0.6,
            "confirm orthogonally: depth 9 < 15; hom allele fraction 0.60 < 0.85",
        ),
        ("het", None, None, "confirm orthogonally: depth unknown; allele fraction unknown"),
    ],
)
def test_flag(zygosity: str, depth: int | None, fraction: float | None, flag: str) -> None:
    assert confidence_flag(zygosity, depth, fraction, RULES) == flag


def test_lab_thresholds_apply() -> None:
    strict = ConfidenceRules(min_depth=30, het_af_min=0.3, het_af_max=0.7, hom_af_min=0.9)
    assert confidence_flag("het", 20, 0.5, strict) == "confirm orthogonally: depth 20 < 30"
    assert "0.9" in strict.describe() and "30 reads" in strict.describe()
