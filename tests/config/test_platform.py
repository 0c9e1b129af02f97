"""Read-name parsing for Illumina and DNBSEQ."""

from __future__ import annotations

import pytest

from labpipe.config.platform import (
    ReadNameFacts,
    illumina_instrument,
    parse_read_name,
    poly_g_decision,
)


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


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("@A00123:8:H7KJ2DSXY:2:1101:1000:1000 1:N:0:ACGT", ("NovaSeq 6000", True)),
        ("@LH00456:12:22XXXXLT3:2:1101:1000:1000", ("NovaSeq X", True)),
        ("@NB501234:99:HXXXXBGXX:1:11101:1000:1000", ("NextSeq 500/550", True)),
        ("@VH00789:3:AAXXXXM5:1:1101:1000:1000", ("NextSeq 1000/2000", True)),
        ("@MN00123:5:000H3XXXX:1:11102:1000:1000", ("MiniSeq", True)),
        ("@M01234:55:000000000-AXXXX:1:1101:1000:1000", ("MiSeq", False)),
        ("@D00360:99:C8XXXANXX:1:1101:1000:1000", ("HiSeq/HiSeq X", False)),
        ("@E00123:99:HXXXXCCXX:1:1101:1000:1000", ("HiSeq/HiSeq X", False)),
        ("@HSQ1004:134:C0D8DACXX:4:2201:3445:134887", None),  # a renamed instrument
        ("@V350012345L2C001R0010000001/1", None),
        ("@SRR123.1 1 length=150", None),
    ],
)
def test_instrument_from_read_name(name: str, expected: tuple[str, bool] | None) -> None:
    assert illumina_instrument(name) == expected


def test_poly_g_forced_or_auto() -> None:
    novaseq = "@A00123:8:H7KJ2DSXY:2:1101:1000:1000"
    assert poly_g_decision(False, novaseq).fastp_option == "--disable_trim_poly_g"
    assert poly_g_decision(True, None).fastp_option == "--trim_poly_g"
    assert poly_g_decision("auto", novaseq).trim
    assert not poly_g_decision("auto", None).trim
    assert "do not show the instrument" in poly_g_decision("auto", None).reason
