"""Read-name parsing for Illumina and DNBSEQ."""

from __future__ import annotations

import pytest

from labpipe.platform import ReadNameFacts, parse_read_name


@pytest.mark.parametrize(
    ("name", "facts"),
    [
        (
            "@M00123:45:000000000-ABCDE:1:1101:15589:1331 1:N:0:ACGT+TTGA",
            ReadNameFacts("ILLUMINA", "000000000-ABCDE", "1", "ACGT+TTGA"),
        ),
        (
            "@A00123:8:H7KJ2DSXY:3:1101:10003:1000:ACGTTGCA 2:N:0:ACGTACGT",
            ReadNameFacts("ILLUMINA", "H7KJ2DSXY", "3", "ACGTACGT"),
        ),
        ("@NB501234:12:HXXXXBGX9:4:11401:2000:3000", ReadNameFacts("ILLUMINA", "HXXXXBGX9", "4")),
        ("@V350012345L2C001R0010000001/1", ReadNameFacts("DNBSEQ", "V350012345", "2")),
        ("@E100001234L1C001R0010000001/2", ReadNameFacts("DNBSEQ", "E100001234", "1")),
        ("@FP200001234L3C005R0120000321/1", ReadNameFacts("DNBSEQ", "FP200001234", "3")),
        ("@FT100037069L1C001R00100000001/2", ReadNameFacts("DNBSEQ", "FT100037069", "1")),
        ("@CL100123456L4C010R0200012345/1", ReadNameFacts("DNBSEQ", "CL100123456", "4")),
    ],
)
def test_recognised_names(name: str, facts: ReadNameFacts) -> None:
    assert parse_read_name(name) == facts


def test_platform_unit() -> None:
    assert ReadNameFacts("ILLUMINA", "FC1", "2", "ACGT").platform_unit == "FC1.2.ACGT"
    assert ReadNameFacts("DNBSEQ", "V350012345", "2").platform_unit == "V350012345.2"


@pytest.mark.parametrize("name", ["@SRR123456.1 1 length=100", "@read1", ""])
def test_unrecognised_names(name: str) -> None:
    assert parse_read_name(name) is None
