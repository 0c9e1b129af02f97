"""Tests of labpipe.simulation.read_simulator: library, errors and qualities, adapters, names."""

from __future__ import annotations

import gzip
import random
from pathlib import Path

import numpy as np
import pytest

from labpipe.config.platform import parse_read_name
from labpipe.simulation.read_simulator import LibraryConfig, draw_library, read_pairs, write_reads
from labpipe.simulation.sequencer import (
    DNBSEQ,
    ILLUMINA,
    SequencingConfig,
    cycle_error_rates,
    quality_bin,
    sequence,
)

RNG = random.Random(4)


def random_sequence(length: int) -> str:
    return "".join(RNG.choice("ACGT") for _ in range(length))


# Two haplotypes of two segments (30 kb and 20 kb).
HAPLOTYPES = (
    [random_sequence(30_000), random_sequence(20_000)],
    [random_sequence(30_000), random_sequence(20_000)],
)


def test_cycle_error_rates_rise_and_average_to_the_rate() -> None:
    rates = cycle_error_rates(150, SequencingConfig(error_rate=0.01, error_ramp=3))
    assert rates.mean() == pytest.approx(0.01)
    assert rates[-1] == pytest.approx(3 * rates[0])
    assert all(np.diff(rates) > 0)


def test_quality_bin_is_the_nearest_phred_bin() -> None:
    p = np.array([0.5, 0.05, 0.01, 0.0005, 1e-5])
    assert list(quality_bin(p, (2, 12, 23, 37))) == [0, 1, 2, 3, 3]
    assert list(quality_bin(p, (10, 20, 30, 40))) == [0, 0, 1, 2, 3]


def test_errors_rise_along_the_read_and_qualities_are_honest() -> None:
    rng = np.random.default_rng(3)
    templates = ["A" * 160] * 4_000
    config = SequencingConfig(error_rate=0.01, error_ramp=4, indel_share=0.0)
    reads = sequence(templates, DNBSEQ, 150, config, rng)
    wrong = np.array([[b != "A" for b in s] for s, _ in reads])
    quals = np.array([[ord(q) - 33 for q in qual] for _, qual in reads])
    assert wrong.mean() == pytest.approx(0.01, rel=0.1)
    assert wrong[:, -30:].mean() > 2.5 * wrong[:, :30].mean()
    for q, expected in ((10, 0.1), (20, 0.01), (30, 0.001)):
        observed = wrong[quals == q].mean()
        assert expected / 3 < observed < expected * 3, (q, observed)
    assert set(np.unique(quals)) <= set(DNBSEQ.quality_bins)


def test_indel_errors_change_the_read() -> None:
    rng = np.random.default_rng(1)
    template = "ACGT" * 40
    config = SequencingConfig(error_rate=0.02, indel_share=1.0)
    reads = sequence([template] * 500, ILLUMINA, 150, config, rng)
    shifted = sum(s[-20:] != template[130:150] for s, _ in reads)
    assert 0.5 < shifted / 500 < 1.0


def test_library_depth_inserts_and_duplicates() -> None:
    library = LibraryConfig(
        depth=20, read_length=100, insert_mean=300, insert_sd=30,
        short_insert_fraction=0.3, duplicate_rate=0.15,
    )  # fmt: skip
    emissions, stats = draw_library(HAPLOTYPES, library, ILLUMINA, np.random.default_rng(2))
    assert stats.unique_pairs == round(20 * 50_000 / 200)
    assert len(emissions) == stats.unique_pairs + stats.duplicate_pairs
    assert stats.duplicate_pairs / len(emissions) == pytest.approx(0.15, abs=0.01)
    assert stats.optical_duplicates / stats.duplicate_pairs == pytest.approx(1 / 3, abs=0.05)
    assert stats.short_inserts / stats.unique_pairs == pytest.approx(0.3, abs=0.02)
    sizes = [len(e.fragment) for e in emissions]
    assert min(sizes) >= library.min_insert
    long = [s for s in sizes if s >= 100]
    assert np.mean(long) == pytest.approx(300, abs=5)
    # Every fragment comes from one haplotype, on either strand.
    sample = emissions[:50]
    texts = [h for hap in HAPLOTYPES for h in hap]
    complement = str.maketrans("ACGT", "TGCA")
    for e in sample:
        assert any(e.fragment in t or e.fragment.translate(complement)[::-1] in t for t in texts)


def test_dnbseq_has_no_optical_duplicates() -> None:
    library = LibraryConfig(depth=5, read_length=100, duplicate_rate=0.2)
    _, stats = draw_library(HAPLOTYPES, library, DNBSEQ, np.random.default_rng(2))
    assert stats.duplicate_pairs > 0 and stats.optical_duplicates == 0


@pytest.mark.parametrize("platform", [ILLUMINA, DNBSEQ])
def test_short_inserts_read_into_the_platform_adapter(platform: object) -> None:
    from labpipe.simulation.read_simulator import Emission

    fragment = "ACGTTGCAAC" * 6  # 60 bp, shorter than the 100 bp read
    pairs = list(
        read_pairs(
            [Emission(fragment, False)],
            platform,  # type: ignore[arg-type]
            100,
            SequencingConfig(error_rate=1e-6),
            np.random.default_rng(0),
        )
    )
    r1, _, r2, _ = pairs[0]
    assert r1.startswith(fragment + platform.adapter_r1[:20])  # type: ignore[attr-defined]
    assert r2[60:80] == platform.adapter_r2[:20]  # type: ignore[attr-defined]


@pytest.mark.parametrize(("platform", "pattern"), [(ILLUMINA, "_S1_L001_R"), (DNBSEQ, "_L01_")])
def test_write_reads_names_and_files(tmp_path: Path, platform: object, pattern: str) -> None:
    library = LibraryConfig(depth=2, read_length=100, duplicate_rate=0.1)
    emissions, _ = draw_library(HAPLOTYPES, library, platform, np.random.default_rng(2))  # type: ignore[arg-type]
    written = write_reads(
        tmp_path, "S1", emissions, platform, 100, SequencingConfig(),  # type: ignore[arg-type]
        np.random.default_rng(3), np.random.default_rng(4),
    )  # fmt: skip
    assert pattern in written.fq1.name and written.pairs == len(emissions)
    with gzip.open(written.fq1, "rt") as one, gzip.open(written.fq2, "rt") as two:
        first, second = one.read().splitlines(), two.read().splitlines()
    assert len(first) == len(second) == 4 * len(emissions)
    facts = parse_read_name(first[0])
    assert facts is not None and facts.platform == platform.name  # type: ignore[attr-defined]
    assert all(len(seq) == 100 for seq in first[1::4])
    stems = [n.split()[0].split("/")[0] for n in first[0::4]]
    assert stems == [n.split()[0].split("/")[0] for n in second[0::4]]
    assert len(set(stems)) == len(stems)
